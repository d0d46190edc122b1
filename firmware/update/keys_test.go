package update_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cpckiosk/firmware/update"
)

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
		err  bool
	}{
		{"1.0.0", "1.0.0", 0, false},
		{"1.0", "1.0.0", 0, false},
		{"1.0.1", "1.0.0", 1, false},
		{"1.0.9", "1.0.10", -1, false}, // numbers, not strings
		{"2", "1.99.99", 1, false},
		{"1.4.2.7", "1.4.2", 1, false},
		{"01.2", "1.2", 0, false},
		{"1.0.0-rc1", "1.0.0", 0, true},
		{"v1.0", "1.0", 0, true},
		{"1..0", "1.0", 0, true},
		{"1.2.3.4.5", "1", 0, true},
		{"", "1", 0, true},
		{"1.0.", "1", 0, true},
		{"1234567890", "1", 0, true},
	} {
		got, err := update.CompareVersions(tc.a, tc.b)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d, error %v", tc.a, tc.b, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, update.ErrMalformed) {
			t.Errorf("CompareVersions(%q, %q): %v is not ErrMalformed", tc.a, tc.b, err)
		}
	}
}

func TestCertificate(t *testing.T) {
	k := newKeys(t)
	roots := []ed25519.PublicKey{k.rootPub}
	c, err := update.VerifyCert(k.cert, roots, epoch)
	if err != nil || c.Name != "release-test" || !c.PublicKey.Equal(k.release.Public()) {
		t.Fatalf("VerifyCert: %+v %v", c, err)
	}
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	// Several roots (a key being replaced): any one may certify.
	if _, err := update.VerifyCert(k.cert, []ed25519.PublicKey{otherPub, k.rootPub}, epoch); err != nil {
		t.Errorf("two roots: %v", err)
	}
	for _, tc := range []struct {
		name  string
		cert  []byte
		roots []ed25519.PublicKey
		now   time.Time
		want  error
	}{
		{"another root", k.cert, []ed25519.PublicKey{otherPub}, epoch, update.ErrUntrusted},
		{"no roots", k.cert, nil, epoch, update.ErrUntrusted},
		{"expired", k.cert, roots, epoch.Add(366 * 24 * time.Hour), update.ErrExpired},
		{"not yet valid", k.cert, roots, epoch.Add(-48 * time.Hour), update.ErrNotYetValid},
		{"flipped bit", flipPEM(t, k.cert), roots, epoch, update.ErrUntrusted},
		{"not PEM", []byte("hello"), roots, epoch, update.ErrMalformed},
	} {
		if _, err := update.VerifyCert(tc.cert, tc.roots, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The root's signature over the same bytes in another domain (as a
	// manifest) does not make a certificate.
	blk, _ := pem.Decode(k.cert)
	body := blk.Bytes[:len(blk.Bytes)-ed25519.SignatureSize]
	crossed := pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: append(bytes.Clone(body), update.SignManifest(k.root, body)...)})
	if _, err := update.VerifyCert(crossed, roots, epoch); !errors.Is(err, update.ErrUntrusted) {
		t.Errorf("cross-domain signature: %v", err)
	}
	relPub := k.release.Public().(ed25519.PublicKey)
	if _, err := update.IssueCert(update.Cert{Name: "x", PublicKey: relPub, NotBefore: epoch, NotAfter: epoch}, k.root); err == nil {
		t.Error("IssueCert accepted an empty validity")
	}
}

// flipPEM changes one bit of the certificate's signed body (in the name).
func flipPEM(t *testing.T, cert []byte) []byte {
	blk, _ := pem.Decode(cert)
	if blk == nil {
		t.Fatal("no PEM")
	}
	b := bytes.Clone(blk.Bytes)
	b[3] ^= 1
	return pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: b})
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	pub, err := update.GenerateRootKey(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := update.GenerateRootKey(filepath.Join(dir, "root")); !errors.Is(err, os.ErrExist) {
		t.Errorf("overwrote a root key: %v", err)
	}
	trust, err := update.LoadTrust(filepath.Join(dir, "root", update.RootPubFile))
	if err != nil || len(trust) != 1 || !trust[0].Equal(pub) {
		t.Fatalf("LoadTrust: %v %v", trust, err)
	}
	root, err := update.LoadPrivateKey(filepath.Join(dir, "root", update.RootKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c, created, err := update.GenerateReleaseKey(filepath.Join(dir, "rel"), root, "r1", epoch, epoch.Add(time.Hour))
	if err != nil || !created {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(filepath.Join(dir, "rel", update.ReleaseCertFile))
	if got, err := update.VerifyCert(certPEM, trust, epoch.Add(time.Minute)); err != nil || !got.PublicKey.Equal(c.PublicKey) {
		t.Errorf("VerifyCert of the written certificate: %v", err)
	}
	for name, perm := range map[string]os.FileMode{"root/root.key": 0o600, "root/root.pub": 0o644, "rel/release.key": 0o600, "rel/release.pub": 0o644, "rel/release.cert": 0o644} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != perm {
			t.Errorf("%s: %v %v, want %v", name, fi.Mode(), err, perm)
		}
	}
}
