package update

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Names inside a bundle (tar) and inside an installed slot.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
	// CertFile is the release certificate inside a bundle and a slot
	// (release.cert, as keygen names it).
	CertFile = ReleaseCertFile
	// filesPrefix holds the payload inside the tar, so no file name can
	// collide with the signature files.
	filesPrefix = "files/"

	// FormatVersion is the manifest format this package writes and reads.
	FormatVersion = 1
)

// Manifest describes a bundle: what it installs and on which boards. Its
// exact bytes are signed; a slot keeps them as manifest.json.
type Manifest struct {
	Format     int       `json:"format"`
	Version    string    `json:"version"`
	MinVersion string    `json:"min_version,omitempty"`
	Arch       string    `json:"arch"`
	Created    time.Time `json:"created"`
	Files      []File    `json:"files"`
}

// File is one file of a bundle.
type File struct {
	Name   string `json:"name"`   // slash-separated, relative to the slot
	SHA256 string `json:"sha256"` // lower-case hex
	Size   int64  `json:"size"`
	Mode   string `json:"mode"` // octal permission bits, "0755" or "0644"
}

// Perm returns the file's permission bits.
func (f File) Perm() fs.FileMode {
	m, _ := parseMode(f.Mode)
	return m
}

// Limits bound what a board accepts, before anything is written.
type Limits struct {
	MaxTotal int64 // sum of the files' sizes; default 512 MiB
	MaxFiles int   // default 256
}

// DefaultLimits suit a kiosk's SD card: a few static binaries and assets.
var DefaultLimits = Limits{MaxTotal: 512 << 20, MaxFiles: 256}

const maxMetaSize = 1 << 20 // manifest.json and release.cert

func (l Limits) withDefaults() Limits {
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultLimits.MaxTotal
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultLimits.MaxFiles
	}
	return l
}

// reserved are names a file may not take at the top of a slot.
var reserved = map[string]bool{ManifestFile: true, SignatureFile: true, CertFile: true}

// ParseManifest decodes and checks a manifest.
func ParseManifest(b []byte, lim Limits) (Manifest, error) {
	m, err := parseManifest(b, lim)
	if err != nil {
		return m, fmt.Errorf("update: %w", err)
	}
	return m, nil
}

func parseManifest(b []byte, lim Limits) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest: %v: %w", err, ErrMalformed)
	}
	return m, m.check(lim)
}

// check validates every field; the errors name the field.
func (m Manifest) check(lim Limits) error {
	lim = lim.withDefaults()
	if m.Format != FormatVersion {
		return fmt.Errorf("manifest: format %d, this updater reads %d: %w", m.Format, FormatVersion, ErrMalformed)
	}
	if _, err := ParseVersion(m.Version); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if m.MinVersion != "" {
		c, err := CompareVersions(m.MinVersion, m.Version)
		if err != nil {
			return fmt.Errorf("manifest: min_version: %w", err)
		}
		if c > 0 {
			return fmt.Errorf("manifest: min_version %s is newer than version %s: %w", m.MinVersion, m.Version, ErrMalformed)
		}
	}
	if m.Arch == "" || strings.Trim(m.Arch, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return fmt.Errorf("manifest: arch %q: %w", m.Arch, ErrMalformed)
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("manifest: no files: %w", ErrMalformed)
	}
	if len(m.Files) > lim.MaxFiles {
		return fmt.Errorf("manifest: %d files, at most %d: %w", len(m.Files), lim.MaxFiles, ErrTooLarge)
	}
	seen := make(map[string]bool, len(m.Files))
	var total int64
	for _, f := range m.Files {
		if err := checkName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("manifest: %q twice: %w", f.Name, ErrBadName)
		}
		seen[f.Name] = true
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 || f.SHA256 != strings.ToLower(f.SHA256) {
			return fmt.Errorf("manifest: %q: sha256 %q is not 64 lower-case hex digits: %w", f.Name, f.SHA256, ErrMalformed)
		}
		if _, err := parseMode(f.Mode); err != nil {
			return fmt.Errorf("manifest: %q: %w", f.Name, err)
		}
		if f.Size < 0 || f.Size > lim.MaxTotal || total+f.Size > lim.MaxTotal {
			return fmt.Errorf("manifest: files larger than %s in all: %w", size(lim.MaxTotal), ErrTooLarge)
		}
		total += f.Size
	}
	// A file may not also be a directory of another ("bin" and "bin/x").
	for name := range seen {
		for dir := name; strings.Contains(dir, "/"); {
			dir = dir[:strings.LastIndex(dir, "/")]
			if seen[dir] {
				return fmt.Errorf("manifest: %q is both a file and a directory: %w", dir, ErrBadName)
			}
		}
	}
	return nil
}

// Total returns the sum of the files' sizes.
func (m Manifest) Total() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// checkName refuses names that could land outside the slot or collide with
// the slot's own files: absolute, "..", ".", empty elements, backslashes,
// control characters, reserved names.
func checkName(n string) error {
	bad := func(why string) error {
		return fmt.Errorf("manifest: file name %q %s: %w", n, why, ErrBadName)
	}
	switch {
	case n == "" || len(n) > 255:
		return bad("is empty or longer than 255 bytes")
	case !fs.ValidPath(n) || n == ".":
		return bad("is absolute, not clean or climbs out of the slot")
	case strings.ContainsAny(n, `\`):
		return bad("contains a backslash")
	case strings.ContainsFunc(n, unicode.IsControl):
		return bad("contains a control character")
	case reserved[n]:
		return bad("is reserved")
	}
	return nil
}

func parseMode(s string) (fs.FileMode, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if len(s) != 4 || s[0] != '0' || err != nil || v&0o400 == 0 {
		return 0, fmt.Errorf("mode %q: want 0 and three octal digits, readable by the owner (no setuid, setgid or sticky bit): %w", s, ErrMalformed)
	}
	return fs.FileMode(v), nil
}

// size writes n bytes for people.
func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

func formatMode(m fs.FileMode) string { return fmt.Sprintf("%04o", uint32(m.Perm())) }
