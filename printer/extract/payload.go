package extract

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// PayloadPrefix starts every QR payload; the digit is the payload version.
const PayloadPrefix = "CPX1:"

const (
	payloadVersion = 1
	certVersion    = 1
	flagCert       = 1 << 0

	payloadDomain = "CPX1 extract payload\x00"
	certDomain    = "CPX1 device certificate\x00"
)

// Verification errors. Verify and VerifyPDF wrap exactly one of them, with
// the detail after it, so callers can use errors.Is and people get a reason.
var (
	ErrMalformed   = errors.New("malformed payload")
	ErrVersion     = errors.New("unsupported payload version")
	ErrNoAnchors   = errors.New("no trust anchors")
	ErrUntrusted   = errors.New("not signed by a trusted key")
	ErrCertificate = errors.New("device certificate not valid for this document")
	ErrSignature   = errors.New("signature does not match")
	ErrContent     = errors.New("content does not match the signed hash")
)

// Signer is what a kiosk signs extracts with.
type Signer struct {
	Key         ed25519.PrivateKey
	DeviceID    string // "" means KeyID(Key.Public())
	Certificate []byte // the central's certificate for this device (IssueCertificate), or nil before enrolment
}

// Signed is a signed extract, ready to print.
type Signed struct {
	Canonical   []byte   // canonical encoding of the content
	ContentHash [32]byte // SHA-256 of Canonical
	Payload     string   // QR content: PayloadPrefix + base45(binary payload)
	Code        string   // verification code, XXXXX-XXXXX
	DeviceID    string
}

// Certificate is a device certificate: the central's statement that a
// public key belongs to a kiosk, for a period.
type Certificate struct {
	DeviceID  string
	CPC       string // three capital Latin letters
	Kiosk     int    // 1-9
	PublicKey ed25519.PublicKey
	NotBefore time.Time // to the second
	NotAfter  time.Time
	Issuer    string // KeyID of the key that signed it (set when parsed or verified)
}

// Facts is what a valid payload states.
type Facts struct {
	Version       int
	DocumentID    string
	Number        string
	IssuedAt      time.Time
	ContentSHA256 string // hex
	DeviceID      string
	Code          string       // verification code
	Certificate   *Certificate // nil when the device key itself is the anchor
	Anchor        string       // KeyID of the trust anchor that vouched for the document
}

// KeyID is a short, stable name for an ed25519 public key: the first 80 bits
// of its SHA-256 as 16 Crockford base32 symbols. A device's id is the KeyID
// of its public key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	var sb strings.Builder
	var acc uint64
	bits := 0
	for _, b := range sum[:10] {
		acc = acc<<8 | uint64(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(crockford[(acc>>bits)&31])
		}
	}
	return sb.String()
}

var cpcRe = regexp.MustCompile(`^[A-Z]{3}$`)

func putStr(buf *bytes.Buffer, s string) error {
	if len(s) > 255 {
		return fmt.Errorf("field %q longer than 255 bytes", s[:16])
	}
	buf.WriteByte(byte(len(s)))
	buf.WriteString(s)
	return nil
}

func putTime(buf *bytes.Buffer, t time.Time) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.Unix()))
	buf.Write(b[:])
}

// reader reads the binary encodings; the first short read sets err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return make([]byte, n)
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}
func (r *reader) byte() byte  { return r.take(1)[0] }
func (r *reader) str() string { return string(r.take(int(r.byte()))) }
func (r *reader) time() time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(r.take(8))), 0).UTC()
}

// IssueCertificate makes the device certificate the central gives a kiosk at
// enrolment, signed with the central's key. The result is opaque bytes for
// Signer.Certificate; SaveCertificate stores them beside the device key.
func IssueCertificate(c Certificate, central ed25519.PrivateKey) ([]byte, error) {
	switch {
	case len(central) != ed25519.PrivateKeySize:
		return nil, errors.New("extract: issue certificate: bad central key")
	case len(c.PublicKey) != ed25519.PublicKeySize:
		return nil, errors.New("extract: issue certificate: bad device public key")
	case c.DeviceID == "" || len(c.DeviceID) > 64:
		return nil, errors.New("extract: issue certificate: device id must be 1-64 bytes")
	case !cpcRe.MatchString(c.CPC):
		return nil, fmt.Errorf("extract: issue certificate: CPC %q is not three capital letters", c.CPC)
	case c.Kiosk < 1 || c.Kiosk > 9:
		return nil, fmt.Errorf("extract: issue certificate: kiosk %d not in 1-9", c.Kiosk)
	case !c.NotAfter.After(c.NotBefore):
		return nil, errors.New("extract: issue certificate: NotAfter must be after NotBefore")
	}
	var buf bytes.Buffer
	buf.WriteByte(certVersion)
	_ = putStr(&buf, c.DeviceID)
	_ = putStr(&buf, c.CPC)
	buf.WriteByte(byte(c.Kiosk))
	buf.Write(c.PublicKey)
	putTime(&buf, c.NotBefore)
	putTime(&buf, c.NotAfter)
	sig := ed25519.Sign(central, append([]byte(certDomain), buf.Bytes()...))
	buf.Write(sig)
	return buf.Bytes(), nil
}

