package extract

import (
	_ "embed"
	"unicode"
)

// The PDF fonts are subsets of the DejaVu fonts in cpckiosk/printer/font,
// made once by TestSubsetFonts (go test -run TestSubsetFonts -update
// rewrites them): only the glyphs of subsetRanges, no hinting, and a short
// name table. gofpdf parses every font it is given for every document, so a
// font of a few hundred glyphs instead of six thousand is most of the speed
// of Render. The licence is in fonts/LICENSE-DejaVu.txt.
var (
	//go:embed fonts/DejaVuSans-subset.ttf
	subsetSans []byte
	//go:embed fonts/DejaVuSans-Bold-subset.ttf
	subsetSansBold []byte
)

// subsetRanges are the characters the sans subsets keep, where DejaVu Sans
// and DejaVu Sans Bold both have them: Latin (with Latin-1 and Extended-A,
// for names written in Latin script), the modifier letters Uzbek Latin
// uses, the whole Cyrillic block (Russian, Tajik, Uzbek, Kazakh, Kyrgyz),
// general punctuation, currency signs, №, and U+FFFD, which stands in for
// anything else (see clean).
var subsetRanges = []struct{ lo, hi rune }{
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

// printable reports whether the sans fonts have a glyph for r. The table is
// generated with the fonts (fontcover.go).
func printable(r rune) bool { return unicode.Is(fontCoverage, r) }
