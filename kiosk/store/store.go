package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"cpckiosk/kiosk"
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 1

// File names inside the data directory.
const (
	DBFile  = "kiosk.db"
	KeyFile = "keys/data.key"
)

var (
	bMeta    = []byte("meta")
	bReports = []byte("reports")
	bIDs     = []byte("ids")
	bSeq     = []byte("seq")
	bOutbox  = []byte("outbox")
	bAudit   = []byte("audit")
	bPrint   = []byte("print")
	bPending = []byte("print_pending")
	bRejects = []byte("outbox_rejected")
	buckets  = [][]byte{bMeta, bReports, bIDs, bSeq, bOutbox, bAudit, bPrint, bPending, bRejects, bUsers,
		bCPPTIssues, bCPPTIndex, bCPPTKeys, bCPPTSeq, bCPPTMeetings, bCPPTOutbox, bReportWeeks, bReportIndex}
	// added are buckets later versions added to schema 1; Open creates them
	// in a file that lacks them (and fills report_weeks and report_index
	// from the reports).
	added = [][]byte{bRejects, bUsers,
		bCPPTIssues, bCPPTIndex, bCPPTKeys, bCPPTSeq, bCPPTMeetings, bCPPTOutbox, bReportWeeks, bReportIndex}

	kSchema    = []byte("schema")
	kFloor     = []byte("time_floor")
	kAuditHead = []byte("audit_head")
	kKeyCheck  = []byte("key_check")
	keyCheck   = []byte("cpc-kiosk data key check")
)

// Errors of Open, so that kioskd can say precisely what is wrong.
var (
	// ErrLocked: another process holds the database.
	ErrLocked = errors.New("database is in use by another process")
	// ErrCorrupt: the file is not a valid kiosk database.
	ErrCorrupt = errors.New("database file is corrupt")
	// ErrSchema: the file was written by another version of the software.
	ErrSchema = errors.New("database schema not supported")
)

// Options tune Open. The zero value is the production setting.
type Options struct {
	// LockTimeout bounds the wait for the file lock (default 100 ms).
	LockTimeout time.Duration
	// Log receives store events; nil discards them.
	Log *slog.Logger
	// Training opens the store of training mode (see training.go): a new
	// file is marked as a training database, and a file whose mark does
	// not match is refused, so a training database can never be opened as
	// the real one, nor the real one as a training database.
	Training bool
}

// Store is the bbolt implementation of kiosk.Store.
type Store struct {
	db     *bolt.DB
	path   string
	seal   *sealer
	log    *slog.Logger
	writes chan *write
	done   chan struct{}
	lock   *dirLock
	issues issueCache  // decoded CPPT index, see cppt.go
	index  reportCache // decoded report index, see reportindex.go
	// training: this is the database of training mode; it takes only
	// reports numbered in the T series, and the real one only others.
	training bool
}

var _ kiosk.Store = (*Store)(nil)

