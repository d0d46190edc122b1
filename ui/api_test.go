package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

func newTestServer(t *testing.T) (http.Handler, *kiosktest.Store) {
	t.Helper()
	st := kiosktest.NewStore()
	clock := kiosk.NewTrustedClock(kiosktest.NewClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)), time.Time{}, nil)
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewRouter(Deps{Service: svc}), st
}

const goodBody = `{"category":"theft","lang":"tg","anonymous":false,
 "reporter":{"full_name":"Ҷамшед Қодиров","phone":"+992 93 123 4567","id_number":"","address":""},
 "incident":{"occurred_at":"2026-05-31T18:00:00+05:00","place":"Истаравшан","description":"Велосипедамро дуздиданд"}}`

func do(h http.Handler, method, path, ctype, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

type errReply struct {
	Error struct {
		Code, Message, Field string
	}
}

func TestCreateReport(t *testing.T) {
	h, st := newTestServer(t)
	w := do(h, "POST", "/api/v1/reports", "application/json; charset=utf-8", goodBody)
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got createReply
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, err := kiosk.ParseNumber(got.Number); err != nil || got.Status != "received" || len(got.AccessCode) != 9 ||
		got.ID == "" || got.Receipt.Status == "" {
		t.Fatalf("reply %+v", got)
	}
	if len(st.Outbox) != 1 {
		t.Fatal("not committed")
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if w.Header().Get(k) != v {
			t.Errorf("header %s = %q", k, w.Header().Get(k))
		}
	}
}

func TestCreateReportBadInput(t *testing.T) {
	long := strings.Repeat("Ғ", 10000)
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		code, field       string
	}{
		{"malformed JSON", "application/json", `{"category":`, 400, "bad_json", ""},
		{"not an object", "application/json", `[1,2]`, 400, "wrong_type", ""},
		{"empty body", "application/json", ``, 400, "bad_json", ""},
		{"trailing data", "application/json", goodBody + `{}`, 400, "bad_json", ""},
		{"unknown field", "application/json", `{"category":"theft","is_admin":true}`, 400, "unknown_field", "is_admin"},
		{"unknown nested field", "application/json", `{"reporter":{"age":3}}`, 400, "unknown_field", "age"},
		{"wrong type", "application/json", `{"category":"theft","anonymous":"yes"}`, 400, "wrong_type", "anonymous"},
		{"wrong nested type", "application/json", `{"reporter":{"phone":992931234567}}`, 400, "wrong_type", "reporter.phone"},
		{"invalid UTF-8", "application/json", strings.Replace(goodBody, "Истаравшан", "Ист\xff\xfeравшан", 1), 400, "invalid_utf8", ""},
		{"escaped lone surrogate", "application/json", strings.Replace(goodBody, "Истаравшан", `\ud800x`, 1), 400, "control_character", "incident.place"},
		{"control character", "application/json", strings.Replace(goodBody, "Истаравшан", `Ист\u001bравшан`, 1), 400, "control_character", "incident.place"},
		{"10000-character name", "application/json", strings.Replace(goodBody, "Ҷамшед Қодиров", long, 1), 400, "too_long", "reporter.full_name"},
		{"missing name", "application/json", strings.Replace(goodBody, "Ҷамшед Қодиров", "", 1), 400, "required", "reporter.full_name"},
		{"body over 64 KiB", "application/json", `{"incident":{"description":"` + strings.Repeat("a", 70000) + `"}}`, 413, "body_too_large", ""},
		{"not JSON", "text/plain", goodBody, 415, "unsupported_media_type", ""},
		{"form post", "application/x-www-form-urlencoded", "a=b", 415, "unsupported_media_type", ""},
		{"no content type", "", goodBody, 415, "unsupported_media_type", ""},
		{"other charset", "application/json; charset=koi8-r", goodBody, 415, "unsupported_media_type", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, st := newTestServer(t)
			w := do(h, "POST", "/api/v1/reports", tc.ctype, tc.body)
			var got errReply
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("reply is not JSON: %q", w.Body)
			}
			if w.Code != tc.status || got.Error.Code != tc.code || (tc.field != "" && got.Error.Field != tc.field) || got.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s %s", w.Code, got.Error, tc.status, tc.code, tc.field)
			}
			if len(st.Outbox) != 0 {
				t.Fatal("bad input was committed")
			}
		})
	}
}

