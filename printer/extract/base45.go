package extract

import (
	"errors"
	"fmt"
	"strings"
)

// base45Alphabet is the RFC 9285 alphabet: exactly the QR alphanumeric set,
// so a base45 string fits the QR code's compact alphanumeric mode.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// ErrBase45 is wrapped by every base45 decoding error.
var ErrBase45 = errors.New("invalid base45")

// Base45Encode encodes b as in RFC 9285: each pair of bytes [a b] becomes the
// value a*256+b written as three base-45 digits c d e (least significant
// first); a final odd byte becomes two digits.
func Base45Encode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45%45])
		sb.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

var base45Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// Base45Decode decodes an RFC 9285 string. It refuses characters outside the
// alphabet (including lower case), a length of 1 mod 3, and groups whose
// value exceeds 65535 (or 255 for a final pair), as the RFC requires.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d leaves a single character", ErrBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		var d [3]int
		n := min(3, len(s)-i)
		for j := range n {
			v := base45Value[s[i+j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: character %q at %d", ErrBase45, s[i+j], i+j)
			}
			d[j] = int(v)
		}
		v := d[0] + d[1]*45 + d[2]*2025
		if n == 3 {
			if v > 0xFFFF {
				return nil, fmt.Errorf("%w: group %q at %d exceeds 65535", ErrBase45, s[i:i+3], i)
			}
			out = append(out, byte(v>>8), byte(v))
		} else {
			if v > 0xFF {
				return nil, fmt.Errorf("%w: final pair %q exceeds 255", ErrBase45, s[i:])
			}
			out = append(out, byte(v))
		}
	}
	return out, nil
}
