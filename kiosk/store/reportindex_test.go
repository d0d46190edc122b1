package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// reference lists the reports matching f by decoding every record: what
// the index must answer.
func reference(t *testing.T, s *Store, f kiosk.ReportFilter) ([]kiosk.ReportSummary, int) {
	t.Helper()
	var all []kiosk.ReportSummary
	if err := s.Reports(context.Background(), func(r *kiosk.Report) bool { all = append(all, r.Summary()); return true }); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b kiosk.ReportSummary) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.Number.String(), a.Number.String())
	})
	var out []kiosk.ReportSummary
	n := 0
	for k := range all {
		if f.Match(&all[k]) {
			if n >= f.Offset && (f.Limit == 0 || len(out) < f.Limit) {
				out = append(out, all[k])
			}
			n++
		}
	}
	return out, n
}

// sameSummaries compares summaries, times as instants.
func sameSummaries(a, b []kiosk.ReportSummary) bool {
	return slices.EqualFunc(a, b, func(x, y kiosk.ReportSummary) bool {
		if !x.CreatedAt.Equal(y.CreatedAt) || !x.ReviewedAt.Equal(y.ReviewedAt) {
			return false
		}
		x.CreatedAt, y.CreatedAt, x.ReviewedAt, y.ReviewedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		return x == y
	})
}

var indexFilters = []kiosk.ReportFilter{
	{},
	{Limit: 5},
	{Offset: 7, Limit: 5},
	{Category: "fraud"},
	{Category: "fraud", Unreviewed: true, Limit: 3},
	{Status: kiosk.StatusRelayed},
	{Status: kiosk.StatusRegistered, Category: "theft"},
	{Status: kiosk.StatusClosed},
	{Category: "corruption"}, // no report has it
	{Unreviewed: true},
	{From: t0.Add(10 * time.Hour), To: t0.Add(30 * time.Hour)},
	{From: t0.Add(10 * time.Hour)},
	{To: t0.Add(10 * time.Hour), Category: "theft", Offset: 1, Limit: 2},
}

func checkIndex(t *testing.T, s *Store, stage string) {
	t.Helper()
	for _, f := range indexFilters {
		want, wantN := reference(t, s, f)
		got, n, err := s.ReportSummaries(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %+v: %v", stage, f, err)
		}
		if n != wantN || !sameSummaries(got, want) {
			t.Errorf("%s: filter %+v: %d matches %v\nwant %d %v", stage, f, n, got, wantN, want)
		}
	}
}

