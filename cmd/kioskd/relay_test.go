package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/admin"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/relay/faultproxy"
	"cpckiosk/kiosk/store"
)

const opToken = "op-token-for-the-relay-tests"

// centrald is a running centrald process on a fixed address, so that it
// can be killed and restarted behind the same proxy.
type centrald struct {
	t      testing.TB
	dir    string
	addr   string
	extra  []string
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	log    bytes.Buffer
}

var listening = regexp.MustCompile(`centrald listening on (http://\S+)`)

func startCentral(t testing.TB, extra ...string) *centrald {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &centrald{t: t, dir: t.TempDir(), addr: addr, extra: extra}
	c.start()
	t.Cleanup(c.kill)
	return c
}

func (c *centrald) URL() string { return "http://" + c.addr }

func (c *centrald) start() {
	c.t.Helper()
	args := append([]string{"-data", c.dir, "-listen", c.addr, "-operator-token", opToken, "-log", "text"}, c.extra...)
	c.cmd = exec.Command(centraldBin, args...)
	c.exited = make(chan struct{})
	pipe, _ := c.cmd.StderrPipe()
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	up := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.mu.Lock()
			c.log.Write(sc.Bytes())
			c.log.WriteByte('\n')
			c.mu.Unlock()
			if listening.Match(sc.Bytes()) {
				up <- struct{}{}
			}
		}
		c.cmd.Wait()
		close(c.exited)
	}()
	select {
	case <-up:
	case <-c.exited:
		c.t.Fatalf("centrald exited at start:\n%s", c.logs())
	case <-time.After(20 * time.Second):
		c.t.Fatalf("centrald did not start:\n%s", c.logs())
	}
}

func (c *centrald) logs() string { c.mu.Lock(); defer c.mu.Unlock(); return c.log.String() }

func (c *centrald) kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.exited
	}
}

