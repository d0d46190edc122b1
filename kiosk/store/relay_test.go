package store

import (
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

func createN(t *testing.T, s *Store, n int) []*kiosk.Report {
	t.Helper()
	var out []*kiosk.Report
	for i := range n {
		r := newReport(i)
		if err := s.CreateReport(context.Background(), r, audit(r), nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// A delivered entry leaves the outbox and marks its report relayed; a
// refused one moves to the rejected list; settling twice changes nothing.
func TestDelivered(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	rs := createN(t, s, 3)
	out, err := s.Outbox(ctx, 10)
	if err != nil || len(out) != 3 {
		t.Fatalf("outbox = %d entries, %v", len(out), err)
	}
	at := t0.Add(time.Hour)
	ds := []kiosk.Delivery{{Entry: out[0], Delivered: true}, {Entry: out[1], Reason: "bad category"}, {Entry: out[2], Delivered: true}}
	for range 2 {
		if err := s.Delivered(ctx, ds, at, true); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.OutboxLen(ctx); n != 0 {
		t.Errorf("outbox holds %d after settling", n)
	}
	if n, _ := s.RejectedLen(ctx); n != 1 {
		t.Errorf("rejected = %d, want 1", n)
	}
	for i, want := range []kiosk.Status{kiosk.StatusRelayed, kiosk.StatusReceived, kiosk.StatusRelayed} {
		got, err := s.ReportByID(ctx, rs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != want || len(got.History) != map[bool]int{true: 2, false: 1}[want == kiosk.StatusRelayed] {
			t.Errorf("report %d: status %s history %d, want %s", i, got.Status, len(got.History), want)
		}
		if got.Reporter != rs[i].Reporter {
			t.Errorf("report %d: personal fields changed by settling: %+v", i, got.Reporter)
		}
		if (want == kiosk.StatusRelayed) != got.AckedAt.Equal(at) {
			t.Errorf("report %d: acked at %v", i, got.AckedAt)
		}
	}
}

func TestApplyUpdates(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	rs := createN(t, s, 2)
	at := t0.Add(2 * time.Hour)
	us := []kiosk.StatusUpdate{
		{RecordID: rs[0].ID, Status: kiosk.StatusRegistered, At: at},
		{RecordID: rs[0].ID, Status: kiosk.StatusDecided, Decision: kiosk.DecisionCaseOpened, CaseNumber: "CASE-26-77", Note: "возбуждено дело", At: at},
		{RecordID: rs[0].ID, Status: kiosk.StatusRegistered, At: at},                           // stale: ignored
		{RecordID: "00000000-0000-4000-8000-000000000000", Status: kiosk.StatusClosed, At: at}, // not here: skipped
		{RecordID: rs[1].ID, Status: kiosk.StatusDecided, At: at},                              // no decision: refused, skipped
	}
	n, err := s.ApplyUpdates(ctx, us, 5, at, true)
	if err != nil || n != 2 {
		t.Fatalf("ApplyUpdates = %d, %v; want 2 changes", n, err)
	}
	if c, _ := s.UpdatesCursor(ctx); c != 5 {
		t.Errorf("cursor = %d, want 5", c)
	}
	// The same pull again (a lost reply) changes nothing and the cursor never goes back.
	if n, err := s.ApplyUpdates(ctx, us[:2], 2, at, true); err != nil || n != 0 {
		t.Errorf("repeat = %d, %v; want 0", n, err)
	}
	if c, _ := s.UpdatesCursor(ctx); c != 5 {
		t.Errorf("cursor went back to %d", c)
	}
	got, _ := s.ReportByID(ctx, rs[0].ID)
	if got.Status != kiosk.StatusDecided || got.Decision != kiosk.DecisionCaseOpened || got.CaseNumber != "CASE-26-77" || len(got.History) != 3 {
		t.Errorf("report 0 = %s %s %q history %d", got.Status, got.Decision, got.CaseNumber, len(got.History))
	}
	if got.Reporter != rs[0].Reporter {
		t.Error("personal fields lost by an update")
	}
	if got, _ := s.ReportByID(ctx, rs[1].ID); got.Status != kiosk.StatusReceived {
		t.Errorf("report 1 moved to %s by an invalid update", got.Status)
	}
}

// The central's high-water mark moves the counter up, never down.
func TestRaiseSequences(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	createN(t, s, 2) // ISF1-26-000001, 000002
	if err := s.RaiseSequences(ctx, 1, map[int]int{26: 1, 25: 40}); err != nil {
		t.Fatal(err)
	}
	r := createN(t, s, 1)[0]
	if r.Number.Seq != 3 {
		t.Errorf("after a lower mark: seq %d, want 3", r.Number.Seq)
	}
	if err := s.RaiseSequences(ctx, 1, map[int]int{26: 120}); err != nil {
		t.Fatal(err)
	}
	r = createN(t, s, 1)[0]
	if r.Number.Seq != 121 {
		t.Errorf("after mark 120: seq %d, want 121", r.Number.Seq)
	}
	if err := s.RaiseSequences(ctx, 1, map[int]int{26: kiosk.MaxSeq + 1}); err == nil {
		t.Error("an impossible mark was accepted")
	}
}

// Personal fields go after retention, only for acknowledged reports; the
// rest of the record and its lookups stay.
func TestPurgePersonal(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	rs := createN(t, s, 3)
	out, _ := s.Outbox(ctx, 10)
	acked := t0.Add(time.Hour)
	if err := s.Delivered(ctx, []kiosk.Delivery{{Entry: out[0], Delivered: true}, {Entry: out[1], Delivered: true}}, acked, true); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgePersonal(ctx, acked, acked, true); err != nil || n != 0 {
		t.Errorf("purge before the retention ended: %d, %v", n, err)
	}
	if n, err := s.PurgePersonal(ctx, acked.Add(time.Second), acked, true); err != nil || n != 2 {
		t.Fatalf("purge = %d, %v; want 2", n, err)
	}
	for i, purged := range []bool{true, true, false} {
		got, err := s.ReportByNumber(ctx, rs[i].Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.Purged != purged || (got.Reporter == (kiosk.Reporter{})) != purged || (got.Incident.Description == "") != purged {
			t.Errorf("report %d: purged=%v reporter=%+v", i, got.Purged, got.Reporter)
		}
		if got.AccessHash != rs[i].AccessHash || got.Incident.Place != rs[i].Incident.Place {
			t.Errorf("report %d lost its public fields", i)
		}
	}
	// A later status change keeps the report purged (nothing re-sealed).
	err := s.UpdateReport(ctx, rs[0].ID, func(r *kiosk.Report) error {
		return r.Transition(kiosk.StatusRegistered, "", "", acked)
	}, kiosk.AuditEntry{At: acked, Actor: "central", Action: "report.status", Record: rs[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		rec, _ := unmarshalRecord(tx.Bucket(bReports).Get([]byte(rs[0].Number.String())))
		if len(rec.Sealed) != 0 || !rec.Purged {
			t.Errorf("purged record re-sealed: %d bytes", len(rec.Sealed))
		}
		return nil
	})
}

func TestQueueCheckpoint(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if q, err := s.QueueCheckpoint(ctx, t0); err != nil || q {
		t.Errorf("empty chain: queued=%v %v", q, err)
	}
	createN(t, s, 1)
	if q, err := s.QueueCheckpoint(ctx, t0); err != nil || !q {
		t.Fatalf("queued=%v %v", q, err)
	}
	if q, _ := s.QueueCheckpoint(ctx, t0); q {
		t.Error("a second checkpoint of the same head")
	}
	out, _ := s.Outbox(ctx, 10)
	if len(out) != 2 || out[1].Type != kiosk.OutboxCheckpoint || out[1].Audit == nil || out[1].Audit.Seq != 1 {
		t.Errorf("outbox = %+v", out)
	}
}

// A file made before the rejected list existed opens and gains the bucket.
func TestAddsNewBuckets(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	createN(t, s, 1)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bRejects) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen an older file: %v", err)
	}
	defer closeAndCheck(t, s)
	if _, err := s.RejectedLen(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := s.ReportByNumber(context.Background(), kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 1}); errors.Is(err, kiosk.ErrNotFound) {
		t.Error("report lost")
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	u := &kiosk.User{Username: "ali", FullName: "Алӣ", Role: kiosk.RoleOfficer, SecretHash: "argon2id$…", CreatedAt: t0}
	a := kiosk.AuditEntry{At: t0, Actor: "kioskctl", Action: "user.add", Record: "user:ali"}
	if err := s.PutUser(ctx, u, true, a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(ctx, u, true, a); !errors.Is(err, kiosk.ErrExists) {
		t.Errorf("second create: %v", err)
	}
	u.Failures = 3
	if err := s.PutUser(ctx, u, false, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(ctx, "ali")
	if err != nil || got.Failures != 3 || got.FullName != "Алӣ" {
		t.Errorf("read back %+v, %v", got, err)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if all, err := s.Users(ctx); err != nil || len(all) != 1 {
		t.Errorf("list %d, %v", len(all), err)
	}
}
