package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// The report index: what the officer's list shows of every report, so that
// the list never decodes or decrypts a report. The bucket report_index maps
// the creation time (8 bytes, as timeKey) followed by the registration
// number to a compact binary kiosk.ReportSummary; every write of a report
// (CreateReport, UpdateReport, UpdateReportPrint and the relay's edits)
// puts its entry in the same transaction. The store also keeps the index
// decoded in memory, 32 bytes a report, in the bucket's order (oldest
// first), and patches it right after each commit (updateReports) instead of
// reloading.

// bReportIndex: creation time + number -> binary summary (added to schema 1).
var bReportIndex = []byte("report_index")

var _ kiosk.OfficerStore = (*Store)(nil)

// reportSummaryVersion is the first byte of an index entry. The rest is:
// centre, kiosk, year, sequence, category, status, decision, language,
// flags, created, reviewed (unix nanoseconds, 0 for none) and the number of
// notes; strings length-prefixed, numbers varints.
const reportSummaryVersion = 1

// Flags of an index entry.
const (
	flagAnonymous = 1 << iota
	flagPurged
	flagSynced
	flagInfoOpen
	flagOnBehalf
	flagTraining
)

func reportIndexKey(created time.Time, number string) []byte {
	return append(timeKey(created), number...)
}

func encodeReportSummary(s *kiosk.ReportSummary) []byte {
	var flags uint64
	set := func(bit uint64, on bool) {
		if on {
			flags |= bit
		}
	}
	set(flagAnonymous, s.Anonymous)
	set(flagPurged, s.Purged)
	set(flagSynced, s.ClockSynced)
	set(flagInfoOpen, s.InfoRequested)
	set(flagOnBehalf, s.OnBehalf)
	set(flagTraining, s.Number.Training)
	b := make([]byte, 0, 64)
	b = append(b, reportSummaryVersion)
	b = appendString(b, s.Number.CPC)
	b = binary.AppendUvarint(b, uint64(s.Number.Kiosk))
	b = binary.AppendUvarint(b, uint64(s.Number.Year))
	b = binary.AppendUvarint(b, uint64(s.Number.Seq))
	b = appendString(b, string(s.Category))
	b = appendString(b, string(s.Status))
	b = appendString(b, string(s.Decision))
	b = appendString(b, s.Lang)
	b = binary.AppendUvarint(b, flags)
	b = appendTime(b, s.CreatedAt)
	b = appendTime(b, s.ReviewedAt)
	b = binary.AppendUvarint(b, uint64(s.Notes))
	return b
}

// int reads a varint.
func (r *summaryReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// indexBatch collects the summaries a write function put in the index, to
// patch the decoded index once the transaction committed.
type indexBatch []kiosk.ReportSummary

// updateReports runs fn in a write transaction as update does, with a batch
// for the index entries it puts. The decoded index is patched with them in
// the committer, right after the commit and in commit order, so that two
// writes of one report committed together are applied in the order they
// were written.
func (s *Store) updateReports(ctx context.Context, fn func(tx *bolt.Tx, batch *indexBatch) error) error {
	var batch indexBatch
	return s.updateThen(ctx, func(tx *bolt.Tx) error {
		batch = batch[:0] // a rerun after a rolled-back group starts again
		return fn(tx, &batch)
	}, func() { s.index.apply(batch) })
}

// putRecord writes a report record and its index entry.
func putRecord(tx *bolt.Tx, rec *record, batch *indexBatch) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	num := rec.number().String()
	reports := tx.Bucket(bReports)
	reports.FillPercent = 0.9 // keys only grow within a kiosk and year
	if err := reports.Put([]byte(num), v); err != nil {
		return err
	}
	sum := rec.report().Summary()
	idx := tx.Bucket(bReportIndex)
	idx.FillPercent = 0.9 // keys grow with time
	if err := idx.Put(reportIndexKey(rec.CreatedAt, num), encodeReportSummary(&sum)); err != nil {
		return err
	}
	*batch = append(*batch, sum)
	return nil
}

// fillReportIndex indexes every stored report: run once, in the transaction
// that adds the index to a database made before it existed.
func fillReportIndex(tx *bolt.Tx) (int, error) {
	n := 0
	idx := tx.Bucket(bReportIndex)
	err := tx.Bucket(bReports).ForEach(func(k, v []byte) error {
		rec, err := unmarshalRecord(v)
		if err != nil {
			return fmt.Errorf("report %s: %w", k, err)
		}
		sum := rec.report().Summary()
		n++
		return idx.Put(reportIndexKey(rec.CreatedAt, string(k)), encodeReportSummary(&sum))
	})
	return n, err
}

