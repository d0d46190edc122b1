package kiosk

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

var trainingRE = regexp.MustCompile(`^[A-Z]{3}[1-9]-[0-9]{2}-T[0-9]{6}-[0-9]$`)

func TestTrainingNumberFormat(t *testing.T) {
	n := Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 1, Training: true}
	s := n.String()
	if s != "ISF1-26-T000001-5" {
		t.Fatalf("String() = %q, want ISF1-26-T000001-5", s)
	}
	if !trainingRE.MatchString(s) || numberRE.MatchString(s) {
		t.Fatalf("%q: want the training form only", s)
	}
	for _, in := range []string{s, strings.ToLower(s), "ISF126T0000015", " isf1 26 t000001 5 ", "ISF1-26-Т000001-5" /* Cyrillic Т */} {
		got, err := ParseNumber(in)
		if err != nil || got != n {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v", in, got, err, n)
		}
	}
}

// A training number and a real number can never be taken for each other:
// dropping the T, replacing it by any digit, or adding a T to a real number
// always gives an invalid number, and the check digits of the two series
// differ for every kiosk, year and sequence.
func TestTrainingNumberNeverConfusedWithReal(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 3000; i++ {
		real := Number{CPC: "DSH", Kiosk: 1 + rng.IntN(9), Year: rng.IntN(100), Seq: 1 + rng.IntN(MaxSeq)}
		tr := real
		tr.Training = true
		if real.Check() == tr.Check() {
			t.Fatalf("%v and %v share a check digit", real, tr)
		}
		ts, rs := tr.String(), real.String()
		// The T dropped.
		if _, err := ParseNumber(strings.Replace(ts, "T", "", 1)); !errors.Is(err, ErrInvalidNumber) {
			t.Fatalf("%s without its T parses: %v", ts, err)
		}
		// The T misread as a digit: one character too many.
		for d := '0'; d <= '9'; d++ {
			if _, err := ParseNumber(strings.Replace(ts, "T", string(d), 1)); !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("%s with T read as %c parses: %v", ts, d, err)
			}
		}
		// A T put into a real number.
		if _, err := ParseNumber(rs[:8] + "T" + rs[8:]); !errors.Is(err, ErrInvalidNumber) {
			t.Fatalf("%s with a T added parses: %v", rs, err)
		}
		back, err := ParseNumber(ts)
		if err != nil || back != tr {
			t.Fatalf("ParseNumber(%q) = %v, %v", ts, back, err)
		}
	}
}

func TestParseTrainingNumberStrict(t *testing.T) {
	n := Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 123, Training: true}
	c := fmt.Sprint(n.Check())
	for _, in := range []string{
		"ISF1-T26-000123-" + c,  // T in the wrong place
		"ISFT1-26-000123-" + c,  // T in the wrong place
		"ISF1-26-000123T-" + c,  // T in the wrong place
		"ISF1-26-TT000123-" + c, // two Ts
		"ISF1-26-T00123-" + c,   // short sequence
		"ISF1-26-T000123-" + fmt.Sprint((n.Check()+1)%10),
		"ISF1-26-T000000-" + fmt.Sprint(Damm(trainingSalt+"126000000")),
	} {
		if got, err := ParseNumber(in); !errors.Is(err, ErrInvalidNumber) {
			t.Errorf("ParseNumber(%q) = %v, %v; want ErrInvalidNumber", in, got, err)
		}
	}
}