// Open opens (or, when dir holds no database yet, creates) the store in the
// data directory dir. It refuses, without modifying anything, a database it
// cannot trust: locked by another process, corrupt, of another schema, or
// whose data key is missing or does not match.
func Open(dir string, opt Options) (*Store, error) {
	if opt.LockTimeout == 0 {
		opt.LockTimeout = 100 * time.Millisecond
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, LockFile), opt.LockTimeout)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s, err := open(dir, opt)
	if err != nil {
		lock.unlock()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func open(dir string, opt Options) (*Store, error) {
	path := filepath.Join(dir, DBFile)
	st, err := os.Stat(path)
	fresh := errors.Is(err, fs.ErrNotExist)
	switch {
	case err != nil && !fresh:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	case err == nil && st.Size() == 0:
		return nil, fmt.Errorf("open store %s: the file is empty: %w", path, ErrCorrupt)
	case err == nil:
		if err := preflight(path); err != nil {
			return nil, err
		}
	}
	key, err := LoadOrCreateKey(filepath.Join(dir, KeyFile), fresh)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	sl, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if fresh {
		if err := initFile(path, sl, opt.Training); err != nil {
			return nil, fmt.Errorf("open store: create %s: %w", path, err)
		}
	}
	db, err := openBolt(path, opt.LockTimeout)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, seal: sl, log: opt.Log, writes: make(chan *write, 256), done: make(chan struct{}),
		training: opt.Training}
	if err := s.addBuckets(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.check(); err != nil {
		db.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

// openBolt opens the file, translating bbolt's errors (and panics, which
// bbolt raises on some damaged files) into ErrLocked and ErrCorrupt.
func openBolt(path string, timeout time.Duration) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("open store %s: %v: %w", path, p, ErrCorrupt)
		}
	}()
	// NoFreelistSync: the freelist is rebuilt at open instead of being
	// rewritten by every commit (etcd's setting); durability is unchanged.
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open store %s: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("open store %s: %v: %w", path, err, ErrCorrupt)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// initFile creates a new database under a temporary name, fills in the
// buckets and schema, syncs and renames it into place.
func initFile(path string, sl *sealer, training bool) error {
	tmp := path + ".init"
	os.Remove(tmp) // left by a power cut during an earlier first start
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		if err := m.Put(kSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		if training {
			if err := m.Put(kTrainingMark, []byte("1")); err != nil {
				return err
			}
		}
		kc, err := sl.seal(keyCheck, kKeyCheck)
		if err != nil {
			return err
		}
		return m.Put(kKeyCheck, kc)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// addBuckets creates the buckets of added that a file made by an earlier
// version lacks. A file that is not a kiosk database is left alone for
// check to refuse.
func (s *Store) addBuckets() error {
	var missing bool
	s.db.View(func(tx *bolt.Tx) error {
		for _, name := range added {
			missing = missing || tx.Bucket(name) == nil
		}
		missing = missing && tx.Bucket(bMeta) != nil && tx.Bucket(bReports) != nil
		return nil
	})
	if !missing {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		countWeeks := tx.Bucket(bReportWeeks) == nil
		indexReports := tx.Bucket(bReportIndex) == nil
		for _, name := range added {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if countWeeks {
			n, err := fillReportWeeks(tx)
			if err != nil {
				return fmt.Errorf("count reports per week: %w", err)
			}
			s.log.Info("report week counters added", "reports", n)
		}
		if indexReports {
			n, err := fillReportIndex(tx)
			if err != nil {
				return fmt.Errorf("index the reports: %w", err)
			}
			s.log.Info("report index added", "reports", n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("open store %s: add buckets: %w", s.path, err)
	}
	return nil
}

// check verifies the schema, the buckets and the data key.
func (s *Store) check() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("open store %s: %v: %w", s.path, p, ErrCorrupt)
		}
	}()
	return s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil {
			return fmt.Errorf("open store %s: no schema record (not a kiosk database?): %w", s.path, ErrSchema)
		}
		v, err := strconv.Atoi(string(m.Get(kSchema)))
		switch {
		case err != nil:
			return fmt.Errorf("open store %s: unreadable schema version %q: %w", s.path, m.Get(kSchema), ErrSchema)
		case v > SchemaVersion:
			return fmt.Errorf("open store %s: schema %d is newer than this kioskd understands (%d): run the newer kioskd that wrote it: %w", s.path, v, SchemaVersion, ErrSchema)
		case v != SchemaVersion:
			return fmt.Errorf("open store %s: unknown schema %d (this kioskd reads %d): %w", s.path, v, SchemaVersion, ErrSchema)
		}
		for _, name := range buckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("open store %s: bucket %s missing: %w", s.path, name, ErrCorrupt)
			}
		}
		if _, err := s.seal.open(m.Get(kKeyCheck), kKeyCheck); err != nil {
			return fmt.Errorf("open store %s: the data key does not belong to this database (keys/data.key replaced?)", s.path)
		}
		return s.checkTrainingMark(m.Get(kTrainingMark) != nil)
	})
}

