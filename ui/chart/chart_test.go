package chart

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite metrics.go and the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test -update creates it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got: %.400s\nwant: %.400s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	for name, c := range samples() {
		t.Run(name, func(t *testing.T) {
			svg := SVG(c, Screen, SVGOptions{ID: name})
			golden(t, name+".svg", svg)
			var csvOut bytes.Buffer
			corner := "Моҳ"
			if c.Kind == Histogram {
				corner = ""
			}
			if err := WriteCSV(&csvOut, c, CSVOptions{Corner: corner}); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".csv", csvOut.Bytes())
		})
	}
}

// svgDoc is what TestSVGIsXML reads back.
type svgDoc struct {
	XMLName    xml.Name `xml:"svg"`
	ViewBox    string   `xml:"viewBox,attr"`
	Role       string   `xml:"role,attr"`
	Labelledby string   `xml:"aria-labelledby,attr"`
	Style      string   `xml:"style,attr"`
	Title      struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"title"`
	Desc struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"desc"`
	Rects []struct {
		Class string `xml:"class,attr"`
		Fill  string `xml:"fill,attr"`
		W     string `xml:"width,attr"`
		H     string `xml:"height,attr"`
		Tip   string `xml:"title"`
	} `xml:"rect"`
	Texts []struct {
		Class string `xml:"class,attr"`
		Size  string `xml:"font-size,attr"`
		Text  string `xml:",chardata"`
	} `xml:"text"`
}

// parseSVG decodes an SVG strictly and checks what every chart must have.
func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, b)
	}
	// Nothing may follow the root element.
	if tok, err := d.Token(); err == nil {
		if cd, ok := tok.(xml.CharData); !ok || strings.TrimSpace(string(cd)) != "" {
			t.Fatalf("content after </svg>: %v", tok)
		}
	}
	if !bytes.Contains(b, []byte(`xmlns="http://www.w3.org/2000/svg"`)) {
		t.Error("no SVG namespace")
	}
	if doc.Role != "img" || doc.ViewBox == "" || doc.Style != "" {
		t.Errorf("root: role %q viewBox %q style %q", doc.Role, doc.ViewBox, doc.Style)
	}
	if doc.Labelledby != doc.Title.ID+" "+doc.Desc.ID || doc.Title.ID == "" {
		t.Errorf("aria-labelledby %q, title id %q, desc id %q", doc.Labelledby, doc.Title.ID, doc.Desc.ID)
	}
	if bytes.Contains(b, []byte("style=")) || bytes.Contains(b, []byte("<style")) || bytes.Contains(b, []byte("<script")) {
		t.Error("SVG uses style or script, which the kiosk's CSP blocks")
	}
	for _, txt := range doc.Texts {
		if txt.Size == "" {
			t.Errorf("text %q without font-size", txt.Text)
		}
	}
	return doc
}

func TestSVGIsXML(t *testing.T) {
	for name, c := range samples() {
		t.Run(name, func(t *testing.T) {
			doc := parseSVG(t, SVG(c, Screen, SVGOptions{ID: name}))
			if doc.Title.Text != Clean(c.Title) {
				t.Errorf("title %q, want %q", doc.Title.Text, c.Title)
			}
			if doc.Desc.Text == "" {
				t.Error("empty desc")
			}
			bars, values := 0, 0
			for _, r := range doc.Rects {
				if r.Class == "bar" {
					bars++
					if r.Tip == "" {
						t.Error("bar without a <title>")
					}
				}
			}
			var nodata bool
			for _, txt := range doc.Texts {
				switch txt.Class {
				case "value":
					values++
				case "nodata":
					nodata = txt.Text == TextsFor("tg").NoData
				}
			}
			empty := strings.HasPrefix(name, "empty")
			if empty != nodata {
				t.Errorf("empty %v, shows no-data message %v", empty, nodata)
			}
			if !empty && c.Kind != Lines && (bars == 0 || values == 0) {
				t.Errorf("%d bars, %d values", bars, values)
			}
		})
	}
}

