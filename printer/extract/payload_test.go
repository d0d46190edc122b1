package extract

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Test keys: "central" certifies "device"; "other" is an unrelated central;
// "intruder" is a device key nobody trusts.
var testAnchorKeys = map[string]func() ed25519.PublicKey{
	"central":  func() ed25519.PublicKey { return pub(testKey("central")) },
	"device":   func() ed25519.PublicKey { return pub(testKey("device")) },
	"other":    func() ed25519.PublicKey { return pub(testKey("other")) },
	"intruder": func() ed25519.PublicKey { return pub(testKey("intruder")) },
}

var sentinels = map[string]error{
	"": nil, "ErrMalformed": ErrMalformed, "ErrVersion": ErrVersion, "ErrNoAnchors": ErrNoAnchors,
	"ErrUntrusted": ErrUntrusted, "ErrCertificate": ErrCertificate, "ErrSignature": ErrSignature,
}

// vector is one line of testdata/vectors.json: a payload string and what
// Verify must say about it with the named anchors.
type vector struct {
	Name    string   `json:"name"`
	Payload string   `json:"payload"`
	Anchors []string `json:"anchors"`
	Error   string   `json:"error"` // sentinel name, "" when valid
	Number  string   `json:"number,omitempty"`
	Device  string   `json:"device,omitempty"`
	Code    string   `json:"code,omitempty"`
	Content string   `json:"content_sha256,omitempty"`
}

