package ui

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

// fakeAdmin is Deps.Admin over the fixture's fake store: its audit trail
// and a training switch that only records the state (kiosk/daemon tests
// the real one).
type fakeAdmin struct {
	mu    sync.Mutex
	st    *kiosktest.Store
	clock *kiosktest.Clock
	svc   *kiosk.Service
	state kiosk.TrainingState
	sets  int
}

func (a *fakeAdmin) AuditEntries(ctx context.Context, q kiosk.AuditQuery) (*kiosk.AuditPage, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	p := &kiosk.AuditPage{Entries: []kiosk.AuditEntry{}, Head: a.st.Head()}
	for i := len(a.st.Audit) - 1; i >= 0; i-- {
		e := a.st.Audit[i]
		if (q.Before != 0 && e.Seq >= q.Before) || !q.Match(&e) {
			continue
		}
		if len(p.Entries) == q.Limit {
			p.Next = e.Seq + 1
			break
		}
		p.Entries = append(p.Entries, e)
	}
	return p, nil
}

func (a *fakeAdmin) EachAudit(ctx context.Context, fn func(kiosk.AuditEntry) error) error {
	for _, e := range a.st.Audit {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (a *fakeAdmin) VerifyAudit(ctx context.Context) (uint64, error) {
	var v kiosk.AuditVerifier
	for _, e := range a.st.Audit {
		if err := v.Next(e); err != nil {
			return e.Seq - 1, err
		}
	}
	return v.Done(a.st.Head())
}

func (a *fakeAdmin) Audit(ctx context.Context, actor, action, record, detail string) error {
	return a.svc.Audit(ctx, actor, action, record, detail)
}

func (a *fakeAdmin) TrainingState() kiosk.TrainingState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

func (a *fakeAdmin) SetTraining(ctx context.Context, actor string, on bool) (kiosk.TrainingState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state.On != on {
		a.sets++
		a.state = kiosk.TrainingState{}
		if on {
			a.state = kiosk.TrainingState{On: true, By: actor, Since: a.clock.Now()}
		}
	}
	return a.state, nil
}

func (a *fakeAdmin) on() bool { return a.TrainingState().On }

func newAdminFixture(t *testing.T) (*staffFixture, *fakeAdmin) {
	t.Helper()
	fa := &fakeAdmin{}
	f := newStaffFixture(t, Deps{Admin: fa, Training: fa.on})
	fa.st, fa.svc, fa.clock = f.Store, f.Svc, f.Clock
	return f, fa
}

// audited returns the audit entries of action, as "actor record detail".
func audited(f *staffFixture, action string) []string {
	var out []string
	for _, e := range f.Store.Audit {
		if e.Action == action {
			out = append(out, e.Actor+" "+e.Record+" "+e.Detail)
		}
	}
	return out
}

func (f *staffFixture) loginWith(username, password string) int {
	req := jsonRequest(http.MethodPost, "/api/v1/session", `{"username":"`+username+`","password":"`+password+`"}`)
	return f.serve(req).Code
}

// loginPassword logs in with a password other than the fixture's.
func (f *staffFixture) loginPassword(username, password string) *staffClient {
	f.t.Helper()
	w := f.serve(jsonRequest(http.MethodPost, "/api/v1/session", `{"username":"`+username+`","password":"`+password+`"}`))
	var rep sessionReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != http.StatusCreated {
		f.t.Fatalf("login %s: %d %s", username, w.Code, w.Body)
	}
	c := &staffClient{f: f, CSRF: rep.CSRFToken}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == staffCookie {
			c.cookie = ck
		}
	}
	return c
}

func jsonRequest(method, path, body string) *http.Request {
	req, _ := http.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestAdminUsersPages(t *testing.T) {
	f, _ := newAdminFixture(t)
	a := f.loginRole(kiosk.RoleAdmin)
	w := a.Get("/admin")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="user-officer1"`) || !strings.Contains(body, `id="user-cppt1"`) {
		t.Fatalf("users page: %d\n%s", w.Code, body)
	}
	if strings.Contains(body, "argon2") || strings.Contains(body, missingMark) {
		t.Fatalf("users page shows a hash or a missing text:\n%s", body)
	}

	newUser := url.Values{"username": {"Rahimov.a"}, "full_name": {"Алишер Раҳимов"}, "role": {"officer"},
		"password": {"train-2026"}, "password2": {"train-2027"}}
	w = a.Post("/admin/users/new", newUser)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="err-password2"`) {
		t.Fatalf("passwords that differ: %d\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "train-2026") {
		t.Fatal("the form echoes the password")
	}
	newUser.Set("password2", "train-2026")
	w = a.Post("/admin/users/new", newUser)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/users/rahimov.a" {
		t.Fatalf("add: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if got := audited(f, "user.add"); got[len(got)-1] != "admin1 user:rahimov.a officer" {
		t.Fatalf("audit of the new user: %q", got)
	}
	if code := f.loginWith("rahimov.a", "train-2026"); code != http.StatusCreated {
		t.Fatalf("the new officer cannot log in: %d", code)
	}
	w = a.Get("/admin/users/rahimov.a")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Алишер Раҳимов") || !strings.Contains(w.Body.String(), "Корбар сохта шуд.") {
		t.Fatalf("user page after adding: %d\n%s", w.Code, w.Body)
	}
	w = a.Post("/admin/users/new", newUser)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="err-username"`) {
		t.Fatalf("a taken username: %d\n%s", w.Code, w.Body)
	}
	for _, bad := range []url.Values{
		{"username": {"x"}, "full_name": {"X"}, "role": {"officer"}, "password": {"train-2026"}, "password2": {"train-2026"}},
		{"username": {"newuser"}, "full_name": {"  "}, "role": {"officer"}, "password": {"train-2026"}, "password2": {"train-2026"}},
		{"username": {"newuser"}, "full_name": {"X"}, "role": {"chief"}, "password": {"train-2026"}, "password2": {"train-2026"}},
		{"username": {"newuser"}, "full_name": {"X"}, "role": {"officer"}, "password": {"12345"}, "password2": {"12345"}},
	} {
		if w := a.Post("/admin/users/new", bad); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `class="err"`) {
			t.Errorf("%v: %d", bad, w.Code)
		}
	}

	// A reset ends the user's session; the officer logs in with the new one.
	o := f.loginRole(kiosk.RoleOfficer)
	w = a.Post("/admin/users/officer1/reset", url.Values{"password": {"new-secret-1"}, "password2": {"new-secret-1"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", w.Code, w.Body)
	}
	if w := o.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("the officer's session after a reset: %d", w.Code)
	}
	if code := f.loginWith("officer1", "new-secret-1"); code != http.StatusCreated {
		t.Fatalf("login with the new password: %d", code)
	}

	// Disable: the user is logged out and cannot log in; the admin cannot
	// disable themself.
	r := f.loginPassword("rahimov.a", "train-2026")
	if w := a.Post("/admin/users/rahimov.a/disable", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", w.Code, w.Body)
	}
	if w := r.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("the disabled user's session: %d", w.Code)
	}
	if code := f.loginWith("rahimov.a", "train-2026"); code != http.StatusUnauthorized {
		t.Fatalf("a disabled user logs in: %d", code)
	}
	if w := a.Get("/admin"); !strings.Contains(w.Body.String(), "Хомӯш") {
		t.Fatalf("the list does not show the disabled account:\n%s", w.Body)
	}
	if w := a.Post("/admin/users/admin1/disable", nil); w.Code != http.StatusConflict {
		t.Fatalf("an admin disabling themself: %d", w.Code)
	}
	if w := a.Get("/admin/users/admin1"); strings.Contains(w.Body.String(), `id="disable"`) || !strings.Contains(w.Body.String(), `id="self-note"`) {
		t.Fatalf("own page offers to disable:\n%s", w.Body)
	}
	if w := a.Get("/admin/users/nobody"); w.Code != http.StatusNotFound {
		t.Fatalf("unknown user: %d", w.Code)
	}
	for action, want := range map[string]string{"user.reset": "admin1 user:officer1 ", "user.disable": "admin1 user:rahimov.a "} {
		if got := audited(f, action); len(got) != 1 || got[0] != want {
			t.Errorf("audit %s: %q, want %q", action, got, want)
		}
	}
}

func TestAdminUsersAPI(t *testing.T) {
	f, _ := newAdminFixture(t)
	a := f.loginRole(kiosk.RoleAdmin)
	w := a.JSON(http.MethodGet, "/api/v1/staff/users", "")
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "hash") || strings.Contains(w.Body.String(), "argon2") {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	var list struct {
		Users []userInfo `json:"users"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Users) != 3 || list.Users[0].Username != "admin1" {
		t.Fatalf("list: %+v %v", list, err)
	}
	add := `{"username":"karimova","full_name":"Зарина Каримова","role":"cppt","password":"partner-22"}`
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users", add); w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"role":"cppt"`) {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users", add); w.Code != http.StatusConflict {
		t.Fatalf("add twice: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users", `{"username":"a b","role":"cppt","full_name":"X","password":"partner-22"}`); w.Code != http.StatusBadRequest {
		t.Fatalf("bad username: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users/karimova/reset", `{"password":"123"}`); w.Code != http.StatusBadRequest {
		t.Fatalf("short password: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users/karimova/reset", `{"password":"partner-23"}`); w.Code != http.StatusNoContent {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users/nobody/reset", `{"password":"partner-23"}`); w.Code != http.StatusNotFound {
		t.Fatalf("reset unknown: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users/karimova/disable", ""); w.Code != http.StatusNoContent {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/users/admin1/disable", ""); w.Code != http.StatusConflict {
		t.Fatalf("disable self: %d %s", w.Code, w.Body)
	}
	if got := audited(f, "user.disable"); len(got) != 1 || got[0] != "admin1 user:karimova " {
		t.Fatalf("audit: %q", got)
	}
}

// The audit trail pages newest first with filters and paging, shows the
// result of the chain check (also when it is broken), and its exports hold
// every entry with its hashes but no free-text reason.
func TestAdminAuditTrail(t *testing.T) {
	f, _ := newAdminFixture(t)
	a := f.loginRole(kiosk.RoleAdmin)
	ctx := context.Background()
	for i := range 60 {
		if err := f.Svc.Audit(ctx, "officer1", "report.note", "rec-"+string(rune('a'+i%26)), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Svc.Audit(ctx, "officer1", "report.view_personal", "rec-x", "звонок Раҳимову А."); err != nil {
		t.Fatal(err)
	}
	if err := f.Svc.Audit(ctx, "=cmd", "report.note", "rec-y", "-1+2"); err != nil {
		t.Fatal(err)
	}
	w := a.Get("/admin/audit")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="chain-ok"`) || !strings.Contains(body, `id="audit-older"`) ||
		strings.Contains(body, missingMark) || !strings.Contains(body, "Реҷаи омӯзишӣ</option>") {
		t.Fatalf("audit page: %d\n%s", w.Code, body)
	}
	if strings.Count(body, `<tr id="entry-`) != kiosk.DefaultAuditPage {
		t.Fatalf("%d rows", strings.Count(body, `<tr id="entry-`))
	}
	head := f.Store.Head().Seq
	if i, j := strings.Index(body, `id="entry-`+itoa(head)+`"`), strings.Index(body, `id="entry-`+itoa(head-1)+`"`); i < 0 || j < i {
		t.Fatal("not newest first")
	}
	w = a.Get("/admin/audit?actor=admin1&action=staff.")
	if body := w.Body.String(); strings.Count(body, `<tr id="entry-`) != 1 || !strings.Contains(body, "staff.login") {
		t.Fatalf("filtered: %s", body)
	}
	w = a.Get("/admin/audit?before=3")
	if body := w.Body.String(); strings.Count(body, `<tr id="entry-`) != 2 || !strings.Contains(body, `id="audit-newest"`) {
		t.Fatalf("older page: %s", body)
	}
	if w := a.Get("/admin/audit?limit=9999"); !strings.Contains(w.Body.String(), `id="err-filter"`) {
		t.Fatalf("bad filter: %s", w.Body)
	}
	// API: paging joins up.
	var seen int
	before := uint64(0)
	for {
		w := a.JSON(http.MethodGet, "/api/v1/staff/audit?limit=25&before="+itoa(before), "")
		var p kiosk.AuditPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusOK {
			t.Fatalf("api page: %d %s", w.Code, w.Body)
		}
		seen += len(p.Entries)
		if p.Next == 0 {
			break
		}
		before = p.Next
	}
	if total := len(f.Store.Audit); seen != total {
		t.Fatalf("api pages hold %d entries of %d", seen, total)
	}
	if w := a.JSON(http.MethodGet, "/api/v1/staff/audit/verify", ""); !strings.Contains(w.Body.String(), `"ok":true`) {
		t.Fatalf("verify: %s", w.Body)
	}

	// Exports: every entry, the reason withheld, formulas defused, the
	// export itself audited.
	w = a.Get("/admin/audit/export.jsonl")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("jsonl: %d %v", w.Code, w.Header())
	}
	if strings.Contains(w.Body.String(), "Раҳимову") {
		t.Fatal("the export holds the free-text reason")
	}
	var v kiosk.AuditVerifier
	n, checked, checking := 0, 0, true
	sc := bufio.NewScanner(strings.NewReader(w.Body.String()))
	for sc.Scan() {
		var e exportEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Action == "report.view_personal" && (!e.Withheld || !strings.Contains(e.Detail, "withheld")) {
			t.Fatalf("reason not withheld: %+v", e)
		}
		checking = checking && !e.Withheld
		if checking { // up to the first withheld entry, the export checks as a chain
			if err := v.Next(e.AuditEntry); err != nil {
				t.Fatalf("exported entry %d: %v", e.Seq, err)
			}
			checked++
		}
		n++
	}
	if n != len(f.Store.Audit) || checked < 60 {
		t.Fatalf("jsonl has %d entries (%d checked as a chain), the trail %d", n, checked, len(f.Store.Audit))
	}
	if got := audited(f, "audit.export"); len(got) != 1 || got[0] != "admin1  jsonl" {
		t.Fatalf("export audit: %q", got)
	}
	w = a.Get("/admin/audit/export.csv")
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil || len(rows) != len(f.Store.Audit)+1 || rows[0][0] != "seq" {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if r[3] == "=cmd" || r[6] == "-1+2" {
			t.Fatalf("csv cell read as a formula: %q", r)
		}
	}

	// A broken chain is shown as broken.
	f.Store.Audit[3].Detail = "edited"
	if w := a.Get("/admin/audit"); !strings.Contains(w.Body.String(), `id="chain-broken"`) {
		t.Fatalf("broken chain not shown:\n%s", w.Body)
	}
	if w := a.JSON(http.MethodGet, "/api/v1/staff/audit/verify", ""); !strings.Contains(w.Body.String(), `"ok":false`) {
		t.Fatalf("verify broken: %s", w.Body)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// Training mode from the admin page and the API: the banner is on every
// page while it is on, and a multi-step form's state does not cross the
// switch.
func TestAdminTrainingSwitch(t *testing.T) {
	f, fa := newAdminFixture(t)
	a := f.loginRole(kiosk.RoleAdmin)
	anon := &staffClient{f: f}
	if w := anon.Get("/"); strings.Contains(w.Body.String(), `id="training-banner"`) {
		t.Fatal("banner while off")
	}
	w := a.Get("/admin/training")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="training-on"`) {
		t.Fatalf("training page: %d\n%s", w.Code, w.Body)
	}
	ss := f.S.store.get(a.cookie.Value)
	ss.Scratch["cppt.pending"] = "a form of the real world"
	w = a.Post("/admin/training", url.Values{"on": {"1"}})
	if w.Code != http.StatusSeeOther || !fa.on() || fa.TrainingState().By != "admin1" {
		t.Fatalf("switch on: %d %+v", w.Code, fa.TrainingState())
	}
	w = a.Get("/admin/training")
	if !strings.Contains(w.Body.String(), `id="training-banner"`) || !strings.Contains(w.Body.String(), `id="training-off"`) {
		t.Fatalf("training page while on:\n%s", w.Body)
	}
	if len(ss.Scratch) != 0 {
		t.Fatalf("scratch crossed the switch: %v", ss.Scratch)
	}
	for _, p := range []string{"/", "/staff/login"} {
		if w := anon.Get(p); !strings.Contains(w.Body.String(), `id="training-banner"`) {
			t.Errorf("%s: no banner while on", p)
		}
	}
	if w := a.JSON(http.MethodGet, "/api/v1/staff/training", ""); !strings.Contains(w.Body.String(), `"on":true`) {
		t.Fatalf("api state: %s", w.Body)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/training", `{}`); w.Code != http.StatusBadRequest {
		t.Fatalf("api without on: %d", w.Code)
	}
	if w := a.JSON(http.MethodPost, "/api/v1/staff/training", `{"on":false}`); w.Code != http.StatusOK || fa.on() {
		t.Fatalf("api off: %d %s", w.Code, w.Body)
	}
	if w := anon.Get("/"); strings.Contains(w.Body.String(), `id="training-banner"`) {
		t.Fatal("banner after off")
	}
	if fa.sets != 2 {
		t.Fatalf("%d switches, want 2", fa.sets)
	}
}

// Without Deps.Admin the audit and training pages say so instead of failing.
func TestAdminWithoutBackend(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	a := f.loginRole(kiosk.RoleAdmin)
	for _, p := range []string{"/admin/audit", "/admin/training"} {
		if w := a.Get(p); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `id="back-users"`) {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	if w := a.Get("/admin"); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="training-panel"`) {
		t.Errorf("/admin: %d", w.Code)
	}
}
