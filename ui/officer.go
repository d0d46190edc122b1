package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The officer console: the CPC's reports newest first with filters, a
// report's details (personal data only after a stated reason), notes,
// "reviewed", requests to the citizen for more information, a report filed
// for a walk-in citizen, a receipt reprinted with a new access code and an
// extract printed for a participant after an identity check — and the
// device panel. The JSON API beside the pages is in officerapi.go
// (docs/staff-api.md).
//
// Every write goes through kiosk.Officer, which checks the role again and
// audits it with the officer's username in the transaction of the change.
// Forms post back and redirect (POST-redirect-GET) with a notice; a refused
// form is shown again with the reasons. Personal data never goes into a URL
// or the session: the revealed reporter is the answer to the POST that
// stated the reason, and a form's sticky values are only re-rendered.

// officerPageSize is how many reports the list shows per page.
const officerPageSize = 20

// scratchResult holds the outcome of a print (filed, reprinted, extract)
// for the page after the redirect; it is shown once.
const scratchResult = "officer.result"

// revealReasons are the common reasons offered for seeing personal data
// ("other" needs the free text).
var revealReasons = []string{"contact", "investigation", "identity", "extract", "other"}

func (s *staff) registerOfficer() {
	get, post := http.MethodGet, http.MethodPost
	s.page(get, "/staff/reports", officerOnly, s.officerList)
	s.page(get, "/staff/reports/new", officerOnly, s.officerNewForm)
	s.page(post, "/staff/reports/new", officerOnly, s.officerFile)
	s.page(get, "/staff/reports/:number", officerOnly, s.officerReport)
	s.page(post, "/staff/reports/:number/personal", officerOnly, s.officerReveal)
	s.page(post, "/staff/reports/:number/notes", officerOnly, s.officerNote)
	s.page(post, "/staff/reports/:number/review", officerOnly, s.officerReview)
	s.page(post, "/staff/reports/:number/info-request", officerOnly, s.officerRequest)
	s.page(post, "/staff/reports/:number/info-request/close", officerOnly, s.officerCloseRequest)
	s.page(get, "/staff/reports/:number/reprint", officerOnly, s.officerReprintForm)
	s.page(post, "/staff/reports/:number/reprint", officerOnly, s.officerReprint)
	s.page(get, "/staff/reports/:number/extract", officerOnly, s.officerExtractForm)
	s.page(post, "/staff/reports/:number/extract", officerOnly, s.officerExtract)
	s.page(get, "/staff/reports/:number/done", officerOnly, s.officerDone)
	s.page(get, "/staff/device", officerAndAdmin, s.devicePanel)
	s.registerOfficerAPI()
}

// officer returns the console's service, or shows that this kiosk has none.
func (s *staff) officer(c *gin.Context) (*kiosk.Officer, bool) {
	if s.d.Officer == nil {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			apiError(c, http.StatusServiceUnavailable, "officer_unavailable", "the officer console is not available on this kiosk", "")
		} else {
			ss := staffOf(c)
			ss.Notice = "officer.err.off"
			s.renderStatus(c, http.StatusServiceUnavailable, "officer-error", nil, ss)
		}
		return nil, false
	}
	return s.d.Officer, true
}

// officerErrorKey is the HTTP status and catalog key of a domain error.
func officerErrorKey(err error) (int, string) {
	switch {
	case errors.Is(err, kiosk.ErrNotFound), errors.Is(err, kiosk.ErrInvalidNumber):
		return http.StatusNotFound, "officer.err.not_found"
	case errors.Is(err, kiosk.ErrForbidden):
		return http.StatusForbidden, "staff.forbidden.text"
	case errors.Is(err, kiosk.ErrAnonymous):
		return http.StatusConflict, "officer.err.anonymous"
	case errors.Is(err, kiosk.ErrNoInfoRequest):
		return http.StatusConflict, "officer.err.no_request"
	case errors.Is(err, kiosk.ErrNoPrinter), errors.As(err, new(*kiosk.PrinterError)):
		return http.StatusServiceUnavailable, "officer.err.printer"
	case errors.Is(err, kiosk.ErrNoExtracts):
		return http.StatusServiceUnavailable, "officer.err.extracts"
	case errors.Is(err, kiosk.ErrCentralNeeded):
		return http.StatusServiceUnavailable, "officer.err.central"
	case errors.Is(err, kiosk.ErrStorageFull):
		return http.StatusServiceUnavailable, "officer.err.storage_full"
	}
	return http.StatusServiceUnavailable, "officer.err.unavailable"
}

