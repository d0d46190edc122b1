package board

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cpckiosk/kiosk/relay"
)

// shellcheck runs shellcheck on files; any finding is an error.
func shellcheck(t *testing.T, files ...string) error {
	t.Helper()
	sc := needTool(t, "shellcheck", "shellcheck")
	out, err := exec.Command(sc, append([]string{"--norc", "--format=gcc"}, files...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		return fmt.Errorf("shellcheck: %v\n%s", err, out)
	}
	return nil
}

// TestShellcheck: every script of the board is shellcheck-clean.
func TestShellcheck(t *testing.T) {
	scripts, err := fs.Glob(Files, "*.sh")
	if err != nil || len(scripts) < 3 {
		t.Fatalf("scripts: %q %v", scripts, err)
	}
	if err := shellcheck(t, scripts...); err != nil {
		t.Fatal(err)
	}
}

// TestShellcheckCanFail: the check above fails on a script with the classic
// mistakes.
func TestShellcheckCanFail(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.sh")
	if err := os.WriteFile(bad, []byte("#!/bin/bash\ndir=$1\nrm -rf $dir/*\ncd /tmp\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := shellcheck(t, bad); err == nil {
		t.Fatal("shellcheck passed a script with an unquoted rm -rf $dir/*")
	}
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// healthz is a fake kioskd on a fixed port: closed (connections refused)
// until listen, then in one of the modes below.
type healthz struct {
	addr     string
	mode     atomic.Int32
	accepted atomic.Int32
	mu       sync.Mutex
	requests []string
	wg       sync.WaitGroup
}

const (
	silent = iota // accept, read the request, never answer
	rude          // accept and reset the connection at once
	answer        // answer 200 like kioskd
)

func (h *healthz) listen(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		t.Fatalf("reopen %s: %v", h.addr, err)
	}
	t.Cleanup(func() { ln.Close(); h.wg.Wait() })
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.accepted.Add(1)
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				defer c.Close()
				if h.mode.Load() == rude {
					c.(*net.TCPConn).SetLinger(0)
					return
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				r := bufio.NewReader(c)
				var head []string
				for {
					line, err := r.ReadString('\n')
					if err != nil || strings.TrimSpace(line) == "" {
						break
					}
					head = append(head, strings.TrimSpace(line))
				}
				if h.mode.Load() != answer {
					r.ReadByte() // hold the connection until the client gives up
					return
				}
				h.mu.Lock()
				h.requests = append(h.requests, strings.Join(head, " | "))
				h.mu.Unlock()
				fmt.Fprint(c, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}\n")
			}()
		}
	}()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process's stderr and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBrowserLauncher runs kiosk-browser.sh against a fake kioskd and a stub
// chromium: it keeps waiting while the port is closed and while a server
// accepts but does not answer, starts the browser only once GET /healthz is
// answered, wipes the last profile, and execs chromium --kiosk on the URL.
func TestBrowserLauncher(t *testing.T) {
	needTool(t, "bash", "bash")
	dir := t.TempDir()
	stubs := filepath.Join(dir, "bin")
	record := filepath.Join(dir, "chromium.args")
	// The stub records its arguments, $HOME and whether the old profile
	// survived, then exits like a browser closed.
	writeScript(t, filepath.Join(stubs, "chromium"), `
for a in "$@"; do printf '%s\n' "$a"; done >"`+record+`.tmp"
printf 'HOME=%s\n' "$HOME" >>"`+record+`.tmp"
if [ -e "$CPC_BROWSER_DIR/chromium/data/Default/History" ]; then echo STALE >>"`+record+`.tmp"; fi
mv "`+record+`.tmp" "`+record+`"
`)
	profile := filepath.Join(dir, "run")
	if err := os.MkdirAll(filepath.Join(profile, "chromium/data/Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "chromium/data/Default/History"), []byte("last citizen"), 0o600); err != nil {
		t.Fatal(err)
	}

	// A free port, closed for now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &healthz{addr: ln.Addr().String()}
	ln.Close()
	url := "http://" + h.addr + "/"

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "kiosk-browser.sh")
	cmd.Env = append(os.Environ(),
		"PATH="+stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CPC_KIOSK_URL="+url, "CPC_BROWSER_DIR="+profile,
		"CPC_BROWSER_POLL=0.05", "CPC_BROWSER_TIMEOUT=0.2", "CHROMIUM=")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	started := func() bool { _, err := os.Stat(record); return err == nil }

	// Closed port: it says it waits, and waits.
	waitFor(t, "the launcher to say it waits", 5*time.Second, func() bool {
		return strings.Contains(stderr.String(), "waiting for kioskd at http://"+h.addr+"/healthz")
	})
	// A server that accepts and never answers: it gives up on each
	// connection after CPC_BROWSER_TIMEOUT and tries again. One that hangs
	// up at once does not kill it either (EPIPE, ECONNRESET).
	h.listen(t)
	waitFor(t, "three unanswered probes", 5*time.Second, func() bool { return h.accepted.Load() >= 3 })
	h.mode.Store(rude)
	n := h.accepted.Load()
	waitFor(t, "three probes hung up on", 5*time.Second, func() bool { return h.accepted.Load() >= n+3 })
	if started() {
		t.Fatalf("chromium started before kioskd answered; stderr:\n%s", stderr.String())
	}
	select {
	case err := <-done:
		t.Fatalf("the launcher ended before kioskd answered: %v\n%s", err, stderr.String())
	default:
	}
	// kioskd answers: the browser starts and the launcher is gone (exec).
	h.mode.Store(answer)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("launcher: %v\n%s", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("the launcher did not start chromium once kioskd answered:\n%s", stderr.String())
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("chromium was not run: %v\n%s", err, stderr.String())
	}
	args := strings.Split(strings.TrimSpace(string(b)), "\n")
	h.mu.Lock()
	reqs := h.requests
	h.mu.Unlock()
	if want := "GET /healthz HTTP/1.0 | Host: " + h.addr + " | Connection: close"; len(reqs) != 1 || reqs[0] != want {
		t.Errorf("requests to kioskd: %q, want one %q", reqs, want)
	}
	has := func(a string) bool {
		for _, x := range args {
			if x == a {
				return true
			}
		}
		return false
	}
	for _, want := range []string{"--kiosk", "--noerrdialogs", "--disable-infobars", "--no-first-run", "--disable-pinch",
		"--overscroll-history-navigation=0", "--disable-features=TranslateUI,Translate", "--check-for-update-interval=31536000",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--password-store=basic",
		"--ozone-platform=wayland", "--user-data-dir=" + profile + "/chromium/data", "HOME=" + profile + "/chromium/home"} {
		if !has(want) {
			t.Errorf("chromium was not given %s; it got %q", want, args)
		}
	}
	if has("STALE") {
		t.Error("the last profile was not wiped before chromium started")
	}
	// The arguments end where the stub's HOME= line begins.
	for i, a := range args {
		if strings.HasPrefix(a, "HOME=") {
			if i == 0 || args[i-1] != url {
				t.Errorf("chromium's last argument is not the kiosk URL %s: %q", url, args[:i])
			}
			break
		}
	}
}

// TestBrowserLauncherRefusesOtherURLs: the probe speaks plain HTTP only.
func TestBrowserLauncherRefusesOtherURLs(t *testing.T) {
	needTool(t, "bash", "bash")
	cmd := exec.Command("bash", "kiosk-browser.sh")
	cmd.Env = append(os.Environ(), "CPC_KIOSK_URL=https://127.0.0.1:8443/", "CPC_BROWSER_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "http://") {
		t.Fatalf("https URL: %v, %s; want exit 2 and a message", err, out)
	}
}

// TestRecoverScript: recover.sh reaches a kioskctl even when current is
// dangling, falls through to the next slot when one fails, and always lets
// kioskd start.
func TestRecoverScript(t *testing.T) {
	needTool(t, "bash", "bash")
	for _, c := range []struct {
		name    string
		current string            // the link's target, "" for none
		slots   map[string]string // slot -> kioskctl stub's exit code
		want    string            // the slot whose kioskctl recovered, "" for none
	}{
		{"current works", "a", map[string]string{"a": "0", "b": "0"}, "a"},
		{"current dangling", "a", map[string]string{"b": "0"}, "b"},
		{"no current", "", map[string]string{"a": "0"}, "a"},
		{"current fails", "b", map[string]string{"a": "0", "b": "1"}, "a"},
		{"nothing works", "a", map[string]string{"a": "1", "b": "1"}, ""},
		{"nothing installed", "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			log := filepath.Join(root, "log")
			for slot, code := range c.slots {
				writeScript(t, filepath.Join(root, slot, "kioskctl"),
					fmt.Sprintf("echo \"%s $*\" >>%s\nexit %s\n", slot, log, code))
			}
			if c.current != "" {
				if err := os.Symlink(c.current, filepath.Join(root, "current")); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("bash", "recover.sh")
			cmd.Env = append(os.Environ(), "CPC_KIOSK_ROOT="+root)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("recover.sh exited with %v (kioskd would not start):\n%s", err, out)
			}
			b, _ := os.ReadFile(log)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if c.want == "" {
				if !strings.Contains(string(out), "starting kioskd anyway") {
					t.Errorf("output %q: want it to say kioskd starts anyway", out)
				}
				return
			}
			last := lines[len(lines)-1]
			if last != c.want+" update recover -root "+root {
				t.Errorf("calls %q: want the last one by slot %s with update recover -root %s", lines, c.want, root)
			}
		})
	}
}