// TestHostileText feeds text that must not break the XML or the layout.
func TestHostileText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"markup", `<script>alert("x")</script> & 'q'`, `<script>alert("x")</script> & 'q'`},
		{"invalid UTF-8", "Дуз\xffдӣ\xc3", "Дуз\uFFFDдӣ\uFFFD"},
		{"controls", "a\x00b\x1bc\u202Ed\u200Be\uFEFF", "abcde"},
		{"line breaks", "  Рӯшноии\n\tкӯча\r\n ", "Рӯшноии кӯча"},
		{"decomposed Tajik", "и\u0304 у\u0304", "ӣ ӯ"},
		{"noncharacters", "x\uFFFEy\uFFFF", "xy"},
		{"CDATA end", "]]>", "]]>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
			c := Chart{Kind: Stacked, Title: tc.in, Labels: []string{tc.in, "b"}, YTitle: tc.in, XTitle: tc.in, Note: tc.in,
				Series: []Series{{Name: tc.in, Values: []float64{1, 2}}, {Name: "x", Values: []float64{3}}},
				Texts:  Texts{NoData: tc.in, Decimal: tc.in}}
			for _, kind := range []Kind{Stacked, Grouped, Lines, Histogram} {
				c.Kind = kind
				doc := parseSVG(t, SVG(c, Screen, SVGOptions{ID: "x\"><script>", FontFamily: `"><script>`}))
				if doc.Title.Text != tc.want {
					t.Errorf("%v: title %q, want %q", kind, doc.Title.Text, tc.want)
				}
			}
			var b bytes.Buffer
			if err := WriteCSV(&b, c, CSVOptions{}); err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(b.Bytes()) {
				t.Error("CSV is not valid UTF-8")
			}
		})
	}
	// A Display built by hand, with raw strings, still gives valid XML.
	d := &Display{W: 100, H: 100, Title: "a\x00\xff<", Desc: "\uFFFE&", Ops: []Op{
		&Text{X: 1, Y: 2, S: "x\x01\xfe]]>", Size: 3, Class: `"'<`},
		&Rect{W: 1, H: 1, Tip: "\x00<"},
	}}
	var b bytes.Buffer
	if err := d.WriteSVG(&b, SVGOptions{}); err != nil {
		t.Fatal(err)
	}
	parseSVG(t, b.Bytes())
}

// TestTextsDoNotCollide checks the layout's promise: no two texts overlap
// and every text is inside the frame, for the samples in three frames and
// for odd data.
func TestTextsDoNotCollide(t *testing.T) {
	charts := samples()
	long := strings.Repeat("Шахси бедарак гумшуда ", 5)
	charts["long labels"] = Chart{Kind: Grouped, Title: long + long, Labels: []string{long, long, long},
		Series: []Series{{Name: long, Values: []float64{1, 2, 3}}, {Name: long + "2", Values: []float64{3, 2, 1}}}, YTitle: long, XTitle: long}
	charts["52 weeks"] = func() Chart {
		c := weekly()
		c.Labels = nil
		for w := 1; w <= 52; w++ {
			c.Labels = append(c.Labels, fmt.Sprintf("Ҳафтаи %d", w))
		}
		for i := range c.Series {
			c.Series[i].Values = table(1, 52, uint64(i))[0]
		}
		return c
	}()
	charts["big numbers"] = Chart{Kind: Lines, Labels: monthsTG[:3], Series: []Series{
		{Name: "a", Values: []float64{123456, 7, 99999.95}}, {Name: "b", Values: []float64{123456, 0.25, math.NaN()}}, {Name: "c", Values: []float64{-4, math.Inf(1), 5}}}}
	charts["one label"] = Chart{Kind: Stacked, Labels: []string{"Январ"}, Series: []Series{{Name: "a", Values: []float64{3}}}}
	charts["zeros"] = Chart{Kind: Histogram, Labels: []string{"0–7", "8–14"}, Series: []Series{{Values: []float64{0, 0}}}}
	for name, c := range charts {
		for _, f := range []Frame{Screen, {W: 560, H: 380, Font: 18}, {W: 300, H: 200, Font: 16}} {
			t.Run(fmt.Sprintf("%s/%gx%g", name, f.W, f.H), func(t *testing.T) {
				d := Layout(c, f)
				var boxes []box
				for _, op := range d.Ops {
					txt, ok := op.(*Text)
					if !ok {
						continue
					}
					b := textBox(txt)
					if b.x0 < -0.01 || b.y0 < -0.01 || b.x1 > d.W+0.01 || b.y1 > d.H+0.01 {
						t.Errorf("text %q at %.1f,%.1f-%.1f,%.1f leaves the %gx%g frame", txt.S, b.x0, b.y0, b.x1, b.y1, d.W, d.H)
					}
					for _, o := range boxes {
						if o.overlaps(b) {
							t.Errorf("text %q overlaps another at %.1f,%.1f", txt.S, b.x0, b.y0)
						}
					}
					boxes = append(boxes, b)
				}
				parseSVG(t, SVG(c, f, SVGOptions{}))
			})
		}
	}
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		max       float64
		target    int
		whole     bool
		step, top float64
	}{
		{42, 5, true, 10, 50},
		{40, 5, true, 10, 40},
		{0, 5, true, 1, 1},
		{3, 5, true, 1, 3},
		{0.3, 5, false, 0.1, 0.30000000000000004},
		{97, 4, true, 50, 100},
		{1234, 6, true, 500, 1500},
		{11, 4, true, 5, 15},
		{math.NaN(), 4, true, 1, 1},
	} {
		step, top := niceScale(tc.max, tc.target, tc.whole)
		if math.Abs(step-tc.step) > 1e-9 || math.Abs(top-tc.top) > 1e-9 {
			t.Errorf("niceScale(%g, %d, %v) = %g, %g; want %g, %g", tc.max, tc.target, tc.whole, step, top, tc.step, tc.top)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		v        float64
		dec, out string
	}{
		{12, ",", "12"}, {12.5, ",", "12,5"}, {12.5, ".", "12.5"}, {0.04, ".", "0"}, {7.96, ",", "8"}, {1e6, ".", "1000000"},
	} {
		if got := Number(tc.v, tc.dec); got != tc.out {
			t.Errorf("Number(%g, %q) = %q, want %q", tc.v, tc.dec, got, tc.out)
		}
	}
}

