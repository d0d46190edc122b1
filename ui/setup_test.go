package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

const (
	testPIN   = "246810"
	testToken = "0ABC-DEFG-HJKM-NPQR-STVW-XYZ0-12"
)

// fakeEnroller writes the form as JSON to path and enrolls as told.
type fakeEnroller struct {
	mu     sync.Mutex
	path   string
	err    error // what Enroll returns
	as     *Enrolled
	saves  int
	enrols []SetupForm
}

func (f *fakeEnroller) SaveConfig(sf SetupForm) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saves++
	sf.Token = "" // as the real one: never written
	b, _ := json.Marshal(sf)
	return os.WriteFile(f.path, b, 0o644)
}

func (f *fakeEnroller) Enroll(ctx context.Context, sf SetupForm) (Enrolled, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enrols = append(f.enrols, sf)
	if f.err != nil {
		return Enrolled{}, f.err
	}
	if f.as != nil {
		return *f.as, nil
	}
	return Enrolled{CPC: sf.CPC, Kiosk: sf.Kiosk, DeviceID: "dev-test"}, nil
}

func (f *fakeEnroller) calls() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.enrols) }

// setupEnv is the setup router over fakes, with a clock the test moves.
type setupEnv struct {
	srv      *httptest.Server
	h        http.Handler
	enr      *fakeEnroller
	mu       sync.Mutex
	now      time.Time
	prints   []SetupForm
	printErr error
	done     []Enrolled
	logs     bytes.Buffer
	noPIN    bool
}

