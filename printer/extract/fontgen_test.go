package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"cpckiosk/printer/font"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/sfnt"
)

// TestSubsetFonts makes the PDF fonts from the DejaVu fonts of
// cpckiosk/printer/font and the coverage table from them, and checks that
// the committed files are exactly what it makes; -update rewrites them.
func TestSubsetFonts(t *testing.T) {
	sansRunes := intersect(t, expand(subsetRanges), font.Sans, font.SansBold)
	files := map[string][]byte{
		"fonts/DejaVuSans-subset.ttf":      subsetFont(t, font.Sans, sansRunes),
		"fonts/DejaVuSans-Bold-subset.ttf": subsetFont(t, font.SansBold, sansRunes),
		"fontcover.go":                     coverageSource(t, sansRunes),
	}
	for name, got := range files {
		if *update {
			if err := os.WriteFile(name, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the generator makes from printer/font (go test -run TestSubsetFonts -update)", name)
		}
	}
}

// TestSubsetCoverage checks the embedded fonts against the coverage table:
// every rune printable accepts has a glyph in both sans fonts, runes left
// out are not printable, and every word of the four languages is printable.
func TestSubsetCoverage(t *testing.T) {
	for name, b := range map[string][]byte{"sans": subsetSans, "bold": subsetSansBold} {
		f, err := sfnt.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var buf sfnt.Buffer
		n := 0
		for _, rt := range fontCoverage.R16 {
			for r := rune(rt.Lo); r <= rune(rt.Hi); r += rune(rt.Stride) {
				if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
					t.Errorf("%s: no glyph for printable %U", name, r)
				}
				n++
			}
		}
		if n < 500 || n > 1000 {
			t.Errorf("%s: %d printable runes, want a few hundred", name, n)
		}
		if g, _ := f.GlyphIndex(&buf, 'ק'); g != 0 {
			t.Errorf("%s: has Hebrew, which the subset leaves out", name)
		}
	}
	for _, r := range "ҒғӢӣҚқӮӯҲҳҶҷЎў№—•…·«»\uFFFDʻ" {
		if !printable(r) {
			t.Errorf("%q (%U) not printable", r, r)
		}
	}
	for _, r := range "\u202E\u200B\u0000😀中ק" {
		if printable(r) {
			t.Errorf("%U printable, want not", r)
		}
	}
	for code, l := range lang {
		for _, s := range allTexts(l) {
			for _, r := range s {
				if !printable(r) {
					t.Errorf("%s: %q has %U, which the fonts lack", code, s, r)
				}
			}
		}
	}
}

func expand(ranges []struct{ lo, hi rune }) []rune {
	var out []rune
	for _, rg := range ranges {
		for r := rg.lo; r <= rg.hi; r++ {
			out = append(out, r)
		}
	}
	return out
}

// intersect keeps the runes every font has a glyph for.
func intersect(t *testing.T, runes []rune, fonts ...[]byte) []rune {
	t.Helper()
	var buf sfnt.Buffer
	for _, b := range fonts {
		f, err := sfnt.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		runes = slices.DeleteFunc(runes, func(r rune) bool {
			g, err := f.GlyphIndex(&buf, r)
			return err != nil || g == 0
		})
	}
	return runes
}

// subsetFont cuts full down to runes with gofpdf's own subsetter, then
// replaces the name table with a short one (gofpdf copies the name table
// into every PDF; DejaVu's carries the whole licence, twice).
func subsetFont(t *testing.T, full []byte, runes []rune) []byte {
	t.Helper()
	cut := gofpdf.UTF8CutFont(full, string(runes))
	if len(cut) == 0 {
		t.Fatal("gofpdf.UTF8CutFont returned nothing")
	}
	tables := readTables(t, cut)
	tables["name"] = shortNames(t, tables["name"])
	return writeTables(tables)
}

