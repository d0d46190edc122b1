package extract

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateDeviceKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	key, id, err := LoadOrCreateDeviceKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if id != KeyID(pub(key)) || len(id) != 16 {
		t.Fatalf("device id %q, want KeyID of the key", id)
	}
	st, err := os.Stat(filepath.Join(dir, DeviceKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("device.key mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("keys dir mode %v, want 0700", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, DeviceKeyFile)); !strings.HasPrefix(string(b), "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("device.key is not PEM PKCS#8: %.40q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	key2, id2, err := LoadOrCreateDeviceKey(dir)
	if err != nil || !key2.Equal(key) || id2 != id {
		t.Fatalf("second load gave another key (%v)", err)
	}

	// device.pub is an anchor for the key, and is recreated if deleted.
	os.Remove(filepath.Join(dir, DevicePubFile))
	if _, _, err := LoadOrCreateDeviceKey(dir); err != nil {
		t.Fatal(err)
	}
	a, err := LoadAnchors(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || !a[0].Equal(pub(key)) {
		t.Fatalf("anchors %v, want the device key", a)
	}

	// A damaged key file is an error, never silently replaced.
	os.WriteFile(filepath.Join(dir, DeviceKeyFile), []byte("garbage"), 0o600)
	if _, _, err := LoadOrCreateDeviceKey(dir); err == nil {
		t.Fatal("damaged key accepted")
	}
}

func TestLoadAnchors(t *testing.T) {
	data := t.TempDir()
	if _, err := LoadAnchors(data); !errors.Is(err, ErrNoAnchors) {
		t.Fatalf("empty data dir: %v, want ErrNoAnchors", err)
	}
	keys := filepath.Join(data, "keys")
	os.MkdirAll(keys, 0o700)
	c1, c2 := pub(testKey("central")), pub(testKey("other"))
	pemBoth := append(EncodePublicKey(c1), EncodePublicKey(c2)...)
	os.WriteFile(filepath.Join(keys, CentralPubFile), pemBoth, 0o644)
	a, err := LoadAnchors(data)
	if err != nil || len(a) != 2 || !a[0].Equal(c1) || !a[1].Equal(c2) {
		t.Fatalf("central.pub with two keys: %v %v", a, err)
	}

	b64 := filepath.Join(data, "key.b64")
	os.WriteFile(b64, []byte(base64.StdEncoding.EncodeToString(c1)+"\n"), 0o644)
	if a, err := LoadAnchorFile(b64); err != nil || len(a) != 1 || !a[0].Equal(c1) {
		t.Fatalf("base64 key file: %v %v", a, err)
	}
	for name, content := range map[string]string{
		"empty":       "",
		"short b64":   base64.StdEncoding.EncodeToString(c1[:31]),
		"private key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"bad DER":     "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		p := filepath.Join(data, "bad")
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := LoadAnchorFile(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadAnchorFile(filepath.Join(data, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestCertificateFile(t *testing.T) {
	dir := t.TempDir()
	if c, err := LoadCertificate(dir); c != nil || err != nil {
		t.Fatalf("no certificate yet: %v %v", c, err)
	}
	cert := deviceSigner(t).Certificate
	if err := SaveCertificate(dir, cert); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCertificate(dir)
	if err != nil || string(got) != string(cert) {
		t.Fatalf("load: %v", err)
	}
	c, err := VerifyCertificate(got, Anchors{pub(testKey("central"))})
	if err != nil || c.Kiosk != 1 || c.CPC != "ISF" {
		t.Fatalf("verify stored certificate: %+v %v", c, err)
	}
	if _, err := VerifyCertificate(got, Anchors{ed25519.PublicKey(pub(testKey("other")))}); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("other anchor: %v", err)
	}
	if err := SaveCertificate(dir, cert[:40]); err == nil {
		t.Fatal("truncated certificate saved")
	}
}