// The index answers what decoding every record answers, through every kind
// of write (creates, officers' updates, the relay's marks, status updates
// from the central, the purge), from memory and after reopening the file.
func TestReportIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	cats := []kiosk.Category{"theft", "fraud", "assault", "theft", "fraud"}
	var rs []*kiosk.Report
	for i := range 40 {
		r := newReport(i)
		r.CreatedAt = t0.Add(time.Duration(i) * time.Hour)
		r.Category = cats[i%len(cats)]
		r.Anonymous = i%7 == 0
		if r.Anonymous {
			r.Reporter = kiosk.Reporter{}
		}
		if i == 3 {
			r.FiledBy = "rustam"
		}
		if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
		if i == 20 {
			checkIndex(t, s, "half created") // loads the decoded index; the rest patch it
		}
	}
	checkIndex(t, s, "created")
	for i, r := range rs[:12] {
		err := s.UpdateReport(ctx, r.ID, func(r *kiosk.Report) error {
			switch i % 3 {
			case 0:
				r.ReviewedAt, r.ReviewedBy = t0.Add(100*time.Hour), "rustam"
			case 1:
				r.Notes = append(r.Notes, kiosk.Note{Text: "n", By: "rustam", At: t0})
			case 2:
				r.InfoRequests = append(r.InfoRequests, kiosk.InfoRequest{Text: "q", Lang: "tg", By: "rustam", At: t0})
			}
			return nil
		}, kiosk.AuditEntry{At: t0, Actor: "rustam", Action: "report.review", Record: r.ID})
		if err != nil {
			t.Fatal(err)
		}
	}
	checkIndex(t, s, "officers")
	out, _ := s.Outbox(ctx, 30)
	var ds []kiosk.Delivery
	for _, e := range out {
		ds = append(ds, kiosk.Delivery{Entry: e, Delivered: true})
	}
	acked := t0.Add(200 * time.Hour)
	if err := s.Delivered(ctx, ds, acked, true); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, s, "relayed")
	var us []kiosk.StatusUpdate
	for _, r := range rs[5:15] {
		us = append(us, kiosk.StatusUpdate{RecordID: r.ID, Status: kiosk.StatusRegistered, CaseNumber: "C-1", At: acked})
	}
	us = append(us, kiosk.StatusUpdate{RecordID: rs[6].ID, Status: kiosk.StatusDecided, Decision: kiosk.DecisionCaseOpened, At: acked})
	if n, err := s.ApplyUpdates(ctx, us, 1, acked, true); err != nil || n != 11 {
		t.Fatalf("apply updates: %d %v", n, err)
	}
	checkIndex(t, s, "updated by the central")
	if n, err := s.PurgePersonal(ctx, acked.Add(time.Second), acked, true); err != nil || n != 30 {
		t.Fatalf("purge: %d %v", n, err)
	}
	checkIndex(t, s, "purged")
	if got, _, _ := s.ReportSummaries(ctx, kiosk.ReportFilter{Limit: 1}); len(got) != 1 || got[0].Purged || got[0].Number != rs[39].Number {
		t.Errorf("newest: %+v", got)
	}

	// From the file, as after a restart.
	closeAndCheck(t, s)
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAndCheck(t, s2)
	checkIndex(t, s2, "reopened")
}

// A database made before the index existed gains it, filled from the
// stored reports, when opened.
func TestReportIndexAddedToOlderFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := createN(t, s, 5)
	err = s.UpdateReport(ctx, rs[1].ID, func(r *kiosk.Report) error {
		r.ReviewedAt, r.ReviewedBy = t0, "rustam"
		return nil
	}, audit(rs[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bReportIndex) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("open the older file: %v", err)
	}
	defer closeAndCheck(t, s)
	got, n, err := s.ReportSummaries(ctx, kiosk.ReportFilter{Unreviewed: true})
	if err != nil || n != 4 || got[0].Number != rs[4].Number {
		t.Fatalf("after the backfill: %v %d %v", got, n, err)
	}
	checkIndex(t, s, "backfilled")
}

