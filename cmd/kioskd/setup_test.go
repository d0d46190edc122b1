package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk/daemon"
)

// startUntil runs kioskd with exactly args and waits for the log line msg
// (with the listening address).
func startUntil(t *testing.T, msg string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(kioskdBin, args...), exited: make(chan struct{})}
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.stderr.Write(line)
			p.stderr.WriteByte('\n')
			p.mu.Unlock()
			var m struct{ Msg, Addr string }
			if json.Unmarshal(line, &m) == nil && m.Msg == msg {
				addr <- m.Addr
			}
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-p.exited:
		t.Fatalf("kioskd %v exited before %q: %v\n%s", args, msg, p.err, p.Stderr())
	case <-time.After(20 * time.Second):
		t.Fatalf("kioskd %v: no %q in 20s\n%s", args, msg, p.Stderr())
	}
	return p
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// The first boot of a board: kioskd without centre or kiosk number but
// with a setup PIN serves the setup; the technician's form enrolls it with
// a real centrald; kioskd exits 0; started again with the same flags (as
// systemd does) or with -config on the written file, it is the kiosk, and
// enrolled.
func TestFirstBootSetup(t *testing.T) {
	c := startCentral(t)
	var tok struct{ Token string }
	if code, err := c.op("POST", "/api/v1/tokens", map[string]any{"cpc": "ISF", "kiosk": 1}, &tok); code != 200 || err != nil {
		t.Fatalf("token: %d %v", code, err)
	}
	dir := t.TempDir()
	const pin = "246810"
	if err := daemon.SetSetupPIN(dir, pin); err != nil {
		t.Fatal(err)
	}
	k := startUntil(t, "kioskd setup serving", "-data", dir, "-listen", "127.0.0.1:0")

	resp, err := client.Get(k.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "setup" {
		t.Fatalf("healthz in setup: %d %+v", resp.StatusCode, h)
	}

	// The technician, with plain forms.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	var csrf string
	do := func(method, path string, form url.Values) (string, string) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "GET" {
			resp, err = hc.Get(k.URL + path)
		} else {
			form.Set("csrf", csrf)
			resp, err = hc.PostForm(k.URL+path, form)
		}
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, k.Stderr())
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := csrfField.FindStringSubmatch(string(b)); m != nil {
			csrf = m[1]
		}
		return resp.Request.URL.Path, string(b)
	}
	do("GET", "/", nil)
	if p, _ := do("GET", "/setup", nil); p != "/" {
		t.Fatalf("the form opened without the PIN: on %s", p)
	}
	if p, _ := do("POST", "/pin", url.Values{"pin": {pin}}); p != "/setup" {
		t.Fatalf("after the PIN on %s\n%s", p, k.Stderr())
	}
	form := url.Values{"cpc": {"ISF"}, "kiosk": {"1"}, "central": {c.URL()}, "token": {tok.Token}, "printer": {"sim"},
		"baud": {"9600"}, "profile": {"generic-80"}, "centre_name": {"Маркази Истаравшан"}}
	if _, page := do("POST", "/setup/print", form); !strings.Contains(page, "print-ok") {
		t.Fatalf("test print failed:\n%s", page)
	}
	p, page := do("POST", "/setup/enrol", form)
	if p != "/setup/done" || !strings.Contains(page, `id="setup-done"`) || !strings.Contains(page, "ISF") {
		t.Fatalf("enrol: on %s\n%s\n%s", p, page, k.Stderr())
	}
	select {
	case <-k.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("kioskd did not exit after the setup\n%s", k.Stderr())
	}
	if code := k.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("kioskd exited %d after the setup, want 0\n%s", code, k.Stderr())
	}
	logs := k.Stderr()
	if strings.Contains(logs, pin) || strings.Contains(logs, tok.Token) || strings.Contains(logs, strings.ReplaceAll(tok.Token, "-", "")) {
		t.Fatalf("the log holds the PIN or the token:\n%s", logs)
	}
	configPath := filepath.Join(dir, daemon.SetupConfigFile)
	if _, err := os.Stat(configPath); err != nil {
		t.Fatalf("no config file: %v", err)
	}

	enrolled := func(k *proc) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := client.Get(k.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			var h struct {
				Status string
				Relay  struct{ Enrolled bool }
			}
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if h.Status != "setup" && h.Relay.Enrolled {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("healthz %+v: not an enrolled kiosk\n%s", h, k.Stderr())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// systemd starts it again with the same flags: the kiosk.
	k2 := startUntil(t, "kioskd serving", "-data", dir, "-listen", "127.0.0.1:0")
	enrolled(k2)
	if _, body := get(t, k2.URL+"/"); !strings.Contains(body, `data-page="home"`) || !strings.Contains(body, "Маркази Истаравшан") {
		t.Fatalf("not the citizen's home page with the centre's name:\n%s", body)
	}
	k2.kill()
	// And with -config on the written file alone.
	k3 := startUntil(t, "kioskd serving", "-config", configPath, "-listen", "127.0.0.1:0")
	enrolled(k3)
	code, body, err := post(k3.URL+"/api/v1/reports", reportBody("setup"))
	if err != nil || code != 201 || !strings.Contains(string(body), `"number":"ISF1-`) {
		t.Fatalf("report: %d %s %v", code, body, err)
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Without a PIN, a board without centre and kiosk number is a usage error,
// as before, and says how to get the setup screen.
func TestNoSetupWithoutPIN(t *testing.T) {
	code, out, _ := run(t, "-data", t.TempDir(), "-listen", "127.0.0.1:0")
	if code != 2 || !strings.Contains(out, "-cpc is required") || !strings.Contains(out, "setup-pin") {
		t.Fatalf("exit %d: %s", code, out)
	}
}
