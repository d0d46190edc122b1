package ui

import (
	"context"
	"cpckiosk/kiosk/kiosktest"
	"cpckiosk/printer/device"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/extract"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
)

// newPageServer serves the real router over a real store in a temp dir.
func newPageServer(t testing.TB, o pageOptions) (*httptest.Server, *kiosk.Service) {
	return newServer(t, o, false)
}

// newKioskServer is newPageServer with the kiosk's real printers behind it:
// receipts through the simulator (pictures, print again) and signed
// extracts printed in short form on it, as kioskd -printer sim wires them.
func newKioskServer(t testing.TB, o pageOptions) (*httptest.Server, *kiosk.Service) {
	return newServer(t, o, true)
}

func newServer(t testing.TB, o pageOptions, printers bool) (*httptest.Server, *kiosk.Service) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := kiosk.NewTrustedClock(kiosk.SystemClock{}, time.Time{}, nil)
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Service: svc, Site: Site{CentreName: "Маркази милитсияи ҷамъиятии Истаравшан", Hotline: "+992 3454 2 22 22",
		Places: []string{"Истаравшан", "Нофароҷ", "Шаҳристон", "Ғончӣ", "Деҳмой", "Қалъачаи Мирон"}}}
	if printers {
		prof, err := escpos.LookupProfile("generic-80")
		if err != nil {
			t.Fatal(err)
		}
		sim := &device.Sim{Layout: device.Layout{Profile: prof, CentreName: d.Site.CentreName, Hotline: d.Site.Hotline},
			Dir: filepath.Join(dir, "printer")}
		q := kiosk.NewPrintQueue(st, sim, nil)
		svc.UsePrintQueue(q)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go q.Run(ctx)
		key, id, err := extract.LoadOrCreateDeviceKey(filepath.Join(dir, "keys"))
		if err != nil {
			t.Fatal(err)
		}
		svc.UseExtracts(&extract.KioskRenderer{Signer: extract.Signer{Key: key, DeviceID: id}, Centre: d.Site.CentreName})
		svc.UseExtractPrinter(&device.Extracts{Receipt: sim, Device: key.Public().(ed25519.PublicKey)})
		d.Receipt = func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus {
			return q.Wait(ctx, c.ReceiptJob, 10*time.Second)
		}
		d.ReceiptPicture = sim.Picture
	}
	old := pageDefaults
	pageDefaults = o
	h := NewRouter(d)
	pageDefaults = old
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, svc
}

// client is a browser without script: it follows redirects and keeps cookies.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newClient(t testing.TB, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post sends a form with the CSRF token of page.
func (c *client) post(page, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	if m := csrfRe.FindStringSubmatch(page); m != nil && form.Get("csrf") == "" {
		form.Set("csrf", m[1])
	}
	resp, err := c.c.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestCatalogsComplete(t *testing.T) {
	ref := catalogs[defaultLang]
	for _, lang := range kiosk.Languages {
		for k := range ref {
			if strings.TrimSpace(catalogs[lang][k]) == "" {
				t.Errorf("%s: key %q missing or empty", lang, k)
			}
		}
		for k := range catalogs[lang] {
			if _, ok := ref[k]; !ok {
				t.Errorf("%s: key %q not in %s", lang, k, defaultLang)
			}
		}
	}
	// Every key the templates and the Go code name must exist.
	used := map[string]bool{}
	keyRe := regexp.MustCompile(`(?:\.T|T|Key:) "([a-z_.0-9]+)"`)
	for _, dir := range []string{"templates", "."} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.IsDir() || !(strings.HasSuffix(e.Name(), ".html") || strings.HasSuffix(e.Name(), ".go")) || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			b, _ := os.ReadFile(dir + "/" + e.Name())
			for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
	}
	// Keys built at run time.
	for _, c := range kiosk.Categories {
		used["cat."+string(c)] = true
	}
	for _, s := range []string{"received", "relayed", "registered", "under_review", "decided", "closed"} {
		used["st."+s] = true
	}
	for _, d := range []string{"case_opened", "refused", "transferred"} {
		used["dec."+d] = true
	}
	for _, r := range []string{"printed", "queued", "failed", "none"} {
		used["receipt."+r] = true
	}
	for _, w := range []string{"today", "yesterday", "date", "unknown"} {
		used["when."+w] = true
	}
	used["extract.printed.a4"], used["extract.printed.receipt"] = true, true
	if len(used) < 80 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for k := range used {
		for _, lang := range kiosk.Languages {
			if !has(lang, k) {
				t.Errorf("%s: key %q is used but missing", lang, k)
			}
		}
	}
}

