package central

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

func TestOperatorAuth(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}))
	endpoints := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/tokens", map[string]any{"cpc": "ISF", "kiosk": 1}},
		{"GET", "/api/v1/reports", nil},
		{"GET", "/api/v1/reports?cpc=ISF", nil},
		{"POST", "/api/v1/reports/" + number("ISF", 1, 26, 1) + "/status", StatusChange{Status: "registered"}},
		{"GET", "/api/v1/devices", nil},
		{"GET", "/api/v1/conflicts", nil},
		{"GET", "/api/v1/stats", nil},
		{"POST", "/api/v1/devices/" + d.id + "/revoke", nil},
	}
	auths := []struct{ name, header string }{
		{"no header", ""},
		{"wrong token", "Bearer " + opToken + "x"},
		{"prefix of the token", "Bearer " + opToken[:5]},
		{"basic scheme", "Basic " + opToken},
		{"empty bearer", "Bearer "},
	}
	for _, ep := range endpoints {
		for _, a := range auths {
			t.Run(ep.method+" "+ep.path+"/"+a.name, func(t *testing.T) {
				w := e.opWith(a.header, ep.method, ep.path, ep.body)
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("got %d %s", w.Code, w.Body)
				}
				if er := decode[apiError](t, w); er.Error.Code != "unauthorized" || er.Error.Message == "" {
					t.Errorf("error body %s", w.Body)
				}
			})
		}
		t.Run(ep.method+" "+ep.path+"/right token", func(t *testing.T) {
			if w := e.op(ep.method, ep.path, ep.body); w.Code != http.StatusOK {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
		})
	}
	// A server without an operator token refuses even an empty bearer.
	srv := &Server{}
	if srv.operatorOK("") {
		t.Error("an unset operator token accepts the empty token")
	}
}

func TestTokenAPI(t *testing.T) {
	e := newEnv(t)
	w := e.op("POST", "/api/v1/tokens", map[string]any{"cpc": "ISF", "kiosk": 3})
	tok := decode[struct{ Token string }](t, w).Token
	if w.Code != 200 || len(strings.ReplaceAll(tok, "-", "")) != 26 {
		t.Fatalf("token reply: %d %s", w.Code, w.Body)
	}
	d := newDevice(t)
	if w := e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, tok)}); w.Code != 200 || decode[relay.EnrollReply](t, w).Kiosk != 3 {
		t.Fatalf("enrol with API token: %d %s", w.Code, w.Body)
	}
	for _, body := range []any{
		map[string]any{"cpc": "isf", "kiosk": 1},
		map[string]any{"cpc": "ISFA", "kiosk": 1},
		map[string]any{"cpc": "ISF", "kiosk": 0},
		map[string]any{"cpc": "ISF", "kiosk": 10},
		map[string]any{"cpc": "ISF", "kiosk": 1, "extra": true},
		"not an object",
	} {
		if w := e.op("POST", "/api/v1/tokens", body); w.Code != http.StatusBadRequest {
			t.Errorf("%v: %d %s", body, w.Code, w.Body)
		}
	}
	// Only the hash is stored.
	raw, _ := parseToken(tok)
	e.close()
	b, err := os.ReadFile(filepath.Join(e.dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), string(raw[:])) || strings.Contains(string(b), tok) {
		t.Error("the token is stored in clear")
	}
	e.open()
}

func TestTokenFormat(t *testing.T) {
	for _, raw := range [][16]byte{{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}} {
		s := formatToken(raw)
		if len(s) != 26+6 {
			t.Errorf("%q: want 26 symbols in groups of four", s)
		}
		for _, typed := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, "-", " "), strings.ReplaceAll(strings.ReplaceAll(s, "1", "l"), "0", "O")} {
			got, err := parseToken(typed)
			if err != nil || got != raw {
				t.Errorf("parse %q = %x, %v; want %x", typed, got, err, raw)
			}
		}
	}
	for _, bad := range []string{"", "ABCD", strings.Repeat("Z", 26), strings.Repeat("0", 25) + "U", strings.Repeat("0", 27)} {
		if _, err := parseToken(bad); err == nil {
			t.Errorf("parse %q: no error", bad)
		}
	}
}