func TestFitAndWrap(t *testing.T) {
	const size = 10
	for _, tc := range []struct {
		name  string
		s     string
		w     float64
		lines int
		want  []string
	}{
		{"fits", "Январ", 100, 2, []string{"Январ"}},
		{"wraps at space", "Сентябр 2025", 45, 2, []string{"Сентябр", "2025"}},
		{"cuts last line", "Муҳоҷирати меҳнатӣ ва оилаҳои муҳоҷирон", 90, 2, []string{"Муҳоҷирати", "меҳнатӣ ва ои..."}},
		{"one line cut", "Муҳоҷирати меҳнатӣ", 50, 1, []string{"Муҳоҷи..."}},
		{"nothing fits", "Ҷ", 2, 1, []string{""}},
		{"hyphen", "Шимолӣ-ғарбӣ", 48, 2, []string{"Шимолӣ-", "ғарбӣ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wrap(tc.s, size, tc.w, false, tc.lines)
			if !slices.Equal(got, tc.want) {
				t.Errorf("wrap(%q, %g) = %q, want %q", tc.s, tc.w, got, tc.want)
			}
			for _, l := range got {
				if w := TextWidth(l, size, false); w > tc.w {
					t.Errorf("line %q is %.1f wide, more than %g", l, w, tc.w)
				}
			}
		})
	}
}

func TestTextWidth(t *testing.T) {
	// DejaVu Sans: "Ҷ" is wider than "и"; digits are all 0.636 em.
	if w := TextWidth("0123456789", 10, false); math.Abs(w-63.6) > 0.01 {
		t.Errorf("digits: %g", w)
	}
	if TextWidth("Ҷ", 10, true) <= TextWidth("Ҷ", 10, false) {
		t.Error("bold is not wider")
	}
	if TextWidth("中", 10, false) != 10 || TextWidth("\u0301", 10, false) != 0 {
		t.Error("estimates for runes outside the table")
	}
}

