package kiosk

import (
	"context"
	"time"
)

// Store keeps reports durably. Every method that writes commits one
// transaction that is synced to disk before it returns nil; on error nothing
// of it was written, and the error wraps ErrUnavailable when the cause is the
// storage itself (disk full, I/O error) rather than the request.
type Store interface {
	// CreateReport commits r, its sequence number, its outbox entry and
	// audit in one transaction. The caller sets r.Number's CPC, Kiosk and
	// Year; the store allocates the next sequence for that kiosk and year
	// and sets r.Number.Seq. It also raises the persisted time floor to
	// r.CreatedAt. A non-nil receipt is queued as a print job in the same
	// transaction; its ID is set.
	CreateReport(ctx context.Context, r *Report, audit AuditEntry, receipt *PrintJob) error
	// ReportByNumber returns the report with that number, or ErrNotFound.
	ReportByNumber(ctx context.Context, n Number) (*Report, error)
	// UpdateReport applies fn to the stored report with that id and writes
	// it back with audit in one transaction. fn may run more than once and
	// must be idempotent; an error from fn aborts the update.
	UpdateReport(ctx context.Context, id string, fn func(*Report) error, audit AuditEntry) error
	// OutboxLen returns how many records wait for the central.
	OutboxLen(ctx context.Context) (int, error)
	// QueuePrintJob commits a new print job (its ID is set) with audit.
	QueuePrintJob(ctx context.Context, job *PrintJob, audit AuditEntry) error
	// AppendAudit commits one audit entry on its own (e.g. an extract issued).
	AppendAudit(ctx context.Context, e AuditEntry) error
	// SaveTimeFloor raises the persisted time floor to t.
	SaveTimeFloor(ctx context.Context, t time.Time) error
}

// Receipt states, as the API reports them in receipt.status.
const (
	ReceiptPrinted = "printed"
	ReceiptQueued  = "queued"
	ReceiptFailed  = "failed"
)

// ReceiptStatus is what became of a report's printed receipt.
type ReceiptStatus struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}
