// Package extract makes stamped, signed, verifiable PDF extracts of a crime
// report, and verifies them.
//
// # Content and signature
//
// The kiosk maps its report into an [Extract]. [Canonical] encodes it
// deterministically (JSON, fixed field order, UTC RFC 3339 times to the
// second, no HTML escaping, no trailing newline; see testdata/canonical-*.json)
// and its SHA-256 is the content hash. [Sign] signs a compact binary payload
// with the device's ed25519 key; the QR code holds "CPX1:" + base45 (RFC 9285)
// of it. Binary payload, version 1 (integers big-endian, str = 1 length
// byte + bytes):
//
//	u8  version = 1
//	u8  flags   (bit 0: certificate present; others must be 0)
//	16  document UUID
//	str registration number
//	i64 issue time, Unix seconds
//	32  content SHA-256
//	str device id
//	[u16 length + certificate]          when flags bit 0
//	64  ed25519 signature over "CPX1 extract payload\x00" || all bytes above
//
// The device certificate the central issues at enrolment ([IssueCertificate]):
//
//	u8  version = 1, str device id, str CPC, u8 kiosk, 32 device public key,
//	i64 not before, i64 not after,
//	64  central's signature over "CPX1 device certificate\x00" || bytes above
//
// The payload carries no personal data; it is about 160 bytes without and
// 300 with a certificate (about 450 QR characters, QR version 16 at error
// correction level Q). The verification code is 10 Crockford base32
// symbols derived from the signature ([VerificationCode]).
//
// # Trust
//
// [Verify] takes [Anchors]: ed25519 keys the verifier trusts. A payload is
// valid when its signature verifies under a device key that is an anchor
// itself (a kiosk before enrolment; the device id must then be the key's
// [KeyID]) or that a certificate signed by an anchor binds to the payload's
// device id for a period containing the issue time. Errors wrap one of
// [ErrMalformed], [ErrVersion], [ErrNoAnchors], [ErrUntrusted],
// [ErrCertificate], [ErrSignature], [ErrContent], [ErrNoPayload].
// testdata/vectors.json lists payloads with the result each must give.
//
// # PDF
//
// [Render] lays the extract out on A4 in its language with subsets of the
// DejaVu fonts (fonts.go: gofpdf parses every font for every document, so
// they hold only Latin, Cyrillic, punctuation and U+FFFD; text is extractable
// with pdftotext; characters they lack print as U+FFFD, control and bidi
// characters are dropped), a round stamp and a QR code drawn as vectors (the
// package's own encoder, qr.go), the verification code and "page X of Y". The signed
// payload is in the Keywords entry and, with the canonical content, in two
// embedded files, so [VerifyPDF] can check a file offline: the payload's
// signature, and that the embedded content hashes to the signed hash. The
// output is byte-for-byte deterministic for a given extract and key.
//
// # Keys
//
// [LoadOrCreateDeviceKey] keeps the device key in DATA/keys/device.key (PEM
// PKCS #8, 0600) and its public half in device.pub; the central's keys, the
// anchors for enrolled kiosks, go to DATA/keys/central.pub; the kiosk's
// certificate to device.cert. See keys.go for the formats.
//
// # Receipt printer
//
// [ShortForm] lays out the short extract for the receipt printer (package
// escpos): the same facts without the incident's text, the stamp as a
// raster ([StampImage]), the verification code and a native QR code.
//
// [RunVerify] is the "kioskctl verify" command.
package extract