// Close waits for queued writes and closes the file.
func (s *Store) Close() error {
	close(s.writes)
	<-s.done
	err := s.db.Close()
	if lerr := s.lock.unlock(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Usage returns the database file's size and the bytes its pages in use
// occupy (the file grows ahead of need; freed pages are reused).
func (s *Store) Usage() (file, used int64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		st, err := os.Stat(s.path)
		if err != nil {
			return err
		}
		file = st.Size()
		used = tx.Size() - int64(s.db.Stats().FreePageN)*int64(s.db.Info().PageSize)
		return nil
	})
	return file, used, err
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// write is one queued write transaction function.
type write struct {
	fn  func(*bolt.Tx) error
	err chan error
	// committed, when set, runs in the committer right after the
	// transaction that holds the write committed, in commit order, before
	// the writer is told (reportindex.go patches the decoded index so).
	committed func()
}

// maxGroup bounds how many writes share one transaction.
const maxGroup = 256

// update runs fn in a write transaction shared with whatever else is queued,
// and returns once that transaction is durable (or failed). fn may run more
// than once.
func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	return s.updateThen(ctx, fn, nil)
}

// updateThen is update with committed run after the commit (see write).
func (s *Store) updateThen(ctx context.Context, fn func(*bolt.Tx) error, committed func()) error {
	w := &write{fn: fn, err: make(chan error, 1), committed: committed}
	select {
	case s.writes <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-w.err // once queued, the write completes whatever ctx does
}

func (s *Store) commitLoop() {
	defer close(s.done)
	group := make([]*write, 0, maxGroup)
	for w := range s.writes {
		group = append(group[:0], w)
	drain:
		for len(group) < maxGroup {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break drain
				}
				group = append(group, w)
			default:
				break drain
			}
		}
		s.commit(group)
	}
}

// commit runs a group of writes in one transaction. If one write's function
// fails, the transaction is rolled back and every write is run again alone,
// so a bad write gets its own error and the good ones still commit.
func (s *Store) commit(group []*write) {
	failed, err := s.run(group)
	if failed < 0 || len(group) == 1 {
		for _, w := range group {
			if err == nil && w.committed != nil {
				w.committed()
			}
		}
		for _, w := range group {
			w.err <- err
		}
		return
	}
	for _, w := range group {
		_, err := s.run([]*write{w})
		if err == nil && w.committed != nil {
			w.committed()
		}
		w.err <- err
	}
}

// run runs writes in one transaction. It returns the index of the write whose
// function failed (or -1) and the error, wrapped with kiosk.ErrUnavailable
// when the transaction itself could not be committed.
func (s *Store) run(writes []*write) (failed int, err error) {
	failed = -1
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i, w := range writes {
			if err := w.fn(tx); err != nil {
				failed = i
				return err
			}
		}
		return nil
	})
	if err != nil && failed < 0 {
		s.log.Error("commit failed", "err", err, "writes", len(writes))
		err = fmt.Errorf("commit: %v: %w", err, kiosk.ErrUnavailable)
	}
	return failed, err
}

