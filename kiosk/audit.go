package kiosk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry records who did what to which record. Entries form a hash chain:
// each carries the hash of the one before, so an edited, removed or reordered
// entry breaks VerifyAudit. Details never hold personal data or secrets.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	Synced bool      `json:"synced"` // the clock was synchronised at At
	Actor  string    `json:"actor"`  // "citizen", "system", "central", a staff user
	Action string    `json:"action"` // "report.create", "report.status", ...
	Record string    `json:"record"` // record UUID, or "" for device-wide actions
	Detail string    `json:"detail,omitempty"`
	Prev   string    `json:"prev"` // hex SHA-256 of the previous entry, "" for the first
	Hash   string    `json:"hash"` // hex SHA-256 of this entry without Hash
}

// AuditHead is the end of the chain: the last entry's sequence and hash.
type AuditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Link appends e to the chain ending at head: it sets Seq, Prev and Hash and
// returns the new head. The Store calls it inside the transaction that writes e.
func (e *AuditEntry) Link(head AuditHead) AuditHead {
	e.Seq = head.Seq + 1
	e.Prev = head.Hash
	e.Hash = e.sum()
	return AuditHead{Seq: e.Seq, Hash: e.Hash}
}

func (e AuditEntry) sum() string {
	e.Hash = ""
	e.At = e.At.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		panic("kiosk: marshal audit entry: " + err.Error()) // plain struct: cannot fail
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// AuditVerifier checks a chain entry by entry, in order. Feed every entry to
// Next, then call Done with the head the store recorded.
type AuditVerifier struct {
	head AuditHead
}

// Next checks one entry against the chain so far.
func (v *AuditVerifier) Next(e AuditEntry) error {
	switch {
	case e.Seq != v.head.Seq+1:
		return fmt.Errorf("audit entry %d: expected entry %d (entries removed or reordered): %w", e.Seq, v.head.Seq+1, ErrAuditBroken)
	case e.Prev != v.head.Hash:
		return fmt.Errorf("audit entry %d: previous hash does not match: %w", e.Seq, ErrAuditBroken)
	case e.sum() != e.Hash:
		return fmt.Errorf("audit entry %d: content does not match its hash (edited): %w", e.Seq, ErrAuditBroken)
	}
	v.head = AuditHead{Seq: e.Seq, Hash: e.Hash}
	return nil
}

// Done checks that the chain ends where the recorded head says (nothing cut
// off the end) and returns the number of entries checked.
func (v *AuditVerifier) Done(recorded AuditHead) (uint64, error) {
	if v.head != recorded {
		return v.head.Seq, fmt.Errorf("audit chain ends at entry %d but the head says %d: %w", v.head.Seq, recorded.Seq, ErrAuditBroken)
	}
	return v.head.Seq, nil
}

// OutboxEntry is a record waiting to be delivered to the central system.
type OutboxEntry struct {
	Seq      uint64     `json:"seq"`  // delivery order, oldest first
	Type     string     `json:"type"` // "report", "audit_checkpoint"; "cppt_issue", "cppt_meeting" in the CPPT outbox
	RecordID string     `json:"record_id"`
	Queued   time.Time  `json:"queued"`
	Audit    *AuditHead `json:"audit,omitempty"` // the head an audit checkpoint states
}

// Outbox record types.
const (
	OutboxReport     = "report"
	OutboxCheckpoint = "audit_checkpoint"
)

// Delivery is the central's final answer for an outbox entry: stored (new
// or already there), or refused for good with a reason.
type Delivery struct {
	Entry     OutboxEntry
	Delivered bool
	Reason    string // why it was refused
}
