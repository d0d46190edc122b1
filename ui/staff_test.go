package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

// staffPassword is every fixture account's password.
const staffPassword = "correct horse 42"

// The fixture's accounts, one per role.
var fixtureUsers = map[kiosk.Role]string{
	kiosk.RoleAdmin:   "admin1",
	kiosk.RoleOfficer: "officer1",
	kiosk.RoleCPPT:    "cppt1",
}

// staffFixture is a kiosk router with one account per role, on the fake
// store, with a settable clock for both the domain and the sessions.
type staffFixture struct {
	t        testing.TB
	H        *gin.Engine
	S        *staff
	Store    *kiosktest.Store
	Clock    *kiosktest.Clock
	Svc      *kiosk.Service
	Accounts *kiosk.Accounts
}

var (
	fixtureHashOnce sync.Once
	fixtureHash     string
)

// newStaffFixture builds the router from d (Service and Accounts are made
// when nil) and creates the accounts of fixtureUsers.
func newStaffFixture(t testing.TB, d Deps) *staffFixture {
	t.Helper()
	f := &staffFixture{t: t, Store: kiosktest.NewStore(), Clock: kiosktest.NewClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))}
	clock := kiosk.NewTrustedClock(f.Clock, time.Time{}, nil)
	if d.Service == nil {
		svc, err := kiosk.NewService(f.Store, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Service = svc
	}
	if d.Accounts == nil {
		d.Accounts = kiosk.NewAccounts(f.Store, clock, nil)
	}
	f.Svc, f.Accounts = d.Service, d.Accounts
	// One slow hash for every account keeps the fixture fast.
	fixtureHashOnce.Do(func() {
		h, err := kiosk.HashStaffSecret(staffPassword)
		if err != nil {
			panic(err)
		}
		fixtureHash = h
	})
	for role, name := range fixtureUsers {
		u := &kiosk.User{Username: name, FullName: "Test " + string(role), Role: role, SecretHash: fixtureHash, CreatedAt: f.Clock.Now()}
		if err := f.Store.PutUser(context.Background(), u, true, kiosk.AuditEntry{At: f.Clock.Now(), Actor: "test", Action: "user.add", Record: "user:" + name}); err != nil {
			t.Fatal(err)
		}
	}
	f.H, f.S = newRouter(d, pageOptions{IdleSeconds: 60, CountdownSeconds: 20, Now: f.Clock.Now})
	return f
}

// staffClient is a logged-in staff member's cookie and CSRF token.
type staffClient struct {
	f      *staffFixture
	cookie *http.Cookie
	CSRF   string
}

func (f *staffFixture) serve(req *http.Request) *httptest.ResponseRecorder {
	if req.RemoteAddr == "" || req.RemoteAddr == "192.0.2.1:1234" {
		req.RemoteAddr = "127.0.0.1:40000"
	}
	w := httptest.NewRecorder()
	f.H.ServeHTTP(w, req)
	return w
}

// login logs the user in through the JSON API.
func (f *staffFixture) login(username string) *staffClient {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/session",
		strings.NewReader(`{"username":"`+username+`","password":"`+staffPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	w := f.serve(req)
	if w.Code != http.StatusCreated {
		f.t.Fatalf("login %s: %d %s", username, w.Code, w.Body)
	}
	var rep sessionReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		f.t.Fatal(err)
	}
	c := &staffClient{f: f, CSRF: rep.CSRFToken}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == staffCookie {
			c.cookie = ck
		}
	}
	if c.cookie == nil || c.CSRF == "" {
		f.t.Fatalf("login %s: no cookie or token", username)
	}
	return c
}

// loginRole logs in the fixture's account of role.
func (f *staffFixture) loginRole(role kiosk.Role) *staffClient { return f.login(fixtureUsers[role]) }

// JSON sends a JSON request (body may be "") with the CSRF header.
func (c *staffClient) JSON(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(csrfHeader, c.CSRF)
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	return c.f.serve(req)
}

// Get requests a page.
func (c *staffClient) Get(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	return c.f.serve(req)
}

