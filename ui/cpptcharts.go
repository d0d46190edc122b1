package ui

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
	"cpckiosk/printer/summary"
	"cpckiosk/ui/chart"
)

// The team's charts, drawn on the server as SVG (ui/chart) and put in the
// page as inline <svg> elements: presentation attributes only, so they
// render under the kiosk's Content-Security-Policy. The same charts, as
// data, are the CSV export; the same data feeds the one-page PDF summary
// (printer/summary), which the team takes to its meeting or prints on the
// centre's A4 printer.

// The periods of the charts: the last chartMonths calendar months and the
// last chartWeeks ISO weeks, the current ones included.
const (
	chartMonths = 12
	chartWeeks  = 13
)

// Frames of the charts on the page. The wide ones fill the content's width
// on a 1280x800 screen (about one unit per pixel); the half ones sit two
// in a row. In portrait the wide ones switch to a narrower, taller frame
// (a media query shows one of the two), so that their text stays as big.
var (
	wideFrame   = chart.Frame{W: 1200, H: 520, Font: 19}
	narrowFrame = chart.Frame{W: 600, H: 640, Font: 17}
	halfFrame   = chart.Frame{W: 600, H: 440, Font: 18}
)

// cpptStats is what the charts, the CSV and the summary count.
type cpptStats struct {
	Now    time.Time
	Issues *kiosk.IssueStats
	Weeks  *kiosk.CategoryWeeks
}

func loadStats(ctx context.Context, cp *kiosk.CPPT) (*cpptStats, error) {
	now := cp.Now()
	st := &cpptStats{Now: now}
	first := time.Date(now.In(kiosk.Zone).Year(), now.In(kiosk.Zone).Month()-chartMonths+1, 1, 0, 0, 0, 0, kiosk.Zone)
	var err error
	if st.Issues, err = cp.Stats(ctx, first, now); err != nil {
		return nil, err
	}
	if st.Weeks, err = cp.ReportWeeks(ctx, kiosk.DayStart(now).AddDate(0, 0, -7*(chartWeeks-1)), now); err != nil {
		return nil, err
	}
	return st, nil
}

