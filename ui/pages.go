package ui

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// pageOptions tune the touch pages; tests shorten the idle timer.
type pageOptions struct {
	IdleSeconds      int              // without a touch before "Are you still there?"
	CountdownSeconds int              // on that overlay before the wipe
	Now              func() time.Time // wall clock for the wizard's date checks
}

var pageDefaults = pageOptions{IdleSeconds: 60, CountdownSeconds: 20}

// sessionCookie is the cookie's name over plain http (the kiosk's own
// Chromium on 127.0.0.1); over TLS the __Host- prefixed name is used.
const (
	sessionCookie       = "kiosk_session"
	sessionCookieSecure = "__Host-kiosk_session"
)

// clearSiteData wipes the browser's cache, cookies and storage for the kiosk.
const clearSiteData = `"cache", "cookies", "storage"`

type pages struct {
	d     Deps
	o     pageOptions
	store *sessionStore
	tmpl  map[string]*template.Template
}

func newPages(d Deps, o pageOptions) *pages {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &pages{d: d, o: o, store: newSessionStore(nil), tmpl: mustParseTemplates()}
}

func (p *pages) register(r *gin.Engine) {
	r.GET("/static/*file", serveStatic)
	g := r.Group("/", p.withSession)
	g.GET("/", p.home)
	g.GET("/report", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/report/"+steps[0]) })
	g.GET("/report/:step", p.step)
	g.POST("/report/:step", p.postStep)
	g.GET("/done", p.done)
	g.GET("/status", p.statusForm)
	g.POST("/status", p.postStatus)
	g.GET("/status/result", p.statusResult)
	g.GET("/extract", p.extractForm)
	g.POST("/extract", p.postExtract)
	g.GET("/extract/preview", p.extractPreview)
	g.POST("/extract/print", p.printExtract)
	g.GET("/extract/done", p.extractDone)
	g.POST("/exit", p.exit)
	g.GET("/done/receipt.png", p.receiptPicture)
	g.POST("/done/print", p.printCopy)
}

// withSession finds or starts the visitor's session, applies ?lang=, checks
// the CSRF token of every POST and holds the session for the request.
func (p *pages) withSession(c *gin.Context) {
	name := sessionCookie
	if c.Request.TLS != nil {
		name = sessionCookieSecure
	}
	var ss *session
	if ck, err := c.Request.Cookie(name); err == nil {
		ss = p.store.get(ck.Value)
	}
	fresh := ss == nil
	if fresh {
		ss = p.store.create(defaultLang)
		http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: ss.id, Path: "/", HttpOnly: true,
			Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if l := c.Query("lang"); validLang(l) {
		ss.lang = l
	}
	c.Set("session", ss)
	// Pages may hold personal data: never stored, never sniffed.
	c.Header("Cache-Control", "no-store")
	if c.Request.Method == http.MethodPost && c.FullPath() != "/exit" {
		if fresh || !csrfOK(ss, c.PostForm("csrf")) {
			// An old page posted after its session ended: start over, say why.
			ss.notice = "err.expired"
			c.Redirect(http.StatusSeeOther, "/")
			c.Abort()
			return
		}
	}
	c.Next()
}

func sess(c *gin.Context) *session { return c.MustGet("session").(*session) }

// exit wipes the session and everything the browser kept, and returns to the
// home screen. It serves the quick exit, "Done" and the idle timer. The CSRF
// token is not needed: wiping is always safe, and the token may be the one
// of a session that already ended.
func (p *pages) exit(c *gin.Context) {
	ss := sess(c)
	p.store.drop(ss.id)
	ss.wipe() // nothing of the person stays reachable, even by a stale pointer
	c.Header("Clear-Site-Data", clearSiteData)
	for _, n := range []string{sessionCookie, sessionCookieSecure} {
		if n == sessionCookieSecure && c.Request.TLS == nil {
			continue
		}
		http.SetCookie(c.Writer, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// view is what every template gets.
type view struct {
	Name      string // page name, for the body class and tests
	Lang      string
	CSRF      string
	Path      string
	Idle      int
	Countdown int
	Exit      bool // show the quick exit
	Notice    string
	Centre    string // the centre's name
	Hotline   string
	Places    []string // the district's settlements, for the "where" step
	errs      map[string]fieldMsg
	Data      any
	// The staff console: the logged-in user (nil on citizen pages and the
	// login page), where the idle countdown posts, the training banner.
	Staff      *staffView
	IdleAction string
	Console    bool
	Training   bool
}

// T translates a catalog key into the page's language.
func (v *view) T(key string, args ...any) string { return tr(v.Lang, key, args...) }

// Err is the message for a form field, or "".
func (v *view) Err(field string) string {
	if m, ok := v.errs[field]; ok {
		return tr(v.Lang, m.Key, m.Args...)
	}
	return ""
}

// Date formats a time in the page's language.
func (v *view) Date(t time.Time) string { return formatDate(v.Lang, t) }

// Day formats a day without the time in the page's language; "" for the
// zero time.
func (v *view) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatDay(v.Lang, t)
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

// Langs are the language switch's links: the same page in each language.
func (v *view) Langs() []langLink {
	var out []langLink
	for _, l := range kiosk.Languages {
		out = append(out, langLink{Code: l, Name: tr(l, "lang.self"), Href: v.Path + "?lang=" + l, Current: l == v.Lang})
	}
	return out
}

func (p *pages) render(c *gin.Context, name string, data any, exit bool) {
	ss := sess(c)
	v := &view{Name: name, Lang: ss.lang, CSRF: ss.csrf, Path: c.Request.URL.Path,
		Idle: p.o.IdleSeconds, Countdown: p.o.CountdownSeconds, Exit: exit, errs: ss.errs, Data: data,
		Centre: p.d.Site.CentreName, Hotline: p.d.Site.Hotline, Places: p.d.Site.Places,
		IdleAction: "/exit", Training: p.d.training()}
	if v.Centre == "" {
		v.Centre = tr(ss.lang, "site.centre")
	}
	if ss.notice != "" {
		v.Notice = tr(ss.lang, ss.notice)
		ss.notice = ""
	}
	ss.errs = nil // errors are shown once
	var buf bytes.Buffer
	if err := p.tmpl[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		p.d.Log.Error("render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// home is the home screen: the three big buttons and, when the kiosk keeps
// the CPPT's log, the team's public board (cpptboard.go).
func (p *pages) home(c *gin.Context) { p.render(c, "home", p.board(c), false) }

// ---- the report wizard ----

// steps of the report wizard, in order.
var steps = []string{"category", "when", "where", "what", "who", "consent", "review"}

// draft is the report being written. It lives in the server session only.
type draft struct {
	Category                           string
	When, Date, Time                   string // When: today, yesterday, date, unknown
	Settlement, Place, Landmark        string // Settlement: one of Site.Places
	Description                        string
	Who                                string // named, anon
	FullName, Phone, IDNumber, Address string
	Consent                            bool
	reached                            int // index of the furthest step the person may open
}

// formField is where a domain field's error is shown in the wizard, and the
// step it belongs to.
var formField = map[string]struct{ name, step string }{
	"category":             {"category", "category"},
	"incident.occurred_at": {"date", "when"},
	"incident.place":       {"place", "where"},
	"incident.description": {"description", "what"},
	"reporter":             {"who", "who"},
	"reporter.full_name":   {"full_name", "who"},
	"reporter.phone":       {"phone", "who"},
	"reporter.id_number":   {"id_number", "who"},
	"reporter.address":     {"address", "who"},
}

type stepData struct {
	Step       string
	Index      int // 1-based
	Count      int
	D          *draft
	Categories []kiosk.Category
	Review     *reviewData
}

type reviewData struct {
	Category, When, Place, Description, Who string
	Anonymous                               bool
	Phone, IDNumber, Address                string
}

func (p *pages) step(c *gin.Context) {
	ss := sess(c)
	i := slices.Index(steps, c.Param("step"))
	if i < 0 {
		c.Redirect(http.StatusSeeOther, "/report/"+steps[0])
		return
	}
	if i > ss.draft.reached {
		c.Redirect(http.StatusSeeOther, "/report/"+steps[ss.draft.reached])
		return
	}
	sd := &stepData{Step: steps[i], Index: i + 1, Count: len(steps), D: &ss.draft, Categories: kiosk.Categories}
	if steps[i] == "review" {
		sd.Review = p.review(ss)
	}
	p.render(c, "step-"+steps[i], sd, true)
}

func (p *pages) review(ss *session) *reviewData {
	nr, _ := p.build(ss)
	d := &ss.draft
	rv := &reviewData{Category: tr(ss.lang, "cat."+string(nr.Category)), Place: nr.Incident.Place,
		Description: nr.Incident.Description, Anonymous: nr.Anonymous}
	switch d.When {
	case "unknown", "":
		rv.When = tr(ss.lang, "when.unknown")
	default:
		if t, err := time.Parse(time.RFC3339, nr.Incident.OccurredAt); err == nil {
			if d.Time == "" {
				rv.When = formatDay(ss.lang, t)
			} else {
				rv.When = formatDate(ss.lang, t)
			}
		}
	}
	if !nr.Anonymous {
		rv.Who, rv.Phone, rv.IDNumber, rv.Address = nr.Reporter.FullName, nr.Reporter.Phone, nr.Reporter.IDNumber, nr.Reporter.Address
	}
	return rv
}

func (p *pages) postStep(c *gin.Context) {
	ss := sess(c)
	i := slices.Index(steps, c.Param("step"))
	if i < 0 || i > ss.draft.reached {
		c.Redirect(http.StatusSeeOther, "/report/"+steps[ss.draft.reached])
		return
	}
	d := &ss.draft
	step := steps[i]
	form := func(k string) string { return strings.TrimSpace(c.PostForm(k)) }
	switch step {
	case "category":
		d.Category = form("category")
	case "when":
		d.When, d.Date, d.Time = form("when"), form("date"), form("time")
	case "where":
		d.Settlement, d.Place, d.Landmark = form("settlement"), form("place"), form("landmark")
	case "what":
		d.Description = strings.TrimSpace(strings.ReplaceAll(c.PostForm("description"), "\r\n", "\n"))
	case "who":
		d.Who = form("who")
		d.FullName, d.Phone, d.IDNumber, d.Address = form("full_name"), form("phone"), form("id_number"), form("address")
	case "consent":
		d.Consent = c.PostForm("consent") == "yes"
	}
	if c.PostForm("nav") == "back" {
		if i == 0 {
			c.Redirect(http.StatusSeeOther, "/")
			return
		}
		c.Redirect(http.StatusSeeOther, "/report/"+steps[i-1])
		return
	}
	if errs := p.checkStep(ss, step); len(errs) > 0 {
		ss.errs = errs
		c.Redirect(http.StatusSeeOther, "/report/"+step)
		return
	}
	if step == "review" {
		p.send(c, ss)
		return
	}
	if d.reached < i+1 {
		d.reached = i + 1
	}
	c.Redirect(http.StatusSeeOther, "/report/"+steps[i+1])
}

// checkStep validates what one step asked for, with the domain's own rules
// (NewReport.Validate) plus the few that only the wizard has.
func (p *pages) checkStep(ss *session, step string) map[string]fieldMsg {
	errs := map[string]fieldMsg{}
	d := &ss.draft
	switch step {
	case "category":
		if d.Category == "" {
			errs["category"] = fieldMsg{Key: "err.category.required"}
		}
	case "when":
		if d.When == "" {
			errs["when"] = fieldMsg{Key: "err.when.required"}
		}
	case "who":
		if d.Who != "named" && d.Who != "anon" {
			errs["who"] = fieldMsg{Key: "err.who.required"}
		}
	case "consent":
		if !d.Consent {
			errs["consent"] = fieldMsg{Key: "err.consent.required"}
		}
	case "where":
		if d.Settlement != "" && !slices.Contains(p.d.Site.Places, d.Settlement) {
			errs["settlement"] = fieldMsg{Key: "err.settlement.invalid"}
		}
	}
	nr, local := p.build(ss)
	for k, m := range local {
		if formFieldStep(k) == step || step == "review" {
			errs[k] = m
		}
	}
	if err := nr.Validate(p.o.Now()); err != nil {
		var ve *kiosk.ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				ff, ok := formField[f.Field]
				if !ok || (ff.step != step && step != "review") {
					continue
				}
				if _, dup := errs[ff.name]; !dup {
					errs[ff.name] = fieldError(f)
				}
			}
		}
	}
	if step == "review" && len(errs) > 0 {
		ss.draft.reached = min(ss.draft.reached, firstStep(errs))
	}
	return errs
}

func formFieldStep(name string) string {
	for _, ff := range formField {
		if ff.name == name {
			return ff.step
		}
	}
	switch name {
	case "time":
		return "when"
	case "landmark", "settlement":
		return "where"
	}
	return name
}

// firstStep is the index of the earliest step with an error.
func firstStep(errs map[string]fieldMsg) int {
	first := len(steps) - 1
	for k := range errs {
		if i := slices.Index(steps, formFieldStep(k)); i >= 0 && i < first {
			first = i
		}
	}
	return first
}

// build turns the draft into the API's NewReport, with errors of its own for
// a date or time it cannot read.
func (p *pages) build(ss *session) (kiosk.NewReport, map[string]fieldMsg) {
	d := &ss.draft
	errs := map[string]fieldMsg{}
	nr := kiosk.NewReport{Category: kiosk.Category(d.Category), Lang: ss.lang, Anonymous: d.Who == "anon"}
	if !nr.Anonymous {
		nr.Reporter = kiosk.Reporter{FullName: d.FullName, Phone: d.Phone, IDNumber: d.IDNumber, Address: d.Address}
	}
	nr.Incident.Description = d.Description
	nr.Incident.Place = d.Place
	if d.Settlement != "" {
		nr.Incident.Place = strings.TrimSuffix(d.Settlement+", "+d.Place, ", ")
	}
	if d.Landmark != "" {
		lm := tr(ss.lang, "where.landmark.word") + ": " + d.Landmark
		if nr.Incident.Place == "" {
			nr.Incident.Place = lm
		} else {
			nr.Incident.Place += " (" + lm + ")"
		}
	}
	now := p.o.Now().In(kiosk.Zone)
	var day time.Time
	switch d.When {
	case "today":
		day = now
	case "yesterday":
		day = now.AddDate(0, 0, -1)
	case "date":
		t, ok := parseDay(d.Date)
		if !ok {
			errs["date"] = fieldMsg{Key: "err.incident.occurred_at.invalid"}
		}
		day = t
	}
	if !day.IsZero() {
		h, m := 0, 0
		if d.Time != "" {
			var ok bool
			if h, m, ok = parseClock(d.Time); !ok {
				errs["time"] = fieldMsg{Key: "err.time.invalid"}
			}
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, kiosk.Zone)
		if at.After(now) && errs["date"].Key == "" && errs["time"].Key == "" {
			errs[map[bool]string{true: "time", false: "date"}[d.Time != "" && sameDay(at, now)]] = fieldMsg{Key: "err.in_future"}
		}
		nr.Incident.OccurredAt = at.Format(time.RFC3339)
	}
	return nr, errs
}

func sameDay(a, b time.Time) bool { return a.Year() == b.Year() && a.YearDay() == b.YearDay() }

// parseDay reads DD.MM.YYYY (also with / or -, and one-digit day or month).
func parseDay(s string) (time.Time, bool) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '/' || r == '-' || r == ' ' })
	if len(f) != 3 {
		return time.Time{}, false
	}
	dd, e1 := strconv.Atoi(f[0])
	mm, e2 := strconv.Atoi(f[1])
	yy, e3 := strconv.Atoi(f[2])
	if e1 != nil || e2 != nil || e3 != nil || len(f[2]) != 4 || yy < 1900 {
		return time.Time{}, false
	}
	t := time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, kiosk.Zone)
	if t.Day() != dd || int(t.Month()) != mm {
		return time.Time{}, false // 31.02 and the like
	}
	return t, true
}

// parseClock reads HH:MM (or HH.MM).
func parseClock(s string) (int, int, bool) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '.' })
	if len(f) != 2 {
		return 0, 0, false
	}
	h, e1 := strconv.Atoi(f[0])
	m, e2 := strconv.Atoi(f[1])
	if e1 != nil || e2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(f[1]) != 2 {
		return 0, 0, false
	}
	return h, m, true
}

