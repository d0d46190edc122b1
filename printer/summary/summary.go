package summary

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cpckiosk/ui/chart"

	"github.com/jung-kurt/gofpdf"
)

// Summary is what the page shows. Names (of categories, settlements,
// statuses, priorities, months and weeks) are printed as given: the caller
// translates them into Lang.
type Summary struct {
	Lang     string // tg, ru, uz or en
	Centre   string // the Community Policing Centre's name
	From, To time.Time
	// Prepared is when the summary was made; it is printed and dates the
	// PDF, so the same summary gives the same bytes.
	Prepared time.Time

	ResolvedThisQuarter int
	OverdueActions      int

	// Months label the monthly charts; ByCategory has one row per issue
	// category with a count per month; Opened and Resolved count the issues
	// opened and resolved in each month.
	Months           []string
	ByCategory       []Row
	Opened, Resolved []int
	// ResolutionDays has, for each issue resolved in the period, the whole
	// days from opening to resolution; its median is a key number.
	ResolutionDays []int
	// Weeks label the weekly chart; ReportsByCategory has one row per
	// report category with a count per week.
	Weeks             []string
	ReportsByCategory []Row

	// OpenIssues are all open issues; their number is a key number. The
	// table shows as many as fit, those due first first.
	OpenIssues []Issue
}

// Row is one category's counts, one per period.
type Row struct {
	Name   string
	Counts []int
}

// Issue is a row of the open-issue table.
type Issue struct {
	Number     string
	Category   string
	Settlement string
	Status     string
	Priority   string
	NextDue    time.Time // the next action's due date; zero if none
}

// Dushanbe is the zone dates print in (Asia/Dushanbe, UTC+5, no daylight
// saving time).
var Dushanbe = time.FixedZone("TJT", 5*60*60)

// ErrInput is wrapped by the errors of a summary that cannot be printed.
var ErrInput = errors.New("invalid summary")

// page geometry, mm
const (
	pageW, pageH = 210.0, 297.0
	margin       = 14.0
	contentW     = pageW - 2*margin
	footerY      = pageH - 11
	rowH         = 5.0
	gap          = 4.0
)

// The charts' frames: 560 units across 89 mm, so the base text (18 units)
// prints at 8 pt and the smallest (the values in the bars) at 6.5 pt. The
// first row is taller: the monthly chart's legend of up to nine
// categories takes room from its bars.
var (
	topFrame    = chart.Frame{W: 560, H: 450, Font: 18}
	bottomFrame = chart.Frame{W: 560, H: 330, Font: 18}
)

// Render lays s out as a one-page A4 PDF.
func Render(s *Summary) ([]byte, error) {
	l, ok := lang[s.Lang]
	if !ok {
		return nil, fmt.Errorf("summary: %w: language %q (want tg, ru, uz or en)", ErrInput, s.Lang)
	}
	if s.Prepared.IsZero() {
		return nil, fmt.Errorf("summary: %w: no preparation time", ErrInput)
	}
	if s.To.Before(s.From) {
		return nil, fmt.Errorf("summary: %w: period ends %s before it starts %s", ErrInput, date(s.To), date(s.From))
	}
	fs, err := fonts()
	if err != nil {
		return nil, err
	}
	r := &renderer{s: s, l: l, fs: fs}
	out, err := r.render()
	if err != nil {
		return nil, fmt.Errorf("summary: render: %w", err)
	}
	return out, nil
}

type renderer struct {
	s  *Summary
	l  *texts
	fs *fontSet
	f  *gofpdf.Fpdf
}

func date(t time.Time) string { return t.In(Dushanbe).Format("02.01.2006") }

func (r *renderer) render() ([]byte, error) {
	s, l := r.s, r.l
	f := gofpdf.New("P", "mm", "A4", "")
	r.f = f
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetCreationDate(s.Prepared.UTC())
	f.SetModificationDate(s.Prepared.UTC())
	f.SetTitle(r.fs.clean(l.Title+" · "+s.Centre), true)
	f.SetAuthor(r.fs.clean(s.Centre), true)
	f.SetCreator("CPC Kiosk", false)
	f.SetProducer("CPC Kiosk", false)
	f.AddUTF8FontFromBytes("sans", "", r.fs.sans)
	f.AddUTF8FontFromBytes("sans", "B", r.fs.bold)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, 0)
	f.SetCellMargin(1)
	f.AddPage()

	y := r.header(margin)
	y = r.keyNumbers(y + 3)
	y = r.charts(y + gap)
	r.table(y+gap, footerY-3)
	r.footer()

	if err := f.Error(); err != nil {
		return nil, err
	}
	if n := f.PageCount(); n != 1 {
		return nil, fmt.Errorf("laid out %d pages, want 1", n)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r *renderer) color(g int) {
	r.f.SetTextColor(g, g, g)
	r.f.SetDrawColor(g, g, g)
}

