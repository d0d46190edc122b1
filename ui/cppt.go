package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The Community Policing Partnership Team's pages: the dashboard of its
// issue log, logging an issue (with the offer of possible duplicates), an
// issue's SARA record (analysis, actions, status, assessment), meetings,
// the charts, the CSV export and the meeting summary (cpptcharts.go), and
// the JSON API beside them (cpptapi.go). The public board on the home
// screen is in cpptboard.go.
//
// Every write goes through kiosk.CPPT, which checks the role again and
// audits it with the user in the same transaction. Forms post back to
// their page's URL; after a write the page redirects (POST-redirect-GET),
// after a refused one it shows the form again with the reasons. Personal
// data (the raiser, free texts) never goes into a URL: a form waiting for
// the duplicate check is kept in the session's Scratch.

// cpptPageSize is how many issues the dashboard lists per page.
const cpptPageSize = 50

// scratchPending holds a new issue waiting for "it is a new issue".
const scratchPending = "cppt.pending"

// registerCPPT adds the cppt pages and their JSON API (see staff.go for
// page, api and the role guard; tests: newStaffFixture in staff_test.go).
func (s *staff) registerCPPT() {
	get, post := http.MethodGet, http.MethodPost
	s.page(get, "/cppt", cpptRoles, s.cpptDashboard)
	s.page(get, "/cppt/issues/new", cpptRoles, s.cpptNewForm)
	s.page(post, "/cppt/issues/new", cpptRoles, s.cpptLogIssue)
	s.page(get, "/cppt/issues/:id", cpptRoles, s.cpptIssuePage)
	s.page(post, "/cppt/issues/:id/analysis", cpptRoles, s.cpptAnalysis)
	s.page(post, "/cppt/issues/:id/priority", cpptRoles, s.cpptPriority)
	s.page(post, "/cppt/issues/:id/actions", cpptRoles, s.cpptAddAction)
	s.page(post, "/cppt/issues/:id/actions/:action/done", cpptRoles, s.cpptActionDone)
	s.page(post, "/cppt/issues/:id/status", cpptRoles, s.cpptStatus)
	s.page(get, "/cppt/meetings", cpptRoles, s.cpptMeetings)
	s.page(get, "/cppt/meetings/new", cpptRoles, s.cpptMeetingForm)
	s.page(post, "/cppt/meetings/new", cpptRoles, s.cpptSaveMeeting)
	s.page(get, "/cppt/meetings/:id", cpptRoles, s.cpptMeetingForm)
	s.page(post, "/cppt/meetings/:id", cpptRoles, s.cpptSaveMeeting)
	s.page(get, "/cppt/charts", cpptRoles, s.cpptCharts)
	s.page(get, "/cppt/export.csv", cpptRoles, s.cpptExport)
	s.page(get, "/cppt/summary.pdf", cpptRoles, s.cpptSummaryPDF)
	s.page(post, "/cppt/summary/print", cpptRoles, s.cpptSummaryPrint)
	s.registerCPPTAPI()
}

// cppt returns the team's service, or shows that this kiosk has none.
func (s *staff) cppt(c *gin.Context) (*kiosk.CPPT, bool) {
	if s.d.CPPT == nil {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			apiError(c, http.StatusServiceUnavailable, "cppt_unavailable", "this kiosk keeps no CPPT issue log", "")
		} else {
			s.renderStatus(c, http.StatusServiceUnavailable, "cppt-off", nil, staffOf(c))
		}
		return nil, false
	}
	return s.d.CPPT, true
}

// cpptFail shows a page for an error of the service that is not the
// person's to fix: not found, a status change no longer allowed (someone
// else was quicker), or the store failing.
func (s *staff) cpptFail(c *gin.Context, err error) {
	ss := staffOf(c)
	status, key := http.StatusServiceUnavailable, "cppt.err.unavailable"
	switch {
	case errors.Is(err, kiosk.ErrNotFound):
		status, key = http.StatusNotFound, "cppt.err.not_found"
	case errors.Is(err, kiosk.ErrTransition):
		status, key = http.StatusConflict, "cppt.err.transition"
	case errors.Is(err, kiosk.ErrForbidden):
		status, key = http.StatusForbidden, "staff.forbidden.text"
	case errors.Is(err, kiosk.ErrStorageFull):
		key = "cppt.err.storage_full"
	default:
		s.d.Log.Error("cppt request failed", "route", c.FullPath(), "err", err)
	}
	ss.Notice = key
	s.renderStatus(c, status, "cppt-error", nil, ss)
}

