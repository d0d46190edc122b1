package kiosk

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"
)

var numberRE = regexp.MustCompile(`^[A-Z]{3}[1-9]-[0-9]{2}-[0-9]{6}-[0-9]$`)

func TestDammKnownVectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"572", 4},        // the textbook example
		{"5724", 0},       // a number with its check digit checks to 0
		{"", 0},           // empty
		{"0000000000", 0}, // zeros
		{"11294", 6},
	} {
		if got := Damm(tc.in); got != tc.want {
			t.Errorf("Damm(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// Damm detects every single-digit error and every adjacent transposition.
func TestDammDetectsTyposOfRealNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		n := Number{CPC: "ISF", Kiosk: 1 + rng.IntN(9), Year: rng.IntN(100), Seq: 1 + rng.IntN(MaxSeq)}
		d := n.digits() + fmt.Sprint(n.Check())
		if Damm(d) != 0 {
			t.Fatalf("%s: full number does not check to 0", d)
		}
		b := []byte(d)
		for p := range b {
			orig := b[p]
			for v := byte('0'); v <= '9'; v++ {
				if v == orig {
					continue
				}
				b[p] = v
				if Damm(string(b)) == 0 {
					t.Fatalf("%s: single-digit error at %d (%c) not detected", d, p, v)
				}
			}
			b[p] = orig
			if p+1 < len(b) && b[p] != b[p+1] {
				b[p], b[p+1] = b[p+1], b[p]
				if Damm(string(b)) == 0 {
					t.Fatalf("%s: transposition at %d not detected", d, p)
				}
				b[p], b[p+1] = b[p+1], b[p]
			}
		}
	}
}

func TestNumberString(t *testing.T) {
	n := Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 123}
	s := n.String()
	if !numberRE.MatchString(s) {
		t.Fatalf("%q does not match the contract's regex", s)
	}
	if s[:15] != "ISF1-26-000123-" || Damm("126000123") != int(s[15]-'0') {
		t.Fatalf("String() = %q", s)
	}
	back, err := ParseNumber(s)
	if err != nil || back != n {
		t.Fatalf("ParseNumber(%q) = %v, %v", s, back, err)
	}
}

func TestParseNumber(t *testing.T) {
	good := Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 123}
	c := fmt.Sprint(good.Check())
	wrong := fmt.Sprint((good.Check() + 1) % 10)
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"canonical", "ISF1-26-000123-" + c, true},
		{"lower case", "isf1-26-000123-" + c, true},
		{"no dashes", "ISF126000123" + c, true},
		{"spaces", " ISF1 26 000123 " + c + " ", true},
		{"cyrillic look-alikes", "ІSF1-26-000123-" + c, false}, // Ukrainian I is not folded
		{"cyrillic С and Е", "СЕF1-26-000123-" + c, false},     // folds to the centre CEF, checked below
		{"wrong check digit", "ISF1-26-000123-" + wrong, false},
		{"too short", "ISF1-26-00123-" + c, false},
		{"too long", "ISF1-26-0000123-" + c, false},
		{"kiosk zero", "ISF0-26-000123-" + fmt.Sprint(Damm("026000123")), false},
		{"sequence zero", "ISF1-26-000000-" + fmt.Sprint(Damm("126000000")), false},
		{"digit in centre", "IS11-26-000123-" + c, false},
		{"letter in digits", "ISF1-26-00O123-" + c, false},
		{"empty", "", false},
		{"huge", string(make([]byte, 10000)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNumber(tc.in)
			if tc.ok {
				if err != nil || n != good {
					t.Fatalf("ParseNumber(%q) = %v, %v; want %v", tc.in, n, err, good)
				}
				return
			}
			if tc.name == "cyrillic С and Е" { // folds into a valid-looking number of another centre
				if err != nil || n.CPC != "CEF" {
					t.Fatalf("ParseNumber(%q) = %v, %v; want centre CEF", tc.in, n, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("ParseNumber(%q) = %v, %v; want ErrInvalidNumber", tc.in, n, err)
			}
		})
	}
}
