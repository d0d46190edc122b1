package chart

import (
	"math"
	"slices"
	"strings"
)

// Frame is the size of a chart and of its base text, in abstract units:
// pixels on a screen (the SVG scales to its container), any unit on paper
// (printer/summary maps the frame's width to millimetres).
type Frame struct{ W, H, Font float64 }

// Screen is the frame for the touch screens: 960 wide, 500 high, 17-unit
// text. Shown full width at 1024x600 a unit is about a pixel, so labels are
// about 15 px high and the values on the bars about 14 px, bold.
var Screen = Frame{W: 960, H: 500, Font: 17}

// Narrow is the frame for a screen in portrait (600 or 800 pixels wide):
// the same text size on a narrower, taller chart, so that the text stays
// as big when the chart fills the width. A page can offer both and show
// one with a media query on orientation.
var Narrow = Frame{W: 600, H: 640, Font: 17}

// box is the space a text takes.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

type layout struct {
	c      Chart
	f      Frame
	t      Texts
	d      *Display
	placed []box
	pad    float64
}

// Layout lays c out in f. It cleans every text (see [Clean]), so the
// display is safe to draw whatever the input; a chart without labels,
// series or values shows t.NoData under its title. Layout never fails;
// a frame smaller than 10 font sizes either way is enlarged.
func Layout(c Chart, f Frame) *Display {
	if f.Font <= 0 || math.IsNaN(f.Font) {
		f.Font = Screen.Font
	}
	if !(f.W >= 10*f.Font) {
		f.W = 10 * f.Font
	}
	if !(f.H >= 10*f.Font) {
		f.H = 10 * f.Font
	}
	l := &layout{c: clean(c), f: f, t: c.Texts.or(), pad: f.Font * 0.6}
	l.d = &Display{W: f.W, H: f.H, Kind: l.c.Kind, Title: l.c.Title}
	l.d.Desc = l.c.Desc
	if l.d.Desc == "" {
		l.d.Desc = l.describe()
	}
	l.draw()
	return l.d
}

// clean copies c with every text cleaned and series padded to the labels.
func clean(c Chart) Chart {
	c.Title, c.XTitle, c.YTitle, c.Note, c.Desc = Clean(c.Title), Clean(c.XTitle), Clean(c.YTitle), Clean(c.Note), Clean(c.Desc)
	labels := make([]string, len(c.Labels))
	for i, s := range c.Labels {
		labels[i] = Clean(s)
	}
	c.Labels = labels
	series := make([]Series, len(c.Series))
	for i, s := range c.Series {
		series[i] = Series{Name: Clean(s.Name), Values: s.Values}
	}
	c.Series = series
	if c.Kind == Histogram && len(c.Series) > 1 {
		c.Series = c.Series[:1]
	}
	t := c.Texts
	t.NoData, t.Median, t.Days, t.Total, t.Count, t.Decimal = Clean(t.NoData), Clean(t.Median), Clean(t.Days), Clean(t.Total), Clean(t.Count), Clean(t.Decimal)
	c.Texts = t
	return c
}

func (l *layout) add(op Op) { l.d.Ops = append(l.d.Ops, op) }

// text adds a text and reserves its box.
func (l *layout) text(t *Text) {
	l.add(t)
	l.placed = append(l.placed, textBox(t))
}

func textBox(t *Text) box {
	x := t.Left()
	return box{x, t.Y - 0.78*t.Size, x + TextWidth(t.S, t.Size, t.Bold), t.Y + 0.22*t.Size}
}

// free reports whether b is inside the frame and clear of the texts placed
// so far.
func (l *layout) free(b box) bool {
	if b.x0 < 0 || b.y0 < 0 || b.x1 > l.f.W || b.y1 > l.f.H {
		return false
	}
	for _, p := range l.placed {
		if p.overlaps(b) {
			return false
		}
	}
	return true
}

// tryText adds t unless it would collide with a text already placed; chip
// puts a white box behind it.
func (l *layout) tryText(t *Text, chip bool) bool {
	b := textBox(t)
	if chip {
		m := t.Size * 0.2
		b = box{b.x0 - m, b.y0 - m/2, b.x1 + m, b.y1 + m/2}
	}
	if !l.free(b) {
		return false
	}
	if chip {
		l.add(&Rect{X: b.x0, Y: b.y0, W: b.x1 - b.x0, H: b.y1 - b.y0, Fill: white, Class: "chip"})
	}
	l.add(t)
	l.placed = append(l.placed, b)
	return true
}

