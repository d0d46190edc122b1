package central

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser keeps cookies between page requests to the handler.
type browser struct {
	e       *env
	cookies map[string]*http.Cookie
}

func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.e.t.Helper()
	var hr *http.Request
	if form != nil {
		hr = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		hr = httptest.NewRequest(method, path, nil)
	}
	for _, c := range b.cookies {
		hr.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.e.srv.Handler().ServeHTTP(w, hr)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", body)
	}
	return m[1]
}

func checkPageHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Header()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Type":            "text/html; charset=utf-8",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	body := w.Body.String()
	for _, bad := range []string{"<script", "style=", "<style", "http://", "https://"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestVerifyPage(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	b := &browser{e: e, cookies: map[string]*http.Cookie{}}
	w := b.do("GET", "/verify", nil)
	if w.Code != 200 {
		t.Fatalf("GET /verify: %d", w.Code)
	}
	checkPageHeaders(t, w)
	contains(t, w.Body.String(), `<textarea id="payload" name="payload"`)

	good := e.signedExtract(d)
	w = b.do("POST", "/verify", url.Values{"payload": {good.Payload}})
	checkPageHeaders(t, w)
	body := w.Body.String()
	for _, s := range []string{"Valid", number("ISF", 1, 26, 1), d.id, good.Code, "ISF1"} {
		contains(t, body, s)
	}
	w = b.do("POST", "/verify", url.Values{"payload": {good.Payload[:len(good.Payload)-4] + "AAAA"}})
	contains(t, w.Body.String(), "Not valid")
	if strings.Contains(w.Body.String(), number("ISF", 1, 26, 1)) {
		t.Error("the invalid document's number is shown as a fact")
	}
	// The stylesheet is served from here.
	w = b.do("GET", "/static/style.css", nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestOperatorPage(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}))
	n := number("ISF", 1, 26, 1)
	b := &browser{e: e, cookies: map[string]*http.Cookie{}}

	// Not logged in: the login form, with a CSRF token.
	w := b.do("GET", "/operator", nil)
	checkPageHeaders(t, w)
	contains(t, w.Body.String(), `action="/operator/login"`)
	loginCSRF := csrfOf(t, w.Body.String())
	// A form POST without a session changes nothing.
	if w := b.do("POST", "/operator/status", url.Values{"number": {n}, "status": {"registered"}, "csrf": {loginCSRF}}); w.Code != http.StatusSeeOther {
		t.Errorf("status without a session: %d", w.Code)
	}
	// Login needs the form's CSRF token and the right operator token.
	if w := b.do("POST", "/operator/login", url.Values{"token": {opToken}}); w.Code != http.StatusForbidden {
		t.Errorf("login without CSRF: %d", w.Code)
	}
	loginCSRF = csrfOf(t, b.do("GET", "/operator", nil).Body.String())
	if w := b.do("POST", "/operator/login", url.Values{"token": {"wrong"}, "csrf": {loginCSRF}}); w.Code != http.StatusUnauthorized {
		t.Errorf("login with a wrong token: %d", w.Code)
	}
	loginCSRF = csrfOf(t, b.do("GET", "/operator", nil).Body.String())
	w = b.do("POST", "/operator/login", url.Values{"token": {opToken}, "csrf": {loginCSRF}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	sc := b.cookies[SessionCookie]
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/operator" || len(sc.Value) < 40 {
		t.Fatalf("session cookie = %+v", sc)
	}

	w = b.do("GET", "/operator", nil)
	checkPageHeaders(t, w)
	page := w.Body.String()
	for _, s := range []string{n, d.id, "relayed", `action="/operator/status"`, `action="/operator/revoke"`, `action="/operator/token"`, "Reports <b>1</b>"} {
		contains(t, page, s)
	}
	csrf := csrfOf(t, page)
	if csrf == loginCSRF {
		t.Error("the session's CSRF token is the login form's")
	}
	// Every form that posts carries the token.
	if forms, tokens := strings.Count(page, `method="post"`), strings.Count(page, `name="csrf" value="`+csrf+`"`); forms != tokens {
		t.Errorf("%d POST forms, %d CSRF fields", forms, tokens)
	}

	change := url.Values{"number": {n}, "status": {"decided"}, "decision": {"case_opened"}, "note": {"Парвандаи ҷиноятӣ оғоз шуд"}, "case_number": {"ПҶ-2026/0412"}, "back_cpc": {"ISF"}}
	for _, bad := range []string{"", "wrong", loginCSRF} {
		f := url.Values{}
		for k, v := range change {
			f[k] = v
		}
		if bad != "" {
			f.Set("csrf", bad)
		}
		if w := b.do("POST", "/operator/status", f); w.Code != http.StatusForbidden {
			t.Errorf("status with CSRF %q: %d", bad, w.Code)
		}
	}
	if r, _ := e.srv.Reports("ISF"); r[0].Status != "relayed" {
		t.Fatalf("a refused form changed the status to %s", r[0].Status)
	}
	change.Set("csrf", csrf)
	w = b.do("POST", "/operator/status", change)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/operator?cpc=ISF" {
		t.Fatalf("status: %d %v", w.Code, w.Header())
	}
	page = b.do("GET", "/operator?cpc=ISF", nil).Body.String()
	for _, s := range []string{"ПҶ-2026/0412", "case_opened", "is now decided"} {
		contains(t, page, s)
	}
	// An illegal change is explained, not applied.
	b.do("POST", "/operator/status", url.Values{"number": {n}, "status": {"registered"}, "csrf": {csrf}})
	contains(t, b.do("GET", "/operator", nil).Body.String(), "only move forward")

	// A token made on the page is shown once.
	b.do("POST", "/operator/token", url.Values{"cpc": {"khj"}, "kiosk": {"2"}, "csrf": {csrf}})
	page = b.do("GET", "/operator", nil).Body.String()
	m := regexp.MustCompile(`<code class="token">([0-9A-Z-]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token on the page")
	}
	if strings.Contains(b.do("GET", "/operator", nil).Body.String(), m[1]) {
		t.Error("the token is shown twice")
	}
	nd := newDevice(t)
	if w := e.send(nd, req{path: "/relay/v1/enroll", body: e.enrollBody(nd, m[1])}); w.Code != 200 {
		t.Errorf("enrol with the page's token: %d %s", w.Code, w.Body)
	}

	// Revoke from the page.
	b.do("POST", "/operator/revoke", url.Values{"id": {d.id}, "csrf": {csrf}})
	if devs, _ := e.srv.Devices(); devs[0].ID != d.id || devs[0].RevokedAt == nil {
		t.Errorf("devices after revoke: %+v", devs)
	}

	// Sessions expire when idle; logout ends them.
	e.clock.Add(SessionIdle + time.Minute)
	contains(t, b.do("GET", "/operator", nil).Body.String(), `action="/operator/login"`)
	loginCSRF = csrfOf(t, b.do("GET", "/operator", nil).Body.String())
	b.do("POST", "/operator/login", url.Values{"token": {opToken}, "csrf": {loginCSRF}})
	csrf = csrfOf(t, b.do("GET", "/operator", nil).Body.String())
	b.do("POST", "/operator/logout", url.Values{"csrf": {csrf}})
	contains(t, b.do("GET", "/operator", nil).Body.String(), `action="/operator/login"`)
}