// Readers and writers at once: every report a write committed is in the
// list the next read gives, and the race detector sees the cache's locking.
func TestReportIndexConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := s.ReportSummaries(ctx, kiosk.ReportFilter{Category: "theft", Limit: 10}); err != nil {
					t.Error(err)
					return
				}
				s.index.mu.Lock() // as after a failed apply: force reloads racing the writes
				s.index.loaded = false
				s.index.mu.Unlock()
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range 25 {
				r := newReport(w*100 + i)
				if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
					t.Error(err)
					return
				}
				if _, n, _ := s.ReportSummaries(ctx, kiosk.ReportFilter{}); n < i+1 {
					t.Errorf("writer %d: %d reports listed after its %d-th commit", w, n, i+1)
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	checkIndex(t, s, "concurrent")

	// Writes of one report committed in one group are applied to the
	// decoded index in the order they were written: the last one stays.
	if _, _, err := s.ReportSummaries(ctx, kiosk.ReportFilter{}); err != nil {
		t.Fatal(err)
	}
	r := createN(t, s, 1)[0]
	for w := range 8 {
		writers.Go(func() {
			for range 10 {
				err := s.UpdateReport(ctx, r.ID, func(r *kiosk.Report) error {
					r.Notes = append(r.Notes, kiosk.Note{Text: "n", By: fmt.Sprintf("officer%d", w), At: t0})
					return nil
				}, audit(r))
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	writers.Wait()
	all, _, _ := s.ReportSummaries(ctx, kiosk.ReportFilter{})
	i := slices.IndexFunc(all, func(x kiosk.ReportSummary) bool { return x.Number == r.Number })
	if i < 0 || all[i].Notes != 80 {
		t.Errorf("after 80 notes from 8 writers the index says %+v", all[i])
	}
}

// A load that began before a write was applied is not kept: it may lack
// that write.
func TestReportIndexLoadRacingAWrite(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	createN(t, s, 2)
	s.index.mu.RLock()
	gen := s.index.gen
	s.index.mu.RUnlock()
	es, tab, err := s.loadIndex() // the snapshot of a slow reader...
	if err != nil || len(es) != 2 {
		t.Fatal(len(es), err)
	}
	createN(t, s, 1) // ...and a write committed meanwhile
	if s.index.keep(gen, es, tab) {
		t.Fatal("a load older than a committed write was kept")
	}
	if _, n, _ := s.ReportSummaries(ctx, kiosk.ReportFilter{}); n != 3 {
		t.Errorf("%d reports listed, want 3", n)
	}
	s.index.mu.RLock()
	gen = s.index.gen
	s.index.mu.RUnlock()
	if !s.index.keep(gen, nil, newInternTables()) {
		t.Error("a current load was refused")
	}
}

// The officers' texts and document numbers are sealed at rest, read back
// in order, and the numbers go with the purge while the notes stay.
func TestStaffTextsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	r := createN(t, s, 1)[0]
	secrets := []string{"Шоҳиди муҳим Бобоев", "Нусхаи шартномаро биёред", "FA7654321"}
	err := s.UpdateReport(ctx, r.ID, func(r *kiosk.Report) error {
		r.Notes = []kiosk.Note{{Text: "first", By: "rustam", At: t0}, {Text: secrets[0], By: "zarina", At: t0.Add(time.Minute)}}
		r.InfoRequests = []kiosk.InfoRequest{{Text: secrets[1], Lang: "tg", By: "rustam", At: t0}}
		r.IdentityChecks = []kiosk.IdentityCheck{{DocumentType: kiosk.DocPassport, Number: secrets[2], Purpose: kiosk.CheckExtract, By: "rustam", At: t0}}
		return nil
	}, audit(r))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ReportByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notes) != 2 || got.Notes[1].Text != secrets[0] || got.Notes[1].By != "zarina" ||
		got.InfoRequests[0].Text != secrets[1] || got.IdentityChecks[0].Number != secrets[2] {
		t.Fatalf("read back: %+v %+v %+v", got.Notes, got.InfoRequests, got.IdentityChecks)
	}
	s.db.Sync()
	raw, err := os.ReadFile(filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets {
		if bytes.Contains(raw, []byte(sec)) {
			t.Errorf("%q is in the file in clear", sec)
		}
	}
	if !bytes.Contains(raw, []byte(`"by":"zarina"`)) {
		t.Error("who wrote a note is not in clear (the index and the relay need no key for it)")
	}
	// A record whose sealed texts do not match its notes is refused.
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bReports)
		rec, _ := unmarshalRecord(b.Get([]byte(r.Number.String())))
		rec.Notes = rec.Notes[:1]
		v, _ := json.Marshal(rec)
		return b.Put([]byte(r.Number.String()), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportByID(ctx, r.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("mismatched sealed texts: %v", err)
	}
}

func TestPurgeDropsDocumentNumbers(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createN(t, s, 1)[0]
	err := s.UpdateReport(ctx, r.ID, func(r *kiosk.Report) error {
		r.Notes = []kiosk.Note{{Text: "kept", By: "rustam", At: t0}}
		r.IdentityChecks = []kiosk.IdentityCheck{{DocumentType: kiosk.DocIDCard, Number: "A1234567", Purpose: kiosk.CheckReprint, By: "rustam", At: t0}}
		return nil
	}, audit(r))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := s.Outbox(ctx, 1)
	if err := s.Delivered(ctx, []kiosk.Delivery{{Entry: out[0], Delivered: true}}, t0, true); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgePersonal(ctx, t0.Add(time.Second), t0, true); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	got, err := s.ReportByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Purged || got.Notes[0].Text != "kept" || len(got.IdentityChecks) != 1 || got.IdentityChecks[0].Number != "" ||
		got.IdentityChecks[0].DocumentType != kiosk.DocIDCard {
		t.Errorf("after the purge: %+v %+v", got.Notes, got.IdentityChecks)
	}
}

// The reissued receipt: the report's change, the job and the audit entry
// in one transaction, or none of them.
func TestUpdateReportPrint(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createN(t, s, 1)[0]
	job := &kiosk.PrintJob{State: kiosk.JobQueued, Queued: t0, AccessCode: "NEWCODE1", Copy: true}
	a := kiosk.AuditEntry{At: t0, Actor: "rustam", Action: "receipt.reissue", Record: r.ID}
	boom := errors.New("boom")
	if err := s.UpdateReportPrint(ctx, r.ID, func(r *kiosk.Report) error { return boom }, job, a); !errors.Is(err, boom) {
		t.Fatalf("failing change: %v", err)
	}
	if jobs, _ := s.PendingPrintJobs(ctx); len(jobs) != 0 {
		t.Fatalf("a job was queued for a change that failed: %+v", jobs)
	}
	err := s.UpdateReportPrint(ctx, r.ID, func(r *kiosk.Report) error {
		r.AccessHash = "argon2id$new"
		return nil
	}, job, a)
	if err != nil {
		t.Fatal(err)
	}
	jobs, _ := s.PendingPrintJobs(ctx)
	if len(jobs) != 1 || jobs[0].ID != job.ID || jobs[0].AccessCode != "NEWCODE1" || jobs[0].ReportID != r.ID || !jobs[0].Copy {
		t.Errorf("jobs: %+v (job %+v)", jobs, job)
	}
	if got, _ := s.ReportByID(ctx, r.ID); got.AccessHash != "argon2id$new" {
		t.Errorf("hash: %q", got.AccessHash)
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n != 2 {
		t.Errorf("audit: %d %v", n, err)
	}
}

func TestReportSummaryEncoding(t *testing.T) {
	full := kiosk.ReportSummary{Number: kiosk.Number{CPC: "ISF", Kiosk: 9, Year: 99, Seq: kiosk.MaxSeq},
		Category: "domestic_violence", Status: kiosk.StatusDecided, Decision: kiosk.DecisionTransferred, Lang: "uz",
		CreatedAt: t0, ClockSynced: true, ReviewedAt: t0.Add(time.Nanosecond), InfoRequested: true, Anonymous: true,
		Purged: true, OnBehalf: true, Notes: 7}
	for _, s := range []kiosk.ReportSummary{full, {Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 0, Seq: 1}, CreatedAt: t0}} {
		tab := newInternTables()
		var e reportEntry
		if err := tab.decode(encodeReportSummary(&s), &e); err != nil {
			t.Fatal(err)
		}
		if got := tab.summary(&e); !sameSummaries([]kiosk.ReportSummary{got}, []kiosk.ReportSummary{s}) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
		}
	}
	b := encodeReportSummary(&full)
	tab := newInternTables()
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(slices.Clone(b), 0)} {
		var e reportEntry
		if err := tab.decode(bad, &e); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%x: %v", bad, err)
		}
	}
	if got := fmt.Sprint(unsafe.Sizeof(reportEntry{})); got != "32" {
		t.Errorf("a decoded entry takes %s bytes, want 32", got)
	}
}