// cell prints one line of s in a cell w wide, cut with "…" if too long.
func (r *renderer) cell(x, y, w, h float64, s, align string) {
	f := r.f
	s = r.fit(r.fs.clean(s), w-2*f.GetCellMargin())
	f.SetXY(x, y)
	f.CellFormat(w, h, s, "", 0, align, false, 0, "")
}

// fit cuts s to width w in the current font.
func (r *renderer) fit(s string, w float64) string {
	f := r.f
	if f.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && f.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return strings.TrimRight(string(rs), " ") + "…"
}

func (r *renderer) header(y float64) float64 {
	f, s, l := r.f, r.s, r.l
	r.color(0)
	f.SetFont("sans", "B", 16)
	r.cell(margin, y, contentW, 8, l.Title, "L")
	f.SetFont("sans", "B", 11)
	r.cell(margin, y+8.5, contentW, 5.5, s.Centre, "L")
	f.SetFont("sans", "", 10)
	r.cell(margin, y+14, contentW*0.6, 5, l.Period+": "+date(s.From)+" – "+date(s.To), "L")
	f.SetFont("sans", "", 8.5)
	r.color(70)
	r.cell(margin+contentW*0.6, y+14.5, contentW*0.4, 4.5, l.Prepared+": "+s.Prepared.In(Dushanbe).Format("02.01.2006 15:04"), "R")
	r.color(0)
	y += 20
	f.SetLineWidth(0.5)
	f.Line(margin, y, pageW-margin, y)
	f.SetLineWidth(0.2)
	return y
}

// keyNumbers draws four boxes: a big number over its name.
func (r *renderer) keyNumbers(y float64) float64 {
	f, s, l := r.f, r.s, r.l
	median := "—"
	if m, ok := chart.Median(s.ResolutionDays); ok {
		median = chart.Number(m, l.Chart.Decimal)
	}
	boxes := []struct{ n, label string }{
		{strconv.Itoa(len(s.OpenIssues)), l.Open},
		{strconv.Itoa(s.ResolvedThisQuarter), l.ResolvedQ},
		{strconv.Itoa(s.OverdueActions), l.Overdue},
		{median, l.Median},
	}
	const h = 21.0
	w := (contentW - 3*3) / 4
	for i, b := range boxes {
		x := margin + float64(i)*(w+3)
		f.SetFillColor(238, 241, 246)
		f.SetDrawColor(190, 196, 205)
		f.Rect(x, y, w, h, "FD")
		r.color(0)
		f.SetFont("sans", "B", 20)
		r.cell(x, y+1.5, w, 9, b.n, "C")
		f.SetFont("sans", "", 8)
		lines := f.SplitText(r.fs.clean(b.label), w-2)
		if len(lines) > 2 {
			lines = []string{lines[0], r.fit(strings.Join(lines[1:], " "), w-2)}
		}
		for k, line := range lines {
			r.cell(x, y+11+float64(k)*3.8, w, 3.8, line, "C")
		}
	}
	return y + h
}

func rows(rs []Row) []chart.Series {
	out := make([]chart.Series, len(rs))
	for i, r := range rs {
		out[i] = chart.Series{Name: r.Name, Values: chart.Ints(r.Counts)}
	}
	return out
}

// charts draws the four charts in two rows of two.
func (r *renderer) charts(y float64) float64 {
	s, l := r.s, r.l
	t := l.Chart
	charts := []chart.Chart{
		{Kind: chart.Stacked, Title: l.ByCategory, Labels: s.Months, Series: rows(s.ByCategory), YTitle: l.Issues, Texts: t},
		{Kind: chart.Lines, Title: l.OpenedResolved, Labels: s.Months, Texts: t, Series: []chart.Series{
			{Name: l.Opened, Values: chart.Ints(s.Opened)}, {Name: l.Resolved, Values: chart.Ints(s.Resolved)}}},
		chart.Resolution(l.Days, s.ResolutionDays, t),
		{Kind: chart.Stacked, Title: l.Weekly, Labels: s.Weeks, Series: rows(s.ReportsByCategory), YTitle: l.Reports, Texts: t},
	}
	w := (contentW - gap) / 2
	for i, c := range charts {
		fr := topFrame
		if i >= 2 {
			fr = bottomFrame
		}
		h := w * fr.H / fr.W
		x := margin + float64(i%2)*(w+gap)
		drawChart(r.f, r.fs, chart.Layout(c, fr), x, y, w)
		r.f.SetDrawColor(200, 204, 210)
		r.f.SetLineWidth(0.2)
		r.f.Rect(x, y, w, h, "D")
		if i%2 == 1 {
			y += h + gap
		}
	}
	return y - gap
}