// ParseCertificate decodes a certificate without checking who signed it.
func ParseCertificate(b []byte) (Certificate, error) {
	c, _, _, err := parseCert(b)
	return c, err
}

func parseCert(b []byte) (c Certificate, signed, sig []byte, err error) {
	r := &reader{b: b}
	if v := r.byte(); r.err == nil && v != certVersion {
		return c, nil, nil, fmt.Errorf("extract: certificate: %w: version %d", ErrVersion, v)
	}
	c.DeviceID = r.str()
	c.CPC = r.str()
	c.Kiosk = int(r.byte())
	c.PublicKey = ed25519.PublicKey(bytes.Clone(r.take(ed25519.PublicKeySize)))
	c.NotBefore = r.time()
	c.NotAfter = r.time()
	n := len(b) - len(r.b)
	sig = r.take(ed25519.SignatureSize)
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the certificate", ErrMalformed, len(r.b))
	}
	if r.err != nil {
		return c, nil, nil, fmt.Errorf("extract: certificate: %w", r.err)
	}
	return c, b[:n], sig, nil
}

// VerifyCertificate checks that one of anchors signed the certificate and
// returns it with Issuer set.
func VerifyCertificate(b []byte, anchors Anchors) (Certificate, error) {
	c, signed, sig, err := parseCert(b)
	if err != nil {
		return c, err
	}
	msg := append([]byte(certDomain), signed...)
	for _, a := range anchors {
		if ed25519.Verify(a, msg, sig) {
			c.Issuer = KeyID(a)
			return c, nil
		}
	}
	return c, fmt.Errorf("extract: certificate of device %s: %w: no anchor signed it", c.DeviceID, ErrUntrusted)
}

// Sign encodes e canonically, hashes it, and signs the compact payload
// {version, document id, number, issue time, content hash, device id,
// certificate} with s.Key. The payload carries no personal data.
func Sign(e *Extract, s Signer) (*Signed, error) {
	canon, err := Canonical(e)
	if err != nil {
		return nil, fmt.Errorf("extract: sign: %w", err)
	}
	if len(s.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("extract: sign: no device key")
	}
	pub := s.Key.Public().(ed25519.PublicKey)
	dev := s.DeviceID
	if dev == "" {
		dev = KeyID(pub)
	}
	if len(dev) > 64 {
		return nil, errors.New("extract: sign: device id longer than 64 bytes")
	}
	if s.Certificate == nil && dev != KeyID(pub) {
		return nil, fmt.Errorf("extract: sign: without a certificate the device id must be the key id %s, not %q", KeyID(pub), dev)
	}
	if s.Certificate != nil {
		c, err := ParseCertificate(s.Certificate)
		if err != nil {
			return nil, fmt.Errorf("extract: sign: %w", err)
		}
		if !c.PublicKey.Equal(pub) {
			return nil, errors.New("extract: sign: the certificate is for another key")
		}
		if c.DeviceID != dev {
			return nil, fmt.Errorf("extract: sign: the certificate is for device %q, not %q", c.DeviceID, dev)
		}
	}
	hash := sha256.Sum256(canon)
	p, sig, err := encodePayload(s.Key, e.DocumentID, e.Number, e.IssuedAt, hash, dev, s.Certificate)
	if err != nil {
		return nil, fmt.Errorf("extract: sign: %w", err)
	}
	return &Signed{Canonical: canon, ContentHash: hash, DeviceID: dev, Payload: p, Code: VerificationCode(sig)}, nil
}

// encodePayload builds and signs the binary payload (layout in doc.go) and
// returns the QR string and the signature. It checks lengths only.
func encodePayload(key ed25519.PrivateKey, docID, number string, issued time.Time, hash [32]byte, dev string, cert []byte) (string, []byte, error) {
	uuid, err := hex.DecodeString(strings.ReplaceAll(docID, "-", ""))
	if err != nil || len(uuid) != 16 {
		return "", nil, fmt.Errorf("document id %q is not a UUID", docID)
	}
	if len(cert) > 0xFFFF {
		return "", nil, errors.New("certificate too long")
	}
	var buf bytes.Buffer
	buf.WriteByte(payloadVersion)
	var flags byte
	if cert != nil {
		flags |= flagCert
	}
	buf.WriteByte(flags)
	buf.Write(uuid)
	if err := putStr(&buf, number); err != nil {
		return "", nil, err
	}
	putTime(&buf, issued)
	buf.Write(hash[:])
	if err := putStr(&buf, dev); err != nil {
		return "", nil, err
	}
	if cert != nil {
		buf.WriteByte(byte(len(cert) >> 8))
		buf.WriteByte(byte(len(cert)))
		buf.Write(cert)
	}
	sig := ed25519.Sign(key, append([]byte(payloadDomain), buf.Bytes()...))
	buf.Write(sig)
	return PayloadPrefix + Base45Encode(buf.Bytes()), sig, nil
}

