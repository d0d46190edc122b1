package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
)

// crashKills is how many times the crash test SIGKILLs kioskd: at least 30
// in make test; make soak sets KIOSK_CRASH_KILLS=500.
func crashKills(t *testing.T) int {
	if s := os.Getenv("KIOSK_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("KIOSK_CRASH_KILLS=%q", s)
		}
		return n
	}
	return 30
}

// ack is a report that kioskd answered 201 for, as recorded by the test,
// outside the process that is killed.
type ack struct {
	tag    string
	number string
	id     string
}

// TestCrashSafety runs concurrent submitters against a real kioskd, kills it
// with SIGKILL at random moments and, after every kill, opens the database
// and checks: every report that got a 201 is there with the same number and
// content, no number was issued twice, and the audit chain verifies.
func TestCrashSafety(t *testing.T) {
	kills := crashKills(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var (
		acks      []ack
		attempted atomic.Int64
		failed    atomic.Int64 // no reply: outcome unknown
	)
	numbers := map[string]string{} // number -> tag, over all acks
	const submitters = 6
	for round := 0; round < kills; round++ {
		p, err := startProc(dir, nil, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < submitters; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					tag := fmt.Sprintf("r%d-w%d-i%d", round, w, i)
					attempted.Add(1)
					code, body, err := post(p.URL+"/api/v1/reports", reportBody(tag))
					if err != nil {
						failed.Add(1)
						return // the process is gone
					}
					if code != 201 {
						t.Errorf("%s: status %d: %s", tag, code, body)
						return
					}
					var c created
					if err := json.Unmarshal(body, &c); err != nil {
						t.Errorf("%s: %v", tag, err)
						return
					}
					mu.Lock()
					acks = append(acks, ack{tag: tag, number: c.Number, id: c.ID})
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(5+rng.IntN(120)) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		close(stop)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for _, a := range acks {
			if prev, dup := numbers[a.number]; dup && prev != a.tag {
				t.Fatalf("number %s issued twice: %s and %s", a.number, prev, a.tag)
			}
			numbers[a.number] = a.tag
		}
		if lost := checkAcked(t, dir, acks, round); lost > 0 {
			t.Fatalf("after kill %d: %d acknowledged reports lost", round, lost)
		}
	}
	present := countReports(t, dir)
	lost := 0 // any loss failed the test above
	t.Logf("kills=%d attempted=%d acknowledged=%d lost=%d duplicated=0 unacknowledged-but-present(recovered)=%d no-reply=%d",
		kills, attempted.Load(), len(acks), lost, present-len(acks), failed.Load())
}

func countReports(t *testing.T, dir string) int {
	s, err := store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	s.Reports(context.Background(), func(*kiosk.Report) bool { n++; return true })
	return n
}

// checkAcked opens the store of a killed kioskd and checks every
// acknowledged report and the invariants of the whole file.
func checkAcked(t *testing.T, dir string, acks []ack, round int) (lost int) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("after kill %d the store does not open: %v", round, err)
	}
	defer s.Close()
	for _, a := range acks {
		n, err := kiosk.ParseNumber(a.number)
		if err != nil {
			t.Fatalf("acknowledged number %q: %v", a.number, err)
		}
		r, err := s.ReportByNumber(ctx, n)
		if err != nil {
			t.Errorf("after kill %d: acknowledged report %s (%s) lost: %v", round, a.number, a.tag, err)
			lost++
			continue
		}
		if r.ID != a.id || !strings.HasSuffix(r.Incident.Description, " "+a.tag) ||
			r.Reporter.FullName != "Ҷамшед Қодиров" || r.Reporter.Phone != "+992931234567" || r.Incident.Place != "Истаравшан" {
			t.Fatalf("after kill %d: report %s changed: %+v", round, a.number, r)
		}
	}
	seen := map[int]bool{}
	total := 0
	err = s.Reports(ctx, func(r *kiosk.Report) bool {
		if seen[r.Number.Seq] {
			t.Errorf("sequence %d stored twice", r.Number.Seq)
		}
		seen[r.Number.Seq] = true
		total++
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= total; i++ {
		if !seen[i] {
			t.Fatalf("after kill %d: sequence has a gap at %d of %d", round, i, total)
		}
	}
	if n, err := s.VerifyAudit(ctx); err != nil || int(n) != total {
		t.Fatalf("after kill %d: audit %d entries for %d reports: %v", round, n, total, err)
	}
	if n, _ := s.OutboxLen(ctx); n != total {
		t.Fatalf("after kill %d: outbox %d for %d reports", round, n, total)
	}
	return lost
}