// monthLabel names a month of the statistics ("2026-04") as "Апрел 2026".
func monthLabel(lang, ym string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	return tr(lang, "cppt.month."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
}

// weekLabel names an ISO week ("2026-W14") by its Monday, "30.03".
func weekLabel(week string) string {
	var y, w int
	if _, err := fmt.Sscanf(week, "%d-W%d", &y, &w); err != nil {
		return week
	}
	// The Monday of ISO week 1 is the Monday of the week of 4 January.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, kiosk.Zone)
	mon := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
	return mon.Format("02.01")
}

// catName names a category from the catalog (prefix + id), or by its id
// when the catalog does not know it (a category of a newer version).
func catName(lang, prefix, id string) string {
	if has(lang, prefix+id) {
		return tr(lang, prefix+id)
	}
	return id
}

// namedChart is one chart of the page with its id in URLs.
type namedChart struct {
	Name  string // by_category, opened_resolved, resolution, reports_weekly
	Chart chart.Chart
	Wide  bool
}

// chartNames are the charts in page order.
var chartNames = []string{"by_category", "opened_resolved", "resolution", "reports_weekly"}

// buildCharts makes the four charts in lang from st.
func buildCharts(lang string, st *cpptStats) []namedChart {
	t := chart.TextsFor(lang)
	months := make([]string, len(st.Issues.Months))
	for k, m := range st.Issues.Months {
		months[k] = monthLabel(lang, m)
	}
	byCat := chart.Chart{Kind: chart.Stacked, Title: tr(lang, "cppt.chart.by_category"), Labels: months,
		YTitle: tr(lang, "cppt.chart.issues"), Texts: t}
	for k, cat := range st.Issues.Categories {
		if total(st.Issues.ByCategory[k]) == 0 {
			continue // a category without issues only lengthens the legend
		}
		byCat.Series = append(byCat.Series, chart.Series{Name: catName(lang, "cppt.cat.", string(cat)), Values: chart.Ints(st.Issues.ByCategory[k])})
	}
	openRes := chart.Chart{Kind: chart.Lines, Title: tr(lang, "cppt.chart.opened_resolved"), Labels: months, Texts: t,
		Series: []chart.Series{{Name: tr(lang, "cppt.chart.opened"), Values: chart.Ints(st.Issues.Opened)},
			{Name: tr(lang, "cppt.chart.resolved"), Values: chart.Ints(st.Issues.Resolved)}}}
	if total(st.Issues.Opened)+total(st.Issues.Resolved) == 0 {
		openRes.Series = nil
	}
	res := chart.Resolution(tr(lang, "cppt.chart.resolution"), st.Issues.DaysToResolution, t)
	weeks := make([]string, len(st.Weeks.Weeks))
	for k, w := range st.Weeks.Weeks {
		weeks[k] = weekLabel(w)
	}
	weekly := chart.Chart{Kind: chart.Stacked, Title: tr(lang, "cppt.chart.reports_weekly"), Labels: weeks,
		YTitle: tr(lang, "cppt.chart.reports"), XTitle: tr(lang, "cppt.chart.week_of"), Texts: t}
	for k, cat := range st.Weeks.Categories {
		if total(st.Weeks.Counts[k]) == 0 {
			continue
		}
		weekly.Series = append(weekly.Series, chart.Series{Name: catName(lang, "cppt.rcat.", string(cat)), Values: chart.Ints(st.Weeks.Counts[k])})
	}
	return []namedChart{
		{Name: "by_category", Chart: byCat, Wide: true},
		{Name: "opened_resolved", Chart: openRes},
		{Name: "resolution", Chart: res},
		{Name: "reports_weekly", Chart: weekly, Wide: true},
	}
}

// chartView is one chart as the page shows it.
type chartView struct {
	Name   string
	Title  string
	Wide   bool
	SVG    template.HTML // the chart in its frame
	Narrow template.HTML // wide charts: the portrait version
	CSV    string
}

type chartsView struct {
	Charts   []chartView
	From, To time.Time
	CanPrint bool
}

// svg draws c as an inline <svg>. The chart package escapes every text and
// writes only presentation attributes: the output is safe in the page.
func svg(c chart.Chart, f chart.Frame, id string) template.HTML {
	return template.HTML(chart.SVG(c, f, chart.SVGOptions{ID: id})) // #nosec G203 -- escaped by package chart
}

func (s *staff) cpptCharts(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	st, err := loadStats(c.Request.Context(), cp)
	if err != nil {
		s.cpptFail(c, err)
		return
	}
	lang := staffOf(c).Lang
	v := &chartsView{CanPrint: s.d.PrintA4 != nil, To: st.Now, Charts: drawnCharts.get(lang, st)}
	v.From, _ = time.ParseInLocation("2006-01", st.Issues.Months[0], kiosk.Zone)
	s.render(c, "cppt-charts", v)
}

// drawCharts lays out and draws the charts of st in lang.
func drawCharts(lang string, st *cpptStats) []chartView {
	var out []chartView
	for _, nc := range buildCharts(lang, st) {
		cv := chartView{Name: nc.Name, Title: nc.Chart.Title, Wide: nc.Wide, CSV: "/cppt/export.csv?data=" + nc.Name}
		if nc.Wide {
			cv.SVG = svg(nc.Chart, wideFrame, "chart-"+nc.Name)
			cv.Narrow = svg(nc.Chart, narrowFrame, "chart-"+nc.Name+"-narrow")
		} else {
			cv.SVG = svg(nc.Chart, halfFrame, "chart-"+nc.Name)
		}
		out = append(out, cv)
	}
	return out
}

// chartCache keeps the drawn charts of the last few (language, data)
// pairs: counting is cheap, drawing six SVGs is not, and the data changes
// far less often than the page is shown (a new priority or action changes
// no chart). The key is the language and a hash of every label and count
// the charts draw, so a change of data is a new key, never a stale page.
type chartCache struct {
	mu sync.Mutex
	m  map[string][]chartView
}

// maxCachedCharts bounds the cache: the four languages, twice.
const maxCachedCharts = 8

var drawnCharts = &chartCache{}

func (cc *chartCache) get(lang string, st *cpptStats) []chartView {
	key := lang + "\x00" + statsKey(st)
	cc.mu.Lock()
	v, ok := cc.m[key]
	cc.mu.Unlock()
	if ok {
		return v
	}
	v = drawCharts(lang, st)
	cc.mu.Lock()
	if cc.m == nil || len(cc.m) >= maxCachedCharts {
		cc.m = map[string][]chartView{}
	}
	cc.m[key] = v
	cc.mu.Unlock()
	return v
}

// statsKey hashes everything the charts show.
func statsKey(st *cpptStats) string {
	h := fnv.New128a()
	var buf [8]byte
	ints := func(ns []int) {
		for _, n := range ns {
			binary.LittleEndian.PutUint64(buf[:], uint64(n))
			h.Write(buf[:])
		}
		h.Write([]byte{0xff})
	}
	strs := func(ss ...string) {
		for _, s := range ss {
			io.WriteString(h, s)
			h.Write([]byte{0})
		}
		h.Write([]byte{0xff})
	}
	is, ws := st.Issues, st.Weeks
	strs(is.Months...)
	for k, c := range is.Categories {
		strs(string(c))
		ints(is.ByCategory[k])
	}
	ints(is.Opened)
	ints(is.Resolved)
	ints(is.Closed)
	ints(is.DaysToResolution)
	strs(ws.Weeks...)
	for k, c := range ws.Categories {
		strs(string(c))
		ints(ws.Counts[k])
	}
	return string(h.Sum(nil))
}

// ---- CSV ----

// cpptExport sends the issue list (filtered as the dashboard's query says)
// or, with ?data=<chart>, one chart's data, as CSV for a spreadsheet.
func (s *staff) cpptExport(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	lang := staffOf(c).Lang
	data := c.DefaultQuery("data", "issues")
	var buf bytes.Buffer
	var err error
	switch data {
	case "issues":
		now := cp.Now()
		f := readIssueFilter(c)
		var sums []kiosk.IssueSummary
		if sums, _, err = cp.Issues(ctx, f.domain(now)); err == nil {
			err = writeIssuesCSV(&buf, lang, sums, now)
		}
	default:
		var st *cpptStats
		if st, err = loadStats(ctx, cp); err != nil {
			break
		}
		found := false
		for _, nc := range buildCharts(lang, st) {
			if nc.Name == data {
				found = true
				corner := tr(lang, "cppt.csv.month")
				if nc.Name == "reports_weekly" {
					corner = tr(lang, "cppt.csv.week")
				}
				if nc.Chart.Kind == chart.Histogram {
					corner = ""
				}
				err = chart.WriteCSV(&buf, nc.Chart, chart.CSVOptions{Corner: corner})
			}
		}
		if !found {
			apiError(c, http.StatusNotFound, "not_found", "no such data: want issues or a chart's name", "data")
			return
		}
	}
	if err != nil {
		s.cpptFail(c, err)
		return
	}
	if err := s.audit(c, "cppt.export", "cppt", data); err != nil {
		s.cpptFail(c, err)
		return
	}
	name := fmt.Sprintf("cppt-%s-%s.csv", data, cp.Now().In(kiosk.Zone).Format("2006-01-02"))
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// writeIssuesCSV writes the issues' structured fields (no personal data,
// no free text) with headings and names in lang.
func writeIssuesCSV(buf *bytes.Buffer, lang string, sums []kiosk.IssueSummary, now time.Time) error {
	head := []string{}
	for _, k := range []string{"number", "category", "settlement", "landmark", "status", "priority", "opened", "ended",
		"actions", "actions_done", "next_due", "overdue"} {
		head = append(head, tr(lang, "cppt.csv."+k))
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(kiosk.Zone).Format(time.DateOnly)
	}
	rows := make([][]string, 0, len(sums))
	for _, s := range sums {
		overdue := ""
		if s.Overdue(now) {
			overdue = tr(lang, "cppt.overdue")
		}
		rows = append(rows, []string{s.Number.String(), tr(lang, cpptCatKey(s.Category)), s.Settlement, s.Landmark,
			tr(lang, "cppt.st."+string(s.Status)), tr(lang, "cppt.prio."+strconv.Itoa(int(s.Priority))),
			day(s.CreatedAt), day(s.EndedAt), strconv.Itoa(s.Actions), strconv.Itoa(s.ActionsDone), day(s.NextDue), overdue})
	}
	return chart.WriteTable(buf, head, rows, chart.CSVOptions{})
}

// ---- the meeting summary (PDF) ----

// buildSummary gathers the one-page summary in lang.
func (s *staff) buildSummary(ctx context.Context, cp *kiosk.CPPT, lang string) (*summary.Summary, error) {
	st, err := loadStats(ctx, cp)
	if err != nil {
		return nil, err
	}
	now := st.Now
	sum := &summary.Summary{Lang: lang, Centre: s.d.Site.CentreName, To: now, Prepared: now}
	if sum.Centre == "" {
		sum.Centre = tr(lang, "site.centre")
	}
	sum.From, _ = time.ParseInLocation("2006-01", st.Issues.Months[0], kiosk.Zone)
	for _, m := range st.Issues.Months {
		sum.Months = append(sum.Months, monthLabel(lang, m))
	}
	for k, cat := range st.Issues.Categories {
		if total(st.Issues.ByCategory[k]) > 0 {
			sum.ByCategory = append(sum.ByCategory, summary.Row{Name: catName(lang, "cppt.cat.", string(cat)), Counts: st.Issues.ByCategory[k]})
		}
	}
	sum.Opened, sum.Resolved, sum.ResolutionDays = st.Issues.Opened, st.Issues.Resolved, st.Issues.DaysToResolution
	for _, w := range st.Weeks.Weeks {
		sum.Weeks = append(sum.Weeks, weekLabel(w))
	}
	for k, cat := range st.Weeks.Categories {
		if total(st.Weeks.Counts[k]) > 0 {
			sum.ReportsByCategory = append(sum.ReportsByCategory, summary.Row{Name: catName(lang, "cppt.rcat.", string(cat)), Counts: st.Weeks.Counts[k]})
		}
	}
	qs, qe := kiosk.QuarterOf(now)
	if _, sum.ResolvedThisQuarter, err = cp.Issues(ctx, kiosk.IssueFilter{Status: []kiosk.IssueStatus{kiosk.IssueResolved},
		EndedFrom: qs, EndedTo: qe, Limit: 1}); err != nil {
		return nil, err
	}
	active, _, err := cp.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses})
	if err != nil {
		return nil, err
	}
	for _, a := range active {
		sum.OpenIssues = append(sum.OpenIssues, summary.Issue{Number: a.Number.String(), Category: tr(lang, cpptCatKey(a.Category)),
			Settlement: a.Settlement, Status: tr(lang, "cppt.st."+string(a.Status)), Priority: tr(lang, "cppt.prio."+strconv.Itoa(int(a.Priority))),
			NextDue: a.NextDue})
		if a.Overdue(now) { // count its overdue actions, not only the issue
			i, err := cp.Issue(ctx, a.ID)
			if err != nil {
				return nil, err
			}
			sum.OverdueActions += len(i.Overdue(now))
		}
	}
	return sum, nil
}

