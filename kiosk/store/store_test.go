package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

// openTest opens a store in a fresh directory and, on cleanup, closes it and
// checks the file with bbolt's consistency check and the audit chain.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAndCheck(t, s) })
	return s, dir
}

func closeAndCheck(t *testing.T, s *Store) {
	t.Helper()
	if s.db == nil {
		return
	}
	if _, err := s.VerifyAudit(context.Background()); err != nil && !t.Failed() {
		t.Errorf("audit chain: %v", err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Errorf("bbolt consistency check: %v", err)
	}
	s.Close()
	s.db = nil
}

func newReport(i int) *kiosk.Report {
	id, _ := kiosk.NewUUID()
	return &kiosk.Report{
		ID: id, Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26},
		Category: "theft", Lang: "tg", Status: kiosk.StatusReceived,
		Reporter:  kiosk.Reporter{FullName: fmt.Sprintf("Ҷамшед Қодиров %d", i), Phone: "+992931234567", IDNumber: "A1234567", Address: "Хуҷанд, кӯчаи Ленин 5"},
		Incident:  kiosk.Incident{Place: "бозор", Description: "Ҳамёнамро дуздиданд"},
		History:   []kiosk.Event{{Status: kiosk.StatusReceived, At: t0}},
		CreatedAt: t0.Add(time.Duration(i) * time.Second), AccessHash: "argon2id$1$1024$1$c2FsdA$aGFzaA",
	}
}

func audit(r *kiosk.Report) kiosk.AuditEntry {
	return kiosk.AuditEntry{At: r.CreatedAt, Actor: "citizen", Action: "report.create", Record: r.ID}
}

func TestCreateReadBack(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	r := newReport(1)
	if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
		t.Fatal(err)
	}
	if r.Number.Seq != 1 {
		t.Fatalf("first sequence %d", r.Number.Seq)
	}
	got, err := s.ReportByNumber(ctx, r.Number)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(r) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, r)
	}
	byID, err := s.ReportByID(ctx, r.ID)
	if err != nil || byID.Number != r.Number {
		t.Fatalf("by id: %v, %v", byID, err)
	}
	if _, err := s.ReportByNumber(ctx, kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 2}); !errors.Is(err, kiosk.ErrNotFound) {
		t.Fatalf("missing number: %v", err)
	}
	if n, _ := s.OutboxLen(ctx); n != 1 {
		t.Fatalf("outbox %d", n)
	}
	if f, _ := s.TimeFloor(); !f.Equal(r.CreatedAt) {
		t.Fatalf("time floor %v, want %v", f, r.CreatedAt)
	}
	for name, want := range map[string]os.FileMode{DBFile: 0o600, KeyFile: 0o600, "keys": 0o700} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", name, st.Mode().Perm(), err, want)
		}
	}
}

// The personal fields never reach the disk in clear; the rest does.
func TestPersonalDataEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	r := newReport(7)
	if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
		t.Fatal(err)
	}
	closeAndCheck(t, s)
	raw, err := os.ReadFile(filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{r.Reporter.FullName, "Қодиров", r.Reporter.Phone, r.Reporter.IDNumber, r.Reporter.Address, r.Incident.Description} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("personal field %q found in clear in the database file", secret)
		}
	}
	if !bytes.Contains(raw, []byte(r.Number.String())) || !bytes.Contains(raw, []byte("бозор")) {
		t.Error("queryable fields (number, place) not found: is the test reading the right file?")
	}
}

// Eight writers at once: every report gets a distinct, gapless number and
// its own outbox and audit entries.
func TestConcurrentCreates(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const writers, each = 8, 40
	var wg sync.WaitGroup
	nums := make(chan int, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := newReport(w*each + i)
				if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
					t.Error(err)
					return
				}
				nums <- r.Number.Seq
			}
		}(w)
	}
	wg.Wait()
	close(nums)
	seen := map[int]bool{}
	for n := range nums {
		if seen[n] {
			t.Fatalf("sequence %d issued twice", n)
		}
		seen[n] = true
	}
	for i := 1; i <= writers*each; i++ {
		if !seen[i] {
			t.Fatalf("sequence %d missing", i)
		}
	}
	if n, _ := s.OutboxLen(ctx); n != writers*each {
		t.Fatalf("outbox %d", n)
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n != writers*each {
		t.Fatalf("audit %d entries, %v", n, err)
	}
}

