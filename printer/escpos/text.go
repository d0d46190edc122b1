package escpos

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Sanitize returns the printable lines of user text, as the encoder prints
// them (before word wrap): see the package doc for the rules. The result
// holds no rune below U+0020, no DEL, no C1 control and no format character.
func Sanitize(s string) []string {
	s = norm.NFC.String(s)
	var lines []string
	var cur strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\u2028' || r == '\u2029':
			lines = append(lines, cur.String())
			cur.Reset()
		case r == '\t':
			cur.WriteByte(' ')
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0):
			// C0, DEL, C1: dropped.
		case unicode.Is(unicode.Zs, r):
			cur.WriteByte(' ')
		case unicode.In(r, unicode.Cf, unicode.Cs, unicode.Co, unicode.Mn, unicode.Me):
			// Format characters, surrogates, private use, combining
			// marks left after NFC: dropped (documented).
		case !unicode.IsPrint(r) && !unicode.IsGraphic(r):
			// Unassigned or otherwise invisible.
			fmt.Fprintf(&cur, "[U+%04X]", r)
		case r < 0x7F:
			cur.WriteRune(r)
		case isUDCLetter(r) || pageHas(r):
			cur.WriteRune(r)
		case glyphs.hasGlyph(r):
			cur.WriteRune(r)
		default:
			fmt.Fprintf(&cur, "[U+%04X]", r)
		}
	}
	lines = append(lines, cur.String())
	return lines
}

// pageHas reports whether a shipped code page table holds r.
func pageHas(r rune) bool {
	for _, name := range []string{"pc866", "wpc1251"} {
		if b, ok := charmapFor(name).EncodeRune(r); ok && b >= 0x80 {
			return true
		}
	}
	return false
}

// Wrap breaks one sanitised line into lines of at most width runes (every
// rune is one cell). Breaks fall on spaces, which are consumed; a word
// longer than width is split. Leading spaces of the first line and spaces
// between words on a line are kept; trailing spaces are dropped. The
// non-space runes come out complete and in order.
func Wrap(line string, width int) []string {
	if width < 1 {
		width = 1
	}
	rs := []rune(line)
	var out []string
	var cur []rune
	first := true
	flush := func() {
		out = append(out, strings.TrimRight(string(cur), " "))
		cur = cur[:0]
		first = false
	}
	i := 0
	for i < len(rs) {
		j := i
		for j < len(rs) && rs[j] == ' ' {
			j++
		}
		sp := rs[i:j]
		k := j
		for k < len(rs) && rs[k] != ' ' {
			k++
		}
		word := rs[j:k]
		i = k
		if len(word) == 0 {
			break // trailing spaces
		}
		if len(cur) == 0 && !first {
			sp = nil
		}
		switch {
		case len(cur)+len(sp)+len(word) <= width:
			cur = append(cur, sp...)
			cur = append(cur, word...)
		case len(word) <= width && len(cur) > 0:
			flush()
			cur = append(cur, word...)
		default:
			// Split a long word: fill the current line first.
			if len(cur) > 0 {
				cur = append(cur, ' ')
			} else {
				cur = append(cur, sp...)
			}
			for len(word) > 0 {
				room := width - len(cur)
				if room <= 0 {
					flush()
					continue
				}
				n := min(room, len(word))
				cur = append(cur, word[:n]...)
				word = word[n:]
			}
		}
	}
	if len(cur) > 0 || len(out) == 0 {
		flush()
	}
	return out
}
