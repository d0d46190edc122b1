package ui

import (
	"context"

	"cpckiosk/kiosk"
)

// Training mode in the pages. kioskd builds one router for the real
// records and, while training mode is on, a second one for the training
// records, and serves each request whole with one of them; so a page never
// mixes the two. What the routers share is here: the staff logins, so that
// switching training mode logs nobody out, and the admin's view of the
// real audit trail and of the switch.

// StaffSessions are the staff console's logins and its per-client login
// limiter, shareable between routers (Deps.StaffSessions).
type StaffSessions struct {
	store  *staffStore
	logins *kiosk.Limiter
}

// NewStaffSessions returns an empty set of staff logins.
func NewStaffSessions() *StaffSessions {
	return &StaffSessions{store: newStaffStore(nil), logins: kiosk.NewLimiter(loginFailuresPerClient, loginWindow)}
}

// Admin is what the admin pages need besides the accounts: the real audit
// trail, whichever records the pages are working on, and training mode.
// kioskd implements it (kiosk/daemon/training.go).
type Admin interface {
	kiosk.AuditTrail
	// Audit writes one entry to the real audit trail.
	Audit(ctx context.Context, actor, action, record, detail string) error
	// TrainingState says whether training mode is on, since when, by whom.
	TrainingState() kiosk.TrainingState
	// SetTraining switches training mode on or off, audited as actor.
	// Switching it off deletes every training record.
	SetTraining(ctx context.Context, actor string, on bool) (kiosk.TrainingState, error)
}