func TestStoreFailureIs503(t *testing.T) {
	h, st := newTestServer(t)
	st.Err = kiosk.ErrUnavailable
	w := do(h, "POST", "/api/v1/reports", "application/json", goodBody)
	if w.Code != http.StatusServiceUnavailable || !bytes.Contains(w.Body.Bytes(), []byte(`"unavailable"`)) {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}

func TestLookup(t *testing.T) {
	h, _ := newTestServer(t)
	w := do(h, "POST", "/api/v1/reports", "application/json", goodBody)
	var created createReply
	json.Unmarshal(w.Body.Bytes(), &created)
	num := created.Number
	other := kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 77}.String()
	badCheck := num[:len(num)-1] + string('0'+(num[len(num)-1]-'0'+1)%10)

	lookup := func(number, body string) *httptest.ResponseRecorder {
		return do(h, "POST", "/api/v1/reports/"+number+"/lookup", "application/json", body)
	}
	w = lookup(strings.ToLower(strings.ReplaceAll(num, "-", "")), `{"access_code":"`+strings.ToLower(created.AccessCode)+`"}`)
	if w.Code != 200 {
		t.Fatalf("right code: %d %s", w.Code, w.Body)
	}
	var rep lookupReply
	json.Unmarshal(w.Body.Bytes(), &rep)
	if rep.Number != num || rep.Status != "received" || len(rep.History) != 1 {
		t.Fatalf("reply %+v", rep)
	}
	if bytes.Contains(w.Body.Bytes(), []byte("Ҷамшед")) {
		t.Fatal("lookup reply carries personal data")
	}

	wrong := lookup(num, `{"access_code":"ZZZZ-ZZZZ"}`)
	unknown := lookup(other, `{"access_code":"`+created.AccessCode+`"}`)
	if wrong.Code != 404 || unknown.Code != 404 || wrong.Body.String() != unknown.Body.String() {
		t.Fatalf("wrong code %d %s; unknown number %d %s: want identical 404s", wrong.Code, wrong.Body, unknown.Code, unknown.Body)
	}
	if w := lookup(badCheck, `{"access_code":"ZZZZ-ZZZZ"}`); w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_number") {
		t.Fatalf("wrong check digit: %d %s", w.Code, w.Body)
	}
	if w := lookup(num, `{}`); w.Code != 400 || !strings.Contains(w.Body.String(), `"access_code"`) {
		t.Fatalf("missing code: %d %s", w.Code, w.Body)
	}
	if w := lookup(num, `{"access_code":"x","pin":1}`); w.Code != 400 {
		t.Fatalf("unknown field: %d %s", w.Code, w.Body)
	}
	for i := 0; i < 3; i++ { // 1 wrong above + 1 unknown-number (other key) + these 3 + 1 = 5 for num
		lookup(num, `{"access_code":"ZZZZ-ZZZZ"}`)
	}
	lookup(num, `{"access_code":"YYYY-YYYY"}`)
	w = lookup(num, `{"access_code":"`+created.AccessCode+`"}`)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after 5 wrong codes: %d %s", w.Code, w.Body)
	}
}

func TestHealthAndNoRoute(t *testing.T) {
	h, _ := newTestServer(t)
	w := do(h, "GET", "/healthz", "", "")
	var hl Health
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &hl) != nil || hl.Status != "ok" {
		t.Fatalf("healthz: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), `"last_success":null`) {
		t.Fatalf("healthz lacks relay.last_success: %s", w.Body)
	}
	if w := do(h, "GET", "/api/v1/nothing", "", ""); w.Code != 404 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Fatalf("no route: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/api/v1/reports", "", ""); w.Code != 405 {
		t.Fatalf("wrong method: %d %s", w.Code, w.Body)
	}
}

