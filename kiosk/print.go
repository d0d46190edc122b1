package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Printer states, as /healthz reports them.
const (
	PrinterOK           = "ok"
	PrinterPaperOut     = "paper_out"
	PrinterPaperNearEnd = "paper_near_end"
	PrinterCoverOpen    = "cover_open"
	PrinterOffline      = "offline"
	PrinterUnknown      = "unknown" // the printer does not answer status queries
)

// Print job states.
const (
	JobQueued  = "queued"  // waiting, or failed and waiting for the printer to come back
	JobPrinted = "printed" // done; the access code was wiped from the job
)

// PrintJob is a receipt waiting to be printed or printed. Every receipt is a
// job in the store, committed with its report, so a printer fault never costs
// the citizen the receipt: a failed job stays queued and is printed again,
// marked "REPRINT", when the printer is back.
type PrintJob struct {
	ID       uint64    `json:"id"`
	ReportID string    `json:"report_id"`
	State    string    `json:"state"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"` // the last failure, for staff
	Queued   time.Time `json:"queued"`
	Printed  time.Time `json:"printed,omitempty"`
	Copy     bool      `json:"copy,omitempty"` // asked for again by the citizen: marked as a reprint
	// AccessCode is printed on the receipt. It exists in clear nowhere else:
	// the store seals it and wipes it once the receipt is printed.
	AccessCode string `json:"-"`
}

// Reprint reports whether the receipt is to be marked as a reprint: a retry
// after a fault, or a copy the citizen asked for.
func (j PrintJob) Reprint() bool { return j.Attempts > 0 || j.Copy }

// Printer prints a receipt for a report. It returns an error wrapping a
// PrinterError when the printer cannot print now (paper out, cover open,
// unplugged); the job is then kept and retried.
type Printer interface {
	PrintReceipt(ctx context.Context, r *Report, job PrintJob) error
	// Status asks the printer how it is; PrinterUnknown when it cannot tell.
	Status(ctx context.Context) string
}

// PrinterError is a printer fault with its state (PrinterPaperOut, ...).
type PrinterError struct {
	State string
	Err   error
}

func (e *PrinterError) Error() string { return "printer " + e.State + ": " + e.Err.Error() }
func (e *PrinterError) Unwrap() error { return e.Err }

// PrintStore is the part of the store the print queue needs.
type PrintStore interface {
	// PendingPrintJobs returns queued jobs, oldest first, with their codes.
	PendingPrintJobs(ctx context.Context) ([]PrintJob, error)
	// UpdatePrintJob writes a job's new state; a printed job loses its code.
	UpdatePrintJob(ctx context.Context, j PrintJob) error
	// ReportByID returns a report by its UUID.
	ReportByID(ctx context.Context, id string) (*Report, error)
}

// PrintQueue prints queued receipts in order and retries failed ones when
// the printer is back. Wait lets the API tell the citizen what became of
// their receipt.
type PrintQueue struct {
	store   PrintStore
	printer Printer
	log     *slog.Logger
	// Retry is how often a failed job is tried again (default 5 s).
	Retry time.Duration

	wake chan struct{}
	mu   sync.Mutex
	last map[uint64]ReceiptStatus // outcome of recent jobs
	subs map[uint64][]chan ReceiptStatus
	st   string // last printer state seen
	// fault is the printer state of the last failed attempt, "" once a
	// receipt printed again: while set, new jobs wait behind the failed one.
	fault string
}

// NewPrintQueue returns a queue; call Run to start printing.
func NewPrintQueue(s PrintStore, p Printer, log *slog.Logger) *PrintQueue {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &PrintQueue{store: s, printer: p, log: log, Retry: 5 * time.Second,
		wake: make(chan struct{}, 1), last: map[uint64]ReceiptStatus{}, subs: map[uint64][]chan ReceiptStatus{},
		st: PrinterUnknown}
}

// Kick tells the queue a new job was committed.
func (q *PrintQueue) Kick() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// PrinterState returns the printer state last seen by the queue.
func (q *PrintQueue) PrinterState() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.st
}

