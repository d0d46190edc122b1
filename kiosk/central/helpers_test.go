package central

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/nacl/box"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

const opToken = "operator-secret-for-tests"

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a central on a real bbolt file in a temporary directory.
type env struct {
	t     *testing.T
	dir   string
	clock *clock
	srv   *Server
	opt   Options // Now and OperatorToken are set by open
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)}}
	e.open()
	t.Cleanup(func() { e.close() })
	return e
}

func (e *env) open() {
	e.t.Helper()
	opt := e.opt
	opt.Now, opt.OperatorToken = e.clock.Now, opToken
	srv, err := Open(e.dir, opt)
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	e.srv = srv
}

// close closes the server and checks the file's consistency on the way out.
func (e *env) close() {
	e.t.Helper()
	if e.srv == nil {
		return
	}
	if err := e.srv.Close(); err != nil {
		e.t.Errorf("Close: %v", err)
	}
	e.srv = nil
	db, err := bolt.Open(e.dir+"/"+DBFile, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		e.t.Errorf("reopen for check: %v", err)
		return
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		e.t.Errorf("database check: %v", err)
	}
}

// device is a fake kiosk.
type device struct {
	key   ed25519.PrivateKey
	id    string
	box   relay.BoxKey
	reply relay.EnrollReply
}

func newDevice(t *testing.T) *device {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bpub, bpriv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &device{key: key, id: extract.KeyID(pub), box: relay.BoxKey{Public: bpub, Private: bpriv}}
}

// req describes one device request; zero fields take the normal values.
type req struct {
	path     string
	body     []byte
	deviceID string        // header; default the device's id
	at       time.Time     // signed time; default the clock's
	skew     time.Duration // added to at
	alter    func(b []byte) []byte
	gzip     bool
	header   map[string]string
	nonce    *string // out: the nonce used
	unsigned bool
}

// build signs a device request; the body is returned beside it so that the
// very same request can be served again.
func (e *env) build(d *device, r req) (*http.Request, []byte) {
	e.t.Helper()
	body := r.body
	if r.gzip {
		body = gz(e.t, body)
	}
	hr := httptest.NewRequest(http.MethodPost, r.path, nil)
	at := r.at
	if at.IsZero() {
		at = e.clock.Now()
	}
	at = at.Add(r.skew)
	id := r.deviceID
	if id == "" {
		id = d.id
	}
	if !r.unsigned {
		nonce, err := relay.SignRequest(hr, body, id, d.key, at)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.nonce != nil {
			*r.nonce = nonce
		}
	}
	if r.alter != nil {
		body = r.alter(bytes.Clone(body))
	}
	hr.Header.Set("Content-Type", "application/json")
	if r.gzip {
		hr.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	return hr, body
}

// serve serves a built request (again).
func (e *env) serve(hr *http.Request, body []byte) *httptest.ResponseRecorder {
	r2 := hr.Clone(hr.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r2)
	return w
}

// send signs and sends a device request through the handler.
func (e *env) send(d *device, r req) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.serve(e.build(d, r))
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkReply checks the reply signature over nonce and the body's time.
func (e *env) checkReply(w *httptest.ResponseRecorder, nonce string) {
	e.t.Helper()
	sig, err := base64.StdEncoding.DecodeString(w.Header().Get(relay.HeaderReplySignature))
	if err != nil || !ed25519.Verify(e.srv.PublicKey(), relay.ReplyMessage(nonce, w.Code, w.Body.Bytes()), sig) {
		e.t.Errorf("reply signature does not verify (status %d, header %q)", w.Code, w.Header().Get(relay.HeaderReplySignature))
	}
	var tm struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tm); err != nil || !tm.Time.Equal(e.clock.Now()) {
		e.t.Errorf("reply time = %v (%v), want the central's %v", tm.Time, err, e.clock.Now())
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantError checks an ErrorReply.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var er relay.ErrorReply
	if err := json.Unmarshal(w.Body.Bytes(), &er); err != nil {
		t.Fatalf("status %d, body %q: %v", w.Code, w.Body, err)
	}
	if w.Code != status || er.Error.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", w.Code, er.Error.Code, er.Error.Message, status, code)
	}
	if er.Time.IsZero() {
		t.Errorf("error reply without time: %s", w.Body)
	}
}

