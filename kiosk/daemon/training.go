package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
	"cpckiosk/ui"
)

// Training mode (kiosk/training.go). While it is on, the pages work on a
// world of their own: a training database in DATA/training (opened by the
// same kiosk/store code with store.Options.Training, so it has its own data
// key and lock and can never be opened as the real one), a kiosk.Service
// numbering in the T series, a CPPT log, an officer console, a receipt
// queue, and a router built from them. kioskd serves each request whole
// with the world current when it arrived; a switch swaps one atomic
// pointer, then waits for the requests still running in the old world
// before it closes it. The relay worker, the control socket of kioskctl and
// the watchdog only ever get the real store, and the real store refuses a
// T-series number, so no training record can reach the central.
//
// The state (on, since, by whom) is kept in the real store with the
// audit entry of the switch, in one transaction; a restart comes back in
// the same mode. Ending training mode records the end first, then deletes
// DATA/training with its key; a training directory found while training
// mode is off (a power cut during the deletion) is deleted at start, and a
// training database that does not open at start ends training mode.

// TrainingDir is the training database's directory in the data directory.
const TrainingDir = "training"

// world is one set of records with the router that serves them.
type world struct {
	training bool
	store    *store.Store // the training store; nil in the real world (Run owns that one)
	deps     ui.Deps      // what the router was built from (tests look at it)
	handler  http.Handler
	stop     func() // stops the world's goroutines (its print queue); nil: none

	mu     sync.RWMutex // read-held by every request served, write-held to close
	closed bool
}

// serve runs the request in w and reports true, or false without touching
// it when w was closed meanwhile.
func (w *world) serve(rw http.ResponseWriter, r *http.Request) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	w.handler.ServeHTTP(rw, r)
	return true
}

// close waits for the requests in w, stops its goroutines and closes its
// store.
func (w *world) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.stop != nil {
		w.stop()
	}
	if w.store != nil {
		return w.store.Close()
	}
	return nil
}

// training is the switch between the real world and training mode's. It
// is the kiosk's http.Handler and the ui.Admin of the admin pages.
type training struct {
	st    *store.Store // the real store
	svc   *kiosk.Service
	clock *kiosk.TrustedClock
	dir   string // DATA/training
	log   *slog.Logger
	// build makes the training world around its store.
	build func(st *store.Store) (*world, error)
	real  *world

	cur   atomic.Pointer[world]
	state atomic.Pointer[kiosk.TrainingState]
	mu    sync.Mutex // one switch at a time
	// The last good check of the audit chain (VerifyAudit).
	check       sync.Mutex
	checked     kiosk.AuditHead
	checkedFull time.Time
	// ending is closed once the world of the last training mode is closed
	// and its records deleted; nil when none is ending. Under mu.
	ending chan struct{}
}

// endWait bounds how long a new training mode waits for the last one to be
// closed (its requests still running).
const endWait = 10 * time.Second

var _ ui.Admin = (*training)(nil)

// open opens (or creates) the training store and builds its world.
func (t *training) open() (*world, error) {
	tst, err := store.Open(t.dir, store.Options{Training: true, Log: t.log.With("training", true)})
	if err != nil {
		return nil, fmt.Errorf("open the training database: %w", err)
	}
	w, err := t.build(tst)
	if err != nil {
		tst.Close()
		return nil, err
	}
	w.training, w.store = true, tst
	return w, nil
}

// wipeLeftovers deletes a training directory left while training mode is
// off (by a power cut during the end of training mode).
func (t *training) wipeLeftovers() {
	if _, err := os.Stat(t.dir); errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err := os.RemoveAll(t.dir); err != nil {
		t.log.Error("training mode is off but its records could not be deleted", "dir", t.dir, "err", err)
		return
	}
	t.log.Warn("deleted the records of an earlier training mode", "dir", t.dir)
}

// ServeHTTP serves r with the current world.
func (t *training) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	for range 3 {
		if t.cur.Load().serve(rw, r) {
			return
		}
	}
	t.real.serve(rw, r) // the real world is never closed while serving
}

// On reports whether training mode is on.
func (t *training) On() bool { return t.state.Load().On }

// TrainingState implements ui.Admin.
func (t *training) TrainingState() kiosk.TrainingState { return *t.state.Load() }

// SetTraining implements ui.Admin. Switching to the current state changes
// nothing and writes no audit entry.
func (t *training) SetTraining(ctx context.Context, actor string, on bool) (kiosk.TrainingState, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.On() == on {
		return t.TrainingState(), nil
	}
	if on {
		return t.start(ctx, actor)
	}
	return t.end(ctx, actor)
}

