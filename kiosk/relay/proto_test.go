package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"

	"cpckiosk/kiosk"
)

func TestSealOpen(t *testing.T) {
	pub, priv, _ := box.GenerateKey(rand.Reader)
	_, other, _ := box.GenerateKey(rand.Reader)
	p := Personal{Reporter: kiosk.Reporter{FullName: "Ҷамшед Қодиров", Phone: "+992931234567"}, Description: "Ҳамёнамро дуздиданд"}
	s, err := NewSealer(pub)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Seal(p)
	b, _ := s.Seal(p)
	if bytes.Equal(a, b) {
		t.Fatal("two values of one sealer are identical: nonce reused")
	}
	if bytes.Contains(a, []byte("Қодиров")) || bytes.Contains(a, []byte("931234567")) {
		t.Fatal("plaintext in the sealed value")
	}
	for _, v := range [][]byte{a, b} { // each opens on its own, with a fresh opener
		got, err := OpenPersonal(v, priv)
		if err != nil || got != p {
			t.Fatalf("open = %+v, %v", got, err)
		}
	}
	bad := map[string][]byte{
		"wrong key": nil, "flipped bit": bytes.Clone(a), "cut": a[:len(a)-1], "empty": {},
		"other version": append([]byte{2}, a[1:]...), "header only": a[:sealHeader+box.Overhead-1],
	}
	bad["flipped bit"][len(a)-3] ^= 1
	for name, v := range bad {
		key := priv
		if name == "wrong key" {
			v, key = a, other
		}
		if _, err := OpenPersonal(v, key); !errors.Is(err, ErrSealed) {
			t.Errorf("%s: err = %v, want ErrSealed", name, err)
		}
	}
}

// A signature covers method, path, time, nonce and body.
func TestRequestSignature(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	body := []byte(`{"records":[]}`)
	req, _ := http.NewRequest("POST", "http://central"+PathBatch, nil)
	if _, err := SignRequest(req, body, "DEV", key, time.Now()); err != nil {
		t.Fatal(err)
	}
	sg, err := ParseSigned(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	if !sg.Verify(pub, "POST", PathBatch, body) {
		t.Fatal("a good signature does not verify")
	}
	for name, ok := range map[string]bool{
		"other path":   sg.Verify(pub, "POST", PathUpdates, body),
		"other method": sg.Verify(pub, "GET", PathBatch, body),
		"other body":   sg.Verify(pub, "POST", PathBatch, []byte(`{"records":[{}]}`)),
	} {
		if ok {
			t.Errorf("%s: verified", name)
		}
	}
	h := req.Header.Clone()
	h.Set(HeaderTime, time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano))
	if sg2, err := ParseSigned(h); err != nil || sg2.Verify(pub, "POST", PathBatch, body) {
		t.Errorf("a changed time still verifies (%v)", err)
	}
}
