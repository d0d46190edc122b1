package board

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"cpckiosk/firmware/update"
)

// stubBins makes kioskd and kioskctl stand-ins in a new directory.
func stubBins(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"kioskd", "kioskctl"} {
		writeScript(t, filepath.Join(dir, f), "echo "+f+"\n")
	}
	return dir
}

// install runs install.sh --root root with args; it fails the test when the
// script fails, unless fail is set.
func install(t *testing.T, root string, fail bool, args ...string) (string, error) {
	t.Helper()
	needTool(t, "bash", "bash")
	cmd := exec.Command("bash", append([]string{"install.sh", "--root", root, "--no-apt", "--no-systemctl"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil && !fail {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	return string(out), err
}

// treeHash describes every entry under root: its path, type, mode,
// modification time, symlink target and content. Equal hashes mean nothing
// was written.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%s %v %d", rel, st.Mode(), st.ModTime().UnixNano())
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			line += " -> " + target
		case st.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestInstall installs into an empty root: every file where the units and
// the README say, with its mode; slot a holds the binaries with a manifest
// the updater verifies; a second run changes nothing at all.
func TestInstall(t *testing.T) {
	root := t.TempDir()
	out, _ := install(t, root, false, "--arch", "arm64", "--bin", stubBins(t), "--version", "1.0.0",
		"--config", "kioskd.json.example")
	for _, c := range []struct {
		path string
		mode fs.FileMode // with the type bits
		from string      // the board file it is a copy of; "" to skip
	}{
		{SlotRoot, fs.ModeDir | 0o755, ""},
		{SlotRoot + "/current", fs.ModeSymlink | 0o777, ""},
		{SlotRoot + "/a", fs.ModeDir | 0o755, ""},
		{SlotRoot + "/a/kioskd", 0o755, ""},
		{SlotRoot + "/a/kioskctl", 0o755, ""},
		{SlotRoot + "/a/manifest.json", 0o644, ""},
		{LibDir + "/kiosk-browser.sh", 0o755, "kiosk-browser.sh"},
		{LibDir + "/recover.sh", 0o755, "recover.sh"},
		{LibDir + "/apply-update.sh", 0o755, "apply-update.sh"},
		{"/etc/systemd/system/" + UpdateService, 0o644, "systemd/" + UpdateService},
		{"/etc/systemd/system/" + UpdatePath, 0o644, "systemd/" + UpdatePath},
		{"/etc/systemd/system/" + KioskdUnit, 0o644, "systemd/" + KioskdUnit},
		{"/etc/systemd/system/" + BrowserUnit, 0o644, "systemd/" + BrowserUnit},
		{"/etc/systemd/system/" + KioskdAlias, fs.ModeSymlink | 0o777, ""},
		{"/etc/chromium/policies/managed/cpc-kiosk.json", 0o644, "chromium/policies/managed/cpc-kiosk.json"},
		{"/etc/udev/rules.d/60-cpc-printer.rules", 0o644, "udev/60-cpc-printer.rules"},
		{"/etc/systemd/journald.conf.d/cpc-kiosk.conf", 0o644, "journald/cpc-kiosk.conf"},
		{"/usr/local/share/doc/cpc-kiosk/README.md", 0o644, "README.md"},
		{"/usr/local/share/doc/cpc-kiosk/kioskd.json.example", 0o644, "kioskd.json.example"},
		{DataDir, fs.ModeDir | 0o700, ""},
		{DataDir + "/kioskd.json", 0o600, "kioskd.json.example"},
	} {
		p := filepath.Join(root, c.path)
		st, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if st.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, st.Mode(), c.mode)
		}
		if c.from != "" {
			if b, _ := os.ReadFile(p); string(b) != string(file(t, c.from)) {
				t.Errorf("%s differs from %s", c.path, c.from)
			}
		}
	}
	for link, want := range map[string]string{SlotRoot + "/current": "a", "/etc/systemd/system/" + KioskdAlias: "/etc/systemd/system/" + KioskdUnit} {
		if got, _ := os.Readlink(filepath.Join(root, link)); got != want {
			t.Errorf("%s -> %q, want %q", link, got, want)
		}
	}
	m, err := update.VerifySlot(filepath.Join(root, SlotRoot, "a"))
	if err != nil {
		t.Fatalf("the updater does not accept slot a: %v", err)
	}
	if m.Version != "1.0.0" || m.Arch != "arm64" || len(m.Files) != 2 {
		t.Errorf("manifest: %+v", m)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(root, "*", "*", "*.tmp-install*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %q", leftovers)
	}
	if !strings.Contains(out, "changed:") {
		t.Errorf("first run output:\n%s", out)
	}

	before := treeHash(t, root)
	out, _ = install(t, root, false, "--arch", "arm64", "--bin", stubBins(t), "--version", "1.0.0",
		"--config", "kioskd.json.example")
	if after := treeHash(t, root); after != before {
		t.Errorf("the second run changed the tree:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !strings.Contains(out, "nothing to change") {
		t.Errorf("second run output:\n%s", out)
	}

	// The board boots: the updater's recovery finds slot a bootable and
	// changes nothing but its state file.
	u := &update.Updater{Root: filepath.Join(root, SlotRoot)}
	st, actions, err := u.Recover(context.Background())
	if err != nil || st.Active != "a" || st.Version != "1.0.0" {
		t.Fatalf("recover: %+v %q %v", st, actions, err)
	}
	for _, a := range actions {
		if strings.HasPrefix(a, "current -> ") || strings.Contains(a, "switched") {
			t.Errorf("recover switched slots: %q", actions)
		}
	}
}

// TestInstallRepairs: a board file changed by hand is put back, and only it.
func TestInstallRepairs(t *testing.T) {
	root := t.TempDir()
	install(t, root, false, "--arch", "arm64", "--bin", stubBins(t))
	policy := filepath.Join(root, "etc/chromium/policies/managed/cpc-kiosk.json")
	if err := os.WriteFile(policy, []byte(`{"URLBlocklist": []}`), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, DataDir), 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := install(t, root, false, "--arch", "arm64", "--bin", stubBins(t))
	if b, _ := os.ReadFile(policy); string(b) != string(file(t, "chromium/policies/managed/cpc-kiosk.json")) {
		t.Error("the edited policy was not put back")
	}
	if st, _ := os.Stat(policy); st.Mode().Perm() != 0o644 {
		t.Errorf("policy mode %v", st.Mode())
	}
	if st, _ := os.Stat(filepath.Join(root, DataDir)); st.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v", st.Mode())
	}
	if got := strings.Count(out, "\n  "); got != 2 {
		t.Errorf("want 2 changes listed (the policy, the data dir's mode):\n%s", out)
	}
}

// TestInstallKeeps: on a board that runs already, install.sh leaves the
// active release, the configuration and the trust file alone.
func TestInstallKeeps(t *testing.T) {
	root := t.TempDir()
	slots := filepath.Join(root, SlotRoot)
	writeScript(t, filepath.Join(slots, "b", "kioskd"), "echo running release\n")
	if err := os.Symlink("b", filepath.Join(slots, "current")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, DataDir, "kioskd.json")
	trust := filepath.Join(root, "etc/cpc-kiosk/update-root.pub")
	for _, p := range []string{cfg, trust} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("the board's own\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	newTrust := filepath.Join(t.TempDir(), "root.pub")
	os.WriteFile(newTrust, []byte("another key\n"), 0o644)

	out, _ := install(t, root, false, "--arch", "arm64", "--bin", stubBins(t), "--config", "kioskd.json.example", "--trust", newTrust)
	if got, _ := os.Readlink(filepath.Join(slots, "current")); got != "b" {
		t.Errorf("current -> %q, want b (the active release)", got)
	}
	if _, err := os.Lstat(filepath.Join(slots, "a")); err == nil {
		t.Error("install.sh wrote slot a next to an active release")
	}
	for _, p := range []string{cfg, trust} {
		if b, _ := os.ReadFile(p); string(b) != "the board's own\n" {
			t.Errorf("%s was overwritten", p)
		}
	}
	if !strings.Contains(out, "a release is installed (b)") || !strings.Contains(out, "kept the existing "+DataDir+"/kioskd.json") {
		t.Errorf("output does not say what it kept:\n%s", out)
	}

	// A dangling current link is the updater's to repair, not install.sh's.
	os.Remove(filepath.Join(slots, "current"))
	os.Symlink("a", filepath.Join(slots, "current"))
	install(t, root, false, "--arch", "arm64", "--bin", stubBins(t))
	if _, err := os.Lstat(filepath.Join(slots, "a")); err == nil {
		t.Error("install.sh wrote a slot behind a dangling current link")
	}
}

// TestInstallRefuses: wrong architecture, missing binaries, bad arguments.
func TestInstallRefuses(t *testing.T) {
	elf := t.TempDir()
	// An arm64 ELF header: magic, 64-bit, little-endian, ..., e_machine 183.
	hdr := make([]byte, 64)
	copy(hdr, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(hdr[18:], 183)
	for _, f := range []string{"kioskd", "kioskctl"} {
		if err := os.WriteFile(filepath.Join(elf, f), hdr, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"arm64 binaries on armv7", []string{"--arch", "armv7", "--bin", elf}, "is not a armv7 program"},
		{"no binaries", []string{"--arch", "arm64", "--bin", t.TempDir()}, "kioskd: not found"},
		{"bad arch", []string{"--arch", "mips"}, "want arm64, armv7 or amd64"},
		{"bad version", []string{"--arch", "arm64", "--version", "v1.2-rc1"}, "want 1 to 4 dot-separated numbers"},
		{"unknown flag", []string{"--force"}, "unknown argument --force"},
		{"missing config", []string{"--arch", "arm64", "--config", "/nonexistent.json"}, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			out, err := install(t, root, true, c.args...)
			if err == nil || !strings.Contains(out, c.want) {
				t.Fatalf("install.sh %q: %v\n%s\nwant a failure saying %q", c.args, err, out, c.want)
			}
			if _, err := os.Lstat(filepath.Join(root, SlotRoot, "current")); err == nil {
				t.Error("a refused install left a current link")
			}
		})
	}
	// The arm64 header is accepted for arm64.
	root := t.TempDir()
	install(t, root, false, "--arch", "arm64", "--bin", elf)
	b, _ := os.ReadFile(filepath.Join(root, SlotRoot, "a", "manifest.json"))
	var m struct{ Arch, Version string }
	if err := json.Unmarshal(b, &m); err != nil || m.Arch != "arm64" || m.Version != "0" {
		t.Errorf("manifest %s: %v", b, err)
	}
}