func newSetupEnv(t testing.TB, mod func(*SetupDeps)) *setupEnv {
	t.Helper()
	e := &setupEnv{now: time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC),
		enr: &fakeEnroller{path: filepath.Join(t.TempDir(), "kioskd.json")}}
	d := SetupDeps{
		Form:     SetupForm{Printer: "sim", Baud: 9600, Profile: "generic-80"},
		DataDir:  "/var/lib/cpc-kiosk",
		Devices:  []string{"/dev/cpc-printer", "/dev/ttyUSB0", "/dev/ttyS0"},
		Profiles: []string{"generic-58", "generic-80", "tm-t20", "tm-t88"},
		PINSet:   func() bool { e.mu.Lock(); defer e.mu.Unlock(); return !e.noPIN },
		CheckPIN: func(pin string) bool { return pin == testPIN },
		TestPrint: func(ctx context.Context, f SetupForm) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.prints = append(e.prints, f)
			return e.printErr
		},
		Enroller: e.enr,
		Done:     func(en Enrolled) { e.mu.Lock(); e.done = append(e.done, en); e.mu.Unlock() },
		Version:  "test",
		Log:      slog.New(slog.NewTextHandler(&syncWriter{w: &e.logs, mu: &e.mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now },
	}
	if mod != nil {
		mod(&d)
	}
	e.h = NewSetupRouter(d)
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		// Invariant of every setup test: the logs never hold the PIN or a token.
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, secret := range []string{testPIN, testToken, "0ABCDEFG", "13579"} {
			if strings.Contains(e.logs.String(), secret) {
				t.Errorf("the log holds a secret %q:\n%s", secret, e.logs.String())
			}
		}
	})
	return e
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (e *setupEnv) advance(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

// unlock opens the PIN page and enters the PIN; it returns the form page.
func (e *setupEnv) unlock(t testing.TB, c *client, lang string) string {
	t.Helper()
	_, page := c.get("/?lang=" + lang)
	resp, page := c.post(page, "/pin", url.Values{"pin": {testPIN}})
	if resp.Request.URL.Path != "/setup" || !strings.Contains(page, `id="enrol-now"`) {
		t.Fatalf("after the PIN on %s:\n%s", resp.Request.URL.Path, page)
	}
	return page
}

// goodForm is a complete, valid setup form.
func goodForm() url.Values {
	return url.Values{"cpc": {"isf"}, "kiosk": {"1"}, "central": {"http://10.0.0.5:8090/"}, "token": {testToken},
		"printer": {"/dev/ttyUSB0"}, "baud": {"19200"}, "profile": {"tm-t20"}, "a4_queue": {"extracts-a4"},
		"centre_name": {"Маркази милитсияи ҷамъиятии Истаравшан"}}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func noRedirects(c *client) *http.Client {
	return &http.Client{Jar: c.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Every route of the setup router but the PIN page, its form, the lock,
// /healthz and the static files needs a session unlocked with the PIN.
func TestSetupPINRequired(t *testing.T) {
	e := newSetupEnv(t, nil)
	c := newClient(t, e.srv.URL)
	_, page := c.get("/")
	csrf := csrfRe.FindStringSubmatch(page)[1]
	open := map[string]bool{"GET /": true, "POST /pin": true, "POST /exit": true, "GET /healthz": true, "GET /static/*file": true}
	nr := noRedirects(c)
	checked := 0
	for _, r := range e.h.(*gin.Engine).Routes() {
		if open[r.Method+" "+r.Path] {
			continue
		}
		checked++
		var resp *http.Response
		var err error
		if r.Method == http.MethodPost {
			resp, err = nr.PostForm(e.srv.URL+r.Path, with(goodForm(), "csrf", csrf))
		} else {
			resp, err = nr.Get(e.srv.URL + r.Path)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("%s %s without the PIN: %d to %q", r.Method, r.Path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if checked < 4 {
		t.Fatalf("only %d protected routes", checked)
	}
	if e.enr.calls() != 0 || e.enr.saves != 0 || len(e.prints) != 0 {
		t.Fatal("a request without the PIN did something")
	}
	// The open ones answer without it.
	resp, body := c.get("/healthz")
	var h SetupHealth
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &h) != nil || h.Status != "setup" || !h.PINSet || h.Relay.Enrolled {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(page, `id="pin"`) || !strings.Contains(page, tr("tg", "setup.pin.lead")) {
		t.Fatal("the PIN page is not in Tajik or lacks the PIN field")
	}
	// The pages keep the citizen pages' headers: CSP, no inline script or style.
	for _, p := range []string{"/", "/setup"} {
		if p == "/setup" {
			e.unlock(t, c, "tg")
		}
		resp, body := c.get(p)
		if resp.Header.Get("Content-Security-Policy") != "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'" ||
			resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
		if regexp.MustCompile(`(?i)<script>|<style|\sstyle=|\son[a-z]+=`).MatchString(body) {
			t.Errorf("%s: inline script or style", p)
		}
	}
	// Locking ends it.
	_, page = c.get("/setup")
	c.post(page, "/exit", url.Values{})
	if resp, _ := c.get("/setup"); resp.Request.URL.Path != "/" {
		t.Fatalf("after Lock the form is still open: on %s", resp.Request.URL.Path)
	}
}

func TestSetupPINLockout(t *testing.T) {
	e := newSetupEnv(t, nil)
	c := newClient(t, e.srv.URL)
	_, page := c.get("/?lang=ru")
	_, page = c.post(page, "/pin", url.Values{"pin": {""}})
	if !strings.Contains(page, tr("ru", "setup.pin.required")) {
		t.Fatal("an empty PIN is not explained")
	}
	for i := 1; i < setupMaxFails; i++ {
		var resp *http.Response
		resp, page = c.post(page, "/pin", url.Values{"pin": {"13579" + fmt.Sprint(i)}})
		if resp.Request.URL.Path != "/" || !strings.Contains(page, tr("ru", "setup.pin.wrong", setupMaxFails-i)) {
			t.Fatalf("wrong PIN %d: on %s", i, resp.Request.URL.Path)
		}
	}
	_, page = c.post(page, "/pin", url.Values{"pin": {"135799"}})
	if !strings.Contains(page, tr("ru", "setup.pin.locked", 15)) || strings.Contains(page, `id="pin"`) {
		t.Fatal("five wrong PINs did not lock the setup")
	}
	// Locked: even the right PIN, even from a new session, opens nothing.
	c2 := newClient(t, e.srv.URL)
	_, page2 := c2.get("/")
	if resp, _ := c2.post(page2, "/pin", url.Values{"pin": {testPIN}}); resp.Request.URL.Path != "/" {
		t.Fatal("the right PIN opened a locked setup")
	}
	e.advance(14 * time.Minute)
	_, page = c.get("/")
	if !strings.Contains(page, tr("ru", "setup.pin.locked", 1)) {
		t.Fatal("the lock does not say how long it lasts")
	}
	e.advance(time.Minute + time.Second)
	_, page = c.get("/")
	if resp, _ := c.post(page, "/pin", url.Values{"pin": {testPIN}}); resp.Request.URL.Path != "/setup" {
		t.Fatal("the right PIN does not open the setup after the lock")
	}
}

func TestSetupCSRF(t *testing.T) {
	e := newSetupEnv(t, nil)
	c := newClient(t, e.srv.URL)
	_, page := c.get("/")
	resp, page := c.post(page, "/pin", url.Values{"pin": {testPIN}, "csrf": {"forged"}})
	if resp.Request.URL.Path != "/" || !strings.Contains(page, tr("tg", "err.expired")) {
		t.Fatalf("a forged token on the PIN form: on %s", resp.Request.URL.Path)
	}
	if resp, _ := c.get("/setup"); resp.Request.URL.Path != "/" {
		t.Fatal("the PIN with a forged token unlocked the setup")
	}
	page = e.unlock(t, c, "tg")
	for _, p := range []string{"/setup/enrol", "/setup/print"} {
		resp, page = c.post(page, p, with(goodForm(), "csrf", "forged"))
		if !strings.Contains(page, tr("tg", "err.expired")) {
			t.Errorf("%s with a forged token: on %s without the notice", p, resp.Request.URL.Path)
		}
	}
	// Without any session cookie at all.
	r, err := http.PostForm(e.srv.URL+"/setup/enrol", with(goodForm(), "csrf", csrfRe.FindStringSubmatch(page)[1]))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if e.enr.calls() != 0 || e.enr.saves != 0 || len(e.prints) != 0 {
		t.Fatal("a forged request did something")
	}
}

func TestSetupValidation(t *testing.T) {
	e := newSetupEnv(t, nil)
	c := newClient(t, e.srv.URL)
	page := e.unlock(t, c, "tg")
	for _, tc := range []struct {
		name, field, value, key string
	}{
		{"no centre", "cpc", "", "setup.err.cpc"},
		{"centre with a digit", "cpc", "IS1", "setup.err.cpc"},
		{"Cyrillic centre", "cpc", "ИСФ", "setup.err.cpc"},
		{"no kiosk", "kiosk", "", "setup.err.kiosk"},
		{"kiosk 10", "kiosk", "10", "setup.err.kiosk"},
		{"no central", "central", "", "setup.err.central.required"},
		{"central without scheme", "central", "10.0.0.5:8090", "setup.err.central.invalid"},
		{"central ftp", "central", "ftp://10.0.0.5", "setup.err.central.invalid"},
		{"central with user", "central", "http://me@10.0.0.5", "setup.err.central.invalid"},
		{"no token", "token", "", "setup.err.token.required"},
		{"short token", "token", "ABCD-EFGH", "setup.err.token.invalid"},
		{"unknown device", "printer", "/dev/sda", "setup.err.printer"},
		{"bad baud", "baud", "300", "setup.err.baud"},
		{"unknown profile", "profile", "tm-x", "setup.err.profile"},
		{"queue with a space", "a4_queue", "my queue", "setup.err.a4_queue"},
		{"long centre name", "centre_name", strings.Repeat("Ҷ", 101), "setup.err.centre_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := c.post(page, "/setup/enrol", with(goodForm(), tc.field, tc.value))
			page = body
			msg := tr("tg", tc.key, maxCentreName)
			if resp.Request.URL.Path != "/setup" || !regexp.MustCompile(`id="err-`+tc.field+`" role="alert">`+regexp.QuoteMeta(msg)).MatchString(body) {
				t.Fatalf("on %s: no %q next to %s", resp.Request.URL.Path, msg, tc.field)
			}
			if n := strings.Count(body, `class="err"`); n != 2 { // the field's and the summary
				t.Errorf("%d errors shown, want the field's and the summary", n)
			}
			// What was typed stays, the token too (nothing was sent).
			if tc.field != "token" && !strings.Contains(body, `value="`+testToken+`"`) {
				t.Error("the token was lost on a validation error")
			}
			if tc.field != "cpc" && !strings.Contains(body, `value="ISF"`) {
				t.Error("the centre code was lost")
			}
		})
	}
	// In the page's language.
	c.get("/setup?lang=en")
	_, body := c.post(page, "/setup/enrol", with(goodForm(), "cpc", "I5F"))
	if !strings.Contains(body, tr("en", "setup.err.cpc")) {
		t.Fatal("errors not in English")
	}
	if e.enr.calls() != 0 || e.enr.saves != 0 {
		t.Fatal("an invalid form was acted on")
	}
}

func TestSetupTestPrint(t *testing.T) {
	e := newSetupEnv(t, nil)
	c := newClient(t, e.srv.URL)
	page := e.unlock(t, c, "tg")
	resp, page := c.post(page, "/setup/print", goodForm())
	if resp.Request.URL.Path != "/setup" || len(e.prints) != 1 || e.prints[0].Printer != "/dev/ttyUSB0" ||
		e.prints[0].Baud != 19200 || e.prints[0].Profile != "tm-t20" {
		t.Fatalf("test print: %+v", e.prints)
	}
	if !strings.Contains(page, `id="print-result"`) || !strings.Contains(page, tr("tg", "setup.print.ok", "/dev/ttyUSB0")) {
		t.Fatal("success not shown")
	}
	if !strings.Contains(page, `value="`+testToken+`"`) || !strings.Contains(page, `value="extracts-a4"`) {
		t.Fatal("the form lost its values over a test print")
	}
	// A printer fault: what is wrong, in the page's language, and the cause.
	e.mu.Lock()
	e.printErr = &kiosk.PrinterError{State: kiosk.PrinterPaperOut, Err: errors.New("printer: paper out: status 0x0c")}
	e.mu.Unlock()
	c.get("/setup?lang=ru")
	_, page = c.post(page, "/setup/print", goodForm())
	if !strings.Contains(page, tr("ru", "setup.print.failed", tr("ru", "setup.print.paper_out"))) || !strings.Contains(page, "status 0x0c") {
		t.Fatal("paper out not explained")
	}
	// The result is shown once.
	if _, page := c.get("/setup"); strings.Contains(page, `id="print-result"`) {
		t.Fatal("the old result is still shown")
	}
	_, page = c.post(page, "/setup/print", with(goodForm(), "printer", "none"))
	if len(e.prints) != 2 || !strings.Contains(page, tr("ru", "setup.print.failed", tr("ru", "setup.print.none"))) {
		t.Fatal("no printer: not explained, or printed")
	}
	_, page = c.post(page, "/setup/print", with(goodForm(), "baud", "1234"))
	if len(e.prints) != 2 || !strings.Contains(page, `id="err-baud"`) {
		t.Fatal("a bad baud went to the printer")
	}
	// The simulator: named in the page's language.
	e.mu.Lock()
	e.printErr = nil
	e.mu.Unlock()
	_, page = c.post(page, "/setup/print", with(goodForm(), "printer", "sim"))
	if !strings.Contains(page, tr("ru", "setup.print.sim", "/var/lib/cpc-kiosk/printer")) {
		t.Fatal("the simulator's print not shown")
	}
}

func TestSetupEnrol(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		field string // where the message is
		key   string
	}{
		{"central unreachable", fmt.Errorf("%w: dial tcp 10.0.0.5:8090: connection refused", ErrCentralUnreachable), "central", "setup.err.unreachable"},
		{"not a central", fmt.Errorf("%w: status 404", ErrNotCentral), "central", "setup.err.not_central"},
		{"bad token", fmt.Errorf("%w: central refused (403 bad_token)", ErrTokenRefused), "token", "setup.err.token.refused"},
		{"token of another kiosk", &WrongKioskError{CPC: "KHJ", Kiosk: 4}, "token", "setup.err.wrong_kiosk"},
		{"other", errors.New("enroll: keys: read-only file system"), "form", "setup.err.enrol.failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSetupEnv(t, nil)
			e.enr.err = tc.err
			c := newClient(t, e.srv.URL)
			page := e.unlock(t, c, "tg")
			resp, page := c.post(page, "/setup/enrol", goodForm())
			msg := tr("tg", tc.key, "KHJ", 4)
			if resp.Request.URL.Path != "/setup" || !strings.Contains(page, `id="err-`+tc.field+`"`) || !strings.Contains(page, msg) {
				t.Fatalf("on %s: %q not shown at %s", resp.Request.URL.Path, msg, tc.field)
			}
			if !strings.Contains(page, tc.err.Error()) {
				t.Error("the cause is not shown to the technician")
			}
			if strings.Contains(page, testToken) || !strings.Contains(page, `value="http://10.0.0.5:8090"`) || !strings.Contains(page, `value="ISF"`) ||
				!strings.Contains(page, `value="19200" checked`) {
				t.Error("after a failed enrolment the form must keep its values but not the token")
			}
			if len(e.done) != 0 {
				t.Error("done after a failure")
			}
		})
	}

	t.Run("enrolled", func(t *testing.T) {
		e := newSetupEnv(t, nil)
		c := newClient(t, e.srv.URL)
		page := e.unlock(t, c, "tg")
		resp, page := c.post(page, "/setup/enrol", goodForm())
		if resp.Request.URL.Path != "/setup/done" || !strings.Contains(page, tr("tg", "setup.done.title", "ISF", 1)) {
			t.Fatalf("after enrolling on %s:\n%s", resp.Request.URL.Path, page)
		}
		if r := resp.Header.Get("Refresh"); r != "5; url=/" {
			t.Errorf("Refresh %q: the page must go to the kiosk once kioskd restarted", r)
		}
		var saved SetupForm
		b, err := os.ReadFile(e.enr.path)
		if err != nil || json.Unmarshal(b, &saved) != nil {
			t.Fatalf("config not written: %v", err)
		}
		want := SetupForm{CPC: "ISF", Kiosk: 1, Central: "http://10.0.0.5:8090", Printer: "/dev/ttyUSB0", Baud: 19200,
			Profile: "tm-t20", A4Queue: "extracts-a4", CentreName: "Маркази милитсияи ҷамъиятии Истаравшан"}
		if saved != want {
			t.Fatalf("config %+v, want %+v", saved, want)
		}
		if len(e.enr.enrols) != 1 || e.enr.enrols[0].Token != testToken {
			t.Fatalf("enrolments %+v", e.enr.enrols)
		}
		if len(e.done) != 1 || e.done[0].CPC != "ISF" || e.done[0].Kiosk != 1 {
			t.Fatalf("done %+v", e.done)
		}
		// Whatever the browser asks next shows "starting", and nothing enrolls twice.
		for _, p := range []string{"/", "/setup", "/setup/done"} {
			if resp, body := c.get(p); resp.Request.URL.Path != "/setup/done" || !strings.Contains(body, `id="setup-done"`) {
				t.Errorf("%s after enrolling: on %s", p, resp.Request.URL.Path)
			}
		}
		c.post(page, "/setup/enrol", goodForm())
		if e.enr.calls() != 1 || len(e.done) != 1 {
			t.Fatal("enrolled twice")
		}
	})
}

// Without a PIN the setup says how to set one and accepts nothing.
func TestSetupWithoutPIN(t *testing.T) {
	e := newSetupEnv(t, nil)
	e.noPIN = true
	c := newClient(t, e.srv.URL)
	_, page := c.get("/?lang=en")
	if !strings.Contains(page, tr("en", "setup.nopin.title")) || !strings.Contains(page, "kioskctl setup-pin -data /var/lib/cpc-kiosk") ||
		strings.Contains(page, `id="pin"`) {
		t.Fatalf("no-PIN page:\n%s", page)
	}
	if resp, _ := c.post(page, "/pin", url.Values{"pin": {testPIN}}); resp.Request.URL.Path != "/" {
		t.Fatal("a PIN was accepted with none set")
	}
	if resp, _ := c.get("/setup"); resp.Request.URL.Path != "/" {
		t.Fatal("the form opened without a PIN")
	}
	// Once the technician sets one, the same screen takes it.
	e.mu.Lock()
	e.noPIN = false
	e.mu.Unlock()
	e.unlock(t, c, "en")
}

// The setup flow in a real browser, in Tajik at 1024x600, typed on the
// on-screen keyboard, with the layout checks of the citizen's pages.
func TestSetupBrowser(t *testing.T) {
	ctx, stop := newBrowser(t)
	defer stop()
	start := time.Now()
	e := newSetupEnv(t, nil)
	b := &browser{t: t, ctx: ctx, base: e.srv.URL, shots: screensDir(t)}
	t.Logf("screenshots in %s", b.shots)
	b.size(1024, 600)
	checkLayout := func(name string) { b.checkLayout(name); b.size(1024, 600) }
	b.run("open", chromedp.Navigate(e.srv.URL+"/"))
	b.waitPage("setup-pin")
	checkLayout("setup-pin-tg")
	b.typeText("#pin", "13579") // wrong
	b.click("#pin-ok")
	b.run("wrong PIN", chromedp.WaitVisible(chromedp.ID("err-pin")))
	b.typeText("#pin", testPIN)
	if kb := eval[string](b, `getComputedStyle(document.getElementById('pin')).webkitTextSecurity`); kb != "disc" {
		t.Errorf("the PIN is shown as typed (text-security %q)", kb)
	}
	b.click("#pin-ok")
	b.waitPage("setup-form")
	checkLayout("setup-form-tg")

	b.typeText("#cpc", "ISF")
	b.click("#kiosk-1")
	b.typeText("#centre_name", "Маркази Истаравшан")
	b.typeText("#central", "http://10.0.0.5:8090")
	b.click("#a4_queue") // the keyboard of addresses and queue names
	b.run("keyboard shown", chromedp.WaitVisible(chromedp.ID("kb")))
	if l := eval[string](b, `document.getElementById('kb').getAttribute('data-layout')`); l != "url" {
		t.Errorf("the queue name gets the %q keyboard", l)
	}
	b.checkNotCovered("#a4_queue")
	b.shot("setup-keyboard-url-tg-1024x600")
	b.click(`#kb button[data-a="done"]`)
	b.run("keyboard hidden", chromedp.WaitNotVisible(chromedp.ID("kb")))
	// Enrol without a token: the sentence next to the field.
	b.click("#enrol-now")
	b.waitPage("setup-form")
	b.run("token error", chromedp.WaitVisible(chromedp.ID("err-token")))
	b.shot("setup-form-errors-tg-landing-1024x600")
	if !strings.Contains(b.text(), tr("tg", "setup.err.token.required")) {
		t.Fatal("the missing token is not explained in Tajik")
	}
	checkLayout("setup-form-errors-tg")
	b.typeText("#token", testToken)
	b.click("#printer-sim")
	b.click("#profile-generic-58")
	b.click("#test-print")
	b.waitPage("setup-form")
	b.run("print result", chromedp.WaitVisible(chromedp.ID("print-result")))
	b.shot("setup-form-printed-tg-landing-1024x600") // where the page opens after the print
	if !strings.Contains(b.text(), tr("tg", "setup.print.sim", "/var/lib/cpc-kiosk/printer")) {
		t.Fatal("the test print's success is not shown")
	}
	if v := eval[string](b, `document.getElementById('token').value`); v != testToken {
		t.Fatalf("the token was lost over the test print: %q", v)
	}
	checkLayout("setup-form-printed-tg")
	fullShot(b, "setup-form-full-tg-1024x600")
	b.click("#enrol-now")
	b.waitPage("setup-done")
	if !strings.Contains(b.text(), tr("tg", "setup.done.title", "ISF", 1)) {
		t.Fatal("no 'enrolled, starting' page")
	}
	checkLayout("setup-done-tg")
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.enr.enrols) != 1 {
		t.Fatalf("enrolments %+v", e.enr.enrols)
	}
	got := e.enr.enrols[0]
	want := SetupForm{CPC: "ISF", Kiosk: 1, Central: "http://10.0.0.5:8090", Token: testToken, Printer: "sim", Baud: 9600,
		Profile: "generic-58", CentreName: "Маркази Истаравшан"}
	if got != want {
		t.Fatalf("enrolled with %+v, want %+v", got, want)
	}
	if len(e.prints) != 1 || e.prints[0].Printer != "sim" || e.prints[0].Profile != "generic-58" {
		t.Fatalf("test prints %+v", e.prints)
	}
	t.Logf("setup browser test took %s", time.Since(start).Round(time.Millisecond))
}

// fullShot saves a picture of the whole page, not only the screen.
func fullShot(b *browser, name string) {
	b.t.Helper()
	png := get(b, "full screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
