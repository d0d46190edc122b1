package central

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

// ReleasesDir holds the published update bundles: for each, the bundle
// NAME.bundle and its record NAME.json (Release), both written to a
// temporary name and renamed. A bundle without its record was cut off while
// being published and is deleted at the next start.
const ReleasesDir = "releases"

// Errors of Publish (besides ErrInvalid, which wraps a bundle that is not
// one, or one that does not verify against the update trust).
var (
	// ErrReleaseTooLarge: the bundle is over the limit (relay.MaxRelease).
	ErrReleaseTooLarge = errors.New("bundle too large")
	// ErrReleaseConflict: that version for that arch is published already
	// with other bytes. A version never changes its content: kiosks may be
	// halfway through downloading it.
	ErrReleaseConflict = errors.New("version already published with other content")
)

// Release is a published update bundle.
type Release struct {
	Version    string    `json:"version"`
	MinVersion string    `json:"min_version,omitempty"`
	Arch       string    `json:"arch"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	File       string    `json:"file"`    // in DIR/releases
	Created    time.Time `json:"created"` // when it was signed (manifest)
	Published  time.Time `json:"published"`
	// SignedBy is the release key's certificate name; Verified says the
	// signature chain was checked against the central's update trust (the
	// boards check it in any case).
	SignedBy string `json:"signed_by,omitempty"`
	Verified bool   `json:"verified"`
}

// ReleaseFile is a release's bundle file name: cpc-kiosk-VERSION-ARCH.bundle.
func ReleaseFile(version, arch string) string { return "cpc-kiosk-" + version + "-" + arch + ".bundle" }

func releaseKey(arch, version string) string { return arch + " " + version }

// loadReleases reads the records in DIR/releases and deletes what a cut-off
// publication left.
func (s *Server) loadReleases() error {
	dir := filepath.Join(s.dir, ReleasesDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("central: releases: %w", err)
	}
	recorded := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		var r Release
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err == nil && (r.File != ReleaseFile(r.Version, r.Arch) || name != r.File+".json") {
			err = errors.New("the record does not name its bundle")
		}
		var fi fs.FileInfo
		if err == nil {
			fi, err = os.Stat(filepath.Join(dir, r.File))
		}
		if err == nil && fi.Size() != r.Size {
			err = fmt.Errorf("the bundle has %d bytes, its record says %d", fi.Size(), r.Size)
		}
		if err != nil {
			s.log.Error("central: release not offered", "record", name, "err", err)
			continue
		}
		recorded[r.File] = true
		rr := r
		s.releases[releaseKey(r.Arch, r.Version)] = &rr
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".upload-"), strings.HasPrefix(name, "."+"cpc-kiosk-") && strings.Contains(name, ".tmp-"):
		case strings.HasSuffix(name, ".bundle") && !recorded[name]:
			s.log.Warn("central: deleting a bundle whose publication was cut off", "file", name)
		default:
			continue
		}
		os.Remove(filepath.Join(dir, name))
	}
	return nil
}

// Publish stores a bundle read from r (at most relay.MaxRelease bytes, or
// Options.MaxRelease) and offers it to the kiosks of its architecture that
// run an older version. The bundle must be well formed and every file must
// match its manifest; with Options.UpdateTrust the signature chain must
// verify too. Publishing the same bytes again is no error (created false).
func (s *Server) Publish(r io.Reader) (rel Release, created bool, err error) {
	dir := filepath.Join(s.dir, ReleasesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rel, false, fmt.Errorf("central: publish: %w: %w", kiosk.ErrUnavailable, err)
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return rel, false, fmt.Errorf("central: publish: %w: %w", kiosk.ErrUnavailable, err)
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		os.Remove(tmp) // gone already when renamed
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, s.maxRelease+1))
	if err != nil {
		return rel, false, fmt.Errorf("central: publish: read the bundle: %w", err)
	}
	if n > s.maxRelease {
		return rel, false, fmt.Errorf("central: publish: over %d MiB: %w", s.maxRelease>>20, ErrReleaseTooLarge)
	}
	if err := f.Sync(); err != nil {
		return rel, false, fmt.Errorf("central: publish: %w: %w", kiosk.ErrUnavailable, err)
	}
	rel = Release{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Published: s.now().UTC()}
	var m update.Manifest
	if len(s.updateTrust) > 0 {
		b, err := update.Verify(tmp, s.updateTrust, s.now(), update.Limits{})
		if err != nil {
			return rel, false, fmt.Errorf("central: publish: %w: %w", ErrInvalid, bundleErr{err, tmp})
		}
		m, rel.SignedBy, rel.Verified = b.Manifest, b.Release.Name, true
	} else if m, err = update.ReadManifest(tmp, update.Limits{}); err != nil {
		return rel, false, fmt.Errorf("central: publish: %w: %w", ErrInvalid, bundleErr{err, tmp})
	}
	rel.Version, rel.MinVersion, rel.Arch, rel.Created = m.Version, m.MinVersion, m.Arch, m.Created
	rel.File = ReleaseFile(m.Version, m.Arch)

	s.relMu.Lock()
	defer s.relMu.Unlock()
	if old := s.releases[releaseKey(rel.Arch, rel.Version)]; old != nil {
		if old.SHA256 == rel.SHA256 {
			return *old, false, nil
		}
		return rel, false, fmt.Errorf("central: publish: %s for %s (sha256 %s…): %w", rel.Version, rel.Arch, old.SHA256[:16], ErrReleaseConflict)
	}
	if err := f.Close(); err != nil {
		return rel, false, fmt.Errorf("central: publish: %w: %w", kiosk.ErrUnavailable, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, rel.File)); err != nil {
		return rel, false, fmt.Errorf("central: publish: %w: %w", kiosk.ErrUnavailable, err)
	}
	b, _ := json.MarshalIndent(rel, "", "  ")
	if err := extract.WriteFileAtomic(filepath.Join(dir, rel.File+".json"), append(b, '\n'), 0o600); err != nil {
		os.Remove(filepath.Join(dir, rel.File))
		return rel, false, fmt.Errorf("central: publish: %w: %w", kiosk.ErrUnavailable, err)
	}
	rr := rel
	s.releases[releaseKey(rel.Arch, rel.Version)] = &rr
	s.log.Info("central: release published", "version", rel.Version, "arch", rel.Arch, "bytes", rel.Size,
		"sha256", rel.SHA256, "verified", rel.Verified)
	return rel, true, nil
}

// bundleErr is an error of firmware/update about the uploaded file, told
// without the temporary file's name.
type bundleErr struct {
	err error
	tmp string
}

func (e bundleErr) Error() string {
	msg := e.err.Error()
	for _, p := range []string{"update: verify " + e.tmp + ": ", "update: read " + e.tmp + ": "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return strings.ReplaceAll(msg, e.tmp, "the bundle")
}

func (e bundleErr) Unwrap() error { return e.err }

// Releases lists the published releases by architecture, newest first.
func (s *Server) Releases() []Release {
	s.relMu.RLock()
	out := make([]Release, 0, len(s.releases))
	for _, r := range s.releases {
		out = append(out, *r)
	}
	s.relMu.RUnlock()
	slices.SortFunc(out, func(a, b Release) int {
		if c := strings.Compare(a.Arch, b.Arch); c != 0 {
			return c
		}
		c, _ := update.CompareVersions(b.Version, a.Version)
		return c
	})
	return out
}

// Withdraw stops offering a release and deletes it. Kiosks that are
// downloading it get 404 and drop what they have.
func (s *Server) Withdraw(arch, version string) (Release, error) {
	s.relMu.Lock()
	defer s.relMu.Unlock()
	r := s.releases[releaseKey(arch, version)]
	if r == nil {
		return Release{}, fmt.Errorf("central: withdraw: no release %s for %s: %w", truncate(version, 40), truncate(arch, 20), kiosk.ErrNotFound)
	}
	dir := filepath.Join(s.dir, ReleasesDir)
	if err := os.Remove(filepath.Join(dir, r.File+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Release{}, fmt.Errorf("central: withdraw: %w: %w", kiosk.ErrUnavailable, err)
	}
	os.Remove(filepath.Join(dir, r.File))
	delete(s.releases, releaseKey(arch, version))
	s.log.Warn("central: release withdrawn", "version", version, "arch", arch)
	return *r, nil
}

// offer picks the release for a device that runs version on arch: the
// newest one newer than version whose min_version version meets. None for
// a version that is not dotted numbers (a development build).
func (s *Server) offer(arch, version string) *relay.ReleaseOffer {
	if arch == "" {
		return nil
	}
	if _, err := update.ParseVersion(version); err != nil {
		return nil
	}
	s.relMu.RLock()
	defer s.relMu.RUnlock()
	var best *Release
	for _, r := range s.releases {
		if r.Arch != arch {
			continue
		}
		if c, err := update.CompareVersions(r.Version, version); err != nil || c <= 0 {
			continue
		}
		if r.MinVersion != "" {
			if c, err := update.CompareVersions(version, r.MinVersion); err != nil || c < 0 {
				continue
			}
		}
		if best == nil {
			best = r
		} else if c, _ := update.CompareVersions(r.Version, best.Version); c > 0 {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	return &relay.ReleaseOffer{Version: best.Version, Arch: best.Arch, Size: best.Size, SHA256: best.SHA256}
}

// releaseWriteTime bounds sending one chunk of a bundle (the server's
// WriteTimeout is for JSON replies).
const releaseWriteTime = 30 * time.Minute

// handleRelease serves POST relay.PathRelease: a signed device request like
// every other, answered with raw bundle bytes. Refusals are signed JSON.
func (s *Server) handleRelease(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	nonce := replyNonce(r)
	c, derr := s.checkSigned(w, r, false)
	var rel Release
	var req relay.ReleaseRequest
	if derr == nil {
		if err := json.Unmarshal(c.body, &req); err != nil {
			derr = devErr(http.StatusBadRequest, relay.CodeBadRequest, "release request: %v", err)
		}
	}
	if derr == nil {
		s.relMu.RLock()
		if p := s.releases[releaseKey(req.Arch, req.Version)]; p != nil {
			rel = *p
		}
		s.relMu.RUnlock()
		switch {
		case rel.File == "":
			derr = devErr(http.StatusNotFound, relay.CodeNotFound, "no release %s for %s here", truncate(req.Version, 40), truncate(req.Arch, 20))
		case req.Offset < 0 || req.Offset > rel.Size || req.Length < 0:
			derr = devErr(http.StatusBadRequest, relay.CodeBadRequest, "offset %d, length %d: the bundle has %d bytes", req.Offset, req.Length, rel.Size)
		}
	}
	var f *os.File
	if derr == nil {
		var err error
		if f, err = os.Open(filepath.Join(s.dir, ReleasesDir, rel.File)); errors.Is(err, fs.ErrNotExist) {
			derr = devErr(http.StatusNotFound, relay.CodeNotFound, "release %s for %s was withdrawn", rel.Version, rel.Arch)
		} else if err != nil {
			s.log.Error("central: open release", "file", rel.File, "err", err)
			derr = devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "cannot read the release now")
		}
	}
	if derr != nil {
		s.writeDevError(w, nonce, derr)
		s.logDevice(r, derr.status, derr, start, 0)
		return
	}
	defer f.Close()
	n := rel.Size - req.Offset
	if req.Length > 0 && req.Length < n {
		n = req.Length
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	hd.Set(relay.HeaderReleaseSize, strconv.FormatInt(rel.Size, 10))
	hd.Set(relay.HeaderReleaseOffset, strconv.FormatInt(req.Offset, 10))
	hd.Set(relay.HeaderReleaseSHA256, rel.SHA256)
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(releaseWriteTime))
	w.WriteHeader(http.StatusOK)
	sent, _ := io.Copy(w, io.NewSectionReader(f, req.Offset, n))
	s.logDevice(r, http.StatusOK, nil, start, sent)
}
