package summary

import (
	"fmt"
	"strings"
	"sync"

	"cpckiosk/printer/font"
	"cpckiosk/ui/chart"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/sfnt"
)

// fontRanges are the characters of the fonts: those of the extracts'
// subsets (printer/extract/fonts.go) where DejaVu Sans and Sans Bold both
// have them.
var fontRanges = []struct{ lo, hi rune }{
	{0x0020, 0x007E},
	{0x00A0, 0x017F},
	{0x02B9, 0x02BC},
	{0x02C6, 0x02C7},
	{0x02D8, 0x02DD},
	{0x0400, 0x04FF},
	{0x2010, 0x2027},
	{0x2030, 0x203A},
	{0x20A0, 0x20C0},
	{0x2116, 0x2116},
	{0x2122, 0x2122},
	{0x2190, 0x2193},
	{0x2212, 0x2212},
	{0xFFFD, 0xFFFD},
}

// fonts are DejaVu Sans and Sans Bold cut to fontRanges, and the set of
// runes both have. gofpdf parses every font it is given for every
// document, so cutting the six thousand glyphs to seven hundred, once per
// process, is most of the speed of Render.
var fonts = sync.OnceValues(func() (*fontSet, error) {
	var runes []rune
	var sb strings.Builder
	for _, rg := range fontRanges {
		for r := rg.lo; r <= rg.hi; r++ {
			runes = append(runes, r)
		}
	}
	have := map[rune]bool{}
	for _, r := range runes {
		have[r] = true
	}
	for _, b := range [][]byte{font.Sans, font.SansBold} {
		f, err := sfnt.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("summary: font: %w", err)
		}
		var buf sfnt.Buffer
		for _, r := range runes {
			if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
				delete(have, r)
			}
		}
	}
	for _, r := range runes {
		if have[r] {
			sb.WriteRune(r)
		}
	}
	fs := &fontSet{have: have}
	fs.sans = gofpdf.UTF8CutFont(font.Sans, sb.String())
	fs.bold = gofpdf.UTF8CutFont(font.SansBold, sb.String())
	if len(fs.sans) == 0 || len(fs.bold) == 0 {
		return nil, fmt.Errorf("summary: font: cutting DejaVu Sans failed")
	}
	return fs, nil
})

type fontSet struct {
	sans, bold []byte
	have       map[rune]bool
}

// clean makes text printable with the fonts, as the extracts do: it is
// tidied as the charts' texts are ([chart.Clean]: invalid UTF-8 as U+FFFD,
// NFC, runs of spaces and line breaks as one space, control and format
// characters such as bidi overrides dropped), then any rune the fonts lack
// becomes U+FFFD.
func (fs *fontSet) clean(s string) string {
	return strings.Map(func(r rune) rune {
		if !fs.have[r] {
			return '\uFFFD'
		}
		return r
	}, chart.Clean(s))
}
