package board

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stageUnits copies the units into a temporary directory with the paths of
// their programs rewritten to stub executables there, since systemd-analyze
// verify checks that every Exec*= program exists. edit, if not nil, changes
// a unit's text after the rewriting. It returns the units' paths.
func stageUnits(t *testing.T, edit func(name, text string) string) []string {
	t.Helper()
	dir := t.TempDir()
	stubs := map[string]string{
		SlotRoot + "/current/kioskd":   "opt/current/kioskd",
		LibDir + "/recover.sh":         "lib/recover.sh",
		LibDir + "/kiosk-browser.sh":   "lib/kiosk-browser.sh",
		LibDir + "/apply-update.sh":    "lib/apply-update.sh",
		"/usr/bin/cage":                "bin/cage",
		SlotRoot + "/current/kioskctl": "opt/current/kioskctl",
	}
	var paths []string
	for _, name := range []string{KioskdUnit, BrowserUnit, UpdateService, UpdatePath} {
		text := string(file(t, "systemd/"+name))
		for abs, rel := range stubs {
			text = strings.ReplaceAll(text, abs, filepath.Join(dir, rel))
		}
		if edit != nil {
			text = edit(name, text)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, rel := range stubs {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// verifyUnits runs systemd-analyze verify. Unknown sections and directives
// are only warnings there (exit 0), so any output counts as a failure too.
func verifyUnits(t *testing.T, paths ...string) error {
	t.Helper()
	sa := needTool(t, "systemd-analyze", "systemd")
	cmd := exec.Command(sa, append([]string{"verify", "--man=no"}, paths...)...)
	cmd.Dir = filepath.Dir(paths[0])
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		return fmt.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	return nil
}

// TestUnitsVerify: systemd 252's own checker accepts every unit, with no
// warning.
func TestUnitsVerify(t *testing.T) {
	if err := verifyUnits(t, stageUnits(t, nil)...); err != nil {
		t.Fatal(err)
	}
}

// TestUnitsVerifyCanFail: the check above really fails on broken units.
func TestUnitsVerifyCanFail(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(text string) string
	}{
		{"unknown directive", func(s string) string {
			return strings.Replace(s, "[Service]\n", "[Service]\nRestartForever=yes\n", 1)
		}},
		{"unknown section", func(s string) string { return s + "\n[Servce]\nUser=nobody\n" }},
		{"bad value", func(s string) string { return strings.Replace(s, "Restart=always", "Restart=sometimes", 1) }},
		{"missing program", func(s string) string {
			return strings.Replace(s, "ExecStart=/", "ExecStart=/nonexistent/", 1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			paths := stageUnits(t, func(name, text string) string {
				if name == KioskdUnit {
					return c.edit(text)
				}
				return text
			})
			if err := verifyUnits(t, paths...); err == nil {
				t.Fatal("systemd-analyze verify accepted a broken unit")
			}
		})
	}
}

// TestKioskdExposure: systemd-analyze security rates kioskd's sandbox at
// most 2.5 ("OK"; an unhardened service is 9.6), and the rating can fail.
func TestKioskdExposure(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	security := func(path string) ([]byte, error) {
		cmd := exec.Command(sa, "security", "--offline=yes", "--threshold=25", "--no-pager", path)
		cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_COLORS=0", "LC_ALL=C")
		return cmd.CombinedOutput()
	}
	paths := stageUnits(t, nil)
	if out, err := security(paths[0]); err != nil {
		t.Fatalf("kioskd's exposure is over 2.5: %v\n%s", err, out)
	}
	bare := filepath.Join(filepath.Dir(paths[0]), "bare.service")
	if err := os.WriteFile(bare, []byte("[Service]\nExecStart="+filepath.Join(filepath.Dir(paths[0]), "opt/current/kioskd")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := security(bare); err == nil {
		t.Fatal("systemd-analyze security passed an unhardened unit")
	}
}

// TestKioskdUnit: the directives the issue asks for, read from the unit.
func TestKioskdUnit(t *testing.T) {
	es := parseINI(t, KioskdUnit, file(t, "systemd/"+KioskdUnit))
	for _, c := range []struct {
		section, key, want string
	}{
		{"Unit", "StartLimitIntervalSec", "0"},
		{"Service", "Type", "notify"},
		{"Service", "NotifyAccess", "main"},
		{"Service", "WatchdogSec", "30"},
		{"Service", "Restart", "always"},
		{"Service", "RestartSec", "2"},
		{"Service", "TimeoutStopSec", "10"},
		{"Service", "ExecStartPre", "+" + LibDir + "/recover.sh"},
		{"Service", "ExecStart", SlotRoot + "/current/kioskd -data " + DataDir},
		{"Service", "User", ServiceUser},
		{"Service", "Group", ServiceUser},
		{"Service", "SupplementaryGroups", "dialout"},
		{"Service", "StateDirectory", strings.TrimPrefix(DataDir, "/var/lib/")},
		{"Service", "StateDirectoryMode", "0700"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectKernelTunables", "yes"},
		{"Service", "ProtectKernelModules", "yes"},
		{"Service", "ProtectKernelLogs", "yes"},
		{"Service", "ProtectControlGroups", "yes"},
		{"Service", "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "MemoryMax", "512M"},
		{"Service", "UMask", "0077"},
		{"Install", "WantedBy", "multi-user.target"},
		{"Install", "Alias", KioskdAlias},
	} {
		t.Run(c.section+"/"+c.key, func(t *testing.T) {
			vs := values(es, c.section, c.key)
			if len(vs) != 1 || vs[0] != c.want {
				t.Errorf("[%s] %s = %q, want exactly %q", c.section, c.key, vs, c.want)
			}
		})
	}
	// Writable: the data directory only. ReadWritePaths= and friends would
	// open more; ProtectClock= would forbid the adjtimex(2) by which kioskd
	// learns that the clock is synchronised; PrivateDevices= would hide the
	// printer's serial port.
	for _, key := range []string{"ReadWritePaths", "BindPaths", "RuntimeDirectory", "LogsDirectory", "CacheDirectory",
		"ConfigurationDirectory", "ProtectClock", "PrivateDevices", "DevicePolicy"} {
		if vs := values(es, "Service", key); len(vs) > 0 {
			t.Errorf("[Service] %s = %q: see the comments in the unit", key, vs)
		}
	}
	// The system call filter: an allow list, and adjtimex is allowed after
	// ~@privileged took @clock away.
	filters := values(es, "Service", "SystemCallFilter")
	last := -1
	for i, f := range filters {
		if strings.HasPrefix(f, "~") && (strings.Contains(f, "@privileged") || strings.Contains(f, "@clock")) {
			last = -1
		}
		if !strings.HasPrefix(f, "~") && strings.Contains(" "+f+" ", " adjtimex ") {
			last = i
		}
	}
	if len(filters) == 0 || strings.HasPrefix(filters[0], "~") || last < 0 {
		t.Errorf("SystemCallFilter %q: want an allow list that ends up allowing adjtimex", filters)
	}
}

// TestBrowserUnit: the standard cage-on-a-VT pattern, after kioskd,
// restarted forever.
func TestBrowserUnit(t *testing.T) {
	es := parseINI(t, BrowserUnit, file(t, "systemd/"+BrowserUnit))
	for _, c := range []struct {
		section, key, want string
	}{
		{"Unit", "Wants", KioskdUnit},
		{"Unit", "After", KioskdUnit},
		{"Unit", "Conflicts", "getty@tty1.service"},
		{"Unit", "StartLimitIntervalSec", "0"},
		{"Service", "User", DisplayUser},
		{"Service", "PAMName", "login"},
		{"Service", "TTYPath", "/dev/tty1"},
		{"Service", "StandardInput", "tty-fail"},
		{"Service", "Restart", "always"},
		{"Service", "ExecStart", "/usr/bin/cage -d -- " + LibDir + "/kiosk-browser.sh"},
		{"Service", "RuntimeDirectory", "cpc-kiosk-browser"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		t.Run(c.section+"/"+c.key, func(t *testing.T) {
			found := false
			for _, v := range values(es, c.section, c.key) {
				found = found || v == c.want || strings.Contains(" "+v+" ", " "+c.want+" ")
			}
			if !found {
				t.Errorf("[%s] %s = %q, want %q", c.section, c.key, values(es, c.section, c.key), c.want)
			}
		})
	}
}

// TestUpdateUnits: the path unit starts the update service when kioskd's
// ready file appears; the service is a oneshot as root with room for the
// updater's waits, sandboxed but for the slots and the data directory.
func TestUpdateUnits(t *testing.T) {
	path := parseINI(t, UpdatePath, file(t, "systemd/"+UpdatePath))
	svc := parseINI(t, UpdateService, file(t, "systemd/"+UpdateService))
	for _, c := range []struct {
		es                 []entry
		section, key, want string
	}{
		{path, "Path", "PathExists", ReadyFile},
		{path, "Path", "Unit", UpdateService},
		{path, "Install", "WantedBy", "multi-user.target"},
		{svc, "Unit", "After", KioskdUnit},
		{svc, "Service", "Type", "oneshot"},
		{svc, "Service", "ExecStart", LibDir + "/apply-update.sh"},
		{svc, "Service", "TimeoutStartSec", "45min"},
		{svc, "Service", "ProtectSystem", "strict"},
		{svc, "Service", "ReadWritePaths", SlotRoot + " " + DataDir},
		{svc, "Service", "NoNewPrivileges", "yes"},
	} {
		if vs := values(c.es, c.section, c.key); len(vs) != 1 || vs[0] != c.want {
			t.Errorf("[%s] %s = %q, want exactly %q", c.section, c.key, vs, c.want)
		}
	}
	// Root: no User=; started by the path unit only.
	for _, key := range []string{"User", "DynamicUser"} {
		if vs := values(svc, "Service", key); len(vs) > 0 {
			t.Errorf("[Service] %s = %q: the updater writes /opt as root", key, vs)
		}
	}
	if vs := values(svc, "Install", "WantedBy"); len(vs) > 0 {
		t.Errorf("the update service is enabled by itself (WantedBy %q): only the path unit starts it", vs)
	}
}

// TestUpdateServiceExposure: systemd-analyze security rates the update
// service, root as it is, at most 4.5 (it is 4.0, "OK"); without its sandbox it
// is rated worse.
func TestUpdateServiceExposure(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	paths := stageUnits(t, nil)
	security := func(path string) ([]byte, error) {
		cmd := exec.Command(sa, "security", "--offline=yes", "--threshold=45", "--no-pager", path)
		cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_COLORS=0", "LC_ALL=C")
		return cmd.CombinedOutput()
	}
	if out, err := security(paths[2]); err != nil {
		t.Fatalf("the update service's exposure is over 4.5: %v\n%s", err, out)
	}
	bare := filepath.Join(filepath.Dir(paths[2]), "bare-update.service")
	if err := os.WriteFile(bare, []byte("[Service]\nType=oneshot\nExecStart="+filepath.Join(filepath.Dir(paths[2]), "lib/apply-update.sh")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := security(bare); err == nil {
		t.Fatal("systemd-analyze security passed the update service without its sandbox")
	}
}
