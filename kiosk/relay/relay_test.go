package relay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/central"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/store"
	"cpckiosk/printer/extract"
)

const opToken = "operator-secret-for-tests"

// centralSrv is a real central (bbolt file, HTTP on loopback).
type centralSrv struct {
	*central.Server
	URL  string
	http *httptest.Server
}

func newCentral(t testing.TB, now func() time.Time) *centralSrv {
	t.Helper()
	s, err := central.Open(t.TempDir(), central.Options{Now: now, OperatorToken: opToken})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return &centralSrv{Server: s, URL: hs.URL, http: hs}
}

// op calls the central's operator API.
func (c *centralSrv) op(t testing.TB, method, path string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.URL+path, body)
	req.Header.Set("Authorization", "Bearer "+opToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

type centralReport struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	DeviceID   string `json:"device_id"`
	Status     string `json:"status"`
	CaseNumber string `json:"case_number"`
}

func (c *centralSrv) reports(t testing.TB) []centralReport {
	t.Helper()
	var out struct{ Reports []centralReport }
	if code := c.op(t, "GET", "/api/v1/reports?cpc=ISF", nil, &out); code != 200 {
		t.Fatalf("list reports: %d", code)
	}
	return out.Reports
}

// kioskSide is a kiosk's store, service and relay worker.
type kioskSide struct {
	dir    string
	st     *store.Store
	svc    *kiosk.Service
	clock  *kiosk.TrustedClock
	worker *relay.Worker
	wire   *recorder
	stop   func()
}

// recorder keeps every request body the kiosk sends (decompressed).
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	next   http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(b))
	plain := b
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err == nil {
			plain, _ = io.ReadAll(zr)
		}
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, plain)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func newKiosk(t *testing.T, c *centralSrv, kioskNo int, wall kiosk.Clock, synced bool, setup func(*relay.Worker)) *kioskSide {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	if code := c.op(t, "POST", "/api/v1/tokens", map[string]any{"cpc": "ISF", "kiosk": kioskNo}, &tok); code != 200 {
		t.Fatalf("token: %d", code)
	}
	ctx := context.Background()
	if _, err := relay.Enroll(ctx, dir, c.URL, tok.Token, nil, func(k int, y map[int]int) error { return st.RaiseSequences(ctx, k, y) }); err != nil {
		t.Fatal(err)
	}
	if wall == nil {
		wall = kiosk.SystemClock{}
	}
	clock := kiosk.NewTrustedClock(wall, time.Time{}, func() bool { return synced })
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: kioskNo}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: http.DefaultTransport}
	w := &relay.Worker{Store: st, DataDir: dir, CPC: "ISF", Kiosk: kioskNo, Clock: clock,
		SystemSynced: func() bool { return synced }, HTTP: &http.Client{Transport: rec, Timeout: 10 * time.Second},
		IdleEvery: 20 * time.Millisecond, PollEvery: 50 * time.Millisecond, BaseDelay: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Health: func() *relay.DeviceHealth {
			return &relay.DeviceHealth{Version: "test-1.0", Printer: "paper_out", DiskFree: 1 << 30, DiskTotal: 8 << 30}
		}}
	if setup != nil {
		setup(w)
	}
	svc.UsePersonalSource(w)
	k := &kioskSide{dir: dir, st: st, svc: svc, clock: clock, worker: w, wire: rec}
	t.Cleanup(func() {
		if k.stop != nil {
			k.stop()
		}
		st.Close()
	})
	return k
}

func (k *kioskSide) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.worker.Run(ctx); close(done) }()
	k.stop = func() { cancel(); <-done; k.stop = nil }
}