// officerFail shows the page of an error that is not the officer's to fix
// in the form: not found, not allowed, the printer or the store failing.
func (s *staff) officerFail(c *gin.Context, err error) {
	status, key := officerErrorKey(err)
	if key == "officer.err.unavailable" || key == "officer.err.printer" {
		s.d.Log.Error("officer request failed", "route", c.FullPath(), "err", err)
	}
	ss := staffOf(c)
	ss.Notice = key
	s.renderStatus(c, status, "officer-error", nil, ss)
}

// officerMaxLen is the limit a too_long error quotes, by field.
var officerMaxLen = map[string]int{
	"reason": kiosk.MaxReasonLen, "text": kiosk.MaxNoteLen, "document_number": kiosk.MaxDocNumberLen,
}

// officerFieldMsg is officer.err.<field>.<code>, else officer.err.<code>,
// else officer.err.invalid.
func officerFieldMsg(lang string, f kiosk.FieldError, maxLen int) string {
	for _, k := range []string{"officer.err." + f.Field + "." + f.Code, "officer.err." + f.Code} {
		if has(lang, k) {
			return tr(lang, k, maxLen)
		}
	}
	return tr(lang, "officer.err.invalid")
}

// officerErrors translates a validation error by form field; field names
// maps the domain's fields to the form's. nil for any other error.
func officerErrors(lang string, err error, names map[string]string, maxLen map[string]int) map[string]string {
	var ve *kiosk.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	for _, f := range ve.Fields {
		name := f.Field
		if n, ok := names[f.Field]; ok {
			name = n
		}
		if _, dup := out[name]; !dup {
			out[name] = officerFieldMsg(lang, f, maxLen[f.Field])
		}
	}
	return out
}

// ---- the list ----

// reportFilter is the list's filter as the query gives it.
type reportFilter struct {
	Status     string // a status, or "" for any
	Category   string // a category, or "" for any
	From, To   string // days as typed (DD.MM.YYYY) or YYYY-MM-DD
	Unreviewed bool
	Page       int // from 1
	from, to   time.Time
}

// readDay reads a day as the page's keyboard types it (DD.MM.YYYY) or as a
// date input and the API send it (YYYY-MM-DD).
func readDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if t, err := kiosk.ParseDay(s); err == nil {
		return t, true
	}
	return parseDay(s)
}

// readReportFilter reads the filter of the page or the API. bad names the
// first parameter that is not understood ("" when all are).
func readReportFilter(c *gin.Context) (f reportFilter, bad string) {
	f = reportFilter{Status: c.Query("status"), Category: c.Query("category"), From: strings.TrimSpace(c.Query("from")),
		To: strings.TrimSpace(c.Query("to")), Unreviewed: c.Query("unreviewed") == "1" || c.Query("unreviewed") == "true"}
	if f.Status != "" && !kiosk.Status(f.Status).Valid() {
		f.Status, bad = "", "status"
	}
	if f.Category != "" && !kiosk.Category(f.Category).Valid() {
		f.Category, bad = "", "category"
	}
	var ok bool
	if f.from, ok = readDay(f.From); !ok || len(f.From) > 10 {
		f.From, f.from, bad = "", time.Time{}, "from"
	}
	if f.to, ok = readDay(f.To); !ok || len(f.To) > 10 {
		f.To, f.to, bad = "", time.Time{}, "to"
	}
	if !f.from.IsZero() && !f.to.IsZero() && f.to.Before(f.from) {
		f.To, f.to, bad = "", time.Time{}, "to"
	}
	f.Page, _ = strconv.Atoi(c.Query("page"))
	f.Page = max(f.Page, 1)
	return f, bad
}