// A write that fails inside a group does not fail the others.
func TestFailedWriteIsolated(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			r := newReport(i)
			errs <- s.CreateReport(ctx, r, audit(r), nil)
		}(i)
		go func() {
			defer wg.Done()
			err := s.UpdateReport(ctx, "no-such-id", func(*kiosk.Report) error { return nil }, kiosk.AuditEntry{})
			if !errors.Is(err, kiosk.ErrNotFound) {
				errs <- fmt.Errorf("update of a missing report: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.OutboxLen(ctx); n != 32 {
		t.Fatalf("outbox %d, want 32", n)
	}
}

func TestUpdateReport(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := newReport(1)
	if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
		t.Fatal(err)
	}
	a := kiosk.AuditEntry{At: t0, Actor: "central", Action: "report.status", Record: r.ID}
	err := s.UpdateReport(ctx, r.ID, func(x *kiosk.Report) error {
		return x.Transition(kiosk.StatusClosed, "", "done", t0)
	}, a)
	if err != nil {
		t.Fatal(err)
	}
	err = s.UpdateReport(ctx, r.ID, func(x *kiosk.Report) error {
		return x.Transition(kiosk.StatusReceived, "", "", t0)
	}, a)
	if !errors.Is(err, kiosk.ErrTransition) {
		t.Fatalf("impossible transition: %v", err)
	}
	got, _ := s.ReportByNumber(ctx, r.Number)
	if got.Status != kiosk.StatusClosed || len(got.History) != 2 || got.Reporter != r.Reporter {
		t.Fatalf("after update: %+v", got)
	}
	if n, _ := s.VerifyAudit(ctx); n != 2 {
		t.Fatalf("audit entries %d, want 2 (the refused update wrote none)", n)
	}
}

func TestReopenContinuesSequence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for round := 1; round <= 3; round++ {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		r := newReport(round)
		if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
			t.Fatal(err)
		}
		if r.Number.Seq != round {
			t.Fatalf("round %d: sequence %d", round, r.Number.Seq)
		}
		closeAndCheck(t, s)
	}
}

func TestSecondOpenRefusedQuickly(t *testing.T) {
	_, dir := openTest(t)
	start := time.Now()
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second open waited %v", d)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// Damaged or foreign files are refused and left exactly as they were.
func TestRefusesUntrustedFiles(t *testing.T) {
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(i*7919 + i>>3)
	}
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
		want    error
	}{
		{"random bytes", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, DBFile), random, 0o600)
		}, ErrCorrupt},
		{"empty file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, DBFile), nil, 0o600)
		}, ErrCorrupt},
		{"truncated database", func(t *testing.T, dir string) {
			makeDB(t, dir, 50)
			p := filepath.Join(dir, DBFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:4096*3], 0o600)
		}, ErrCorrupt},
		{"both meta pages damaged", func(t *testing.T, dir string) {
			makeDB(t, dir, 5)
			p := filepath.Join(dir, DBFile)
			b, _ := os.ReadFile(p)
			for _, off := range []int{16 + 40, 4096 + 16 + 40} {
				b[off] ^= 0xff
			}
			os.WriteFile(p, b, 0o600)
		}, ErrCorrupt},
		{"newer schema", func(t *testing.T, dir string) {
			makeDB(t, dir, 1)
			setMeta(t, dir, kSchema, "2")
		}, ErrSchema},
		{"unknown schema", func(t *testing.T, dir string) {
			makeDB(t, dir, 1)
			setMeta(t, dir, kSchema, "zero")
		}, ErrSchema},
		{"another bbolt file", func(t *testing.T, dir string) {
			db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
			db.Close()
			LoadOrCreateKey(filepath.Join(dir, KeyFile), true)
		}, ErrSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.prepare(t, dir)
			p := filepath.Join(dir, DBFile)
			before := fileSum(t, p)
			if _, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil {
				LoadOrCreateKey(filepath.Join(dir, KeyFile), true)
			}
			s, err := Open(dir, Options{})
			if err == nil {
				s.Close()
				t.Fatal("opened an untrusted file")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(p)) {
				t.Errorf("error does not name the file: %v", err)
			}
			if fileSum(t, p) != before {
				t.Fatal("the refused file was modified")
			}
		})
	}
}

