package ui

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The CPPT's JSON API under /api/v1/cppt (docs/cppt-api.md): the same
// service calls as the pages, for the team's other tools. Log in with POST
// /api/v1/session and send the X-CSRF-Token header with every write.

func (s *staff) registerCPPTAPI() {
	get, post := http.MethodGet, http.MethodPost
	s.api(get, "/cppt/issues", cpptRoles, s.apiIssues)
	s.api(post, "/cppt/issues", cpptRoles, s.apiLogIssue)
	s.api(get, "/cppt/issues/:id", cpptRoles, s.apiIssue)
	s.api(http.MethodPatch, "/cppt/issues/:id", cpptRoles, s.apiUpdateIssue)
	s.api(post, "/cppt/issues/:id/actions", cpptRoles, s.apiAddAction)
	s.api(post, "/cppt/issues/:id/actions/:action/done", cpptRoles, s.apiActionDone)
	s.api(post, "/cppt/issues/:id/status", cpptRoles, s.apiStatus)
	s.api(get, "/cppt/meetings", cpptRoles, s.apiMeetings)
	s.api(post, "/cppt/meetings", cpptRoles, s.apiAddMeeting)
	s.api(get, "/cppt/meetings/:id", cpptRoles, s.apiMeeting)
	s.api(http.MethodPut, "/cppt/meetings/:id", cpptRoles, s.apiUpdateMeeting)
	s.api(get, "/cppt/stats", cpptRoles, s.apiStats)
	s.api(get, "/cppt/board", cpptRoles, s.apiBoard)
}

// cpptAPIError maps the service's errors to replies: possible duplicates
// 409 with the candidates, unknown issue or meeting 404, the rest as
// domainError does.
func (s *staff) cpptAPIError(c *gin.Context, err error) {
	var dup *kiosk.DuplicatesError
	switch {
	case errors.As(err, &dup):
		c.AbortWithStatusJSON(http.StatusConflict, duplicatesReply{Error: errorDetail{Code: "possible_duplicate",
			Message: "open issues of this category in this settlement exist: look at them, and send again with \"ignore_duplicates\": true if this is a different problem"},
			Candidates: dup.Candidates})
	case errors.Is(err, kiosk.ErrNotFound):
		apiError(c, http.StatusNotFound, "not_found", "no such issue, action or meeting", "")
	case errors.Is(err, kiosk.ErrForbidden):
		apiError(c, http.StatusForbidden, "forbidden", "your role may not do this", "")
	default:
		domainError(c, s.d.Log, err)
	}
}

type duplicatesReply struct {
	Error      errorDetail          `json:"error"`
	Candidates []kiosk.IssueSummary `json:"candidates"`
}

type issuesReply struct {
	Issues []kiosk.IssueSummary `json:"issues"`
	Total  int                  `json:"total"`
	Offset int                  `json:"offset"`
	Limit  int                  `json:"limit"`
}

// apiIssues lists issue summaries: ?status=open,in_progress (default: the
// active ones; "all" for every status) &category= &settlement= &overdue=1
// &offset= &limit= (at most 500, default 50).
func (s *staff) apiIssues(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	now := cp.Now()
	f := kiosk.IssueFilter{Category: kiosk.IssueCategory(c.Query("category")), Settlement: c.Query("settlement")}
	switch st := c.DefaultQuery("status", "active"); st {
	case "active":
		f.Status = kiosk.ActiveStatuses
	case "all":
	default:
		for _, p := range splitNames(st) {
			if !kiosk.IssueStatus(p).Valid() {
				apiError(c, http.StatusBadRequest, "invalid", "unknown status "+strconv.Quote(p), "status")
				return
			}
			f.Status = append(f.Status, kiosk.IssueStatus(p))
		}
	}
	if f.Category != "" && !f.Category.Valid() {
		apiError(c, http.StatusBadRequest, "invalid", "unknown category", "category")
		return
	}
	if c.Query("overdue") == "1" || c.Query("overdue") == "true" {
		f.OverdueAt = now
	}
	var err error
	if f.Offset, err = queryInt(c, "offset", 0, 0, 1<<30); err != nil {
		return
	}
	if f.Limit, err = queryInt(c, "limit", 50, 1, 500); err != nil {
		return
	}
	sums, total, err := cp.Issues(c.Request.Context(), f)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	if sums == nil {
		sums = []kiosk.IssueSummary{}
	}
	c.JSON(http.StatusOK, issuesReply{Issues: sums, Total: total, Offset: f.Offset, Limit: f.Limit})
}

// queryInt reads a whole number in [lo, hi] from the query, def when
// absent; on a bad value it writes the error reply.
func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		apiError(c, http.StatusBadRequest, "invalid", name+" must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), name)
		return 0, errors.New("bad " + name)
	}
	return n, nil
}

func (s *staff) apiLogIssue(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	var in kiosk.NewIssue
	if !decode(c, &in) {
		return
	}
	i, err := cp.LogIssue(c.Request.Context(), staffOf(c).Actor(), in)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusCreated, i)
}

func (s *staff) apiIssue(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	i, err := cp.Issue(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, i)
}

func (s *staff) apiUpdateIssue(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	var e kiosk.IssueEdit
	if !decode(c, &e) {
		return
	}
	i, err := cp.UpdateIssue(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), e)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, i)
}

