package kiosk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// AccessCodeLen is the number of symbols in an access code (40 bits).
const AccessCodeLen = 8

// NewAccessCode returns a fresh random access code, 8 Crockford base32
// symbols without the dash.
func NewAccessCode() (string, error) {
	var b [AccessCodeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("access code: %w", err)
	}
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return string(b[:]), nil
}

// FormatAccessCode shows a code as XXXX-XXXX.
func FormatAccessCode(code string) string {
	if len(code) != AccessCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeAccessCode reads a code typed by a person: case-insensitive, with
// or without the dash and spaces, I and L read as 1, O as 0. ok is false when
// the result is not 8 valid symbols.
func NormalizeAccessCode(s string) (code string, ok bool) {
	return NormalizeCrockford(s, AccessCodeLen)
}

// NormalizeCrockford reads n Crockford base32 symbols typed by a person
// (access codes, extract verification codes): case and dashes or spaces are
// ignored, I and L read as 1, O as 0. ok is false for anything else.
func NormalizeCrockford(s string, n int) (string, bool) {
	if len(s) > 4*n {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ':
			continue
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		if r > 0x7f || !strings.ContainsRune(crockford, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != n {
		return "", false
	}
	return b.String(), true
}

// Argon2id parameters of new access-code hashes. A code has 40 random bits and
// wrong guesses are rate-limited online. Offline, with a copied database, a
// search of one record's code costs 2^40 hashes of 0.3 ms here (about ten
// CPU-years) and 256 KiB each, which keeps GPUs from cheapening it much. A
// costlier hash buys little more: whoever holds the board's disk also holds
// the data key (see RELIABILITY.md), and at 1 MiB the hash alone capped report
// creation below 500/s on two cores. Parameters are stored with each hash, so
// they can be raised without breaking old codes.
const (
	hashTime    = 1
	hashMemory  = 256 // KiB
	hashThreads = 1
	hashKeyLen  = 32
	hashSaltLen = 16
)

// HashAccessCode returns a salted argon2id hash of a normalised code, encoded
// as "argon2id$t$m$p$salt$hash" (salt and hash in unpadded base64).
func HashAccessCode(code string) (string, error) {
	salt := make([]byte, hashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash access code: %w", err)
	}
	sum := argon2.IDKey([]byte(code), salt, hashTime, hashMemory, hashThreads, hashKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$%d$%d$%d$%s$%s", hashTime, hashMemory, hashThreads,
		enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

// CheckAccessCode reports whether code matches the stored hash, in constant
// time with respect to the hash. A malformed hash never matches.
func CheckAccessCode(hash, code string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "argon2id" {
		return false
	}
	t, err1 := strconv.ParseUint(parts[1], 10, 32)
	m, err2 := strconv.ParseUint(parts[2], 10, 32)
	p, err3 := strconv.ParseUint(parts[3], 10, 8)
	salt, err4 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err5 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil ||
		t == 0 || t > 16 || m < 8 || m > 1<<20 || p == 0 || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(code), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a number is unknown, so that an unknown
// number and a wrong code take the same time.
var dummyHash = func() string {
	h, err := HashAccessCode("00000000")
	if err != nil {
		panic(err)
	}
	return h
}()
