package relay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/relay/faultproxy"
	"cpckiosk/kiosk/store"
)

const backlog = 10_000

// fillBacklog commits n reports straight into a kiosk store (the access
// code hash is fixed: the drain does not read it).
func fillBacklog(b *testing.B, st *store.Store, n int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				id, _ := kiosk.NewUUID()
				now := time.Now()
				r := &kiosk.Report{ID: id, Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: now.Year() % 100},
					Category: "theft", Lang: "tg", Status: kiosk.StatusReceived, CreatedAt: now, ClockSynced: true,
					Reporter: kiosk.Reporter{FullName: fmt.Sprintf("Ҷамшед Қодиров %d", i), Phone: "+992931234567", Address: "Хуҷанд, кӯчаи Ленин 5"},
					Incident: kiosk.Incident{Place: "бозор", Description: "Ҳамёнамро дар бозор дуздиданд, дар он шиноснома ва 300 сомонӣ буд."},
					History:  []kiosk.Event{{Status: kiosk.StatusReceived, At: now}}, AccessHash: "argon2id$1$256$1$c2FsdA$aGFzaA"}
				if err := st.CreateReport(context.Background(), r, kiosk.AuditEntry{At: now, Actor: "citizen", Action: "report.create", Record: id}, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// drain enrolls a kiosk with n reports waiting, points its worker at url
// (the central or a proxy) and returns how long the outbox took to empty.
func drain(b *testing.B, c *centralSrv, url string, n int, setup func(*relay.Worker)) time.Duration {
	b.Helper()
	dir := b.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var tok struct{ Token string }
	if code := c.op(b, "POST", "/api/v1/tokens", map[string]any{"cpc": "ISF", "kiosk": 1}, &tok); code != 200 {
		b.Fatalf("token: %d", code)
	}
	ctx := context.Background()
	if _, err := relay.Enroll(ctx, dir, c.URL, tok.Token, nil, func(k int, y map[int]int) error { return st.RaiseSequences(ctx, k, y) }); err != nil {
		b.Fatal(err)
	}
	fillBacklog(b, st, n)
	clock := kiosk.NewTrustedClock(kiosk.SystemClock{}, time.Time{}, func() bool { return true })
	w := &relay.Worker{Store: st, DataDir: dir, CPC: "ISF", Kiosk: 1, CentralURL: url, Clock: clock,
		SystemSynced: func() bool { return true }, IdleEvery: 5 * time.Millisecond, PollEvery: time.Hour,
		HTTP: &http.Client{Timeout: 10 * time.Second}}
	if setup != nil {
		setup(w)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	begin := time.Now()
	go func() { w.Run(wctx); close(done) }()
	for {
		if k, _ := st.OutboxLen(ctx); k == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	took := time.Since(begin)
	cancel()
	<-done
	return took
}

// BenchmarkDrain: a 10,000-report backlog to a real central over loopback,
// through the fault proxy with no faults (to count wire bytes), then with
// 10% of exchanges lost (5% of requests dropped, 5% of replies lost after
// the central committed) and 200 ms added to every request.
func BenchmarkDrain(b *testing.B) {
	for _, tc := range []struct {
		name   string
		faults faultproxy.Faults
	}{
		{"loopback", faultproxy.Faults{}},
		{"loss10pct_delay200ms", faultproxy.Faults{Drop: 0.05, Reset: 0.05, Delay: 200 * time.Millisecond}},
		{"delay200ms", faultproxy.Faults{Delay: 200 * time.Millisecond}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				c := newCentral(b, nil)
				p := faultproxy.New(c.URL, 1)
				p.Set(tc.faults)
				ps := httptest.NewServer(p)
				took := drain(b, c, ps.URL, backlog, func(w *relay.Worker) { w.BaseDelay = 100 * time.Millisecond })
				ps.Close()
				if got := len(c.reports(b)); got != backlog {
					b.Fatalf("central holds %d of %d", got, backlog)
				}
				pc := p.Counts()
				b.ReportMetric(took.Seconds(), "s/drain")
				b.ReportMetric(float64(backlog)/took.Seconds(), "records/s")
				b.ReportMetric(float64(pc.BytesUp+pc.BytesDown)/backlog, "wire-B/report")
				b.ReportMetric(float64(pc.Dropped+pc.Reset), "lost-exchanges")
				b.ReportMetric(0, "ns/op")
			}
		})
	}
}

// BenchmarkIngest50Kiosks: 50 enrolled kiosks send batches to one central
// at once; the figure is records stored per second at the central.
func BenchmarkIngest50Kiosks(b *testing.B) {
	const kiosks, batches, per = 50, 4, 100
	for range b.N {
		c := newCentral(b, nil)
		type dev struct {
			client *relay.Client
			box    *[32]byte
			cpc    string
		}
		devs := make([]dev, kiosks)
		for i := range devs {
			cpc := fmt.Sprintf("Q%c%c", 'A'+i/26, 'A'+i%26)
			var tok struct{ Token string }
			if code := c.op(b, "POST", "/api/v1/tokens", map[string]any{"cpc": cpc, "kiosk": 1}, &tok); code != 200 {
				b.Fatalf("token: %d", code)
			}
			dir := b.TempDir()
			e, err := relay.Enroll(context.Background(), dir, c.URL, tok.Token, nil, func(int, map[int]int) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			keys, _ := relay.LoadKeys(dir)
			box, _ := relay.Key32(e.CentralBoxKey)
			devs[i] = dev{client: &relay.Client{URL: c.URL, Key: keys.Sign, DeviceID: keys.DeviceID, Central: e.CentralSignKey}, box: box, cpc: cpc}
		}
		// Build every batch first: the figure is the central's work.
		all := make([][]relay.BatchRequest, kiosks)
		for i, d := range devs {
			seq := 0
			for range batches {
				var req relay.BatchRequest
				sealer, _ := relay.NewSealer(d.box) // as the kiosk does: one key agreement per batch
				for range per {
					seq++
					id, _ := kiosk.NewUUID()
					sealed, _ := sealer.Seal(relay.Personal{Reporter: kiosk.Reporter{FullName: "Ҷамшед Қодиров", Phone: "+992931234567"}, Description: "Ҳамёнамро дуздиданд"})
					req.Records = append(req.Records, relay.Record{Type: relay.TypeReport, ID: id, Report: &relay.ReportRecord{
						Number: kiosk.Number{CPC: d.cpc, Kiosk: 1, Year: 26, Seq: seq}.String(), Category: "theft", Lang: "tg",
						CreatedAt: time.Now().UTC(), ClockSynced: true, Sealed: sealed}})
				}
				all[i] = append(all[i], req)
			}
		}
		var wg sync.WaitGroup
		begin := time.Now()
		for i, d := range devs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, req := range all[i] {
					var rep relay.BatchReply
					if err := d.client.Call(context.Background(), relay.PathBatch, req, &rep); err != nil {
						b.Error(err)
						return
					}
					for _, a := range rep.Acks {
						if a.Result != relay.AckAccepted {
							b.Errorf("ack %+v", a)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(begin)
		total := kiosks * batches * per
		b.ReportMetric(float64(total)/took.Seconds(), "records/s")
		b.ReportMetric(took.Seconds(), "s/total")
		b.ReportMetric(0, "ns/op")
	}
}
