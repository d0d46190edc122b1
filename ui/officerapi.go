package ui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The officer console's JSON API under /api/v1/staff/ (docs/staff-api.md):
// the same operations as the pages, for the officer and admin roles the
// routes name. Writes need the X-CSRF-Token header of the session.

// apiListMax bounds a page of the API's list.
const (
	apiListDefault = 50
	apiListMax     = 200
)

func (s *staff) registerOfficerAPI() {
	get, post := http.MethodGet, http.MethodPost
	s.api(get, "/staff/reports", officerOnly, s.apiReports)
	s.api(post, "/staff/reports", officerOnly, s.apiFileOnBehalf)
	s.api(get, "/staff/reports/:number", officerOnly, s.apiReport)
	s.api(post, "/staff/reports/:number/personal", officerOnly, s.apiReveal)
	s.api(post, "/staff/reports/:number/notes", officerOnly, s.apiNote)
	s.api(post, "/staff/reports/:number/review", officerOnly, s.apiReview)
	s.api(post, "/staff/reports/:number/info-request", officerOnly, s.apiRequest)
	s.api(http.MethodDelete, "/staff/reports/:number/info-request", officerOnly, s.apiCloseRequest)
	s.api(post, "/staff/reports/:number/reprint", officerOnly, s.apiReprint)
	s.api(post, "/staff/reports/:number/extract", officerOnly, s.apiExtract)
	s.api(get, "/staff/device", officerAndAdmin, s.apiDevice)
}

// officerAPIError answers a domain error of the officer API.
func (s *staff) officerAPIError(c *gin.Context, err error) {
	if errors.Is(err, kiosk.ErrInvalidNumber) {
		domainError(c, s.d.Log, err) // 400 invalid_number
		return
	}
	status, key := officerErrorKey(err)
	switch key {
	case "officer.err.not_found":
		apiError(c, status, "not_found", "no report with this number", "number")
	case "staff.forbidden.text":
		apiError(c, status, "forbidden", "your role may not do this", "")
	case "officer.err.anonymous":
		apiError(c, status, "anonymous", "an anonymous report has no reporter whose identity could be checked", "")
	case "officer.err.no_request":
		apiError(c, status, "no_info_request", "the report has no open request for information", "")
	default:
		domainError(c, s.d.Log, err)
	}
}

// reportSummaryJSON is a line of the list.
type reportSummaryJSON struct {
	Number        string         `json:"number"`
	Category      kiosk.Category `json:"category"`
	Status        kiosk.Status   `json:"status"`
	Decision      kiosk.Decision `json:"decision,omitempty"`
	Lang          string         `json:"lang"`
	CreatedAt     time.Time      `json:"created_at"`
	ClockSynced   bool           `json:"clock_synced"`
	Reviewed      bool           `json:"reviewed"`
	ReviewedAt    *time.Time     `json:"reviewed_at,omitempty"`
	InfoRequested bool           `json:"info_requested"`
	Anonymous     bool           `json:"anonymous"`
	Purged        bool           `json:"purged"`
	OnBehalf      bool           `json:"on_behalf"`
	Notes         int            `json:"notes"`
}

type reportListJSON struct {
	Reports []reportSummaryJSON `json:"reports"`
	Total   int                 `json:"total"`
	Offset  int                 `json:"offset"`
	Limit   int                 `json:"limit"`
}

func summaryJSON(r kiosk.ReportSummary) reportSummaryJSON {
	out := reportSummaryJSON{Number: r.Number.String(), Category: r.Category, Status: r.Status, Decision: r.Decision,
		Lang: r.Lang, CreatedAt: r.CreatedAt.UTC(), ClockSynced: r.ClockSynced, Reviewed: r.Reviewed(),
		InfoRequested: r.InfoRequested, Anonymous: r.Anonymous, Purged: r.Purged, OnBehalf: r.OnBehalf, Notes: r.Notes}
	if r.Reviewed() {
		t := r.ReviewedAt.UTC()
		out.ReviewedAt = &t
	}
	return out
}