// domain is the filter for the service, without paging.
func (f reportFilter) domain() kiosk.ReportFilter {
	d := kiosk.ReportFilter{Status: kiosk.Status(f.Status), Category: kiosk.Category(f.Category), Unreviewed: f.Unreviewed}
	d.Days(f.from, f.to)
	return d
}

// query is the filter as a query string, on page p (1: none).
func (f reportFilter) query(p int) string {
	v := url.Values{}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.Category != "" {
		v.Set("category", f.Category)
	}
	if f.From != "" {
		v.Set("from", f.From)
	}
	if f.To != "" {
		v.Set("to", f.To)
	}
	if f.Unreviewed {
		v.Set("unreviewed", "1")
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return "/staff/reports"
	}
	return "/staff/reports?" + v.Encode()
}

// chip is one touch button of the filter bar.
type chip struct {
	ID, Key, Href string
	Current       bool
}

// officerRow is a line of the list: the summary and its time, short.
type officerRow struct {
	kiosk.ReportSummary
	When string // DD.MM.YYYY HH:MM in Zone
}

// officerListView is what the list page shows.
type officerListView struct {
	F                     reportFilter
	Rows                  []officerRow
	Total, Page, Pages    int
	Prev, Next            string
	Unreviewed, AllChip   chip
	Statuses, Categories  []chip
	Days                  []chip
	StatusKey, CatKey     string // the current choice's catalog key, for the buttons' labels
	DaysLabel             string // the current days as the page writes them, or ""
	Hidden                [][2]string
	Filtered, AnyDaysOpen bool
}

func (s *staff) officerList(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	f, bad := readReportFilter(c)
	if bad != "" {
		ss.Notice = "officer.err.filter"
	}
	d := f.domain()
	d.Offset, d.Limit = (f.Page-1)*officerPageSize, officerPageSize
	rows, total, err := o.List(c.Request.Context(), ss.Actor(), d)
	if err != nil {
		s.officerFail(c, err)
		return
	}
	v := &officerListView{F: f, Total: total, Page: f.Page, Pages: max(1, (total+officerPageSize-1)/officerPageSize)}
	for _, r := range rows {
		v.Rows = append(v.Rows, officerRow{ReportSummary: r, When: r.CreatedAt.In(kiosk.Zone).Format("02.01.2006 15:04")})
	}
	if f.Page > 1 {
		v.Prev = f.query(f.Page - 1)
	}
	if f.Page < v.Pages {
		v.Next = f.query(f.Page + 1)
	}
	with := func(change func(*reportFilter)) string {
		g := f
		change(&g)
		return g.query(1)
	}
	v.Unreviewed = chip{ID: "f-unreviewed", Key: "officer.filter.unreviewed", Current: f.Unreviewed,
		Href: with(func(g *reportFilter) { g.Unreviewed = !g.Unreviewed })}
	v.AllChip = chip{ID: "f-clear", Key: "officer.filter.clear", Href: "/staff/reports"}
	v.Filtered = f.Status != "" || f.Category != "" || f.From != "" || f.To != "" || f.Unreviewed
	v.StatusKey, v.CatKey = "officer.filter.any", "officer.filter.any"
	v.Statuses = append(v.Statuses, chip{ID: "f-status-any", Key: "officer.filter.any", Current: f.Status == "",
		Href: with(func(g *reportFilter) { g.Status = "" })})
	for _, st := range []kiosk.Status{kiosk.StatusReceived, kiosk.StatusRelayed, kiosk.StatusRegistered, kiosk.StatusUnderReview, kiosk.StatusDecided, kiosk.StatusClosed} {
		key := "officer.st." + string(st)
		v.Statuses = append(v.Statuses, chip{ID: "f-status-" + string(st), Key: key, Current: f.Status == string(st),
			Href: with(func(g *reportFilter) { g.Status = string(st) })})
		if f.Status == string(st) {
			v.StatusKey = key
		}
	}
	v.Categories = append(v.Categories, chip{ID: "f-cat-any", Key: "officer.filter.any", Current: f.Category == "",
		Href: with(func(g *reportFilter) { g.Category = "" })})
	for _, cat := range kiosk.Categories {
		key := "officer.cat." + string(cat)
		v.Categories = append(v.Categories, chip{ID: "f-cat-" + string(cat), Key: key, Current: f.Category == string(cat),
			Href: with(func(g *reportFilter) { g.Category = string(cat) })})
		if f.Category == string(cat) {
			v.CatKey = key
		}
	}
	now, _ := o.Now()
	today := now.In(kiosk.Zone).Format("02.01.2006")
	v.Days = []chip{{ID: "f-days-any", Key: "officer.filter.days.any", Current: f.From == "" && f.To == "",
		Href: with(func(g *reportFilter) { g.From, g.To = "", "" })}}
	for _, n := range []int{1, 7, 30} {
		from := now.In(kiosk.Zone).AddDate(0, 0, 1-n).Format("02.01.2006")
		v.Days = append(v.Days, chip{ID: fmt.Sprintf("f-days-%d", n), Key: fmt.Sprintf("officer.filter.days.%d", n),
			Current: f.From == from && f.To == today, Href: with(func(g *reportFilter) { g.From, g.To = from, today })})
	}
	switch {
	case f.From != "" && f.To != "":
		v.DaysLabel = f.From + " – " + f.To
	case f.From != "":
		v.DaysLabel = "≥ " + f.From
	case f.To != "":
		v.DaysLabel = "≤ " + f.To
	}
	if f.Status != "" {
		v.Hidden = append(v.Hidden, [2]string{"status", f.Status})
	}
	if f.Category != "" {
		v.Hidden = append(v.Hidden, [2]string{"category", f.Category})
	}
	if f.Unreviewed {
		v.Hidden = append(v.Hidden, [2]string{"unreviewed", "1"})
	}
	v.AnyDaysOpen = bad == "from" || bad == "to"
	s.render(c, "officer-list", v)
}