func (l *layout) draw() {
	c, f, fs := &l.c, l.f, l.f.Font
	l.add(&Rect{W: f.W, H: f.H, Fill: white, Class: "bg"})
	y := l.pad
	if c.Title != "" {
		size := fs * 1.25
		y += size
		l.text(&Text{X: l.pad, Y: y, S: fit(c.Title, size, f.W-2*l.pad, true), Size: size, Bold: true, Fill: ink, Class: "title"})
	}
	if c.Note != "" {
		y += fs * 1.4
		l.text(&Text{X: l.pad, Y: y, S: fit(c.Note, fs, f.W-2*l.pad, true), Size: fs, Bold: true, Fill: ink, Class: "note"})
	}
	if c.empty() {
		size := fs * 1.3
		mid := (y + f.H) / 2
		l.add(&Rect{X: l.pad, Y: y + fs, W: f.W - 2*l.pad, H: f.H - y - fs - l.pad, Fill: Color{0xF4, 0xF5, 0xF7},
			Stroke: gridGrey, StrokeWidth: 1, Class: "nodata"})
		l.text(&Text{X: f.W / 2, Y: mid + size*0.35, S: fit(l.t.NoData, size, f.W-4*l.pad, false), Size: size,
			Anchor: Middle, Fill: softInk, Class: "nodata"})
		return
	}
	right := f.W - l.pad
	if len(c.Series) > 1 || (c.Kind != Histogram && c.Series[0].Name != "") {
		items, bottom := l.legendTop(y + fs*0.5)
		// A long legend beside the plot leaves it more room than above it:
		// take the placement that leaves the larger plot, unless it cuts
		// more names.
		if side, w, ok := l.legendRight(y + fs*0.5); ok && cut(side) <= cut(items) {
			avail := f.H - l.pad - 5*fs
			if (f.W-2*l.pad-w)*(avail-y) > (f.W-2*l.pad)*(avail-bottom) {
				items, bottom, right = side, y, f.W-l.pad-w
			}
		}
		l.drawLegend(items)
		y = bottom
	}
	l.plot(y, right)
}

// cut counts the names cut short.
func cut(items []legendItem) (n int) {
	for _, it := range items {
		if strings.HasSuffix(it.name, ellipsis) {
			n++
		}
	}
	return n
}

// legendItem is a series' swatch and name: at x, centred on mid.
type legendItem struct {
	series int
	x, mid float64
	name   string
}

func (l *layout) legendMetrics() (size, sw, gap, space, rowH float64) {
	fs := l.f.Font
	sw = fs * 1.0 // swatch
	if l.c.Kind == Lines {
		sw = fs * 2.2
	}
	return fs * 0.9, sw, fs * 0.4, fs * 1.2, fs * 1.5
}

func (l *layout) seriesName(i int) string {
	if n := l.c.Series[i].Name; n != "" {
		return n
	}
	return "—"
}

// legendTop lays the items out in rows from y (the top of the first row)
// and returns them and the bottom of the last row. They flow left to
// right; when that takes more than a third of the frame's height they go
// in a grid of columns with names cut to fit.
func (l *layout) legendTop(y float64) ([]legendItem, float64) {
	c, f := &l.c, l.f
	size, sw, gap, space, rowH := l.legendMetrics()
	right := f.W - l.pad
	maxText := math.Max((right-l.pad)/2-sw-gap-space, f.Font*4)
	items := make([]legendItem, len(c.Series))
	x, top := l.pad, y
	for i := range c.Series {
		name := fit(l.seriesName(i), size, maxText, false)
		w := sw + gap + TextWidth(name, size, false)
		if x > l.pad && x+w > right {
			x = l.pad
			top += rowH
		}
		items[i] = legendItem{i, x, top + rowH/2, name}
		x += w + space
	}
	if maxRows := max(1, int(f.H/3/rowH)); top-y >= float64(maxRows)*rowH {
		cols := (len(items) + maxRows - 1) / maxRows
		colW := (right - l.pad + space) / float64(cols)
		for i := range items {
			top = y + float64(i/cols)*rowH
			items[i] = legendItem{i, l.pad + float64(i%cols)*colW, top + rowH/2, fit(l.seriesName(i), size, colW-space-sw-gap, false)}
		}
	}
	return items, top + rowH
}

