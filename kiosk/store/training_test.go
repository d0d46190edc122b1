package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// A training database can never be opened as the real one, nor the real
// one as a training database; each store takes only its own series, and a
// training report reads back, lists and updates with its T number.
func TestTrainingDatabaseApart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tdir := filepath.Join(dir, "training")
	tst, err := Open(tdir, Options{Training: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tst.Training() {
		t.Fatal("Training() false")
	}
	r := newReport(1)
	if err := tst.CreateReport(ctx, r, audit(r), nil); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("real number in the training store: %v", err)
	}
	r.Number.Training = true
	if err := tst.CreateReport(ctx, r, audit(r), nil); err != nil {
		t.Fatal(err)
	}
	back, err := tst.ReportByNumber(ctx, r.Number)
	if err != nil || !back.Number.Training || back.Number != r.Number {
		t.Fatalf("read back %v: %v", back, err)
	}
	if _, err := tst.ReportByNumber(ctx, kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 1}); !errors.Is(err, kiosk.ErrNotFound) {
		t.Fatalf("the real number of the same sequence: %v", err)
	}
	list, _, err := tst.ReportSummaries(ctx, kiosk.ReportFilter{})
	if err != nil || len(list) != 1 || !list[0].Number.Training {
		t.Fatalf("index: %+v %v", list, err)
	}
	err = tst.UpdateReport(ctx, r.ID, func(x *kiosk.Report) error { x.Status = kiosk.StatusRelayed; return nil },
		kiosk.AuditEntry{At: t0, Actor: "officer1", Action: "report.status", Record: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if back, err := tst.ReportByID(ctx, r.ID); err != nil || !back.Number.Training {
		t.Fatalf("after update: %v %v", back, err)
	}
	// The team's issues too: a real one is refused, a training one comes
	// back marked, alone and in the index.
	iss := newIssue(1, kiosk.IssueYouth, "Навобод", t0)
	if err := tst.CreateIssue(ctx, iss, issueAudit(iss, "cppt.issue.log")); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("real issue in the training store: %v", err)
	}
	iss.Number.Training = true
	if err := tst.CreateIssue(ctx, iss, issueAudit(iss, "cppt.issue.log")); err != nil {
		t.Fatal(err)
	}
	if back, err := tst.IssueByNumber(ctx, iss.Number); err != nil || !back.Number.Training || back.Number.String() != "ISF-PT-26-0001" {
		t.Fatalf("issue read back: %+v %v", back, err)
	}
	if sums, _, err := tst.Issues(ctx, kiosk.IssueFilter{}); err != nil || len(sums) != 1 || !sums[0].Number.Training {
		t.Fatalf("issue index: %+v %v", sums, err)
	}
	if err := tst.SetTrainingState(ctx, kiosk.TrainingState{On: true}, kiosk.AuditEntry{At: t0}); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("training state in the training store: %v", err)
	}
	tst.Close()

	if s, err := Open(tdir, Options{}); !errors.Is(err, ErrWrongKind) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("training database opened as the real one: %v", err)
	}
	real, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := newReport(2)
	tr.Number.Training = true
	if err := real.CreateReport(ctx, tr, audit(tr), nil); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("training number in the real store: %v", err)
	}
	if n, _ := real.OutboxLen(ctx); n != 0 {
		t.Fatalf("outbox %d after a refused training report", n)
	}
	closeAndCheck(t, real)
	if s, err := Open(dir, Options{Training: true}); !errors.Is(err, ErrWrongKind) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("real database opened as a training one: %v", err)
	}
	real, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAndCheck(t, real)
}

func TestTrainingStatePersists(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	if st, err := s.TrainingState(ctx); err != nil || st.On {
		t.Fatalf("fresh store: %+v %v", st, err)
	}
	on := kiosk.TrainingState{On: true, Since: t0, By: "admin1"}
	if err := s.SetTrainingState(ctx, on, kiosk.AuditEntry{At: t0, Actor: "admin1", Action: kiosk.AuditTrainingStart}); err != nil {
		t.Fatal(err)
	}
	closeAndCheck(t, s)
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAndCheck(t, s2)
	if st, err := s2.TrainingState(ctx); err != nil || !st.On || st.By != "admin1" || !st.Since.Equal(t0) {
		t.Fatalf("after reopen: %+v %v", st, err)
	}
	page, err := s2.AuditEntries(ctx, kiosk.AuditQuery{Action: "training."})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Actor != "admin1" {
		t.Fatalf("audit of the switch: %+v %v", page, err)
	}
}