func TestStatusChangeRules(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}), e.record(rec{id: uuid(2), number: number("ISF", 1, 26, 2)}))
	n1, n2 := number("ISF", 1, 26, 1), number("ISF", 1, 26, 2)
	set := func(n string, ch StatusChange) int {
		t.Helper()
		return e.op("POST", "/api/v1/reports/"+n+"/status", ch).Code
	}
	if c := set(n1, StatusChange{Status: "under_review"}); c != 200 {
		t.Fatalf("skip forward: %d", c)
	}
	if c := set(n2, StatusChange{Status: "closed"}); c != 200 {
		t.Fatalf("close: %d", c)
	}
	tests := []struct {
		name   string
		number string
		ch     any
		want   int
		msg    string
	}{
		{"backwards", n1, StatusChange{Status: "registered"}, 409, "only move forward"},
		{"same status", n1, StatusChange{Status: "under_review"}, 409, "only move forward"},
		{"closed is final", n2, StatusChange{Status: "closed"}, 409, "closed is final"},
		{"back to received", n1, StatusChange{Status: "received"}, 409, "cannot become received"},
		{"decided without a decision", n1, StatusChange{Status: "decided"}, 400, "needs a decision"},
		{"decided with an unknown decision", n1, StatusChange{Status: "decided", Decision: "shrugged"}, 400, "needs a decision"},
		{"decision with another status", n1, StatusChange{Status: "closed", Decision: "refused"}, 400, "only with the status decided"},
		{"unknown status", n1, StatusChange{Status: "lost"}, 400, "unknown status"},
		{"control character in the note", n1, StatusChange{Status: "closed", Note: "a\x1bb"}, 400, "control character"},
		{"note too long", n1, StatusChange{Status: "closed", Note: strings.Repeat("ҳ", MaxNoteLen+1)}, 400, "at most"},
		{"unknown field", n1, map[string]any{"status": "closed", "colour": "red"}, 400, "unknown field"},
		{"unknown number", number("ISF", 1, 26, 3), StatusChange{Status: "closed"}, 404, "no report"},
		{"wrong check digit", "ISF1-26-000001-" + string(rune('0'+(n1[len(n1)-1]-'0'+1)%10)), StatusChange{Status: "closed"}, 400, "check digit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.op("POST", "/api/v1/reports/"+tc.number+"/status", tc.ch)
			if w.Code != tc.want {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tc.want)
			}
			if er := decode[apiError](t, w); !strings.Contains(er.Error.Message, tc.msg) {
				t.Errorf("message %q does not say %q", er.Error.Message, tc.msg)
			}
		})
	}
	// Nothing of the refused changes reached the feed or the report.
	list, _ := e.srv.Reports("ISF")
	if list[0].Status != "under_review" || list[1].Status != "closed" {
		t.Errorf("reports = %+v", list)
	}
	w := e.send(d, req{path: relay.PathUpdates, body: []byte(`{}`)})
	if n := len(decode[relay.UpdatesReply](t, w).Updates); n != 2 {
		t.Errorf("%d updates, want 2", n)
	}
	// Lower case and without dashes is the same number.
	if c := set(strings.ToLower(strings.ReplaceAll(n1, "-", "")), StatusChange{Status: "decided", Decision: "refused", Note: "Рад карда шуд"}); c != 200 {
		t.Errorf("number typed loosely: %d", c)
	}
}

func TestReportsList(t *testing.T) {
	e := newEnv(t)
	isf, khj := e.enroll("ISF", 1), e.enroll("KHJ", 2)
	e.batch(isf, e.record(rec{id: uuid(3), number: number("ISF", 1, 26, 3)}), e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}))
	e.batch(khj, e.record(rec{id: uuid(2), number: number("KHJ", 2, 26, 2)}))
	e.batch(isf, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)})) // resent
	type list struct{ Reports []ReportInfo }
	all := decode[list](t, e.op("GET", "/api/v1/reports", nil)).Reports
	var got []string
	for _, r := range all {
		got = append(got, r.Number)
	}
	want := []string{number("ISF", 1, 26, 1), number("ISF", 1, 26, 3), number("KHJ", 2, 26, 2)}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("all reports = %v, want %v", got, want)
	}
	r := all[0]
	if r.ID != uuid(1) || r.DeviceID != isf.id || r.Status != "relayed" || !r.ReceivedAt.Equal(e.clock.Now()) || r.Category != "theft" {
		t.Errorf("report = %+v", r)
	}
	if l := decode[list](t, e.op("GET", "/api/v1/reports?cpc=KHJ", nil)).Reports; len(l) != 1 || l[0].ID != uuid(2) {
		t.Errorf("KHJ reports = %+v", l)
	}
	if l := decode[list](t, e.op("GET", "/api/v1/reports?cpc=DUS", nil)).Reports; l == nil || len(l) != 0 {
		t.Errorf("DUS reports = %+v, want []", l)
	}
	if w := e.op("GET", "/api/v1/reports?cpc=IS", nil); w.Code != 400 {
		t.Errorf("bad cpc: %d", w.Code)
	}
	// Personal data never appears in the operator view.
	if w := e.op("GET", "/api/v1/reports", nil); strings.Contains(w.Body.String(), "Раҳимова") || strings.Contains(w.Body.String(), "sealed") {
		t.Errorf("personal data in the list: %s", w.Body)
	}
}

