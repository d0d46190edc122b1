package extract

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary strings to the payload decoder and Verify, with
// the anchors of the test vectors. It must never panic; every error must
// wrap one of the documented sentinels; a payload that verifies must
// re-encode to itself (decode → encode is the identity on valid payloads)
// and give the same facts every time.
func FuzzVerify(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		f.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		f.Fatal(err)
	}
	for _, v := range vs {
		f.Add(v.Payload)
		f.Add(v.Payload[:len(v.Payload)/2])
	}
	f.Add("")
	f.Add(PayloadPrefix)
	f.Add("CPX2:00")
	f.Add(PayloadPrefix + "::::::")
	anchors := Anchors{pub(testKey("central")), pub(testKey("device"))}
	sentinel := []error{ErrMalformed, ErrVersion, ErrNoAnchors, ErrUntrusted, ErrCertificate, ErrSignature}
	f.Fuzz(func(t *testing.T, s string) {
		facts, err := Verify(s, anchors)
		if err != nil {
			known := false
			for _, e := range sentinel {
				known = known || errors.Is(err, e)
			}
			if !known {
				t.Fatalf("Verify(%q): error %v wraps no sentinel", s, err)
			}
			return
		}
		p, err := parsePayload(s)
		if err != nil {
			t.Fatalf("verified but does not parse: %v", err)
		}
		re := PayloadPrefix + Base45Encode(append(append([]byte(nil), p.signed...), p.sig...))
		if re != strings.TrimSpace(s) {
			t.Fatalf("verified payload does not round-trip:\n in %q\nout %q", s, re)
		}
		again, err := Verify(re, anchors)
		if err != nil || again.Code != facts.Code || again.Number != facts.Number || again.ContentSHA256 != facts.ContentSHA256 {
			t.Fatalf("re-encoded payload verifies differently: %v", err)
		}
		if !numberRe.MatchString(facts.Number) || NormalizeCode(facts.Code) != facts.Code {
			t.Fatalf("facts %+v", facts)
		}
	})
}

// FuzzBase45 checks that decoding accepts exactly the strings that encoding
// can produce.
func FuzzBase45(f *testing.F) {
	f.Add("QED8WEX0")
	f.Add("%69 VD92EX0")
	f.Add("GGW")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base45Decode(s)
		if err != nil {
			if !errors.Is(err, ErrBase45) {
				t.Fatalf("error %v is not ErrBase45", err)
			}
			return
		}
		if got := Base45Encode(b); got != s {
			t.Fatalf("Base45Encode(Base45Decode(%q)) = %q", s, got)
		}
	})
}