// Every field error the domain can give has its own sentence, not the
// generic fallback, in every language.
func TestDomainErrorsTranslated(t *testing.T) {
	long := strings.Repeat("ж", 6000)
	inputs := []kiosk.NewReport{
		{},
		{Category: "nope", Lang: "xx", Incident: kiosk.Incident{OccurredAt: "yesterday"}},
		{Category: "theft", Reporter: kiosk.Reporter{FullName: long, Phone: "12", IDNumber: "№!", Address: long},
			Incident: kiosk.Incident{Place: long, Description: long, OccurredAt: "2999-01-01T00:00:00Z"}},
		{Category: "theft", Reporter: kiosk.Reporter{Phone: "abc", FullName: "a\x01"}, Incident: kiosk.Incident{Description: "\xff", OccurredAt: "1800-01-01T00:00:00Z"}},
		{Category: "theft", Anonymous: true, Reporter: kiosk.Reporter{FullName: "x"}, Incident: kiosk.Incident{Description: "x"}},
	}
	seen := 0
	for _, in := range inputs {
		err := in.Validate(time.Now())
		ve, ok := err.(*kiosk.ValidationError)
		if !ok {
			t.Fatalf("no validation error for %+v", in)
		}
		for _, f := range ve.Fields {
			seen++
			m := fieldError(f)
			if m.Key == "err.invalid" && f.Code != "invalid" {
				t.Errorf("%s/%s falls back to the generic message", f.Field, f.Code)
			}
			for _, lang := range kiosk.Languages {
				if s := tr(lang, m.Key, m.Args...); strings.Contains(s, missingMark) || strings.Contains(s, "{0}") {
					t.Errorf("%s: %s/%s → %q", lang, f.Field, f.Code, s)
				}
			}
			if _, ok := formField[f.Field]; !ok && f.Field != "lang" {
				t.Errorf("field %s has no place on the form", f.Field)
			}
		}
	}
	if seen < 15 {
		t.Fatalf("only %d field errors exercised", seen)
	}
}

func TestFormatDate(t *testing.T) {
	at := time.Date(2026, 6, 2, 9, 30, 0, 0, time.UTC) // 14:30 in Tajikistan
	for lang, want := range map[string]string{
		"tg": "2 июни 2026, соати 14:30", "ru": "2 июня 2026 г., 14:30",
		"uz": "2026 йил 2 июнь, соат 14:30", "en": "2 June 2026, 14:30",
	} {
		if got := formatDate(lang, at); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}

func TestSessionStoreBoundedAndExpiring(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSessionStore(func() time.Time { return now })
	first := s.create("tg")
	for range maxSessions + 10 {
		now = now.Add(time.Millisecond)
		s.create("tg")
	}
	if s.len() != maxSessions {
		t.Fatalf("%d sessions, want the bound %d", s.len(), maxSessions)
	}
	if s.get(first.id) != nil {
		t.Fatal("the oldest session survived eviction")
	}
	ss := s.create("ru")
	now = now.Add(sessionIdle + time.Second)
	if s.get(ss.id) != nil {
		t.Fatal("idle session still alive")
	}
	ss = s.create("ru")
	for range 40 {
		now = now.Add(time.Minute)
		if s.get(ss.id) == nil {
			break
		}
	}
	if s.get(ss.id) != nil || now.Sub(ss.created) > sessionLifetime+time.Minute {
		t.Fatal("session outlived its absolute lifetime")
	}
}

func TestPageHeaders(t *testing.T) {
	srv, _ := newPageServer(t, pageDefaults)
	c := newClient(t, srv.URL)
	for _, p := range []string{"/", "/report/category", "/status", "/extract", "/static/kiosk.css", "/static/font.ttf"} {
		resp, body := c.get(p)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		h := resp.Header
		if h.Get("Content-Security-Policy") != "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: security headers %v", p, h)
		}
		if strings.HasPrefix(p, "/static/") {
			continue
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, h.Get("Cache-Control"))
		}
		if regexp.MustCompile(`(?i)<script>|<style|\sstyle=|\son[a-z]+=|https?://`).MatchString(body) {
			t.Errorf("%s: inline script/style or external URL in page", p)
		}
	}
	u, _ := url.Parse(srv.URL)
	cks := c.c.Jar.Cookies(u)
	if len(cks) != 1 || cks[0].Name != sessionCookie {
		t.Fatalf("cookies %v", cks)
	}
	resp, _ := c.get("/")
	_ = resp
	raw := ""
	r2, _ := http.Get(srv.URL + "/")
	raw = r2.Header.Get("Set-Cookie")
	r2.Body.Close()
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
}