func seqKey(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// record is a report as stored.
type record struct {
	ID          string         `json:"id"`
	CPC         string         `json:"cpc"`
	Kiosk       int            `json:"kiosk"`
	Year        int            `json:"year"`
	Seq         int            `json:"seq"`
	Category    kiosk.Category `json:"category"`
	Lang        string         `json:"lang"`
	Anonymous   bool           `json:"anonymous"`
	Place       string         `json:"place,omitempty"`
	OccurredAt  string         `json:"occurred_at,omitempty"`
	Status      kiosk.Status   `json:"status"`
	Decision    kiosk.Decision `json:"decision,omitempty"`
	CaseNumber  string         `json:"case_number,omitempty"`
	History     []kiosk.Event  `json:"history"`
	CreatedAt   time.Time      `json:"created_at"`
	ClockSynced bool           `json:"clock_synced"`
	AccessHash  string         `json:"access_hash"`
	Sealed      []byte         `json:"sealed,omitempty"` // personal fields, AES-GCM
	AckedAt     *time.Time     `json:"acked_at,omitempty"`
	Purged      bool           `json:"purged,omitempty"` // personal fields deleted here
	// The officers' work (kiosk/officer.go): who and when in clear, every
	// free text and document number sealed in Staff (staffTexts, in the
	// same order), so that the index and the relay never decrypt.
	FiledBy    string                `json:"filed_by,omitempty"`
	ReviewedAt *time.Time            `json:"reviewed_at,omitempty"`
	ReviewedBy string                `json:"reviewed_by,omitempty"`
	Notes      []kiosk.Note          `json:"notes,omitempty"`
	Requests   []kiosk.InfoRequest   `json:"info_requests,omitempty"`
	Checks     []kiosk.IdentityCheck `json:"identity_checks,omitempty"`
	Staff      []byte                `json:"staff,omitempty"`
	// Training: numbered in the T series of training mode (only ever in
	// the training database).
	Training bool `json:"training,omitempty"`
}

// personal is the part of a report that is sealed at rest.
type personal struct {
	Reporter    kiosk.Reporter `json:"reporter"`
	Description string         `json:"description"`
}

// staffTexts is the sealed part of the officers' work on a report: the
// texts of the notes and information requests and the numbers of the
// identity documents checked, in the order of record.Notes, Requests and
// Checks.
type staffTexts struct {
	Notes     []string `json:"notes,omitempty"`
	Requests  []string `json:"requests,omitempty"`
	Documents []string `json:"documents,omitempty"`
}

func staffAD(id string) []byte { return []byte("staff:" + id) }

// record seals r's personal fields and staff texts and returns it as stored.
func (s *Store) record(r *kiosk.Report) (*record, error) {
	var sealed, staff []byte
	if !r.Purged {
		var err error
		if sealed, err = s.sealJSON(personal{Reporter: r.Reporter, Description: r.Incident.Description}, []byte(r.ID)); err != nil {
			return nil, err
		}
	}
	if len(r.Notes)+len(r.InfoRequests)+len(r.IdentityChecks) > 0 {
		var t staffTexts
		for _, n := range r.Notes {
			t.Notes = append(t.Notes, n.Text)
		}
		for _, q := range r.InfoRequests {
			t.Requests = append(t.Requests, q.Text)
		}
		for _, c := range r.IdentityChecks {
			t.Documents = append(t.Documents, c.Number)
		}
		var err error
		if staff, err = s.sealJSON(t, staffAD(r.ID)); err != nil {
			return nil, err
		}
	}
	rec := recordOf(r, sealed, staff)
	return &rec, nil
}

func (s *Store) encode(r *kiosk.Report) ([]byte, error) {
	rec, err := s.record(r)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rec)
}

// recordOf is r as stored, with its personal fields and staff texts already
// sealed (the texts and numbers in the clear part are left out).
func recordOf(r *kiosk.Report, sealed, staff []byte) record {
	rec := record{
		ID: r.ID, CPC: r.Number.CPC, Kiosk: r.Number.Kiosk, Year: r.Number.Year, Seq: r.Number.Seq,
		Category: r.Category, Lang: r.Lang, Anonymous: r.Anonymous,
		Place: r.Incident.Place, OccurredAt: r.Incident.OccurredAt,
		Status: r.Status, Decision: r.Decision, CaseNumber: r.CaseNumber, History: r.History,
		CreatedAt: r.CreatedAt, ClockSynced: r.ClockSynced, AccessHash: r.AccessHash, Sealed: sealed,
		Purged: r.Purged, FiledBy: r.FiledBy, ReviewedBy: r.ReviewedBy, Staff: staff, Training: r.Number.Training,
	}
	if !r.AckedAt.IsZero() {
		t := r.AckedAt
		rec.AckedAt = &t
	}
	if !r.ReviewedAt.IsZero() {
		t := r.ReviewedAt
		rec.ReviewedAt = &t
	}
	for _, n := range r.Notes {
		n.Text = ""
		rec.Notes = append(rec.Notes, n)
	}
	for _, q := range r.InfoRequests {
		q.Text = ""
		rec.Requests = append(rec.Requests, q)
	}
	for _, c := range r.IdentityChecks {
		c.Number = ""
		rec.Checks = append(rec.Checks, c)
	}
	return rec
}

