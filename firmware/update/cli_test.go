package update_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"cpckiosk/firmware/update"
)

// run calls the verb as kioskctl does.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = update.Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "opt")
	keys, rel := filepath.Join(dir, "keys"), filepath.Join(dir, "release")
	mustRun := func(want int, args ...string) (string, string) {
		t.Helper()
		code, out, errs := run(t, args...)
		if code != want {
			t.Fatalf("kioskctl update %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
		}
		return out, errs
	}

	mustRun(0, "keygen", "-root", keys)
	if _, errs := mustRun(1, "keygen", "-root", keys); !strings.Contains(errs, "already exists") {
		t.Errorf("second root keygen: %s", errs)
	}
	for _, f := range []struct {
		name string
		perm os.FileMode
	}{{"root.key", 0o600}, {"root.pub", 0o644}} {
		if fi, err := os.Stat(filepath.Join(keys, f.name)); err != nil || fi.Mode().Perm() != f.perm {
			t.Errorf("%s: %v %v", f.name, fi, err)
		}
	}
	if out, _ := mustRun(0, "keygen", "-release", rel, "-root-key", filepath.Join(keys, "root.key"), "-valid", "30d", "-name", "test-2026"); !strings.Contains(out, "new release key") || !strings.Contains(out, `"test-2026"`) {
		t.Errorf("release keygen: %s", out)
	}
	key1, _ := os.ReadFile(filepath.Join(rel, "release.key"))
	if out, _ := mustRun(0, "keygen", "-release", rel, "-root-key", filepath.Join(keys, "root.key")); !strings.Contains(out, "kept the existing release key") {
		t.Errorf("renewal: %s", out)
	}
	if key2, _ := os.ReadFile(filepath.Join(rel, "release.key")); !bytes.Equal(key1, key2) {
		t.Error("renewing the certificate replaced the release key")
	}

	arch := update.DeviceArch()
	sign := func(version, out string, extra ...string) {
		t.Helper()
		src := filepath.Join(dir, "src-"+version)
		os.MkdirAll(src, 0o755)
		for name, b := range payload(version) {
			os.WriteFile(filepath.Join(src, filepath.Base(name)), b, 0o755)
		}
		args := append([]string{"sign", "-key", filepath.Join(rel, "release.key"), "-cert", filepath.Join(rel, "release.cert"),
			"-version", version, "-arch", arch, "-out", out}, extra...)
		args = append(args, filepath.Join(src, "kioskd"), filepath.Join(src, "kioskctl"), "share/fonts/font.ttf="+filepath.Join(src, "font.ttf"))
		if o, _ := mustRun(0, args...); !strings.Contains(o, "3 files") {
			t.Errorf("sign: %s", o)
		}
	}
	sign("1.0.0", filepath.Join(dir, "b100.tar"))
	sign("1.0.1", filepath.Join(dir, "b101.tgz"), "-min-version", "1.0")
	sign("1.0.2", filepath.Join(dir, "b102.tar"))
	if b, _ := os.ReadFile(filepath.Join(dir, "b101.tgz")); len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Error("a .tgz bundle is not gzipped")
	}

	// The fake kioskd reports the version current points to, or is stuck
	// on an old one.
	var stuck atomic.Value
	stuck.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := stuck.Load().(string)
		if v == "" {
			b, _ := os.ReadFile(filepath.Join(root, "current", "manifest.json"))
			var m update.Manifest
			json.Unmarshal(b, &m)
			v = m.Version
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": v})
	}))
	defer srv.Close()
	restartLog := filepath.Join(dir, "restarts.log")
	script := filepath.Join(dir, "restart.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho restarted >> "+restartLog+"\n"), 0o755)
	restarts := func() int {
		b, _ := os.ReadFile(restartLog)
		return strings.Count(string(b), "restarted")
	}
	trust := filepath.Join(keys, "root.pub")
	apply := func(want int, bundle string, extra ...string) (string, string) {
		t.Helper()
		args := append([]string{"apply", "-root", root, "-trust", trust, "-restart", "sh " + script, "-health", srv.URL + "/healthz",
			"-probation", "5s", "-poll", "20ms"}, extra...)
		return mustRun(want, append(args, bundle)...)
	}

	if out, _ := apply(0, filepath.Join(dir, "b100.tar")); !strings.Contains(out, "updated nothing -> 1.0.0 (slot a)") {
		t.Errorf("first apply: %s", out)
	}
	// With a data dir but no kioskd socket there: not busy.
	if out, _ := apply(0, filepath.Join(dir, "b101.tgz"), "-data", filepath.Join(dir, "data")); !strings.Contains(out, "updated 1.0.0 -> 1.0.1 (slot b)") {
		t.Errorf("second apply: %s", out)
	}
	if restarts() != 2 {
		t.Errorf("%d restarts", restarts())
	}
	out, _ := mustRun(0, "status", "-root", root)
	for _, want := range []string{"active slot:  b", "version:      1.0.1", "phase:        confirmed", "previous:     a (1.0.0)", "last failure: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out, _ = mustRun(0, "status", "-root", root, "-json")
	var js map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil || js["current"] != "b" || js["phase"] != "confirmed" {
		t.Errorf("status -json: %v %s", err, out)
	}

	// verify: alone, and against the installed version.
	if out, _ := mustRun(0, "verify", "-trust", trust, "-arch", arch, filepath.Join(dir, "b101.tgz")); !strings.Contains(out, "OK: version 1.0.1 (min 1.0)") {
		t.Errorf("verify: %s", out)
	}
	if _, errs := mustRun(1, "verify", "-trust", trust, "-arch", arch, "-root", root, filepath.Join(dir, "b101.tgz")); !strings.Contains(errs, "not newer than the installed 1.0.1") {
		t.Errorf("verify -root: %s", errs)
	}
	if _, errs := apply(1, filepath.Join(dir, "b100.tar")); !strings.Contains(errs, "1.0.0 is not newer than the installed 1.0.1") {
		t.Errorf("downgrade: %s", errs)
	}

	// A version that never reports healthy is rolled back.
	stuck.Store("1.0.1")
	_, errs := apply(1, filepath.Join(dir, "b102.tar"), "-probation", "200ms")
	if !strings.Contains(errs, "rolled back to 1.0.1") || !strings.Contains(errs, "it reported version 1.0.1") {
		t.Errorf("failed probation: %s", errs)
	}
	if restarts() != 4 {
		t.Errorf("%d restarts, want 4", restarts())
	}
	out, _ = mustRun(0, "status", "-root", root)
	for _, want := range []string{"active slot:  b", "version:      1.0.1", "phase:        rolled_back", "last failure: 1.0.2 at", "did not report healthy within 200ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if out, _ := mustRun(0, "recover", "-root", root); !strings.Contains(out, "bootable: slot b, version 1.0.1, phase rolled_back") {
		t.Errorf("recover: %s", out)
	}
	if out, _ := mustRun(0, "recover", "-root", filepath.Join(dir, "none")); !strings.Contains(out, "nothing installed") {
		t.Errorf("recover of nothing: %s", out)
	}
	if out, _ := mustRun(0, "status", "-root", filepath.Join(dir, "none")); !strings.Contains(out, "nothing installed") {
		t.Errorf("status of nothing: %s", out)
	}

	// Usage errors.
	for _, args := range [][]string{
		nil, {"bogus"}, {"keygen"}, {"keygen", "-root", keys, "-release", rel},
		{"keygen", "-release", rel}, {"keygen", "-release", rel, "-root-key", "k", "-valid", "soon"},
		{"sign", "-key", "k", "-cert", "c", "-out", "o", "f"}, {"apply"}, {"apply", "a", "b"}, {"status", "x"}, {"recover", "x"}, {"verify"},
	} {
		if code, _, _ := run(t, args...); code != 2 {
			t.Errorf("kioskctl update %q: exit %d, want 2", args, code)
		}
	}
	if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "kioskctl update apply") {
		t.Errorf("help: %d %s", code, out)
	}
}

// At boot recover runs before kioskd, also when the updater itself restarts
// kioskd during a probation: then it must change nothing and succeed.
func TestCLIRecoverDuringProbation(t *testing.T) {
	f := newFixture(t)
	f.install("1.0.0")
	u := f.updater()
	var out string
	var code int
	u.Restart = update.RestartFunc(func(ctx context.Context) error {
		code, out, _ = run(t, "recover", "-root", f.root)
		return f.kiosk.Restart(ctx)
	})
	if _, err := u.Apply(context.Background(), f.bundle("1.0.1")); err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(out, "an update to 1.0.1 is on probation") {
		t.Errorf("recover during the probation: exit %d: %s", code, out)
	}
	if _, v := bootable(t, f.root); v != "1.0.1" {
		t.Errorf("version %s", v)
	}
}