func TestLangSwitchKeptInSession(t *testing.T) {
	srv, _ := newPageServer(t, pageDefaults)
	c := newClient(t, srv.URL)
	_, body := c.get("/")
	if !strings.Contains(body, `lang="tg"`) || !strings.Contains(body, tr("tg", "home.title")) {
		t.Fatal("home is not Tajik by default")
	}
	for _, lang := range []string{"ru", "uz", "en"} {
		c.get("/status?lang=" + lang)
		_, body = c.get("/")
		if !strings.Contains(body, `<html lang="`+lang+`"`) || !strings.Contains(body, tr(lang, "home.title")) {
			t.Errorf("language %s not kept", lang)
		}
	}
	_, body = c.get("/?lang=xx")
	if !strings.Contains(body, `<html lang="en"`) {
		t.Error("an unknown language changed the session's")
	}
}

func TestCSRFRequired(t *testing.T) {
	srv, _ := newPageServer(t, pageDefaults)
	c := newClient(t, srv.URL)
	page := func() string { _, b := c.get("/report/category"); return b }()
	resp, body := c.post(page, "/report/category", url.Values{"category": {"theft"}, "csrf": {"forged"}})
	if resp.Request.URL.Path != "/" || !strings.Contains(body, tr("tg", "err.expired")) {
		t.Fatalf("forged token accepted: ended on %s", resp.Request.URL.Path)
	}
	_, page = c.get("/report/category")
	resp, _ = c.post(page, "/report/category", url.Values{"category": {"theft"}})
	if resp.Request.URL.Path != "/report/when" {
		t.Fatalf("good token refused: ended on %s", resp.Request.URL.Path)
	}
}