// reportOf is the report of a stored record without its personal fields.
func (rec *record) report() *kiosk.Report {
	r := &kiosk.Report{
		ID: rec.ID, Number: rec.number(),
		Category: rec.Category, Lang: rec.Lang, Anonymous: rec.Anonymous,
		Incident: kiosk.Incident{Place: rec.Place, OccurredAt: rec.OccurredAt},
		Status:   rec.Status, Decision: rec.Decision, CaseNumber: rec.CaseNumber, History: rec.History,
		CreatedAt: rec.CreatedAt, ClockSynced: rec.ClockSynced, AccessHash: rec.AccessHash,
		Purged: rec.Purged, FiledBy: rec.FiledBy, ReviewedBy: rec.ReviewedBy,
		Notes: slices.Clone(rec.Notes), InfoRequests: slices.Clone(rec.Requests), IdentityChecks: slices.Clone(rec.Checks),
	}
	if rec.AckedAt != nil {
		r.AckedAt = *rec.AckedAt
	}
	if rec.ReviewedAt != nil {
		r.ReviewedAt = *rec.ReviewedAt
	}
	return r
}

func unmarshalRecord(b []byte) (*record, error) {
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decode report: %v: %w", err, ErrCorrupt)
	}
	return &rec, nil
}

func (s *Store) decode(b []byte) (*kiosk.Report, error) {
	rec, err := unmarshalRecord(b)
	if err != nil {
		return nil, err
	}
	r := rec.report()
	if len(rec.Sealed) > 0 {
		var p personal
		if err := s.openJSON(rec.Sealed, []byte(rec.ID), &p); err != nil {
			return nil, fmt.Errorf("decode report %s: %w", rec.ID, err)
		}
		r.Reporter, r.Incident.Description = p.Reporter, p.Description
	}
	if len(rec.Staff) > 0 {
		var t staffTexts
		if err := s.openJSON(rec.Staff, staffAD(rec.ID), &t); err != nil {
			return nil, fmt.Errorf("decode report %s: staff texts: %w", rec.ID, err)
		}
		if len(t.Notes) != len(r.Notes) || len(t.Requests) != len(r.InfoRequests) || len(t.Documents) != len(r.IdentityChecks) {
			return nil, fmt.Errorf("decode report %s: sealed staff texts do not match the notes, requests and checks: %w", rec.ID, ErrCorrupt)
		}
		for k := range r.Notes {
			r.Notes[k].Text = t.Notes[k]
		}
		for k := range r.InfoRequests {
			r.InfoRequests[k].Text = t.Requests[k]
		}
		for k := range r.IdentityChecks {
			r.IdentityChecks[k].Number = t.Documents[k]
		}
	}
	return r, nil
}

// CreateReport implements kiosk.Store.
func (s *Store) CreateReport(ctx context.Context, r *kiosk.Report, audit kiosk.AuditEntry, receipt *kiosk.PrintJob) error {
	if r.Number.Training != s.training {
		return fmt.Errorf("store report: %w", s.seriesError(r.Number))
	}
	err := s.updateReports(ctx, func(tx *bolt.Tx, batch *indexBatch) error {
		seqs := tx.Bucket(bSeq)
		sk := []byte(fmt.Sprintf("%d-%02d", r.Number.Kiosk, r.Number.Year))
		next := 1
		if v := seqs.Get(sk); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("sequence %s: %q: %w", sk, v, ErrCorrupt)
			}
			next = n + 1
		}
		if next > kiosk.MaxSeq {
			return fmt.Errorf("sequence %s exhausted", sk)
		}
		r.Number.Seq = next
		rec, err := s.record(r)
		if err != nil {
			return err
		}
		num := []byte(r.Number.String())
		if tx.Bucket(bReports).Get(num) != nil {
			return fmt.Errorf("number %s already issued: %w", num, ErrCorrupt)
		}
		if err := seqs.Put(sk, []byte(strconv.Itoa(next))); err != nil {
			return err
		}
		if err := putRecord(tx, rec, batch); err != nil {
			return err
		}
		if err := tx.Bucket(bIDs).Put([]byte(r.ID), num); err != nil {
			return err
		}
		if err := countReport(tx, r.Category, r.CreatedAt, 1); err != nil {
			return err
		}
		if err := putOutbox(tx, kiosk.OutboxEntry{Type: "report", RecordID: r.ID, Queued: r.CreatedAt}); err != nil {
			return err
		}
		if err := raiseFloor(tx, r.CreatedAt); err != nil {
			return err
		}
		if receipt != nil {
			receipt.ReportID = r.ID
			receipt.ID = 0 // a rerun after a rolled-back group must not reuse the id it got then
			if err := s.putJob(tx, receipt); err != nil {
				return err
			}
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store report: %w", err)
	}
	return nil
}