// legendRight lays the items out in a column at the right, from y down,
// and returns them and the column's
// width; ok is false when they do not fit. Stacked bars list their series
// top down as the stacks pile them.
func (l *layout) legendRight(y float64) (items []legendItem, width float64, ok bool) {
	c, f := &l.c, l.f
	size, sw, gap, space, _ := l.legendMetrics()
	rowH := f.Font * 1.4
	if c.Kind == Lines || len(c.Series) < 3 || y+float64(len(c.Series))*rowH > f.H-l.pad-3*f.Font {
		return nil, 0, false
	}
	// At most 45% of the width, leaving each label a slot 2.5 text sizes
	// wide, but a quarter of the width in any case.
	maxW := math.Max(math.Min(f.W*0.45, f.W-2*l.pad-f.Font*(2+2.5*float64(len(c.Labels)))), f.W/4) - sw - gap - space
	textW := 0.0
	for i := range c.Series {
		textW = math.Max(textW, TextWidth(l.seriesName(i), size, false))
	}
	textW = math.Min(textW, maxW)
	width = space + sw + gap + textW
	x := f.W - l.pad - sw - gap - textW
	for k := range c.Series {
		i := k
		if c.Kind == Stacked {
			i = len(c.Series) - 1 - k
		}
		items = append(items, legendItem{i, x, y + float64(k)*rowH + rowH/2, fit(l.seriesName(i), size, textW, false)})
	}
	return items, width, true
}

func (l *layout) drawLegend(items []legendItem) {
	c, fs := &l.c, l.f.Font
	size, sw, gap, _, _ := l.legendMetrics()
	for _, it := range items {
		x, mid := it.x, it.mid
		fill, p, pink, shape, dashed := seriesStyle(it.series)
		if c.Kind == Lines {
			dash := 0.0
			if dashed {
				dash = fs * 0.45
			}
			l.add(&Line{Points: []Point{{x, mid}, {x + sw, mid}}, Stroke: fill, Width: fs * 0.2, Dash: dash, Class: "legend"})
			l.add(&Marker{X: x + sw/2, Y: mid, Size: fs * 0.7, Shape: shape, Fill: fill, Stroke: white, StrokeWidth: fs * 0.1, Class: "legend"})
		} else {
			l.add(&Rect{X: x, Y: mid - sw/2, W: sw, H: sw, Fill: fill, Pattern: p, Ink: pink, Spacing: patternSpacing(fs),
				Stroke: axisGrey, StrokeWidth: 0.5, Class: "legend"})
		}
		if it.name != "" {
			l.text(&Text{X: x + sw + gap, Y: mid + size*0.35, S: it.name, Size: size, Fill: ink, Class: "legend"})
		}
	}
}

func patternSpacing(fs float64) float64 { return fs * 0.5 }

// scale is the value axis.
type scale struct {
	top, bottom float64 // plot area, in units
	max, step   float64 // axis values
}

func (s scale) y(v float64) float64 { return s.bottom - v/s.max*(s.bottom-s.top) }

// niceScale chooses a step of 1, 2 or 5 times a power of ten giving about
// target ticks from 0 to at least max; for whole numbers the step is
// whole.
func niceScale(dmax float64, target int, whole bool) (step, top float64) {
	if !(dmax > 0) {
		dmax = 1
	}
	raw := dmax / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	if whole && step < 1 {
		step = 1
	}
	top = math.Ceil(dmax/step-1e-9) * step
	return step, top
}

func (l *layout) dataMax() (dmax float64, whole bool) {
	c := &l.c
	whole = true
	for i := range c.Labels {
		sum := 0.0
		for s := range c.Series {
			v := c.value(s, i)
			if v != math.Trunc(v) {
				whole = false
			}
			if c.Kind == Stacked {
				sum += v
			} else {
				dmax = math.Max(dmax, v)
			}
		}
		dmax = math.Max(dmax, sum)
	}
	return dmax, whole
}