// formErrors translates a validation error into messages by form field
// ("attendees.3" is shown at "attendees"); nil for any other error.
func formErrors(lang string, err error) map[string]string {
	var ve *kiosk.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	for _, f := range ve.Fields {
		field := f.Field
		if k := strings.LastIndexByte(field, '.'); k > 0 {
			if _, err := strconv.Atoi(field[k+1:]); err == nil {
				field = field[:k]
			}
		}
		if _, dup := out[field]; !dup {
			out[field] = fieldMessage(lang, field, f.Code)
		}
	}
	return out
}

// fieldMessage is cppt.err.<field>.<code>, else cppt.err.<code>, else
// cppt.err.invalid.
func fieldMessage(lang, field, code string) string {
	for _, k := range []string{"cppt.err." + field + "." + code, "cppt.err." + code} {
		if has(lang, k) {
			return tr(lang, k)
		}
	}
	return tr(lang, "cppt.err.invalid")
}

// ---- dashboard ----

// issueFilter is the dashboard's filter as the query gives it.
type issueFilter struct {
	Status     string // "active" (default), a status, or "all"
	Category   string
	Settlement string
	Overdue    bool
	Page       int // from 1
}

func readIssueFilter(c *gin.Context) issueFilter {
	f := issueFilter{Status: c.Query("status"), Category: c.Query("category"), Settlement: strings.TrimSpace(c.Query("settlement")),
		Overdue: c.Query("overdue") == "1"}
	if f.Status != "all" && !kiosk.IssueStatus(f.Status).Valid() {
		f.Status = "active"
	}
	if !kiosk.IssueCategory(f.Category).Valid() {
		f.Category = ""
	}
	if len(f.Settlement) > 4*kiosk.MaxSettlementLen {
		f.Settlement = ""
	}
	f.Page, _ = strconv.Atoi(c.Query("page"))
	f.Page = max(f.Page, 1)
	return f
}

// domain is the filter for the store, without paging.
func (f issueFilter) domain(now time.Time) kiosk.IssueFilter {
	d := kiosk.IssueFilter{Category: kiosk.IssueCategory(f.Category), Settlement: f.Settlement}
	switch f.Status {
	case "active":
		d.Status = kiosk.ActiveStatuses
	case "all":
	default:
		d.Status = []kiosk.IssueStatus{kiosk.IssueStatus(f.Status)}
	}
	if f.Overdue {
		d.OverdueAt = now
	}
	return d
}

// query is the filter as a query string, with page p (0: none).
func (f issueFilter) query(p int) string {
	v := url.Values{}
	if f.Status != "active" {
		v.Set("status", f.Status)
	}
	if f.Category != "" {
		v.Set("category", f.Category)
	}
	if f.Settlement != "" {
		v.Set("settlement", f.Settlement)
	}
	if f.Overdue {
		v.Set("overdue", "1")
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// issueRow is one line of an issue list.
type issueRow struct {
	kiosk.IssueSummary
	Overdue bool
}

type dashboardView struct {
	Filter       issueFilter
	Issues       []issueRow
	Total        int
	Page, Pages  int
	Prev, Next   string // links to the neighbouring pages; "" when none
	Statuses     []string
	Categories   []kiosk.IssueCategory
	Settlements  []string
	OverdueCount int // active issues with an overdue action
	OpenCount    int
	Meeting      *kiosk.Meeting
	Export       string // the CSV link for this filter
	CanPrint     bool
}

func rows(sums []kiosk.IssueSummary, now time.Time) []issueRow {
	out := make([]issueRow, len(sums))
	for k, s := range sums {
		out[k] = issueRow{IssueSummary: s, Overdue: s.Overdue(now)}
	}
	return out
}

func (s *staff) cpptDashboard(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	now := cp.Now()
	f := readIssueFilter(c)
	df := f.domain(now)
	df.Offset, df.Limit = (f.Page-1)*cpptPageSize, cpptPageSize
	sums, total, err := cp.Issues(ctx, df)
	if err != nil {
		s.cpptFail(c, err)
		return
	}
	v := &dashboardView{Filter: f, Issues: rows(sums, now), Total: total, Page: f.Page,
		Pages: max(1, (total+cpptPageSize-1)/cpptPageSize), Statuses: []string{"active", "open", "in_progress", "resolved", "closed", "all"},
		Categories: kiosk.IssueCategories, Settlements: cp.Settlements(), Export: "/cppt/export.csv" + f.query(0),
		CanPrint: s.d.PrintA4 != nil}
	if f.Page > 1 {
		v.Prev = "/cppt" + f.query(f.Page-1)
	}
	if f.Page < v.Pages {
		v.Next = "/cppt" + f.query(f.Page+1)
	}
	if _, v.OverdueCount, err = cp.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, OverdueAt: now, Limit: 1}); err != nil {
		s.cpptFail(c, err)
		return
	}
	if _, v.OpenCount, err = cp.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: 1}); err != nil {
		s.cpptFail(c, err)
		return
	}
	if v.Meeting, err = cp.NextMeeting(ctx, kiosk.DayStart(now)); err != nil {
		s.cpptFail(c, err)
		return
	}
	s.render(c, "cppt-dashboard", v)
}

