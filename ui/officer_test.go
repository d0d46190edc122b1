package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

// officerFixture is the staff fixture with the officer console on a fake
// store of its own (St: where the reports, jobs and audit entries go), a
// running print queue with a fake receipt printer and fake extracts.
type officerFixture struct {
	*staffFixture
	St       *kiosktest.Store
	Wall     *kiosktest.Clock
	Svc      *kiosk.Service
	O        *kiosk.Officer
	Receipts *kiosktest.Printer
	Extracts *fakeExtractPrinter
	Health   Health
}

func newOfficerFixture(t testing.TB) *officerFixture {
	t.Helper()
	ctx := context.Background()
	st := kiosktest.NewStore()
	wall := kiosktest.NewClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	clock := kiosk.NewTrustedClock(wall, time.Time{}, nil)
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prn := kiosktest.NewPrinter(kiosk.PrinterOK)
	q := kiosk.NewPrintQueue(st, prn, nil)
	q.Retry = 20 * time.Millisecond
	svc.UsePrintQueue(q)
	qctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	go q.Run(qctx)
	xp := &fakeExtractPrinter{}
	svc.UseExtracts(&fakeRenderer{})
	svc.UseExtractPrinter(xp)
	f := &officerFixture{St: st, Wall: wall, Svc: svc, O: kiosk.NewOfficer(st, clock, svc, nil), Receipts: prn, Extracts: xp}
	f.Health = Health{Status: "ok", Version: "1.2.3", Printer: kiosk.PrinterPaperOut, Receipts: 2, ClockSynced: false,
		Relay:  RelayHealth{Pending: 7, PendingCPPT: 3, Enrolled: true, LastError: "dial tcp: timeout"},
		System: map[string]any{"disk_free_bytes": 3 << 30, "disk_total_bytes": 16 << 30, "mem_available_bytes": 1 << 30, "mem_total_bytes": 2 << 30, "uptime_seconds": 7200}}
	d := Deps{Service: svc, Officer: f.O, Accounts: kiosk.NewAccounts(st, clock, nil),
		Receipt: func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus {
			return q.Wait(ctx, c.ReceiptJob, 5*time.Second)
		},
		Health: func(context.Context) Health { return f.Health }}
	f.staffFixture = newStaffFixture(t, d)
	users, err := f.Store.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := st.PutUser(ctx, &u, true, kiosk.AuditEntry{Actor: "test", Action: "user.add", Record: "user:" + u.Username}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// file creates a report as a citizen would, an hour after the previous one.
func (f *officerFixture) file(t testing.TB, cat kiosk.Category, name string) *kiosk.Created {
	t.Helper()
	f.Wall.Advance(time.Hour)
	in := kiosk.NewReport{Category: cat, Lang: "tg", Reporter: kiosk.Reporter{FullName: name, Phone: "+992931234567"},
		Incident: kiosk.Incident{Place: "Истаравшан, бозор", Description: "Ҳамёни " + name + " дуздида шуд"}}
	if name == "" {
		in.Anonymous, in.Reporter, in.Incident.Description = true, kiosk.Reporter{}, "Хабари беном"
	}
	c, err := f.Svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// auditSince returns the audit entries after the first n.
func (f *officerFixture) auditSince(n int) []kiosk.AuditEntry {
	return append([]kiosk.AuditEntry(nil), f.St.Audit[n:]...)
}

// wantAudit checks that exactly the actions were audited since n, each by
// officer1 on record.
func wantAudit(t *testing.T, got []kiosk.AuditEntry, record string, actions ...string) {
	t.Helper()
	var names []string
	for _, e := range got {
		if e.Action == "staff.login" {
			continue
		}
		names = append(names, e.Action)
		if e.Actor != "officer1" || (record != "" && e.Record != record) {
			t.Errorf("audit %s by %q on %q, want officer1 on %q", e.Action, e.Actor, e.Record, record)
		}
	}
	if strings.Join(names, ",") != strings.Join(actions, ",") {
		t.Errorf("audited %v, want %v", names, actions)
	}
}

var rowRe = regexp.MustCompile(`data-number="([A-Z0-9-]+)"`)

func reportRows(body string) []string {
	var out []string
	for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestOfficerListPage(t *testing.T) {
	f := newOfficerFixture(t)
	a := f.file(t, "theft", "Ҷамшед Қодиров")
	b := f.file(t, "fraud", "Нодира Раҳимова")
	c := f.file(t, "theft", "")
	if _, err := f.O.MarkReviewed(context.Background(), kiosk.Actor{Username: "officer1", Role: kiosk.RoleOfficer}, a.Report.Number.String()); err != nil {
		t.Fatal(err)
	}
	o := f.loginRole(kiosk.RoleOfficer)
	w := o.Get("/staff/reports?lang=ru")
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("list: %d\n%s", w.Code, body)
	}
	want := []string{c.Report.Number.String(), b.Report.Number.String(), a.Report.Number.String()}
	if got := reportRows(body); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want newest first %v", got, want)
	}
	for _, secret := range []string{"Ҷамшед", "Нодира", "992931234567", "Ҳамёни", "бозор"} {
		if strings.Contains(body, secret) {
			t.Errorf("the list shows personal data or the description: %q", secret)
		}
	}
	if !strings.Contains(body, "Сообщения центра") || !strings.Contains(body, `id="f-unreviewed"`) || !strings.Contains(body, "Найдено: 3") {
		t.Errorf("list page lacks its title, filters or count:\n%s", body)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"category=theft", []string{c.Report.Number.String(), a.Report.Number.String()}},
		{"category=theft&unreviewed=1", []string{c.Report.Number.String()}},
		{"unreviewed=1", []string{c.Report.Number.String(), b.Report.Number.String()}},
		{"status=closed", nil},
		{"from=01.06.2026&to=01.06.2026", want},
		{"from=02.06.2026", nil},
		{"category=nonsense", want}, // ignored, with a notice
	}
	for _, tc := range tests {
		w := o.Get("/staff/reports?" + tc.query)
		if got := reportRows(w.Body.String()); w.Code != http.StatusOK || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: %d %v, want %v", tc.query, w.Code, got, tc.want)
		}
	}
	if w := o.Get("/staff/reports?category=nonsense&lang=en"); !strings.Contains(w.Body.String(), tr("en", "officer.err.filter")) {
		t.Error("a filter not understood is not explained")
	}
	// Paging: 20 a page, newest first, links keep the filter.
	for range 21 {
		f.file(t, "fraud", "x")
	}
	w = o.Get("/staff/reports?category=fraud")
	if got := reportRows(w.Body.String()); len(got) != officerPageSize || !strings.Contains(w.Body.String(), `href="/staff/reports?category=fraud&amp;page=2"`) {
		t.Fatalf("page 1: %d rows\n%s", len(got), w.Body)
	}
	if got := reportRows(o.Get("/staff/reports?category=fraud&page=2").Body.String()); len(got) != 2 || got[1] != b.Report.Number.String() {
		t.Errorf("page 2: %v", got)
	}
}

