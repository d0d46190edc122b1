package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"cpckiosk/kiosk/central"
	"cpckiosk/kiosk/relay"
	"cpckiosk/ui"
)

const testPIN = "246810"

func TestSetSetupPIN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // made on the way
	if _, err := CheckSetupPIN(dir, testPIN); !errors.Is(err, ErrNoSetupPIN) {
		t.Fatalf("no PIN yet: %v", err)
	}
	for _, bad := range []string{"", "12345", "1234567890123", "12345a", "١٢٣٤٥٦", " 123456"} {
		if err := SetSetupPIN(dir, bad); err == nil {
			t.Errorf("PIN %q accepted", bad)
		}
	}
	if err := SetSetupPIN(dir, testPIN); err != nil {
		t.Fatal(err)
	}
	for pin, want := range map[string]bool{testPIN: true, "246811": false, "": false, testPIN + "0": false} {
		if ok, err := CheckSetupPIN(dir, pin); err != nil || ok != want {
			t.Errorf("check %q: %v %v, want %v", pin, ok, err, want)
		}
	}
	f := filepath.Join(dir, SetupPINFile)
	st, err := os.Stat(f)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("PIN file: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(testPIN)) || !bytes.HasPrefix(b, []byte("argon2id$")) {
		t.Fatalf("the PIN file is not a hash: %q", b)
	}
	// A new PIN replaces the old one.
	if err := SetSetupPIN(dir, "97531086"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := CheckSetupPIN(dir, testPIN); ok {
		t.Fatal("the old PIN still works")
	}
	os.WriteFile(f, []byte("123456\n"), 0o600) // a PIN in clear is no PIN
	if ok, err := CheckSetupPIN(dir, "123456"); ok || !errors.Is(err, ErrNoSetupPIN) {
		t.Fatalf("a clear-text file: %v %v", ok, err)
	}
}