// actionRequest is a new action; due is a day, "2006-01-02".
type actionRequest struct {
	Text        string `json:"text"`
	Responsible string `json:"responsible"`
	Due         string `json:"due"`
}

func (s *staff) apiAddAction(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	var in actionRequest
	if !decode(c, &in) {
		return
	}
	var due time.Time
	if in.Due != "" {
		var err error
		if due, err = kiosk.ParseDay(in.Due); err != nil {
			apiError(c, http.StatusBadRequest, "invalid", "due must be a day, YYYY-MM-DD", "due")
			return
		}
	}
	i, err := cp.AddAction(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), kiosk.NewAction{Text: in.Text, Responsible: in.Responsible, Due: due})
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusCreated, i)
}

func (s *staff) apiActionDone(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	i, err := cp.CompleteAction(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), c.Param("action"))
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, i)
}

type statusRequest struct {
	Status kiosk.IssueStatus `json:"status"`
	Note   string            `json:"note"`
}

func (s *staff) apiStatus(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	var in statusRequest
	if !decode(c, &in) {
		return
	}
	i, err := cp.ChangeStatus(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), in.Status, in.Note)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, i)
}

type meetingsReply struct {
	Meetings []kiosk.Meeting `json:"meetings"`
}

// apiMeetings lists the meetings dated in [from, to) (days, YYYY-MM-DD;
// default: two years back to three years ahead).
func (s *staff) apiMeetings(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	today := kiosk.DayStart(cp.Now())
	from, to := today.AddDate(-meetingYearsBack, 0, 0), today.AddDate(meetingYearsAhead, 0, 0)
	for _, q := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := c.Query(q.name); v != "" {
			d, err := kiosk.ParseDay(v)
			if err != nil {
				apiError(c, http.StatusBadRequest, "invalid", q.name+" must be a day, YYYY-MM-DD", q.name)
				return
			}
			*q.t = d
		}
	}
	ms, err := cp.Meetings(c.Request.Context(), from, to)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	if ms == nil {
		ms = []kiosk.Meeting{}
	}
	c.JSON(http.StatusOK, meetingsReply{Meetings: ms})
}

func (s *staff) apiAddMeeting(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	var in kiosk.NewMeeting
	if !decode(c, &in) {
		return
	}
	m, err := cp.AddMeeting(c.Request.Context(), staffOf(c).Actor(), in)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusCreated, m)
}

func (s *staff) apiMeeting(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	m, err := cp.Meeting(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *staff) apiUpdateMeeting(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	var in kiosk.NewMeeting
	if !decode(c, &in) {
		return
	}
	m, err := cp.UpdateMeeting(c.Request.Context(), staffOf(c).Actor(), c.Param("id"), in)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

// statsReply is what the charts count, as data.
type statsReply struct {
	Months           []string              `json:"months"`
	Categories       []kiosk.IssueCategory `json:"categories"`
	ByCategory       [][]int               `json:"by_category"`
	Opened           []int                 `json:"opened"`
	Resolved         []int                 `json:"resolved"`
	Closed           []int                 `json:"closed"`
	DaysToResolution []int                 `json:"days_to_resolution"`
	Weeks            []string              `json:"weeks"`
	ReportCategories []kiosk.Category      `json:"report_categories"`
	ReportsByWeek    [][]int               `json:"reports_by_week"`
	OpenIssues       int                   `json:"open_issues"`
	OverdueIssues    int                   `json:"overdue_issues"`
}

// apiStats gives the charts' data: ?months= (1-120, default 12) and
// ?weeks= (1-530, default 13), ending with the current month and week.
func (s *staff) apiStats(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	months, err := queryInt(c, "months", chartMonths, 1, kiosk.MaxStatsMonths)
	if err != nil {
		return
	}
	weeks, err := queryInt(c, "weeks", chartWeeks, 1, kiosk.MaxStatsWeeks-1)
	if err != nil {
		return
	}
	ctx := c.Request.Context()
	now := cp.Now()
	z := now.In(kiosk.Zone)
	is, err := cp.Stats(ctx, time.Date(z.Year(), z.Month()-time.Month(months)+1, 1, 0, 0, 0, 0, kiosk.Zone), now)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	ws, err := cp.ReportWeeks(ctx, kiosk.DayStart(now).AddDate(0, 0, -7*(weeks-1)), now)
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	r := statsReply{Months: is.Months, Categories: is.Categories, ByCategory: is.ByCategory, Opened: is.Opened,
		Resolved: is.Resolved, Closed: is.Closed, DaysToResolution: is.DaysToResolution, Weeks: ws.Weeks,
		ReportCategories: ws.Categories, ReportsByWeek: ws.Counts}
	if r.DaysToResolution == nil {
		r.DaysToResolution = []int{}
	}
	if _, r.OpenIssues, err = cp.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: 1}); err != nil {
		s.cpptAPIError(c, err)
		return
	}
	if _, r.OverdueIssues, err = cp.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, OverdueAt: now, Limit: 1}); err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// apiBoard is the public board as the home screen shows it (for the team
// to check what the community sees).
func (s *staff) apiBoard(c *gin.Context) {
	cp, ok := s.cppt(c)
	if !ok {
		return
	}
	b, err := cp.PublicBoard(c.Request.Context(), cp.Now())
	if err != nil {
		s.cpptAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, b)
}
