package kiosk

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Training mode: the Ministry trains officers on a kiosk of a centre. While
// it is on, every screen shows a banner and every record goes to a separate
// training database with its own numbers (the T series, Number.Training),
// which is never relayed and is deleted when training mode ends. Staff
// accounts and the audit trail of the switch itself stay in the real store.

// TrainingState is whether the kiosk is in training mode, since when and
// who switched it on. The real store keeps it, so it survives a restart.
type TrainingState struct {
	On    bool      `json:"on"`
	Since time.Time `json:"since,omitzero"`
	By    string    `json:"by,omitempty"`
}

// Audit actions of training mode, written to the real audit trail.
const (
	AuditTrainingStart = "training.start"
	AuditTrainingEnd   = "training.end"
)

// TrainingAudit is the audit entry of switching training mode on or off by
// actor at the trusted time; detail says what was wiped when it ends.
func TrainingAudit(clock *TrustedClock, actor string, on bool, detail string) AuditEntry {
	now, synced := clock.Now()
	action := AuditTrainingEnd
	if on {
		action = AuditTrainingStart
	}
	return AuditEntry{At: now, Synced: synced, Actor: actor, Action: action, Detail: detail}
}

// AuditQuery selects a page of the audit trail, newest first.
type AuditQuery struct {
	// Actor keeps the entries of this actor only (a username, "citizen",
	// "system", ...); "" keeps all.
	Actor string
	// Action keeps the entries of this action; one ending in "." keeps the
	// actions it prefixes ("report." for every report action); "" keeps all.
	Action string
	// Before keeps the entries older than this sequence; 0 starts at the
	// newest.
	Before uint64
	// Limit is the page size, 1 to MaxAuditPage; 0 means DefaultAuditPage.
	Limit int
}

// Audit trail pages.
const (
	DefaultAuditPage = 50
	MaxAuditPage     = 500
	// MaxAuditScan bounds how many entries one filtered page reads, so a
	// filter that matches nothing cannot make a request read the whole
	// trail; the page then says where to go on (AuditPage.Next).
	MaxAuditScan = 10000
)

// AuditPage is one page of the audit trail.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	// Next is the Before of the next (older) page; 0 when there is none.
	Next uint64 `json:"next,omitempty"`
	// Head is the newest entry of the whole trail.
	Head AuditHead `json:"head"`
}

// Normalize checks q and fills in the default page size.
func (q *AuditQuery) Normalize() error {
	var v ValidationError
	switch {
	case q.Limit == 0:
		q.Limit = DefaultAuditPage
	case q.Limit < 0 || q.Limit > MaxAuditPage:
		v.add("limit", "invalid", "limit must be 1-%d", MaxAuditPage)
	}
	q.Actor, q.Action = strings.TrimSpace(q.Actor), strings.TrimSpace(q.Action)
	if len(q.Actor) > 64 || !printableASCII(q.Actor) {
		v.add("actor", "invalid", "actor must be a username")
	}
	if len(q.Action) > 64 || !printableASCII(q.Action) {
		v.add("action", "invalid", "action must be like report.create or report.")
	}
	return v.orNil()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Match reports whether e is selected by q's filters (not its paging).
func (q AuditQuery) Match(e *AuditEntry) bool {
	if q.Actor != "" && e.Actor != q.Actor {
		return false
	}
	if q.Action == "" {
		return true
	}
	if strings.HasSuffix(q.Action, ".") {
		return strings.HasPrefix(e.Action, q.Action)
	}
	return e.Action == q.Action
}

// ResumeAuditVerifier returns a verifier that goes on after from, an entry
// an earlier check found good: the next entry fed to Next must be the one
// after it. The admin page uses it to check only what was appended since.
func ResumeAuditVerifier(from AuditHead) *AuditVerifier { return &AuditVerifier{head: from} }

// AuditTrail is read access to the real audit trail for the admin pages.
type AuditTrail interface {
	// AuditEntries returns one page of the trail, newest first.
	AuditEntries(ctx context.Context, q AuditQuery) (*AuditPage, error)
	// EachAudit calls fn with every entry, oldest first, until fn returns
	// an error, which it returns.
	EachAudit(ctx context.Context, fn func(AuditEntry) error) error
	// VerifyAudit checks the whole hash chain and returns how many entries
	// it checked; an error wrapping ErrAuditBroken says where it breaks.
	VerifyAudit(ctx context.Context) (uint64, error)
}

// Personal data in the audit trail: Details are codes (a category, a
// status, a role, a document type), except the reason an officer states
// before seeing a report's personal data (report.view_personal), which is
// free text and may name a person. ExportDetail withholds it.

// freeTextActions are the actions whose Detail is free text typed by staff.
var freeTextActions = map[string]bool{"report.view_personal": true}

// ExportDetail is e's Detail as an export shows it: free text is replaced
// by its length, so an export carries no personal data.
func ExportDetail(e AuditEntry) string {
	if freeTextActions[e.Action] && e.Detail != "" {
		return fmt.Sprintf("[reason withheld: %d characters]", len([]rune(e.Detail)))
	}
	return e.Detail
}