func mustCert(t testing.TB, c Certificate, signer string) []byte {
	t.Helper()
	b, err := IssueCertificate(c, testKey(signer))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makeVectors builds the vectors from the deterministic test keys.
func makeVectors(t *testing.T) []vector {
	e := sample("tg")
	dev := testKey("device")
	devID := KeyID(pub(dev))
	hash, err := ContentHash(e)
	if err != nil {
		t.Fatal(err)
	}
	enrolled, err := Sign(e, deviceSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	bare, err := Sign(e, Signer{Key: dev})
	if err != nil {
		t.Fatal(err)
	}
	year := Certificate{DeviceID: devID, CPC: "ISF", Kiosk: 1, PublicKey: pub(dev),
		NotBefore: tm("2026-01-01T00:00:00Z"), NotAfter: tm("2027-01-01T00:00:00Z")}
	raw := func(key ed25519.PrivateKey, devName string, cert []byte, issued time.Time) string {
		p, _, err := encodePayload(key, e.DocumentID, e.Number, issued, hash, devName, cert)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// bin edits the decoded payload and re-encodes it without re-signing.
	bin := func(p string, edit func([]byte) []byte) string {
		b, err := Base45Decode(strings.TrimPrefix(p, PayloadPrefix))
		if err != nil {
			t.Fatal(err)
		}
		return PayloadPrefix + Base45Encode(edit(b))
	}
	expired := year
	expired.NotAfter = tm("2026-03-01T00:00:00Z")
	otherDev := year
	otherDev.DeviceID = "SOMEONE-ELSE"
	certB := mustCert(t, year, "central")
	certB[1+1+len(devID)+1+3] = 2 // kiosk 1 -> 2 after the central signed it

	return []vector{
		{Name: "enrolled, central anchor", Payload: enrolled.Payload, Anchors: []string{"central"}},
		{Name: "enrolled, device key anchor", Payload: enrolled.Payload, Anchors: []string{"device"}},
		{Name: "enrolled, several anchors", Payload: enrolled.Payload, Anchors: []string{"other", "central"}},
		{Name: "enrolled, another central", Payload: enrolled.Payload, Anchors: []string{"other"}, Error: "ErrUntrusted"},
		{Name: "not enrolled, device key anchor", Payload: bare.Payload, Anchors: []string{"device"}},
		{Name: "not enrolled, central anchor only", Payload: bare.Payload, Anchors: []string{"central"}, Error: "ErrUntrusted"},
		{Name: "no anchors", Payload: enrolled.Payload, Error: "ErrNoAnchors"},
		{Name: "issue time altered", Payload: bin(enrolled.Payload, func(b []byte) []byte {
			b[1+1+16+1+len(e.Number)+7]++
			return b
		}), Anchors: []string{"central"}, Error: "ErrSignature"},
		{Name: "content hash altered", Payload: bin(bare.Payload, func(b []byte) []byte {
			b[1+1+16+1+len(e.Number)+8] ^= 1
			return b
		}), Anchors: []string{"device"}, Error: "ErrSignature"},
		{Name: "signature altered", Payload: bin(bare.Payload, func(b []byte) []byte {
			b[len(b)-1] ^= 0x80
			return b
		}), Anchors: []string{"device"}, Error: "ErrSignature"},
		{Name: "signed by another key under the device's certificate",
			Payload: raw(testKey("intruder"), devID, mustCert(t, year, "central"), e.IssuedAt),
			Anchors: []string{"central"}, Error: "ErrSignature"},
		{Name: "intruder claims the device id without certificate",
			Payload: raw(testKey("intruder"), devID, nil, e.IssuedAt), Anchors: []string{"device"}, Error: "ErrSignature"},
		{Name: "intruder with its own key", Payload: raw(testKey("intruder"), KeyID(pub(testKey("intruder"))), nil, e.IssuedAt),
			Anchors: []string{"central", "device"}, Error: "ErrUntrusted"},
		{Name: "certificate altered after signing", Payload: raw(dev, devID, certB, e.IssuedAt),
			Anchors: []string{"central"}, Error: "ErrUntrusted"},
		{Name: "issued after the certificate expired", Payload: raw(dev, devID, mustCert(t, expired, "central"), e.IssuedAt),
			Anchors: []string{"central"}, Error: "ErrCertificate"},
		{Name: "certificate for another device id", Payload: raw(dev, devID, mustCert(t, otherDev, "central"), e.IssuedAt),
			Anchors: []string{"central"}, Error: "ErrCertificate"},
		{Name: "truncated by one group", Payload: enrolled.Payload[:len(enrolled.Payload)-3], Anchors: []string{"central"}, Error: "ErrMalformed"},
		{Name: "truncated by one character", Payload: enrolled.Payload[:len(enrolled.Payload)-1], Anchors: []string{"central"}, Error: "ErrMalformed"},
		{Name: "truncated to half", Payload: enrolled.Payload[:len(enrolled.Payload)/2/3*3+len(PayloadPrefix)], Anchors: []string{"central"}, Error: "ErrMalformed"},
		{Name: "only the prefix", Payload: PayloadPrefix, Anchors: []string{"central"}, Error: "ErrMalformed"},
		{Name: "trailing bytes", Payload: bin(bare.Payload, func(b []byte) []byte { return append(b, 0) }), Anchors: []string{"device"}, Error: "ErrMalformed"},
		{Name: "lower case", Payload: strings.ToLower(enrolled.Payload), Anchors: []string{"central"}, Error: "ErrMalformed"},
		{Name: "EU certificate prefix", Payload: "HC1:" + strings.TrimPrefix(enrolled.Payload, PayloadPrefix), Anchors: []string{"central"}, Error: "ErrMalformed"},
		{Name: "future version prefix", Payload: "CPX2:" + strings.TrimPrefix(enrolled.Payload, PayloadPrefix), Anchors: []string{"central"}, Error: "ErrVersion"},
		{Name: "version byte 2", Payload: bin(bare.Payload, func(b []byte) []byte { b[0] = 2; return b }), Anchors: []string{"device"}, Error: "ErrVersion"},
		{Name: "unknown flag", Payload: bin(bare.Payload, func(b []byte) []byte { b[1] |= 0x80; return b }), Anchors: []string{"device"}, Error: "ErrMalformed"},
	}
}

func anchorsOf(t *testing.T, names []string) Anchors {
	var a Anchors
	for _, n := range names {
		k, ok := testAnchorKeys[n]
		if !ok {
			t.Fatalf("unknown anchor %q", n)
		}
		a = append(a, k())
	}
	return a
}

// TestVectors checks testdata/vectors.json: that the code still produces the
// same payloads (a format change shows up here) and that Verify gives each
// vector's stated result.
func TestVectors(t *testing.T) {
	vs := makeVectors(t)
	for i := range vs {
		f, err := Verify(vs[i].Payload, anchorsOf(t, vs[i].Anchors))
		if err == nil {
			vs[i].Number, vs[i].Device, vs[i].Code, vs[i].Content = f.Number, f.DeviceID, f.Code, f.ContentSHA256
		}
	}
	b, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vectors.json", append(b, '\n'))

	raw, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stored []vector
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) < 20 {
		t.Fatalf("only %d vectors in the file", len(stored))
	}
	for _, v := range stored {
		t.Run(v.Name, func(t *testing.T) {
			want, ok := sentinels[v.Error]
			if !ok {
				t.Fatalf("unknown error name %q", v.Error)
			}
			f, err := Verify(v.Payload, anchorsOf(t, v.Anchors))
			if want == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want valid", err)
				}
				if f.Number != v.Number || f.DeviceID != v.Device || f.Code != v.Code || f.ContentSHA256 != v.Content {
					t.Fatalf("facts %+v differ from the vector", f)
				}
				return
			}
			if !errors.Is(err, want) {
				t.Fatalf("Verify err = %v, want %v", err, want)
			}
			for other, s := range sentinels {
				if s != nil && s != want && errors.Is(err, s) {
					t.Fatalf("error %v also matches %s: reasons must be distinct", err, other)
				}
			}
		})
	}
}