func TestOfficerReportPage(t *testing.T) {
	f := newOfficerFixture(t)
	r := f.file(t, "theft", "Ҷамшед Қодиров")
	n := r.Report.Number.String()
	o := f.loginRole(kiosk.RoleOfficer)
	since := len(f.St.Audit)
	w := o.Get("/staff/reports/" + n + "?lang=tg")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, n) || !strings.Contains(body, `id="reveal-form"`) {
		t.Fatalf("details: %d\n%s", w.Code, body)
	}
	for _, secret := range []string{"Ҷамшед", "992931234567", "Ҳамёни"} {
		if strings.Contains(body, secret) {
			t.Errorf("details show %q before a reason was given", secret)
		}
	}
	if w := o.Get("/staff/reports/ISF1-26-999999-0"); w.Code != http.StatusNotFound {
		t.Errorf("unknown number: %d", w.Code)
	}

	// Personal data: a reason first.
	w = o.Post("/staff/reports/"+n+"/personal", url.Values{"reason_code": {"other"}, "reason_text": {" "}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="err-reason"`) || strings.Contains(w.Body.String(), "Ҷамшед") {
		t.Fatalf("reveal without a reason: %d\n%s", w.Code, w.Body)
	}
	wantAudit(t, f.auditSince(since), r.Report.ID)
	w = o.Post("/staff/reports/"+n+"/personal", url.Values{"reason_code": {"contact"}, "reason_text": {"занг барои шоҳид"}})
	body = w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "Ҷамшед Қодиров") || !strings.Contains(body, "992931234567") || !strings.Contains(body, "Ҳамёни") {
		t.Fatalf("reveal: %d\n%s", w.Code, body)
	}
	a := f.auditSince(since)
	wantAudit(t, a, r.Report.ID, "report.view_personal")
	if a[len(a)-1].Detail != tr("tg", "officer.reason.contact")+": занг барои шоҳид" {
		t.Errorf("reason in the audit trail: %q", a[len(a)-1].Detail)
	}

	// A note, reviewed, a request to the citizen and its end.
	since = len(f.St.Audit)
	if w := o.Post("/staff/reports/"+n+"/notes", url.Values{"text": {""}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="err-note"`) {
		t.Errorf("empty note: %d", w.Code)
	}
	w = o.Post("/staff/reports/"+n+"/notes", url.Values{"text": {"Шоҳид: ҳамсоя"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/reports/"+n+"#notes" {
		t.Fatalf("note: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := o.Post("/staff/reports/"+n+"/review", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("review: %d", w.Code)
	}
	if w := o.Post("/staff/reports/"+n+"/info-request", url.Values{"text": {""}, "lang": {"tg"}}); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), `id="err-request"`) || strings.Contains(w.Body.String(), `id="err-note"`) {
		t.Errorf("empty request: %d", w.Code)
	}
	if w := o.Post("/staff/reports/"+n+"/info-request", url.Values{"text": {"Квитансияи хариди велосипедро биёред"}, "lang": {"tg"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("request: %d %s", w.Code, w.Body)
	}
	body = o.Get("/staff/reports/" + n + "?lang=tg").Body.String()
	for _, want := range []string{"Шоҳид: ҳамсоя", `id="reviewed"`, "Квитансияи хариди велосипедро биёред", tr("tg", "officer.notice.requested")} {
		if !strings.Contains(body, want) {
			t.Errorf("details lack %q", want)
		}
	}
	// The citizen sees the request at their status check, page and API.
	c := newCitizen(t, f)
	if page := c.status(n, r.AccessCode); !strings.Contains(page, "Квитансияи хариди велосипедро биёред") || !strings.Contains(page, `id="info-request"`) {
		t.Errorf("status page lacks the request:\n%s", page)
	}
	var lr lookupReply
	c.lookup(n, r.AccessCode, &lr)
	if lr.InfoRequest == nil || lr.InfoRequest.Text != "Квитансияи хариди велосипедро биёред" || lr.InfoRequest.Lang != "tg" {
		t.Errorf("lookup reply: %+v", lr.InfoRequest)
	}
	if w := o.Post("/staff/reports/"+n+"/info-request/close", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("close: %d", w.Code)
	}
	if w := o.Post("/staff/reports/"+n+"/info-request/close", nil); w.Code != http.StatusConflict {
		t.Errorf("close again: %d", w.Code)
	}
	lr = lookupReply{}
	if c.lookup(n, r.AccessCode, &lr); lr.InfoRequest != nil {
		t.Errorf("a closed request is still shown: %+v", lr.InfoRequest)
	}
	wantAudit(t, f.auditSince(since), r.Report.ID, "report.note", "report.review", "report.info_request", "report.info_request_closed")
	for _, e := range f.auditSince(since) {
		if strings.Contains(e.Detail, "Шоҳид") || strings.Contains(e.Detail, "велосипед") {
			t.Errorf("free text in the audit trail: %+v", e)
		}
	}
}

// citizen is a person at the kiosk's status check.
type citizen struct {
	t  *testing.T
	f  *officerFixture
	ck []*http.Cookie
}

func newCitizen(t *testing.T, f *officerFixture) *citizen { return &citizen{t: t, f: f} }

func (c *citizen) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for _, ck := range c.ck {
		req.AddCookie(ck)
	}
	w := c.f.serve(req)
	if cks := w.Result().Cookies(); len(cks) > 0 {
		c.ck = cks
	}
	return w
}

// status checks a report on the touch pages and returns the result page.
func (c *citizen) status(number, code string) string {
	c.t.Helper()
	page := c.do(http.MethodGet, "/status?lang=tg", nil).Body.String()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no csrf on the status page:\n%s", page)
	}
	w := c.do(http.MethodPost, "/status", url.Values{"csrf": {m[1]}, "number": {number}, "access_code": {code}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/status/result" {
		c.t.Fatalf("status check: %d %s", w.Code, w.Header().Get("Location"))
	}
	return c.do(http.MethodGet, "/status/result", nil).Body.String()
}

func (c *citizen) lookup(number, code string, out any) int {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports/"+number+"/lookup", strings.NewReader(`{"access_code":"`+code+`"}`))
	req.Header.Set("Content-Type", "application/json")
	w := c.f.serve(req)
	json.Unmarshal(w.Body.Bytes(), out)
	return w.Code
}

func TestOfficerPrintPages(t *testing.T) {
	f := newOfficerFixture(t)
	r := f.file(t, "theft", "Ҷамшед Қодиров")
	n := r.Report.Number.String()
	o := f.loginRole(kiosk.RoleOfficer)
	since := len(f.St.Audit)

	// Reprint: the identity check is confirmed, the new code printed.
	if w := o.Get("/staff/reports/" + n + "/reprint"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="do-reprint"`) {
		t.Fatalf("reprint form: %d\n%s", w.Code, w.Body)
	}
	w := o.Post("/staff/reports/"+n+"/reprint", url.Values{"document_type": {kiosk.DocIDCard}, "document_number": {"A1234567"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="err-confirm"`) || strings.Contains(w.Body.String(), "A1234567") {
		t.Fatalf("reprint without the confirmation: %d (the document number must not be shown again)\n%s", w.Code, w.Body)
	}
	w = o.Post("/staff/reports/"+n+"/reprint", url.Values{"document_type": {kiosk.DocIDCard}, "document_number": {"A1"}, "confirm": {"yes"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="err-document_number"`) {
		t.Fatalf("reprint with a bad number: %d", w.Code)
	}
	wantAudit(t, f.auditSince(since), r.Report.ID)
	w = o.Post("/staff/reports/"+n+"/reprint", url.Values{"document_type": {kiosk.DocIDCard}, "document_number": {"A1234567"}, "confirm": {"yes"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/reports/"+n+"/done" {
		t.Fatalf("reprint: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	done := o.Get("/staff/reports/" + n + "/done?lang=ru").Body.String()
	if !strings.Contains(done, tr("ru", "officer.receipt.printed")) || strings.Contains(done, `id="result-code"`) {
		t.Errorf("done page after a printed reprint:\n%s", done)
	}
	if w := o.Get("/staff/reports/" + n + "/done"); w.Code != http.StatusSeeOther {
		t.Errorf("the result is shown twice: %d", w.Code)
	}
	outs := f.Receipts.Printouts()
	last := outs[len(outs)-1]
	if last.Number != n || !last.Reprint || last.AccessCode == r.AccessCode {
		t.Fatalf("printouts: %+v", outs)
	}
	c := newCitizen(t, f)
	var lr lookupReply
	if code := c.lookup(n, r.AccessCode, &lr); code != http.StatusNotFound {
		t.Errorf("the old code still works: %d", code)
	}
	if code := c.lookup(n, last.AccessCode, &lr); code != http.StatusOK {
		t.Errorf("the new code does not work: %d", code)
	}

	// Extract for a participant.
	if w := o.Get("/staff/reports/" + n + "/extract"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="x-lang-tg"`) {
		t.Fatalf("extract form: %d", w.Code)
	}
	w = o.Post("/staff/reports/"+n+"/extract", url.Values{"document_type": {kiosk.DocPassport}, "document_number": {"FA7654321"}, "confirm": {"yes"}, "lang": {"ru"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("extract: %d\n%s", w.Code, w.Body)
	}
	if done := o.Get("/staff/reports/" + n + "/done?lang=en").Body.String(); !strings.Contains(done, tr("en", "officer.done.extract_on.receipt")) {
		t.Errorf("done page after an extract:\n%s", done)
	}
	if len(f.Extracts.printed) != 1 {
		t.Errorf("extracts printed: %v", f.Extracts.printed)
	}
	a := f.auditSince(since)
	wantAudit(t, a, r.Report.ID, "receipt.reissue", "extract.issue", "extract.print")
	for _, e := range a {
		if strings.Contains(e.Detail, "A1234567") || strings.Contains(e.Detail, "FA7654321") {
			t.Errorf("a document number in the audit trail: %+v", e)
		}
	}

	// An anonymous tip: no reprint offered, and refused if asked.
	anon := f.file(t, "drugs", "")
	an := anon.Report.Number.String()
	if body := o.Get("/staff/reports/" + an).Body.String(); strings.Contains(body, `id="go-reprint"`) {
		t.Error("a reprint is offered for an anonymous tip")
	}
	if w := o.Post("/staff/reports/"+an+"/reprint", url.Values{"document_type": {kiosk.DocIDCard}, "document_number": {"A1234567"}, "confirm": {"yes"}}); w.Code != http.StatusConflict {
		t.Errorf("reprint of an anonymous tip: %d", w.Code)
	}
}

func TestOfficerFilesOnBehalf(t *testing.T) {
	f := newOfficerFixture(t)
	o := f.loginRole(kiosk.RoleOfficer)
	if w := o.Get("/staff/reports/new?lang=ru"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="file-report"`) {
		t.Fatalf("form: %d", w.Code)
	}
	since := len(f.St.Audit)
	w := o.Post("/staff/reports/new?lang=ru", url.Values{"category": {"theft"}, "who": {"named"}, "full_name": {"Иван Петров"}, "phone": {"12"},
		"description": {"Украли велосипед"}, "date": {"31.02.2026"}})
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", w.Code)
	}
	for _, want := range []string{`id="err-phone"`, `id="err-date"`, `id="err-consent"`, `value="Иван Петров"`, "Украли велосипед"} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if len(f.auditSince(since)) != 0 {
		t.Fatal("a refused form was audited")
	}
	w = o.Post("/staff/reports/new", url.Values{"category": {"theft"}, "lang": {"ru"}, "who": {"named"}, "full_name": {"Иван Петров"},
		"phone": {"+992 93 123 45 67"}, "description": {"Украли велосипед"}, "date": {"31.05.2026"}, "time": {"18:30"},
		"place": {"Истаравшан"}, "consent": {"yes"}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/done") {
		t.Fatalf("file: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	n := strings.TrimSuffix(strings.TrimPrefix(w.Header().Get("Location"), "/staff/reports/"), "/done")
	done := o.Get(w.Header().Get("Location")).Body.String()
	if !strings.Contains(done, n) || !strings.Contains(done, tr("ru", "officer.receipt.printed")) {
		t.Errorf("done page:\n%s", done)
	}
	a := f.auditSince(since)
	wantAudit(t, a, "", "report.create")
	rep, err := f.St.ReportByID(context.Background(), a[len(a)-1].Record)
	if err != nil || rep.Number.String() != n || rep.FiledBy != "officer1" || rep.Lang != "ru" || rep.Incident.OccurredAt != "2026-05-31T18:30:00+05:00" {
		t.Fatalf("stored: %+v %v", rep, err)
	}
	if outs := f.Receipts.Printouts(); len(outs) != 1 || outs[0].Number != n || outs[0].AccessCode == "" {
		t.Errorf("receipt: %+v", outs)
	}
	// An anonymous tip needs no name, and its fields must be empty.
	w = o.Post("/staff/reports/new", url.Values{"category": {"drugs"}, "lang": {"tg"}, "who": {"anon"}, "full_name": {"Иван"},
		"description": {"Дар назди мактаб маводи мухаддир мефурӯшанд"}, "consent": {"yes"}})
	if w.Code != http.StatusSeeOther {
		t.Errorf("anonymous tip: %d\n%s", w.Code, w.Body)
	}
}

func TestOfficerAPI(t *testing.T) {
	f := newOfficerFixture(t)
	r := f.file(t, "theft", "Ҷамшед Қодиров")
	f.file(t, "fraud", "Нодира Раҳимова")
	n := r.Report.Number.String()
	unknown := kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 999}.String()
	o := f.loginRole(kiosk.RoleOfficer)
	since := len(f.St.Audit)
	type call struct {
		method, path, body string
		code               int
		has, hasNot        string
	}
	calls := []call{
		{"GET", "/api/v1/staff/reports", "", 200, `"total":2`, "Ҷамшед"},
		{"GET", "/api/v1/staff/reports?category=theft&unreviewed=1&limit=1", "", 200, `"number":"` + n + `"`, ""},
		{"GET", "/api/v1/staff/reports?category=fraud&status=received&from=2026-06-01&to=2026-06-01", "", 200, `"total":1`, ""},
		{"GET", "/api/v1/staff/reports?from=2026-06-02&to=2026-06-01", "", 400, `"field":"to"`, ""},
		{"GET", "/api/v1/staff/reports?limit=0", "", 400, `"field":"limit"`, ""},
		{"GET", "/api/v1/staff/reports?status=lost", "", 400, `"field":"status"`, ""},
		{"GET", "/api/v1/staff/reports/" + n, "", 200, `"identity_checks":[]`, "Ҷамшед"},
		{"GET", "/api/v1/staff/reports/" + unknown, "", 404, "not_found", ""},
		{"GET", "/api/v1/staff/reports/ISF1-26-000001-0", "", 400, "invalid_number", ""}, // wrong check digit
		{"POST", "/api/v1/staff/reports/" + n + "/personal", `{"reason":""}`, 400, `"field":"reason"`, "Ҷамшед"},
		{"POST", "/api/v1/staff/reports/" + n + "/personal", `{"reason":"Тамос бо аризадиҳанда"}`, 200, `"full_name":"Ҷамшед Қодиров"`, ""},
		{"POST", "/api/v1/staff/reports/" + n + "/notes", `{"text":"Шоҳид ҳаст"}`, 201, `"text":"Шоҳид ҳаст"`, ""},
		{"POST", "/api/v1/staff/reports/" + n + "/review", ``, 200, `"reviewed_by":"officer1"`, ""},
		{"POST", "/api/v1/staff/reports/" + n + "/info-request", `{"text":"Биёед","lang":"tg"}`, 201, `"text":"Биёед"`, ""},
		{"DELETE", "/api/v1/staff/reports/" + n + "/info-request", ``, 200, `"closed_by":"officer1"`, ""},
		{"DELETE", "/api/v1/staff/reports/" + n + "/info-request", ``, 409, "no_info_request", ""},
		{"POST", "/api/v1/staff/reports/" + n + "/reprint", `{"document_type":"id_card","document_number":"A1234567"}`, 200, `"status":"printed"`, "A1234567"},
		{"POST", "/api/v1/staff/reports/" + n + "/extract", `{"document_type":"passport","document_number":"FA7654321","lang":"en"}`, 200, `"printer":"receipt"`, ""},
		{"POST", "/api/v1/staff/reports/" + n + "/extract", `{"document_type":"passport"}`, 400, `"field":"document_number"`, ""},
		{"POST", "/api/v1/staff/reports", `{"category":"fraud","lang":"uz","anonymous":true,"incident":{"description":"Telefon orqali firibgarlik"}}`, 201, `"access_code":"`, ""},
		{"GET", "/api/v1/staff/reports/" + n, "", 200, `"document_type":"id_card"`, "A1234567"},
		{"GET", "/api/v1/staff/device", "", 200, `"pending":7`, ""},
	}
	for _, c := range calls {
		w := o.JSON(c.method, c.path, c.body)
		body := w.Body.String()
		if w.Code != c.code || !strings.Contains(body, c.has) || (c.hasNot != "" && strings.Contains(body, c.hasNot)) {
			t.Errorf("%s %s: %d %s\nwant %d with %q without %q", c.method, c.path, w.Code, body, c.code, c.has, c.hasNot)
		}
	}
	wantAudit(t, f.auditSince(since), "", "report.view_personal", "report.note", "report.review", "report.info_request",
		"report.info_request_closed", "receipt.reissue", "extract.issue", "extract.print", "report.create")
	// The device panel is the admin's too; the reports are not.
	a := f.loginRole(kiosk.RoleAdmin)
	if w := a.JSON("GET", "/api/v1/staff/device", ""); w.Code != http.StatusOK {
		t.Errorf("device as admin: %d", w.Code)
	}
	if w := a.JSON("GET", "/api/v1/staff/reports", ""); w.Code != http.StatusForbidden {
		t.Errorf("reports as admin: %d", w.Code)
	}
}

func TestDevicePanel(t *testing.T) {
	f := newOfficerFixture(t)
	last := f.Wall.Now().Add(-90 * time.Minute)
	f.Health.Relay.LastSuccess = &last
	for _, role := range []kiosk.Role{kiosk.RoleOfficer, kiosk.RoleAdmin} {
		w := f.loginRole(role).Get("/staff/device?lang=ru")
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", role, w.Code)
		}
		for _, want := range []string{tr("ru", "officer.printer.paper_out"), "В очереди: 7", "Записи группы партнёрства в очереди: 3", "Талонов в очереди: 2",
			"Свободно: 3.0 из 16.0 ГБ", tr("ru", "officer.device.unsynced"), "dial tcp: timeout", "(90 мин назад)",
			`class="dev-card alert" id="dev-printer"`, `class="dev-card alert" id="dev-relay"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: device panel lacks %q", role, want)
			}
		}
	}
	if w := f.loginRole(kiosk.RoleCPPT).Get("/staff/device"); w.Code != http.StatusForbidden {
		t.Errorf("device as cppt: %d", w.Code)
	}
}

// Without the officer service the pages say so instead of failing.
func TestOfficerConsoleOff(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	o := f.loginRole(kiosk.RoleOfficer)
	if w := o.Get("/staff/reports?lang=en"); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), tr("en", "officer.err.off")) {
		t.Errorf("page: %d\n%s", w.Code, w.Body)
	}
	if w := o.JSON("GET", "/api/v1/staff/reports", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("api: %d", w.Code)
	}
	if w := o.Get("/staff/device"); w.Code != http.StatusOK {
		t.Errorf("device panel without the officer service: %d", w.Code)
	}
}