// applyEnv is a slots root, a data dir with its updates dir, and a stub
// kioskctl that logs how it was called.
type applyEnv struct {
	root, data, updates, log string
}

func newApplyEnv(t *testing.T) *applyEnv {
	t.Helper()
	dir := t.TempDir()
	e := &applyEnv{root: filepath.Join(dir, "opt"), data: filepath.Join(dir, "data"), log: filepath.Join(dir, "kioskctl.log")}
	e.updates = filepath.Join(e.data, "updates")
	for _, d := range []string{e.root, e.updates} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeScript(t, filepath.Join(e.root, "current", "kioskctl"),
		fmt.Sprintf("echo \"$PWD|$*\" >>%s\necho \"some progress\"\necho \"$STUB_MSG\" >&2\nexit \"$STUB_CODE\"\n", e.log))
	return e
}

// run runs apply-update.sh with the stub answering msg and code.
func (e *applyEnv) run(t *testing.T, msg string, code int) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "apply-update.sh")
	cmd.Env = append(os.Environ(), "CPC_KIOSK_ROOT="+e.root, "CPC_KIOSK_DATA="+e.data, "CPC_KIOSK_TRUST=/keys/root.pub",
		"CPC_KIOSK_APPLY_FLAGS=-restart true -probation 5s", "STUB_MSG="+msg, fmt.Sprintf("STUB_CODE=%d", code))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *applyEnv) calls() []string {
	b, _ := os.ReadFile(e.log)
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (e *applyEnv) result() string {
	b, _ := os.ReadFile(filepath.Join(e.root, "apply-result"))
	return string(b)
}

func (e *applyEnv) put(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.updates, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func gone(p string) bool { _, err := os.Lstat(p); return err != nil }

// TestApplyUpdateScript: apply-update.sh hands the bundle named in ready to
// kioskctl update apply -refuse-failed from inside the updates directory,
// removes ready and the bundle whatever the result, and records the result
// in the slots' root.
func TestApplyUpdateScript(t *testing.T) {
	needTool(t, "bash", "bash")
	const name = "cpc-kiosk-1.1.0-arm64.bundle"
	for _, c := range []struct {
		name string
		msg  string
		code int
	}{
		{"installed", "updated 1.0.0 -> 1.1.0 (slot b): verify 3 ms, write 9 ms, switch 1 ms, healthy after 1.2s", 0},
		{"refused by the updater", "kioskctl update apply: update: waited 30m0s for the kiosk to be idle (a citizen is using the kiosk): kiosk busy", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newApplyEnv(t)
			e.put(t, relay.ReadyFile, name+"\n")
			e.put(t, name, "bundle bytes")
			e.put(t, "history.json", "[]")
			out, err := e.run(t, c.msg, c.code)
			if code := exitCode(err); code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, out)
			}
			want := fmt.Sprintf("%s|update apply -refuse-failed -root %s -trust /keys/root.pub -data %s -restart true -probation 5s %s", e.updates, e.root, e.data, name)
			if calls := e.calls(); len(calls) != 1 || calls[0] != want {
				t.Errorf("kioskctl calls %q\nwant %q", calls, want)
			}
			if !gone(filepath.Join(e.updates, relay.ReadyFile)) || !gone(filepath.Join(e.updates, name)) {
				t.Error("ready or the bundle left behind")
			}
			if gone(filepath.Join(e.updates, "history.json")) {
				t.Error("kioskd's other files were removed")
			}
			res := e.result()
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ` + regexp.QuoteMeta(fmt.Sprintf("%s exit %d: %s", name, c.code, c.msg)) + "\n$").MatchString(res) {
				t.Errorf("apply-result %q", res)
			}
			if !strings.Contains(out, "some progress") {
				t.Errorf("kioskctl's output is not passed on to the journal:\n%s", out)
			}
			if left, _ := filepath.Glob(filepath.Join(e.root, ".apply-result.tmp-*")); len(left) > 0 {
				t.Errorf("temporary files left: %q", left)
			}
		})
	}
}

// TestApplyUpdateScriptRefuses: what kioskd's user controls cannot make
// root touch anything outside the updates directory.
func TestApplyUpdateScriptRefuses(t *testing.T) {
	needTool(t, "bash", "bash")
	for _, bad := range []string{"../victim", "sub/victim", ".hidden", "x..y", "", "two words", "$(touch pwned)", "name\twith-tab", "-rf"} {
		t.Run(bad, func(t *testing.T) {
			e := newApplyEnv(t)
			victim := filepath.Join(e.data, "victim")
			os.WriteFile(victim, []byte("kioskd's database"), 0o600)
			os.Mkdir(filepath.Join(e.updates, "sub"), 0o700)
			os.WriteFile(filepath.Join(e.updates, "sub", "victim"), []byte("x"), 0o600)
			e.put(t, relay.ReadyFile, bad+"\n")
			out, err := e.run(t, "", 0)
			if exitCode(err) != 1 || len(e.calls()) != 0 {
				t.Fatalf("name %q: exit %v, kioskctl calls %q\n%s", bad, err, e.calls(), out)
			}
			if gone(victim) || gone(filepath.Join(e.updates, "sub", "victim")) {
				t.Error("a file outside the named bundle was removed")
			}
			if !gone(filepath.Join(e.updates, relay.ReadyFile)) {
				t.Error("ready left behind: the path unit would start the service again and again")
			}
			if !strings.Contains(e.result(), "exit refused: bundle name") {
				t.Errorf("apply-result %q", e.result())
			}
		})
	}

	t.Run("bundle is a symlink", func(t *testing.T) {
		e := newApplyEnv(t)
		victim := filepath.Join(e.data, "victim")
		os.WriteFile(victim, []byte("x"), 0o600)
		os.Symlink(victim, filepath.Join(e.updates, "cpc-kiosk-1-arm64.bundle"))
		e.put(t, relay.ReadyFile, "cpc-kiosk-1-arm64.bundle\n")
		if _, err := e.run(t, "", 0); exitCode(err) != 1 || len(e.calls()) != 0 || gone(victim) {
			t.Fatalf("exit %v, calls %q, victim gone %v", err, e.calls(), gone(victim))
		}
	})
	t.Run("updates dir is a symlink", func(t *testing.T) {
		e := newApplyEnv(t)
		elsewhere := filepath.Join(t.TempDir(), "etc")
		os.Mkdir(elsewhere, 0o700)
		os.WriteFile(filepath.Join(elsewhere, "shadow"), []byte("x"), 0o600)
		os.WriteFile(filepath.Join(elsewhere, relay.ReadyFile), []byte("shadow\n"), 0o600)
		os.RemoveAll(e.updates)
		os.Symlink(elsewhere, e.updates)
		if out, err := e.run(t, "", 0); err != nil || len(e.calls()) != 0 {
			t.Fatalf("exit %v, calls %q\n%s", err, e.calls(), out)
		}
		if gone(filepath.Join(elsewhere, "shadow")) || gone(filepath.Join(elsewhere, relay.ReadyFile)) {
			t.Error("files behind the symlink were removed")
		}
	})
	t.Run("nothing ready", func(t *testing.T) {
		e := newApplyEnv(t)
		if out, err := e.run(t, "", 0); err != nil || len(e.calls()) != 0 || e.result() != "" {
			t.Fatalf("exit %v, calls %q, result %q\n%s", err, e.calls(), e.result(), out)
		}
	})
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