// waitEnded waits until the last training mode is closed and deleted.
func (t *training) waitEnded(ctx context.Context) error {
	if t.ending == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, endWait)
	defer cancel()
	select {
	case <-t.ending:
		t.ending = nil
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the last training mode is still being deleted: try again in a moment: %w", kiosk.ErrUnavailable)
	}
}

func (t *training) start(ctx context.Context, actor string) (kiosk.TrainingState, error) {
	if err := t.waitEnded(ctx); err != nil {
		return kiosk.TrainingState{}, fmt.Errorf("start training mode: %w", err)
	}
	if err := os.RemoveAll(t.dir); err != nil { // no record of an earlier training may come back
		return kiosk.TrainingState{}, fmt.Errorf("start training mode: %w", err)
	}
	w, err := t.open()
	if err != nil {
		os.RemoveAll(t.dir)
		return kiosk.TrainingState{}, fmt.Errorf("start training mode: %w", err)
	}
	audit := kiosk.TrainingAudit(t.clock, actor, true, "")
	state := kiosk.TrainingState{On: true, Since: audit.At, By: actor}
	if err := t.st.SetTrainingState(ctx, state, audit); err != nil {
		w.close()
		os.RemoveAll(t.dir)
		return kiosk.TrainingState{}, fmt.Errorf("start training mode: %w", err)
	}
	t.state.Store(&state)
	t.cur.Store(w)
	t.log.Warn("training mode on", "by", actor)
	return state, nil
}

func (t *training) end(ctx context.Context, actor string) (kiosk.TrainingState, error) {
	w := t.cur.Load()
	detail := "training records deleted"
	if w.store != nil {
		if r, i, m, err := w.store.RecordCounts(ctx); err == nil {
			detail = fmt.Sprintf("deleted %d training reports, %d CPPT issues, %d meetings", r, i, m)
		}
	}
	audit := kiosk.TrainingAudit(t.clock, actor, false, detail)
	state := kiosk.TrainingState{}
	if err := t.st.SetTrainingState(ctx, state, audit); err != nil {
		return t.TrainingState(), fmt.Errorf("end training mode: %w", err)
	}
	t.state.Store(&state)
	t.cur.Store(t.real)
	t.log.Warn("training mode off", "by", actor)
	// The old world closes once its requests are done (this one may be
	// among them: it cannot wait here), then its records are deleted.
	done := make(chan struct{})
	t.ending = done
	go func() {
		defer close(done)
		if w != t.real {
			if err := w.close(); err != nil {
				t.log.Error("end training mode: close the training database", "err", err)
			}
		}
		if err := os.RemoveAll(t.dir); err != nil {
			// The state says off: the next start deletes what is left.
			t.log.Error("end training mode: delete the training records", "dir", t.dir, "err", err)
			return
		}
		t.log.Info("training records deleted", "dir", t.dir)
	}()
	return state, nil
}

// Close closes the training world, keeping its records (kioskd stops; the
// next start resumes training mode).
func (t *training) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ending != nil {
		<-t.ending
		t.ending = nil
	}
	if w := t.cur.Load(); w != t.real {
		t.cur.Store(t.real)
		if err := w.close(); err != nil {
			t.log.Error("close the training database", "err", err)
		}
	}
}

// AuditEntries implements ui.Admin: always the real trail.
func (t *training) AuditEntries(ctx context.Context, q kiosk.AuditQuery) (*kiosk.AuditPage, error) {
	return t.st.AuditEntries(ctx, q)
}

// EachAudit implements ui.Admin: always the real trail.
func (t *training) EachAudit(ctx context.Context, fn func(kiosk.AuditEntry) error) error {
	return t.st.EachAudit(ctx, fn)
}

// fullAuditCheck is how often the admin's check of the audit chain walks
// the whole chain; in between it checks what was appended since the last
// good check (a full walk of 100,000 entries takes about a second here,
// several on the board).
const fullAuditCheck = 10 * time.Minute

// VerifyAudit implements ui.Admin: always the real trail.
func (t *training) VerifyAudit(ctx context.Context) (uint64, error) {
	t.check.Lock()
	defer t.check.Unlock()
	var (
		n   uint64
		err error
	)
	if t.checked.Seq == 0 || time.Since(t.checkedFull) > fullAuditCheck {
		n, err = t.st.VerifyAudit(ctx)
		t.checkedFull = time.Now()
	} else {
		n, err = t.st.VerifyAuditFrom(ctx, t.checked)
	}
	if err != nil {
		t.checked = kiosk.AuditHead{} // the next check walks it all again
		return n, err
	}
	page, err := t.st.AuditEntries(ctx, kiosk.AuditQuery{Limit: 1})
	if err == nil && len(page.Entries) == 1 && page.Entries[0].Seq == n {
		t.checked = kiosk.AuditHead{Seq: n, Hash: page.Entries[0].Hash}
	} else {
		t.checked = kiosk.AuditHead{}
	}
	return n, nil
}