func TestRevokeAndStats(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d, e.record(rec{id: uuid(1), number: number("ISF", 1, 26, 1)}),
		relay.Record{Type: relay.TypeCheckpoint, ID: "cp", Checkpoint: &relay.Checkpoint{Seq: 1, Hash: "h", At: e.clock.Now()}})
	if st := decode[Stats](t, e.op("GET", "/api/v1/stats", nil)); st != (Stats{Reports: 1, Devices: 1, Checkpoints: 1}) {
		t.Errorf("stats = %+v", st)
	}
	if w := e.op("POST", "/api/v1/devices/NOSUCHDEVICE/revoke", nil); w.Code != 404 {
		t.Errorf("revoke unknown: %d", w.Code)
	}
	w := e.op("POST", "/api/v1/devices/"+d.id+"/revoke", nil)
	di := decode[DeviceInfo](t, w)
	if w.Code != 200 || di.RevokedAt == nil || !di.RevokedAt.Equal(e.clock.Now()) {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	e.clock.Add(time.Hour)
	if di := decode[DeviceInfo](t, e.op("POST", "/api/v1/devices/"+d.id+"/revoke", nil)); !di.RevokedAt.Equal(e.clock.Now().Add(-time.Hour)) {
		t.Errorf("revoking again moved the time: %v", di.RevokedAt)
	}
	wantError(t, e.send(d, req{path: relay.PathBatch, body: []byte(`{"records":[]}`)}), 403, relay.CodeRevoked)
	// A revoked key cannot enrol again either.
	wantError(t, e.send(d, req{path: relay.PathEnroll, body: e.enrollBody(d, e.token("ISF", 1))}), 403, relay.CodeRevoked)
	devs := decode[struct{ Devices []map[string]any }](t, e.op("GET", "/api/v1/devices", nil)).Devices
	for _, k := range []string{"id", "cpc", "kiosk", "enrolled_at", "last_contact", "pending", "revoked_at"} {
		if _, ok := devs[0][k]; !ok {
			t.Errorf("device lacks %q: %v", k, devs[0])
		}
	}
}

func TestOpen(t *testing.T) {
	t.Run("second open is refused", func(t *testing.T) {
		e := newEnv(t)
		_, err := Open(e.dir, Options{})
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "centrald is already running on "+e.dir) {
			t.Fatalf("second Open: %v", err)
		}
	})
	t.Run("keys survive a restart and central.pub is the anchor", func(t *testing.T) {
		e := newEnv(t)
		pub := e.srv.PublicKey()
		boxPub := *e.srv.BoxPublicKey()
		e.close()
		for name, mode := range map[string]os.FileMode{"central.key": 0o600, "central.pub": 0o644, "box.key": 0o600} {
			st, err := os.Stat(filepath.Join(e.dir, "keys", name))
			if err != nil || st.Mode().Perm() != mode {
				t.Errorf("keys/%s: %v %v, want mode %v", name, st.Mode(), err, mode)
			}
		}
		if st, _ := os.Stat(filepath.Join(e.dir, DBFile)); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", DBFile, st.Mode())
		}
		e.open()
		if !e.srv.PublicKey().Equal(pub) || *e.srv.BoxPublicKey() != boxPub {
			t.Error("keys changed across a restart")
		}
		a, err := extract.LoadAnchors(e.dir)
		if err != nil || len(a) != 1 || !a[0].Equal(pub) {
			t.Errorf("anchors = %v, %v", a, err)
		}
	})
	t.Run("unknown schema is refused", func(t *testing.T) {
		e := newEnv(t)
		e.close()
		db, err := bolt.Open(filepath.Join(e.dir, DBFile), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, []byte("99")) })
		db.Close()
		if _, err := Open(e.dir, Options{}); !errors.Is(err, ErrSchema) {
			t.Errorf("Open: %v, want ErrSchema", err)
		}
		// Put it back for the cleanup check.
		db, _ = bolt.Open(filepath.Join(e.dir, DBFile), 0o600, nil)
		db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, []byte("1")) })
		db.Close()
	})
	t.Run("not a database", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, DBFile), []byte("this is not bbolt, not at all, just some text of a few bytes"), 0o600)
		if _, err := Open(dir, Options{}); err == nil {
			t.Error("Open of garbage succeeded")
		}
	})
}