// ---- logging an issue ----

// issueForm is the new-issue form as typed.
type issueForm struct {
	Category, Settlement, Landmark, Description string
	Who, Name, Phone                            string // Who: named or anon
	Priority                                    string
}

type newIssueView struct {
	F           issueForm
	Errs        map[string]string
	Categories  []kiosk.IssueCategory
	Settlements []string
	Priorities  []string
}

func newIssuePage(cp *kiosk.CPPT, f issueForm, errs map[string]string) *newIssueView {
	return &newIssueView{F: f, Errs: errs, Categories: kiosk.IssueCategories, Settlements: cp.Settlements(),
		Priorities: []string{"1", "2", "3"}}
}

func (f issueForm) issue() kiosk.NewIssue {
	n := kiosk.NewIssue{Category: kiosk.IssueCategory(f.Category), Settlement: f.Settlement, Landmark: f.Landmark,
		Description: f.Description, Anonymous: f.Who == "anon"}
	if !n.Anonymous {
		n.RaisedBy = kiosk.Raiser{Name: f.Name, Phone: f.Phone}
	}
	p, _ := strconv.Atoi(f.Priority)
	n.Priority = kiosk.Priority(p)
	return n
}

func (s *staff) cpptNewForm(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	v := newIssuePage(cp, issueForm{Priority: "2", Who: "named"}, nil)
	ss := staffOf(c)
	if p, ok := ss.Scratch[scratchPending].(issueForm); ok && c.Query("keep") == "1" {
		v.F = p // back from the duplicate offer to change the form
	}
	delete(ss.Scratch, scratchPending)
	s.render(c, "cppt-new", v)
}

type duplicatesView struct {
	Issues []issueRow
}

func (s *staff) cpptLogIssue(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	var f issueForm
	var in kiosk.NewIssue
	if c.PostForm("confirm") == "new" {
		p, ok := ss.Scratch[scratchPending].(issueForm)
		if !ok { // the session was renewed meanwhile: start again
			ss.Notice = "cppt.new.lost"
			c.Redirect(http.StatusSeeOther, "/cppt/issues/new")
			return
		}
		f = p
		in = f.issue()
		in.IgnoreDuplicates = true
	} else {
		form := func(k string) string { return strings.TrimSpace(c.PostForm(k)) }
		f = issueForm{Category: form("category"), Settlement: form("settlement"), Landmark: form("landmark"),
			Description: strings.TrimSpace(strings.ReplaceAll(c.PostForm("description"), "\r\n", "\n")),
			Who:         form("who"), Name: form("name"), Phone: form("phone"), Priority: form("priority")}
		in = f.issue()
	}
	i, err := cp.LogIssue(c.Request.Context(), ss.Actor(), in)
	var dup *kiosk.DuplicatesError
	switch {
	case errors.As(err, &dup):
		if ss.Scratch != nil { // nil once the session was logged out meanwhile
			ss.Scratch[scratchPending] = f
		}
		s.render(c, "cppt-duplicates", &duplicatesView{Issues: rows(dup.Candidates, cp.Now())})
		return
	case err != nil:
		errs := formErrors(ss.Lang, err)
		if errs == nil {
			s.cpptFail(c, err)
			return
		}
		if f.Who != "named" && f.Who != "anon" {
			errs["who"] = tr(ss.Lang, "cppt.err.who.required")
		}
		if errs["raised_by"] != "" || errs["raised_by.phone"] != "" {
			errs["raised_by.name"] = errs["raised_by"] + errs["raised_by.name"]
		}
		delete(ss.Scratch, scratchPending)
		s.renderStatus(c, http.StatusBadRequest, "cppt-new", newIssuePage(cp, f, errs), ss)
		return
	}
	delete(ss.Scratch, scratchPending)
	ss.Notice = "cppt.issue.logged"
	c.Redirect(http.StatusSeeOther, "/cppt/issues/"+i.ID)
}

