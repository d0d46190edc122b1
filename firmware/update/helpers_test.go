package update_test

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/firmware/update/updatetest"
)

// epoch is the fake boards' "now": certificates are valid around it.
var epoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// keys is a root key and a release key it certifies.
type keys struct {
	root    ed25519.PrivateKey
	rootPub ed25519.PublicKey
	release ed25519.PrivateKey
	cert    []byte
}

func newKeys(t testing.TB) keys {
	t.Helper()
	rootPub, root, _ := ed25519.GenerateKey(rand.Reader)
	relPub, rel, _ := ed25519.GenerateKey(rand.Reader)
	cert, err := update.IssueCert(update.Cert{Name: "release-test", PublicKey: relPub,
		NotBefore: epoch.Add(-24 * time.Hour), NotAfter: epoch.Add(365 * 24 * time.Hour)}, root)
	if err != nil {
		t.Fatal(err)
	}
	return keys{root: root, rootPub: rootPub, release: rel, cert: cert}
}

// fixture is a root of slots, keys, a fake clock and a fake kiosk.
type fixture struct {
	t     testing.TB
	dir   string // scratch space for bundles and sources
	root  string
	keys  keys
	clock *updatetest.Clock
	kiosk *updatetest.Kiosk
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, root: filepath.Join(dir, "opt"), keys: newKeys(t), clock: updatetest.NewClock(epoch)}
	f.kiosk = &updatetest.Kiosk{Root: f.root}
	if err := os.Mkdir(f.root, 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) updater() *update.Updater {
	return &update.Updater{Root: f.root, Trust: []ed25519.PublicKey{f.keys.rootPub}, Arch: "arm64",
		Clock: f.clock, Restart: f.kiosk, Health: f.kiosk, Probation: 120 * time.Second}
}

// payload is the files of a test release: a "kioskd" that names its
// version, a kioskctl, and a file in a subdirectory.
func payload(version string) map[string][]byte {
	return map[string][]byte{
		"kioskd":               []byte("#!/bin/sh\necho kioskd " + version + "\n" + strings.Repeat("k", 3000)),
		"kioskctl":             []byte("#!/bin/sh\necho kioskctl " + version + "\n"),
		"share/fonts/font.ttf": []byte("font " + version),
	}
}

// bundle signs a release with the fixture's keys and returns its path.
func (f *fixture) bundle(version string, edit ...func(*update.SignOptions)) string {
	f.t.Helper()
	opt := update.SignOptions{Version: version, Arch: "arm64", Created: epoch.Add(-time.Hour)}
	for _, e := range edit {
		e(&opt)
	}
	return f.signFiles(opt, payload(version))
}

func (f *fixture) signFiles(opt update.SignOptions, files map[string][]byte) string {
	f.t.Helper()
	src := filepath.Join(f.dir, "src-"+opt.Version+fmt.Sprint(time.Now().UnixNano()))
	var srcs []update.Source
	for _, name := range sortedKeys(files) {
		p := filepath.Join(src, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		mode := fs.FileMode(0o644)
		if !strings.Contains(name, "/") {
			mode = 0o755
		}
		if err := os.WriteFile(p, files[name], mode); err != nil {
			f.t.Fatal(err)
		}
		srcs = append(srcs, update.Source{Name: name, Path: p})
	}
	out := filepath.Join(f.dir, fmt.Sprintf("cpc-kiosk-%s-%d.tar", opt.Version, time.Now().UnixNano()))
	var buf bytes.Buffer
	if _, err := update.Sign(&buf, f.keys.release, f.keys.cert, opt, srcs); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// install applies a release that the fake kiosk reports healthy.
func (f *fixture) install(version string) {
	f.t.Helper()
	if _, err := f.updater().Apply(t0ctx, f.bundle(version)); err != nil {
		f.t.Fatalf("install %s: %v", version, err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rawFile is a tar entry of a hand-made bundle.
type rawFile struct {
	name string
	data []byte
	typ  byte // tar.TypeReg when 0
	link string
}

// raw writes a bundle entry by entry, for bundles Sign refuses to make.
// A nil sig or cert leaves that entry out.
func (f *fixture) raw(manifest, sig, cert []byte, files ...rawFile) string {
	f.t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	put := func(e rawFile) {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Typeflag: typ, Name: e.name, Size: int64(len(e.data)), Mode: 0o644, Linkname: e.link, ModTime: epoch}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			f.t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write(e.data)
		}
	}
	if manifest != nil {
		put(rawFile{name: update.ManifestFile, data: manifest})
	}
	if sig != nil {
		put(rawFile{name: update.SignatureFile, data: sig})
	}
	if cert != nil {
		put(rawFile{name: update.CertFile, data: cert})
	}
	for _, e := range files {
		put(e)
	}
	tw.Close()
	out := filepath.Join(f.dir, fmt.Sprintf("raw-%d.tar", time.Now().UnixNano()))
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// manifestFor describes files as a manifest would; names keep the given
// order.
func manifestFor(version string, names []string, data [][]byte) update.Manifest {
	m := update.Manifest{Format: 1, Version: version, Arch: "arm64", Created: epoch.Add(-time.Hour)}
	for i, n := range names {
		s := sha256.Sum256(data[i])
		m.Files = append(m.Files, update.File{Name: n, SHA256: hex.EncodeToString(s[:]), Size: int64(len(data[i])), Mode: "0755"})
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// treeHash fingerprints everything under root: names, types, modes,
// symlink targets and contents.
func treeHash(t testing.TB, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", rel, info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(h, "-> %s\n", target)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// bootable checks that current points to a slot whose files match its
// manifest, that no leftovers remain, and that state.json agrees; it returns
// the slot and its version.
func bootable(t testing.TB, root string) (slot, version string) {
	t.Helper()
	target, err := os.Readlink(filepath.Join(root, update.CurrentLink))
	if err != nil {
		t.Fatalf("current: %v", err)
	}
	if target != update.SlotA && target != update.SlotB {
		t.Fatalf("current -> %q", target)
	}
	m, err := update.VerifySlot(filepath.Join(root, target))
	if err != nil {
		t.Fatalf("current slot %s does not verify: %v", target, err)
	}
	// Not a mix: every file of the slot is the one of its version.
	for name, want := range payload(m.Version) {
		got, err := os.ReadFile(filepath.Join(root, target, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("slot %s (%s): %s is not version %s's", target, m.Version, name, m.Version)
		}
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("leftover %s", e.Name())
		}
	}
	st, _, err := update.ReadState(root)
	if err != nil {
		t.Fatal(err)
	}
	if st.Active != target || st.Version != m.Version || st.Phase == update.PhaseProbation {
		t.Errorf("state %+v disagrees with current -> %s (%s)", st, target, m.Version)
	}
	return target, m.Version
}
