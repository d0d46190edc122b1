package board

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const policyFile = "chromium/policies/managed/cpc-kiosk.json"

// TestPolicy: Chromium's policy parses, has no key twice (the JSON decoder
// would silently keep the last), and locks the browser to the kiosk.
func TestPolicy(t *testing.T) {
	b := file(t, policyFile)
	dec := json.NewDecoder(bytes.NewReader(b))
	seen := map[string]bool{}
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		default:
			if k, ok := tok.(string); ok && depth == 1 && dec.More() {
				if seen[k] {
					t.Errorf("policy %s twice", k)
				}
				seen[k] = true
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatalf("policy %s: %v", k, err)
				}
			}
		}
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("%s: %v", policyFile, err)
	}
	origin := strings.TrimSuffix(URL, "/")
	for _, c := range []struct {
		key  string
		want any
	}{
		{"DeveloperToolsAvailability", 2.0}, // disallowed everywhere
		{"DownloadRestrictions", 3.0},       // every download blocked
		{"AllowFileSelectionDialogs", false},
		{"PrintingEnabled", false},
		{"URLBlocklist", []any{"*"}},
		// A filter's path is a prefix, so this is every page of kioskd. Not
		// "http://127.0.0.1:8080/*": '*' is a wildcard only as a whole host,
		// and Chromium 156 with that entry blocks the kiosk's own pages.
		{"URLAllowlist", []any{origin}},
		{"HomepageLocation", URL},
		{"RestoreOnStartupURLs", []any{URL}},
		{"PasswordManagerEnabled", false},
		{"AutofillAddressEnabled", false},
		{"AutofillCreditCardEnabled", false},
		{"TranslateEnabled", false},
		{"BrowserSignin", 0.0},
		{"SyncDisabled", true},
		{"DefaultNotificationsSetting", 2.0},
		{"DefaultGeolocationSetting", 2.0},
		{"IncognitoModeAvailability", 1.0},
		{"BrowserGuestModeEnabled", false},
		{"ExtensionInstallBlocklist", []any{"*"}},
		{"DefaultSerialGuardSetting", 2.0},
		{"DefaultWebUsbGuardSetting", 2.0},
	} {
		if got, ok := p[c.key]; !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.key, got, c.want)
		}
	}
}

// TestPolicyNamesAreChromiums: every key is a policy the installed Chromium
// knows (its binary holds the names of all its policies); a misspelt policy
// would be ignored without a word.
func TestPolicyNamesAreChromiums(t *testing.T) {
	var bin string
	for _, p := range []string{os.Getenv("CHROMIUM_BINARY"), "/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium's binary /usr/lib/chromium/chromium is required under CI (apt-get install chromium)")
		}
		t.Skip("Chromium's binary not found (apt-get install chromium, or set CHROMIUM_BINARY)")
	}
	var p map[string]any
	if err := json.Unmarshal(file(t, policyFile), &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for k := range p {
		want[k] = false
	}
	want["NoSuchPolicyCpcKiosk"] = false // the check can fail
	img, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// One pass over the binary: every run of letters and digits that
	// starts with a capital is a candidate name.
	word := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(img); {
		if !word(img[i]) {
			i++
			continue
		}
		j := i
		for j < len(img) && word(img[j]) {
			j++
		}
		if img[i] >= 'A' && img[i] <= 'Z' && j-i >= 6 {
			if _, ok := want[string(img[i:j])]; ok {
				want[string(img[i:j])] = true
			}
		}
		i = j
	}
	if want["NoSuchPolicyCpcKiosk"] {
		t.Fatal("the check found a name that is in no Chromium")
	}
	delete(want, "NoSuchPolicyCpcKiosk")
	for k, found := range want {
		if !found {
			t.Errorf("%s: %s is not a policy of %s", policyFile, k, bin)
		}
	}
}

// udevPair is one assignment or match of a udev rule: KEY{attr}OP"value".
var udevPair = regexp.MustCompile(`^([A-Z_]+)(\{[A-Za-z0-9_.-]+\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$`)