func (s *staff) apiReports(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	f, bad := readReportFilter(c)
	if bad != "" {
		apiError(c, http.StatusBadRequest, "invalid", "bad "+bad+": status and category as the API names them, days as YYYY-MM-DD (to not before from)", bad)
		return
	}
	d := f.domain()
	d.Limit, d.Offset = apiListDefault, 0
	for _, p := range []struct {
		name string
		to   *int
		max  int
	}{{"limit", &d.Limit, apiListMax}, {"offset", &d.Offset, 1 << 30}} {
		if q := c.Query(p.name); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 0 || n > p.max || (p.name == "limit" && n == 0) {
				apiError(c, http.StatusBadRequest, "invalid", p.name+" must be a number from "+map[bool]string{true: "1", false: "0"}[p.name == "limit"]+" to "+strconv.Itoa(p.max), p.name)
				return
			}
			*p.to = n
		}
	}
	rows, total, err := o.List(c.Request.Context(), staffOf(c).Actor(), d)
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	out := reportListJSON{Reports: make([]reportSummaryJSON, 0, len(rows)), Total: total, Offset: d.Offset, Limit: d.Limit}
	for _, r := range rows {
		out.Reports = append(out.Reports, summaryJSON(r))
	}
	c.JSON(http.StatusOK, out)
}

// reportJSON is a report without personal data.
type reportJSON struct {
	ID             string                `json:"id"`
	Number         string                `json:"number"`
	Category       kiosk.Category        `json:"category"`
	Lang           string                `json:"lang"`
	Anonymous      bool                  `json:"anonymous"`
	Place          string                `json:"place,omitempty"`
	OccurredAt     string                `json:"occurred_at,omitempty"`
	Status         kiosk.Status          `json:"status"`
	Decision       kiosk.Decision        `json:"decision,omitempty"`
	CaseNumber     string                `json:"case_number,omitempty"`
	CreatedAt      time.Time             `json:"created_at"`
	ClockSynced    bool                  `json:"clock_synced"`
	Purged         bool                  `json:"purged"`
	FiledBy        string                `json:"filed_by,omitempty"`
	ReviewedAt     *time.Time            `json:"reviewed_at,omitempty"`
	ReviewedBy     string                `json:"reviewed_by,omitempty"`
	Notes          []kiosk.Note          `json:"notes"`
	InfoRequests   []kiosk.InfoRequest   `json:"info_requests"`
	IdentityChecks []kiosk.IdentityCheck `json:"identity_checks"`
	History        []kiosk.Event         `json:"history"`
}

func detailsJSON(r *kiosk.Report) reportJSON {
	out := reportJSON{ID: r.ID, Number: r.Number.String(), Category: r.Category, Lang: r.Lang, Anonymous: r.Anonymous,
		Place: r.Incident.Place, OccurredAt: r.Incident.OccurredAt, Status: r.Status, Decision: r.Decision,
		CaseNumber: r.CaseNumber, CreatedAt: r.CreatedAt.UTC(), ClockSynced: r.ClockSynced, Purged: r.Purged,
		FiledBy: r.FiledBy, ReviewedBy: r.ReviewedBy, Notes: r.Notes, InfoRequests: r.InfoRequests,
		IdentityChecks: r.IdentityChecks, History: r.History}
	if r.Reviewed() {
		t := r.ReviewedAt.UTC()
		out.ReviewedAt = &t
	}
	if out.Notes == nil {
		out.Notes = []kiosk.Note{}
	}
	if out.InfoRequests == nil {
		out.InfoRequests = []kiosk.InfoRequest{}
	}
	if out.IdentityChecks == nil {
		out.IdentityChecks = []kiosk.IdentityCheck{}
	}
	return out
}

func (s *staff) apiReport(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	r, err := o.Details(c.Request.Context(), staffOf(c).Actor(), c.Param("number"))
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, detailsJSON(r))
}

type revealRequest struct {
	Reason string `json:"reason"`
}

func (s *staff) apiReveal(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	var in revealRequest
	if !decode(c, &in) {
		return
	}
	_, p, err := o.RevealPersonal(c.Request.Context(), staffOf(c).Actor(), c.Param("number"), in.Reason)
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	if p.Checks == nil {
		p.Checks = []kiosk.IdentityCheck{}
	}
	c.JSON(http.StatusOK, p)
}

type textRequest struct {
	Text string `json:"text"`
	Lang string `json:"lang"` // of an information request; the report's language when empty
}

// apiUpdate answers a change of a report with the report as it is now.
func (s *staff) apiUpdate(c *gin.Context, status int, fn func(o *kiosk.Officer, by kiosk.Actor, number string) (*kiosk.Report, error)) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	r, err := fn(o, staffOf(c).Actor(), c.Param("number"))
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	c.JSON(status, detailsJSON(r))
}