// ---- an issue's SARA record ----

type actionRow struct {
	kiosk.Action
	Overdue bool
}

type issueView struct {
	I          *kiosk.CPPTIssue
	Actions    []actionRow
	History    []kiosk.IssueEvent // newest first
	Overdue    int
	Active     bool
	CanStart   bool // open: may move to in progress
	Priorities []kiosk.Priority
	DueChoices []string // due_in: in 7, 14, 30 days, or a date
	Errs       map[string]string
	// What was typed into a form that was refused, to show it again.
	Analysis, Note, ActText, ActWho, ActDueIn, ActDate string
}

func (s *staff) issueView(cp *kiosk.CPPT, i *kiosk.CPPTIssue) *issueView {
	now := cp.Now()
	v := &issueView{I: i, Active: i.Status.Active(), CanStart: i.Status == kiosk.IssueOpen, Analysis: i.Analysis, ActDueIn: "14",
		Priorities: []kiosk.Priority{kiosk.PriorityHigh, kiosk.PriorityMedium, kiosk.PriorityLow},
		DueChoices: []string{"7", "14", "30", "date"}}
	for _, a := range i.Actions {
		r := actionRow{Action: a, Overdue: i.Status.Active() && a.Overdue(now)}
		if r.Overdue {
			v.Overdue++
		}
		v.Actions = append(v.Actions, r)
	}
	v.History = slices.Clone(i.History)
	slices.Reverse(v.History)
	return v
}

func (s *staff) cpptIssuePage(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	i, err := cp.Issue(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.cpptFail(c, err)
		return
	}
	s.render(c, "cppt-issue", s.issueView(cp, i))
}

// issueWrite runs a write of the issue page: on success it redirects to the
// issue with a notice; on a refused form it shows the page again with the
// errors (fill copies what was typed into the view).
func (s *staff) issueWrite(c *gin.Context, notice string, write func(cp *kiosk.CPPT) error, fill func(v *issueView)) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	id := c.Param("id")
	err := write(cp)
	if err == nil {
		ss.Notice = notice
		c.Redirect(http.StatusSeeOther, "/cppt/issues/"+id)
		return
	}
	errs := formErrors(ss.Lang, err)
	if errs == nil {
		s.cpptFail(c, err)
		return
	}
	i, rerr := cp.Issue(c.Request.Context(), id)
	if rerr != nil {
		s.cpptFail(c, rerr)
		return
	}
	v := s.issueView(cp, i)
	v.Errs = errs
	if fill != nil {
		fill(v)
	}
	s.renderStatus(c, http.StatusBadRequest, "cppt-issue", v, ss)
}

func (s *staff) cpptAnalysis(c *gin.Context) {
	text := strings.TrimSpace(strings.ReplaceAll(c.PostForm("analysis"), "\r\n", "\n"))
	s.issueWrite(c, "cppt.saved", func(cp *kiosk.CPPT) error {
		_, err := cp.UpdateIssue(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), kiosk.IssueEdit{Analysis: &text})
		return err
	}, func(v *issueView) { v.Analysis = text })
}