// due orders issues: the earliest next action first, those without one
// last, then by number.
func due(a, b Issue) int {
	switch {
	case a.NextDue.IsZero() != b.NextDue.IsZero():
		if a.NextDue.IsZero() {
			return 1
		}
		return -1
	case !a.NextDue.Equal(b.NextDue):
		return a.NextDue.Compare(b.NextDue)
	}
	return cmp.Compare(a.Number, b.Number)
}

// table draws the open issues from y down to at most bottom.
func (r *renderer) table(y, bottom float64) {
	f, s, l := r.f, r.s, r.l
	r.color(0)
	f.SetFont("sans", "B", 10.5)
	r.cell(margin, y, contentW, 6, fmt.Sprintf("%s (%d)", l.OpenIssues, len(s.OpenIssues)), "L")
	y += 6.5
	if len(s.OpenIssues) == 0 {
		f.SetFont("sans", "", 9)
		r.cell(margin, y, contentW, rowH, l.None, "L")
		return
	}
	issues := slices.Clone(s.OpenIssues)
	slices.SortStableFunc(issues, due)
	cols := []float64{24, 37, 34, 27, 22, contentW - 24 - 37 - 34 - 27 - 22}
	head := []string{l.Number, l.Category, l.Settlement, l.Status, l.Priority, l.NextDue}
	row := func(y float64, cells []string, shade bool, overdue bool) {
		x := margin
		if shade {
			f.SetFillColor(238, 241, 246)
			f.Rect(margin, y, contentW, rowH, "F")
		}
		for i, c := range cells {
			style := ""
			if overdue && i == len(cells)-1 {
				style = "B"
			}
			f.SetFont("sans", style, 8)
			r.cell(x, y, cols[i], rowH, c, "L")
			x += cols[i]
		}
		f.SetDrawColor(200, 204, 210)
		f.Line(margin, y+rowH, margin+contentW, y+rowH)
	}
	// The heading row, in bold, in one or two lines.
	f.SetFont("sans", "B", 7.5)
	heads := make([][]string, len(head))
	lines := 1
	for i, h := range head {
		heads[i] = f.SplitText(r.fs.clean(h), cols[i]-2*f.GetCellMargin())
		if len(heads[i]) > 2 {
			heads[i] = []string{heads[i][0], strings.Join(heads[i][1:], " ")}
		}
		lines = max(lines, len(heads[i]))
	}
	headH := float64(lines)*3.4 + 1.6
	f.SetFillColor(238, 241, 246)
	f.Rect(margin, y, contentW, headH, "F")
	x := margin
	for i := range heads {
		for k, line := range heads[i] {
			r.cell(x, y+0.8+float64(k)*3.4, cols[i], 3.4, line, "L")
		}
		x += cols[i]
	}
	f.SetDrawColor(200, 204, 210)
	f.Line(margin, y+headH, margin+contentW, y+headH)
	y += headH
	// Rows that fit, keeping one line for "and N more" when some are left.
	fit := int((bottom - y) / rowH)
	n := len(issues)
	if n > fit {
		n = max(fit-1, 0)
	}
	today := s.Prepared.In(Dushanbe).Format("2006-01-02")
	for i, is := range issues[:n] {
		dueText, overdue := "—", false
		if !is.NextDue.IsZero() {
			dueText = date(is.NextDue)
			if is.NextDue.In(Dushanbe).Format("2006-01-02") < today {
				dueText, overdue = "! "+dueText, true
			}
		}
		row(y, []string{is.Number, is.Category, is.Settlement, is.Status, is.Priority, dueText}, i%2 == 1, overdue)
		y += rowH
	}
	if n < len(issues) {
		f.SetFont("sans", "B", 8.5)
		r.cell(margin, y+0.5, contentW, rowH, fmt.Sprintf(l.More, len(issues)-n), "L")
	}
}

func (r *renderer) footer() {
	f, l := r.f, r.l
	r.color(90)
	f.SetLineWidth(0.2)
	f.Line(margin, footerY, pageW-margin, footerY)
	f.SetFont("sans", "", 7.5)
	r.cell(margin, footerY+0.8, contentW/2, 4, "CPC Kiosk · "+r.s.Centre, "L")
	r.cell(margin+contentW/2, footerY+0.8, contentW/2, 4, l.OverdueMark, "R")
	r.color(0)
}