func TestDistribution(t *testing.T) {
	for _, tc := range []struct {
		name   string
		days   []int
		counts []int
		median float64
		ok     bool
	}{
		{"none", nil, []int{0, 0, 0, 0, 0, 0}, 0, false},
		{"edges", []int{0, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91, 5000}, []int{2, 2, 2, 2, 2, 2}, 30.5, true},
		{"negative is 0", []int{-3, 2, 100}, []int{2, 0, 0, 0, 0, 1}, 2, true},
		{"odd", []int{9, 1, 30}, []int{1, 1, 1, 0, 0, 0}, 9, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Count(tc.days, DayBuckets); !slices.Equal(got, tc.counts) {
				t.Errorf("Count = %v, want %v", got, tc.counts)
			}
			m, ok := Median(tc.days)
			if m != tc.median || ok != tc.ok {
				t.Errorf("Median = %g, %v; want %g, %v", m, ok, tc.median, tc.ok)
			}
		})
	}
	c := Resolution("R", []int{1, 2, 3, 10}, TextsFor("ru"))
	if c.Note != "Медиана: 2,5 дн." || !slices.Equal(c.Labels, []string{"0-7", "8-14", "15-30", "31-60", "61-90", ">90"}) {
		t.Errorf("note %q labels %q", c.Note, c.Labels)
	}
}