// dropDocumentNumbers returns the record's staff texts sealed again without
// the numbers of the identity documents checked (personal data deleted with
// the rest after the retention period).
func (s *Store) dropDocumentNumbers(rec *record) ([]byte, error) {
	var t staffTexts
	if err := s.openJSON(rec.Staff, staffAD(rec.ID), &t); err != nil {
		return nil, fmt.Errorf("report %s: staff texts: %w", rec.ID, err)
	}
	for k := range t.Documents {
		t.Documents[k] = ""
	}
	return s.sealJSON(t, staffAD(rec.ID))
}

// ---- the decoded index ----

// reportEntry is one report of the decoded index: the strings of small sets
// (centre, category, status, decision, language) as indices into the
// cache's tables.
type reportEntry struct {
	created, reviewed                int64 // unix nanoseconds; reviewed 0: not yet
	seq                              int32
	notes                            uint16
	kiosk, year                      uint8
	cpc, cat, status, decision, lang uint8
	flags                            uint8
}

// The tables of reportEntry's small strings.
const (
	tCPC = iota
	tCategory
	tStatus
	tDecision
	tLang
	nTables
)

// internTables maps the small strings of the index to one byte.
type internTables struct {
	names [nTables][]string
	ids   [nTables]map[string]uint8
}

func newInternTables() internTables {
	var t internTables
	for k := range t.ids {
		t.ids[k] = map[string]uint8{}
	}
	return t
}

// intern returns the id of s in table k, adding it when new.
func (t *internTables) intern(k int, s []byte) (uint8, error) {
	if id, ok := t.ids[k][string(s)]; ok {
		return id, nil
	}
	if len(t.names[k]) > 255 {
		return 0, fmt.Errorf("report index: more than 256 distinct values of field %d: %w", k, ErrCorrupt)
	}
	id := uint8(len(t.names[k]))
	str := string(s)
	t.names[k] = append(t.names[k], str)
	t.ids[k][str] = id
	return id, nil
}

// decode reads an index entry into e.
func (t *internTables) decode(b []byte, e *reportEntry) error {
	if len(b) == 0 || b[0] != reportSummaryVersion {
		return fmt.Errorf("report index entry: unknown version: %w", ErrCorrupt)
	}
	r := summaryReader{b: b[1:]}
	var raw [nTables][]byte
	raw[tCPC] = r.raw()
	k, y, seq := r.uint(), r.uint(), r.uint()
	raw[tCategory], raw[tStatus], raw[tDecision], raw[tLang] = r.raw(), r.raw(), r.raw(), r.raw()
	flags := r.uint()
	created, reviewed := r.int(), r.int()
	notes := r.uint()
	if r.bad || len(r.b) != 0 || k > 9 || y > 99 || seq > kiosk.MaxSeq || flags > 0xff {
		return fmt.Errorf("report index entry: malformed: %w", ErrCorrupt)
	}
	*e = reportEntry{created: created, reviewed: reviewed, seq: int32(seq), notes: uint16(min(notes, 0xffff)),
		kiosk: uint8(k), year: uint8(y), flags: uint8(flags)}
	ids := [nTables]*uint8{&e.cpc, &e.cat, &e.status, &e.decision, &e.lang}
	for k := range raw {
		id, err := t.intern(k, raw[k])
		if err != nil {
			return err
		}
		*ids[k] = id
	}
	return nil
}

// entry is s as the decoded index holds it.
func (t *internTables) entry(s *kiosk.ReportSummary) (reportEntry, error) {
	b := encodeReportSummary(s)
	var e reportEntry
	return e, t.decode(b, &e)
}

// summary is e as the domain knows it.
func (t *internTables) summary(e *reportEntry) kiosk.ReportSummary {
	s := kiosk.ReportSummary{
		Number: kiosk.Number{CPC: t.names[tCPC][e.cpc], Kiosk: int(e.kiosk), Year: int(e.year), Seq: int(e.seq),
			Training: e.flags&flagTraining != 0},
		Category: kiosk.Category(t.names[tCategory][e.cat]), Status: kiosk.Status(t.names[tStatus][e.status]),
		Decision: kiosk.Decision(t.names[tDecision][e.decision]), Lang: t.names[tLang][e.lang],
		CreatedAt: time.Unix(0, e.created), ClockSynced: e.flags&flagSynced != 0,
		InfoRequested: e.flags&flagInfoOpen != 0, Anonymous: e.flags&flagAnonymous != 0,
		Purged: e.flags&flagPurged != 0, OnBehalf: e.flags&flagOnBehalf != 0, Notes: int(e.notes),
	}
	if e.reviewed != 0 {
		s.ReviewedAt = time.Unix(0, e.reviewed)
	}
	return s
}