// xLabels decides how the labels are set under slots slotW wide: every
// step-th label, in up to two lines.
func (l *layout) xLabels(slotW, size float64) (step int, lines [][]string) {
	c := &l.c
	step = 1
	minW := l.f.Font * 3
	for slotW*float64(step) < minW && step < len(c.Labels) {
		step++
	}
	avail := slotW*float64(step) - l.f.Font*0.3
	for {
		lines = make([][]string, len(c.Labels))
		fits := true
		for i := 0; i < len(c.Labels); i += step {
			lines[i] = wrap(c.Labels[i], size, avail, false, 2)
			if last := lines[i][len(lines[i])-1]; strings.HasSuffix(last, ellipsis) && !strings.HasSuffix(c.Labels[i], ellipsis) {
				fits = false
			}
		}
		// Cut labels are hard to read: rather show every other one whole,
		// as long as at least four remain.
		if fits || len(c.Labels)/(step+1) < 4 || avail > l.f.Font*8 {
			break
		}
		step++
		avail = slotW*float64(step) - l.f.Font*0.3
	}
	// When one label takes two lines, all that can do: "Январ 2025" over
	// "Январ" "2025" would look like a different kind of label.
	two := false
	for _, ls := range lines {
		two = two || len(ls) > 1
	}
	if two {
		for i, ls := range lines {
			if len(ls) == 1 {
				if k := strings.LastIndexByte(ls[0], ' '); k > 0 {
					lines[i] = []string{ls[0][:k], ls[0][k+1:]}
				}
			}
		}
	}
	return step, lines
}

// plot draws the axes, the bars or lines and the labels below y and left
// of right.
func (l *layout) plot(y, right float64) {
	c, f, fs := &l.c, l.f, l.f.Font
	n := len(c.Labels)
	tickSize := fs * 0.85
	if c.YTitle != "" {
		y += fs * 1.3
		l.text(&Text{X: l.pad, Y: y, S: fit(c.YTitle, tickSize, f.W-2*l.pad, false), Size: tickSize, Fill: softInk, Class: "axis"})
	}
	top := y + fs*1.5 // room for the values above the highest bar
	dmax, whole := l.dataMax()
	labelSize := fs * 0.9
	// The ticks decide the width of their labels, which decides the plot's
	// width, the labels under it and so its height, which decides how many
	// ticks fit: start from a guess and take fewer ticks until they are at
	// least 1.6 text heights apart.
	var (
		ticks       []float64
		sc          scale
		left, slotW float64
		every       int
		lines       [][]string
		bottom      float64
	)
	guess := f.H - top - l.pad - 3.5*fs
	for target := min(max(int(guess/(fs*2.6)), 1), 8); ; target-- {
		step, axisMax := niceScale(dmax, target, whole)
		ticks = ticks[:0]
		for v := 0.0; v <= axisMax+step/2; v += step {
			ticks = append(ticks, v)
		}
		tickW := 0.0
		for _, v := range ticks {
			tickW = math.Max(tickW, TextWidth(Number(v, l.t.Decimal), tickSize, false))
		}
		left = l.pad + tickW + fs*0.5
		slotW = (right - left) / float64(n)
		every, lines = l.xLabels(slotW, labelSize)
		nl := 1
		for _, ls := range lines {
			nl = max(nl, len(ls))
		}
		bottom = f.H - l.pad - float64(nl)*labelSize*1.2 - fs*0.5
		if c.XTitle != "" {
			bottom -= fs * 1.4
		}
		bottom = math.Max(bottom, top+fs)
		sc = scale{top: top, bottom: bottom, max: axisMax, step: step}
		if target <= 1 || (bottom-top)/float64(len(ticks)-1) >= tickSize*1.6 {
			break
		}
	}

	// grid and ticks
	for _, v := range ticks {
		yy := sc.y(v)
		if v > 0 {
			l.add(&Line{Points: []Point{{left, yy}, {right, yy}}, Stroke: gridGrey, Width: 1, Class: "grid"})
		}
		l.text(&Text{X: left - fs*0.4, Y: yy + tickSize*0.35, S: Number(v, l.t.Decimal), Size: tickSize, Anchor: End, Fill: softInk, Class: "axis"})
	}
	// labels under the axis (under the tick labels, if wider than their
	// slot), kept within the frame; in a frame too small for them, those
	// that would clash are left out
	for i := 0; i < n; i += every {
		for k, s := range lines[i] {
			w := TextWidth(s, labelSize, false)
			cx := left + (float64(i)+0.5)*slotW
			cx = math.Min(math.Max(cx, l.pad+w/2), right-w/2)
			l.tryText(&Text{X: cx, Y: bottom + fs*0.5 + labelSize*(0.8+1.2*float64(k)), S: s, Size: labelSize, Anchor: Middle, Fill: ink, Class: "label"}, false)
		}
	}
	if c.XTitle != "" {
		l.text(&Text{X: (left + right) / 2, Y: f.H - l.pad, S: fit(c.XTitle, tickSize, right-left, false), Size: tickSize, Anchor: Middle, Fill: softInk, Class: "axis"})
	}
	switch c.Kind {
	case Lines:
		l.add(&Line{Points: []Point{{left, bottom}, {right, bottom}}, Stroke: axisGrey, Width: 1.5, Class: "axis"})
		l.lines(sc, left, slotW)
	case Grouped:
		l.grouped(sc, left, slotW)
		l.add(&Line{Points: []Point{{left, bottom}, {right, bottom}}, Stroke: axisGrey, Width: 1.5, Class: "axis"})
	case Histogram:
		l.histogram(sc, left, slotW)
		l.add(&Line{Points: []Point{{left, bottom}, {right, bottom}}, Stroke: axisGrey, Width: 1.5, Class: "axis"})
	default:
		l.stacked(sc, left, slotW)
		l.add(&Line{Points: []Point{{left, bottom}, {right, bottom}}, Stroke: axisGrey, Width: 1.5, Class: "axis"})
	}
}