func TestKeyProblems(t *testing.T) {
	t.Run("missing key", func(t *testing.T) {
		dir := t.TempDir()
		makeDB(t, dir, 1)
		os.Remove(filepath.Join(dir, KeyFile))
		if _, err := Open(dir, Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("missing")) {
			t.Fatalf("got %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
			t.Fatal("a new key was made for an existing database")
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		dir := t.TempDir()
		makeDB(t, dir, 1)
		other := t.TempDir()
		k, _ := LoadOrCreateKey(filepath.Join(other, KeyFile), true)
		os.WriteFile(filepath.Join(dir, KeyFile), k, 0o600)
		if _, err := Open(dir, Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("does not belong")) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("key readable by others", func(t *testing.T) {
		dir := t.TempDir()
		makeDB(t, dir, 1)
		os.Chmod(filepath.Join(dir, KeyFile), 0o644)
		if _, err := Open(dir, Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("chmod 600")) {
			t.Fatalf("got %v", err)
		}
	})
}

// Editing or deleting an audit entry in the file is detected.
func TestAuditTamperingInFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(b *bolt.Bucket) error
	}{
		{"edit", func(b *bolt.Bucket) error {
			v := bytes.Replace(b.Get(seqKey(2)), []byte(`"citizen"`), []byte(`"officer"`), 1)
			return b.Put(seqKey(2), v)
		}},
		{"delete", func(b *bolt.Bucket) error { return b.Delete(seqKey(2)) }},
		{"delete last", func(b *bolt.Bucket) error { return b.Delete(seqKey(3)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			makeDB(t, dir, 3)
			db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bolt.Tx) error { return tc.tamper(tx.Bucket(bAudit)) }); err != nil {
				t.Fatal(err)
			}
			db.Close()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.VerifyAudit(context.Background()); !errors.Is(err, kiosk.ErrAuditBroken) {
				t.Fatalf("tampering not detected: %v", err)
			}
		})
	}
}

func makeDB(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r := newReport(i)
		if err := s.CreateReport(context.Background(), r, audit(r), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func setMeta(t *testing.T, dir string, key []byte, val string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(key, []byte(val)) }); err != nil {
		t.Fatal(err)
	}
}

func TestPrintJobs(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	r := newReport(1)
	job := &kiosk.PrintJob{Queued: t0, AccessCode: "K7QW2M9X"}
	if err := s.CreateReport(ctx, r, audit(r), job); err != nil {
		t.Fatal(err)
	}
	if job.ID == 0 || job.ReportID != r.ID {
		t.Fatalf("job %+v", job)
	}
	pending, err := s.PendingPrintJobs(ctx)
	if err != nil || len(pending) != 1 || pending[0].AccessCode != "K7QW2M9X" || pending[0].State != kiosk.JobQueued {
		t.Fatalf("pending %+v %v", pending, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, DBFile))
	if bytes.Contains(raw, []byte("K7QW2M9X")) {
		t.Fatal("access code in clear in the database file")
	}
	j := pending[0]
	j.Attempts, j.Error = 1, "paper out"
	if err := s.UpdatePrintJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingPrintJobs(ctx); len(p) != 1 || p[0].Attempts != 1 || p[0].AccessCode != "K7QW2M9X" {
		t.Fatalf("failed job %+v", p)
	}
	j.State, j.Attempts = kiosk.JobPrinted, 2
	if err := s.UpdatePrintJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingPrintJobs(ctx); len(p) != 0 {
		t.Fatalf("printed job still pending: %+v", p)
	}
	got, err := s.PrintJob(ctx, j.ID)
	if err != nil || got.AccessCode != "" || got.State != kiosk.JobPrinted {
		t.Fatalf("printed job %+v %v: the code must be gone", got, err)
	}
	if err := s.UpdatePrintJob(ctx, kiosk.PrintJob{ID: 99}); !errors.Is(err, kiosk.ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
}

// Concurrent creates with receipts, mixed with writes that fail (so groups
// are rolled back and rerun one by one): every job keeps its own id.
func TestPrintJobIDsSurviveGroupRetries(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var wg sync.WaitGroup
	jobs := make(chan *kiosk.PrintJob, 64)
	for i := 0; i < 32; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			r := newReport(i)
			j := &kiosk.PrintJob{AccessCode: fmt.Sprintf("CODE%04d", i)}
			if err := s.CreateReport(ctx, r, audit(r), j); err != nil {
				t.Error(err)
				return
			}
			jobs <- j
		}(i)
		go func() {
			defer wg.Done()
			s.UpdateReport(ctx, "missing", func(*kiosk.Report) error { return nil }, kiosk.AuditEntry{})
		}()
	}
	wg.Wait()
	close(jobs)
	ids := map[uint64]string{}
	for j := range jobs {
		if prev, dup := ids[j.ID]; dup {
			t.Fatalf("job id %d given to %s and %s", j.ID, prev, j.AccessCode)
		}
		ids[j.ID] = j.AccessCode
		got, err := s.PrintJob(ctx, j.ID)
		if err != nil || got.AccessCode != j.AccessCode || got.ReportID != j.ReportID {
			t.Fatalf("job %d: %+v %v, want code %s", j.ID, got, err, j.AccessCode)
		}
	}
	if p, _ := s.PendingPrintJobs(ctx); len(p) != 32 {
		t.Fatalf("%d pending jobs, want 32", len(p))
	}
}