// compare orders entries as the bucket's keys: creation time, then number.
func (t *internTables) compare(a, b reportEntry) int {
	if c := cmp.Compare(a.created, b.created); c != 0 {
		return c
	}
	if a.cpc != b.cpc {
		return cmp.Compare(t.names[tCPC][a.cpc], t.names[tCPC][b.cpc])
	}
	if c := cmp.Compare(a.kiosk, b.kiosk); c != 0 {
		return c
	}
	if c := cmp.Compare(a.year, b.year); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// reportCache keeps the index decoded. Readers hold mu for reading while
// they walk it; a committed write patches it under the write lock (apply).
// gen counts the writes applied, so that a load that raced a write is not
// kept (it might lack that write).
type reportCache struct {
	mu      sync.RWMutex
	gen     uint64
	loaded  bool
	entries []reportEntry // in the bucket's order: oldest first
	tab     internTables
}

// apply patches the decoded index with the summaries of a committed write.
func (c *reportCache) apply(batch indexBatch) {
	if len(batch) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if !c.loaded {
		return
	}
	for k := range batch {
		e, err := c.tab.entry(&batch[k])
		if err != nil { // cannot happen with summaries of valid records; reload (and fail) at the next read
			c.loaded, c.entries = false, nil
			return
		}
		i, found := slices.BinarySearchFunc(c.entries, e, c.tab.compare)
		if found {
			c.entries[i] = e
		} else {
			c.entries = slices.Insert(c.entries, i, e)
		}
	}
}

// keep makes a load begun at generation gen the decoded index, unless a
// write was applied since (the load may predate it) or another load was
// kept first. It reports whether the cache is loaded at gen.
func (c *reportCache) keep(gen uint64, es []reportEntry, tab internTables) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return false
	}
	if !c.loaded {
		c.entries, c.tab, c.loaded = es, tab, true
	}
	return true
}

// loadIndex decodes the whole index bucket.
func (s *Store) loadIndex() ([]reportEntry, internTables, error) {
	tab := newInternTables()
	var es []reportEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bReportIndex).ForEach(func(k, v []byte) error {
			es = append(es, reportEntry{})
			if err := tab.decode(v, &es[len(es)-1]); err != nil {
				return fmt.Errorf("report index %x: %w", k, err)
			}
			return nil
		})
	})
	if err != nil {
		return nil, tab, err
	}
	return es, tab, nil
}

// withIndex calls fn with the decoded index, loading it when needed. fn
// must not keep the slice.
func (s *Store) withIndex(fn func(es []reportEntry, t *internTables)) error {
	c := &s.index
	for try := 0; ; try++ {
		c.mu.RLock()
		if c.loaded {
			fn(c.entries, &c.tab)
			c.mu.RUnlock()
			return nil
		}
		gen := c.gen
		c.mu.RUnlock()
		es, tab, err := s.loadIndex()
		if err != nil {
			return err
		}
		if !c.keep(gen, es, tab) && try >= 2 { // writes keep coming: answer from the snapshot just read
			fn(es, &tab)
			return nil
		}
	}
}

// ReportSummaries implements kiosk.ReportLister: a walk of the decoded
// index from the newest entry, within the filter's days.
func (s *Store) ReportSummaries(ctx context.Context, f kiosk.ReportFilter) ([]kiosk.ReportSummary, int, error) {
	f.Offset, f.Limit = max(f.Offset, 0), max(f.Limit, 0)
	var out []kiosk.ReportSummary
	n := 0
	err := s.withIndex(func(es []reportEntry, t *internTables) {
		var status, cat uint8
		var ok bool
		if f.Status != "" {
			if status, ok = t.ids[tStatus][string(f.Status)]; !ok {
				return // no report has it
			}
		}
		if f.Category != "" {
			if cat, ok = t.ids[tCategory][string(f.Category)]; !ok {
				return
			}
		}
		lo, hi := 0, len(es)
		if !f.From.IsZero() {
			from := f.From.UnixNano()
			lo = sort.Search(len(es), func(i int) bool { return es[i].created >= from })
		}
		if !f.To.IsZero() {
			to := f.To.UnixNano()
			hi = sort.Search(len(es), func(i int) bool { return es[i].created >= to })
		}
		for k := hi - 1; k >= lo; k-- {
			e := &es[k]
			if (f.Status != "" && e.status != status) || (f.Category != "" && e.cat != cat) || (f.Unreviewed && e.reviewed != 0) {
				continue
			}
			if n >= f.Offset && (f.Limit == 0 || len(out) < f.Limit) {
				out = append(out, t.summary(e))
			}
			n++
		}
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list reports: %w", err)
	}
	return out, n, nil
}
