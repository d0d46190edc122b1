package central

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

func TestEnroll(t *testing.T) {
	e := newEnv(t)
	d := newDevice(t)
	var nonce string
	w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, e.token("ISF", 1)), nonce: &nonce})
	if w.Code != http.StatusOK {
		t.Fatalf("enroll: %d %s", w.Code, w.Body)
	}
	e.checkReply(w, nonce)
	rep := decode[relay.EnrollReply](t, w)
	if rep.DeviceID != d.id || rep.CPC != "ISF" || rep.Kiosk != 1 {
		t.Errorf("reply names %s %s%d, want %s ISF1", rep.DeviceID, rep.CPC, rep.Kiosk, d.id)
	}
	if !bytes.Equal(rep.CentralSignKey, e.srv.PublicKey()) || !bytes.Equal(rep.CentralBoxKey, e.srv.BoxPublicKey()[:]) {
		t.Error("reply does not carry the central's keys")
	}
	if rep.Sequences == nil || len(rep.Sequences) != 0 {
		t.Errorf("sequences = %v, want an empty map", rep.Sequences)
	}
	// The certificate verifies against the central.pub the data dir holds,
	// the file kioskctl verify -data reads.
	anchors, err := extract.LoadAnchors(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := extract.VerifyCertificate(rep.Certificate, anchors)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	now := e.clock.Now()
	if c.DeviceID != d.id || c.CPC != "ISF" || c.Kiosk != 1 || !c.PublicKey.Equal(d.key.Public()) ||
		!c.NotBefore.Equal(now.Add(-time.Hour)) || !c.NotAfter.Equal(now.Add(CertificateValidity)) {
		t.Errorf("certificate = %+v", c)
	}
	// The device can now make signed requests.
	w = e.send(d, req{path: relay.PathUpdates, body: []byte(`{"after":0}`)})
	if w.Code != http.StatusOK {
		t.Fatalf("updates after enrolment: %d %s", w.Code, w.Body)
	}
	if devs := decode[struct{ Devices []DeviceInfo }](t, e.op("GET", "/api/v1/devices", nil)).Devices; len(devs) != 1 || devs[0].ID != d.id {
		t.Errorf("devices = %+v", devs)
	}
}

func TestEnrollToken(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		setup func(e *env) (d *device, tok string)
		want  int
		code  string
	}{
		{"fresh", func(e *env) (*device, string) { return newDevice(t), e.token("ISF", 2) }, 200, ""},
		{"used", func(e *env) (*device, string) {
			tok := e.token("ISF", 2)
			d := newDevice(t)
			if w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, tok)}); w.Code != 200 {
				t.Fatalf("first use: %d %s", w.Code, w.Body)
			}
			return newDevice(t), tok
		}, 403, relay.CodeToken},
		{"used by the same key", func(e *env) (*device, string) {
			tok := e.token("ISF", 2)
			d := newDevice(t)
			if w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, tok)}); w.Code != 200 {
				t.Fatalf("first use: %d %s", w.Code, w.Body)
			}
			return d, tok
		}, 403, relay.CodeToken},
		{"expired", func(e *env) (*device, string) {
			tok := e.token("ISF", 2)
			e.clock.Add(24*time.Hour + time.Second)
			return newDevice(t), tok
		}, 403, relay.CodeToken},
		{"unknown", func(e *env) (*device, string) { return newDevice(t), formatToken([16]byte{1, 2, 3}) }, 403, relay.CodeToken},
		{"garbage", func(e *env) (*device, string) { return newDevice(t), "not-a-token" }, 403, relay.CodeToken},
		{"typed in lower case with O for 0", func(e *env) (*device, string) {
			tok := e.token("ISF", 2)
			return newDevice(t), strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(tok, "0", "o"), "-", " "))
		}, 200, ""},
		{"re-enrolment of a known key with a fresh token", func(e *env) (*device, string) {
			d := e.enroll("ISF", 1)
			return d, e.token("ISF", 3)
		}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d, tok := tc.setup(e)
			w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, tok)})
			if tc.want != 200 {
				wantError(t, w, tc.want, tc.code)
				return
			}
			if w.Code != 200 {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
		})
	}
	// Re-enrolment re-issues for the new token's kiosk.
	d := e.enroll("ISF", 1)
	w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, e.token("KHJ", 4))})
	if rep := decode[relay.EnrollReply](t, w); w.Code != 200 || rep.CPC != "KHJ" || rep.Kiosk != 4 {
		t.Fatalf("re-enrol: %d %s", w.Code, w.Body)
	}
	if c, err := extract.ParseCertificate(decode[relay.EnrollReply](t, w).Certificate); err != nil || c.CPC != "KHJ" {
		t.Errorf("re-issued certificate: %+v %v", c, err)
	}
}

