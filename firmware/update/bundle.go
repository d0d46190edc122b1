package update

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Bundle is a verified bundle: its signature chain checked against the trusted
// roots and every file's size and hash against the signed manifest.
type Bundle struct {
	Path     string
	Manifest Manifest
	Release  Cert // the certified release key that signed the manifest

	manifestJSON, sig, cert []byte
}

// bundleReader walks a bundle's tar stream (gzip or not).
type bundleReader struct {
	f  *os.File
	gz *gzip.Reader
	tr *tar.Reader
}

func openBundle(name string) (*bundleReader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	r := &bundleReader{f: f}
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		r.gz, err = gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("gzip: %v: %w", err, ErrMalformed)
		}
		r.gz.Multistream(false)
		src = r.gz
	}
	r.tr = tar.NewReader(src)
	return r, nil
}

func (r *bundleReader) Close() error {
	if r.gz != nil {
		r.gz.Close()
	}
	return r.f.Close()
}

// next returns the next entry, which must be a regular file.
func (r *bundleReader) next() (*tar.Header, error) {
	h, err := r.tr.Next()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read tar: %v: %w", err, ErrMalformed)
	}
	if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
		return nil, fmt.Errorf("tar entry %q is not a regular file (type %q): %w", h.Name, h.Typeflag, ErrBadName)
	}
	return h, nil
}

// meta reads manifest.json, manifest.sig and release.cert, which come first
// in any order.
func (r *bundleReader) meta() (manifest, sig, cert []byte, err error) {
	got := map[string]*[]byte{ManifestFile: &manifest, SignatureFile: &sig, CertFile: &cert}
	for n := 0; n < len(got); n++ {
		h, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, err
		}
		dst, ok := got[h.Name]
		switch {
		case !ok && strings.HasPrefix(h.Name, filesPrefix):
			return nil, nil, nil, missingMeta(manifest, sig, cert)
		case !ok:
			return nil, nil, nil, fmt.Errorf("unexpected tar entry %q: %w", h.Name, ErrMalformed)
		case *dst != nil:
			return nil, nil, nil, fmt.Errorf("%s twice: %w", h.Name, ErrMalformed)
		case h.Size > maxMetaSize:
			return nil, nil, nil, fmt.Errorf("%s of %d bytes: %w", h.Name, h.Size, ErrTooLarge)
		}
		b, err := io.ReadAll(r.tr)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read %s: %v: %w", h.Name, err, ErrMalformed)
		}
		*dst = append([]byte{}, b...)
	}
	if manifest == nil || sig == nil || cert == nil {
		return nil, nil, nil, missingMeta(manifest, sig, cert)
	}
	return manifest, sig, cert, nil
}

func missingMeta(manifest, sig, cert []byte) error {
	switch {
	case manifest == nil:
		return fmt.Errorf("no %s: %w", ManifestFile, ErrMalformed)
	case sig == nil:
		return fmt.Errorf("no %s: %w", SignatureFile, ErrUnsigned)
	default:
		return fmt.Errorf("no %s: %w", CertFile, ErrUnsigned)
	}
}

// eachFile walks the payload, which must hold exactly the manifest's files in
// the manifest's order, and calls fn with a reader of exactly f.Size bytes.
func (r *bundleReader) eachFile(m Manifest, fn func(f File, rd io.Reader) error) error {
	for _, f := range m.Files {
		h, err := r.next()
		if err == io.EOF {
			return fmt.Errorf("%s missing from the bundle: %w", f.Name, ErrTampered)
		}
		if err != nil {
			return err
		}
		if h.Name != filesPrefix+f.Name {
			return fmt.Errorf("tar entry %q where the manifest lists %q: %w", h.Name, f.Name, ErrTampered)
		}
		if h.Size != f.Size {
			return fmt.Errorf("%s: %d bytes, the manifest says %d: %w", f.Name, h.Size, f.Size, ErrTampered)
		}
		if err := fn(f, io.LimitReader(r.tr, f.Size)); err != nil {
			return err
		}
	}
	if h, err := r.next(); err != io.EOF {
		if err != nil {
			return err
		}
		return fmt.Errorf("tar entry %q not in the manifest: %w", h.Name, ErrTampered)
	}
	return nil
}

// hashCopy copies exactly f.Size bytes from rd to w and checks the hash.
func hashCopy(w io.Writer, rd io.Reader, f File) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), rd)
	if err != nil {
		return err
	}
	if n != f.Size {
		return fmt.Errorf("%s: %d bytes, the manifest says %d: %w", f.Name, n, f.Size, ErrTampered)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%s: sha256 %s, the manifest says %s: %w", f.Name, got[:16], f.SHA256[:16], ErrTampered)
	}
	return nil
}

// Verify checks a bundle without writing anything: the release certificate
// against roots and its validity at now, the manifest signature, the
// manifest's fields, names and sizes against lim, and every file's size and
// SHA-256. Checks that depend on the board (version, arch) are the Updater's.
func Verify(name string, roots []ed25519.PublicKey, now time.Time, lim Limits) (*Bundle, error) {
	b, err := verify(name, roots, now, lim)
	if err != nil {
		return nil, fmt.Errorf("update: verify %s: %w", name, err)
	}
	return b, nil
}

