// Package kiosktest provides fakes of the kiosk domain's interfaces for unit
// tests: an in-memory Store and a settable Clock. They keep the contracts of
// the real implementations (one sequence per kiosk and year, an audit chain,
// an outbox) but nothing is durable.
package kiosktest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cpckiosk/kiosk"
)

// Clock is a fake clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d (which may be negative, like a board's clock
// after a power cut).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Store is an in-memory kiosk.Store. Err, when set, is returned by every
// write (to simulate a full disk); Reads counts reads.
type Store struct {
	mu      sync.Mutex
	reports map[string]*kiosk.Report // by number
	ids     map[string]string        // id -> number
	seq     map[string]int
	Audit   []kiosk.AuditEntry
	Outbox  []kiosk.OutboxEntry
	Floor   time.Time
	Err     error
	Reads   int
	head    kiosk.AuditHead
}

var _ kiosk.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{reports: map[string]*kiosk.Report{}, ids: map[string]string{}, seq: map[string]int{}}
}

func clone(r *kiosk.Report) *kiosk.Report {
	c := *r
	c.History = append([]kiosk.Event(nil), r.History...)
	return &c
}

// CreateReport implements kiosk.Store.
func (s *Store) CreateReport(ctx context.Context, r *kiosk.Report, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	key := fmt.Sprintf("%d-%02d", r.Number.Kiosk, r.Number.Year)
	s.seq[key]++
	r.Number.Seq = s.seq[key]
	n := r.Number.String()
	s.reports[n] = clone(r)
	s.ids[r.ID] = n
	s.Outbox = append(s.Outbox, kiosk.OutboxEntry{Seq: uint64(len(s.Outbox) + 1), Type: "report", RecordID: r.ID, Queued: r.CreatedAt})
	s.head = a.Link(s.head)
	s.Audit = append(s.Audit, a)
	if r.CreatedAt.After(s.Floor) {
		s.Floor = r.CreatedAt
	}
	return nil
}

// ReportByNumber implements kiosk.Store.
func (s *Store) ReportByNumber(ctx context.Context, n kiosk.Number) (*kiosk.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reads++
	r, ok := s.reports[n.String()]
	if !ok {
		return nil, kiosk.ErrNotFound
	}
	return clone(r), nil
}

// UpdateReport implements kiosk.Store.
func (s *Store) UpdateReport(ctx context.Context, id string, fn func(*kiosk.Report) error, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	n, ok := s.ids[id]
	if !ok {
		return kiosk.ErrNotFound
	}
	r := clone(s.reports[n])
	if err := fn(r); err != nil {
		return err
	}
	s.reports[n] = r
	s.head = a.Link(s.head)
	s.Audit = append(s.Audit, a)
	return nil
}

// OutboxLen implements kiosk.Store.
func (s *Store) OutboxLen(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.Outbox), nil
}

// SaveTimeFloor implements kiosk.Store.
func (s *Store) SaveTimeFloor(ctx context.Context, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.Floor) {
		s.Floor = t
	}
	return nil
}

// Head returns the audit chain's head.
func (s *Store) Head() kiosk.AuditHead {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}
