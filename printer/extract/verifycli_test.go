package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunVerify(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, signed := render(t, sample("tg"), deviceSigner(t))
	goodPDF := write("good.pdf", good)
	altered := write("altered.pdf", rewriteEmbedded(t, good, `{"v":`, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"category":"theft"`), []byte(`"category":"fraud"`), 1)
	}))
	truncPDF := write("trunc.pdf", good[:len(good)-200])
	centralKey := write("central.pub", EncodePublicKey(pub(testKey("central"))))
	otherKey := write("other.pub", EncodePublicKey(pub(testKey("other"))))

	// A central's data dir: keys/central.pub.
	centralData := filepath.Join(dir, "central")
	os.MkdirAll(filepath.Join(centralData, "keys"), 0o700)
	os.WriteFile(filepath.Join(centralData, "keys", CentralPubFile), EncodePublicKey(pub(testKey("central"))), 0o644)
	// A kiosk's data dir before enrolment: its own key only.
	kioskData := filepath.Join(dir, "kiosk")
	kkey, _, err := LoadOrCreateDeviceKey(filepath.Join(kioskData, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	kioskPDF, _ := render(t, sample("ru"), Signer{Key: kkey})
	kioskFile := write("kiosk.pdf", kioskPDF)

	for _, tc := range []struct {
		name string
		args []string
		code int
		out  []string // substrings of stdout
		err  []string // substrings of stderr
	}{
		{"file, central data dir", []string{"-data", centralData, goodPDF}, 0,
			[]string{"VALID", "ISF1-26-000123-4", "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f", "2026-03-14T10:15:42Z",
				"1WZ441EW794Y51BE", signed.Code, "content:           matches", "CPC ISF, kiosk 1"}, nil},
		{"flags after the file", []string{goodPDF, "-key", centralKey}, 0, []string{"VALID"}, nil},
		{"payload, key file", []string{"-key", centralKey, "-payload", signed.Payload}, 0,
			[]string{"VALID", "ISF1-26-000123-4", "not checked"}, nil},
		{"kiosk before enrolment", []string{"-data", kioskData, kioskFile}, 0, []string{"VALID", "certificate:       none"}, nil},
		{"kiosk file against central", []string{"-data", centralData, kioskFile}, 1, []string{"INVALID", "not signed by a trusted key"}, nil},
		{"altered content", []string{"-data", centralData, altered}, 1, []string{"INVALID", "content does not match"}, nil},
		{"wrong key", []string{"-key", otherKey, goodPDF}, 1, []string{"INVALID", "not signed by a trusted key"}, nil},
		{"truncated file", []string{"-key", centralKey, truncPDF}, 1, []string{"INVALID", "truncated"}, nil},
		{"truncated payload", []string{"-key", centralKey, "-payload", signed.Payload[:len(signed.Payload)-6]}, 1,
			[]string{"INVALID", "malformed payload"}, nil},
		{"altered payload", []string{"-key", centralKey, "-payload", alterGroup(signed.Payload, 60)}, 1,
			[]string{"INVALID", "signature does not match"}, nil},
		{"missing file", []string{"-key", centralKey, filepath.Join(dir, "nope.pdf")}, 1, nil, []string{"nope.pdf"}},
		{"no arguments", nil, 2, nil, []string{"usage:"}},
		{"both -data and -key", []string{"-data", centralData, "-key", centralKey, goodPDF}, 2, nil, []string{"not both"}},
		{"file and payload", []string{"-key", centralKey, "-payload", signed.Payload, goodPDF}, 2, nil, []string{"not both"}},
		{"two files", []string{"-key", centralKey, goodPDF, goodPDF}, 2, nil, []string{"one file"}},
		{"unknown flag", []string{"-x", goodPDF}, 2, nil, []string{"flag provided but not defined"}},
		{"unreadable key file", []string{"-key", goodPDF, goodPDF}, 2, nil, []string{"load anchor file"}},
		{"data dir without keys", []string{"-data", dir, goodPDF}, 2, nil, []string{"no trust anchors"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := RunVerify(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			for _, s := range tc.out {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tc.err {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, &stderr)
				}
			}
			if strings.Contains(stdout.String()+stderr.String(), "Раҳимова") {
				t.Error("personal data printed")
			}
		})
	}
}

// alterGroup changes the least significant digit of the base45 group at
// byte offset off (a multiple of 3) of the payload body, so the result is
// still well-formed base45 but one byte of the payload differs.
func alterGroup(p string, off int) string {
	b := []byte(p)
	i := len(PayloadPrefix) + off
	k := strings.IndexByte(base45Alphabet, b[i])
	if k == 0 {
		b[i] = base45Alphabet[1]
	} else {
		b[i] = base45Alphabet[k-1]
	}
	return string(b)
}
