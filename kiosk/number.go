package kiosk

import (
	"fmt"
	"strings"
)

// MaxSeq is the largest per-kiosk, per-year sequence a number can carry.
const MaxSeq = 999999

// Number is a registration number (DESIGN 3.1): <CPC><K>-<YY>-<NNNNNN>-<C>.
//
// A number of training mode carries a T before the sequence,
// <CPC><K>-<YY>-T<NNNNNN>-<C> (e.g. ISF1-26-T000001-5), and its check digit
// is computed with a leading 1 (see Check). So a training number with its
// T dropped or misread is never a valid real number (the check digit always
// differs), a real number with a T added is never a valid training number,
// and a training number is one character longer than any real one.
type Number struct {
	CPC      string // three capital Latin letters
	Kiosk    int    // 1-9
	Year     int    // two digits, 0-99
	Seq      int    // 1-999999
	Training bool   // a record of training mode (the T series): never relayed
}

// dammTable is the quasigroup of order 10 of H. Michael Damm's check digit
// scheme; it detects every single-digit error and every adjacent transposition.
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// Damm returns the Damm check digit of a string of ASCII digits. It panics on
// a non-digit: callers pass digits they formatted themselves.
func Damm(digits string) int {
	var interim byte
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if d > 9 {
			panic("kiosk.Damm: not a digit: " + digits)
		}
		interim = dammTable[interim][d]
	}
	return int(interim)
}

func (n Number) digits() string {
	return fmt.Sprintf("%d%02d%06d", n.Kiosk, n.Year, n.Seq)
}

// trainingSalt leads the digits of a training number's check. Damm's
// quasigroup is a Latin square, so the check of the same digits from a
// different starting point always differs: the T series and the real one
// never share a check digit for the same kiosk, year and sequence.
const trainingSalt = "1"

// Check returns the number's check digit.
func (n Number) Check() int {
	if n.Training {
		return Damm(trainingSalt + n.digits())
	}
	return Damm(n.digits())
}

// String formats the number, e.g. ISF1-26-000001-7, or ISF1-26-T000001-5
// in training mode.
func (n Number) String() string {
	t := ""
	if n.Training {
		t = "T"
	}
	return fmt.Sprintf("%s%d-%02d-%s%06d-%d", n.CPC, n.Kiosk, n.Year, t, n.Seq, n.Check())
}

// IsZero reports whether the number was never assigned.
func (n Number) IsZero() bool { return n.Seq == 0 }

// Valid reports whether every part is in range.
func (n Number) Valid() bool {
	return ValidCPC(n.CPC) && n.Kiosk >= 1 && n.Kiosk <= 9 && n.Year >= 0 && n.Year <= 99 &&
		n.Seq >= 1 && n.Seq <= MaxSeq
}

// ValidCPC reports whether s is a centre code: three capital Latin letters.
func ValidCPC(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// cyrillicLookalikes maps Cyrillic capitals that look like Latin ones, so a
// number typed on a Cyrillic keyboard layout is still understood.
var cyrillicLookalikes = strings.NewReplacer(
	"А", "A", "В", "B", "Е", "E", "К", "K", "М", "M", "Н", "H", "О", "O",
	"Р", "P", "С", "C", "Т", "T", "Х", "X", "У", "Y",
)

// ParseNumber reads a registration number typed by a person: any case, with
// or without dashes and spaces. A malformed number or a wrong check digit
// gives an error wrapping ErrInvalidNumber, before any lookup is made. A
// training number (a T, Latin or Cyrillic, right before the sequence) parses
// with Training set; a T anywhere else is refused.
func ParseNumber(s string) (Number, error) {
	if len(s) > 64 {
		return Number{}, fmt.Errorf("parse number: too long: %w", ErrInvalidNumber)
	}
	t := cyrillicLookalikes.Replace(strings.ToUpper(s))
	var b strings.Builder
	for _, r := range t {
		switch {
		case r == '-' || r == ' ' || r == '\u00a0' || r == '\u2010' || r == '\u2013':
			continue
		case r > 0x7f:
			return Number{}, fmt.Errorf("parse number: unexpected character %q: %w", r, ErrInvalidNumber)
		}
		b.WriteRune(r)
	}
	c := b.String()
	training := len(c) == 14 && c[6] == 'T'
	if training {
		c = c[:6] + c[7:]
	}
	if len(c) != 13 || !ValidCPC(c[:3]) {
		return Number{}, fmt.Errorf("parse number: want AAA K YY NNNNNN C: %w", ErrInvalidNumber)
	}
	for i := 3; i < 13; i++ {
		if c[i] < '0' || c[i] > '9' {
			return Number{}, fmt.Errorf("parse number: want digits after the centre code: %w", ErrInvalidNumber)
		}
	}
	n := Number{CPC: c[:3], Kiosk: int(c[3] - '0'), Year: atoi(c[4:6]), Seq: atoi(c[6:12]), Training: training}
	if !n.Valid() {
		return Number{}, fmt.Errorf("parse number: kiosk digit or sequence out of range: %w", ErrInvalidNumber)
	}
	if got := int(c[12] - '0'); got != n.Check() {
		return Number{}, fmt.Errorf("parse number: check digit %d does not match: %w", got, ErrInvalidNumber)
	}
	return n, nil
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}