// TestUdevRule: the rule file parses as udev rules (systemd 252 has no
// `udevadm verify`), every generic rule names the printer /dev/cpc-printer
// for dialout with mode 0660 and matches a known USB-serial vendor, and the
// GOTOs have their label.
func TestUdevRule(t *testing.T) {
	b := string(file(t, "udev/60-cpc-printer.rules"))
	labels, gotos := map[string]bool{}, map[string]bool{}
	vendors := map[string]bool{}
	for n, line := range strings.Split(b, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		kv := map[string]string{}
		for _, part := range strings.Split(line, ", ") {
			m := udevPair.FindStringSubmatch(strings.TrimSpace(part))
			if m == nil {
				t.Fatalf("line %d: %q is not KEY{attr}OP\"value\"", n+1, part)
			}
			kv[m[1]+m[2]+m[3]] = m[4]
		}
		switch {
		case kv["LABEL="] != "":
			labels[kv["LABEL="]] = true
		case kv["GOTO="] != "":
			gotos[kv["GOTO="]] = true
		default:
			v, p := kv["ATTRS{idVendor}=="], kv["ATTRS{idProduct}=="]
			if !regexp.MustCompile(`^[0-9a-f]{4}$`).MatchString(v) || !regexp.MustCompile(`^[0-9a-f]{4}(\|[0-9a-f]{4})*$`).MatchString(p) {
				t.Errorf("line %d: vendor %q product %q: want lower-case hex ids", n+1, v, p)
			}
			vendors[v] = true
			if kv["SYMLINK+="] != strings.TrimPrefix(PrinterDevice, "/dev/") || kv["GROUP="] != "dialout" || kv["MODE="] != "0660" {
				t.Errorf("line %d: %v: want SYMLINK+=%q, GROUP=dialout, MODE=0660", n+1, kv, strings.TrimPrefix(PrinterDevice, "/dev/"))
			}
		}
	}
	for g := range gotos {
		if !labels[g] {
			t.Errorf("GOTO %q has no LABEL", g)
		}
	}
	for _, v := range []string{"0403", "067b", "1a86", "10c4"} { // FTDI, Prolific, WCH, Silicon Labs
		if !vendors[v] {
			t.Errorf("no rule for USB vendor %s", v)
		}
	}
	es := parseINI(t, KioskdUnit, file(t, "systemd/"+KioskdUnit))
	if g := values(es, "Service", "SupplementaryGroups"); len(g) != 1 || !strings.Contains(" "+g[0]+" ", " dialout ") {
		t.Errorf("kioskd's SupplementaryGroups %q lack the printer's group dialout", g)
	}
}

// journaldKeys are the [Journal] settings of journald.conf(5), systemd 252.
var journaldKeys = map[string]bool{
	"Storage": true, "Compress": true, "Seal": true, "SplitMode": true, "RateLimitIntervalSec": true,
	"RateLimitBurst": true, "SystemMaxUse": true, "SystemKeepFree": true, "SystemMaxFileSize": true,
	"SystemMaxFiles": true, "RuntimeMaxUse": true, "RuntimeKeepFree": true, "RuntimeMaxFileSize": true,
	"RuntimeMaxFiles": true, "MaxRetentionSec": true, "MaxFileSec": true, "SyncIntervalSec": true,
	"ForwardToSyslog": true, "ForwardToKMsg": true, "ForwardToConsole": true, "ForwardToWall": true,
	"TTYPath": true, "MaxLevelStore": true, "MaxLevelSyslog": true, "MaxLevelKMsg": true,
	"MaxLevelConsole": true, "MaxLevelWall": true, "ReadKMsg": true, "Audit": true,
	"LineMax": true,
}

// TestJournald: the drop-in sets only real journald settings, in [Journal],
// and bounds the journal.
func TestJournald(t *testing.T) {
	es := parseINI(t, "journald", file(t, "journald/cpc-kiosk.conf"))
	got := map[string]string{}
	for _, e := range es {
		if e.Section != "Journal" || !journaldKeys[e.Key] {
			t.Errorf("line %d: [%s] %s is not a journald.conf setting", e.Line, e.Section, e.Key)
		}
		if _, dup := got[e.Key]; dup {
			t.Errorf("line %d: %s twice", e.Line, e.Key)
		}
		got[e.Key] = e.Value
	}
	if got["SystemMaxUse"] != "50M" || got["RuntimeMaxUse"] == "" || got["MaxRetentionSec"] == "" {
		t.Errorf("limits: %v", got)
	}
	if s := got["Storage"]; s != "persistent" && s != "volatile" {
		t.Errorf("Storage=%q", s)
	}
}