func TestEnrollRefusals(t *testing.T) {
	e := newEnv(t)
	other := newDevice(t)
	tests := []struct {
		name string
		r    func(d *device) req
		want int
		code string
	}{
		{"device header is not the key's id", func(d *device) req {
			return req{path: relay.PathEnroll, body: e.enrollBody(d, e.token("ISF", 1)), deviceID: other.id}
		}, 400, relay.CodeBadRequest},
		{"signed by another key than the one registered", func(d *device) req {
			body := mustJSON(t, relay.EnrollRequest{Token: e.token("ISF", 1), SignKey: other.key.Public().(ed25519.PublicKey), BoxKey: d.box.Public[:]})
			return req{path: relay.PathEnroll, body: body, deviceID: other.id}
		}, 401, relay.CodeBadSignature},
		{"short box key", func(d *device) req {
			body := mustJSON(t, relay.EnrollRequest{Token: e.token("ISF", 1), SignKey: d.key.Public().(ed25519.PublicKey), BoxKey: []byte{1, 2}})
			return req{path: relay.PathEnroll, body: body}
		}, 400, relay.CodeBadRequest},
		{"not JSON", func(d *device) req { return req{path: relay.PathEnroll, body: []byte("{")} }, 400, relay.CodeBadRequest},
		{"stale", func(d *device) req {
			return req{path: relay.PathEnroll, body: e.enrollBody(d, e.token("ISF", 1)), skew: -10 * time.Minute}
		}, 401, relay.CodeStale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDevice(t)
			wantError(t, e.send(d, tc.r(d)), tc.want, tc.code)
		})
	}
}

// TestSignedChecks covers the checks every signed request passes, in order.
func TestSignedChecks(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	revoked := e.enroll("ISF", 2)
	if _, err := e.srv.Revoke(revoked.id); err != nil {
		t.Fatal(err)
	}
	stranger := newDevice(t)
	upd := []byte(`{"after":0}`)
	tests := []struct {
		name string
		dev  *device
		r    req
		want int
		code string
	}{
		{"ok", d, req{}, 200, ""},
		{"no signature headers", d, req{unsigned: true}, 400, relay.CodeBadRequest},
		{"garbled time header", d, req{header: map[string]string{relay.HeaderTime: "yesterday"}}, 400, relay.CodeBadRequest},
		{"unknown device", stranger, req{}, 401, relay.CodeUnknown},
		{"body altered after signing", d, req{alter: func(b []byte) []byte { return bytes.Replace(b, []byte("0"), []byte("1"), 1) }}, 401, relay.CodeBadSignature},
		{"signed by another key", d, req{deviceID: d.id, header: map[string]string{relay.HeaderSignature: signWith(t, stranger, upd)}}, 401, relay.CodeBadSignature},
		{"revoked", revoked, req{}, 403, relay.CodeRevoked},
		{"10 minutes behind", d, req{skew: -10 * time.Minute}, 401, relay.CodeStale},
		{"10 minutes ahead", d, req{skew: 10 * time.Minute}, 401, relay.CodeStale},
		{"4 minutes ahead is within the window", d, req{skew: 4 * time.Minute}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var nonce string
			r := tc.r
			r.path, r.body, r.nonce = relay.PathUpdates, upd, &nonce
			w := e.send(tc.dev, r)
			if tc.want == 200 {
				if w.Code != 200 {
					t.Fatalf("got %d %s", w.Code, w.Body)
				}
			} else {
				wantError(t, w, tc.want, tc.code)
			}
			if nonce != "" && tc.code != relay.CodeBadRequest {
				e.checkReply(w, nonce) // stale replies too carry the central's time, signed
			}
		})
	}

	t.Run("replay", func(t *testing.T) {
		hr, body := e.build(d, req{path: relay.PathUpdates, body: upd})
		if w := e.serve(hr, body); w.Code != 200 {
			t.Fatalf("first: %d %s", w.Code, w.Body)
		}
		w := e.serve(hr, body)
		wantError(t, w, http.StatusConflict, relay.CodeReplay)
		e.checkReply(w, hr.Header.Get(relay.HeaderNonce))
	})

	t.Run("replay after a restart", func(t *testing.T) {
		hr, body := e.build(d, req{path: relay.PathBatch, body: []byte(`{"records":[]}`)})
		if w := e.serve(hr, body); w.Code != 200 {
			t.Fatalf("first: %d %s", w.Code, w.Body)
		}
		e.close()
		e.clock.Add(time.Second)
		e.open()
		// The nonce cache is new, but the request predates the server's start.
		wantError(t, e.serve(hr, body), http.StatusUnauthorized, relay.CodeStale)
	})
}

