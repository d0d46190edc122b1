package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// Buckets of the partnership team's log (added to schema 1; see doc.go).
var (
	bCPPTIssues   = []byte("cppt_issues")   // 8-byte key -> issueRecord
	bCPPTIndex    = []byte("cppt_index")    // same key -> binary summary
	bCPPTKeys     = []byte("cppt_keys")     // i/<uuid>, n/<number>, m/<uuid>, o/<uuid> -> key
	bCPPTSeq      = []byte("cppt_seq")      // <CPC>-<YY> -> last sequence
	bCPPTMeetings = []byte("cppt_meetings") // date + uuid -> meetingRecord
	bCPPTOutbox   = []byte("cppt_outbox")   // 8-byte sequence -> kiosk.OutboxEntry
	bReportWeeks  = []byte("report_weeks")  // <YYYY-Www>/<category> -> 8-byte count
)

var (
	_ kiosk.CPPTStore        = (*Store)(nil)
	_ kiosk.ReportStatsStore = (*Store)(nil)
)

func issueIDKey(id string) []byte            { return []byte("i/" + id) }
func issueNumKey(n kiosk.IssueNumber) []byte { return []byte("n/" + n.String()) }
func meetingIDKey(id string) []byte          { return []byte("m/" + id) }
func outboxIDKey(id string) []byte           { return []byte("o/" + id) }

// issueRecord is an issue as stored: the structured fields in clear, every
// free text and the raiser sealed. Actions and History keep their places
// with Text and Note emptied; the sealed part holds those in the same order.
type issueRecord struct {
	ID          string              `json:"id"`
	CPC         string              `json:"cpc"`
	Year        int                 `json:"year"`
	Seq         int                 `json:"seq"`
	Category    kiosk.IssueCategory `json:"category"`
	Settlement  string              `json:"settlement"`
	Landmark    string              `json:"landmark,omitempty"`
	Anonymous   bool                `json:"anonymous"`
	Priority    kiosk.Priority      `json:"priority"`
	Status      kiosk.IssueStatus   `json:"status"`
	Actions     []kiosk.Action      `json:"actions,omitempty"`
	History     []kiosk.IssueEvent  `json:"history"`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
	ClockSynced bool                `json:"clock_synced"`
	CreatedBy   string              `json:"created_by"`
	Sealed      []byte              `json:"sealed"`
}