// resultView is what the result screen shows.
type resultView struct {
	Number, AccessCode string
	Receipt            string // catalog key of the receipt's fate
	CreatedAt          time.Time
	Picture            bool // a picture of the receipt can be shown
	CanReprint         bool // "print again" is offered
	report             *kiosk.Report
	code               string // the access code as issued, for a copy of the receipt
}

// send files the report. On success the draft (the personal data) is dropped
// from the session at once; only the number and code stay for the result
// screen, until "Done" or the idle wipe.
func (p *pages) send(c *gin.Context, ss *session) {
	nr, _ := p.build(ss)
	created, err := p.d.Service.Create(c.Request.Context(), nr)
	if err != nil {
		var ve *kiosk.ValidationError
		if errors.As(err, &ve) {
			errs := map[string]fieldMsg{}
			for _, f := range ve.Fields {
				ff, ok := formField[f.Field]
				if !ok {
					ff.name, ff.step = "form", "review"
				}
				if _, dup := errs[ff.name]; !dup {
					errs[ff.name] = fieldError(f)
				}
			}
			ss.errs = errs
			i := firstStep(errs)
			ss.draft.reached = min(ss.draft.reached, i)
			c.Redirect(http.StatusSeeOther, "/report/"+steps[i])
			return
		}
		_, m := domainMessage(p.d, err)
		ss.errs = map[string]fieldMsg{"form": m}
		c.Redirect(http.StatusSeeOther, "/report/review")
		return
	}
	rs := kiosk.ReceiptStatus{Status: "none"}
	if p.d.Receipt != nil {
		rs = p.d.Receipt(context.WithoutCancel(c.Request.Context()), created)
	}
	ss.draft = draft{}
	ss.result = &resultView{Number: created.Report.Number.String(), AccessCode: kiosk.FormatAccessCode(created.AccessCode),
		Receipt: "receipt." + rs.Status, CreatedAt: created.Report.CreatedAt,
		Picture: p.d.ReceiptPicture != nil, CanReprint: p.d.Receipt != nil,
		report: created.Report, code: created.AccessCode}
	c.Redirect(http.StatusSeeOther, "/done")
}