func readTables(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	n := int(binary.BigEndian.Uint16(b[4:]))
	out := map[string][]byte{}
	for i := range n {
		rec := b[12+16*i:]
		off, size := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if int(off+size) > len(b) {
			t.Fatalf("table %q out of the file", rec[:4])
		}
		out[string(rec[:4])] = b[off : off+size]
	}
	return out
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

// writeTables assembles a TrueType file with the tables in tag order and
// fixes head.checkSumAdjustment.
func writeTables(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	n := len(tags)
	pow := 1
	for pow*2 <= n {
		pow *= 2
	}
	log2 := 0
	for 1<<(log2+1) <= pow {
		log2++
	}
	var out bytes.Buffer
	binary.Write(&out, binary.BigEndian, []uint32{0x00010000})
	binary.Write(&out, binary.BigEndian, []uint16{uint16(n), uint16(pow * 16), uint16(log2), uint16(n*16 - pow*16)})
	off := 12 + 16*n
	headAt := 0
	for _, tag := range tags {
		data := tables[tag]
		if tag == "head" {
			data = bytes.Clone(data)
			binary.BigEndian.PutUint32(data[8:], 0)
			tables[tag] = data
			headAt = off
		}
		out.WriteString(tag)
		binary.Write(&out, binary.BigEndian, []uint32{checksum(data), uint32(off), uint32(len(data))})
		off += (len(data) + 3) &^ 3
	}
	for _, tag := range tags {
		out.Write(tables[tag])
		out.Write(make([]byte, (4-len(tables[tag])%4)%4))
	}
	b := out.Bytes()
	binary.BigEndian.PutUint32(b[headAt+8:], 0xB1B0AFBA-checksum(b))
	return b
}

// shortNames keeps the Windows English records of the name table that say
// what the font is and whose: copyright, family, style, unique id, full
// name, version, PostScript name, licence URL.
func shortNames(t *testing.T, name []byte) []byte {
	t.Helper()
	be := binary.BigEndian
	if be.Uint16(name) != 0 {
		t.Fatalf("name table format %d", be.Uint16(name))
	}
	count, storage := int(be.Uint16(name[2:])), int(be.Uint16(name[4:]))
	type rec struct {
		id   uint16
		text []byte
	}
	var keep []rec
	for i := range count {
		r := name[6+12*i:]
		platform, enc, lang, id := be.Uint16(r), be.Uint16(r[2:]), be.Uint16(r[4:]), be.Uint16(r[6:])
		size, off := int(be.Uint16(r[8:])), int(be.Uint16(r[10:]))
		if platform == 3 && enc == 1 && lang == 0x409 && (id <= 6 || id == 14) {
			keep = append(keep, rec{id, name[storage+off : storage+off+size]})
		}
	}
	if len(keep) < 6 {
		t.Fatalf("name table has %d Windows English records", len(keep))
	}
	var hdr, data bytes.Buffer
	binary.Write(&hdr, be, []uint16{0, uint16(len(keep)), uint16(6 + 12*len(keep))})
	for _, r := range keep {
		binary.Write(&hdr, be, []uint16{3, 1, 0x409, r.id, uint16(len(r.text)), uint16(data.Len())})
		data.Write(r.text)
	}
	return append(hdr.Bytes(), data.Bytes()...)
}

// coverageSource is fontcover.go: the runes the sans subsets have.
func coverageSource(t *testing.T, runes []rune) []byte {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("// Code generated by TestSubsetFonts (go test -run TestSubsetFonts -update); DO NOT EDIT.\n\n")
	sb.WriteString("package extract\n\nimport \"unicode\"\n\n")
	sb.WriteString("// fontCoverage is the set of runes both sans subsets have a glyph for.\n")
	sb.WriteString("var fontCoverage = &unicode.RangeTable{\n\tR16: []unicode.Range16{\n")
	latin := 0
	for i := 0; i < len(runes); {
		j := i
		for j+1 < len(runes) && runes[j+1] == runes[j]+1 {
			j++
		}
		if runes[i] > 0xFFFF {
			t.Fatalf("%U outside the BMP", runes[i])
		}
		fmt.Fprintf(&sb, "\t\t{Lo: %#04x, Hi: %#04x, Stride: 1},\n", runes[i], runes[j])
		if runes[j] <= unicode.MaxLatin1 {
			latin++
		}
		i = j + 1
	}
	fmt.Fprintf(&sb, "\t},\n\tLatinOffset: %d,\n}\n", latin)
	src, err := format.Source([]byte(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// allTexts lists every string of l: fields, map values and month names.
func allTexts(l *texts) []string {
	var out []string
	v := reflect.ValueOf(l).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			out = append(out, f.String())
		case reflect.Map:
			for _, k := range f.MapKeys() {
				out = append(out, f.MapIndex(k).String())
			}
		case reflect.Slice:
			for j := range f.Len() {
				out = append(out, f.Index(j).String())
			}
		}
	}
	return out
}
