// Package kiosktest provides fakes of the kiosk domain's interfaces for unit
// tests: an in-memory Store and a settable Clock. They keep the contracts of
// the real implementations (one sequence per kiosk and year, an audit chain,
// an outbox) but nothing is durable.
package kiosktest

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	Jobs    []kiosk.PrintJob
	Floor   time.Time
	Err     error
	Reads   int
	head    kiosk.AuditHead
	users   map[string]kiosk.User
	cppt    cpptData // see cppt.go
}

var (
	_ kiosk.Store        = (*Store)(nil)
	_ kiosk.PrintStore   = (*Store)(nil)
	_ kiosk.UserStore    = (*Store)(nil)
	_ kiosk.CPPTStore    = (*Store)(nil)
	_ kiosk.OfficerStore = (*Store)(nil)
)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{reports: map[string]*kiosk.Report{}, ids: map[string]string{}, seq: map[string]int{}}
}

func clone(r *kiosk.Report) *kiosk.Report {
	c := *r
	c.History = append([]kiosk.Event(nil), r.History...)
	c.Notes = slices.Clone(r.Notes)
	c.InfoRequests = slices.Clone(r.InfoRequests)
	c.IdentityChecks = slices.Clone(r.IdentityChecks)
	return &c
}

// CreateReport implements kiosk.Store.
func (s *Store) CreateReport(ctx context.Context, r *kiosk.Report, a kiosk.AuditEntry, receipt *kiosk.PrintJob) error {
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
	if receipt != nil {
		receipt.ID = uint64(len(s.Jobs) + 1)
		receipt.ReportID = r.ID
		s.Jobs = append(s.Jobs, *receipt)
	}
	return nil
}

// QueuePrintJob implements kiosk.Store.
func (s *Store) QueuePrintJob(ctx context.Context, j *kiosk.PrintJob, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	j.ID = uint64(len(s.Jobs) + 1)
	s.Jobs = append(s.Jobs, *j)
	s.head = a.Link(s.head)
	s.Audit = append(s.Audit, a)
	return nil
}

// PendingPrintJobs implements kiosk.PrintStore.
func (s *Store) PendingPrintJobs(ctx context.Context) ([]kiosk.PrintJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []kiosk.PrintJob
	for _, j := range s.Jobs {
		if j.State == kiosk.JobQueued {
			out = append(out, j)
		}
	}
	return out, nil
}

// UpdatePrintJob implements kiosk.PrintStore.
func (s *Store) UpdatePrintJob(ctx context.Context, j kiosk.PrintJob) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.State == kiosk.JobPrinted {
		j.AccessCode = ""
	}
	s.Jobs[j.ID-1] = j
	return nil
}

// ReportByID implements kiosk.PrintStore.
func (s *Store) ReportByID(ctx context.Context, id string) (*kiosk.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.ids[id]
	if !ok {
		return nil, kiosk.ErrNotFound
	}
	return clone(s.reports[n]), nil
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

// AppendAudit implements kiosk.Store.
func (s *Store) AppendAudit(ctx context.Context, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
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

// Printer is a fake receipt printer. State is what it reports; while it is
// not kiosk.PrinterOK (or PrinterUnknown: a silent printer prints anyway)
// every print fails with a kiosk.PrinterError. Printed records what came out.
type Printer struct {
	mu      sync.Mutex
	state   string
	Printed []Printout
}

// Printout is one receipt that came out of the fake printer.
type Printout struct {
	Number, AccessCode string
	Reprint            bool
}

// NewPrinter returns a fake printer in the given state.
func NewPrinter(state string) *Printer { return &Printer{state: state} }

// SetState changes what the printer reports.
func (p *Printer) SetState(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = s
}

// PrintReceipt implements kiosk.Printer.
func (p *Printer) PrintReceipt(ctx context.Context, r *kiosk.Report, j kiosk.PrintJob) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != kiosk.PrinterOK && p.state != kiosk.PrinterUnknown && p.state != kiosk.PrinterPaperNearEnd {
		return &kiosk.PrinterError{State: p.state, Err: fmt.Errorf("fake printer is %s", p.state)}
	}
	p.Printed = append(p.Printed, Printout{Number: r.Number.String(), AccessCode: j.AccessCode, Reprint: j.Reprint()})
	return nil
}

// Status implements kiosk.Printer.
func (p *Printer) Status(ctx context.Context) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Printouts returns a copy of what was printed.
func (p *Printer) Printouts() []Printout {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Printout(nil), p.Printed...)
}

// User implements kiosk.UserStore.
func (s *Store) User(ctx context.Context, name string) (*kiosk.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok {
		return nil, kiosk.ErrNotFound
	}
	return &u, nil
}

// Users implements kiosk.UserStore.
func (s *Store) Users(ctx context.Context) ([]kiosk.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []kiosk.User
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b kiosk.User) int { return strings.Compare(a.Username, b.Username) })
	return out, nil
}

// PutUser implements kiosk.UserStore.
func (s *Store) PutUser(ctx context.Context, u *kiosk.User, create bool, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.users == nil {
		s.users = map[string]kiosk.User{}
	}
	if _, ok := s.users[u.Username]; ok && create {
		return kiosk.ErrExists
	}
	s.users[u.Username] = *u
	s.head = a.Link(s.head)
	s.Audit = append(s.Audit, a)
	return nil
}
