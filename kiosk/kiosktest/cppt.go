package kiosktest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"cpckiosk/kiosk"
)

// cpptData is the fake's partnership team log.
type cpptData struct {
	issues   []*kiosk.CPPTIssue // in creation order
	byID     map[string]int
	seq      map[string]int
	meetings map[string]*kiosk.Meeting
	outbox   []kiosk.OutboxEntry // one pending entry per record
	outSeq   uint64
}

func (d *cpptData) init() {
	if d.byID == nil {
		d.byID, d.seq, d.meetings = map[string]int{}, map[string]int{}, map[string]*kiosk.Meeting{}
	}
}

func cloneIssue(i *kiosk.CPPTIssue) *kiosk.CPPTIssue {
	c := *i
	c.Actions = slices.Clone(i.Actions)
	c.History = slices.Clone(i.History)
	return &c
}

func cloneMeeting(m *kiosk.Meeting) *kiosk.Meeting {
	c := *m
	c.Attendees = slices.Clone(m.Attendees)
	c.IssueIDs = slices.Clone(m.IssueIDs)
	return &c
}

// queue replaces the record's pending CPPT outbox entry with a new one.
func (s *Store) queue(typ, id string, at time.Time) {
	d := &s.cppt
	d.outbox = slices.DeleteFunc(d.outbox, func(e kiosk.OutboxEntry) bool { return e.RecordID == id })
	d.outSeq++
	d.outbox = append(d.outbox, kiosk.OutboxEntry{Seq: d.outSeq, Type: typ, RecordID: id, Queued: at})
}

func (s *Store) commitAudit(a kiosk.AuditEntry) {
	s.head = a.Link(s.head)
	s.Audit = append(s.Audit, a)
	if a.At.After(s.Floor) {
		s.Floor = a.At
	}
}

// CPPTOutbox returns the pending CPPT outbox entries, oldest first.
func (s *Store) CPPTOutbox() []kiosk.OutboxEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cppt.outbox)
}

// CreateIssue implements kiosk.CPPTStore.
func (s *Store) CreateIssue(ctx context.Context, i *kiosk.CPPTIssue, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	d := &s.cppt
	d.init()
	key := fmt.Sprintf("%s-%02d", i.Number.CPC, i.Number.Year)
	if d.seq[key] >= kiosk.MaxIssueSeq {
		return fmt.Errorf("fake store: issue sequence %s exhausted", key)
	}
	d.seq[key]++
	i.Number.Seq = d.seq[key]
	d.byID[i.ID] = len(d.issues)
	d.issues = append(d.issues, cloneIssue(i))
	s.queue(kiosk.OutboxCPPTIssue, i.ID, a.At)
	s.commitAudit(a)
	return nil
}

// UpdateIssue implements kiosk.CPPTStore.
func (s *Store) UpdateIssue(ctx context.Context, id string, fn func(*kiosk.CPPTIssue) error, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	s.cppt.init()
	k, ok := s.cppt.byID[id]
	if !ok {
		return fmt.Errorf("issue %s: %w", id, kiosk.ErrNotFound)
	}
	i := cloneIssue(s.cppt.issues[k])
	if err := fn(i); err != nil {
		return err
	}
	s.cppt.issues[k] = cloneIssue(i)
	s.queue(kiosk.OutboxCPPTIssue, id, a.At)
	s.commitAudit(a)
	return nil
}

// Issue implements kiosk.CPPTStore.
func (s *Store) Issue(ctx context.Context, id string) (*kiosk.CPPTIssue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cppt.init()
	k, ok := s.cppt.byID[id]
	if !ok {
		return nil, fmt.Errorf("issue %s: %w", id, kiosk.ErrNotFound)
	}
	return cloneIssue(s.cppt.issues[k]), nil
}