// ---- a report ----

// officerReportView is what the details page shows.
type officerReportView struct {
	R        *kiosk.Report
	Personal *kiosk.Personal // nil until the officer stated a reason
	Open     *kiosk.InfoRequest
	History  []kiosk.Event // newest first
	Reasons  []string
	Langs    []string
	Errs     map[string]string
	Values   map[string]string // what a refused form held, shown again
	Receipts bool              // a receipt can be reprinted here
	Extracts bool              // extracts can be printed here
}

func (s *staff) reportView(o *kiosk.Officer, r *kiosk.Report) *officerReportView {
	v := &officerReportView{R: r, Open: r.OpenInfoRequest(), History: slices.Clone(r.History), Reasons: revealReasons,
		Langs: kiosk.Languages, Errs: map[string]string{}, Values: map[string]string{}}
	slices.Reverse(v.History)
	v.Receipts, v.Extracts = o.Printing()
	return v
}

// showReport renders the details page of number with status, the view
// changed by edit (errors, personal data) when not nil.
func (s *staff) showReport(c *gin.Context, o *kiosk.Officer, status int, edit func(v *officerReportView)) {
	r, err := o.Details(c.Request.Context(), staffOf(c).Actor(), c.Param("number"))
	if err != nil {
		s.officerFail(c, err)
		return
	}
	v := s.reportView(o, r)
	if edit != nil {
		edit(v)
	}
	s.renderStatus(c, status, "officer-report", v, staffOf(c))
}

func (s *staff) officerReport(c *gin.Context) {
	if o, ok := s.officer(c); ok {
		s.showReport(c, o, http.StatusOK, nil)
	}
}

// backToReport redirects to the report's page with a notice, at anchor.
func (s *staff) backToReport(c *gin.Context, r *kiosk.Report, notice, anchor string) {
	staffOf(c).Notice = notice
	c.Redirect(http.StatusSeeOther, "/staff/reports/"+r.Number.String()+anchor)
}