// op calls the operator API.
func (c *centrald) op(method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.URL()+path, body)
	req.Header.Set("Authorization", "Bearer "+opToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

type centralReport struct {
	ID, Number, Status, DeviceID string
	CaseNumber                   string `json:"case_number"`
}

func (c *centrald) reports(t testing.TB) []centralReport {
	t.Helper()
	var out struct {
		Reports []struct {
			ID         string `json:"id"`
			Number     string `json:"number"`
			Status     string `json:"status"`
			DeviceID   string `json:"device_id"`
			CaseNumber string `json:"case_number"`
		} `json:"reports"`
	}
	if code, err := c.op("GET", "/api/v1/reports?cpc=ISF", nil, &out); code != 200 || err != nil {
		t.Fatalf("list reports: %d %v", code, err)
	}
	rs := make([]centralReport, len(out.Reports))
	for i, r := range out.Reports {
		rs[i] = centralReport{ID: r.ID, Number: r.Number, Status: r.Status, DeviceID: r.DeviceID, CaseNumber: r.CaseNumber}
	}
	return rs
}

// enroll makes a token at the central and enrolls the kiosk data dir.
func enroll(t testing.TB, c *centrald, dir string, kioskNo int) {
	t.Helper()
	var tok struct{ Token string }
	if code, err := c.op("POST", "/api/v1/tokens", map[string]any{"cpc": "ISF", "kiosk": kioskNo}, &tok); code != 200 || err != nil {
		t.Fatalf("token: %d %v", code, err)
	}
	var out, errb bytes.Buffer
	if code := admin.RunEnroll(context.Background(), []string{"-data", dir, "-central", c.URL(), "-token", tok.Token}, &out, &errb); code != 0 {
		t.Fatalf("kioskctl enroll: %d\n%s%s", code, out.String(), errb.String())
	}
}

// TestRelayUnderFaults is the Jepsen-style check of the relay: real kioskd
// and centrald processes with our fault proxy between them (drops, delays,
// replies lost after the central committed, replies cut in half), both
// killed with SIGKILL at random while citizens submit and an operator
// changes statuses. At the end it counts what a ministry would care about.
func TestRelayUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	dur := 20 * time.Second
	if s := os.Getenv("KIOSK_RELAY_SECONDS"); s != "" {
		n, _ := strconv.Atoi(s)
		dur = time.Duration(n) * time.Second
	}
	c := startCentral(t)
	proxy := faultproxy.New(c.URL(), 7)
	proxy.Set(faultproxy.Faults{Drop: 0.1, Reset: 0.1, Truncate: 0.1, Delay: 5 * time.Millisecond})
	ps := httptest.NewServer(proxy)
	defer ps.Close()

	dir := t.TempDir()
	enroll(t, c, dir, 1)
	kargs := []string{"-central", ps.URL, "-relay-poll", "100ms", "-printer", "none"}
	var kmu sync.Mutex
	k := startArgs(t, dir, kargs...)

	var (
		mu        sync.Mutex
		acked     = map[string]created{} // number → what the citizen was given
		wantState = map[string]string{}  // number → status the operator set last
		kills     = map[string]int{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				kmu.Lock()
				url := k.URL
				kmu.Unlock()
				code, body, err := post(url+"/api/v1/reports", reportBody(fmt.Sprintf("w%d-%d", w, i)))
				time.Sleep(10 * time.Millisecond) // a busy centre, not a flood: many small batches
				if err != nil || code != 201 {
					continue
				}
				var cr created
				if json.Unmarshal(body, &cr) == nil {
					mu.Lock()
					acked[cr.Number] = cr
					mu.Unlock()
				}
			}
		}()
	}
	// The operator moves reports the central holds along.
	wg.Add(1)
	go func() {
		defer wg.Done()
		steps := []map[string]any{
			{"status": "registered"},
			{"status": "under_review", "note": "участковый назначен"},
			{"status": "decided", "decision": "case_opened", "case_number": "1-26-", "note": "возбуждено дело"},
		}
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			var out struct {
				Reports []struct{ Number, Status string } `json:"reports"`
			}
			if code, err := c.op("GET", "/api/v1/reports?cpc=ISF", nil, &out); code != 200 || err != nil || len(out.Reports) == 0 {
				continue
			}
			r := out.Reports[rand.IntN(len(out.Reports))]
			for _, s := range steps {
				if kiosk.CanTransition(kiosk.Status(r.Status), kiosk.Status(s["status"].(string))) {
					body := map[string]any{}
					for k, v := range s {
						body[k] = v
					}
					if body["case_number"] != nil {
						body["case_number"] = "1-26-" + r.Number[len(r.Number)-8:]
					}
					if code, err := c.op("POST", "/api/v1/reports/"+r.Number+"/status", body, nil); code == 200 && err == nil {
						mu.Lock()
						wantState[r.Number] = s["status"].(string)
						mu.Unlock()
					}
					break
				}
			}
		}
	}()
	// Chaos: kill one side or the other at random.
	deadline := time.Now().Add(dur)
	for time.Now().Before(deadline) {
		time.Sleep(time.Duration(500+rand.IntN(1000)) * time.Millisecond)
		if rand.IntN(2) == 0 {
			kmu.Lock()
			k.kill()
			k = startArgs(t, dir, kargs...)
			kmu.Unlock()
			kills["kioskd"]++
		} else {
			c.kill()
			c.start()
			kills["centrald"]++
		}
	}
	close(stop)
	wg.Wait()

	// Heal the network and let everything settle.
	proxy.Set(faultproxy.Faults{})
	kmu.Lock()
	defer kmu.Unlock()
	settle := time.Now().Add(60 * time.Second)
	for {
		var h struct {
			Relay struct {
				Pending int `json:"pending"`
			} `json:"relay"`
		}
		resp, err := client.Get(k.URL + "/healthz")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if h.Relay.Pending == 0 {
				break
			}
		}
		if time.Now().After(settle) {
			t.Fatalf("outbox not drained after healing: %d pending\n%s", h.Relay.Pending, k.Stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every status the operator set comes back to the citizen's status check.
	updatesMissing := 0
	for time.Now().Before(settle) {
		updatesMissing = 0
		for num, want := range wantState {
			cr, ok := acked[num]
			if !ok {
				continue // created but its reply was lost to a kill: not the citizen's
			}
			code, body, err := post(k.URL+"/api/v1/reports/"+num+"/lookup", `{"access_code":"`+cr.AccessCode+`"}`)
			var lr struct{ Status string }
			json.Unmarshal(body, &lr)
			if err != nil || code != 200 || lr.Status != want {
				updatesMissing++
			}
		}
		if updatesMissing == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	central := c.reports(t)
	k.kill()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kioskIDs := map[string]string{} // id → number
	st.Reports(context.Background(), func(r *kiosk.Report) bool {
		kioskIDs[r.ID] = r.Number.String()
		return true
	})
	st.Close()

	seenID, seenNum := map[string]int{}, map[string]int{}
	dups, phantom := 0, 0
	for _, r := range central {
		seenID[r.ID]++
		seenNum[r.Number]++
		if seenID[r.ID] > 1 || seenNum[r.Number] > 1 {
			dups++
		}
		if kioskIDs[r.ID] != r.Number {
			phantom++
		}
	}
	missing := 0
	for num, cr := range acked {
		if seenID[cr.ID] == 0 || kioskIDs[cr.ID] != num {
			missing++
		}
	}
	undelivered := len(kioskIDs) - len(seenID)
	if os.Getenv("KIOSK_RELAY_DEBUG") != "" {
		t.Log(tail(k.Stderr(), 20000))
	}
	pc := proxy.Counts()
	t.Logf("relay-faults: acknowledged=%d kiosk_records=%d central=%d missing=%d duplicates=%d phantom=%d undelivered=%d "+
		"status_set=%d status_missing=%d kioskd_kills=%d centrald_kills=%d proxy{forwarded=%d dropped=%d reset_after_commit=%d truncated=%d}",
		len(acked), len(kioskIDs), len(central), missing, dups, phantom, undelivered, len(wantState), updatesMissing,
		kills["kioskd"], kills["centrald"], pc.Forwarded, pc.Dropped, pc.Reset, pc.Truncated)
	if missing != 0 || dups != 0 || phantom != 0 || undelivered != 0 || updatesMissing != 0 {
		t.Errorf("relay lost or invented data (see counts above)\ncentrald log tail:\n%s", tail(c.logs(), 3000))
	}
	if len(acked) < 50 || len(wantState) < 5 || pc.Reset == 0 || pc.Dropped+pc.Reset+pc.Truncated < 5 {
		t.Errorf("the run did too little to mean anything: %d reports, %d status changes, proxy %+v", len(acked), len(wantState), pc)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// centraldBin is the centrald binary TestMain builds beside kioskd.
var centraldBin string

// A kiosk that has been serving offline is enrolled while kioskd runs
// (kioskctl talks to it over its control socket); the relay starts by
// itself, /healthz tells the story, and the operator's decision reaches the
// citizen.
func TestEnrollRunningKiosk(t *testing.T) {
	c := startCentral(t)
	dir := t.TempDir()
	k := startArgs(t, dir, "-relay-poll", "100ms", "-printer", "none")
	health := func() (h struct {
		Relay struct {
			Pending     int        `json:"pending"`
			LastSuccess *time.Time `json:"last_success"`
			LastError   string     `json:"last_error"`
			Enrolled    bool       `json:"enrolled"`
		} `json:"relay"`
		ClockSynced bool `json:"clock_synced"`
	}) {
		resp, err := client.Get(k.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&h)
		return h
	}
	var made []created
	for i := range 3 {
		code, body, err := post(k.URL+"/api/v1/reports", reportBody(fmt.Sprint(i)))
		if err != nil || code != 201 {
			t.Fatalf("create: %d %v", code, err)
		}
		var cr created
		json.Unmarshal(body, &cr)
		made = append(made, cr)
	}
	if h := health(); h.Relay.Enrolled || h.Relay.Pending != 3 || h.Relay.LastSuccess != nil {
		t.Fatalf("before enrolment: %+v", h.Relay)
	}
	enroll(t, c, dir, 1) // kioskd holds the store: this goes through its socket
	deadline := time.Now().Add(20 * time.Second)
	for h := health(); h.Relay.Pending != 0 || !h.Relay.Enrolled || h.Relay.LastSuccess == nil; h = health() {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered after enrolment: %+v\n%s", h.Relay, k.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := c.reports(t); len(got) != 3 {
		t.Fatalf("central holds %d reports, want 3", len(got))
	}
	num := made[1].Number
	if code, err := c.op("POST", "/api/v1/reports/"+num+"/status", map[string]any{"status": "decided", "decision": "refused", "note": "состава преступления нет"}, nil); code != 200 || err != nil {
		t.Fatalf("status: %d %v", code, err)
	}
	for {
		code, body, _ := post(k.URL+"/api/v1/reports/"+num+"/lookup", `{"access_code":"`+made[1].AccessCode+`"}`)
		var lr struct{ Status string }
		json.Unmarshal(body, &lr)
		if code == 200 && lr.Status == "decided" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("decision not back at the kiosk: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The next number continues the kiosk's own sequence.
	code, body, _ := post(k.URL+"/api/v1/reports", reportBody("after"))
	var cr created
	json.Unmarshal(body, &cr)
	if code != 201 || cr.Number[len(cr.Number)-8:len(cr.Number)-2] != "000004" {
		t.Errorf("next report after enrolment: %d %s", code, cr.Number)
	}
}

// The central process refuses what an attacker or a broken link sends: a
// replayed request, a request signed by an unknown key or by a revoked
// device; and it answers a batch with one bad record among good ones per
// record. The central's clock far off does not stop a real kioskd.
func TestCentralProcessRefusals(t *testing.T) {
	c := startCentral(t, "-clock-offset", "72h")
	dir := t.TempDir()
	enroll(t, c, dir, 1)
	e, err := relay.LoadEnrollment(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := relay.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	box, _ := relay.Key32(e.CentralBoxKey)
	cl := &relay.Client{URL: c.URL(), Key: keys.Sign, DeviceID: keys.DeviceID, Central: e.CentralSignKey}
	sealed, _ := relay.SealPersonal(relay.Personal{Reporter: kiosk.Reporter{FullName: "Ҷамшед"}, Description: "дуздӣ"}, box)
	good := func(seq int) relay.Record {
		id, _ := kiosk.NewUUID()
		return relay.Record{Type: relay.TypeReport, ID: id, Report: &relay.ReportRecord{
			Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 900000 + seq}.String(), Category: "theft", Lang: "tg",
			CreatedAt: time.Now().UTC(), Sealed: sealed}}
	}
	bad := good(3)
	bad.Report.Category = "witchcraft"
	var rep relay.BatchReply
	if err := cl.Call(context.Background(), relay.PathBatch, relay.BatchRequest{Records: []relay.Record{good(1), bad, good(2)}}, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Acks) != 3 || rep.Acks[0].Result != relay.AckAccepted || rep.Acks[1].Result != relay.AckRejected || rep.Acks[2].Result != relay.AckAccepted {
		t.Fatalf("acks = %+v", rep.Acks)
	}
	if d := time.Until(rep.Time); d < 71*time.Hour {
		t.Errorf("the central's time %v is not 3 days ahead", rep.Time)
	}

	// Replay: the same bytes and headers again, as a recorder on the link would.
	body, _ := json.Marshal(relay.UpdatesRequest{})
	req, _ := http.NewRequest("POST", c.URL()+relay.PathUpdates, bytes.NewReader(body))
	if _, err := relay.SignRequest(req, body, keys.DeviceID, keys.Sign, rep.Time); err != nil {
		t.Fatal(err)
	}
	send := func() (int, string) {
		r2, _ := http.NewRequest("POST", req.URL.String(), bytes.NewReader(body))
		r2.Header = req.Header.Clone()
		resp, err := client.Do(r2)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var er relay.ErrorReply
		json.NewDecoder(resp.Body).Decode(&er)
		return resp.StatusCode, er.Error.Code
	}
	if code, _ := send(); code != 200 {
		t.Fatalf("first send: %d", code)
	}
	if code, ec := send(); code != 409 || ec != relay.CodeReplay {
		t.Errorf("replay: %d %s, want 409 replay", code, ec)
	}

	// An unknown key.
	stranger, err := relay.LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sc := &relay.Client{URL: c.URL(), Key: stranger.Sign, DeviceID: stranger.DeviceID, Central: e.CentralSignKey}
	var ur relay.UpdatesReply
	var ce *relay.CentralError
	if err := sc.Call(context.Background(), relay.PathUpdates, relay.UpdatesRequest{}, &ur); !errors.As(err, &ce) || ce.Code != relay.CodeUnknown {
		t.Errorf("unknown key: %v", err)
	}
	// A key claiming to be the enrolled device.
	sc.DeviceID = keys.DeviceID
	if err := sc.Call(context.Background(), relay.PathUpdates, relay.UpdatesRequest{}, &ur); !errors.As(err, &ce) || ce.Code != relay.CodeBadSignature {
		t.Errorf("forged device id: %v", err)
	}

	// A real kioskd delivers through the far-off clock, then the device is revoked.
	k := startArgs(t, dir, "-relay-poll", "100ms", "-printer", "none")
	if code, _, err := post(k.URL+"/api/v1/reports", reportBody("skew")); code != 201 || err != nil {
		t.Fatalf("create: %d %v", code, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(c.reports(t)) != 3 {
		if time.Now().After(deadline) {
			resp, _ := client.Get(k.URL + "/healthz")
			hb, _ := io.ReadAll(resp.Body)
			t.Fatalf("kioskd did not deliver to a central 3 days ahead: %s\n%s\ncentral:\n%s", hb, k.Stderr(), tail(c.logs(), 2000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, err := c.op("POST", "/api/v1/devices/"+keys.DeviceID+"/revoke", nil, nil); code != 200 || err != nil {
		t.Fatalf("revoke: %d %v", code, err)
	}
	if err := cl.Call(context.Background(), relay.PathUpdates, relay.UpdatesRequest{}, &ur); !errors.As(err, &ce) || ce.Code != relay.CodeRevoked {
		t.Errorf("revoked device: %v", err)
	}
}