type payload struct {
	facts  Facts
	hash   [32]byte
	cert   []byte
	signed []byte
	sig    []byte
}

func parsePayload(s string) (*payload, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, PayloadPrefix) {
		if strings.HasPrefix(s, "CPX") {
			return nil, fmt.Errorf("%w: prefix %.5q", ErrVersion, s)
		}
		return nil, fmt.Errorf("%w: does not start with %s", ErrMalformed, PayloadPrefix)
	}
	b, err := Base45Decode(s[len(PayloadPrefix):])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	r := &reader{b: b}
	p := &payload{}
	if v := r.byte(); r.err == nil && v != payloadVersion {
		return nil, fmt.Errorf("%w: %d", ErrVersion, v)
	}
	flags := r.byte()
	if r.err == nil && flags&^flagCert != 0 {
		return nil, fmt.Errorf("%w: unknown flags %#x", ErrMalformed, flags)
	}
	id := hex.EncodeToString(r.take(16))
	p.facts = Facts{
		Version:    payloadVersion,
		DocumentID: id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32],
		Number:     r.str(),
		IssuedAt:   r.time(),
	}
	copy(p.hash[:], r.take(32))
	p.facts.ContentSHA256 = hex.EncodeToString(p.hash[:])
	p.facts.DeviceID = r.str()
	if flags&flagCert != 0 {
		hi, lo := r.byte(), r.byte()
		p.cert = r.take(int(hi)<<8 | int(lo))
	}
	n := len(b) - len(r.b)
	p.sig = r.take(ed25519.SignatureSize)
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the signature", ErrMalformed, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	if !numberRe.MatchString(p.facts.Number) {
		return nil, fmt.Errorf("%w: number %q", ErrMalformed, p.facts.Number)
	}
	p.signed = b[:n]
	p.facts.Code = VerificationCode(p.sig)
	return p, nil
}

// Verify checks a QR payload against trust anchors and returns what it
// states. A payload is valid when its signature verifies under a device key
// that is either an anchor itself (a kiosk before enrolment) or certified,
// for the document's issue time, by a certificate one of the anchors signed.
// The content hash in the facts must be compared with the content by the
// caller (VerifyPDF does), or looked up by the central.
func Verify(payloadStr string, anchors Anchors) (Facts, error) {
	p, err := parsePayload(payloadStr)
	if err != nil {
		return Facts{}, fmt.Errorf("verify: %w", err)
	}
	if len(anchors) == 0 {
		return p.facts, fmt.Errorf("verify: %w", ErrNoAnchors)
	}
	msg := append([]byte(payloadDomain), p.signed...)
	var devKey ed25519.PublicKey
	if p.cert != nil {
		c, err := VerifyCertificate(p.cert, anchors)
		switch {
		case err == nil:
			p.facts.Anchor = c.Issuer
		case errors.Is(err, ErrUntrusted) && anchors.contains(c.PublicKey):
			// The device key itself is an anchor: its own certificate adds nothing.
			p.facts.Anchor = KeyID(c.PublicKey)
		case errors.Is(err, ErrUntrusted):
			return p.facts, fmt.Errorf("verify: %w: device %s is certified by a key that is not an anchor", ErrUntrusted, p.facts.DeviceID)
		default:
			return p.facts, fmt.Errorf("verify: %w", err)
		}
		if c.DeviceID != p.facts.DeviceID {
			return p.facts, fmt.Errorf("verify: %w: certificate is for device %s, payload names %s", ErrCertificate, c.DeviceID, p.facts.DeviceID)
		}
		if p.facts.IssuedAt.Before(c.NotBefore) || p.facts.IssuedAt.After(c.NotAfter) {
			return p.facts, fmt.Errorf("verify: %w: issued %s outside the validity %s to %s", ErrCertificate,
				p.facts.IssuedAt.Format(time.RFC3339), c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339))
		}
		devKey = c.PublicKey
		p.facts.Certificate = &c
	} else {
		for _, a := range anchors {
			if KeyID(a) == p.facts.DeviceID {
				devKey = a
				break
			}
		}
		if devKey == nil {
			return p.facts, fmt.Errorf("verify: %w: device %s is not an anchor and the payload has no certificate", ErrUntrusted, p.facts.DeviceID)
		}
		p.facts.Anchor = KeyID(devKey)
	}
	if !ed25519.Verify(devKey, msg, p.sig) {
		return p.facts, fmt.Errorf("verify: %w: payload altered, or signed by another key of device %s", ErrSignature, p.facts.DeviceID)
	}
	return p.facts, nil
}