func signWith(t *testing.T, d *device, body []byte) string {
	t.Helper()
	hr, _ := (&env{t: t, clock: &clock{t: time.Now()}}).build(d, req{path: relay.PathUpdates, body: body})
	return hr.Header.Get(relay.HeaderSignature)
}

func TestBatchPerRecordAcks(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	wrongKey := newDevice(t).box.Public
	checkpoint := relay.Record{Type: relay.TypeCheckpoint, ID: "cp-1", Checkpoint: &relay.Checkpoint{Seq: 7, Hash: "abc", At: e.clock.Now()}}
	recs := []any{
		e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}),
		e.record(rec{id: uuid(2), number: number("ISF", 1, 26, 2), category: "gossip"}),
		e.record(rec{id: uuid(3), number: number("ISF", 1, 26, 3), sealTo: wrongKey}),
		e.record(rec{id: uuid(4), number: number("KHJ", 1, 26, 4)}),
		e.record(rec{id: uuid(5), number: number("ISF", 2, 26, 5)}),
		e.record(rec{id: uuid(6), number: "ISF1-26-000006-0"}), // wrong check digit (the right one is not 0)
		e.record(rec{id: uuid(7), number: number("ISF", 1, 26, 7), lang: "fr"}),
		e.record(rec{id: "NOT-A-UUID", number: number("ISF", 1, 26, 8)}),
		map[string]any{"type": "report", "id": uuid(9), "report": "not an object"},
		map[string]any{"type": "gossip", "id": uuid(10)},
		checkpoint,
		e.record(rec{id: uuid(12), number: number("ISF", 1, 26, 12)}),
	}
	if kiosk.Damm("12600000"+"6") == 0 {
		t.Fatal("test assumes the check digit of ISF1-26-000006 is not 0")
	}
	acks := e.batch(d, recs...)
	want := []struct{ id, result, reason string }{
		{uuid(1), relay.AckAccepted, ""},
		{uuid(2), relay.AckRejected, "category"},
		{uuid(3), relay.AckRejected, "does not open"},
		{uuid(4), relay.AckRejected, "not of this kiosk"},
		{uuid(5), relay.AckRejected, "not of this kiosk"},
		{uuid(6), relay.AckRejected, "check digit"},
		{uuid(7), relay.AckRejected, "language"},
		{"NOT-A-UUID", relay.AckRejected, "UUID"},
		{uuid(9), relay.AckRejected, "malformed"},
		{uuid(10), relay.AckRejected, "unknown record type"},
		{"cp-1", relay.AckAccepted, ""},
		{uuid(12), relay.AckAccepted, ""},
	}
	for i, w := range want {
		a := acks[i]
		if a.ID != w.id || a.Result != w.result || !strings.Contains(a.Reason, w.reason) || (w.reason == "" && a.Reason != "") {
			t.Errorf("ack %d = %+v, want %s %s %q", i, a, w.id, w.result, w.reason)
		}
	}
	st, err := e.srv.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st != (Stats{Reports: 2, Devices: 1, Conflicts: 0, Checkpoints: 1}) {
		t.Errorf("stats = %+v", st)
	}
	// The checkpoint resent is a duplicate.
	if a := e.batch(d, checkpoint)[0]; a.Result != relay.AckDuplicate {
		t.Errorf("checkpoint resent: %+v", a)
	}
}