func (k *kioskSide) create(t *testing.T, n int) []*kiosk.Created {
	t.Helper()
	var out []*kiosk.Created
	for i := range n {
		c, err := k.svc.Create(context.Background(), kiosk.NewReport{Category: "theft", Lang: "tg",
			Reporter: kiosk.Reporter{FullName: fmt.Sprintf("Ҷамшед Қодиров %d", i), Phone: "+992 93 123 45 67", Address: "Хуҷанд, кӯчаи Ленин 5"},
			Incident: kiosk.Incident{Place: "бозор", Description: fmt.Sprintf("Ҳамёнамро дуздиданд, рақами %d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (k *kioskSide) drained(t *testing.T) {
	t.Helper()
	waitFor(t, "the outbox to drain", 20*time.Second, func() bool {
		n, _ := k.st.OutboxLen(context.Background())
		return n == 0
	})
}

// The main path: reports reach the central exactly once, personal data
// never crosses the wire in clear, and the operator's status change reaches
// the citizen's status check.
func TestDeliverAndStatusBack(t *testing.T) {
	c := newCentral(t, nil)
	k := newKiosk(t, c, 1, nil, true, nil)
	created := k.create(t, relay.MaxBatchRecords+100) // more than one batch
	k.start()
	k.drained(t)

	got := c.reports(t)
	if len(got) != len(created) {
		t.Fatalf("central holds %d reports, kiosk made %d", len(got), len(created))
	}
	byNum := map[string]centralReport{}
	for _, r := range got {
		byNum[r.Number] = r
	}
	for _, cr := range created {
		r, ok := byNum[cr.Report.Number.String()]
		if !ok || r.ID != cr.Report.ID {
			t.Fatalf("report %s missing at the central or under another id", cr.Report.Number)
		}
	}
	local, _ := k.st.ReportByID(context.Background(), created[0].Report.ID)
	if local.Status != kiosk.StatusRelayed || local.AckedAt.IsZero() {
		t.Errorf("kiosk copy after delivery: %s acked %v", local.Status, local.AckedAt)
	}
	if st := k.worker.Status(); !st.Enrolled || st.LastSuccess.IsZero() || st.LastError != "" {
		t.Errorf("worker status %+v", st)
	}
	// The board's health reached the central's device list.
	var devs struct {
		Devices []struct {
			Health *relay.DeviceHealth `json:"health"`
		} `json:"devices"`
	}
	waitFor(t, "the kiosk's health at the central", 5*time.Second, func() bool {
		c.op(t, "GET", "/api/v1/devices", nil, &devs)
		return len(devs.Devices) == 1 && devs.Devices[0].Health != nil
	})
	if h := devs.Devices[0].Health; h.Version != "test-1.0" || h.Printer != "paper_out" || h.DiskFree != 1<<30 {
		t.Errorf("health at the central: %+v", h)
	}

	// Nothing personal in any body the kiosk sent.
	k.wire.mu.Lock()
	var all []byte
	for _, b := range k.wire.bodies {
		all = append(all, b...)
	}
	k.wire.mu.Unlock()
	if !bytes.Contains(all, []byte(created[0].Report.Number.String())) {
		t.Fatal("the recorder saw no batch: is it on the path?")
	}
	for _, secret := range []string{"Қодиров", "+992931234567", "Ленин", "Ҳамёнамро"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q crossed the wire in clear", secret)
		}
	}

	// The operator decides; the citizen sees it with the case number.
	num := created[7].Report.Number.String()
	for _, ch := range []map[string]any{
		{"status": "registered", "note": "зарегистрировано"},
		{"status": "decided", "decision": "case_opened", "case_number": "1-26-0456", "note": "возбуждено уголовное дело"},
	} {
		if code := c.op(t, "POST", "/api/v1/reports/"+num+"/status", ch, nil); code != 200 {
			t.Fatalf("status change %v: %d", ch, code)
		}
	}
	waitFor(t, "the decision at the kiosk", 10*time.Second, func() bool {
		r, err := k.svc.Lookup(context.Background(), num, created[7].AccessCode, "test")
		return err == nil && r.Status == kiosk.StatusDecided && r.CaseNumber == "1-26-0456" && r.Decision == kiosk.DecisionCaseOpened
	})
	k.stop()
	if n, err := k.st.VerifyAudit(context.Background()); err != nil {
		t.Errorf("audit after relay: %d entries, %v", n, err)
	}
}

// A new board (fresh SD card) enrolled as the same kiosk number continues
// after the last number the central holds.
func TestReplacedBoardNeverReissuesNumbers(t *testing.T) {
	c := newCentral(t, nil)
	old := newKiosk(t, c, 1, nil, true, nil)
	made := old.create(t, 5)
	old.start()
	old.drained(t)
	old.stop()

	fresh := newKiosk(t, c, 1, nil, true, nil)
	next := fresh.create(t, 1)[0]
	last := made[len(made)-1].Report.Number
	if next.Report.Number.Year == last.Year && next.Report.Number.Seq <= last.Seq {
		t.Fatalf("replacement board issued %s after the central saw %s", next.Report.Number, last)
	}
	fresh.start()
	fresh.drained(t)
	if n := len(c.reports(t)); n != 6 {
		t.Errorf("central holds %d reports, want 6", n)
	}
}

// Neither clock is trusted blindly: a kiosk with an unsynchronised clock
// follows the central; a synchronised board ignores a central that is days
// off; records are delivered in every case.
func TestCentralClockFarOff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		skew   time.Duration
		synced bool
		follow bool
	}{
		{"central 3 days ahead, board unsynced", 72 * time.Hour, false, true},
		{"central 3 days behind, board unsynced", -72 * time.Hour, false, false}, // the floor never goes back
		{"central 3 days ahead, board synced", 72 * time.Hour, true, false},
		{"central 3 days behind, board synced", -72 * time.Hour, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCentral(t, func() time.Time { return time.Now().Add(tc.skew) })
			k := newKiosk(t, c, 1, nil, tc.synced, nil)
			k.create(t, 3)
			k.start()
			k.drained(t)
			now, synced := k.clock.Now()
			followed := now.Sub(time.Now()) > tc.skew/2 && tc.skew > 0
			if followed != tc.follow {
				t.Errorf("kiosk clock %v off the board clock; follow=%v want %v", now.Sub(time.Now()).Round(time.Second), followed, tc.follow)
			}
			if !tc.synced && !synced {
				t.Error("the central's time did not mark the clock synchronised")
			}
			if n := len(c.reports(t)); n != 3 {
				t.Errorf("central holds %d, want 3", n)
			}
		})
	}
}

// A revoked device delivers nothing and says why.
func TestRevokedDevice(t *testing.T) {
	c := newCentral(t, nil)
	k := newKiosk(t, c, 1, nil, true, nil)
	e, err := relay.LoadEnrollment(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	if code := c.op(t, "POST", "/api/v1/devices/"+e.DeviceID+"/revoke", nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	k.create(t, 2)
	k.start()
	waitFor(t, "the refusal in the status", 5*time.Second, func() bool {
		return strings.Contains(k.worker.Status().LastError, relay.CodeRevoked)
	})
	if n, _ := k.st.OutboxLen(context.Background()); n != 2 {
		t.Errorf("outbox = %d, want 2 (nothing delivered, nothing lost)", n)
	}
	if n := len(c.reports(t)); n != 0 {
		t.Errorf("central accepted %d records from a revoked device", n)
	}
}

// Personal data leaves the kiosk after retention; an extract then fetches
// it from the central, and says so clearly when the central is away.
func TestPurgedReportExtract(t *testing.T) {
	c := newCentral(t, nil)
	k := newKiosk(t, c, 1, nil, true, func(w *relay.Worker) { w.Retention = time.Millisecond })
	keys, err := relay.LoadKeys(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	k.svc.UseExtracts(&extract.KioskRenderer{Signer: extract.Signer{Key: keys.Sign}, Centre: "Маркази Истаравшан"})
	made := k.create(t, 2)
	k.start()
	k.drained(t)
	k.stop()
	time.Sleep(5 * time.Millisecond)
	now, _ := k.clock.Now()
	if _, err := k.st.PurgePersonal(context.Background(), now, now, true); err != nil { // the worker may have purged them already
		t.Fatal(err)
	}
	for _, m := range made {
		r, _ := k.st.ReportByID(context.Background(), m.Report.ID)
		if !r.Purged || r.Reporter.FullName != "" || r.Incident.Description != "" {
			t.Fatalf("not purged: %+v", r)
		}
	}
	k.start() // the worker must be enrolled to ask
	waitFor(t, "the worker to load its enrolment", 5*time.Second, func() bool { return k.worker.Status().Enrolled })
	x, err := k.svc.IssueExtract(context.Background(), made[0].Report.Number.String(), made[0].AccessCode, "t", "ru")
	if err != nil {
		t.Fatalf("extract of a purged report with the central up: %v", err)
	}
	text := string(x.PDF)
	if len(text) < 1000 {
		t.Fatal("no PDF")
	}
	c.http.Close() // the central goes away
	_, err = k.svc.IssueExtract(context.Background(), made[1].Report.Number.String(), made[1].AccessCode, "t", "ru")
	if !errors.Is(err, kiosk.ErrCentralNeeded) {
		t.Fatalf("extract with the central away: %v, want ErrCentralNeeded", err)
	}
	// Status lookups do not need the central.
	if _, err := k.svc.Lookup(context.Background(), made[1].Report.Number.String(), made[1].AccessCode, "t"); err != nil {
		t.Errorf("lookup of a purged report: %v", err)
	}
}

// Three days of reports made while the uplink was down go through once it
// is back, with their original times.
func TestThreeDayBacklog(t *testing.T) {
	c := newCentral(t, nil)
	down := newCentral(t, nil)
	wall := &steppedClock{t: time.Now().Add(-72 * time.Hour)}
	k := newKiosk(t, c, 1, wall, true, nil)
	k.worker.CentralURL = down.URL // a central that does not know this device
	down.http.Close()              // and is not even there
	k.start()
	var made []*kiosk.Created
	for range 72 {
		made = append(made, k.create(t, 2)...)
		wall.add(time.Hour)
	}
	waitFor(t, "failures to be reported", 5*time.Second, func() bool { return k.worker.Status().LastError != "" })
	k.stop()
	k.worker.CentralURL = c.URL
	k.worker = &relay.Worker{Store: k.st, DataDir: k.dir, CPC: "ISF", Kiosk: 1, Clock: k.clock,
		SystemSynced: func() bool { return true }, IdleEvery: 20 * time.Millisecond, PollEvery: 50 * time.Millisecond}
	k.start()
	k.drained(t)
	got := c.reports(t)
	if len(got) != len(made) {
		t.Fatalf("central holds %d of %d", len(got), len(made))
	}
	first, _ := k.st.ReportByID(context.Background(), made[0].Report.ID)
	if time.Since(first.CreatedAt) < 71*time.Hour {
		t.Errorf("the first report's time %v is not 3 days old", first.CreatedAt)
	}
}

type steppedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *steppedClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// While a batch hangs on a slow uplink, citizens still register reports:
// the worker holds no lock a request needs.
func TestWorkerNeverBlocksReports(t *testing.T) {
	c := newCentral(t, nil)
	release := make(chan struct{})
	var once sync.Once
	hung := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == relay.PathBatch {
			once.Do(func() { close(hung) })
			<-release
		}
		c.http.Config.Handler.ServeHTTP(w, r)
	}))
	defer slow.Close()
	k := newKiosk(t, c, 1, nil, true, func(w *relay.Worker) { w.CentralURL = slow.URL })
	k.create(t, 3)
	k.start()
	<-hung // the first batch is on the wire and stuck
	done := make(chan struct{})
	go func() { k.create(t, 5); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("reports could not be created while a batch was in flight")
	}
	close(release)
	k.drained(t)
	if n := len(c.reports(t)); n != 8 {
		t.Errorf("central holds %d, want 8", n)
	}
}
