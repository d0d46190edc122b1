package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "kioskd.json")
	os.WriteFile(cfgFile, []byte(`{"cpc":"KHJ","kiosk":2,"listen":"127.0.0.1:9000","centre_name":"Маркази Хуҷанд"}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"cpc":"KHJ","kiosk":2,"colour":"red"}`), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want func(Config) bool
		err  string
	}{
		{"flags", []string{"-cpc", "ISF", "-kiosk", "1"}, func(c Config) bool {
			return c.CPC == "ISF" && c.Kiosk == 1 && c.Data == "./var/kiosk" && c.Listen == "127.0.0.1:8080" && c.Printer == "sim" && c.Baud == 9600
		}, ""},
		{"config file", []string{"-config", cfgFile}, func(c Config) bool {
			return c.CPC == "KHJ" && c.Kiosk == 2 && c.Listen == "127.0.0.1:9000" && c.CentreName == "Маркази Хуҷанд"
		}, ""},
		{"flags override the file", []string{"-config", cfgFile, "-kiosk", "3"}, func(c Config) bool {
			return c.CPC == "KHJ" && c.Kiosk == 3
		}, ""},
		{"places", []string{"-cpc", "ISF", "-kiosk", "1", "-places", "Истаравшан, Нофароҷ ,Шаҳристон"}, func(c Config) bool {
			return len(c.Places) == 3 && c.Places[1] == "Нофароҷ"
		}, ""},
		{"unknown key in file", []string{"-config", bad}, nil, "colour"},
		{"missing file", []string{"-config", filepath.Join(dir, "nope.json")}, nil, "nope.json"},
		{"no centre", []string{"-kiosk", "1"}, nil, "-cpc is required"},
		{"bad centre", []string{"-cpc", "Isf", "-kiosk", "1"}, nil, "three capital"},
		{"bad kiosk", []string{"-cpc", "ISF", "-kiosk", "10"}, nil, "1-9"},
		{"bad baud", []string{"-cpc", "ISF", "-kiosk", "1", "-baud", "300"}, nil, "-baud"},
		{"bad log", []string{"-cpc", "ISF", "-kiosk", "1", "-log", "xml"}, nil, "-log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseArgs(tc.args, io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.want(c) {
				t.Fatalf("got %+v, %v", c, err)
			}
		})
	}
}