func (l *layout) tip(s, i int, v float64) string {
	name := l.c.Series[s].Name
	if name == "" || l.c.Kind == Histogram {
		return l.c.Labels[i] + ": " + Number(v, l.t.Decimal)
	}
	return l.c.Labels[i] + " · " + name + ": " + Number(v, l.t.Decimal)
}

func (l *layout) bar(s, i int, x, y, w, h, v float64) {
	fill, p, pink, _, _ := seriesStyle(s)
	if l.c.Kind == Histogram {
		p = Solid
	}
	l.add(&Rect{X: x, Y: y, W: w, H: h, Fill: fill, Pattern: p, Ink: pink, Spacing: patternSpacing(l.f.Font),
		Stroke: white, StrokeWidth: 1, Class: "bar", Tip: l.tip(s, i, v)})
}

// value writes v above a bar whose top is at y, centred on cx, if it fits
// in width w and clashes with nothing.
func (l *layout) valueAbove(v, cx, y, w, size float64) {
	t := &Text{X: cx, Y: y - size*0.35, S: Number(v, l.t.Decimal), Size: size, Anchor: Middle, Bold: true, Fill: ink, Class: "value"}
	if TextWidth(t.S, size, true) <= w {
		l.tryText(t, false)
	}
}

func (l *layout) stacked(sc scale, left, slotW float64) {
	c, fs := &l.c, l.f.Font
	w := math.Min(slotW*0.7, fs*5)
	size := fs * 0.8
	var values []*Text
	for i := range c.Labels {
		x := left + (float64(i)+0.5)*slotW - w/2
		sum := 0.0
		for s := range c.Series {
			v := c.value(s, i)
			if v == 0 {
				continue
			}
			y0, y1 := sc.y(sum), sc.y(sum+v)
			l.bar(s, i, x, y1, w, y0-y1, v)
			sum += v
			t := &Text{X: x + w/2, Y: (y0+y1)/2 + size*0.35, S: Number(v, l.t.Decimal), Size: size, Anchor: Middle, Bold: true, Fill: ink, Class: "value"}
			if y0-y1 >= size*1.25 && TextWidth(t.S, size, true)+size*0.6 <= w {
				values = append(values, t)
			}
		}
		l.valueAbove(sum, x+w/2, sc.y(sum), slotW, fs*0.85)
	}
	for _, t := range values {
		l.tryText(t, true)
	}
}

