package updatetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/printer/extract"
)

// Keys are a root key and a release key it certifies, valid from a day
// before to a year after the time given to NewKeys.
type Keys struct {
	Root    ed25519.PrivateKey
	RootPub ed25519.PublicKey
	Release ed25519.PrivateKey
	Cert    []byte // the release certificate, PEM
}

// NewKeys makes a root key and a release key certified around now.
func NewKeys(now time.Time) (Keys, error) {
	rootPub, root, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Keys{}, err
	}
	relPub, rel, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Keys{}, err
	}
	cert, err := update.IssueCert(update.Cert{Name: "release-test", PublicKey: relPub,
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}, root)
	if err != nil {
		return Keys{}, err
	}
	return Keys{Root: root, RootPub: rootPub, Release: rel, Cert: cert}, nil
}

// Trust returns the root public key as boards trust it.
func (k Keys) Trust() []ed25519.PublicKey { return []ed25519.PublicKey{k.RootPub} }

// WriteTrust writes the root public key as a trust file (PEM PUBLIC KEY).
func (k Keys) WriteTrust(path string) error {
	return os.WriteFile(path, extract.EncodePublicKey(k.RootPub), 0o644)
}

// Bundle signs files (name in the slot -> content) as the release opt
// describes and writes the bundle to out. Files whose name has no slash are
// executable.
func (k Keys) Bundle(out string, opt update.SignOptions, files map[string][]byte) (update.Manifest, error) {
	src, err := os.MkdirTemp(filepath.Dir(out), ".src-*")
	if err != nil {
		return update.Manifest{}, err
	}
	defer os.RemoveAll(src)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var srcs []update.Source
	for i, n := range names {
		p := filepath.Join(src, fmt.Sprint(i))
		mode := os.FileMode(0o644)
		if filepath.Base(n) == n {
			mode = 0o755
		}
		if err := os.WriteFile(p, files[n], mode); err != nil {
			return update.Manifest{}, err
		}
		srcs = append(srcs, update.Source{Name: n, Path: p})
	}
	f, err := os.Create(out)
	if err != nil {
		return update.Manifest{}, err
	}
	m, err := update.Sign(f, k.Release, k.Cert, opt, srcs)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return m, err
}