// refused shows the details page again with the errors of a refused form,
// or the error page for anything else.
func (s *staff) refused(c *gin.Context, o *kiosk.Officer, err error, values map[string]string) {
	limits := officerMaxLen
	if values["form"] == "request" {
		limits = map[string]int{"text": kiosk.MaxInfoRequestLen}
	}
	errs := officerErrors(staffOf(c).Lang, err, nil, limits)
	if errs == nil {
		s.officerFail(c, err)
		return
	}
	s.showReport(c, o, http.StatusUnprocessableEntity, func(v *officerReportView) { v.Errs, v.Values = errs, values })
}

// revealReason is the reason the officer stated: the common reason chosen
// (in the words they read) and what they typed. "other" needs the text.
func revealReason(lang, code, text string) string {
	text = strings.TrimSpace(text)
	if !slices.Contains(revealReasons, code) || code == "other" {
		return text
	}
	label := tr(lang, "officer.reason."+code)
	if text == "" {
		return label
	}
	return label + ": " + text
}

func (s *staff) officerReveal(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	code, text := c.PostForm("reason_code"), c.PostForm("reason_text")
	r, p, err := o.RevealPersonal(c.Request.Context(), ss.Actor(), c.Param("number"), revealReason(ss.Lang, code, text))
	if err != nil {
		s.refused(c, o, err, map[string]string{"form": "reveal", "reason_code": code, "reason_text": text})
		return
	}
	v := s.reportView(o, r)
	v.Personal = p
	s.render(c, "officer-report", v)
}

func (s *staff) officerNote(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	text := c.PostForm("text")
	r, err := o.AddNote(c.Request.Context(), staffOf(c).Actor(), c.Param("number"), text)
	if err != nil {
		s.refused(c, o, err, map[string]string{"form": "note", "note": text})
		return
	}
	s.backToReport(c, r, "officer.notice.note_added", "#notes")
}

func (s *staff) officerReview(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	r, err := o.MarkReviewed(c.Request.Context(), staffOf(c).Actor(), c.Param("number"))
	if err != nil {
		s.officerFail(c, err)
		return
	}
	s.backToReport(c, r, "officer.notice.reviewed", "")
}

func (s *staff) officerRequest(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	text, lang := c.PostForm("text"), c.PostForm("lang")
	r, err := o.RequestInfo(c.Request.Context(), staffOf(c).Actor(), c.Param("number"), text, lang)
	if err != nil {
		s.refused(c, o, err, map[string]string{"form": "request", "request": text, "request_lang": lang})
		return
	}
	s.backToReport(c, r, "officer.notice.requested", "#info")
}

func (s *staff) officerCloseRequest(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	r, err := o.CloseInfoRequest(c.Request.Context(), staffOf(c).Actor(), c.Param("number"))
	if err != nil {
		s.officerFail(c, err)
		return
	}
	s.backToReport(c, r, "officer.notice.request_closed", "#info")
}

// ---- printing for a person at the counter ----

// officerResult is what the page after a print shows once.
type officerResult struct {
	Kind       string // "filed", "reprint", "extract"
	Number     string
	Receipt    string // catalog key of the receipt's fate
	AccessCode string // shown only when the receipt did not print
	Printer    string // of an extract: "a4" or "receipt"
	DocumentID string
}

// identityView is the form of a reprint or an extract.
type identityView struct {
	R        *kiosk.Report
	DocTypes []string
	Langs    []string
	Errs     map[string]string
	Values   map[string]string
	Can      bool // this kiosk can print it
}

