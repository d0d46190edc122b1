package extract

import (
	"crypto/sha256"

	"cpckiosk/kiosk"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeDomain separates the verification code's hash from any other use of
// the signature bytes.
const codeDomain = "CPX1 verification code\x00"

// VerificationCode derives the short human-typeable code printed on an
// extract from its payload signature: the first 50 bits of
// SHA-256(codeDomain || signature) as 10 Crockford base32 symbols, shown
// XXXXX-XXXXX. It lets a person on the phone to the centre, or a clerk
// comparing a printout with a scan, check that the two belong together; it is
// not a signature by itself.
func VerificationCode(signature []byte) string {
	h := sha256.New()
	h.Write([]byte(codeDomain))
	h.Write(signature)
	sum := h.Sum(nil)
	var v uint64
	for _, b := range sum[:7] {
		v = v<<8 | uint64(b)
	}
	v >>= 6 // 56 bits -> the first 50
	var out [11]byte
	for i := 9; i >= 0; i-- {
		out[i+i/5] = crockford[v&31]
		v >>= 5
	}
	out[5] = '-'
	return string(out[:])
}

// NormalizeCode reads a verification code the way people type it: case and
// separators are ignored, I and L read as 1, O as 0. It returns the code as
// printed, XXXXX-XXXXX, or "" when the input is not 10 Crockford symbols.
func NormalizeCode(s string) string {
	code, ok := kiosk.NormalizeCrockford(s, 10)
	if !ok {
		return ""
	}
	return code[:5] + "-" + code[5:]
}