// fakeEnrolment makes dir look enrolled.
func fakeEnrolment(t testing.TB, dir string) {
	t.Helper()
	e := relay.Enrollment{Central: "http://central", CPC: "ISF", Kiosk: 1, CentralSignKey: make([]byte, 32), CentralBoxKey: make([]byte, 32)}
	b, _ := json.Marshal(e)
	if err := os.WriteFile(filepath.Join(dir, relay.EnrollmentFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestNeedsSetup(t *testing.T) {
	for _, tc := range []struct {
		name          string
		pin, enrolled bool
		cpc           string
		kiosk         int
		want          bool
	}{
		{"no PIN, nothing", false, false, "", 0, false},
		{"no PIN, not enrolled", false, false, "ISF", 1, false},
		{"PIN, no centre", true, false, "", 1, true},
		{"PIN, no kiosk", true, false, "ISF", 0, true},
		{"PIN, not enrolled", true, false, "ISF", 1, true},
		{"PIN, enrolled", true, true, "ISF", 1, false},
		{"PIN, enrolled, config lost", true, true, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.pin {
				if err := SetSetupPIN(dir, testPIN); err != nil {
					t.Fatal(err)
				}
			}
			if tc.enrolled {
				fakeEnrolment(t, dir)
			}
			cfg := Defaults()
			cfg.Data, cfg.CPC, cfg.Kiosk = dir, tc.cpc, tc.kiosk
			if got := NeedsSetup(cfg); got != tc.want {
				t.Fatalf("NeedsSetup = %v, want %v", got, tc.want)
			}
		})
	}
	// A damaged enrolment is not "not enrolled": the kiosk runs and its
	// /healthz says what is wrong.
	dir := t.TempDir()
	SetSetupPIN(dir, testPIN)
	os.WriteFile(filepath.Join(dir, relay.EnrollmentFile), []byte("{"), 0o600)
	if NeedsSetup(Config{Data: dir, CPC: "ISF", Kiosk: 1}) {
		t.Fatal("a damaged relay.json sends the kiosk into setup")
	}
}

func TestParseForSetup(t *testing.T) {
	withPIN := func(t *testing.T) string {
		dir := t.TempDir()
		if err := SetSetupPIN(dir, testPIN); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	enrolled := func(t *testing.T) string { dir := withPIN(t); fakeEnrolment(t, dir); return dir }
	plain := func(t *testing.T) string { return t.TempDir() }
	file := func(dir, body string) string {
		p := filepath.Join(dir, SetupConfigFile)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	for _, tc := range []struct {
		name  string
		dir   func(*testing.T) string
		args  func(dir string) []string
		setup bool
		check func(c Config, path, dir string) bool
		err   string
	}{
		{"fresh board with a PIN", withPIN, func(d string) []string { return []string{"-data", d} }, true,
			func(c Config, p, d string) bool {
				return c.CPC == "" && c.Kiosk == 0 && c.Data == d && p == filepath.Join(d, SetupConfigFile)
			}, ""},
		{"-data=DIR", withPIN, func(d string) []string { return []string{"--data=" + d, "-listen", "127.0.0.1:0"} }, true,
			func(c Config, p, d string) bool { return c.Data == d && c.Listen == "127.0.0.1:0" }, ""},
		{"fresh board without a PIN", plain, func(d string) []string { return []string{"-data", d} }, false, nil, "setup-pin"},
		{"no centre without a PIN", plain, func(d string) []string { return []string{"-data", d, "-kiosk", "1"} }, false, nil, "-cpc is required"},
		{"configured, not enrolled, no PIN: the kiosk as before", plain,
			func(d string) []string { return []string{"-data", d, "-cpc", "ISF", "-kiosk", "1"} }, false,
			func(c Config, p, d string) bool { return c.CPC == "ISF" && c.Kiosk == 1 }, ""},
		{"configured, not enrolled, PIN", withPIN,
			func(d string) []string { return []string{"-data", d, "-cpc", "ISF", "-kiosk", "1"} }, true,
			func(c Config, p, d string) bool { return c.CPC == "ISF" && c.Kiosk == 1 }, ""},
		{"configured and enrolled", enrolled,
			func(d string) []string { return []string{"-data", d, "-cpc", "ISF", "-kiosk", "1"} }, false,
			func(c Config, p, d string) bool { return c.CPC == "ISF" }, ""},
		{"a bad centre is not masked", withPIN, func(d string) []string { return []string{"-data", d, "-cpc", "isf"} }, false, nil, "three capital"},
		{"a bad kiosk is not masked", withPIN, func(d string) []string { return []string{"-data", d, "-kiosk", "12"} }, false, nil, "-kiosk 12"},
		{"other errors stay", withPIN, func(d string) []string { return []string{"-data", d, "-baud", "1234"} }, false, nil, "-baud"},
		{"stray argument", withPIN, func(d string) []string { return []string{"-data", d, "stray"} }, false, nil, "stray"},
		{"the setup's file is read without -config", enrolled, func(d string) []string {
			file(d, `{"cpc":"ISF","kiosk":1,"central":"http://10.0.0.5:8090","printer_profile":"tm-t20"}`)
			return []string{"-data", d}
		}, false, func(c Config, p, d string) bool {
			return c.CPC == "ISF" && c.Kiosk == 1 && c.Central == "http://10.0.0.5:8090" && c.PrinterProfile == "tm-t20"
		}, ""},
		{"flags override the setup's file", enrolled, func(d string) []string {
			file(d, `{"cpc":"ISF","kiosk":1,"printer":"sim"}`)
			return []string{"-data", d, "-printer", "none"}
		}, false, func(c Config, p, d string) bool { return c.Printer == "none" }, ""},
		{"a bad centre in the file is not masked", withPIN, func(d string) []string {
			file(d, `{"cpc":"isf"}`)
			return []string{"-data", d}
		}, false, nil, "three capital"},
		{"a damaged setup file is reported", withPIN, func(d string) []string {
			file(d, `{"cpc":"ISF","colour":"red"}`)
			return []string{"-data", d}
		}, false, nil, "colour"},
		{"-config not there yet: the setup writes it", withPIN, func(d string) []string {
			return []string{"-data", d, "-config", filepath.Join(d, "etc", "kioskd.json")}
		}, true, func(c Config, p, d string) bool { return p == filepath.Join(d, "etc", "kioskd.json") }, ""},
		{"-config not there and no setup", plain, func(d string) []string {
			return []string{"-data", d, "-config", filepath.Join(d, "nope.json"), "-cpc", "ISF", "-kiosk", "1"}
		}, false, nil, "nope.json"},
		{"-config with the centre, not enrolled", withPIN, func(d string) []string {
			p := filepath.Join(d, "k.json")
			os.WriteFile(p, []byte(`{"cpc":"KHJ","kiosk":2}`), 0o644)
			return []string{"-config", p, "-data", d}
		}, true, func(c Config, p, d string) bool {
			return c.CPC == "KHJ" && c.Kiosk == 2 && p == filepath.Join(d, "k.json")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			c, path, setup, err := ParseForSetup(tc.args(dir), io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil || setup != tc.setup || !tc.check(c, path, dir) {
				t.Fatalf("got %+v %q setup=%v, %v", c, path, setup, err)
			}
		})
	}
}

func TestWriteSetupConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kioskd.json")
	old := `{"cpc": "OLD", "kiosk": 9, "hotline": "+992 3454 2 22 22", "places": ["Истаравшан", "Нофароҷ"], "listen": "127.0.0.1:8080", "data": "/var/lib/cpc-kiosk"}`
	os.WriteFile(path, []byte(old), 0o644)
	before, _ := os.Stat(path)
	f := ui.SetupForm{CPC: "ISF", Kiosk: 1, Central: "https://central.example", Token: "SECRET-TOKEN-1234", Printer: "/dev/ttyUSB0",
		Baud: 19200, Profile: "tm-t20", A4Queue: "a4", CentreName: "Маркази <Истаравшан> & Co"}
	if err := writeSetupConfig(path, filepath.Join(dir, "data"), f); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("token")) {
		t.Fatalf("the token was written:\n%s", b)
	}
	if !bytes.Contains(b, []byte("<Истаравшан> & Co")) {
		t.Errorf("the file is not plain UTF-8 for a person to read:\n%s", b)
	}
	after, _ := os.Stat(path)
	if os.SameFile(before, after) {
		t.Error("the file was rewritten in place, not replaced by a rename")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	c, err := ParseArgs([]string{"-config", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.CPC != "ISF" || c.Kiosk != 1 || c.Central != "https://central.example" || c.Printer != "/dev/ttyUSB0" || c.Baud != 19200 ||
		c.PrinterProfile != "tm-t20" || c.A4Queue != "a4" || c.CentreName != "Маркази <Истаравшан> & Co" {
		t.Errorf("config from the form: %+v", c)
	}
	// The keys the form does not set stay, the data dir too.
	if c.Hotline != "+992 3454 2 22 22" || len(c.Places) != 2 || c.Listen != "127.0.0.1:8080" || c.Data != "/var/lib/cpc-kiosk" {
		t.Errorf("other keys lost: %+v", c)
	}

	// A new file records the (absolute) data dir: -config alone finds it.
	fresh := filepath.Join(dir, "etc", "new.json")
	if err := writeSetupConfig(fresh, "rel/data", f); err != nil {
		t.Fatal(err)
	}
	c, err = ParseArgs([]string{"-config", fresh}, io.Discard)
	if abs, _ := filepath.Abs("rel/data"); err != nil || c.Data != abs {
		t.Fatalf("data %q, %v", c.Data, err)
	}

	// A file that is not a JSON object is not overwritten.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("[1,2]"), 0o644)
	if err := writeSetupConfig(bad, dir, f); err == nil {
		t.Fatal("a non-object file was replaced")
	}
	if b, _ := os.ReadFile(bad); string(b) != "[1,2]" {
		t.Fatal("the bad file was changed")
	}
}

// setupClient drives the setup pages over HTTP with a cookie jar.
type setupClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *setupClient) do(method, path string, form url.Values) (string, string) {
	c.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = c.hc.Get(c.base + path)
	} else {
		form.Set("csrf", c.csrf)
		resp, err = c.hc.PostForm(c.base+path, form)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfRe.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.Request.URL.Path, string(b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// RunSetup against a real central in this process: test print on the
// simulator, enrolment refusals explained, then enrolment, the
// configuration written, and RunSetup returns.
func TestRunSetup(t *testing.T) {
	cs, err := central.Open(t.TempDir(), central.Options{OperatorToken: "op"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	hs := httptest.NewServer(cs.Handler())
	defer hs.Close()
	tokFor := func(cpc string, k int) string {
		tok, err := cs.NewToken(cpc, k)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	dir := t.TempDir()
	if err := SetSetupPIN(dir, testPIN); err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	cfg.Data, cfg.Listen = dir, "127.0.0.1:0"
	configPath := filepath.Join(dir, SetupConfigFile)
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	ended := make(chan error, 1)
	go func() { ended <- RunSetup(ctx, cfg, configPath, log, func(a net.Addr) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-ended:
		t.Fatalf("RunSetup: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("RunSetup did not serve")
	}
	jar, _ := cookiejar.New(nil)
	c := &setupClient{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h ui.SetupHealth
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "setup" || !h.PINSet {
		t.Fatalf("healthz %d %+v", resp.StatusCode, h)
	}
	c.do("GET", "/?lang=en", nil)
	if p, _ := c.do("POST", "/pin", url.Values{"pin": {testPIN}}); p != "/setup" {
		t.Fatalf("PIN: on %s", p)
	}
	form := func(token string) url.Values {
		return url.Values{"cpc": {"ISF"}, "kiosk": {"1"}, "central": {hs.URL}, "token": {token}, "printer": {"sim"},
			"baud": {"9600"}, "profile": {"generic-58"}, "centre_name": {"Маркази Истаравшан"}}
	}

	// The test page, on the simulator.
	_, page := c.do("POST", "/setup/print", form(""))
	if !strings.Contains(page, `class="print-result print-ok"`) {
		t.Fatalf("test print:\n%s", page)
	}
	if pngs, _ := filepath.Glob(filepath.Join(dir, "printer", "setup-test-*.png")); len(pngs) != 1 {
		t.Fatalf("simulator output %v", pngs)
	}

	for _, tc := range []struct {
		name, central, token, field, detail string
	}{
		{"unknown token", hs.URL, "0000-0000-0000-0000-0000-0000-00", "token", "bad_token"},
		{"central unreachable", "http://127.0.0.1:1", tokFor("ISF", 1), "central", "connection refused"},
		{"not a central", hs.URL + "/nothing-here", tokFor("ISF", 1), "central", "not verifiable"},
		{"token of another kiosk", hs.URL, tokFor("KHJ", 4), "token", "KHJ kiosk 4"},
	} {
		f := form(tc.token)
		f.Set("central", tc.central)
		p, page := c.do("POST", "/setup/enrol", f)
		if p != "/setup" || !strings.Contains(page, `id="err-`+tc.field+`"`) || !strings.Contains(page, tc.detail) {
			t.Fatalf("%s: on %s:\n%s", tc.name, p, page)
		}
		if strings.Contains(page, tc.token) {
			t.Errorf("%s: the token is still in the form", tc.name)
		}
		if _, err := relay.LoadEnrollment(dir); !errors.Is(err, relay.ErrNotEnrolled) {
			t.Fatalf("%s: enrolled after all: %v", tc.name, err)
		}
	}

	token := tokFor("ISF", 1)
	p, page := c.do("POST", "/setup/enrol", form(token))
	if p != "/setup/done" || !strings.Contains(page, "ISF") {
		t.Fatalf("enrol: on %s:\n%s", p, page)
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("RunSetup: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunSetup did not return after the enrolment")
	}
	e, err := relay.LoadEnrollment(dir)
	if err != nil || e.CPC != "ISF" || e.Kiosk != 1 {
		t.Fatalf("enrolment %+v %v", e, err)
	}
	got, err := ParseArgs([]string{"-config", configPath}, io.Discard)
	if err != nil || got.CPC != "ISF" || got.Kiosk != 1 || got.Central != hs.URL || got.PrinterProfile != "generic-58" || got.Data != dir {
		t.Fatalf("config %+v %v", got, err)
	}
	if NeedsSetup(got) {
		t.Fatal("still needs the setup")
	}
	for _, secret := range []string{testPIN, token, strings.ReplaceAll(token, "-", "")} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log holds a secret:\n%s", logs.String())
		}
	}
}

func TestScanFlags(t *testing.T) {
	args := []string{"-config", "a.json", "-data", "d", "--config=b.json", "-cpc=", "-listen", "x", "stray", "-kiosk", "1"}
	fl := scanFlags(args)
	if v, ok := flagValue(fl, "config"); !ok || v != "b.json" {
		t.Errorf("config %q %v: the last one counts", v, ok)
	}
	if v, ok := flagValue(fl, "cpc"); !ok || v != "" {
		t.Errorf("cpc %q %v", v, ok)
	}
	if _, ok := flagValue(fl, "kiosk"); ok {
		t.Error("a flag after a stray argument is not a flag")
	}
	got := strings.Join(withoutFlag(args, fl, "config"), " ")
	if got != "-data d -cpc= -listen x stray -kiosk 1" {
		t.Errorf("without -config: %s", got)
	}
	for _, stop := range [][]string{{"--", "-data", "d"}, {"-h", "-data", "d"}, {"-data"}} {
		if _, ok := flagValue(scanFlags(stop), "data"); ok {
			t.Errorf("%v: -data found", stop)
		}
	}
}

func TestRunSetupPIN(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		set   bool
	}{
		{"no data dir", nil, testPIN + "\n", 2, false},
		{"PIN in argv is refused", []string{"-data", dir, testPIN}, "", 2, false},
		{"empty stdin", []string{"-data", dir}, "", 2, false},
		{"too short", []string{"-data", dir}, "123\n", 1, false},
		{"letters", []string{"-data", dir}, "12345a\n", 1, false},
		{"set", []string{"-data", dir}, testPIN + "\r\n", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := RunSetupPIN(context.Background(), tc.args, strings.NewReader(tc.stdin), &out, &errb); code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errb.String())
			}
			ok, err := CheckSetupPIN(dir, testPIN)
			if tc.set != (err == nil && ok) {
				t.Fatalf("PIN set = %v (%v), want %v", ok, err, tc.set)
			}
		})
	}
}