func (s *staff) identityForm(c *gin.Context, page string, status int, errs, values map[string]string) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	r, err := o.Details(c.Request.Context(), staffOf(c).Actor(), c.Param("number"))
	if err != nil {
		s.officerFail(c, err)
		return
	}
	v := &identityView{R: r, DocTypes: kiosk.DocumentTypes, Langs: kiosk.Languages, Errs: errs, Values: values}
	receipts, extracts := o.Printing()
	v.Can = (page == "officer-reprint" && receipts && !r.Anonymous) || (page == "officer-extract" && extracts)
	if v.Errs == nil {
		v.Errs = map[string]string{}
	}
	if v.Values == nil {
		v.Values = map[string]string{"lang": r.Lang}
	}
	s.renderStatus(c, status, page, v, staffOf(c))
}

func (s *staff) officerReprintForm(c *gin.Context) {
	s.identityForm(c, "officer-reprint", http.StatusOK, nil, nil)
}

func (s *staff) officerExtractForm(c *gin.Context) {
	s.identityForm(c, "officer-extract", http.StatusOK, nil, nil)
}

// identityValues reads the identity form; errs holds the confirmation
// missing.
func identityValues(c *gin.Context, lang string) (map[string]string, map[string]string) {
	values := map[string]string{"document_type": c.PostForm("document_type"), "document_number": c.PostForm("document_number"),
		"lang": c.PostForm("lang"), "confirm": c.PostForm("confirm")}
	errs := map[string]string{}
	if values["confirm"] != "yes" {
		errs["confirm"] = tr(lang, "officer.err.confirm.required")
	}
	return values, errs
}

// showResult keeps res for the page after the redirect.
func (s *staff) showResult(c *gin.Context, res *officerResult) {
	staffOf(c).Scratch[scratchResult] = res
	c.Redirect(http.StatusSeeOther, "/staff/reports/"+res.Number+"/done")
}

func (s *staff) officerReprint(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	values, errs := identityValues(c, ss.Lang)
	if len(errs) == 0 {
		created, err := o.ReprintReceipt(c.Request.Context(), ss.Actor(), c.Param("number"), values["document_type"], values["document_number"])
		if err == nil {
			res := &officerResult{Kind: "reprint", Number: created.Report.Number.String(), Receipt: s.receiptReply(c, created).Status}
			if res.Receipt != kiosk.ReceiptPrinted {
				res.AccessCode = kiosk.FormatAccessCode(created.AccessCode)
			}
			s.showResult(c, res)
			return
		}
		if errs = officerErrors(ss.Lang, err, nil, officerMaxLen); errs == nil {
			s.officerFail(c, err)
			return
		}
	}
	values["document_number"] = "" // not shown again: it is personal data
	s.identityForm(c, "officer-reprint", http.StatusUnprocessableEntity, errs, values)
}

func (s *staff) officerExtract(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	values, errs := identityValues(c, ss.Lang)
	if len(errs) == 0 {
		x, err := o.PrintExtract(c.Request.Context(), ss.Actor(), c.Param("number"), values["document_type"], values["document_number"], values["lang"])
		if err == nil {
			s.showResult(c, &officerResult{Kind: "extract", Number: x.Number, Printer: x.Printer, DocumentID: x.DocumentID})
			return
		}
		if errs = officerErrors(ss.Lang, err, nil, officerMaxLen); errs == nil {
			s.officerFail(c, err)
			return
		}
	}
	values["document_number"] = ""
	s.identityForm(c, "officer-extract", http.StatusUnprocessableEntity, errs, values)
}

func (s *staff) officerDone(c *gin.Context) {
	ss := staffOf(c)
	res, _ := ss.Scratch[scratchResult].(*officerResult)
	if res == nil || res.Number != c.Param("number") {
		c.Redirect(http.StatusSeeOther, "/staff/reports/"+url.PathEscape(c.Param("number")))
		return
	}
	delete(ss.Scratch, scratchResult) // the code is shown once
	s.render(c, "officer-done", res)
}

// ---- a report filed for a walk-in citizen ----

// onBehalfView is the staff form of a new report.
type onBehalfView struct {
	Categories []kiosk.Category
	Langs      []string
	Errs       map[string]string
	V          map[string]string
}

