package ui

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
)

// subsetFont cuts a TrueType font down to the glyphs of runes (plus the
// parts of composite glyphs and .notdef). It keeps glyph numbers as they
// are and empties the outlines of every other glyph, drops the layout and
// kerning tables and the glyph names, and rewrites loca, post and the
// checksums. That is far simpler than renumbering glyphs and, with gzip on
// the wire, nearly as small.
func subsetFont(ttf []byte, runes []rune) ([]byte, error) {
	f, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("subset font: %w", err)
	}
	type table struct {
		tag  string
		data []byte
	}
	if len(ttf) < 12 {
		return nil, errors.New("subset font: too short")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	tables := map[string][]byte{}
	for i := range n {
		rec := ttf[12+16*i:]
		tag := string(rec[:4])
		off, ln := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if int(off)+int(ln) > len(ttf) {
			return nil, fmt.Errorf("subset font: table %s out of bounds", tag)
		}
		tables[tag] = ttf[off : off+ln]
	}
	head, maxp, loca, glyf := tables["head"], tables["maxp"], tables["loca"], tables["glyf"]
	if len(head) < 54 || len(maxp) < 6 || loca == nil || glyf == nil {
		return nil, errors.New("subset font: not a TrueType font with glyf outlines")
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offset := func(g int) int {
		if long {
			return int(binary.BigEndian.Uint32(loca[4*g:]))
		}
		return 2 * int(binary.BigEndian.Uint16(loca[2*g:]))
	}
	if (long && len(loca) < 4*(numGlyphs+1)) || (!long && len(loca) < 2*(numGlyphs+1)) {
		return nil, errors.New("subset font: loca too short")
	}

	keep := map[int]bool{0: true}
	var buf sfnt.Buffer
	var queue []int
	for _, r := range runes {
		gi, err := f.GlyphIndex(&buf, r)
		if err == nil && gi != 0 && !keep[int(gi)] {
			keep[int(gi)] = true
			queue = append(queue, int(gi))
		}
	}
	// Composite glyphs (Ӯ = У + macron…) need their components.
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		s, e := offset(g), offset(g+1)
		if e <= s || e > len(glyf) || e-s < 10 || int16(binary.BigEndian.Uint16(glyf[s:])) >= 0 {
			continue
		}
		p := s + 10
		for p+4 <= e {
			flags := binary.BigEndian.Uint16(glyf[p:])
			comp := int(binary.BigEndian.Uint16(glyf[p+2:]))
			if comp < numGlyphs && !keep[comp] {
				keep[comp] = true
				queue = append(queue, comp)
			}
			p += 4
			if flags&0x0001 != 0 { // ARG_1_AND_2_ARE_WORDS
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&0x0008 != 0: // WE_HAVE_A_SCALE
				p += 2
			case flags&0x0040 != 0: // X_AND_Y_SCALE
				p += 4
			case flags&0x0080 != 0: // TWO_BY_TWO
				p += 8
			}
			if flags&0x0020 == 0 { // MORE_COMPONENTS
				break
			}
		}
	}

	var newGlyf []byte
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(len(newGlyf)))
		if keep[g] {
			s, e := offset(g), offset(g+1)
			if e > s && e <= len(glyf) {
				newGlyf = append(newGlyf, glyf[s:e]...)
				for len(newGlyf)%4 != 0 {
					newGlyf = append(newGlyf, 0)
				}
			}
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*numGlyphs:], uint32(len(newGlyf)))

	newHead := append([]byte(nil), head...)
	binary.BigEndian.PutUint16(newHead[50:], 1) // long loca
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment, set below
	post := tables["post"]
	var newPost []byte
	if len(post) >= 32 {
		newPost = append([]byte(nil), post[:32]...)
		binary.BigEndian.PutUint32(newPost, 0x00030000) // no glyph names
	}

	var out []table
	for tag, data := range tables {
		switch tag {
		case "GPOS", "GSUB", "GDEF", "kern", "MATH", "FFTM", "DSIG", "hdmx", "LTSH", "VDMX", "PCLT":
			continue // layout, kerning and metrics caches the kiosk can do without
		case "glyf":
			data = newGlyf
		case "loca":
			data = newLoca
		case "head":
			data = newHead
		case "post":
			if newPost == nil {
				continue
			}
			data = newPost
		}
		out = append(out, table{tag, data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].tag < out[j].tag })

	nt := len(out)
	es := 0
	for 1<<(es+1) <= nt {
		es++
	}
	hdr := make([]byte, 12+16*nt)
	copy(hdr, ttf[:4])
	binary.BigEndian.PutUint16(hdr[4:], uint16(nt))
	binary.BigEndian.PutUint16(hdr[6:], uint16(16<<es))
	binary.BigEndian.PutUint16(hdr[8:], uint16(es))
	binary.BigEndian.PutUint16(hdr[10:], uint16(nt*16-(16<<es)))
	body := []byte{}
	off := len(hdr)
	headAt := 0
	for i, t := range out {
		rec := hdr[12+16*i:]
		copy(rec, t.tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(t.data))
		binary.BigEndian.PutUint32(rec[8:], uint32(off+len(body)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(t.data)))
		if t.tag == "head" {
			headAt = off + len(body)
		}
		body = append(body, t.data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	font := append(hdr, body...)
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-checksum(font))
	if _, err := sfnt.Parse(font); err != nil {
		return nil, fmt.Errorf("subset font: result does not parse: %w", err)
	}
	return font, nil
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// fontRunes are the characters the pages can show or the keyboard can type:
// printable ASCII, Latin-1, the whole Cyrillic block (Tajik, Russian, Uzbek
// and whatever a person types), and every character of the catalogs, the
// templates and the script.
func fontRunes() []rune {
	set := map[rune]bool{}
	for r := rune(0x20); r < 0x17f; r++ {
		set[r] = true
	}
	// Cyrillic with its supplement; then what people type or data carries
	// beyond the pages' own texts: modifier letters (Uzbek ʻ), general
	// punctuation (– — … « » ‘ ’), currency, letterlike symbols (№), arrows
	// and mathematical operators (− ×). The cmap is kept whole, so a rune
	// left out would show as nothing rather than in a fallback font.
	for _, rg := range [][2]rune{{0x2b0, 0x2ff}, {0x400, 0x52f}, {0x2000, 0x206f}, {0x20a0, 0x20cf},
		{0x2100, 0x215f}, {0x2190, 0x21ff}, {0x2200, 0x22ff}} {
		for r := rg[0]; r <= rg[1]; r++ {
			set[r] = true
		}
	}
	add := func(s string) {
		for _, r := range s {
			if r != utf8.RuneError {
				set[r] = true
			}
		}
	}
	for _, cat := range catalogs {
		for k, v := range cat {
			add(k)
			add(v)
		}
	}
	for _, fsys := range []fs.FS{templateFS, staticFS} {
		fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, err := fs.ReadFile(fsys, p); err == nil && utf8.Valid(b) {
					add(string(b))
				}
			}
			return nil
		})
	}
	out := make([]rune, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
