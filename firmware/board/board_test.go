package board

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cpckiosk/firmware/update"
	"cpckiosk/kiosk/daemon"
	"cpckiosk/kiosk/relay"
)

// needTool returns the path of an external program. When it is missing the
// test fails under CI (CI=true), where .ci/run installs it, and is skipped
// elsewhere.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI (apt-get install -y %s): %v", name, pkg, err)
		}
		t.Skipf("%s not installed (apt-get install %s): %v", name, pkg, err)
	}
	return p
}

// file returns one of the embedded board files.
func file(t testing.TB, name string) []byte {
	t.Helper()
	b, err := Files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entry is one Key=Value line of a systemd-style INI file.
type entry struct {
	Section, Key, Value string
	Line                int
}

// parseINI reads a unit or a journald.conf drop-in: [Section] headers,
// Key=Value lines, # and ; comments, backslash continuations.
func parseINI(t testing.TB, name string, b []byte) []entry {
	t.Helper()
	var out []entry
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	n, cont := 0, ""
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cont != "" {
			line, cont = cont+" "+line, ""
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont = strings.TrimSuffix(line, `\`)
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				t.Fatalf("%s:%d: bad section header %q", name, n, line)
			}
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: not Key=Value inside a section: %q", name, n, line)
		}
		out = append(out, entry{section, strings.TrimSpace(k), strings.TrimSpace(v), n})
	}
	return out
}

// values returns every value of section.key in order.
func values(es []entry, section, key string) []string {
	var vs []string
	for _, e := range es {
		if e.Section == section && e.Key == key {
			vs = append(vs, e.Value)
		}
	}
	return vs
}

// TestFilesInstalled: every embedded file is installed by install.sh (or is
// install.sh), every file of the directory is embedded, and the scripts are
// executable in the tree.
func TestFilesInstalled(t *testing.T) {
	script := string(file(t, "install.sh"))
	err := fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "install.sh" {
			return err
		}
		if !strings.Contains(script, `"$here/`+p+`"`) {
			t.Errorf("install.sh does not install %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		if _, err := fs.Stat(Files, filepath.ToSlash(p)); err != nil {
			t.Errorf("%s is not embedded in Files (board.go's go:embed line)", p)
		}
		if strings.HasSuffix(p, ".sh") {
			if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
				t.Errorf("%s is not executable in the source tree (chmod 0755)", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAgreement: the names and places the files share agree with each
// other and with the code that relies on them.
func TestAgreement(t *testing.T) {
	if d := daemon.Defaults(); "http://"+d.Listen+"/" != URL {
		t.Errorf("kioskd listens on %s by default, the board shows %s", d.Listen, URL)
	}
	if update.DefaultRoot != SlotRoot {
		t.Errorf("the updater's root is %s, the board's %s", update.DefaultRoot, SlotRoot)
	}
	if d := daemon.Defaults(); d.UpdateRoot != SlotRoot || d.UpdateTrust != update.DefaultTrustFile {
		t.Errorf("kioskd reads the slots in %s and trusts %s; the board has %s and %s", d.UpdateRoot, d.UpdateTrust, SlotRoot, update.DefaultTrustFile)
	}
	if ReadyFile != DataDir+"/"+relay.UpdatesDir+"/"+relay.ReadyFile {
		t.Errorf("the board watches %s, kioskd writes DATA/%s/%s", ReadyFile, relay.UpdatesDir, relay.ReadyFile)
	}
	if !strings.HasPrefix(update.DefaultHealthURL, strings.TrimSuffix(URL, "/")) {
		t.Errorf("the updater checks %s, the board serves %s", update.DefaultHealthURL, URL)
	}
	if r := strings.Join(update.DefaultRestart, " "); r != "systemctl restart "+strings.TrimSuffix(KioskdAlias, ".service") {
		t.Errorf("the updater restarts with %q; the unit's alias is %s", r, KioskdAlias)
	}
	for _, c := range []struct{ file, want string }{
		{"systemd/" + KioskdUnit, "Alias=" + KioskdAlias},
		{"systemd/" + KioskdUnit, "ExecStart=" + SlotRoot + "/current/kioskd -data " + DataDir + "\n"},
		{"systemd/" + KioskdUnit, "User=" + ServiceUser + "\n"},
		{"systemd/" + KioskdUnit, LibDir + "/recover.sh"},
		{"systemd/" + BrowserUnit, "User=" + DisplayUser + "\n"},
		{"systemd/" + BrowserUnit, LibDir + "/kiosk-browser.sh"},
		{"systemd/" + BrowserUnit, "=" + KioskdUnit + "\n"},
		{"kiosk-browser.sh", "${CPC_KIOSK_URL:-" + URL + "}"},
		{"recover.sh", "${CPC_KIOSK_ROOT:-" + SlotRoot + "}"},
		{"apply-update.sh", "${CPC_KIOSK_ROOT:-" + SlotRoot + "}"},
		{"apply-update.sh", "${CPC_KIOSK_DATA:-" + DataDir + "}"},
		{"apply-update.sh", "${CPC_KIOSK_TRUST:-" + update.DefaultTrustFile + "}"},
		{"apply-update.sh", "updates=$data/" + relay.UpdatesDir + "\n"},
		{"apply-update.sh", " " + relay.ReadyFile + "\n"},
		{"apply-update.sh", `"$root/` + relay.ApplyResultFile + `"`},
		{"systemd/" + UpdatePath, "PathExists=" + DataDir + "/" + relay.UpdatesDir + "/" + relay.ReadyFile + "\n"},
		{"systemd/" + UpdateService, "ExecStart=" + LibDir + "/apply-update.sh\n"},
		{"install.sh", UpdatePath + "; do"},
		{"install.sh", "slots=$root" + SlotRoot + "\n"},
		{"install.sh", "data=$root" + DataDir + "\n"},
		{"install.sh", "libexec=$root" + LibDir + "\n"},
		{"install.sh", "link /etc/systemd/system/" + KioskdUnit + " \"$units/" + KioskdAlias + "\""},
		{"udev/60-cpc-printer.rules", `SYMLINK+="` + strings.TrimPrefix(PrinterDevice, "/dev/") + `"`},
		{"kioskd.json.example", `"printer": "` + PrinterDevice + `"`},
	} {
		if !strings.Contains(string(file(t, c.file)), c.want) {
			t.Errorf("%s does not contain %q", c.file, c.want)
		}
	}
}

// TestConfigExample: kioskd accepts the example configuration as it is, and
// it names the board's data directory, address and printer.
func TestConfigExample(t *testing.T) {
	cfg, err := daemon.ParseArgs([]string{"-config", "kioskd.json.example"}, new(bytes.Buffer))
	if err != nil {
		t.Fatalf("kioskd refuses kioskd.json.example: %v", err)
	}
	if cfg.Data != DataDir || "http://"+cfg.Listen+"/" != URL || cfg.Printer != PrinterDevice {
		t.Errorf("example: data %s, listen %s, printer %s; want %s, %s, %s", cfg.Data, cfg.Listen, cfg.Printer, DataDir, URL, PrinterDevice)
	}
}
