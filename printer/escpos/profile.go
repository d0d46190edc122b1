package escpos

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

//go:embed profiles/*.json
var profileFS embed.FS

// ErrUnknownProfile is returned by LookupProfile for a name no shipped
// profile has.
var ErrUnknownProfile = errors.New("escpos: unknown printer profile")

// CodePage is one ESC t table a printer offers.
type CodePage struct {
	// Name is the table: "pc866", "wpc1251" or "pc437".
	Name string `json:"name"`
	// N is the ESC t argument selecting it on this printer.
	N byte `json:"n"`
}

// Profile describes one printer model. Profiles are data: see profiles/*.json.
type Profile struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Dots is the printable width in dots.
	Dots int `json:"dots"`
	// DPI is the head resolution (used to size renderings).
	DPI int `json:"dpi"`
	// Columns is the number of font A (12x24) characters per line.
	Columns int `json:"columns"`
	// CodePages lists the usable ESC t tables, most preferred first.
	CodePages []CodePage `json:"code_pages"`
	// UserDefinedChars tells whether ESC & / ESC % work.
	UserDefinedChars bool `json:"user_defined_chars"`
	// NativeQR tells whether GS ( k QR commands work.
	NativeQR bool `json:"native_qr"`
	// CancelKanji sends FS . after ESC @ (clones that start in a
	// double-byte mode).
	CancelKanji bool `json:"cancel_kanji"`
	// QRModule is the default QR module size in dots (1-16).
	QRModule int `json:"qr_module"`
	// CutFeed is the n of GS V 65/66 n: extra feed before the cut.
	CutFeed byte `json:"cut_feed"`
}

// Validate checks a profile's fields.
func (p Profile) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if p.Dots < 96 || p.Dots > 1024 || p.Dots%8 != 0 {
		errs = append(errs, fmt.Errorf("dots %d: want a multiple of 8 in 96..1024", p.Dots))
	}
	if p.Columns < 8 || p.Columns*cellW > p.Dots {
		errs = append(errs, fmt.Errorf("columns %d: want 8..%d", p.Columns, p.Dots/cellW))
	}
	if len(p.CodePages) == 0 {
		errs = append(errs, errors.New("no code pages"))
	}
	for _, cp := range p.CodePages {
		if charmapFor(cp.Name) == nil {
			errs = append(errs, fmt.Errorf("code page %q: unknown table", cp.Name))
		}
	}
	if p.QRModule < 1 || p.QRModule > 16 {
		errs = append(errs, fmt.Errorf("qr_module %d: want 1..16", p.QRModule))
	}
	if len(errs) > 0 {
		return fmt.Errorf("escpos: profile %q: %w", p.Name, errors.Join(errs...))
	}
	return nil
}

// charmapFor returns the table for a code page name, nil if unknown.
func charmapFor(name string) *charmap.Charmap {
	switch name {
	case "pc866":
		return charmap.CodePage866
	case "wpc1251":
		return charmap.Windows1251
	case "pc437":
		return charmap.CodePage437
	}
	return nil
}

// CodePageTable returns the Unicode decoding of the named code page's
// bytes 0x80-0xFF (index b-0x80), false if the name is unknown.
func CodePageTable(name string) (tab [128]rune, ok bool) {
	cm := charmapFor(name)
	if cm == nil {
		return tab, false
	}
	for i := range tab {
		tab[i] = cm.DecodeByte(byte(0x80 + i))
	}
	return tab, true
}

// ParseProfile reads one profile from JSON and validates it.
func ParseProfile(r io.Reader) (Profile, error) {
	var p Profile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("escpos: parse profile: %w", err)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

var shipped = func() map[string]Profile {
	m := map[string]Profile{}
	files, err := fs.Glob(profileFS, "profiles/*.json")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		b, err := profileFS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		p, err := ParseProfile(strings.NewReader(string(b)))
		if err != nil {
			panic(fmt.Sprintf("escpos: embedded %s: %v", f, err))
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); p.Name != want {
			panic(fmt.Sprintf("escpos: embedded %s names itself %q", f, p.Name))
		}
		m[p.Name] = p
	}
	return m
}()

// ProfileNames lists the shipped profiles, sorted.
func ProfileNames() []string {
	names := make([]string, 0, len(shipped))
	for n := range shipped {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns a shipped profile by name.
func LookupProfile(name string) (Profile, error) {
	p, ok := shipped[name]
	if !ok {
		return Profile{}, fmt.Errorf("%w %q (have %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
	}
	p.CodePages = slices.Clone(p.CodePages)
	return p, nil
}
