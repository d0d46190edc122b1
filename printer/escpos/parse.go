package escpos

import "fmt"

// Kind classifies a token of an ESC/POS stream.
type Kind int

// Token kinds.
const (
	// KindText is a run of printable bytes (0x20-0x7E, 0x80-0xFF).
	KindText Kind = iota
	// KindCommand is a complete command this package knows.
	KindCommand
	// KindUnknown is a control byte or escape sequence this package does
	// not know; Raw holds the bytes consumed (the prefix and one byte).
	KindUnknown
)

// Token is one element of an ESC/POS stream.
type Token struct {
	Kind Kind
	// Name is the command, e.g. "ESC @", "GS v 0", "LF"; empty for text.
	Name string
	// Raw is every byte of the token, including parameters and data.
	Raw []byte
}

// Args returns the token's bytes after its name's prefix bytes.
func (t Token) Args() []byte {
	n := len(t.Raw)
	switch {
	case t.Kind != KindCommand:
		return nil
	case t.Name == "GS v 0" || t.Name == "GS ( k":
		n = 3
	case len(t.Raw) >= 2 && (t.Raw[0] == ESC || t.Raw[0] == GS || t.Raw[0] == FS || t.Raw[0] == DLE):
		n = 2
	default:
		n = 1
	}
	return t.Raw[n:]
}

func (t Token) String() string {
	if t.Kind == KindText {
		return fmt.Sprintf("text %q", t.Raw)
	}
	return fmt.Sprintf("%s % X", t.Name, t.Raw)
}

// IsTextByte reports whether b prints as a character rather than control.
func IsTextByte(b byte) bool { return b >= 0x20 && b != 0x7F }

// Next splits the first token off b. It returns n = 0 when b holds only
// the beginning of a command (read more and call again); a text token ends
// at the end of b.
func Next(b []byte) (t Token, n int) {
	if len(b) == 0 {
		return Token{}, 0
	}
	c := b[0]
	if IsTextByte(c) {
		i := 1
		for i < len(b) && IsTextByte(b[i]) {
			i++
		}
		return Token{Kind: KindText, Raw: b[:i]}, i
	}
	fixed := func(name string, size int) (Token, int) {
		if len(b) < size {
			return Token{}, 0
		}
		return Token{Kind: KindCommand, Name: name, Raw: b[:size]}, size
	}
	unknown := func(size int) (Token, int) {
		if len(b) < size {
			return Token{}, 0
		}
		return Token{Kind: KindUnknown, Name: fmt.Sprintf("unknown % X", b[:size]), Raw: b[:size]}, size
	}
	switch c {
	case LF:
		return fixed("LF", 1)
	case 0x0D:
		return fixed("CR", 1)
	case ESC:
		if len(b) < 2 {
			return Token{}, 0
		}
		switch b[1] {
		case '@':
			return fixed("ESC @", 2)
		case '2':
			return fixed("ESC 2", 2)
		case 't', '!', 'E', 'a', 'd', '%', '?', 'J', '3', '-', 'M':
			return fixed("ESC "+string(b[1]), 3)
		case '&':
			return udcDefine(b)
		}
		return unknown(2)
	case GS:
		if len(b) < 2 {
			return Token{}, 0
		}
		switch b[1] {
		case '!', 'B':
			return fixed("GS "+string(b[1]), 3)
		case 'V':
			if len(b) < 3 {
				return Token{}, 0
			}
			if b[2] >= 0x41 {
				return fixed("GS V", 4)
			}
			return fixed("GS V", 3)
		case 'v':
			if len(b) < 8 {
				return Token{}, 0
			}
			if b[2] != '0' {
				return unknown(2)
			}
			w := int(b[4]) | int(b[5])<<8
			h := int(b[6]) | int(b[7])<<8
			return fixed("GS v 0", 8+w*h)
		case '(':
			if len(b) < 5 {
				return Token{}, 0
			}
			if b[2] != 'k' {
				return unknown(2)
			}
			return fixed("GS ( k", 5+(int(b[3])|int(b[4])<<8))
		}
		return unknown(2)
	case FS:
		if len(b) < 2 {
			return Token{}, 0
		}
		if b[1] == '.' {
			return fixed("FS .", 2)
		}
		return unknown(2)
	case DLE:
		if len(b) < 2 {
			return Token{}, 0
		}
		if b[1] == EOT {
			return fixed("DLE EOT", 3)
		}
		return unknown(2)
	}
	return unknown(1)
}

// udcDefine parses ESC & y c1 c2 [x d1...d(y*x)]...
func udcDefine(b []byte) (Token, int) {
	if len(b) < 5 {
		return Token{}, 0
	}
	y, c1, c2 := int(b[2]), int(b[3]), int(b[4])
	i := 5
	if c1 <= c2 {
		for c := c1; c <= c2; c++ {
			if i >= len(b) {
				return Token{}, 0
			}
			i += 1 + y*int(b[i])
		}
	}
	if i > len(b) {
		return Token{}, 0
	}
	return Token{Kind: KindCommand, Name: "ESC &", Raw: b[:i]}, i
}

// Tokens splits a complete stream; a truncated final command is returned
// as a KindUnknown token holding the remaining bytes.
func Tokens(b []byte) []Token {
	var out []Token
	for len(b) > 0 {
		t, n := Next(b)
		if n == 0 {
			out = append(out, Token{Kind: KindUnknown, Name: "truncated", Raw: b})
			break
		}
		out = append(out, t)
		b = b[n:]
	}
	return out
}