func putOutbox(tx *bolt.Tx, e kiosk.OutboxEntry) error {
	b := tx.Bucket(bOutbox)
	b.FillPercent = 0.9
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = n
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put(seqKey(n), v)
}

func appendAudit(tx *bolt.Tx, e kiosk.AuditEntry) error {
	m := tx.Bucket(bMeta)
	var head kiosk.AuditHead
	if v := m.Get(kAuditHead); v != nil {
		if err := json.Unmarshal(v, &head); err != nil {
			return fmt.Errorf("audit head: %v: %w", err, ErrCorrupt)
		}
	}
	head = e.Link(head)
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b := tx.Bucket(bAudit)
	b.FillPercent = 0.9
	if err := b.Put(seqKey(e.Seq), v); err != nil {
		return err
	}
	hv, err := json.Marshal(head)
	if err != nil {
		return err
	}
	return m.Put(kAuditHead, hv)
}

func raiseFloor(tx *bolt.Tx, t time.Time) error {
	m := tx.Bucket(bMeta)
	if v := m.Get(kFloor); v != nil {
		if old, err := time.Parse(time.RFC3339Nano, string(v)); err == nil && !t.After(old) {
			return nil
		}
	}
	return m.Put(kFloor, []byte(t.UTC().Format(time.RFC3339Nano)))
}

// AppendAudit implements kiosk.Store.
func (s *Store) AppendAudit(ctx context.Context, e kiosk.AuditEntry) error {
	if err := s.update(ctx, func(tx *bolt.Tx) error { return appendAudit(tx, e) }); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// SaveTimeFloor implements kiosk.Store.
func (s *Store) SaveTimeFloor(ctx context.Context, t time.Time) error {
	if err := s.update(ctx, func(tx *bolt.Tx) error { return raiseFloor(tx, t) }); err != nil {
		return fmt.Errorf("save time floor: %w", err)
	}
	return nil
}

// TimeFloor returns the persisted time floor (zero if none yet).
func (s *Store) TimeFloor() (time.Time, error) {
	var t time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(kFloor)
		if v == nil {
			return nil
		}
		var err error
		t, err = time.Parse(time.RFC3339Nano, string(v))
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read time floor: %w", err)
	}
	return t, nil
}

// ReportByNumber implements kiosk.Store.
func (s *Store) ReportByNumber(ctx context.Context, n kiosk.Number) (*kiosk.Report, error) {
	var r *kiosk.Report
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bReports).Get([]byte(n.String()))
		if v == nil {
			return kiosk.ErrNotFound
		}
		var err error
		r, err = s.decode(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", n, err)
	}
	return r, nil
}

// ReportByID returns the report with that UUID, or kiosk.ErrNotFound.
func (s *Store) ReportByID(ctx context.Context, id string) (*kiosk.Report, error) {
	var r *kiosk.Report
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = s.getByID(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", id, err)
	}
	return r, nil
}

func (s *Store) getByID(tx *bolt.Tx, id string) (*kiosk.Report, error) {
	num := tx.Bucket(bIDs).Get([]byte(id))
	if num == nil {
		return nil, kiosk.ErrNotFound
	}
	v := tx.Bucket(bReports).Get(num)
	if v == nil {
		return nil, fmt.Errorf("index points at missing %s: %w", num, ErrCorrupt)
	}
	return s.decode(v)
}