func (s *staff) cpptPriority(c *gin.Context) {
	n, _ := strconv.Atoi(c.PostForm("priority"))
	p := kiosk.Priority(n)
	s.issueWrite(c, "cppt.saved", func(cp *kiosk.CPPT) error {
		_, err := cp.UpdateIssue(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), kiosk.IssueEdit{Priority: &p})
		return err
	}, nil)
}

// dueDay reads an action's due day: in 7, 14 or 30 days, or a date typed
// as DD.MM.YYYY. ok is false for a date that cannot be read.
func dueDay(now time.Time, in, date string) (time.Time, bool) {
	switch in {
	case "7", "14", "30":
		n, _ := strconv.Atoi(in)
		return kiosk.DayStart(now).AddDate(0, 0, n), true
	case "date":
		if date == "" {
			return time.Time{}, true // "required", from the domain
		}
		t, ok := parseDay(date)
		return t, ok
	}
	return time.Time{}, true
}

func (s *staff) cpptAddAction(c *gin.Context) {
	text := strings.TrimSpace(strings.ReplaceAll(c.PostForm("text"), "\r\n", "\n"))
	who := strings.TrimSpace(c.PostForm("responsible"))
	in, date := c.PostForm("due_in"), strings.TrimSpace(c.PostForm("due_date"))
	s.issueWrite(c, "cppt.action.added", func(cp *kiosk.CPPT) error {
		due, ok := dueDay(cp.Now(), in, date)
		if !ok {
			return &kiosk.ValidationError{Fields: []kiosk.FieldError{{Field: "due", Code: "invalid", Message: "not a date"}}}
		}
		_, err := cp.AddAction(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), kiosk.NewAction{Text: text, Responsible: who, Due: due})
		return err
	}, func(v *issueView) { v.ActText, v.ActWho, v.ActDueIn, v.ActDate = text, who, in, date })
}

func (s *staff) cpptActionDone(c *gin.Context) {
	s.issueWrite(c, "cppt.action.marked", func(cp *kiosk.CPPT) error {
		_, err := cp.CompleteAction(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), c.Param("action"))
		return err
	}, nil)
}

func (s *staff) cpptStatus(c *gin.Context) {
	to := kiosk.IssueStatus(c.PostForm("status"))
	note := strings.TrimSpace(strings.ReplaceAll(c.PostForm("note"), "\r\n", "\n"))
	s.issueWrite(c, "cppt.status.changed."+string(to), func(cp *kiosk.CPPT) error {
		i, err := cp.Issue(c.Request.Context(), c.Param("id"))
		if err != nil {
			return err
		}
		// An empty assessment is the person's to fix, not a conflict.
		if note == "" && kiosk.CanTransitionIssue(i.Status, to) && (to.Ended() || i.Status.Ended()) {
			return &kiosk.ValidationError{Fields: []kiosk.FieldError{{Field: "note", Code: "required", Message: "required"}}}
		}
		_, err = cp.ChangeStatus(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), to, note)
		return err
	}, func(v *issueView) { v.Note = note })
}

// ---- meetings ----

type meetingsView struct {
	Upcoming, Past []kiosk.Meeting
}

// How many years back and ahead the meeting list goes.
const meetingYearsBack, meetingYearsAhead = 2, 3

func (s *staff) cpptMeetings(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	now := cp.Now()
	today := kiosk.DayStart(now)
	ms, err := cp.Meetings(c.Request.Context(), today.AddDate(-meetingYearsBack, 0, 0), today.AddDate(meetingYearsAhead, 0, 0))
	if err != nil {
		s.cpptFail(c, err)
		return
	}
	v := &meetingsView{}
	for _, m := range ms {
		if m.Date.Before(today) {
			v.Past = append(v.Past, m)
		} else {
			v.Upcoming = append(v.Upcoming, m)
		}
	}
	slices.Reverse(v.Past)
	s.render(c, "cppt-meetings", v)
}

// meetingForm is the meeting form as typed.
type meetingForm struct {
	Date, Time, Place, Attendees, Decisions string
	Issues                                  []string
}

type meetingView struct {
	ID     string // "" for a new meeting
	F      meetingForm
	Errs   map[string]string
	Issues []issueChoice
}

type issueChoice struct {
	kiosk.IssueSummary
	Checked bool
}