// token makes an enrolment token directly.
func (e *env) token(cpc string, k int) string {
	e.t.Helper()
	tok, err := e.srv.NewToken(cpc, k)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) enrollBody(d *device, tok string) []byte {
	return mustJSON(e.t, relay.EnrollRequest{Token: tok, SignKey: d.key.Public().(ed25519.PublicKey), BoxKey: d.box.Public[:], Software: "test"})
}

// enroll makes a device enrolled as cpc+k.
func (e *env) enroll(cpc string, k int) *device {
	e.t.Helper()
	d := newDevice(e.t)
	w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, e.token(cpc, k))})
	if w.Code != http.StatusOK {
		e.t.Fatalf("enroll: %d %s", w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &d.reply); err != nil {
		e.t.Fatal(err)
	}
	return d
}

type rec struct {
	id       string
	number   string
	category kiosk.Category
	lang     string
	desc     string
	sealTo   *[32]byte // default the central's box key
}

func number(cpc string, k, year, seq int) string {
	return kiosk.Number{CPC: cpc, Kiosk: k, Year: year, Seq: seq}.String()
}

func uuid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// record builds a report record sealed to the central.
func (e *env) record(r rec) relay.Record {
	e.t.Helper()
	if r.category == "" {
		r.category = "theft"
	}
	if r.lang == "" {
		r.lang = "tg"
	}
	if r.desc == "" {
		r.desc = "Ҳамёнамро дар бозор дуздиданд."
	}
	to := r.sealTo
	if to == nil {
		to = e.srv.BoxPublicKey()
	}
	sealed, err := relay.SealPersonal(relay.Personal{
		Reporter:    kiosk.Reporter{FullName: "Раҳимова Гулчеҳра", Phone: "+992921234567"},
		Description: r.desc,
	}, to)
	if err != nil {
		e.t.Fatal(err)
	}
	return relay.Record{Type: relay.TypeReport, ID: r.id, Report: &relay.ReportRecord{
		Number: r.number, Category: r.category, Lang: r.lang, Place: "бозори марказӣ",
		CreatedAt: e.clock.Now().Add(-time.Hour), ClockSynced: true, Sealed: sealed,
	}}
}

// batch sends records and returns the acks.
func (e *env) batch(d *device, recs ...any) []relay.Ack {
	e.t.Helper()
	w := e.send(d, req{path: relay.PathBatch, body: mustJSON(e.t, map[string]any{"records": recs})})
	if w.Code != http.StatusOK {
		e.t.Fatalf("batch: %d %s", w.Code, w.Body)
	}
	var br relay.BatchReply
	if err := json.Unmarshal(w.Body.Bytes(), &br); err != nil {
		e.t.Fatal(err)
	}
	if len(br.Acks) != len(recs) {
		e.t.Fatalf("%d acks for %d records: %s", len(br.Acks), len(recs), w.Body)
	}
	return br.Acks
}

// op makes an operator API request with the right token.
func (e *env) op(method, path string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.opWith("Bearer "+opToken, method, path, body)
}

func (e *env) opWith(auth, method, path string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(mustJSON(e.t, body))
	} else {
		rd = bytes.NewReader(nil)
	}
	hr := httptest.NewRequest(method, path, rd)
	if auth != "" {
		hr.Header.Set("Authorization", auth)
	}
	hr.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, hr)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %d %q: %v", v, w.Code, w.Body, err)
	}
	return v
}

func contains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}

// serveRaw serves a request as it is.
func (e *env) serveRaw(hr *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, hr)
	return w
}

// readerOnly hides everything but Read (no length, no WriterTo).
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r readerOnly) Close() error               { return nil }