func TestBatchIdempotency(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	first := e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)})
	if a := e.batch(d, first)[0]; a.Result != relay.AckAccepted {
		t.Fatalf("first send: %+v", a)
	}
	// The same content sealed again (the sealed bytes differ) is a duplicate.
	again := e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)})
	if bytes.Equal(again.Report.Sealed, first.Report.Sealed) {
		t.Fatal("sealing twice gave the same bytes")
	}
	// A replacement board of the same kiosk resending is a duplicate too.
	replacement := e.enroll("ISF", 1)
	for _, dev := range []*device{d, replacement} {
		if a := e.batch(dev, again)[0]; a.Result != relay.AckDuplicate {
			t.Errorf("resend: %+v", a)
		}
	}
	changed := e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1), desc: "Дигар матн"})
	reused := e.record(rec{id: uuid(2), number: number("ISF", 1, 26, 1)})
	acks := e.batch(d, changed, reused)
	if a := acks[0]; a.Result != relay.AckRejected || a.Reason != "conflict: this id was stored with different content" {
		t.Errorf("same id, other content: %+v", a)
	}
	if a := acks[1]; a.Result != relay.AckRejected || !strings.Contains(a.Reason, "already held") {
		t.Errorf("number reused by another id: %+v", a)
	}
	conf := decode[struct{ Conflicts []Conflict }](t, e.op("GET", "/api/v1/conflicts", nil)).Conflicts
	if len(conf) != 2 || conf[0].RecordID != uuid(1) || conf[0].HeldBy != uuid(1) ||
		conf[1].RecordID != uuid(2) || conf[1].HeldBy != uuid(1) || conf[1].Number != number("ISF", 1, 26, 1) || conf[0].DeviceID != d.id {
		t.Errorf("conflicts = %+v", conf)
	}
	// The stored record was not overwritten: the personal data is the first.
	p := e.personal(d, uuid(1))
	if p.Description != "Ҳамёнамро дар бозор дуздиданд." {
		t.Errorf("stored description changed to %q", p.Description)
	}
	list := decode[struct{ Reports []ReportInfo }](t, e.op("GET", "/api/v1/reports?cpc=ISF", nil)).Reports
	if len(list) != 1 || list[0].ID != uuid(1) {
		t.Errorf("reports = %+v, want the one report once", list)
	}
}

func TestBatchGzip(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	body := mustJSON(t, relay.BatchRequest{Records: []relay.Record{
		e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}),
		e.record(rec{id: uuid(2), number: number("ISF", 1, 26, 2)}),
	}})
	var nonce string
	w := e.send(d, req{path: relay.PathBatch, body: body, gzip: true, nonce: &nonce})
	if w.Code != 200 {
		t.Fatalf("gzip batch: %d %s", w.Code, w.Body)
	}
	e.checkReply(w, nonce)
	for _, a := range decode[relay.BatchReply](t, w).Acks {
		if a.Result != relay.AckAccepted {
			t.Errorf("ack %+v", a)
		}
	}
	// The signature covers the gzip bytes as sent: altering them fails it.
	w = e.send(d, req{path: relay.PathBatch, body: body, gzip: true, alter: func(b []byte) []byte { b[len(b)-5] ^= 1; return b }})
	wantError(t, w, http.StatusUnauthorized, relay.CodeBadSignature)
	// Bad gzip, correctly signed.
	hr, _ := e.build(d, req{path: relay.PathBatch, body: []byte("not gzip")})
	hr.Header.Set("Content-Encoding", "gzip")
	wantError(t, e.serve(hr, []byte("not gzip")), http.StatusBadRequest, relay.CodeBadRequest)
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	big := bytes.Repeat([]byte(" "), 5<<20)
	wantError(t, e.send(d, req{path: relay.PathBatch, body: big}), http.StatusRequestEntityTooLarge, relay.CodeTooLarge)
	// Without a Content-Length the reader still stops at MaxBody.
	hr, body := e.build(d, req{path: relay.PathBatch, body: big})
	hr.Body = nil
	r2 := hr.Clone(hr.Context())
	r2.Body = readerOnly{bytes.NewReader(body)}
	r2.ContentLength = -1
	w := e.serveRaw(r2)
	wantError(t, w, http.StatusRequestEntityTooLarge, relay.CodeTooLarge)
	// A small gzip body that inflates past MaxBody.
	bomb := []byte(`{"records":[` + strings.Repeat(" ", relay.MaxBody) + `]}`)
	wantError(t, e.send(d, req{path: relay.PathBatch, body: bomb, gzip: true}), http.StatusRequestEntityTooLarge, relay.CodeTooLarge)
	// Too many records.
	recs := make([]any, relay.MaxBatchRecords+1)
	for i := range recs {
		recs[i] = map[string]string{"type": "report", "id": uuid(i)}
	}
	wantError(t, e.send(d, req{path: relay.PathBatch, body: mustJSON(t, map[string]any{"records": recs})}), http.StatusRequestEntityTooLarge, relay.CodeTooLarge)
}