// onBehalfFields maps the domain's fields to the form's.
var onBehalfFields = map[string]string{
	"incident.occurred_at": "date", "incident.place": "place", "incident.description": "description",
	"reporter": "who", "reporter.full_name": "full_name", "reporter.phone": "phone",
	"reporter.id_number": "id_number", "reporter.address": "address",
}

var onBehalfMax = map[string]int{
	"incident.place": kiosk.MaxPlaceLen, "incident.description": kiosk.MaxDescriptionLen,
	"reporter.full_name": kiosk.MaxNameLen, "reporter.phone": kiosk.MaxPhoneLen,
	"reporter.id_number": kiosk.MaxIDNumberLen, "reporter.address": kiosk.MaxAddressLen,
}

func (s *staff) onBehalfForm(c *gin.Context, status int, errs, values map[string]string) {
	if errs == nil {
		errs = map[string]string{}
	}
	if values == nil {
		values = map[string]string{"lang": staffOf(c).Lang, "who": "named"}
	}
	s.renderStatus(c, status, "officer-new", &onBehalfView{Categories: kiosk.Categories, Langs: kiosk.Languages, Errs: errs, V: values}, staffOf(c))
}

func (s *staff) officerNewForm(c *gin.Context) {
	if _, ok := s.officer(c); ok {
		s.onBehalfForm(c, http.StatusOK, nil, nil)
	}
}

// onBehalfReport reads the staff form into a submission, with errors of its
// own for a date, time or consent it cannot accept.
func onBehalfReport(c *gin.Context, lang string) (kiosk.NewReport, map[string]string, map[string]string) {
	v := map[string]string{}
	for _, k := range []string{"category", "lang", "date", "time", "place", "description", "who", "full_name", "phone", "id_number", "address", "consent"} {
		v[k] = strings.TrimSpace(c.PostForm(k))
	}
	v["description"] = strings.ReplaceAll(v["description"], "\r\n", "\n")
	errs := map[string]string{}
	nr := kiosk.NewReport{Category: kiosk.Category(v["category"]), Lang: v["lang"], Anonymous: v["who"] == "anon"}
	if !nr.Anonymous {
		nr.Reporter = kiosk.Reporter{FullName: v["full_name"], Phone: v["phone"], IDNumber: v["id_number"], Address: v["address"]}
	}
	nr.Incident = kiosk.Incident{Place: v["place"], Description: v["description"]}
	switch {
	case v["category"] == "":
		errs["category"] = tr(lang, "officer.err.category.required")
	case v["who"] != "named" && v["who"] != "anon":
		errs["who"] = tr(lang, "officer.err.who.required")
	}
	if v["consent"] != "yes" {
		errs["consent"] = tr(lang, "officer.err.consent.required")
	}
	if v["date"] != "" {
		day, ok := parseDay(v["date"])
		h, m := 0, 0
		if !ok {
			errs["date"] = tr(lang, "officer.err.date.invalid")
		}
		if v["time"] != "" {
			var okc bool
			if h, m, okc = parseClock(v["time"]); !okc {
				errs["time"] = tr(lang, "officer.err.time.invalid")
			}
		}
		if ok {
			nr.Incident.OccurredAt = time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, kiosk.Zone).Format(time.RFC3339)
		}
	} else if v["time"] != "" {
		errs["date"] = tr(lang, "officer.err.date.for_time")
	}
	return nr, errs, v
}

func (s *staff) officerFile(c *gin.Context) {
	o, ok := s.officer(c)
	if !ok {
		return
	}
	ss := staffOf(c)
	nr, errs, values := onBehalfReport(c, ss.Lang)
	if len(errs) > 0 {
		if err := nr.Validate(time.Now()); err != nil { // show every problem at once
			for k, m := range officerErrors(ss.Lang, err, onBehalfFields, onBehalfMax) {
				if _, dup := errs[k]; !dup {
					errs[k] = m
				}
			}
		}
		s.onBehalfForm(c, http.StatusUnprocessableEntity, errs, values)
		return
	}
	created, err := o.FileOnBehalf(c.Request.Context(), ss.Actor(), nr)
	if err != nil {
		if errs = officerErrors(ss.Lang, err, onBehalfFields, onBehalfMax); errs == nil {
			s.officerFail(c, err)
			return
		}
		s.onBehalfForm(c, http.StatusUnprocessableEntity, errs, values)
		return
	}
	res := &officerResult{Kind: "filed", Number: created.Report.Number.String(), Receipt: s.receiptReply(c, created).Status}
	if res.Receipt != kiosk.ReceiptPrinted {
		res.AccessCode = kiosk.FormatAccessCode(created.AccessCode)
	}
	s.showResult(c, res)
}

