package ui

import (
	"bytes"
	"context"
	"encoding/json"

	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

// cpptEnv is the staff fixture with a CPPT service on its own fake store
// and clock: the sessions keep the fixture's clock, so the team's clock
// can move days ahead (to make actions overdue) without ending them.
type cpptEnv struct {
	*staffFixture
	CS    *kiosktest.Store // the service's and the team's records and audit trail
	CC    *kiosktest.Clock // the team's clock
	CPPT  *kiosk.CPPT
	start time.Time
}

var testSettlements = []string{"Навобод", "Қизилқалъа", "Гулистон"}

func newCPPTEnv(t testing.TB, mod func(*Deps)) *cpptEnv {
	t.Helper()
	e := &cpptEnv{CS: kiosktest.NewStore(), start: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	e.CC = kiosktest.NewClock(e.start)
	clock := kiosk.NewTrustedClock(e.CC, time.Time{}, nil)
	svc, err := kiosk.NewService(e.CS, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.CPPT, err = kiosk.NewCPPT(e.CS, clock, kiosk.CPPTConfig{CPC: "ISF", Settlements: testSettlements}, nil); err != nil {
		t.Fatal(err)
	}
	d := Deps{Service: svc, CPPT: e.CPPT, Site: Site{CentreName: "Маркази милитсияи ҷамъиятии Ҳисор"}}
	if mod != nil {
		mod(&d)
	}
	e.staffFixture = newStaffFixture(t, d)
	return e
}

// audited returns the audit entries of action.
func (e *cpptEnv) audited(action string) []kiosk.AuditEntry {
	var out []kiosk.AuditEntry
	for _, a := range e.CS.Audit {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// seed logs an issue straight through the service.
func (e *cpptEnv) seed(t testing.TB, in kiosk.NewIssue) *kiosk.CPPTIssue {
	t.Helper()
	in.IgnoreDuplicates = true
	i, err := e.CPPT.LogIssue(context.Background(), kiosk.Actor{Username: "cppt1", Role: kiosk.RoleCPPT}, in)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

var cpptActor = kiosk.Actor{Username: "cppt1", Role: kiosk.RoleCPPT}

func wantStatus(t testing.TB, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("status %d, want %d: %.800s", w.Code, code, w.Body)
	}
}

func wantRedirect(t testing.TB, w *httptest.ResponseRecorder, prefix string) string {
	t.Helper()
	wantStatus(t, w, http.StatusSeeOther)
	loc := w.Header().Get("Location")
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("redirect to %q, want %s…", loc, prefix)
	}
	return loc
}

func has2(t testing.TB, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func newIssueForm(cat, settlement string) url.Values {
	return url.Values{"category": {cat}, "settlement": {settlement}, "landmark": {"Назди мактаби 3"},
		"description": {"Чароғҳои кӯча се моҳ боз кор намекунанд"}, "who": {"named"}, "name": {"Ҷамшед Қодиров"},
		"phone": {"+992 93 123 4567"}, "priority": {"1"}}
}

// TestCPPTLogIssueWithDuplicateOffer logs an issue by the form, then
// another of the same category and settlement: the page offers the first
// as a possible duplicate and logs nothing until the member confirms.
func TestCPPTLogIssueWithDuplicateOffer(t *testing.T) {
	e := newCPPTEnv(t, nil)
	c := e.loginRole(kiosk.RoleCPPT)

	w := c.Get("/cppt/issues/new")
	wantStatus(t, w, http.StatusOK)
	has2(t, w.Body.String(), `id="cat-street_lighting"`, `id="cat-land_water"`, "Қизилқалъа", `data-kb="phone"`, tr("tg", "cppt.cat.theft_hotspot"))

	// Nothing chosen: the form again, with the reasons.
	w = c.Post("/cppt/issues/new", url.Values{"who": {"named"}})
	wantStatus(t, w, http.StatusBadRequest)
	has2(t, w.Body.String(), `id="err-category"`, `id="err-settlement"`, `id="err-description"`, `id="err-name"`,
		tr("tg", "cppt.err.category.required"))

	loc := wantRedirect(t, c.Post("/cppt/issues/new", newIssueForm("street_lighting", "Навобод")), "/cppt/issues/")
	w = c.Get(loc)
	wantStatus(t, w, http.StatusOK)
	has2(t, w.Body.String(), "ISF-P-26-0001", "Ҷамшед Қодиров", "992931234567", "Чароғҳои кӯча", tr("tg", "cppt.issue.logged"))

	// Same category and settlement: offered as a duplicate, nothing logged.
	w = c.Post("/cppt/issues/new", newIssueForm("street_lighting", "навобод"))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	has2(t, body, `id="duplicates"`, "ISF-P-26-0001", `id="dup-new"`, `href="`+loc+`"`)
	if strings.Contains(body, "Ҷамшед") {
		t.Error("the duplicate page echoes the raiser")
	}
	if _, n, _ := e.CPPT.Issues(context.Background(), kiosk.IssueFilter{}); n != 1 {
		t.Fatalf("%d issues after the duplicate offer, want 1", n)
	}
	// Back to the form keeps what was typed.
	w = c.Get("/cppt/issues/new?keep=1")
	has2(t, w.Body.String(), "Ҷамшед Қодиров", "Назди мактаби 3")
	// Offered again, then confirmed as a new issue.
	wantStatus(t, c.Post("/cppt/issues/new", newIssueForm("street_lighting", "Навобод")), http.StatusOK)
	loc2 := wantRedirect(t, c.Post("/cppt/issues/new", url.Values{"confirm": {"new"}}), "/cppt/issues/")
	if loc2 == loc {
		t.Fatal("confirming opened the old issue")
	}
	has2(t, c.Get(loc2).Body.String(), "ISF-P-26-0002", "Ҷамшед Қодиров")
	// The pending form is gone: confirming again logs nothing more.
	wantRedirect(t, c.Post("/cppt/issues/new", url.Values{"confirm": {"new"}}), "/cppt/issues/new")
	if _, n, _ := e.CPPT.Issues(context.Background(), kiosk.IssueFilter{}); n != 2 {
		t.Fatalf("%d issues, want 2", n)
	}
	// Another category in the same place is no duplicate; anonymous works.
	f := newIssueForm("traffic", "Навобод")
	f.Set("who", "anon")
	wantRedirect(t, c.Post("/cppt/issues/new", f), "/cppt/issues/")
	for _, a := range e.audited("cppt.issue.create") {
		if a.Actor != "cppt1" {
			t.Errorf("audit entry by %q, want cppt1", a.Actor)
		}
	}
	if n := len(e.audited("cppt.issue.create")); n != 3 {
		t.Errorf("%d audit entries cppt.issue.create, want 3", n)
	}
	// An officer may not log one (the guard test checks every route; this
	// is the page's own answer).
	o := e.loginRole(kiosk.RoleOfficer)
	wantStatus(t, o.Post("/cppt/issues/new", newIssueForm("youth", "Гулистон")), http.StatusForbidden)
}

// TestCPPTSARA takes an issue through analysis, an action that becomes
// overdue (highlighted on the dashboard and the issue) and is done, in
// progress, a refused resolution without assessment, resolution, and a
// reopening that needs a reason.
func TestCPPTSARA(t *testing.T) {
	e := newCPPTEnv(t, nil)
	c := e.loginRole(kiosk.RoleCPPT)
	i := e.seed(t, kiosk.NewIssue{Category: kiosk.IssueAlcohol, Settlement: "Гулистон", Description: "Майфурӯшӣ шабона", Anonymous: true})
	page := "/cppt/issues/" + i.ID

	wantRedirect(t, c.Post(page+"/analysis", url.Values{"analysis": {"Мағоза то соати 2 кор мекунад"}}), page)
	has2(t, c.Get(page).Body.String(), "Мағоза то соати 2 кор мекунад", tr("tg", "cppt.saved"))

	// An action without text and with an unreadable date: refused.
	w := c.Post(page+"/actions", url.Values{"text": {""}, "responsible": {"Фарҳод"}, "due_in": {"date"}, "due_date": {"31.02.2026"}})
	wantStatus(t, w, http.StatusBadRequest)
	has2(t, w.Body.String(), `id="err-due"`, `value="Фарҳод"`)
	wantStatus(t, c.Post(page+"/actions", url.Values{"text": {""}, "responsible": {"Фарҳод"}, "due_in": {"7"}}), http.StatusBadRequest)
	wantRedirect(t, c.Post(page+"/actions", url.Values{"text": {"Бо соҳиби мағоза сӯҳбат"}, "responsible": {"Фарҳод Раҳимов"},
		"due_in": {"7"}}), page)
	wantRedirect(t, c.Post(page+"/actions", url.Values{"text": {"Гашти шабона"}, "responsible": {"Нодира"},
		"due_in": {"date"}, "due_date": {"20.06.2026"}}), page)
	got, _ := e.CPPT.Issue(context.Background(), i.ID)
	if len(got.Actions) != 2 || !got.Actions[0].Due.Equal(time.Date(2026, 6, 8, 0, 0, 0, 0, kiosk.Zone)) ||
		!got.Actions[1].Due.Equal(time.Date(2026, 6, 20, 0, 0, 0, 0, kiosk.Zone)) {
		t.Fatalf("actions %+v", got.Actions)
	}
	overdueRow := regexp.MustCompile(`<tr class="overdue[^"]*"[^>]*data-number="ISF-P-26-0001"`)
	if w := c.Get("/cppt"); overdueRow.MatchString(w.Body.String()) || strings.Contains(w.Body.String(), `id="overdue-alert"`) {
		t.Fatal("overdue before the due day")
	}
	// Nine days later the first action is overdue.
	e.CC.Advance(9 * 24 * time.Hour)
	w = c.Get("/cppt")
	body := w.Body.String()
	if !overdueRow.MatchString(body) {
		t.Errorf("dashboard does not highlight the overdue issue:\n%s", body)
	}
	has2(t, body, `class="cppt-card alert"`, "⚠ "+tr("tg", "cppt.overdue"))
	w = c.Get("/cppt?overdue=1")
	has2(t, w.Body.String(), "ISF-P-26-0001", tr("tg", "cppt.dash.count", 1))
	body = c.Get(page).Body.String()
	has2(t, body, `id="overdue-alert"`, tr("tg", "cppt.issue.overdue", 1))
	if n := strings.Count(body, `class="action overdue"`); n != 1 {
		t.Errorf("%d overdue actions highlighted, want 1", n)
	}
	wantRedirect(t, c.Post(page+"/actions/"+got.Actions[0].ID+"/done", nil), page)
	body = c.Get(page).Body.String()
	if strings.Contains(body, `id="overdue-alert"`) || !strings.Contains(body, `class="action done"`) {
		t.Error("a done action is still overdue")
	}
	wantRedirect(t, c.Post(page+"/priority", url.Values{"priority": {"3"}}), page)
	wantRedirect(t, c.Post(page+"/status", url.Values{"status": {"in_progress"}}), page)
	w = c.Post(page+"/status", url.Values{"status": {"resolved"}, "note": {"  "}})
	wantStatus(t, w, http.StatusBadRequest)
	has2(t, w.Body.String(), `id="err-note"`)
	wantRedirect(t, c.Post(page+"/status", url.Values{"status": {"resolved"}, "note": {"Мағоза соати 22 баста мешавад"}}), page)
	body = c.Get(page).Body.String()
	has2(t, body, `id="assessment-text">Мағоза соати 22 баста мешавад`, tr("tg", "cppt.st.resolved"), `id="reopen"`)
	if strings.Contains(body, `id="add-action"`) || strings.Contains(body, `id="save-analysis"`) {
		t.Error("a resolved issue still offers to change it")
	}
	got, _ = e.CPPT.Issue(context.Background(), i.ID)
	if got.Status != kiosk.IssueResolved || got.Priority != kiosk.PriorityLow || len(got.History) != 3 {
		t.Fatalf("issue %s prio %d history %+v", got.Status, got.Priority, got.History)
	}
	// A second "resolve" (a stale page): a conflict, not a crash.
	wantStatus(t, c.Post(page+"/status", url.Values{"status": {"resolved"}, "note": {"x"}}), http.StatusConflict)
	wantStatus(t, c.Post(page+"/status", url.Values{"status": {"in_progress"}}), http.StatusBadRequest)
	wantRedirect(t, c.Post(page+"/status", url.Values{"status": {"in_progress"}, "note": {"Боз шикоят омад"}}), page)
	for _, action := range []string{"cppt.issue.update", "cppt.action.add", "cppt.action.done", "cppt.issue.status"} {
		as := e.audited(action)
		if len(as) == 0 {
			t.Errorf("no audit entry %s", action)
		}
		for _, a := range as {
			if a.Actor != "cppt1" || a.Record != "cppt:"+i.ID {
				t.Errorf("audit %s: %+v", action, a)
			}
		}
	}
	wantStatus(t, c.Get("/cppt/issues/00000000-0000-4000-8000-000000000000"), http.StatusNotFound)
}

// TestCPPTDashboardFilters checks the filters and paging of the list.
func TestCPPTDashboardFilters(t *testing.T) {
	e := newCPPTEnv(t, nil)
	for k := range 60 {
		e.seed(t, kiosk.NewIssue{Category: kiosk.IssueCategories[k%3], Settlement: testSettlements[k%2], Description: "x", Anonymous: true})
	}
	c := e.loginRole(kiosk.RoleAdmin) // admins may use the team's pages too
	body := c.Get("/cppt").Body.String()
	has2(t, body, tr("tg", "cppt.dash.count", 60), `id="page-next"`, `href="/cppt?page=2"`)
	if n := strings.Count(body, `class="issue-link"`); n != cpptPageSize {
		t.Errorf("%d rows on page 1, want %d", n, cpptPageSize)
	}
	if n := strings.Count(c.Get("/cppt?page=2").Body.String(), `class="issue-link"`); n != 10 {
		t.Errorf("%d rows on page 2, want 10", n)
	}
	body = c.Get("/cppt?category=alcohol&settlement=" + url.QueryEscape("Қизилқалъа")).Body.String()
	has2(t, body, tr("tg", "cppt.dash.count", 10), `<option value="alcohol" selected>`)
	body = c.Get("/cppt?status=resolved").Body.String()
	has2(t, body, `id="no-issues"`)
	has2(t, c.Get("/cppt?lang=ru").Body.String(), tr("ru", "cppt.dash.title"), tr("ru", "cppt.cat.street_lighting"))
}

// TestCPPTMeetings plans a meeting with issues, lists it, edits it.
func TestCPPTMeetings(t *testing.T) {
	e := newCPPTEnv(t, nil)
	i := e.seed(t, kiosk.NewIssue{Category: kiosk.IssueYouth, Settlement: "Навобод", Description: "x", Anonymous: true})
	c := e.loginRole(kiosk.RoleCPPT)
	body := c.Get("/cppt/meetings/new").Body.String()
	has2(t, body, `value="`+i.ID+`"`, "ISF-P-26-0001")
	w := c.Post("/cppt/meetings/new", url.Values{"date": {"31.13.2026"}, "time": {"10:00"}})
	wantStatus(t, w, http.StatusBadRequest)
	has2(t, w.Body.String(), `id="err-date"`)
	wantStatus(t, c.Post("/cppt/meetings/new", url.Values{"date": {""}}), http.StatusBadRequest)
	loc := wantRedirect(t, c.Post("/cppt/meetings/new", url.Values{"date": {"15.06.2026"}, "time": {"15:30"}, "place": {"Хонаи маҳалла"},
		"attendees": {"Фарҳод Раҳимов, Нодира Каримова; Раиси маҳалла"}, "issue": {i.ID}, "decisions": {"Гашти шабона"}}), "/cppt/meetings/")
	ms, _ := e.CPPT.Meetings(context.Background(), e.start.AddDate(0, -1, 0), e.start.AddDate(1, 0, 0))
	if len(ms) != 1 || len(ms[0].Attendees) != 3 || len(ms[0].IssueIDs) != 1 || ms[0].Place != "Хонаи маҳалла" ||
		!ms[0].Date.Equal(time.Date(2026, 6, 15, 15, 30, 0, 0, kiosk.Zone)) {
		t.Fatalf("meetings %+v", ms)
	}
	has2(t, c.Get("/cppt/meetings").Body.String(), "Хонаи маҳалла", `id="upcoming"`)
	body = c.Get(loc).Body.String()
	has2(t, body, `value="15.06.2026"`, `value="15:30"`, "Нодира Каримова", "checked")
	wantRedirect(t, c.Post(loc, url.Values{"date": {"16.06.2026"}, "time": {"09:00"}, "place": {"Мактаб"}, "decisions": {"Қарор"}}), loc)
	m, _ := e.CPPT.Meeting(context.Background(), ms[0].ID)
	if m.Place != "Мактаб" || len(m.IssueIDs) != 0 || len(m.Attendees) != 0 {
		t.Fatalf("edited meeting %+v", m)
	}
	// The dashboard shows it as the next meeting.
	has2(t, c.Get("/cppt").Body.String(), formatDate("tg", m.Date))
	if len(e.audited("cppt.meeting.create")) != 1 || len(e.audited("cppt.meeting.update")) != 1 {
		t.Error("meeting writes not audited")
	}
}

// seedHistory writes, straight into the store (the trusted clock never
// goes back, so the service cannot date records in the past), issues over
// the last five months, a third of them resolved after 1 to 50 days, and
// reports over the last ten weeks.
func (e *cpptEnv) seedHistory(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	now := e.CC.Now()
	for k := range 40 {
		at := now.AddDate(0, -5, 0).Add(time.Duration(k) * 3 * 24 * time.Hour)
		id, _ := kiosk.NewUUID()
		i := &kiosk.CPPTIssue{ID: id, Number: kiosk.IssueNumber{CPC: "ISF", Year: at.Year() % 100},
			Category: kiosk.IssueCategories[k%5], Settlement: testSettlements[k%3], Description: "x", Anonymous: true,
			Priority: kiosk.PriorityMedium, Status: kiosk.IssueOpen, CreatedAt: at, UpdatedAt: at, CreatedBy: "cppt1",
			History: []kiosk.IssueEvent{{Status: kiosk.IssueOpen, At: at, By: "cppt1"}}}
		if k%3 == 0 {
			if err := i.Transition(kiosk.IssueResolved, "ok", "cppt1", at.Add(time.Duration(k*7%50+1)*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.CS.CreateIssue(ctx, i, kiosk.AuditEntry{At: at, Actor: "cppt1", Action: "seed"}); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 30 {
		at := now.Add(-time.Duration(k) * 50 * time.Hour)
		id, _ := kiosk.NewUUID()
		r := &kiosk.Report{ID: id, Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: at.Year() % 100}, Category: kiosk.Categories[k%4],
			Lang: "tg", Anonymous: true, Status: kiosk.StatusReceived, CreatedAt: at}
		if err := e.CS.CreateReport(ctx, r, kiosk.AuditEntry{At: at, Actor: "kiosk", Action: "seed"}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCPPTCharts: the charts page holds four inline SVG charts with the
// data's words, no script and no inline style (CSP).
func TestCPPTCharts(t *testing.T) {
	e := newCPPTEnv(t, nil)
	c := e.loginRole(kiosk.RoleCPPT)
	// Without data: four charts saying so.
	body := c.Get("/cppt/charts").Body.String()
	if n := strings.Count(body, "<svg "); n != 6 { // two wide charts come in two frames each
		t.Fatalf("%d svg elements, want 6", n)
	}
	has2(t, body, chartNoData("tg"))
	e.seedHistory(t)
	w := c.Get("/cppt/charts")
	wantStatus(t, w, http.StatusOK)
	body = w.Body.String()
	has2(t, body, `class="chart chart-stacked"`, `class="chart chart-lines"`, `class="chart chart-histogram"`,
		tr("tg", "cppt.chart.by_category"), tr("tg", "cppt.chart.resolution"), tr("tg", "cppt.cat.street_lighting"),
		tr("tg", "cppt.rcat.theft"), tr("tg", "cppt.month.6")+" 2026", `href="/cppt/export.csv?data=by_category"`)
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Error("inline script or style: the CSP blocks it")
	}
	has2(t, c.Get("/cppt/charts?lang=uz").Body.String(), tr("uz", "cppt.rcat.theft"), "Медиана", tr("uz", "cppt.chart.by_category"))
	if strings.Contains(body, tr("tg", "cppt.cat.other")+"</text>") {
		t.Error("a category without issues is in the legend")
	}
}

func chartNoData(lang string) string {
	return map[string]string{"tg": "Маълумот нест"}[lang]
}

// TestCPPTExportCSV: UTF-8 with a BOM, CRLF, localized headings, and a
// landmark that a spreadsheet would run as a formula is defused.
func TestCPPTExportCSV(t *testing.T) {
	e := newCPPTEnv(t, nil)
	e.seed(t, kiosk.NewIssue{Category: kiosk.IssueTheftHotspot, Settlement: "Навобод", Landmark: `=HYPERLINK("http://x","y")`,
		Description: "Дуздии телефонҳо", RaisedBy: kiosk.Raiser{Name: "Ҷамшед Қодиров", Phone: "+992931234567"}})
	e.seed(t, kiosk.NewIssue{Category: kiosk.IssueTraffic, Settlement: "Гулистон", Landmark: "+1-2", Description: "x", Anonymous: true})
	c := e.loginRole(kiosk.RoleCPPT)
	w := c.Get("/cppt/export.csv")
	wantStatus(t, w, http.StatusOK)
	if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".csv") {
		t.Errorf("disposition %q", cd)
	}
	b := w.Body.Bytes()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 byte order mark")
	}
	s := string(b[3:])
	lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want heading and 2: %q", len(lines), s)
	}
	has2(t, lines[0], tr("tg", "cppt.csv.number"), tr("tg", "cppt.csv.next_due"))
	has2(t, s, `"'=HYPERLINK(""http://x"",""y"")"`, ",'+1-2,", "ISF-P-26-0001", tr("tg", "cppt.cat.theft_hotspot"))
	for _, secret := range []string{"Ҷамшед", "992931234567", "Дуздии телефонҳо"} {
		if strings.Contains(s, secret) {
			t.Errorf("the export holds personal data %q", secret)
		}
	}
	// A chart's data.
	e.seedHistory(t)
	w = c.Get("/cppt/export.csv?data=by_category&lang=ru")
	wantStatus(t, w, http.StatusOK)
	has2(t, w.Body.String(), "\uFEFF"+tr("ru", "cppt.csv.month")+",", tr("ru", "cppt.month.6")+" 2026")
	wantStatus(t, c.Get("/cppt/export.csv?data=nonsense"), http.StatusNotFound)
	if len(e.audited("cppt.export")) != 2 {
		t.Errorf("exports audited %d times, want 2", len(e.audited("cppt.export")))
	}
}

// TestCPPTSummaryPDF reads the meeting summary back with pdftotext, and
// prints it on a (fake) A4 queue.
func TestCPPTSummaryPDF(t *testing.T) {
	var printed [][]byte
	var titles []string
	e := newCPPTEnv(t, func(d *Deps) {
		d.PrintA4 = func(ctx context.Context, title string, pdf []byte) (string, error) {
			printed, titles = append(printed, pdf), append(titles, title)
			return "a4-7", nil
		}
	})
	e.seedHistory(t)
	i := e.seed(t, kiosk.NewIssue{Category: kiosk.IssueLandWater, Settlement: "Қизилқалъа", Description: "Ҷанҷол барои об",
		RaisedBy: kiosk.Raiser{Name: "Ҷамшед Қодиров"}})
	if _, err := e.CPPT.AddAction(context.Background(), cpptActor, i.ID, kiosk.NewAction{Text: "a", Responsible: "b", Due: e.CC.Now()}); err != nil {
		t.Fatal(err)
	}
	e.CC.Advance(48 * time.Hour)
	c := e.loginRole(kiosk.RoleCPPT)
	w := c.Get("/cppt/summary.pdf")
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(w.Body.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", w.Header().Get("Content-Type"))
	}
	pdf := w.Body.Bytes()
	wantRedirect(t, c.Post("/cppt/summary/print", url.Values{"back": {"dashboard"}}), "/cppt")
	if len(printed) != 1 || !bytes.HasPrefix(printed[0], []byte("%PDF-")) || !strings.HasSuffix(titles[0], ".pdf") {
		t.Fatalf("printed %d", len(printed))
	}
	if a := e.audited("cppt.summary.print"); len(a) != 1 || a[0].Detail != "a4-7" || a[0].Actor != "cppt1" {
		t.Errorf("print audit %+v", a)
	}
	has2(t, c.Get("/cppt").Body.String(), tr("tg", "cppt.print.sent"), `id="summary-print"`)

	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed (poppler-utils): the PDF's text is not checked")
	}
	in := filepath.Join(t.TempDir(), "s.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", "-raw", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	has2(t, text, "Ҷамъбаст барои ҷаласаи CPPT", "Маркази милитсияи ҷамъиятии Ҳисор", "ISF-P-26-0041",
		tr("tg", "cppt.cat.land_water"), "Қизилқалъа", tr("tg", "cppt.chart.by_category"), "! "+e.start.In(kiosk.Zone).Format("02.01.2006"))
	if strings.Contains(text, "Ҷамшед") || strings.Contains(text, "Ҷанҷол") {
		t.Error("the summary prints personal data")
	}
}

func TestCPPTSummaryWithoutA4(t *testing.T) {
	e := newCPPTEnv(t, nil)
	c := e.loginRole(kiosk.RoleCPPT)
	body := c.Get("/cppt/charts").Body.String()
	if strings.Contains(body, `id="summary-print"`) || !strings.Contains(body, `id="summary-pdf"`) {
		t.Error("without an A4 printer the page must offer the PDF only")
	}
	wantRedirect(t, c.Post("/cppt/summary/print", nil), "/cppt/charts")
	has2(t, c.Get("/cppt/charts").Body.String(), tr("tg", "cppt.print.none"))
}

func TestCPPTOff(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	c := f.loginRole(kiosk.RoleCPPT)
	w := c.Get("/cppt")
	wantStatus(t, w, http.StatusServiceUnavailable)
	has2(t, w.Body.String(), tr("tg", "cppt.off.title"))
	wantStatus(t, c.JSON(http.MethodGet, "/api/v1/cppt/issues", ""), http.StatusServiceUnavailable)
	w = f.serve(httptest.NewRequest(http.MethodGet, "/", nil))
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), `id="board"`) {
		t.Error("a board without a CPPT log")
	}
	has2(t, w.Body.String(), `id="go-staff"`, `href="/staff/login"`)
}

// TestCPPTAPI drives the JSON API through a whole issue and a meeting.
func TestCPPTAPI(t *testing.T) {
	e := newCPPTEnv(t, nil)
	c := e.loginRole(kiosk.RoleCPPT)
	decodeJSON := func(w *httptest.ResponseRecorder, v any) {
		t.Helper()
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("%v: %s", err, w.Body)
		}
	}
	body := `{"category":"drugs","settlement":"Навобод","description":"Фурӯши маводи мухаддир","raised_by":{"name":"Ҷамшед"},"priority":1}`
	w := c.JSON(http.MethodPost, "/api/v1/cppt/issues", body)
	wantStatus(t, w, http.StatusCreated)
	var i kiosk.CPPTIssue
	decodeJSON(w, &i)
	if i.Number.String() != "ISF-P-26-0001" || i.RaisedBy.Name != "Ҷамшед" || i.Status != kiosk.IssueOpen {
		t.Fatalf("created %+v", i)
	}
	w = c.JSON(http.MethodPost, "/api/v1/cppt/issues", body)
	wantStatus(t, w, http.StatusConflict)
	var dup duplicatesReply
	decodeJSON(w, &dup)
	if dup.Error.Code != "possible_duplicate" || len(dup.Candidates) != 1 || dup.Candidates[0].ID != i.ID {
		t.Fatalf("duplicate reply %+v", dup)
	}
	wantStatus(t, c.JSON(http.MethodPost, "/api/v1/cppt/issues", strings.Replace(body, `"priority":1`, `"priority":1,"ignore_duplicates":true`, 1)), http.StatusCreated)
	w = c.JSON(http.MethodPost, "/api/v1/cppt/issues", `{"category":"nope","settlement":"Навобод","description":"x","anonymous":true}`)
	wantStatus(t, w, http.StatusBadRequest)
	has2(t, w.Body.String(), `"field":"category"`)

	w = c.JSON(http.MethodGet, "/api/v1/cppt/issues?category=drugs&limit=1", "")
	wantStatus(t, w, http.StatusOK)
	var list issuesReply
	decodeJSON(w, &list)
	if list.Total != 2 || len(list.Issues) != 1 {
		t.Fatalf("list %+v", list)
	}
	wantStatus(t, c.JSON(http.MethodGet, "/api/v1/cppt/issues?limit=0", ""), http.StatusBadRequest)
	wantStatus(t, c.JSON(http.MethodGet, "/api/v1/cppt/issues?status=bogus", ""), http.StatusBadRequest)

	id := "/api/v1/cppt/issues/" + i.ID
	wantStatus(t, c.JSON(http.MethodGet, id, ""), http.StatusOK)
	wantStatus(t, c.JSON(http.MethodGet, "/api/v1/cppt/issues/00000000-0000-4000-8000-000000000000", ""), http.StatusNotFound)
	w = c.JSON(http.MethodPatch, id, `{"analysis":"Шабона","priority":2}`)
	wantStatus(t, w, http.StatusOK)
	decodeJSON(w, &i)
	if i.Analysis != "Шабона" || i.Priority != kiosk.PriorityMedium {
		t.Fatalf("patched %+v", i)
	}
	wantStatus(t, c.JSON(http.MethodPost, id+"/actions", `{"text":"Гашт","responsible":"Фарҳод","due":"2026-05-01"}`), http.StatusBadRequest)
	wantStatus(t, c.JSON(http.MethodPost, id+"/actions", `{"text":"Гашт","responsible":"Фарҳод","due":"01.06.2026"}`), http.StatusBadRequest)
	w = c.JSON(http.MethodPost, id+"/actions", `{"text":"Гашт","responsible":"Фарҳод","due":"2026-06-10"}`)
	wantStatus(t, w, http.StatusCreated)
	decodeJSON(w, &i)
	w = c.JSON(http.MethodPost, id+"/actions/"+i.Actions[0].ID+"/done", "")
	wantStatus(t, w, http.StatusOK)
	wantStatus(t, c.JSON(http.MethodPost, id+"/actions/nope/done", ""), http.StatusNotFound)
	wantStatus(t, c.JSON(http.MethodPost, id+"/status", `{"status":"resolved"}`), http.StatusConflict)
	w = c.JSON(http.MethodPost, id+"/status", `{"status":"resolved","note":"Ҳал шуд"}`)
	wantStatus(t, w, http.StatusOK)
	decodeJSON(w, &i)
	if i.Status != kiosk.IssueResolved || i.Assessment != "Ҳал шуд" {
		t.Fatalf("status %+v", i)
	}

	w = c.JSON(http.MethodPost, "/api/v1/cppt/meetings", `{"date":"2026-06-15T15:00:00+05:00","place":"Мактаб","attendees":["А","Б"],"issue_ids":["`+i.ID+`"]}`)
	wantStatus(t, w, http.StatusCreated)
	var m kiosk.Meeting
	decodeJSON(w, &m)
	wantStatus(t, c.JSON(http.MethodPut, "/api/v1/cppt/meetings/"+m.ID, `{"date":"2026-06-16T15:00:00+05:00","decisions":"Қарор"}`), http.StatusOK)
	wantStatus(t, c.JSON(http.MethodGet, "/api/v1/cppt/meetings/"+m.ID, ""), http.StatusOK)
	w = c.JSON(http.MethodGet, "/api/v1/cppt/meetings?from=2026-06-01", "")
	var ms meetingsReply
	decodeJSON(w, &ms)
	if len(ms.Meetings) != 1 || ms.Meetings[0].Decisions != "Қарор" {
		t.Fatalf("meetings %+v", ms)
	}
	w = c.JSON(http.MethodGet, "/api/v1/cppt/stats?months=3&weeks=4", "")
	wantStatus(t, w, http.StatusOK)
	var st statsReply
	decodeJSON(w, &st)
	if len(st.Months) != 3 || len(st.Weeks) != 4 || st.OpenIssues != 1 || len(st.DaysToResolution) != 1 {
		t.Fatalf("stats %+v", st)
	}
	wantStatus(t, c.JSON(http.MethodGet, "/api/v1/cppt/stats?months=0", ""), http.StatusBadRequest)
	w = c.JSON(http.MethodGet, "/api/v1/cppt/board", "")
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), "Ҷамшед") || strings.Contains(w.Body.String(), "Фурӯши") {
		t.Error("the board's JSON holds personal data")
	}
	// The writes are audited with the user.
	for _, action := range []string{"cppt.issue.create", "cppt.issue.update", "cppt.action.add", "cppt.action.done",
		"cppt.issue.status", "cppt.meeting.create", "cppt.meeting.update"} {
		if as := e.audited(action); len(as) == 0 || as[0].Actor != "cppt1" {
			t.Errorf("audit %s: %+v", action, as)
		}
	}
	// An officer's session is refused (the guard test covers every route).
	o := e.loginRole(kiosk.RoleOfficer)
	wantStatus(t, o.JSON(http.MethodGet, "/api/v1/cppt/issues", ""), http.StatusForbidden)
}

// TestPublicBoardNoPersonalData seeds issues whose raiser, description,
// analysis, actions and assessment hold names and phones, and checks the
// home screen shows the board without any of them, nor the landmark or
// settlement of an issue about people.
func TestPublicBoardNoPersonalData(t *testing.T) {
	e := newCPPTEnv(t, nil)
	ctx := context.Background()
	light := e.seed(t, kiosk.NewIssue{Category: kiosk.IssueStreetLighting, Settlement: "Навобод", Landmark: "Кӯчаи Рӯдакӣ",
		Description: "Зарина Раҳимова мегӯяд, ки шабона торик аст", RaisedBy: kiosk.Raiser{Name: "Зарина Раҳимова", Phone: "+992 93 555 1234"}})
	dv := e.seed(t, kiosk.NewIssue{Category: kiosk.IssueDomesticViolence, Settlement: "Қизилқалъа", Landmark: "Хонаи Каримовҳо",
		Description: "Ҳамсояҳо аз хонаи Каримов садо мешунаванд", RaisedBy: kiosk.Raiser{Name: "Бахтиёр Каримов", Phone: "+992 90 777 8899"}})
	if _, err := e.CPPT.UpdateIssue(ctx, cpptActor, light.ID, kiosk.IssueEdit{Analysis: ptr("Фарҳод Саидов гуфт")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CPPT.AddAction(ctx, cpptActor, light.ID, kiosk.NewAction{Text: "Ба Олим Назаров занг задан", Responsible: "Нодира Юсупова", Due: e.CC.Now()}); err != nil {
		t.Fatal(err)
	}
	theft := e.seed(t, kiosk.NewIssue{Category: kiosk.IssueTheftHotspot, Settlement: "Гулистон", Description: "Дуздӣ дар бозор",
		RaisedBy: kiosk.Raiser{Name: "Сафар Ғафуров", Phone: "+992 91 222 3344"}})
	if _, err := e.CPPT.ChangeStatus(ctx, cpptActor, theft.ID, kiosk.IssueResolved, "Сафар Ғафуров розӣ аст"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CPPT.AddMeeting(ctx, cpptActor, kiosk.NewMeeting{Date: e.CC.Now().AddDate(0, 0, 10), Place: "Хонаи маҳалла",
		Attendees: []string{"Малика Шарипова"}, Decisions: "Қарори Малика"}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"tg", "ru"} {
		w := e.serve(httptest.NewRequest(http.MethodGet, "/?lang="+lang, nil))
		wantStatus(t, w, http.StatusOK)
		body := w.Body.String()
		has2(t, body, `id="board"`, `id="go-report"`, `id="go-staff"`, tr(lang, "cppt.board.title"),
			tr(lang, "cppt.cat.street_lighting"), "Навобод, Кӯчаи Рӯдакӣ", tr(lang, "cppt.cat.domestic_violence"),
			tr(lang, "cppt.cat.theft_hotspot"), "Гулистон", "Хонаи маҳалла", tr(lang, "cppt.board.actions", 0, 1))
		for _, secret := range []string{"Зарина", "Раҳимова", "555", "1234", "Каримов", "777", "8899", "торик", "садо", "Қизилқалъа",
			"Фарҳод", "Олим", "Нодира", "Сафар", "Ғафуров", "розӣ", "Малика", "Қарори", dv.Number.String(), "Хонаи Каримовҳо"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: the home screen shows %q", lang, secret)
			}
		}
		if strings.Index(body, `id="go-extract"`) > strings.Index(body, `id="board"`) {
			t.Error("the board comes before the citizen's buttons")
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestStaffLoginOriginNull: the pages' Referrer-Policy no-referrer makes
// Chromium post the login form with "Origin: null"; Sec-Fetch-Site tells
// the kiosk's own form (accepted) from another site's (refused).
func TestStaffLoginOriginNull(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	post := func(site string) int {
		form := url.Values{"username": {"cppt1"}, "password": {staffPassword}}
		req := httptest.NewRequest(http.MethodPost, "/staff/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "null")
		req.Header.Set("Sec-Fetch-Site", site)
		return f.serve(req).Code
	}
	if code := post("same-origin"); code != http.StatusSeeOther {
		t.Errorf("the kiosk's own form: %d, want 303", code)
	}
	for _, site := range []string{"cross-site", "same-site", "none", ""} {
		if code := post(site); code != http.StatusForbidden {
			t.Errorf("Origin null with Sec-Fetch-Site %q: %d, want 403", site, code)
		}
	}
}
