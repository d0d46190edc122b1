package chart

import (
	"strings"
	"unicode"
)

type widthRange struct {
	lo            rune
	regular, bold []uint16
}

// runeWidth is r's advance in thousandths of an em in DejaVu Sans (bold
// or not). Runes outside metrics.go are estimated: wide for East Asian
// scripts, 0 for combining marks, 0.6 em otherwise.
func runeWidth(r rune, bold bool) int {
	for i := range widths {
		w := &widths[i]
		if r >= w.lo && int(r-w.lo) < len(w.regular) {
			var a uint16
			if bold {
				a = w.bold[r-w.lo]
			} else {
				a = w.regular[r-w.lo]
			}
			if a != 0 {
				return int(a)
			}
			break
		}
	}
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
		return 0
	case r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || r >= 0x1F300 && r <= 0x1FAFF):
		return 1000
	}
	return 600
}

// TextWidth is the width of s set in DejaVu Sans at size (in the same unit
// as size), without kerning, as gofpdf measures it.
func TextWidth(s string, size float64, bold bool) float64 {
	n := 0
	for _, r := range s {
		n += runeWidth(r, bold)
	}
	return float64(n) * size / 1000
}

// ellipsis ends a cut text. It is three full stops, not U+2026: the kiosk
// pages' font (ui/static/font.ttf) maps U+2026 to an empty glyph, which
// Chromium draws as nothing rather than falling back to another font.
const ellipsis = "..."

// fit cuts s so that it is at most w wide at size, ending it with
// [ellipsis] when it cuts; "" when not even one letter and the ellipsis
// fit.
func fit(s string, size, w float64, bold bool) string {
	if TextWidth(s, size, bold) <= w {
		return s
	}
	limit := int(w*1000/size) - int(TextWidth(ellipsis, 1000, bold))
	n := 0
	for i, r := range s {
		n += runeWidth(r, bold)
		if n > limit {
			if i == 0 {
				return ""
			}
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + ellipsis
		}
	}
	return s
}

// wrap sets s in at most lines lines of width w: it breaks at spaces
// (and after hyphens and slashes) and cuts the last line with
// [ellipsis].
func wrap(s string, size, w float64, bold bool, lines int) []string {
	var out []string
	for len(out) < lines-1 && TextWidth(s, size, bold) > w {
		cut := -1
		for i, r := range s {
			if i > 0 && (r == ' ' || r == '-' || r == '/' || r == '–') {
				end := i
				if r != ' ' {
					end = i + len(string(r))
				}
				if TextWidth(s[:end], size, bold) > w {
					break
				}
				cut = end
			}
		}
		if cut <= 0 {
			break
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	return append(out, fit(s, size, w, bold))
}