// Post submits a form with the CSRF field.
func (c *staffClient) Post(path string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.CSRF)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	return c.f.serve(req)
}

// public lists the staff console's routes that need no session.
var publicStaffRoutes = []string{
	"GET /staff/login", "POST /staff/login", "POST /staff/logout",
	"POST /api/v1/session", "DELETE /api/v1/session",
}

// staffPath reports whether a route belongs to the staff console.
func staffPath(p string) bool {
	for _, pre := range []string{"/staff", "/cppt", "/admin", "/api/v1/staff", "/api/v1/cppt", "/api/v1/admin", "/api/v1/session"} {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

var routeParam = regexp.MustCompile(`[:*][A-Za-z_]+`)

// TestStaffRoutesGuarded enumerates the router: every staff route but login
// and logout is registered with its roles, refuses a request without a
// session (401), with each role it does not name (403) and, for writes,
// without the CSRF token (403) — and with a token of another session.
// A route added later is covered without touching this test.
func TestStaffRoutesGuarded(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	clients := map[kiosk.Role]*staffClient{}
	for _, r := range kiosk.Roles {
		clients[r] = f.loginRole(r)
	}
	anon := &staffClient{f: f}
	n := 0
	for _, rt := range f.H.Routes() {
		key := rt.Method + " " + rt.Path
		if !staffPath(rt.Path) || slices.Contains(publicStaffRoutes, key) {
			continue
		}
		rule, ok := f.S.routes[key]
		if !ok {
			t.Errorf("%s is in the staff console but not registered through staff.page or staff.api", key)
			continue
		}
		if len(rule.Roles) == 0 {
			t.Errorf("%s: no role may call it", key)
		}
		n++
		path := routeParam.ReplaceAllString(rt.Path, "x")
		call := func(c *staffClient, csrf string) int {
			req := httptest.NewRequest(rt.Method, path, strings.NewReader(`{}`))
			if rule.API {
				req.Header.Set("Content-Type", "application/json")
				if csrf != "" {
					req.Header.Set(csrfHeader, csrf)
				}
			} else {
				req = httptest.NewRequest(rt.Method, path, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if c.cookie != nil {
				req.AddCookie(c.cookie)
			}
			return f.serve(req).Code
		}
		if code := call(anon, ""); code != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d, want 401", key, code)
		}
		for _, role := range kiosk.Roles {
			if slices.Contains(rule.Roles, role) {
				continue
			}
			if code := call(clients[role], clients[role].CSRF); code != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403", key, role, code)
			}
		}
		if writes(rt.Method) {
			c := clients[rule.Roles[0]]
			if code := call(c, ""); code != http.StatusForbidden {
				t.Errorf("%s as %s without the CSRF token: %d, want 403", key, rule.Roles[0], code)
			}
			other := clients[kiosk.RoleAdmin]
			if other == c {
				other = clients[kiosk.RoleOfficer]
			}
			if code := call(c, other.CSRF); code != http.StatusForbidden {
				t.Errorf("%s as %s with another session's CSRF token: %d, want 403", key, rule.Roles[0], code)
			}
		}
	}
	if n != len(f.S.routes) {
		t.Errorf("the router has %d guarded staff routes, the registry %d", n, len(f.S.routes))
	}
	if n < 2 {
		t.Fatalf("only %d guarded routes found: the enumeration is broken", n)
	}
	t.Logf("%d guarded staff routes checked", n)
}

func TestStaffLoginPage(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	anon := &staffClient{f: f}
	w := anon.Get("/staff/login?lang=ru")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="password"`) || !strings.Contains(w.Body.String(), "Вход для сотрудников") {
		t.Fatalf("login page: %d\n%s", w.Code, w.Body)
	}
	post := func(user, pass string, hdr ...string) *httptest.ResponseRecorder {
		form := url.Values{"username": {user}, "password": {pass}, "lang": {"tg"}}
		req := httptest.NewRequest(http.MethodPost, "/staff/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return f.serve(req)
	}
	tests := []struct {
		role kiosk.Role
		to   string
	}{{kiosk.RoleOfficer, "/staff/reports"}, {kiosk.RoleCPPT, "/cppt"}, {kiosk.RoleAdmin, "/admin"}}
	for _, tc := range tests {
		w := post(fixtureUsers[tc.role], staffPassword, "Origin", "http://example.com")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tc.to {
			t.Errorf("%s: %d to %q, want 303 to %s", tc.role, w.Code, w.Header().Get("Location"), tc.to)
		}
		var ck *http.Cookie
		for _, c := range w.Result().Cookies() {
			if c.Name == staffCookie {
				ck = c
			}
		}
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
			t.Errorf("%s: cookie %+v, want HttpOnly SameSite=Strict", tc.role, ck)
		}
	}
	if w := post("officer1", staffPassword, "Origin", "http://evil.example"); w.Code != http.StatusForbidden {
		t.Errorf("login posted from another origin: %d, want 403", w.Code)
	}
	w = post("officer1", "wrong password")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), tr("tg", "staff.login.failed")) ||
		!strings.Contains(w.Body.String(), `value="officer1"`) {
		t.Errorf("wrong password: %d\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "wrong password") {
		t.Error("the page repeats the typed password")
	}
}

// Five wrong passwords lock the account for 15 minutes, even against the
// right one, and every attempt is in the audit trail with the user.
func TestStaffLockout(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	try := func(pass string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(`{"username":"officer1","password":"`+pass+`"}`))
		req.Header.Set("Content-Type", "application/json")
		return f.serve(req)
	}
	for i := 1; i <= kiosk.LoginFailures; i++ {
		w := try("nope nope")
		want := http.StatusUnauthorized
		if i == kiosk.LoginFailures {
			want = http.StatusTooManyRequests
		}
		if w.Code != want {
			t.Fatalf("attempt %d: %d %s, want %d", i, w.Code, w.Body, want)
		}
	}
	if w := try(staffPassword); w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `"locked"`) {
		t.Fatalf("right password while locked: %d %s", w.Code, w.Body)
	}
	f.Clock.Advance(kiosk.LoginLock + time.Second)
	if w := try(staffPassword); w.Code != http.StatusCreated {
		t.Fatalf("after the lock: %d %s", w.Code, w.Body)
	}
	var failed, locked, ok int
	for _, e := range f.Store.Audit {
		if e.Record != "user:officer1" || e.Actor != "officer1" {
			continue
		}
		switch {
		case e.Action == "staff.login_failed" && e.Detail == "locked":
			locked++
		case e.Action == "staff.login_failed":
			failed++
		case e.Action == "staff.login":
			ok++
		}
	}
	if failed != kiosk.LoginFailures || locked != 1 || ok != 1 {
		t.Errorf("audit: %d failed, %d refused while locked, %d logins; want %d, 1, 1", failed, locked, ok, kiosk.LoginFailures)
	}
}

// One client guessing across accounts is stopped too.
func TestStaffLoginClientLimit(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	for i := 0; i < loginFailuresPerClient; i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(`{"username":"nobody`+string(rune('a'+i))+`","password":"123456"}`))
		req.Header.Set("Content-Type", "application/json")
		if w := f.serve(req); w.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(`{"username":"cppt1","password":"`+staffPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if w := f.serve(req); w.Code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures from one client: %d, want 429", loginFailuresPerClient, w.Code)
	}
}

// The API session: whoami, log out, and the idle end after 5 minutes.
func TestStaffSessionAPI(t *testing.T) {
	f := newStaffFixture(t, Deps{})
	c := f.loginRole(kiosk.RoleCPPT)
	w := c.JSON(http.MethodGet, "/api/v1/session", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"role":"cppt"`) {
		t.Fatalf("whoami: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "argon2") {
		t.Fatal("the session reply carries the password hash")
	}
	// 4 minutes between requests keep it alive; 5 without one end it.
	f.Clock.Advance(4 * time.Minute)
	if w := c.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusOK {
		t.Fatalf("after 4 idle minutes: %d", w.Code)
	}
	f.Clock.Advance(staffIdle + time.Second)
	if w := c.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("after 5 idle minutes: %d, want 401", w.Code)
	}
	c = f.loginRole(kiosk.RoleCPPT)
	if w := c.JSON(http.MethodDelete, "/api/v1/session", ""); w.Code != http.StatusNoContent {
		t.Fatalf("log out: %d", w.Code)
	}
	if w := c.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("after log out: %d, want 401", w.Code)
	}
	var logouts int
	for _, e := range f.Store.Audit {
		if e.Action == "staff.logout" && e.Actor == "cppt1" {
			logouts++
		}
	}
	if logouts != 1 {
		t.Errorf("%d logout audit entries, want 1", logouts)
	}
	// A new login ends the user's older session.
	a, b := f.loginRole(kiosk.RoleAdmin), f.loginRole(kiosk.RoleAdmin)
	if w := a.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("older session after a new login: %d, want 401", w.Code)
	}
	if w := b.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusOK {
		t.Errorf("newer session: %d", w.Code)
	}
	// Disabling the account ends its session at the next request.
	if err := f.Accounts.Disable(context.Background(), "test", "admin1"); err != nil {
		t.Fatal(err)
	}
	if w := b.JSON(http.MethodGet, "/api/v1/session", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("session of a disabled account: %d, want 401", w.Code)
	}
}

// The staff layout: the user, their sections, the logout countdown.
func TestStaffLayout(t *testing.T) {
	f := newStaffFixture(t, Deps{Training: func() bool { return true }})
	c := f.loginRole(kiosk.RoleAdmin)
	w := c.Get("/staff?lang=ru")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("/staff: %d", w.Code)
	}
	w = c.Get("/api/v1/session")
	if w.Code != http.StatusOK {
		t.Fatalf("whoami: %d", w.Code)
	}
	// A page every role may not see renders the forbidden page in the layout.
	o := f.loginRole(kiosk.RoleOfficer)
	f.S.page(http.MethodGet, "/admin/test-only", adminOnly, func(c *gin.Context) { f.S.render(c, "staff-forbidden", nil) })
	w = o.Get("/admin/test-only?lang=ru")
	body := w.Body.String()
	if w.Code != http.StatusForbidden || !strings.Contains(body, "Нет доступа") || !strings.Contains(body, `id="logout"`) ||
		!strings.Contains(body, `action="/staff/logout"`) || !strings.Contains(body, `id="training-banner"`) {
		t.Fatalf("forbidden page: %d\n%s", w.Code, body)
	}
	if strings.Contains(body, `class="danger"`) {
		t.Error("the citizen's emergency bar is on a staff page")
	}
	w = c.Get("/admin/test-only")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `data-idle="240"`) {
		t.Fatalf("admin page: %d (want the 4-minute warning before the 5-minute logout)\n%s", w.Code, w.Body)
	}
}

func TestLoadCatalogs(t *testing.T) {
	files := func(extra map[string]string) fstest.MapFS {
		m := fstest.MapFS{}
		for _, l := range kiosk.Languages {
			m["locales/"+l+".json"] = &fstest.MapFile{Data: []byte(`{"a":"` + l + `"}`)}
		}
		for k, v := range extra {
			m[k] = &fstest.MapFile{Data: []byte(v)}
		}
		return m
	}
	c, err := loadCatalogs(files(map[string]string{"locales/officer.ru.json": `{"officer.x":"y"}`}))
	if err != nil || c["ru"]["officer.x"] != "y" || c["ru"]["a"] != "ru" {
		t.Fatalf("merge: %v %v", c, err)
	}
	if _, err := loadCatalogs(files(map[string]string{"locales/officer.ru.json": `{"a":"again"}`})); err == nil {
		t.Fatal("a key defined in two files was accepted")
	}
	if _, err := loadCatalogs(files(map[string]string{"locales/officer.fr.json": `{}`})); err == nil {
		t.Fatal("a catalog of an unknown language was accepted")
	}
}