func TestCSV(t *testing.T) {
	c := Chart{Kind: Grouped, Labels: []string{"Янв, 2025", `"Фев"`, "=1+1", "Мар\nт"},
		Series: []Series{{Name: "Открыто", Values: []float64{1, 2.5, math.NaN()}}, {Name: "-Решено; всё", Values: []float64{-1, 4, 5, 6}}}}
	for _, tc := range []struct {
		name string
		o    CSVOptions
		want string
	}{
		{"default", CSVOptions{Corner: "Месяц"},
			"\uFEFFМесяц,Открыто,'-Решено; всё\r\n\"Янв, 2025\",1,0\r\n\"\"\"Фев\"\"\",2.5,4\r\n'=1+1,0,5\r\nМар т,0,6\r\n"},
		{"semicolon, no BOM", CSVOptions{NoBOM: true, Comma: ';'},
			";Открыто;\"'-Решено; всё\"\r\nЯнв, 2025;1;0\r\n\"\"\"Фев\"\"\";2.5;4\r\n'=1+1;0;5\r\nМар т;0;6\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteCSV(&b, c, tc.o); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got  %q\nwant %q", b.String(), tc.want)
			}
			// It reads back with encoding/csv (after the BOM).
			r := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF")))
			if tc.o.Comma != 0 {
				r.Comma = tc.o.Comma
			}
			rows, err := r.ReadAll()
			if err != nil || len(rows) != 5 || rows[2][0] != `"Фев"` {
				t.Errorf("read back: %q, %v", rows, err)
			}
		})
	}
	if err := WriteCSV(failWriter{}, c, CSVOptions{}); err == nil {
		t.Error("no error from a failing writer")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// TestLayoutDecisions checks choices a reader relies on.
func TestLayoutDecisions(t *testing.T) {
	count := func(d *Display, class string) (n int) {
		for _, op := range d.Ops {
			switch op := op.(type) {
			case *Rect:
				if op.Class == class {
					n++
				}
			case *Text:
				if op.Class == class {
					n++
				}
			case *Marker:
				if op.Class == class {
					n++
				}
			}
		}
		return n
	}
	texts := func(d *Display, class string) (out []string) {
		for _, op := range d.Ops {
			if t, ok := op.(*Text); ok && t.Class == class {
				out = append(out, t.S)
			}
		}
		return out
	}
	t.Run("stacked totals", func(t *testing.T) {
		c := byCategory(Stacked)
		d := Layout(c, Screen)
		var totals []string
		for i := range monthsTG {
			sum := 0.0
			for s := range categoriesTG {
				sum += c.value(s, i)
			}
			totals = append(totals, Number(sum, ","))
		}
		vals := texts(d, "value")
		for _, want := range totals {
			if !slices.Contains(vals, want) {
				t.Errorf("total %s not written", want)
			}
		}
		if n := count(d, "legend"); n != 2*len(categoriesTG) {
			t.Errorf("legend has %d items, want a swatch and a name for each of %d series", n, len(categoriesTG))
		}
	})
	t.Run("every series has its own look", func(t *testing.T) {
		seen := map[string]bool{}
		for i := range 20 {
			fill, p, _, shape, dashed := seriesStyle(i)
			k := fmt.Sprint(fill, p)
			if seen[k] {
				t.Errorf("series %d looks like an earlier one", i)
			}
			seen[k] = true
			_, _, _, shape2, dashed2 := seriesStyle(i + 1)
			if shape == shape2 && dashed == dashed2 {
				t.Errorf("lines %d and %d look alike", i, i+1)
			}
		}
	})
	t.Run("lines", func(t *testing.T) {
		d := Layout(openedResolved(Lines), Screen)
		if n := count(d, "point"); n != 24 {
			t.Errorf("%d points, want 24", n)
		}
		if n := len(texts(d, "value")); n < 20 {
			t.Errorf("only %d of 24 values written", n)
		}
	})
	t.Run("histogram note", func(t *testing.T) {
		d := Layout(resolution(), Screen)
		notes := texts(d, "note")
		m, _ := Median(resolutionDays)
		if len(notes) != 1 || notes[0] != "Медиана: "+Number(m, ",")+" рӯз" {
			t.Errorf("note %q", notes)
		}
		if got := texts(d, "label"); !slices.Equal(got, []string{"0-7", "8-14", "15-30", "31-60", "61-90", ">90"}) {
			t.Errorf("labels %q", got)
		}
	})
	t.Run("52 weeks show every few labels", func(t *testing.T) {
		c := Chart{Kind: Stacked, Series: []Series{{Name: "a", Values: make([]float64, 52)}}}
		for w := range 52 {
			c.Labels = append(c.Labels, fmt.Sprintf("%02d.%02d", 1+w%28, 1+w/5))
			c.Series[0].Values[w] = float64(w % 7)
		}
		got := texts(Layout(c, Screen), "label")
		if len(got) < 8 || len(got) > 26 {
			t.Errorf("%d labels shown: %q", len(got), got)
		}
		for _, s := range got {
			if strings.HasSuffix(s, ellipsis) {
				t.Errorf("label cut: %q", s)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		for _, c := range []Chart{{}, {Labels: []string{"a"}}, {Series: []Series{{Name: "a", Values: []float64{1}}}},
			{Labels: []string{"a"}, Series: []Series{{Name: "a"}}}} {
			d := Layout(c, Screen)
			if got := texts(d, "nodata"); !slices.Equal(got, []string{"No data"}) {
				t.Errorf("%+v: %q", c, got)
			}
			if count(d, "bar") != 0 {
				t.Error("bars in an empty chart")
			}
		}
	})
	t.Run("tiny frame", func(t *testing.T) {
		d := Layout(byCategory(Stacked), Frame{W: 1, H: -5, Font: math.NaN()})
		if d.W < 10*Screen.Font || d.H < 10*Screen.Font {
			t.Errorf("frame %gx%g", d.W, d.H)
		}
	})
}

// TestWriteTable: the table writer shares WriteCSV's encoding and guards
// every text cell, also against a leading tab or carriage return.
func TestWriteTable(t *testing.T) {
	var b strings.Builder
	err := WriteTable(&b, []string{"Рақам", "=cmd"}, [][]string{
		{"ISF-P-26-0001", "@SUM(A1)"}, {"-1", "\tx"}, {"a,b", "ok \"quoted\""}, {"\u202eevil", "line\nbreak"},
	}, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFРақам,'=cmd\r\nISF-P-26-0001,'@SUM(A1)\r\n'-1,x\r\n\"a,b\",\"ok \"\"quoted\"\"\"\r\nevil,line break\r\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	b.Reset()
	if err := WriteTable(&b, nil, [][]string{{"+1", "2"}}, CSVOptions{NoBOM: true, Comma: ';'}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "'+1;2\r\n" {
		t.Errorf("got %q", b.String())
	}
	if cell("\rx") != "'\rx" || cell("\tx") != "'\tx" {
		t.Error("a leading tab or carriage return is not guarded")
	}
}

// TestLinesOneZeroPerPoint: where several lines are at 0, one "0" is
// written, not one per line piled on the axis.
func TestLinesOneZeroPerPoint(t *testing.T) {
	c := Chart{Kind: Lines, Labels: []string{"a", "b", "c"}, Series: []Series{
		{Name: "x", Values: []float64{0, 5, 0}}, {Name: "y", Values: []float64{0, 2, 0}}, {Name: "z", Values: []float64{0, 1, 0}}}}
	zeros, values := 0, 0
	for _, op := range Layout(c, Screen).Ops {
		if tx, ok := op.(*Text); ok && tx.Class == "value" {
			values++
			if tx.S == "0" {
				zeros++
			}
		}
	}
	if zeros != 2 || values != 5 {
		t.Errorf("%d zeros and %d values written, want 2 and 5", zeros, values)
	}
}