// The whole flow with plain forms and no script, then the status check with
// the number and code from the result page.
func TestReportFlowWithoutScript(t *testing.T) {
	srv, _ := newPageServer(t, pageDefaults)
	c := newClient(t, srv.URL)
	_, page := c.get("/report?lang=ru")
	steps := []struct {
		path string
		form url.Values
	}{
		{"/report/category", url.Values{"category": {"fraud"}}},
		{"/report/when", url.Values{"when": {"date"}, "date": {"31.02.2026"}}},
	}
	for _, s := range steps {
		_, page = c.post(page, s.path, s.form)
	}
	if !strings.Contains(page, tr("ru", "err.incident.occurred_at.invalid")) || !strings.Contains(page, `id="err-date"`) {
		t.Fatal("bad date not reported next to the field")
	}
	resp, page := c.post(page, "/report/when", url.Values{"when": {"yesterday"}, "time": {"18:05"}})
	if resp.Request.URL.Path != "/report/where" {
		t.Fatalf("on %s", resp.Request.URL.Path)
	}
	_, page = c.post(page, "/report/where", url.Values{"place": {"Истаравшан, ул. Ленина"}, "landmark": {"рынок"}})
	_, page = c.post(page, "/report/what", url.Values{"description": {""}})
	if !strings.Contains(page, tr("ru", "err.incident.description.required")) {
		t.Fatal("empty description accepted")
	}
	_, page = c.post(page, "/report/what", url.Values{"description": {"Мне позвонили и обманом узнали код карты."}})
	_, page = c.post(page, "/report/who", url.Values{"who": {"named"}, "full_name": {"Ҷамшед Қодиров"}, "phone": {"12"}})
	if !strings.Contains(page, tr("ru", "err.reporter.phone.invalid")) || !strings.Contains(page, `id="err-phone"`) {
		t.Fatal("bad phone not reported next to the field")
	}
	_, page = c.post(page, "/report/who", url.Values{"who": {"named"}, "full_name": {"Ҷамшед Қодиров"}, "phone": {"+992 93 123 45 67"}})
	_, page = c.post(page, "/report/consent", url.Values{})
	if !strings.Contains(page, tr("ru", "err.consent.required")) {
		t.Fatal("missing consent accepted")
	}
	resp, page = c.post(page, "/report/consent", url.Values{"consent": {"yes"}})
	if resp.Request.URL.Path != "/report/review" || !strings.Contains(page, "Ҷамшед Қодиров") ||
		!strings.Contains(page, "Истаравшан, ул. Ленина (ориентир: рынок)") || !strings.Contains(page, "18:05") {
		t.Fatalf("review on %s lacks the entries", resp.Request.URL.Path)
	}
	resp, page = c.post(page, "/report/review", url.Values{})
	if resp.Request.URL.Path != "/done" {
		t.Fatalf("after send on %s", resp.Request.URL.Path)
	}
	num := regexp.MustCompile(`id="result-number">([^<]+)<`).FindStringSubmatch(page)
	code := regexp.MustCompile(`id="result-code">([^<]+)<`).FindStringSubmatch(page)
	if num == nil || code == nil || !strings.Contains(page, tr("ru", "receipt.none")) {
		t.Fatal("result screen lacks number, code or receipt status")
	}
	// Done wipes the session: Clear-Site-Data, and the result is gone.
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}}
	noRedirect := &http.Client{Jar: c.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := noRedirect.PostForm(srv.URL+"/exit", form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.Header.Get("Clear-Site-Data") != `"cache", "cookies", "storage"` || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("exit: %d %v", r.StatusCode, r.Header)
	}
	resp, page = c.get("/done")
	if resp.Request.URL.Path != "/" || strings.Contains(page, num[1]) {
		t.Fatal("result still shown after the wipe")
	}
	// Status check in English.
	_, page = c.get("/status?lang=en")
	resp, page = c.post(page, "/status", url.Values{"number": {num[1]}, "access_code": {"WRONG-CODE"}})
	if resp.Request.URL.Path != "/status" || !strings.Contains(page, tr("en", "err.not_found")) {
		t.Fatal("wrong code not explained")
	}
	_, page = c.post(page, "/status", url.Values{"number": {"ISF1-26-000001-0"}, "access_code": {code[1]}})
	_, page = c.post(page, "/status", url.Values{"number": {strings.ReplaceAll(num[1], "-", "")}, "access_code": {strings.ToLower(code[1])}})
	if !strings.Contains(page, `id="timeline"`) || !strings.Contains(page, tr("en", "st.received")) {
		t.Fatalf("status result lacks the timeline")
	}
	// Extracts: the preview shows the record; this kiosk has no extract
	// printer, so Print says so plainly and the preview stays.
	_, page = c.get("/extract")
	resp, page = c.post(page, "/extract", url.Values{"number": {num[1]}, "access_code": {code[1]}})
	if resp.Request.URL.Path != "/extract/preview" || !strings.Contains(page, num[1]) || !strings.Contains(page, `id="timeline"`) {
		t.Fatalf("extract preview on %s", resp.Request.URL.Path)
	}
	resp, page = c.post(page, "/extract/print", url.Values{})
	if resp.Request.URL.Path != "/extract/preview" || !strings.Contains(page, tr("en", "err.extracts_unavailable")) {
		t.Fatal("extract error not explained")
	}
	if !slices.Contains(kiosk.Languages, "en") {
		t.Fatal("unreachable")
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// The result screen shows a picture of the receipt and prints a copy on
// request, marked as a reprint.
func TestResultPictureAndPrintAgain(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, _ := kiosk.NewService(st, kiosk.NewTrustedClock(kiosk.SystemClock{}, time.Time{}, nil), kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	printer := kiosktest.NewPrinter(kiosk.PrinterOK)
	q := kiosk.NewPrintQueue(st, printer, nil)
	svc.UsePrintQueue(q)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go q.Run(ctx)
	var pictured string
	srv := httptest.NewServer(NewRouter(Deps{Service: svc,
		Receipt: func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus {
			return q.Wait(ctx, c.ReceiptJob, 10*time.Second)
		},
		ReceiptPicture: func(r *kiosk.Report, code string) ([]byte, error) {
			pictured = r.Number.String() + " " + code
			return []byte("\x89PNG\r\n\x1a\nfake"), nil
		}}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	_, page := c.get("/report?lang=tg")
	for _, s := range []struct {
		path string
		form url.Values
	}{
		{"/report/category", url.Values{"category": {"theft"}}},
		{"/report/when", url.Values{"when": {"yesterday"}, "time": {"18:05"}}},
		{"/report/where", url.Values{"place": {"Истаравшан"}}},
		{"/report/what", url.Values{"description": {"Велосипедамро дуздиданд"}}},
		{"/report/who", url.Values{"who": {"anon"}}},
		{"/report/consent", url.Values{"consent": {"yes"}}},
		{"/report/review", url.Values{}},
	} {
		_, page = c.post(page, s.path, s.form)
	}
	num := regexp.MustCompile(`id="result-number">([^<]+)<`).FindStringSubmatch(page)
	code := regexp.MustCompile(`id="result-code">([^<]+)<`).FindStringSubmatch(page)
	if num == nil || code == nil || !strings.Contains(page, tr("tg", "receipt.printed")) || !strings.Contains(page, `id="print-again"`) {
		t.Fatalf("result screen:\n%s", page)
	}
	resp, body := c.get("/done/receipt.png")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") ||
		resp.Header.Get("Cache-Control") != "no-store" || pictured != num[1]+" "+strings.ReplaceAll(code[1], "-", "") {
		t.Fatalf("picture: %d %v %q", resp.StatusCode, resp.Header, pictured)
	}
	_, page = c.post(page, "/done/print", url.Values{})
	outs := printer.Printouts()
	if len(outs) != 2 || !outs[1].Reprint || outs[1].Number != num[1] || outs[1].AccessCode != strings.ReplaceAll(code[1], "-", "") {
		t.Fatalf("printouts %+v", outs)
	}
	if !strings.Contains(page, tr("tg", "receipt.printed")) {
		t.Fatal("result screen does not say the copy printed")
	}
	// After Done the picture is gone with the session.
	c.post(page, "/exit", url.Values{})
	if resp, _ := c.get("/done/receipt.png"); resp.StatusCode != 404 {
		t.Fatalf("picture after the wipe: %d", resp.StatusCode)
	}
}

// With the district's settlements configured, the "where" step offers them;
// the chosen one leads the place, and a forged one is refused.
func TestSettlementPicker(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, _ := kiosk.NewService(st, kiosk.NewTrustedClock(kiosk.SystemClock{}, time.Time{}, nil), kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	srv := httptest.NewServer(NewRouter(Deps{Service: svc, Site: Site{Places: []string{"Истаравшан", "Нофароҷ"}}}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	_, page := c.get("/report?lang=tg")
	_, page = c.post(page, "/report/category", url.Values{"category": {"theft"}})
	_, page = c.post(page, "/report/when", url.Values{"when": {"yesterday"}, "time": {"18:05"}})
	if !strings.Contains(page, `value="Нофароҷ"`) || !strings.Contains(page, tr("tg", "where.settlement")) {
		t.Fatalf("where step lacks the settlements:\n%s", page)
	}
	resp, page := c.post(page, "/report/where", url.Values{"settlement": {"Хоруғ"}, "place": {"кӯчаи Ленин 5"}})
	if resp.Request.URL.Path != "/report/where" || !strings.Contains(page, tr("tg", "err.settlement.invalid")) {
		t.Fatalf("forged settlement accepted: on %s", resp.Request.URL.Path)
	}
	_, page = c.post(page, "/report/where", url.Values{"settlement": {"Нофароҷ"}, "place": {"кӯчаи Ленин 5"}})
	_, page = c.post(page, "/report/what", url.Values{"description": {"Велосипедамро дуздиданд"}})
	_, page = c.post(page, "/report/who", url.Values{"who": {"anon"}})
	_, page = c.post(page, "/report/consent", url.Values{"consent": {"yes"}})
	if !strings.Contains(page, "Нофароҷ, кӯчаи Ленин 5") {
		t.Fatalf("review lacks the settlement and street:\n%s", page)
	}
}

type fakeExtractPrinter struct{ printed []string }

func (f *fakeExtractPrinter) PrintExtract(ctx context.Context, x *kiosk.Extract) (string, string, error) {
	f.printed = append(f.printed, x.Number)
	return "receipt", "job-1", nil
}

// An extract is previewed (no document issued yet), then printed on request.
func TestExtractPreviewThenPrint(t *testing.T) {
	srv, svc := newPageServer(t, pageDefaults)
	fr, fp := &fakeRenderer{}, &fakeExtractPrinter{}
	svc.UseExtracts(fr)
	svc.UseExtractPrinter(fp)
	created, err := svc.Create(context.Background(), kiosk.NewReport{Category: "fraud", Anonymous: true,
		Incident: kiosk.Incident{Description: "Қаллобӣ бо телефон"}})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv.URL)
	_, page := c.get("/extract?lang=tg")
	resp, page := c.post(page, "/extract", url.Values{"number": {created.Report.Number.String()}, "access_code": {created.AccessCode}})
	if resp.Request.URL.Path != "/extract/preview" || !strings.Contains(page, tr("tg", "cat.fraud")) ||
		!strings.Contains(page, tr("tg", "extract.preview.where.receipt")) || fr.calls != 0 {
		t.Fatalf("preview on %s, renderer called %d times", resp.Request.URL.Path, fr.calls)
	}
	resp, page = c.post(page, "/extract/print", url.Values{})
	if resp.Request.URL.Path != "/extract/done" || len(fp.printed) != 1 || fp.printed[0] != created.Report.Number.String() ||
		!strings.Contains(page, tr("tg", "extract.printed.receipt")) {
		t.Fatalf("after print on %s, printed %v", resp.Request.URL.Path, fp.printed)
	}
	if resp, _ := c.get("/extract/preview"); resp.Request.URL.Path != "/extract" {
		t.Fatal("the preview outlives the print")
	}
}