func total(ns []int) (n int) {
	for _, v := range ns {
		n += v
	}
	return n
}

// summaryPDF renders the summary in the session's language.
func (s *staff) summaryPDF(c *gin.Context, cp *kiosk.CPPT) ([]byte, string, bool) {
	lang := staffOf(c).Lang
	sum, err := s.buildSummary(c.Request.Context(), cp, lang)
	if err != nil {
		s.cpptFail(c, err)
		return nil, "", false
	}
	pdf, err := summary.Render(sum)
	if err != nil {
		s.cpptFail(c, err)
		return nil, "", false
	}
	return pdf, "cppt-summary-" + sum.Prepared.In(kiosk.Zone).Format("2006-01-02") + ".pdf", true
}

func (s *staff) cpptSummaryPDF(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	pdf, name, ok := s.summaryPDF(c, cp)
	if !ok {
		return
	}
	if err := s.audit(c, "cppt.summary", "cppt", "pdf"); err != nil {
		s.cpptFail(c, err)
		return
	}
	c.Header("Content-Disposition", `inline; filename="`+name+`"`)
	c.Data(http.StatusOK, "application/pdf", pdf)
}

// cpptSummaryPrint sends the summary to the A4 printer, when there is one,
// and returns to the page the button was on.
func (s *staff) cpptSummaryPrint(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	back := "/cppt/charts"
	if c.PostForm("back") == "dashboard" {
		back = "/cppt"
	}
	if s.d.PrintA4 == nil {
		ss.Notice = "cppt.print.none"
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	pdf, name, ok := s.summaryPDF(c, cp)
	if !ok {
		return
	}
	job, err := s.d.PrintA4(c.Request.Context(), name, pdf)
	if err != nil {
		s.d.Log.Warn("cppt summary not printed", "err", err)
		ss.Notice = "cppt.print.failed"
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	if err := s.audit(c, "cppt.summary.print", "cppt", job); err != nil {
		s.cpptFail(c, err)
		return
	}
	ss.Notice = "cppt.print.sent"
	c.Redirect(http.StatusSeeOther, back)
}