// UpdateReport implements kiosk.Store. The ID, number and creation time
// stay as stored whatever fn does.
func (s *Store) UpdateReport(ctx context.Context, id string, fn func(*kiosk.Report) error, audit kiosk.AuditEntry) error {
	err := s.updateReports(ctx, func(tx *bolt.Tx, batch *indexBatch) error {
		if err := s.updateReport(tx, id, fn, batch); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("update report %s: %w", id, err)
	}
	return nil
}

// UpdateReportPrint implements kiosk.ReceiptReissuer: UpdateReport and
// QueuePrintJob in one transaction.
func (s *Store) UpdateReportPrint(ctx context.Context, id string, fn func(*kiosk.Report) error, job *kiosk.PrintJob, audit kiosk.AuditEntry) error {
	err := s.updateReports(ctx, func(tx *bolt.Tx, batch *indexBatch) error {
		if err := s.updateReport(tx, id, fn, batch); err != nil {
			return err
		}
		job.ID, job.ReportID = 0, id // a rerun must not reuse a rolled-back id
		if err := s.putJob(tx, job); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("update report %s and queue its receipt: %w", id, err)
	}
	return nil
}

// updateReport applies fn to the report with that id and writes it back
// with its index entry (and the weekly counters if its category changed).
func (s *Store) updateReport(tx *bolt.Tx, id string, fn func(*kiosk.Report) error, batch *indexBatch) error {
	r, err := s.getByID(tx, id)
	if err != nil {
		return err
	}
	fixed := *r
	if err := fn(r); err != nil {
		return err
	}
	r.ID, r.Number, r.CreatedAt = fixed.ID, fixed.Number, fixed.CreatedAt
	if r.Category != fixed.Category {
		if err := countReport(tx, fixed.Category, r.CreatedAt, -1); err != nil {
			return err
		}
		if err := countReport(tx, r.Category, r.CreatedAt, 1); err != nil {
			return err
		}
	}
	rec, err := s.record(r)
	if err != nil {
		return err
	}
	return putRecord(tx, rec, batch)
}

// Reports calls fn for every report in number order, until fn returns false.
func (s *Store) Reports(ctx context.Context, fn func(*kiosk.Report) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bReports).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := s.decode(v)
			if err != nil {
				return fmt.Errorf("read report %s: %w", k, err)
			}
			if !fn(r) {
				return nil
			}
		}
		return nil
	})
}

// OutboxLen implements kiosk.Store.
func (s *Store) OutboxLen(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bOutbox).Stats().KeyN
		return nil
	})
	return n, err
}

// Outbox returns up to limit entries, oldest first.
func (s *Store) Outbox(ctx context.Context, limit int) ([]kiosk.OutboxEntry, error) {
	var out []kiosk.OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var e kiosk.OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("outbox entry %x: %v: %w", k, err, ErrCorrupt)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// VerifyAudit walks the whole audit chain and checks it against the stored
// head. It returns the number of entries checked.
func (s *Store) VerifyAudit(ctx context.Context) (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		var head kiosk.AuditHead
		if v := tx.Bucket(bMeta).Get(kAuditHead); v != nil {
			if err := json.Unmarshal(v, &head); err != nil {
				return fmt.Errorf("audit head: %v: %w", err, kiosk.ErrAuditBroken)
			}
		}
		var ver kiosk.AuditVerifier
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var e kiosk.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit entry %x: %v: %w", k, err, kiosk.ErrAuditBroken)
			}
			if !bytes.Equal(k, seqKey(e.Seq)) {
				return fmt.Errorf("audit entry %x stored under the wrong key: %w", k, kiosk.ErrAuditBroken)
			}
			if err := ver.Next(e); err != nil {
				return err
			}
		}
		var err error
		n, err = ver.Done(head)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("verify audit: %w", err)
	}
	return n, nil
}