func TestVerifyFacts(t *testing.T) {
	e := sample("ru")
	s, err := Sign(e, deviceSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Verify(" "+s.Payload+"\n", Anchors{pub(testKey("central"))}) // scanners add whitespace
	if err != nil {
		t.Fatal(err)
	}
	want := Facts{Version: 1, DocumentID: e.DocumentID, Number: e.Number, IssuedAt: e.IssuedAt,
		ContentSHA256: fmt.Sprintf("%x", s.ContentHash), DeviceID: KeyID(pub(testKey("device"))), Code: s.Code,
		Anchor: KeyID(pub(testKey("central")))}
	c := f.Certificate
	f.Certificate = nil
	if !f.IssuedAt.Equal(want.IssuedAt) {
		t.Fatalf("issued %v, want %v", f.IssuedAt, want.IssuedAt)
	}
	f.IssuedAt = want.IssuedAt
	if f != want {
		t.Fatalf("facts\n got %+v\nwant %+v", f, want)
	}
	if c == nil || c.CPC != "ISF" || c.Kiosk != 1 || c.Issuer != want.Anchor || !c.PublicKey.Equal(pub(testKey("device"))) {
		t.Fatalf("certificate %+v", c)
	}
	// The QR must fit comfortably: base45 of the binary payload, no personal data.
	if len(s.Payload) > 500 {
		t.Errorf("payload is %d characters", len(s.Payload))
	}
	for _, secret := range []string{"Раҳимова", "+992", "A 01234567"} {
		b, _ := Base45Decode(strings.TrimPrefix(s.Payload, PayloadPrefix))
		if strings.Contains(string(b), secret) {
			t.Errorf("payload contains personal data %q", secret)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	dev := testKey("device")
	cert := deviceSigner(t).Certificate
	for name, s := range map[string]Signer{
		"no key":                     {},
		"short key":                  {Key: dev[:10]},
		"certificate of another key": {Key: testKey("intruder"), Certificate: cert},
		"device id not the key id":   {Key: dev, DeviceID: "kiosk-7"},
		"certificate other device":   {Key: dev, DeviceID: "kiosk-7", Certificate: cert},
		"garbage certificate":        {Key: dev, Certificate: []byte{1, 2, 3}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Sign(sample("tg"), s); err == nil {
				t.Fatal("Sign accepted")
			}
		})
	}
	bad := sample("tg")
	bad.Lang = "fr"
	if _, err := Sign(bad, Signer{Key: dev}); !errors.Is(err, ErrInvalidExtract) {
		t.Fatalf("invalid extract: %v", err)
	}
}

func TestIssueCertificateRefuses(t *testing.T) {
	good := Certificate{DeviceID: "d", CPC: "ISF", Kiosk: 1, PublicKey: pub(testKey("device")),
		NotBefore: tm("2026-01-01T00:00:00Z"), NotAfter: tm("2027-01-01T00:00:00Z")}
	if _, err := IssueCertificate(good, testKey("central")); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(c *Certificate){
		"cpc lower":      func(c *Certificate) { c.CPC = "isf" },
		"kiosk 0":        func(c *Certificate) { c.Kiosk = 0 },
		"kiosk 10":       func(c *Certificate) { c.Kiosk = 10 },
		"no device id":   func(c *Certificate) { c.DeviceID = "" },
		"no key":         func(c *Certificate) { c.PublicKey = nil },
		"empty validity": func(c *Certificate) { c.NotAfter = c.NotBefore },
	} {
		c := good
		mut(&c)
		if _, err := IssueCertificate(c, testKey("central")); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