// Wait returns the outcome of job id once its first attempt ended, or
// "queued" when that takes longer than d.
func (q *PrintQueue) Wait(ctx context.Context, id uint64, d time.Duration) ReceiptStatus {
	q.mu.Lock()
	if s, ok := q.last[id]; ok {
		q.mu.Unlock()
		return s
	}
	if q.fault != "" { // the job waits behind one the printer could not print
		fault := q.fault
		q.mu.Unlock()
		q.Kick()
		return ReceiptStatus{Status: ReceiptQueued, Detail: "printer: " + fault + "; the receipt will be printed when the printer is back, or ask the staff"}
	}
	ch := make(chan ReceiptStatus, 1)
	q.subs[id] = append(q.subs[id], ch)
	q.mu.Unlock()
	q.Kick()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case s := <-ch:
		return s
	case <-t.C:
	case <-ctx.Done():
	}
	return ReceiptStatus{Status: ReceiptQueued, Detail: "the receipt is waiting for the printer"}
}

func (q *PrintQueue) settle(id uint64, s ReceiptStatus) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.last[id] = s
	if len(q.last) > 1000 { // keep the map small: only recent outcomes matter
		for k := range q.last {
			if k+500 < id {
				delete(q.last, k)
			}
		}
	}
	for _, ch := range q.subs[id] {
		ch <- s
	}
	delete(q.subs, id)
}

// Run prints until ctx ends.
func (q *PrintQueue) Run(ctx context.Context) {
	t := time.NewTicker(q.Retry)
	defer t.Stop()
	for {
		q.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// drain prints every pending job in order; it stops at the first printer
// fault (the next ones would fail the same way) and leaves them queued.
func (q *PrintQueue) drain(ctx context.Context) {
	jobs, err := q.store.PendingPrintJobs(ctx)
	if err != nil {
		q.log.Error("print queue: read jobs", "err", err)
		return
	}
	if len(jobs) == 0 {
		q.setState(q.printer.Status(ctx))
		return
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		if err := q.printOne(ctx, j); err != nil {
			return
		}
	}
}

func (q *PrintQueue) setState(s string) {
	q.mu.Lock()
	q.st = s
	q.mu.Unlock()
}

func (q *PrintQueue) setFault(s string) {
	q.mu.Lock()
	q.fault = s
	q.mu.Unlock()
}

func (q *PrintQueue) printOne(ctx context.Context, j PrintJob) error {
	r, err := q.store.ReportByID(ctx, j.ReportID)
	if err != nil {
		q.log.Error("print queue: read report", "job", j.ID, "err", err)
		return err
	}
	perr := q.printer.PrintReceipt(ctx, r, j)
	j.Attempts++
	if perr == nil {
		j.State, j.Printed, j.Error = JobPrinted, time.Now(), ""
		q.setState(PrinterOK)
		q.setFault("")
	} else {
		j.Error = perr.Error()
		var pe *PrinterError
		state := PrinterOffline
		if errors.As(perr, &pe) {
			state = pe.State
		}
		q.setState(state)
		q.setFault(state)
		q.log.Warn("receipt not printed; kept for reprint", "job", j.ID, "number", r.Number.String(), "printer", state, "err", perr)
	}
	// Tell the waiting citizen first: a store that cannot record the outcome
	// (disk full) must not leave them waiting.
	if perr != nil {
		q.settle(j.ID, ReceiptStatus{Status: ReceiptFailed, Detail: fmt.Sprintf("printer: %s; the receipt will be printed when the printer is back, or ask the staff", q.PrinterState())})
	} else {
		q.settle(j.ID, ReceiptStatus{Status: ReceiptPrinted})
	}
	if err := q.store.UpdatePrintJob(ctx, j); err != nil {
		q.log.Error("print queue: save job", "job", j.ID, "err", err)
		return err
	}
	return perr
}

// PrintCopy queues a copy of a report's receipt ("print again" on the result
// screen). code is the access code, which only the citizen's session still
// holds; the copy is marked as a reprint and recorded in the audit trail.
func (s *Service) PrintCopy(ctx context.Context, r *Report, code string) (uint64, error) {
	if s.prints == nil {
		return 0, ErrNoPrinter
	}
	now, synced := s.clock.Now()
	job := &PrintJob{ReportID: r.ID, State: JobQueued, Queued: now, AccessCode: code, Copy: true}
	audit := AuditEntry{At: now, Synced: synced, Actor: "citizen", Action: "receipt.copy", Record: r.ID}
	if err := s.store.QueuePrintJob(ctx, job, audit); err != nil {
		return 0, fmt.Errorf("print copy of %s: %w", r.Number, err)
	}
	s.prints.Kick()
	return job.ID, nil
}