// issuePersonal is the sealed part of an issue.
type issuePersonal struct {
	RaisedBy    kiosk.Raiser `json:"raised_by"`
	Description string       `json:"description"`
	Analysis    string       `json:"analysis,omitempty"`
	Assessment  string       `json:"assessment,omitempty"`
	ActionTexts []string     `json:"action_texts,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
}

func issueAD(id string) []byte   { return []byte("cppt:" + id) }
func meetingAD(id string) []byte { return []byte("meeting:" + id) }

func (s *Store) encodeIssue(i *kiosk.CPPTIssue) ([]byte, error) {
	p := issuePersonal{RaisedBy: i.RaisedBy, Description: i.Description, Analysis: i.Analysis, Assessment: i.Assessment}
	rec := issueRecord{
		ID: i.ID, CPC: i.Number.CPC, Year: i.Number.Year, Seq: i.Number.Seq,
		Category: i.Category, Settlement: i.Settlement, Landmark: i.Landmark, Anonymous: i.Anonymous,
		Priority: i.Priority, Status: i.Status,
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, ClockSynced: i.ClockSynced, CreatedBy: i.CreatedBy,
	}
	for _, a := range i.Actions {
		p.ActionTexts = append(p.ActionTexts, a.Text)
		a.Text = ""
		rec.Actions = append(rec.Actions, a)
	}
	for _, e := range i.History {
		p.Notes = append(p.Notes, e.Note)
		e.Note = ""
		rec.History = append(rec.History, e)
	}
	var err error
	if rec.Sealed, err = s.sealJSON(p, issueAD(i.ID)); err != nil {
		return nil, err
	}
	return json.Marshal(rec)
}

func (s *Store) decodeIssue(b []byte) (*kiosk.CPPTIssue, error) {
	var rec issueRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decode issue: %v: %w", err, ErrCorrupt)
	}
	var p issuePersonal
	if err := s.openJSON(rec.Sealed, issueAD(rec.ID), &p); err != nil {
		return nil, fmt.Errorf("decode issue %s: %w", rec.ID, err)
	}
	if len(p.ActionTexts) != len(rec.Actions) || len(p.Notes) != len(rec.History) {
		return nil, fmt.Errorf("decode issue %s: sealed texts do not match the actions and history: %w", rec.ID, ErrCorrupt)
	}
	i := &kiosk.CPPTIssue{
		ID: rec.ID, Number: kiosk.IssueNumber{CPC: rec.CPC, Year: rec.Year, Seq: rec.Seq, Training: s.training},
		Category: rec.Category, Settlement: rec.Settlement, Landmark: rec.Landmark,
		Description: p.Description, RaisedBy: p.RaisedBy, Anonymous: rec.Anonymous,
		Priority: rec.Priority, Status: rec.Status, Analysis: p.Analysis, Actions: rec.Actions,
		Assessment: p.Assessment, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
		ClockSynced: rec.ClockSynced, CreatedBy: rec.CreatedBy, History: rec.History,
	}
	for k := range i.Actions {
		i.Actions[k].Text = p.ActionTexts[k]
	}
	for k := range i.History {
		i.History[k].Note = p.Notes[k]
	}
	return i, nil
}

// The summary index holds kiosk.IssueSummary in a compact binary form, so
// that lists, charts and the public board never decode or decrypt a
// record: version 1, then ID, CPC, year, sequence, category, settlement,
// landmark, priority, status, created, updated, ended, next due (unix
// nanoseconds, 0 for none), actions and actions done; strings are
// length-prefixed, numbers varints.
const summaryVersion = 1

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func encodeSummary(s *kiosk.IssueSummary) []byte {
	b := make([]byte, 0, 96+len(s.Settlement)+len(s.Landmark))
	b = append(b, summaryVersion)
	b = appendString(b, s.ID)
	b = appendString(b, s.Number.CPC)
	b = binary.AppendUvarint(b, uint64(s.Number.Year))
	b = binary.AppendUvarint(b, uint64(s.Number.Seq))
	b = appendString(b, string(s.Category))
	b = appendString(b, s.Settlement)
	b = appendString(b, s.Landmark)
	b = binary.AppendUvarint(b, uint64(s.Priority))
	b = appendString(b, string(s.Status))
	b = appendTime(b, s.CreatedAt)
	b = appendTime(b, s.UpdatedAt)
	b = appendTime(b, s.EndedAt)
	b = appendTime(b, s.NextDue)
	b = binary.AppendUvarint(b, uint64(s.Actions))
	b = binary.AppendUvarint(b, uint64(s.ActionsDone))
	return b
}

// summaryReader reads the fields of an encoded summary in order; the first
// error sticks.
type summaryReader struct {
	b   []byte
	bad bool
}

func (r *summaryReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *summaryReader) raw() []byte {
	n := r.uint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *summaryReader) time() time.Time {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return time.Time{}
	}
	r.b = r.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

// summaryDecoder decodes index entries. A walk over thousands of them
// allocates nothing per entry: the strings of small sets (centre,
// category, settlement, status) are interned, and the ID and landmark,
// unique per issue, are only made for the entries a caller keeps.
type summaryDecoder struct {
	intern map[string]string
}

func (d *summaryDecoder) str(raw []byte) string {
	if d.intern == nil {
		return string(raw)
	}
	if s, ok := d.intern[string(raw)]; ok {
		return s
	}
	s := string(raw)
	d.intern[s] = s
	return s
}

// decode reads an entry into s; without full, s.ID and s.Landmark stay
// empty (enough for IssueFilter.Match and the statistics).
func (d *summaryDecoder) decode(b []byte, s *kiosk.IssueSummary, full bool) error {
	if len(b) == 0 || b[0] != summaryVersion {
		return fmt.Errorf("issue index entry: unknown version: %w", ErrCorrupt)
	}
	r := summaryReader{b: b[1:]}
	id := r.raw()
	*s = kiosk.IssueSummary{}
	if full {
		s.ID = string(id)
	}
	s.Number.CPC = d.str(r.raw())
	s.Number.Year, s.Number.Seq = int(r.uint()), int(r.uint())
	s.Category = kiosk.IssueCategory(d.str(r.raw()))
	s.Settlement = d.str(r.raw())
	if landmark := r.raw(); full {
		s.Landmark = string(landmark)
	}
	s.Priority = kiosk.Priority(r.uint())
	s.Status = kiosk.IssueStatus(d.str(r.raw()))
	s.CreatedAt, s.UpdatedAt, s.EndedAt, s.NextDue = r.time(), r.time(), r.time(), r.time()
	s.Actions, s.ActionsDone = int(r.uint()), int(r.uint())
	if r.bad || len(r.b) != 0 {
		return fmt.Errorf("issue index entry %s: malformed: %w", id, ErrCorrupt)
	}
	return nil
}

func decodeSummary(b []byte, s *kiosk.IssueSummary) error {
	return (&summaryDecoder{}).decode(b, s, true)
}

// issueCache keeps the summary index decoded in memory: lists, charts and
// the public board walk a slice instead of decoding thousands of entries
// per page. Every issue write bumps gen after its commit; a load keeps its
// result only if no write was committed meanwhile (gen unchanged), so a
// reader never keeps a slice older than the last write it could see. The
// slice is never modified: a write drops it and the next read loads anew
// (one walk of the index, a few milliseconds for thousands of issues).
type issueCache struct {
	mu   sync.Mutex
	gen  uint64
	at   uint64               // gen the slice was loaded at
	sums []kiosk.IssueSummary // in index order, oldest first; nil: not loaded
}

// invalidate drops the cache after a committed (or failed) issue write.
func (c *issueCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.sums = nil
	c.mu.Unlock()
}

// summaries returns every issue summary, oldest first. The caller must not
// modify the slice.
func (s *Store) summaries() ([]kiosk.IssueSummary, error) {
	c := &s.issues
	c.mu.Lock()
	sums, gen, ok := c.sums, c.gen, c.sums != nil && c.at == c.gen
	c.mu.Unlock()
	if ok {
		return sums, nil
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bCPPTIndex)
		sums = make([]kiosk.IssueSummary, 0, idx.Stats().KeyN)
		d := summaryDecoder{intern: map[string]string{}}
		return idx.ForEach(func(k, v []byte) error {
			sums = append(sums, kiosk.IssueSummary{})
			sum := &sums[len(sums)-1]
			if err := d.decode(v, sum, true); err != nil {
				return err
			}
			sum.Number.Training = s.training // only ever issues of its own kind
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.sums, c.at = sums, gen
	}
	c.mu.Unlock()
	return sums, nil
}

// putIssue writes the record and its index entry under key.
func (s *Store) putIssue(tx *bolt.Tx, key []byte, i *kiosk.CPPTIssue) error {
	v, err := s.encodeIssue(i)
	if err != nil {
		return err
	}
	recs := tx.Bucket(bCPPTIssues)
	recs.FillPercent = 0.9 // keys only grow
	if err := recs.Put(key, v); err != nil {
		return err
	}
	sum := i.Summary()
	idx := tx.Bucket(bCPPTIndex)
	idx.FillPercent = 0.9
	return idx.Put(key, encodeSummary(&sum))
}

// queueCPPT gives a record one pending entry at the end of the CPPT
// outbox, replacing the entry of an earlier change not yet delivered: the
// relay sends a record's current state, and settling an entry that was
// replaced meanwhile leaves the newer one.
func queueCPPT(tx *bolt.Tx, typ, id string, at time.Time) error {
	keys, out := tx.Bucket(bCPPTKeys), tx.Bucket(bCPPTOutbox)
	if old := keys.Get(outboxIDKey(id)); old != nil {
		if err := out.Delete(old); err != nil {
			return err
		}
	}
	n, err := out.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(kiosk.OutboxEntry{Seq: n, Type: typ, RecordID: id, Queued: at})
	if err != nil {
		return err
	}
	out.FillPercent = 0.9
	if err := out.Put(seqKey(n), v); err != nil {
		return err
	}
	return keys.Put(outboxIDKey(id), seqKey(n))
}

// finishCPPT queues the record for the central, appends the audit entry and
// raises the time floor: the common end of every CPPT write.
func finishCPPT(tx *bolt.Tx, typ, id string, audit kiosk.AuditEntry) error {
	if err := queueCPPT(tx, typ, id, audit.At); err != nil {
		return err
	}
	if err := raiseFloor(tx, audit.At); err != nil {
		return err
	}
	return appendAudit(tx, audit)
}

// CreateIssue implements kiosk.CPPTStore.
func (s *Store) CreateIssue(ctx context.Context, i *kiosk.CPPTIssue, audit kiosk.AuditEntry) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		seqs, keys := tx.Bucket(bCPPTSeq), tx.Bucket(bCPPTKeys)
		if keys.Get(issueIDKey(i.ID)) != nil {
			return fmt.Errorf("issue %s: %w", i.ID, kiosk.ErrExists)
		}
		if i.Number.Training != s.training {
			if s.training {
				return fmt.Errorf("the training database takes only training issues: %w", ErrWrongKind)
			}
			return fmt.Errorf("the real database takes no training issue: %w", ErrWrongKind)
		}
		sk := []byte(fmt.Sprintf("%s-%02d", i.Number.CPC, i.Number.Year))
		next := 1
		if v := seqs.Get(sk); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("issue sequence %s: %q: %w", sk, v, ErrCorrupt)
			}
			next = n + 1
		}
		if next > kiosk.MaxIssueSeq {
			return fmt.Errorf("issue sequence %s exhausted", sk)
		}
		i.Number.Seq = next
		if !i.Number.Valid() {
			return fmt.Errorf("issue number %q out of range", i.Number)
		}
		if keys.Get(issueNumKey(i.Number)) != nil {
			return fmt.Errorf("issue number %s already issued: %w", i.Number, ErrCorrupt)
		}
		n, err := tx.Bucket(bCPPTIssues).NextSequence()
		if err != nil {
			return err
		}
		key := seqKey(n)
		if err := seqs.Put(sk, []byte(strconv.Itoa(next))); err != nil {
			return err
		}
		if err := s.putIssue(tx, key, i); err != nil {
			return err
		}
		if err := keys.Put(issueIDKey(i.ID), key); err != nil {
			return err
		}
		if err := keys.Put(issueNumKey(i.Number), key); err != nil {
			return err
		}
		return finishCPPT(tx, kiosk.OutboxCPPTIssue, i.ID, audit)
	})
	s.issues.invalidate()
	if err != nil {
		return fmt.Errorf("store issue: %w", err)
	}
	return nil
}

func (s *Store) issueAt(tx *bolt.Tx, key []byte) (*kiosk.CPPTIssue, error) {
	v := tx.Bucket(bCPPTIssues).Get(key)
	if v == nil {
		return nil, fmt.Errorf("issue index points at missing %x: %w", key, ErrCorrupt)
	}
	return s.decodeIssue(v)
}

// UpdateIssue implements kiosk.CPPTStore. The number, ID and creation
// stay as stored whatever fn does.
func (s *Store) UpdateIssue(ctx context.Context, id string, fn func(*kiosk.CPPTIssue) error, audit kiosk.AuditEntry) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		key := tx.Bucket(bCPPTKeys).Get(issueIDKey(id))
		if key == nil {
			return kiosk.ErrNotFound
		}
		key = bytes.Clone(key)
		i, err := s.issueAt(tx, key)
		if err != nil {
			return err
		}
		fixed := *i
		if err := fn(i); err != nil {
			return err
		}
		i.ID, i.Number, i.CreatedAt, i.CreatedBy = fixed.ID, fixed.Number, fixed.CreatedAt, fixed.CreatedBy
		if err := s.putIssue(tx, key, i); err != nil {
			return err
		}
		return finishCPPT(tx, kiosk.OutboxCPPTIssue, id, audit)
	})
	s.issues.invalidate()
	if err != nil {
		return fmt.Errorf("update issue %s: %w", id, err)
	}
	return nil
}

// Issue implements kiosk.CPPTStore.
func (s *Store) Issue(ctx context.Context, id string) (*kiosk.CPPTIssue, error) {
	var i *kiosk.CPPTIssue
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bCPPTKeys).Get(issueIDKey(id))
		if key == nil {
			return kiosk.ErrNotFound
		}
		var err error
		i, err = s.issueAt(tx, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read issue %s: %w", id, err)
	}
	return i, nil
}

// IssueByNumber implements kiosk.CPPTStore.
func (s *Store) IssueByNumber(ctx context.Context, n kiosk.IssueNumber) (*kiosk.CPPTIssue, error) {
	var i *kiosk.CPPTIssue
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bCPPTKeys).Get(issueNumKey(n))
		if key == nil {
			return kiosk.ErrNotFound
		}
		var err error
		i, err = s.issueAt(tx, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read issue %s: %w", n, err)
	}
	return i, nil
}

// Issues implements kiosk.CPPTStore: a walk of the summary index (kept
// decoded in memory) from the newest entry.
func (s *Store) Issues(ctx context.Context, f kiosk.IssueFilter) ([]kiosk.IssueSummary, int, error) {
	f.Offset, f.Limit = max(f.Offset, 0), max(f.Limit, 0)
	sums, err := s.summaries()
	if err != nil {
		return nil, 0, fmt.Errorf("list issues: %w", err)
	}
	var out []kiosk.IssueSummary
	n := 0
	for k := len(sums) - 1; k >= 0; k-- {
		if !f.Match(&sums[k]) {
			continue
		}
		if n >= f.Offset && (f.Limit == 0 || len(out) < f.Limit) {
			out = append(out, sums[k])
		}
		n++
	}
	return out, n, nil
}

// IssueStats implements kiosk.CPPTStore from the summary index.
func (s *Store) IssueStats(ctx context.Context, from, to time.Time) (*kiosk.IssueStats, error) {
	st, err := kiosk.NewIssueStats(from, to)
	if err != nil {
		return nil, err
	}
	sums, err := s.summaries()
	if err != nil {
		return nil, fmt.Errorf("issue statistics: %w", err)
	}
	for k := range sums {
		st.Add(&sums[k])
	}
	st.Finish()
	return st, nil
}

// meetingRecord is a meeting as stored; attendees and decisions sealed.
type meetingRecord struct {
	ID        string    `json:"id"`
	Date      time.Time `json:"date"`
	Place     string    `json:"place,omitempty"`
	IssueIDs  []string  `json:"issue_ids,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by"`
	Sealed    []byte    `json:"sealed"`
}

type meetingPersonal struct {
	Attendees []string `json:"attendees,omitempty"`
	Decisions string   `json:"decisions,omitempty"`
}

// meetingKey orders meetings by date: the date's unix nanoseconds with the
// sign bit flipped (big-endian, so earlier sorts first), then the UUID.
func meetingKey(date time.Time, id string) []byte {
	return append(timeKey(date), id...)
}

func timeKey(t time.Time) []byte {
	return seqKey(uint64(t.UnixNano()) ^ 1<<63)
}

func (s *Store) encodeMeeting(m *kiosk.Meeting) ([]byte, error) {
	rec := meetingRecord{ID: m.ID, Date: m.Date, Place: m.Place, IssueIDs: m.IssueIDs,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, CreatedBy: m.CreatedBy}
	var err error
	if rec.Sealed, err = s.sealJSON(meetingPersonal{Attendees: m.Attendees, Decisions: m.Decisions}, meetingAD(m.ID)); err != nil {
		return nil, err
	}
	return json.Marshal(rec)
}

func (s *Store) decodeMeeting(b []byte) (*kiosk.Meeting, error) {
	var rec meetingRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decode meeting: %v: %w", err, ErrCorrupt)
	}
	var p meetingPersonal
	if err := s.openJSON(rec.Sealed, meetingAD(rec.ID), &p); err != nil {
		return nil, fmt.Errorf("decode meeting %s: %w", rec.ID, err)
	}
	return &kiosk.Meeting{ID: rec.ID, Date: rec.Date, Place: rec.Place, Attendees: p.Attendees, IssueIDs: rec.IssueIDs,
		Decisions: p.Decisions, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, CreatedBy: rec.CreatedBy}, nil
}

// putMeeting writes m under the key of its date, moving it when the date
// changed from the one under old (nil for a new meeting).
func (s *Store) putMeeting(tx *bolt.Tx, old []byte, m *kiosk.Meeting) error {
	v, err := s.encodeMeeting(m)
	if err != nil {
		return err
	}
	b := tx.Bucket(bCPPTMeetings)
	key := meetingKey(m.Date, m.ID)
	if old != nil && !bytes.Equal(old, key) {
		if err := b.Delete(old); err != nil {
			return err
		}
	}
	if err := b.Put(key, v); err != nil {
		return err
	}
	return tx.Bucket(bCPPTKeys).Put(meetingIDKey(m.ID), key)
}

// CreateMeeting implements kiosk.CPPTStore.
func (s *Store) CreateMeeting(ctx context.Context, m *kiosk.Meeting, audit kiosk.AuditEntry) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bCPPTKeys).Get(meetingIDKey(m.ID)) != nil {
			return fmt.Errorf("meeting %s: %w", m.ID, kiosk.ErrExists)
		}
		if err := s.putMeeting(tx, nil, m); err != nil {
			return err
		}
		return finishCPPT(tx, kiosk.OutboxCPPTMeeting, m.ID, audit)
	})
	if err != nil {
		return fmt.Errorf("store meeting: %w", err)
	}
	return nil
}

// UpdateMeeting implements kiosk.CPPTStore.
func (s *Store) UpdateMeeting(ctx context.Context, id string, fn func(*kiosk.Meeting) error, audit kiosk.AuditEntry) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		key := tx.Bucket(bCPPTKeys).Get(meetingIDKey(id))
		if key == nil {
			return kiosk.ErrNotFound
		}
		key = bytes.Clone(key)
		v := tx.Bucket(bCPPTMeetings).Get(key)
		if v == nil {
			return fmt.Errorf("meeting index points at missing %x: %w", key, ErrCorrupt)
		}
		m, err := s.decodeMeeting(v)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		m.ID = id
		if err := s.putMeeting(tx, key, m); err != nil {
			return err
		}
		return finishCPPT(tx, kiosk.OutboxCPPTMeeting, id, audit)
	})
	if err != nil {
		return fmt.Errorf("update meeting %s: %w", id, err)
	}
	return nil
}

// Meeting implements kiosk.CPPTStore.
func (s *Store) Meeting(ctx context.Context, id string) (*kiosk.Meeting, error) {
	var m *kiosk.Meeting
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bCPPTKeys).Get(meetingIDKey(id))
		if key == nil {
			return kiosk.ErrNotFound
		}
		v := tx.Bucket(bCPPTMeetings).Get(key)
		if v == nil {
			return fmt.Errorf("meeting index points at missing %x: %w", key, ErrCorrupt)
		}
		var err error
		m, err = s.decodeMeeting(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read meeting %s: %w", id, err)
	}
	return m, nil
}

// Meetings implements kiosk.CPPTStore; a zero from or to leaves that end
// open.
func (s *Store) Meetings(ctx context.Context, from, to time.Time) ([]kiosk.Meeting, error) {
	var out []kiosk.Meeting
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCPPTMeetings).Cursor()
		k, v := c.First()
		if !from.IsZero() {
			k, v = c.Seek(timeKey(from))
		}
		for ; k != nil && (to.IsZero() || bytes.Compare(k[:8], timeKey(to)) < 0); k, v = c.Next() {
			m, err := s.decodeMeeting(v)
			if err != nil {
				return err
			}
			out = append(out, *m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	return out, nil
}

// NextMeeting implements kiosk.CPPTStore.
func (s *Store) NextMeeting(ctx context.Context, t time.Time) (*kiosk.Meeting, error) {
	var m *kiosk.Meeting
	err := s.db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bCPPTMeetings).Cursor().Seek(timeKey(t))
		if k == nil {
			return kiosk.ErrNotFound
		}
		var err error
		m, err = s.decodeMeeting(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("next meeting: %w", err)
	}
	return m, nil
}

// CPPTOutbox returns up to limit pending CPPT outbox entries, oldest first:
// one per issue or meeting changed since the central last took it. They
// wait here, apart from the reports' outbox; the relay reads them with
// their records through CPPTPending.
func (s *Store) CPPTOutbox(ctx context.Context, limit int) ([]kiosk.OutboxEntry, error) {
	var out []kiosk.OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCPPTOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var e kiosk.OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("cppt outbox entry %x: %v: %w", k, err, ErrCorrupt)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cppt outbox: %w", err)
	}
	return out, nil
}

// CPPTOutboxLen returns how many CPPT records wait for the central.
func (s *Store) CPPTOutboxLen(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bCPPTOutbox).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read cppt outbox: %w", err)
	}
	return n, nil
}

// SettleCPPT settles CPPT outbox entries after the central's answer, in one
// transaction: delivered or refused, an entry leaves the outbox; a refusal
// is recorded in the audit trail with the central's reason (no personal
// data: a type and a reason). An entry that is no longer pending (settled
// before a lost reply, or replaced by a newer change of its record, which
// then stays pending) is skipped.
func (s *Store) SettleCPPT(ctx context.Context, ds []kiosk.Delivery, at time.Time, synced bool) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, keys := tx.Bucket(bCPPTOutbox), tx.Bucket(bCPPTKeys)
		for _, d := range ds {
			key := seqKey(d.Entry.Seq)
			if out.Get(key) == nil {
				continue
			}
			if err := out.Delete(key); err != nil {
				return err
			}
			if bytes.Equal(keys.Get(outboxIDKey(d.Entry.RecordID)), key) {
				if err := keys.Delete(outboxIDKey(d.Entry.RecordID)); err != nil {
					return err
				}
			}
			if !d.Delivered {
				reason := d.Reason
				if len(reason) > 200 {
					reason = reason[:200]
				}
				err := appendAudit(tx, kiosk.AuditEntry{At: at, Synced: synced, Actor: "central", Action: "relay.rejected",
					Record: d.Entry.RecordID, Detail: d.Entry.Type + ": " + reason})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settle cppt deliveries: %w", err)
	}
	return nil
}

// reportWeekKey is the counter of reports of category c in the ISO week of t.
func reportWeekKey(c kiosk.Category, t time.Time) []byte {
	return []byte(kiosk.WeekLabel(t) + "/" + string(c))
}

// countReport adds delta to the counter of reports of category c in the
// ISO week of t (in kiosk.Zone).
func countReport(tx *bolt.Tx, c kiosk.Category, t time.Time, delta int64) error {
	b := tx.Bucket(bReportWeeks)
	k := reportWeekKey(c, t)
	var n int64
	if v := b.Get(k); v != nil {
		if len(v) != 8 {
			return fmt.Errorf("report week counter %s: %w", k, ErrCorrupt)
		}
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n <= 0 {
		return b.Delete(k)
	}
	return b.Put(k, seqKey(uint64(n)))
}

// fillReportWeeks counts every stored report: run once, in the transaction
// that adds the counters to a database made before they existed.
func fillReportWeeks(tx *bolt.Tx) (int, error) {
	n := 0
	err := tx.Bucket(bReports).ForEach(func(k, v []byte) error {
		var r struct {
			Category  kiosk.Category `json:"category"`
			CreatedAt time.Time      `json:"created_at"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("report %s: %v: %w", k, err, ErrCorrupt)
		}
		n++
		return countReport(tx, r.Category, r.CreatedAt, 1)
	})
	return n, err
}

// ReportWeeks implements kiosk.ReportStatsStore from the weekly counters
// that CreateReport keeps, without reading a report.
func (s *Store) ReportWeeks(ctx context.Context, from, to time.Time) (*kiosk.CategoryWeeks, error) {
	w, err := kiosk.NewCategoryWeeks(from, to)
	if err != nil {
		return nil, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bReportWeeks).Cursor()
		last := []byte(w.LastWeek() + "/\xff")
		for k, v := c.Seek([]byte(w.FirstWeek())); k != nil && bytes.Compare(k, last) < 0; k, v = c.Next() {
			week, cat, ok := bytes.Cut(k, []byte("/"))
			if !ok || len(v) != 8 {
				return fmt.Errorf("report week counter %q: %w", k, ErrCorrupt)
			}
			w.Add(string(week), kiosk.Category(cat), int(binary.BigEndian.Uint64(v)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report weeks: %w", err)
	}
	return w, nil
}