// Audit implements ui.Admin: one entry in the real trail.
func (t *training) Audit(ctx context.Context, actor, action, record, detail string) error {
	return t.svc.Audit(ctx, actor, action, record, detail)
}

// trainingParts is what the training world shares with the real one or
// makes the same way.
type trainingParts struct {
	cfg      Config
	clock    *kiosk.TrustedClock
	log      *slog.Logger
	guard    func() error          // the disk space guard of new reports
	extracts kiosk.ExtractRenderer // signed extracts: a training one states its T number
	xprinter kiosk.ExtractPrinter
	printer  kiosk.Printer // the receipt printer; nil: none
}

// startTraining builds the router of the real world from deps and returns
// the switch that serves it, or the training world when training mode was
// on when kioskd stopped. deps is the real world's; its Training, Admin and
// StaffSessions are set here.
func startTraining(ctx context.Context, st *store.Store, svc *kiosk.Service, p trainingParts, deps ui.Deps) (*training, error) {
	t := &training{st: st, svc: svc, clock: p.clock, dir: filepath.Join(p.cfg.Data, TrainingDir), log: p.log}
	deps.Admin = t
	deps.StaffSessions = ui.NewStaffSessions()
	deps.Training = func() bool { return false } // this router serves real records only
	t.real = &world{deps: deps, handler: ui.NewRouter(deps)}
	t.build = func(tst *store.Store) (*world, error) { return p.world(tst, deps) }
	if err := t.resume(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// resume starts serving the real world, or the training world when the real
// store says training mode is on.
func (t *training) resume(ctx context.Context) error {
	t.cur.Store(t.real)
	state, err := t.st.TrainingState(ctx)
	if err != nil {
		return fmt.Errorf("training mode: %w", err)
	}
	t.state.Store(&state)
	if !state.On {
		t.wipeLeftovers()
		return nil
	}
	w, err := t.open()
	if err != nil {
		// A training database that does not open (a power cut while it was
		// created, a full disk) must not keep the kiosk from serving: end
		// training mode, deleting what is left of it.
		t.log.Error("training mode: the training database does not open: ending training mode", "err", err)
		off := kiosk.TrainingState{}
		audit := kiosk.TrainingAudit(t.clock, "system", false, "the training database did not open at start: deleted")
		if err := t.st.SetTrainingState(ctx, off, audit); err != nil {
			return fmt.Errorf("training mode: end after the training database did not open: %w", err)
		}
		t.state.Store(&off)
		t.wipeLeftovers()
		return nil
	}
	t.cur.Store(w)
	t.log.Warn("kiosk is in training mode: records go to the training database and are never relayed",
		"since", state.Since, "by", state.By)
	return nil
}

// world builds training mode's world on its store tst: every Deps field
// that reaches records is replaced by one on tst (TestTrainingWorldShares
// checks that no other domain service of the real world is left in it).
func (p trainingParts) world(tst *store.Store, real ui.Deps) (*world, error) {
	log := p.log.With("training", true)
	svc, err := kiosk.NewService(tst, p.clock, kiosk.Config{CPC: p.cfg.CPC, Kiosk: p.cfg.Kiosk, Training: true}, log)
	if err != nil {
		return nil, err
	}
	svc.UseSpaceGuard(p.guard)
	if p.extracts != nil {
		svc.UseExtracts(p.extracts)
	}
	if p.xprinter != nil {
		svc.UseExtractPrinter(p.xprinter)
	}
	cppt, err := kiosk.NewCPPT(tst, p.clock, kiosk.CPPTConfig{CPC: p.cfg.CPC, Settlements: p.cfg.Places, Training: true}, log)
	if err != nil {
		return nil, err
	}
	d := real
	d.Service, d.CPPT, d.Officer = svc, cppt, kiosk.NewOfficer(tst, p.clock, svc, log)
	d.Training = func() bool { return true }
	d.Receipt = nil
	w := &world{}
	if p.printer != nil {
		prn := p.printer
		if p.cfg.Printer == "sim" { // the simulator's files of training receipts are deleted with the rest
			tcfg := p.cfg
			tcfg.Data = filepath.Dir(tst.Path())
			if prn, err = openPrinter(tcfg, log); err != nil {
				return nil, err
			}
		}
		q := kiosk.NewPrintQueue(tst, prn, log)
		svc.UsePrintQueue(q)
		qctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { q.Run(qctx); close(done) }()
		w.stop = func() { stop(); <-done }
		wait := p.cfg.ReceiptWait
		d.Receipt = func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus {
			return q.Wait(ctx, c.ReceiptJob, wait)
		}
	}
	w.deps, w.handler = d, ui.NewRouter(d)
	return w, nil
}