func TestBatchCommitFailure(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.srv.failCommit = func() error { return errors.New("disk full") }
	var nonce string
	w := e.send(d, req{path: relay.PathBatch, nonce: &nonce,
		body: mustJSON(t, relay.BatchRequest{Records: []relay.Record{e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)})}})})
	wantError(t, w, http.StatusServiceUnavailable, relay.CodeUnavailable)
	e.checkReply(w, nonce)
	if strings.Contains(w.Body.String(), "acks") {
		t.Errorf("a failed commit answered acks: %s", w.Body)
	}
	e.srv.failCommit = nil
	if st, _ := e.srv.Stats(); st.Reports != 0 {
		t.Errorf("%d reports stored by a failed commit", st.Reports)
	}
	if a := e.batch(d, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}))[0]; a.Result != relay.AckAccepted {
		t.Errorf("retry after the failure: %+v", a)
	}
}

func TestLastContactAndBacklog(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.clock.Add(time.Minute)
	w := e.send(d, req{path: relay.PathUpdates, body: []byte(`{}`), header: map[string]string{relay.HeaderPending: "7"}})
	if w.Code != 200 {
		t.Fatal(w.Body)
	}
	check := func(when string) {
		t.Helper()
		devs, err := e.srv.Devices()
		if err != nil {
			t.Fatal(err)
		}
		if len(devs) != 1 || devs[0].LastContact == nil || !devs[0].LastContact.Equal(e.clock.Now()) || devs[0].Pending == nil || *devs[0].Pending != 7 {
			t.Errorf("%s: devices = %+v", when, devs)
		}
	}
	check("in memory")
	e.close()
	e.open()
	check("after a restart")
}

func TestUpdatesFeed(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	other := e.enroll("ISF", 2)
	var recs []any
	for i := 1; i <= 3; i++ {
		recs = append(recs, e.record(rec{id: uuid(i), number: number("ISF", 1, 26, i)}))
	}
	recs = append(recs, e.record(rec{id: uuid(9), number: number("ISF", 2, 26, 9)}))
	e.batch(d, recs[:3]...)
	e.batch(other, recs[3])
	changes := []struct {
		n  int
		ch StatusChange
	}{
		{1, StatusChange{Status: "registered", CaseNumber: "ПҶ-2026/0412", Note: "қабул шуд"}},
		{2, StatusChange{Status: "under_review"}},
		{1, StatusChange{Status: "decided", Decision: "case_opened"}},
		{3, StatusChange{Status: "closed"}},
	}
	for _, c := range changes {
		w := e.op("POST", "/api/v1/reports/"+number("ISF", 1, 26, c.n)+"/status", c.ch)
		if w.Code != 200 {
			t.Fatalf("status %+v: %d %s", c, w.Code, w.Body)
		}
	}
	rep := decode[ReportInfo](t, e.op("POST", "/api/v1/reports/"+number("ISF", 2, 26, 9)+"/status", StatusChange{Status: "registered"}))
	if rep.Status != "registered" || len(rep.History) != 2 {
		t.Errorf("status reply = %+v", rep)
	}

	pull := func(dev *device, after uint64, limit int) relay.UpdatesReply {
		t.Helper()
		var nonce string
		w := e.send(dev, req{path: relay.PathUpdates, body: mustJSON(t, relay.UpdatesRequest{After: after, Limit: limit}), nonce: &nonce})
		if w.Code != 200 {
			t.Fatalf("updates: %d %s", w.Code, w.Body)
		}
		e.checkReply(w, nonce)
		return decode[relay.UpdatesReply](t, w)
	}
	page := pull(d, 0, 3)
	if len(page.Updates) != 3 || !page.More {
		t.Fatalf("first page: %+v", page)
	}
	u := page.Updates[0]
	if u.Cursor != 1 || u.ID != uuid(1) || u.Number != number("ISF", 1, 26, 1) || u.Status != "registered" ||
		u.CaseNumber != "ПҶ-2026/0412" || u.Note != "қабул шуд" || !u.At.Equal(e.clock.Now()) {
		t.Errorf("first update = %+v", u)
	}
	if page.Updates[2].Decision != "case_opened" || page.Updates[2].CaseNumber != "ПҶ-2026/0412" {
		t.Errorf("decided update = %+v", page.Updates[2])
	}
	rest := pull(d, page.Updates[2].Cursor, 0)
	if len(rest.Updates) != 1 || rest.More || rest.Updates[0].Cursor != 4 || rest.Updates[0].Status != "closed" {
		t.Errorf("second page: %+v", rest)
	}
	if end := pull(d, 4, 0); len(end.Updates) != 0 || end.More || end.Updates == nil {
		t.Errorf("after the end: %+v", end)
	}
	if end := pull(d, ^uint64(0), 0); len(end.Updates) != 0 || end.More {
		t.Errorf("after the largest cursor: %+v", end)
	}
	// The feed is the kiosk's, not the board's: a replacement gets it all.
	if all := pull(e.enroll("ISF", 1), 0, 0); len(all.Updates) != 4 {
		t.Errorf("replacement board got %d updates", len(all.Updates))
	}
	// Another kiosk has its own feed with its own cursors.
	if o := pull(other, 0, 0); len(o.Updates) != 1 || o.Updates[0].Cursor != 1 || o.Updates[0].ID != uuid(9) {
		t.Errorf("other kiosk: %+v", o)
	}
}

