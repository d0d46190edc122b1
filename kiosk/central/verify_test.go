package central

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cpckiosk/printer/extract"
)

// signedExtract makes an extract the way an enrolled kiosk does: signed with
// the device key, carrying the certificate the central issued at enrolment.
func (e *env) signedExtract(d *device) *extract.Signed {
	e.t.Helper()
	now := e.clock.Now()
	x := &extract.Extract{
		DocumentID: uuid(1), Number: number("ISF", 1, 26, 1), IssuedAt: now, Lang: "tg",
		Ministry: "Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон", Centre: "Маркази ҳамкории полис ва ҷомеа",
		Category: "theft", CreatedAt: now.Add(-time.Hour), ClockSynced: true,
		Reporter: &extract.Person{FullName: "Раҳимова Гулчеҳра", Phone: "+992921234567"},
		Incident: extract.Incident{Place: "бозори марказӣ", Description: "Ҳамёнамро дуздиданд."},
		History:  []extract.Event{{Status: "received", At: now.Add(-time.Hour)}},
	}
	s, err := extract.Sign(x, extract.Signer{Key: d.key, Certificate: d.reply.Certificate})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	good := e.signedExtract(d)
	// The same document certified by another central.
	_, otherCentral, _ := ed25519.GenerateKey(rand.Reader)
	cert, err := extract.IssueCertificate(extract.Certificate{DeviceID: d.id, CPC: "ISF", Kiosk: 1, PublicKey: d.key.Public().(ed25519.PublicKey),
		NotBefore: e.clock.Now().Add(-time.Hour), NotAfter: e.clock.Now().Add(time.Hour)}, otherCentral)
	if err != nil {
		t.Fatal(err)
	}
	foreign := *d
	foreign.reply.Certificate = cert
	bare := *d
	bare.reply.Certificate = nil
	tampered := []byte(good.Payload)
	i := len(tampered) - 20
	tampered[i] = map[bool]byte{true: 'B', false: 'A'}[tampered[i] == 'A']

	tests := []struct {
		name    string
		payload string
		valid   bool
		reason  string
	}{
		{"valid", good.Payload, true, "certified"},
		{"valid with spaces around", "  " + good.Payload + "\n", true, ""},
		{"tampered", string(tampered), false, ""},
		{"certified by another central", e.signedExtract(&foreign).Payload, false, "not signed by a trusted key"},
		{"self-signed device key", e.signedExtract(&bare).Payload, false, "not signed by a trusted key"},
		{"not a payload", "hello", false, "malformed"},
		{"empty", "", false, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.opWith("", "POST", "/api/v1/verify", map[string]string{"payload": tc.payload})
			if w.Code != 200 {
				t.Fatalf("verify: %d %s", w.Code, w.Body)
			}
			res := decode[VerifyResult](t, w)
			if res.Valid != tc.valid || !strings.Contains(res.Reason, tc.reason) || res.Reason == "" {
				t.Fatalf("result = %+v", res)
			}
			if tc.valid {
				if res.Number != number("ISF", 1, 26, 1) || res.DocumentID != uuid(1) || res.DeviceID != d.id ||
					res.CPC != "ISF" || res.Kiosk != 1 || res.ContentSHA256 != strings.ToLower(hexOf(good.ContentHash[:])) ||
					res.IssuedAt == nil || !res.IssuedAt.Equal(e.clock.Now()) || res.Code != good.Code {
					t.Errorf("facts = %+v", res)
				}
			} else if res.Number != "" {
				t.Errorf("an invalid document's facts are shown: %+v", res)
			}
		})
	}
	// The JSON has the documented keys.
	w := e.opWith("", "POST", "/api/v1/verify", map[string]string{"payload": good.Payload})
	for _, k := range []string{`"valid":true`, `"reason":`, `"number":`, `"document_id":`, `"issued_at":`, `"device_id":`, `"cpc":"ISF"`, `"kiosk":1`, `"content_sha256":`} {
		contains(t, w.Body.String(), k)
	}

	// Revoked here: invalid, saying when.
	if _, err := e.srv.Revoke(d.id); err != nil {
		t.Fatal(err)
	}
	res := decode[VerifyResult](t, e.opWith("", "POST", "/api/v1/verify", map[string]string{"payload": good.Payload}))
	if res.Valid || res.Reason != "the issuing device was revoked on 2026-03-14T10:00:00Z" || res.Number == "" {
		t.Errorf("revoked device: %+v", res)
	}
	// Bad requests.
	for _, body := range []string{`{"payload":1}`, `{"payload":"x","more":1}`, `[`} {
		hr := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(body))
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, hr)
		if w.Code != 400 {
			t.Errorf("%s: %d", body, w.Code)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestVerifyRateLimit(t *testing.T) {
	e := newEnv(t)
	call := func(addr string) int {
		hr := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(`{"payload":"CPX1:"}`))
		hr.RemoteAddr = addr
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, hr)
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		return w.Code
	}
	for i := 0; i < 60; i++ {
		if c := call("192.0.2.7:1000"); c != 200 {
			t.Fatalf("request %d: %d", i+1, c)
		}
	}
	if c := call("192.0.2.7:2000"); c != http.StatusTooManyRequests {
		t.Fatalf("61st request in a minute: %d", c)
	}
	if c := call("192.0.2.8:1000"); c != 200 {
		t.Errorf("another address: %d", c)
	}
	// The page shares the limit.
	hr := httptest.NewRequest("POST", "/verify", strings.NewReader("payload=CPX1%3A"))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.RemoteAddr = "192.0.2.7:3000"
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, hr)
	if w.Code != http.StatusTooManyRequests {
		t.Errorf("page over the limit: %d", w.Code)
	}
	e.clock.Add(2 * time.Second)
	if c := call("192.0.2.7:1000"); c != 200 {
		t.Errorf("after two seconds: %d", c)
	}
}
