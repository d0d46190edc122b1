package extract

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestBase45RFC9285Vectors(t *testing.T) {
	// RFC 9285 sections 4.3 and 4.4.
	for _, tc := range []struct{ raw, enc string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\x00", "00"},
		{"\xff\xff", "FGW"},
	} {
		if got := Base45Encode([]byte(tc.raw)); got != tc.enc {
			t.Errorf("encode %q = %q, want %q", tc.raw, got, tc.enc)
		}
		got, err := Base45Decode(tc.enc)
		if err != nil || string(got) != tc.raw {
			t.Errorf("decode %q = %q, %v; want %q", tc.enc, got, err, tc.raw)
		}
	}
}

func TestBase45DecodeRejects(t *testing.T) {
	for name, in := range map[string]string{
		"group over 65535":        "GGW",
		"pair over 255":           "ZZ",
		"single trailing char":    "BB8A",
		"lower case":              "bb8",
		"outside alphabet":        "BB#",
		"non-ASCII":               "BBЖ",
		"truncated RFC example":   "QED8WEX",
		"equals sign not allowed": "BB=",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Base45Decode(in); !errors.Is(err, ErrBase45) {
				t.Fatalf("Base45Decode(%q) err = %v, want ErrBase45", in, err)
			}
		})
	}
}

func TestBase45RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		enc := Base45Encode(b)
		for _, c := range []byte(enc) {
			if bytes.IndexByte([]byte(base45Alphabet), c) < 0 {
				t.Fatalf("encoding of %x has %q outside the alphabet", b, c)
			}
		}
		got, err := Base45Decode(enc)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %x: %x, %v", b, got, err)
		}
	}
}

func TestVerificationCode(t *testing.T) {
	a := VerificationCode([]byte("signature A"))
	b := VerificationCode([]byte("signature B"))
	if len(a) != 11 || a[5] != '-' {
		t.Fatalf("code %q: want XXXXX-XXXXX", a)
	}
	if a == b {
		t.Fatalf("different signatures gave the same code %q", a)
	}
	if a != VerificationCode([]byte("signature A")) {
		t.Fatal("code is not deterministic")
	}
	for _, c := range a[:5] + a[6:] {
		if !bytes.ContainsRune([]byte(crockford), c) {
			t.Fatalf("code %q has %q outside Crockford base32", a, c)
		}
	}
	for in, want := range map[string]string{
		"ydte0jvjq2":    "YDTE0-JVJQ2",
		"YDTEO-JVJQ2":   "YDTE0-JVJQ2", // O read as 0
		"1l1i1 11111":   "11111-11111",
		"YDTE0-JVJQ":    "",
		"YDTE0-JVJQ2U":  "",
		"YDTE0-JVJQU":   "", // U is not a Crockford symbol
		"YDTE0_JVJQ2":   "",
		"  ydte0 jvjq2": "YDTE0-JVJQ2",
	} {
		if got := NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}