func (e *env) personal(d *device, id string) relay.Personal {
	e.t.Helper()
	var nonce string
	w := e.send(d, req{path: relay.PathPersonal, body: mustJSON(e.t, relay.PersonalRequest{ID: id}), nonce: &nonce})
	if w.Code != 200 {
		e.t.Fatalf("personal: %d %s", w.Code, w.Body)
	}
	e.checkReply(w, nonce)
	p, err := relay.OpenPersonal(decode[relay.PersonalReply](e.t, w).Sealed, d.box.Private)
	if err != nil {
		e.t.Fatalf("open resealed data with the device's box key: %v", err)
	}
	return p
}

func TestPersonal(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}))
	p := e.personal(d, uuid(1))
	if p.Reporter.FullName != "Раҳимова Гулчеҳра" || p.Description != "Ҳамёнамро дар бозор дуздиданд." {
		t.Errorf("personal = %+v", p)
	}
	// The resealed box does not open with the central's key or another device's.
	w := e.send(d, req{path: relay.PathPersonal, body: mustJSON(t, relay.PersonalRequest{ID: uuid(1)})})
	sealed := decode[relay.PersonalReply](t, w).Sealed
	if _, err := relay.OpenPersonal(sealed, e.srv.box.Private); err == nil {
		t.Error("resealed data opens with the central's key")
	}
	// A replacement board of the same kiosk may ask; another kiosk may not.
	if p := e.personal(e.enroll("ISF", 1), uuid(1)); p.Description == "" {
		t.Error("replacement board got nothing")
	}
	other := e.enroll("ISF", 2)
	for _, id := range []string{uuid(1), uuid(2), ""} {
		wantError(t, e.send(other, req{path: relay.PathPersonal, body: mustJSON(t, relay.PersonalRequest{ID: id})}), 404, relay.CodeNotFound)
	}
}

func TestSequencesInEnrollReply(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d,
		e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 5)}),
		e.record(rec{id: uuid(2), number: number("ISF", 1, 26, 3)}),
		e.record(rec{id: uuid(3), number: number("ISF", 1, 25, 41)}),
		e.record(rec{id: uuid(4), number: number("ISF", 1, 26, 999)}),
	)
	e.batch(e.enroll("ISF", 2), e.record(rec{id: uuid(5), number: number("ISF", 2, 26, 77)}))
	got := e.enroll("ISF", 1).reply.Sequences
	want := map[string]int{"26": 999, "25": 41}
	if len(got) != len(want) || got["26"] != 999 || got["25"] != 41 {
		t.Errorf("sequences = %v, want %v", got, want)
	}
	if got := e.enroll("ISF", 3).reply.Sequences; len(got) != 0 {
		t.Errorf("kiosk 3 sequences = %v", got)
	}
	b, _ := json.Marshal(e.enroll("ISF", 2).reply.Sequences)
	if string(b) != `{"26":77}` {
		t.Errorf("kiosk 2 sequences = %s", b)
	}
}