type fakeRenderer struct{ calls int }

func (f *fakeRenderer) RenderExtract(ctx context.Context, r *kiosk.Report, docID string, issued time.Time, lang string, withPersonal bool) ([]byte, error) {
	f.calls++
	return []byte("%PDF-1.4 " + r.Number.String() + " " + lang + " " + docID), nil
}

func TestExtract(t *testing.T) {
	st := kiosktest.NewStore()
	clock := kiosk.NewTrustedClock(kiosktest.NewClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)), time.Time{}, nil)
	svc, _ := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	h := NewRouter(Deps{Service: svc})
	w := do(h, "POST", "/api/v1/reports", "application/json", goodBody)
	var created createReply
	json.Unmarshal(w.Body.Bytes(), &created)
	path := "/api/v1/reports/" + created.Number + "/extract"

	if w := do(h, "POST", path, "application/json", `{"access_code":"`+created.AccessCode+`"}`); w.Code != 503 || !strings.Contains(w.Body.String(), "extracts_unavailable") {
		t.Fatalf("without a renderer: %d %s", w.Code, w.Body)
	}
	fr := &fakeRenderer{}
	svc.UseExtracts(fr)
	w = do(h, "POST", path, "application/json", `{"access_code":"`+created.AccessCode+`","lang":"ru"}`)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(w.Body.String(), "%PDF") ||
		!strings.Contains(w.Body.String(), " ru ") || w.Header().Get("X-Document-Id") == "" {
		t.Fatalf("extract: %d %v %s", w.Code, w.Header(), w.Body)
	}
	last := st.Audit[len(st.Audit)-1]
	if last.Action != "extract.issue" || last.Record != created.ID || !strings.Contains(last.Detail, w.Header().Get("X-Document-Id")) {
		t.Fatalf("audit entry %+v", last)
	}
	if w := do(h, "POST", path, "application/json", `{"access_code":"ZZZZ-ZZZZ"}`); w.Code != 404 {
		t.Fatalf("wrong code: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", path, "application/json", `{"access_code":"`+created.AccessCode+`","lang":"fr"}`); w.Code != 400 {
		t.Fatalf("bad lang: %d %s", w.Code, w.Body)
	}
	st.Err = kiosk.ErrUnavailable // the audit entry cannot be written: no extract is handed out
	calls := fr.calls
	if w := do(h, "POST", path, "application/json", `{"access_code":"`+created.AccessCode+`"}`); w.Code != 503 || strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Fatalf("audit failure: %d %s", w.Code, w.Body)
	}
	if fr.calls != calls+1 {
		t.Fatalf("renderer calls %d", fr.calls)
	}
}

func TestPagesShowTheCentre(t *testing.T) {
	st := kiosktest.NewStore()
	clock := kiosk.NewTrustedClock(kiosktest.NewClock(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)), time.Time{}, nil)
	svc, _ := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	h := NewRouter(Deps{Service: svc, Site: Site{CentreName: "Маркази Истаравшан", Hotline: "+992 44 600 00 00"}})
	w := do(h, "GET", "/", "", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Маркази Истаравшан") || !strings.Contains(w.Body.String(), "992 44 600 00 00") { // html/template writes + as &#43;
		t.Fatalf("home page lacks the centre or hotline: %d\n%s", w.Code, w.Body)
	}
	h = NewRouter(Deps{Service: svc}) // nothing configured: the catalog's generic name, in the page's language
	if w := do(h, "GET", "/?lang=ru", "", ""); !strings.Contains(w.Body.String(), "<title>") || strings.Contains(w.Body.String(), `id="hotline"`) {
		t.Fatalf("generic home page: %s", w.Body)
	}
}