func (l *layout) grouped(sc scale, left, slotW float64) {
	c, fs := &l.c, l.f.Font
	k := float64(len(c.Series))
	group := slotW * 0.84
	bw := group / k
	size := math.Min(fs*0.8, bw*0.9)
	for i := range c.Labels {
		x0 := left + float64(i)*slotW + (slotW-group)/2
		for s := range c.Series {
			v := c.value(s, i)
			x := x0 + float64(s)*bw
			y := sc.y(v)
			if v > 0 {
				l.bar(s, i, x+bw*0.05, y, bw*0.9, sc.bottom-y, v)
			}
			if size >= fs*0.55 {
				l.valueAbove(v, x+bw/2, y, bw+fs*0.1, size)
			}
		}
	}
}

func (l *layout) histogram(sc scale, left, slotW float64) {
	c, fs := &l.c, l.f.Font
	for i := range c.Labels {
		v := c.value(0, i)
		x := left + float64(i)*slotW
		y := sc.y(v)
		if v > 0 {
			l.bar(0, i, x+slotW*0.03, y, slotW*0.94, sc.bottom-y, v)
		}
		l.valueAbove(v, x+slotW/2, y, slotW, fs*0.95)
	}
}

func (l *layout) lines(sc scale, left, slotW float64) {
	c, fs := &l.c, l.f.Font
	n := len(c.Labels)
	for s := range c.Series {
		fill, _, _, _, dashed := seriesStyle(s)
		pts := make([]Point, n)
		for i := range n {
			pts[i] = Point{left + (float64(i)+0.5)*slotW, sc.y(c.value(s, i))}
		}
		dash := 0.0
		if dashed {
			dash = fs * 0.45
		}
		l.add(&Line{Points: pts, Stroke: fill, Width: fs * 0.2, Dash: dash, Class: "line"})
	}
	for s := range c.Series {
		fill, _, _, shape, _ := seriesStyle(s)
		for i := range n {
			v := c.value(s, i)
			l.add(&Marker{X: left + (float64(i)+0.5)*slotW, Y: sc.y(v), Size: fs * 0.7, Shape: shape, Fill: fill,
				Stroke: white, StrokeWidth: fs * 0.1, Class: "point", Tip: l.tip(s, i, v)})
		}
	}
	// Values: the highest series at a point above it, the lowest below,
	// the others to the right; a value that would clash is left out.
	size := fs * 0.8
	order := make([]int, len(c.Series))
	for i := range n {
		cx := left + (float64(i)+0.5)*slotW
		for s := range order {
			order[s] = s
		}
		slices.SortStableFunc(order, func(a, b int) int {
			va, vb := c.value(a, i), c.value(b, i)
			switch {
			case va > vb:
				return -1
			case va < vb:
				return 1
			}
			return 0
		})
		for rank, s := range order {
			v := c.value(s, i)
			if v == 0 && rank > 0 {
				continue // one "0" at a point is enough: more only clutter the axis
			}
			y := sc.y(v)
			t := &Text{X: cx, S: Number(v, l.t.Decimal), Size: size, Anchor: Middle, Bold: true, Fill: ink, Class: "value"}
			switch {
			case rank == 0:
				t.Y = y - fs*0.55
			case rank == len(order)-1:
				t.Y = y + fs*0.55 + size*0.8
			default:
				t.X, t.Anchor, t.Y = cx+fs*0.55, Start, y+size*0.35
			}
			if TextWidth(t.S, size, true) <= slotW-fs*0.2 {
				l.tryText(t, true)
			}
		}
	}
}

// describe is the text alternative: each label with its values.
func (l *layout) describe() string {
	c := &l.c
	if c.empty() {
		return strings.TrimSpace(c.Note + " " + l.t.NoData)
	}
	var sb strings.Builder
	for i, label := range c.Labels {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(label)
		sb.WriteString(": ")
		sum := 0.0
		for s, ser := range c.Series {
			if s > 0 {
				sb.WriteString(", ")
			}
			if ser.Name != "" && c.Kind != Histogram {
				sb.WriteString(ser.Name)
				sb.WriteByte(' ')
			}
			v := c.value(s, i)
			sum += v
			sb.WriteString(Number(v, l.t.Decimal))
		}
		if c.Kind == Stacked && len(c.Series) > 1 {
			sb.WriteString(" (" + l.t.Total + " " + Number(sum, l.t.Decimal) + ")")
		}
	}
	if c.Note != "" {
		sb.WriteString(". " + c.Note)
	}
	return sb.String()
}
