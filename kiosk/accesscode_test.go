package kiosk

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestNewAccessCode(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{8}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c, err := NewAccessCode()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(c) {
			t.Fatalf("code %q is not 8 Crockford symbols", c)
		}
		if seen[c] {
			t.Fatalf("code %q issued twice in 1000 draws", c)
		}
		seen[c] = true
		if f := FormatAccessCode(c); len(f) != 9 || f[4] != '-' {
			t.Fatalf("FormatAccessCode(%q) = %q", c, f)
		}
	}
}

func TestNormalizeAccessCode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"ABCD-1234", "ABCD1234", true},
		{"abcd1234", "ABCD1234", true},
		{" abcd 1234 ", "ABCD1234", true},
		{"ILO0-ABCD", "1100ABCD", true}, // I and L read as 1, O as 0
		{"ABCD-123U", "", false},        // U is not in the alphabet
		{"ABCD-123", "", false},
		{"ABCD-12345", "", false},
		{"АВСD-1234", "", false}, // Cyrillic letters
		{"", "", false},
		{strings.Repeat("A", 100), "", false},
	} {
		got, ok := NormalizeAccessCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeAccessCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAccessCodeHash(t *testing.T) {
	h1, err := HashAccessCode("ABCD1234")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashAccessCode("ABCD1234")
	if h1 == h2 {
		t.Fatal("two hashes of the same code are equal: no salt")
	}
	if strings.Contains(h1, "ABCD1234") {
		t.Fatal("hash contains the code")
	}
	if !CheckAccessCode(h1, "ABCD1234") || !CheckAccessCode(h2, "ABCD1234") {
		t.Fatal("right code refused")
	}
	for _, wrong := range []string{"ABCD1235", "", "abcd1234"} {
		if CheckAccessCode(h1, wrong) {
			t.Fatalf("wrong code %q accepted", wrong)
		}
	}
	for _, bad := range []string{"", "argon2id$1$1024$1$$", "bcrypt$x", strings.Replace(h1, fmt.Sprintf("$%d$", hashMemory), "$4294967296$", 1),
		strings.Replace(h1, "argon2id$1$", "argon2id$99$", 1)} {
		if CheckAccessCode(bad, "ABCD1234") {
			t.Fatalf("malformed hash %q matched", bad)
		}
	}
}