// IssueByNumber implements kiosk.CPPTStore.
func (s *Store) IssueByNumber(ctx context.Context, n kiosk.IssueNumber) (*kiosk.CPPTIssue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.cppt.issues {
		if i.Number == n {
			return cloneIssue(i), nil
		}
	}
	return nil, fmt.Errorf("issue %s: %w", n, kiosk.ErrNotFound)
}

// Issues implements kiosk.CPPTStore.
func (s *Store) Issues(ctx context.Context, f kiosk.IssueFilter) ([]kiosk.IssueSummary, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []kiosk.IssueSummary
	n := 0
	for k := len(s.cppt.issues) - 1; k >= 0; k-- {
		sum := s.cppt.issues[k].Summary()
		if !f.Match(&sum) {
			continue
		}
		if n >= f.Offset && (f.Limit == 0 || len(out) < f.Limit) {
			out = append(out, sum)
		}
		n++
	}
	return out, n, nil
}

// IssueStats implements kiosk.CPPTStore.
func (s *Store) IssueStats(ctx context.Context, from, to time.Time) (*kiosk.IssueStats, error) {
	st, err := kiosk.NewIssueStats(from, to)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.cppt.issues {
		sum := i.Summary()
		st.Add(&sum)
	}
	st.Finish()
	return st, nil
}

// CreateMeeting implements kiosk.CPPTStore.
func (s *Store) CreateMeeting(ctx context.Context, m *kiosk.Meeting, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	s.cppt.init()
	s.cppt.meetings[m.ID] = cloneMeeting(m)
	s.queue(kiosk.OutboxCPPTMeeting, m.ID, a.At)
	s.commitAudit(a)
	return nil
}

// UpdateMeeting implements kiosk.CPPTStore.
func (s *Store) UpdateMeeting(ctx context.Context, id string, fn func(*kiosk.Meeting) error, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	s.cppt.init()
	m, ok := s.cppt.meetings[id]
	if !ok {
		return fmt.Errorf("meeting %s: %w", id, kiosk.ErrNotFound)
	}
	c := cloneMeeting(m)
	if err := fn(c); err != nil {
		return err
	}
	s.cppt.meetings[id] = cloneMeeting(c)
	s.queue(kiosk.OutboxCPPTMeeting, id, a.At)
	s.commitAudit(a)
	return nil
}

// Meeting implements kiosk.CPPTStore.
func (s *Store) Meeting(ctx context.Context, id string) (*kiosk.Meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.cppt.meetings[id]
	if !ok {
		return nil, fmt.Errorf("meeting %s: %w", id, kiosk.ErrNotFound)
	}
	return cloneMeeting(m), nil
}

func (s *Store) sortedMeetings() []kiosk.Meeting {
	var out []kiosk.Meeting
	for _, m := range s.cppt.meetings {
		out = append(out, *cloneMeeting(m))
	}
	slices.SortFunc(out, func(a, b kiosk.Meeting) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Meetings implements kiosk.CPPTStore.
func (s *Store) Meetings(ctx context.Context, from, to time.Time) ([]kiosk.Meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []kiosk.Meeting
	for _, m := range s.sortedMeetings() {
		if !m.Date.Before(from) && m.Date.Before(to) {
			out = append(out, m)
		}
	}
	return out, nil
}

// NextMeeting implements kiosk.CPPTStore.
func (s *Store) NextMeeting(ctx context.Context, t time.Time) (*kiosk.Meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.sortedMeetings() {
		if !m.Date.Before(t) {
			return &m, nil
		}
	}
	return nil, fmt.Errorf("next meeting: %w", kiosk.ErrNotFound)
}

var _ kiosk.ReportStatsStore = (*Store)(nil)

// ReportWeeks implements kiosk.ReportStatsStore by counting the stored
// reports.
func (s *Store) ReportWeeks(ctx context.Context, from, to time.Time) (*kiosk.CategoryWeeks, error) {
	w, err := kiosk.NewCategoryWeeks(from, to)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reports {
		w.Add(kiosk.WeekLabel(r.CreatedAt), r.Category, 1)
	}
	return w, nil
}