func verify(name string, roots []ed25519.PublicKey, now time.Time, lim Limits) (*Bundle, error) {
	r, err := openBundle(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	mj, sig, certPEM, err := r.meta()
	if err != nil {
		return nil, err
	}
	cert, err := verifyCert(certPEM, roots, now)
	if err != nil {
		return nil, err
	}
	if !verifyManifestSig(cert.PublicKey, mj, sig) {
		return nil, fmt.Errorf("release key %q: %w", cert.Name, ErrBadSignature)
	}
	m, err := parseManifest(mj, lim)
	if err != nil {
		return nil, err
	}
	if err := r.eachFile(m, func(f File, rd io.Reader) error { return hashCopy(io.Discard, rd, f) }); err != nil {
		return nil, err
	}
	return &Bundle{Path: name, Manifest: m, Release: cert, manifestJSON: mj, sig: sig, cert: certPEM}, nil
}

// ReadManifest reads a bundle's manifest and checks every file's size and
// SHA-256 against it, like Verify, but without checking who signed it: for
// a server that stores and forwards bundles it has no root key for. Boards
// never install on its word; they Verify.
func ReadManifest(name string, lim Limits) (Manifest, error) {
	m, err := readManifest(name, lim)
	if err != nil {
		return m, fmt.Errorf("update: read %s: %w", name, err)
	}
	return m, nil
}

func readManifest(name string, lim Limits) (Manifest, error) {
	r, err := openBundle(name)
	if err != nil {
		return Manifest{}, err
	}
	defer r.Close()
	mj, _, _, err := r.meta()
	if err != nil {
		return Manifest{}, err
	}
	m, err := parseManifest(mj, lim)
	if err != nil {
		return m, err
	}
	return m, r.eachFile(m, func(f File, rd io.Reader) error { return hashCopy(io.Discard, rd, f) })
}

// SignOptions are what a release says about itself.
type SignOptions struct {
	Version    string
	MinVersion string // optional
	Arch       string // e.g. "arm64", "armv7"
	Created    time.Time
	Gzip       bool
}

// Source is one file to put in a bundle: Name inside the slot, Path on disk.
type Source struct {
	Name, Path string
}

// Sign writes a bundle to w: the manifest of files, its signature by key,
// the release certificate (which must certify key), and the files. Files are
// hashed first and hashed again while they are copied, so a file that changes
// meanwhile fails the signing instead of making a bundle no board accepts.
func Sign(w io.Writer, key ed25519.PrivateKey, certPEM []byte, opt SignOptions, files []Source) (Manifest, error) {
	m, err := sign(w, key, certPEM, opt, files)
	if err != nil {
		return m, fmt.Errorf("update: sign: %w", err)
	}
	return m, nil
}

func sign(w io.Writer, key ed25519.PrivateKey, certPEM []byte, opt SignOptions, files []Source) (Manifest, error) {
	cert, _, _, err := parseCert(certPEM)
	if err != nil {
		return Manifest{}, err
	}
	if !cert.PublicKey.Equal(key.Public()) {
		return Manifest{}, fmt.Errorf("the release certificate %q is for another key: %w", cert.Name, ErrBadSignature)
	}
	if opt.Created.IsZero() {
		opt.Created = time.Now()
	}
	if opt.Created.Before(cert.NotBefore) || opt.Created.After(cert.NotAfter) {
		return Manifest{}, fmt.Errorf("release certificate %q valid %s to %s: %w", cert.Name,
			cert.NotBefore.Format(time.DateOnly), cert.NotAfter.Format(time.DateOnly), ErrExpired)
	}
	m := Manifest{Format: FormatVersion, Version: opt.Version, MinVersion: opt.MinVersion, Arch: opt.Arch,
		Created: opt.Created.UTC().Truncate(time.Second)}
	for _, s := range files {
		f, err := hashFile(s)
		if err != nil {
			return m, err
		}
		m.Files = append(m.Files, f)
	}
	if err := m.check(Limits{MaxTotal: 1 << 40, MaxFiles: 1 << 16}); err != nil {
		return m, err
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	mj = append(mj, '\n')
	var out io.Writer = w
	var gz *gzip.Writer
	if opt.Gzip {
		gz = gzip.NewWriter(w)
		out = gz
	}
	tw := tar.NewWriter(out)
	hdr := func(name string, size int64, mode fs.FileMode) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: int64(mode), ModTime: m.Created, Format: tar.FormatPAX}
	}
	for _, e := range []struct {
		name string
		b    []byte
	}{{ManifestFile, mj}, {SignatureFile, SignManifest(key, mj)}, {CertFile, certPEM}} {
		if err := tw.WriteHeader(hdr(e.name, int64(len(e.b)), 0o644)); err != nil {
			return m, err
		}
		if _, err := tw.Write(e.b); err != nil {
			return m, err
		}
	}
	for i, f := range m.Files {
		if err := tw.WriteHeader(hdr(filesPrefix+f.Name, f.Size, f.Perm())); err != nil {
			return m, err
		}
		src, err := os.Open(files[i].Path)
		if err != nil {
			return m, err
		}
		err = hashCopy(tw, io.LimitReader(src, f.Size+1), f)
		src.Close()
		if err != nil {
			return m, fmt.Errorf("%s changed while signing: %w", files[i].Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return m, err
		}
	}
	return m, nil
}

// hashFile reads a source file's size, hash and mode: 0755 when any execute
// bit is set, else 0644.
func hashFile(s Source) (File, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	if !st.Mode().IsRegular() {
		return File{}, fmt.Errorf("%s is not a regular file: %w", s.Path, ErrBadName)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, err
	}
	mode := "0644"
	if st.Mode()&0o111 != 0 {
		mode = "0755"
	}
	return File{Name: s.Name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Mode: mode}, nil
}