// receiptPicture shows the receipt of the report just filed, as printed.
func (p *pages) receiptPicture(c *gin.Context) {
	ss := sess(c)
	if ss.result == nil || p.d.ReceiptPicture == nil {
		c.Status(http.StatusNotFound)
		return
	}
	png, err := p.d.ReceiptPicture(ss.result.report, ss.result.code)
	if err != nil {
		p.d.Log.Error("receipt picture", "err", err)
		c.Status(http.StatusNotFound)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

// printCopy prints the receipt again ("print again" on the result screen).
func (p *pages) printCopy(c *gin.Context) {
	ss := sess(c)
	if ss.result == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	rs := kiosk.ReceiptStatus{Status: "none"}
	if p.d.Receipt != nil {
		id, err := p.d.Service.PrintCopy(c.Request.Context(), ss.result.report, ss.result.code)
		if err != nil {
			p.d.Log.Error("print a copy of the receipt", "err", err)
			rs.Status = kiosk.ReceiptFailed
		} else {
			rs = p.d.Receipt(context.WithoutCancel(c.Request.Context()),
				&kiosk.Created{Report: ss.result.report, AccessCode: ss.result.code, ReceiptJob: id})
		}
	}
	ss.result.Receipt = "receipt." + rs.Status
	c.Redirect(http.StatusSeeOther, "/done")
}

func (p *pages) done(c *gin.Context) {
	ss := sess(c)
	if ss.result == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	p.render(c, "done", ss.result, false)
}

// domainMessage maps a domain error of a lookup, an extract or a commit to
// the field it concerns ("" for the whole form) and a catalog message.
func domainMessage(d Deps, err error) (string, fieldMsg) {
	switch {
	case errors.Is(err, kiosk.ErrInvalidNumber):
		return "number", fieldMsg{Key: "err.number.invalid"}
	case errors.Is(err, kiosk.ErrNotFound):
		return "", fieldMsg{Key: "err.not_found"}
	case errors.Is(err, kiosk.ErrRateLimited):
		return "", fieldMsg{Key: "err.rate_limited"}
	case errors.Is(err, kiosk.ErrNoPrinter), errors.As(err, new(*kiosk.PrinterError)):
		d.Log.Warn("extract not printed", "err", err)
		return "", fieldMsg{Key: "err.printer_unavailable"}
	case errors.Is(err, kiosk.ErrNoExtracts):
		return "", fieldMsg{Key: "err.extracts_unavailable"}
	case errors.Is(err, kiosk.ErrCentralNeeded):
		return "", fieldMsg{Key: "err.central_unavailable"}
	case errors.Is(err, kiosk.ErrStorageFull):
		return "", fieldMsg{Key: "err.storage_full"}
	}
	d.Log.Error("page request failed", "err", err)
	return "", fieldMsg{Key: "err.unavailable"}
}

// ---- status check and extract ----

type lookupForm struct{ Number string }

type statusView struct {
	Number, Status, Decision, Category, CaseNumber string
	CreatedAt                                      time.Time
	History                                        []kiosk.Event
	InfoRequest                                    *infoRequestReply // the CPC's open request to the citizen
}

func (p *pages) statusForm(c *gin.Context) {
	p.render(c, "status", &sess(c).lookup, true)
}

// readLookup reads and checks the number and code of the status and extract
// forms; ok is false when it stored errors for the form.
func readLookup(c *gin.Context, ss *session) (number, code string, ok bool) {
	number = strings.TrimSpace(c.PostForm("number"))
	code = strings.TrimSpace(c.PostForm("access_code"))
	ss.lookup.Number = number
	errs := map[string]fieldMsg{}
	if number == "" {
		errs["number"] = fieldMsg{Key: "err.number.required"}
	}
	if code == "" {
		errs["access_code"] = fieldMsg{Key: "err.access_code.required"}
	}
	if len(errs) > 0 {
		ss.errs = errs
		return "", "", false
	}
	return number, code, true
}

// lookup reads the number and code of the status or extract form and checks
// them with the service. On failure it stores the errors for the form,
// redirects back to it and returns ok false.
func (p *pages) lookup(c *gin.Context, ss *session, back string) (r *kiosk.Report, number, code string, ok bool) {
	number, code, ok = readLookup(c, ss)
	if !ok {
		c.Redirect(http.StatusSeeOther, back)
		return nil, "", "", false
	}
	r, err := p.d.Service.Lookup(c.Request.Context(), number, code, c.ClientIP())
	if err != nil {
		field, m := domainMessage(p.d, err)
		ss.errs = map[string]fieldMsg{orForm(field): m}
		c.Redirect(http.StatusSeeOther, back)
		return nil, "", "", false
	}
	ss.lookup = lookupForm{}
	return r, number, code, true
}

func (p *pages) postStatus(c *gin.Context) {
	ss := sess(c)
	r, _, _, ok := p.lookup(c, ss, "/status")
	if !ok {
		return
	}
	ss.status = newStatusView(r)
	c.Redirect(http.StatusSeeOther, "/status/result")
}

// newStatusView is what the status and extract screens show of a report:
// no personal data, history newest first.
func newStatusView(r *kiosk.Report) *statusView {
	v := &statusView{Number: r.Number.String(), Status: string(r.Status), Decision: string(r.Decision),
		Category: string(r.Category), CaseNumber: r.CaseNumber, CreatedAt: r.CreatedAt, History: slices.Clone(r.History),
		InfoRequest: openRequest(r)}
	slices.Reverse(v.History)
	return v
}

func orForm(field string) string {
	if field == "" {
		return "form"
	}
	return field
}

func (p *pages) statusResult(c *gin.Context) {
	ss := sess(c)
	if ss.status == nil {
		c.Redirect(http.StatusSeeOther, "/status")
		return
	}
	p.render(c, "status-result", ss.status, true)
}

type extractView struct{ Number, Printer string }

func (p *pages) extractForm(c *gin.Context) {
	p.render(c, "extract", &sess(c).lookup, true)
}

// extractPreview is what the preview screen shows before an extract is
// printed: the record as it stands, and where it will print.
type extractPreview struct {
	*statusView
	Printer string // "a4" or "receipt"
	number  string // as typed, checked
	code    string
}

// postExtract checks the number and code and shows what the extract will
// hold; nothing is issued until the citizen presses Print on the preview.
func (p *pages) postExtract(c *gin.Context) {
	ss := sess(c)
	r, number, code, ok := p.lookup(c, ss, "/extract")
	if !ok {
		return
	}
	printer := "receipt"
	if p.d.Site.A4Printer {
		printer = "a4"
	}
	ss.xprev = &extractPreview{statusView: newStatusView(r), Printer: printer, number: number, code: code}
	c.Redirect(http.StatusSeeOther, "/extract/preview")
}

func (p *pages) extractPreview(c *gin.Context) {
	ss := sess(c)
	if ss.xprev == nil {
		c.Redirect(http.StatusSeeOther, "/extract")
		return
	}
	p.render(c, "extract-preview", ss.xprev, true)
}

// printExtract issues and prints the extract the preview showed.
func (p *pages) printExtract(c *gin.Context) {
	ss := sess(c)
	if ss.xprev == nil {
		c.Redirect(http.StatusSeeOther, "/extract")
		return
	}
	x, err := p.d.Service.PrintExtract(c.Request.Context(), ss.xprev.number, ss.xprev.code, c.ClientIP(), ss.lang)
	if err != nil {
		_, m := domainMessage(p.d, err)
		ss.errs = map[string]fieldMsg{"form": m}
		c.Redirect(http.StatusSeeOther, "/extract/preview")
		return
	}
	ss.xprev = nil
	ss.xres = &extractView{Number: x.Number, Printer: x.Printer}
	c.Redirect(http.StatusSeeOther, "/extract/done")
}

func (p *pages) extractDone(c *gin.Context) {
	ss := sess(c)
	if ss.xres == nil {
		c.Redirect(http.StatusSeeOther, "/extract")
		return
	}
	p.render(c, "extract-done", ss.xres, true)
}