// The audit trail pages newest first, filters by actor and action (exact
// or a prefix ending in "."), and its pages join up without gaps.
func TestAuditEntriesPaging(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	actors := []string{"citizen", "officer1", "admin1"}
	for i := range 25 {
		e := kiosk.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: actors[i%3],
			Action: []string{"report.create", "report.note", "staff.login"}[i%3], Detail: fmt.Sprint(i)}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	seqs := func(p *kiosk.AuditPage) (out []uint64) {
		for _, e := range p.Entries {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    kiosk.AuditQuery
		want [][]uint64 // the pages
	}{
		{"all, pages of 10", kiosk.AuditQuery{Limit: 10}, [][]uint64{
			{25, 24, 23, 22, 21, 20, 19, 18, 17, 16}, {15, 14, 13, 12, 11, 10, 9, 8, 7, 6}, {5, 4, 3, 2, 1}}},
		{"actor", kiosk.AuditQuery{Actor: "admin1", Limit: 4}, [][]uint64{{24, 21, 18, 15}, {12, 9, 6, 3}}},
		{"action prefix", kiosk.AuditQuery{Action: "report.", Limit: 100}, [][]uint64{
			{25, 23, 22, 20, 19, 17, 16, 14, 13, 11, 10, 8, 7, 5, 4, 2, 1}}},
		{"exact action", kiosk.AuditQuery{Action: "report.note", Actor: "officer1", Limit: 3}, [][]uint64{{23, 20, 17}, {14, 11, 8}, {5, 2}}},
		{"exact action is not a prefix", kiosk.AuditQuery{Action: "report"}, [][]uint64{nil}},
		{"before", kiosk.AuditQuery{Before: 3}, [][]uint64{{2, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			for i, want := range tc.want {
				p, err := s.AuditEntries(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if got := seqs(p); !reflect.DeepEqual(got, want) {
					t.Fatalf("page %d: %v, want %v", i, got, want)
				}
				if p.Head.Seq != 25 {
					t.Fatalf("head %d", p.Head.Seq)
				}
				if (p.Next == 0) != (i == len(tc.want)-1) {
					t.Fatalf("page %d: next %d", i, p.Next)
				}
				q.Before = p.Next
			}
		})
	}
	var ve *kiosk.ValidationError
	if _, err := s.AuditEntries(ctx, kiosk.AuditQuery{Limit: kiosk.MaxAuditPage + 1}); !errors.As(err, &ve) {
		t.Fatalf("limit too large: %v", err)
	}
	var all []uint64
	if err := s.EachAudit(ctx, func(e kiosk.AuditEntry) error { all = append(all, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 25 || all[0] != 1 || all[24] != 25 {
		t.Fatalf("EachAudit: %v", all)
	}
}

// EachAudit reads in chunks: an export of more entries than one chunk is
// whole and in order.
func TestEachAuditChunks(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	n := auditChunk*2 + 7
	err := s.update(ctx, func(tx *bolt.Tx) error { // one transaction: fast
		for i := range n {
			if err := appendAudit(tx, kiosk.AuditEntry{At: t0, Actor: "system", Action: "x", Detail: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var v kiosk.AuditVerifier
	count := 0
	err = s.EachAudit(ctx, func(e kiosk.AuditEntry) error { count++; return v.Next(e) })
	if err != nil || count != n {
		t.Fatalf("%d entries, %v", count, err)
	}
}

// VerifyAuditFrom checks what was appended after a good check, and finds
// an edit after it, an edited or removed entry at it, and a cut end.
func TestVerifyAuditFrom(t *testing.T) {
	ctx := context.Background()
	appendN := func(s *Store, n int) {
		for i := range n {
			if err := s.AppendAudit(ctx, kiosk.AuditEntry{At: t0, Actor: "citizen", Action: "report.create", Detail: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	headOf := func(s *Store) kiosk.AuditHead {
		p, err := s.AuditEntries(ctx, kiosk.AuditQuery{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return kiosk.AuditHead{Seq: p.Entries[0].Seq, Hash: p.Entries[0].Hash}
	}
	tamper := func(s *Store, fn func(b *bolt.Bucket) error) {
		if err := s.db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bAudit)) }); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(seq uint64) func(b *bolt.Bucket) error {
		return func(b *bolt.Bucket) error {
			return b.Put(seqKey(seq), bytes.Replace(b.Get(seqKey(seq)), []byte(`"citizen"`), []byte(`"officer"`), 1))
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func(b *bolt.Bucket) error // nil: nothing, the check passes
	}{
		{"appended", nil},
		{"edit after", edit(7)},
		{"edit at", edit(5)},
		{"delete at", func(b *bolt.Bucket) error { return b.Delete(seqKey(5)) }},
		{"delete last", func(b *bolt.Bucket) error { return b.Delete(seqKey(8)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			appendN(s, 5)
			from := headOf(s)
			appendN(s, 3)
			if tc.tamper == nil {
				if n, err := s.VerifyAuditFrom(ctx, from); err != nil || n != 8 {
					t.Fatalf("%d %v", n, err)
				}
				return
			}
			tamper(s, tc.tamper)
			if _, err := s.VerifyAuditFrom(ctx, from); !errors.Is(err, kiosk.ErrAuditBroken) {
				t.Fatalf("not detected: %v", err)
			}
			s.db.Close() // skip closeAndCheck's chain check: the chain is broken on purpose
			s.lock.unlock()
			close(s.writes)
			<-s.done
			s.db = nil
		})
	}
}