func (s *staff) apiNote(c *gin.Context) {
	var in textRequest
	if !decode(c, &in) {
		return
	}
	if in.Lang != "" {
		apiError(c, http.StatusBadRequest, "unknown_field", "a note has no language", "lang")
		return
	}
	s.apiUpdate(c, http.StatusCreated, func(o *kiosk.Officer, by kiosk.Actor, n string) (*kiosk.Report, error) {
		return o.AddNote(c.Request.Context(), by, n, in.Text)
	})
}

func (s *staff) apiReview(c *gin.Context) {
	s.apiUpdate(c, http.StatusOK, func(o *kiosk.Officer, by kiosk.Actor, n string) (*kiosk.Report, error) {
		return o.MarkReviewed(c.Request.Context(), by, n)
	})
}

func (s *staff) apiRequest(c *gin.Context) {
	var in textRequest
	if !decode(c, &in) {
		return
	}
	s.apiUpdate(c, http.StatusCreated, func(o *kiosk.Officer, by kiosk.Actor, n string) (*kiosk.Report, error) {
		return o.RequestInfo(c.Request.Context(), by, n, in.Text, in.Lang)
	})
}

func (s *staff) apiCloseRequest(c *gin.Context) {
	s.apiUpdate(c, http.StatusOK, func(o *kiosk.Officer, by kiosk.Actor, n string) (*kiosk.Report, error) {
		return o.CloseInfoRequest(c.Request.Context(), by, n)
	})
}

// receiptJSON says what became of a receipt and, when it did not print,
// the access code it carries (the person must be told it).
type receiptReplyJSON struct {
	Number     string              `json:"number"`
	AccessCode string              `json:"access_code"`
	Receipt    kiosk.ReceiptStatus `json:"receipt"`
}

// receiptReply waits briefly for the receipt of a report the officer filed
// or reprinted; the job goes on if the request ends.
func (s *staff) receiptReply(c *gin.Context, created *kiosk.Created) kiosk.ReceiptStatus {
	return s.d.receipt(context.WithoutCancel(c.Request.Context()), created)
}

func (s *staff) apiFileOnBehalf(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	var in kiosk.NewReport
	if !decode(c, &in) {
		return
	}
	created, err := o.FileOnBehalf(c.Request.Context(), staffOf(c).Actor(), in)
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	r := created.Report
	c.JSON(http.StatusCreated, createReply{
		ID: r.ID, Number: r.Number.String(), AccessCode: kiosk.FormatAccessCode(created.AccessCode),
		Status: r.Status, CreatedAt: r.CreatedAt, ClockSynced: r.ClockSynced, Receipt: s.receiptReply(c, created),
	})
}

type identityRequest struct {
	DocumentType   string `json:"document_type"`
	DocumentNumber string `json:"document_number"`
	Lang           string `json:"lang"` // of an extract; the report's language when empty
}

func (s *staff) apiReprint(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	var in identityRequest
	if !decode(c, &in) {
		return
	}
	if in.Lang != "" {
		apiError(c, http.StatusBadRequest, "unknown_field", "a receipt has no language choice here", "lang")
		return
	}
	created, err := o.ReprintReceipt(c.Request.Context(), staffOf(c).Actor(), c.Param("number"), in.DocumentType, in.DocumentNumber)
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, receiptReplyJSON{Number: created.Report.Number.String(),
		AccessCode: kiosk.FormatAccessCode(created.AccessCode), Receipt: s.receiptReply(c, created)})
}

func (s *staff) apiExtract(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	var in identityRequest
	if !decode(c, &in) {
		return
	}
	x, err := o.PrintExtract(c.Request.Context(), staffOf(c).Actor(), c.Param("number"), in.DocumentType, in.DocumentNumber, in.Lang)
	if err != nil {
		s.officerAPIError(c, err)
		return
	}
	c.JSON(http.StatusOK, printReply{DocumentID: x.DocumentID, Number: x.Number, Printer: x.Printer, Job: x.Job})
}

// deviceJSON is the device panel: /healthz and the kiosk's time.
type deviceJSON struct {
	Health
	Now time.Time `json:"now"`
}

func (s *staff) apiDevice(c *gin.Context) {
	v := s.deviceState(c.Request.Context())
	c.JSON(http.StatusOK, deviceJSON{Health: v.H, Now: v.Now})
}