// maxMeetingChoices bounds the active issues offered on the meeting form.
const maxMeetingChoices = 100

// issueChoices offers the newest active issues, plus those already chosen.
func (s *staff) issueChoices(c *gin.Context, cp *kiosk.CPPT, chosen []string) ([]issueChoice, error) {
	sums, _, err := cp.Issues(c.Request.Context(), kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: maxMeetingChoices})
	if err != nil {
		return nil, err
	}
	var out []issueChoice
	for _, id := range chosen {
		if slices.ContainsFunc(sums, func(s kiosk.IssueSummary) bool { return s.ID == id }) {
			continue
		}
		i, err := cp.Issue(c.Request.Context(), id)
		if err != nil {
			continue // a bad id in a refused form; the domain says so
		}
		out = append(out, issueChoice{IssueSummary: i.Summary(), Checked: true})
	}
	for _, s := range sums {
		out = append(out, issueChoice{IssueSummary: s, Checked: slices.Contains(chosen, s.ID)})
	}
	return out, nil
}

func (s *staff) cpptMeetingForm(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	v := &meetingView{ID: c.Param("id")}
	if v.ID != "" {
		m, err := cp.Meeting(c.Request.Context(), v.ID)
		if err != nil {
			s.cpptFail(c, err)
			return
		}
		d := m.Date.In(kiosk.Zone)
		v.F = meetingForm{Date: d.Format("02.01.2006"), Time: d.Format("15:04"), Place: m.Place,
			Attendees: strings.Join(m.Attendees, ", "), Decisions: m.Decisions, Issues: m.IssueIDs}
	} else {
		v.F.Time = "10:00"
	}
	var err error
	if v.Issues, err = s.issueChoices(c, cp, v.F.Issues); err != nil {
		s.cpptFail(c, err)
		return
	}
	s.render(c, "cppt-meeting", v)
}

// splitNames splits the attendees typed as "name, name; name".
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func (s *staff) cpptSaveMeeting(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	id := c.Param("id")
	f := meetingForm{Date: strings.TrimSpace(c.PostForm("date")), Time: strings.TrimSpace(c.PostForm("time")),
		Place: strings.TrimSpace(c.PostForm("place")), Attendees: strings.TrimSpace(c.PostForm("attendees")),
		Decisions: strings.TrimSpace(strings.ReplaceAll(c.PostForm("decisions"), "\r\n", "\n")), Issues: c.PostFormArray("issue")}
	errs := map[string]string{}
	var at time.Time
	if day, ok := parseDay(f.Date); ok {
		h, m, ok := 0, 0, true
		if f.Time != "" {
			h, m, ok = parseClock(f.Time)
		}
		if !ok {
			errs["time"] = tr(ss.Lang, "cppt.err.time.invalid")
		}
		at = time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, kiosk.Zone)
	} else if f.Date != "" {
		errs["date"] = tr(ss.Lang, "cppt.err.date.invalid")
	}
	in := kiosk.NewMeeting{Date: at, Place: f.Place, Attendees: splitNames(f.Attendees), IssueIDs: f.Issues, Decisions: f.Decisions}
	var m *kiosk.Meeting
	var err error
	if len(errs) == 0 {
		if id == "" {
			m, err = cp.AddMeeting(c.Request.Context(), ss.Actor(), in)
		} else {
			m, err = cp.UpdateMeeting(c.Request.Context(), ss.Actor(), id, in)
		}
		if err == nil {
			ss.Notice = "cppt.meeting.saved"
			c.Redirect(http.StatusSeeOther, "/cppt/meetings/"+m.ID)
			return
		}
		if errs = formErrors(ss.Lang, err); errs == nil {
			s.cpptFail(c, err)
			return
		}
	}
	v := &meetingView{ID: id, F: f, Errs: errs}
	if v.Issues, err = s.issueChoices(c, cp, f.Issues); err != nil {
		s.cpptFail(c, err)
		return
	}
	s.renderStatus(c, http.StatusBadRequest, "cppt-meeting", v, ss)
}

// ---- template helpers ----

// cpptCatKey is the catalog key of an issue category.
func cpptCatKey(c kiosk.IssueCategory) string { return "cppt.cat." + string(c) }