// ---- the device panel ----

// deviceSystem is the board's part of Health (firmware/health.Snapshot).
type deviceSystem struct {
	DiskFree      uint64   `json:"disk_free_bytes"`
	DiskTotal     uint64   `json:"disk_total_bytes"`
	MemAvailable  uint64   `json:"mem_available_bytes"`
	MemTotal      uint64   `json:"mem_total_bytes"`
	CPUTempC      *float64 `json:"cpu_temp_c"`
	UptimeSeconds int64    `json:"uptime_seconds"`
	Load1         float64  `json:"load1"`
}

// deviceUpdate is the update part of Health (relay.UpdateHealth).
type deviceUpdate struct {
	Phase   string `json:"phase"`
	Version string `json:"version"`
	Fetch   string `json:"fetch"`
}

// deviceView is what the device panel shows.
type deviceView struct {
	H                  Health
	Sys                *deviceSystem
	Update             *deviceUpdate
	Now                time.Time
	DiskUsed, MemUsed  int // percent
	DiskFree, DiskSize string
	MemFree, MemSize   string
	Uptime, Temp       string
	LastContactMinutes int // -1: never
	PrinterKey         string
	PrinterOK          bool
}

// asJSON re-reads v (an any of Health) as T.
func asJSON[T any](v any) *T {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	t := new(T)
	if json.Unmarshal(b, t) != nil {
		return nil
	}
	return t
}

func gb(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) }

func (s *staff) deviceState(ctx context.Context) *deviceView {
	h := Health{Status: "ok", Printer: kiosk.PrinterUnknown}
	if s.d.Health != nil {
		h = s.d.Health(ctx)
	}
	v := &deviceView{H: h, Sys: asJSON[deviceSystem](h.System), Update: asJSON[deviceUpdate](h.Update), LastContactMinutes: -1}
	v.Now = time.Now()
	if s.d.Officer != nil {
		v.Now, _ = s.d.Officer.Now()
	}
	if sys := v.Sys; sys != nil && sys.DiskTotal > 0 {
		v.DiskUsed = int(100 - sys.DiskFree*100/sys.DiskTotal)
		v.DiskFree, v.DiskSize = gb(sys.DiskFree), gb(sys.DiskTotal)
		if sys.MemTotal > 0 {
			v.MemUsed = int(100 - sys.MemAvailable*100/sys.MemTotal)
			v.MemFree, v.MemSize = gb(sys.MemAvailable), gb(sys.MemTotal)
		}
		up := time.Duration(sys.UptimeSeconds) * time.Second
		v.Uptime = fmt.Sprintf("%d:%02d", int(up.Hours()), int(up.Minutes())%60)
		if sys.CPUTempC != nil {
			v.Temp = strconv.FormatFloat(*sys.CPUTempC, 'f', 0, 64)
		}
	}
	if h.Relay.LastSuccess != nil {
		v.LastContactMinutes = max(0, int(v.Now.Sub(*h.Relay.LastSuccess).Minutes()))
	}
	v.PrinterKey = "officer.printer." + h.Printer
	if !has(defaultLang, v.PrinterKey) {
		v.PrinterKey = "officer.printer.unknown"
	}
	v.PrinterOK = h.Printer == kiosk.PrinterOK
	return v
}

func (s *staff) devicePanel(c *gin.Context) {
	s.render(c, "officer-device", s.deviceState(c.Request.Context()))
}
