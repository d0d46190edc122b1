package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"cpckiosk/kiosk"
)

// Store is what the worker needs of the kiosk's store (kiosk/store.Store).
type Store interface {
	Outbox(ctx context.Context, limit int) ([]kiosk.OutboxEntry, error)
	OutboxLen(ctx context.Context) (int, error)
	ReportByID(ctx context.Context, id string) (*kiosk.Report, error)
	Delivered(ctx context.Context, ds []kiosk.Delivery, at time.Time, synced bool) error
	UpdatesCursor(ctx context.Context) (uint64, error)
	ApplyUpdates(ctx context.Context, us []kiosk.StatusUpdate, cursor uint64, at time.Time, synced bool) (int, error)
	RaiseSequences(ctx context.Context, kioskNo int, seqs map[int]int) error
	PurgePersonal(ctx context.Context, ackedBefore, at time.Time, synced bool) (int, error)
	QueueCheckpoint(ctx context.Context, at time.Time) (bool, error)
	RejectedLen(ctx context.Context) (int, error)
}

// Defaults of the worker's timing.
const (
	DefaultRetention  = 30 * 24 * time.Hour
	DefaultPollEvery  = 30 * time.Second
	DefaultIdleEvery  = time.Second
	DefaultBaseDelay  = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// trustSkew: while the board's own clock is synchronised, a central
	// time further off than this is not trusted to move the kiosk's clock.
	trustSkew         = 2 * time.Minute
	housekeepingEvery = time.Hour
)

// Worker delivers the outbox (and the CPPT outbox) to the central oldest first, pulls status
// updates, deletes personal data after the retention period and queues
// audit checkpoints. It never blocks the UI: it only shares the store's
// group commit. Run it in its own goroutine.
type Worker struct {
	Store Store
	// CPPT, if set, is the partnership team's outbox: the worker delivers
	// it beside the reports' outbox, a batch of each in turn.
	CPPT    CPPTStore
	DataDir string
	CPC     string // this kiosk's centre and number: an enrolment for another is refused
	Kiosk   int
	// CentralURL overrides the enrolment's URL (kioskd -central).
	CentralURL   string
	Clock        *kiosk.TrustedClock
	SystemSynced func() bool // the board's clock is NTP-synchronised
	HTTP         *http.Client
	Log          *slog.Logger
	// Health, if set, is sent to the central with every updates pull.
	Health func() *DeviceHealth
	// OnRelease, if set, receives the release the central offers in every
	// updates reply (nil: none) and the client to download it with
	// (Fetcher.Offer).
	OnRelease func(c *Client, o *ReleaseOffer)

	Retention  time.Duration // default DefaultRetention; negative: keep personal data
	PollEvery  time.Duration // updates pull when idle
	IdleEvery  time.Duration // outbox check when idle
	BaseDelay  time.Duration // first retry delay
	MaxBackoff time.Duration // retry delay cap

	mu        sync.Mutex
	status    Status
	client    *Client
	keys      Keys
	enr       *Enrollment
	boxKey    *[32]byte
	lastPull  time.Time
	lastHouse time.Time
	// cpptTaken: the central said (in its last updates reply) that it
	// stores CPPT records; until then they wait in the CPPT outbox.
	cpptTaken, typesKnown bool
	failures              int
	due                   time.Time // when the loop will look again: later means hung
}

// Alive reports whether the worker's loop is running: it came back from its
// last wait or round within grace of when it meant to.
func (w *Worker) Alive(grace time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.due.IsZero() && time.Now().Before(w.due.Add(grace))
}

func (w *Worker) expect(d time.Duration) {
	w.mu.Lock()
	w.due = time.Now().Add(d)
	w.mu.Unlock()
}

// Status is the worker's state for /healthz.
type Status struct {
	Enrolled    bool
	Pending     int // reports and checkpoints waiting
	PendingCPPT int // CPPT records waiting
	Rejected    int
	LastSuccess time.Time
	LastError   string
}

// Status returns the current state.
func (w *Worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

func (w *Worker) setErr(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.status.LastError = ""
		w.status.LastSuccess = w.clockNow()
		return
	}
	w.status.LastError = err.Error()
}

func (w *Worker) clockNow() time.Time {
	t, _ := w.Clock.Now()
	return t
}

func (w *Worker) defaults() {
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.HTTP == nil {
		w.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if w.SystemSynced == nil {
		w.SystemSynced = func() bool { return false }
	}
	if w.Retention == 0 {
		w.Retention = DefaultRetention
	}
	if w.PollEvery == 0 {
		w.PollEvery = DefaultPollEvery
	}
	if w.IdleEvery == 0 {
		w.IdleEvery = DefaultIdleEvery
	}
	if w.BaseDelay == 0 {
		w.BaseDelay = DefaultBaseDelay
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = DefaultMaxBackoff
	}
}

// Run works until ctx ends. Before enrolment it waits for DATA/relay.json.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	for {
		w.expect(2 * time.Minute) // a round: HTTP calls time out well before
		err := w.cycle(ctx)
		if ctx.Err() != nil {
			return
		}
		w.refreshCounts(ctx)
		wait := w.IdleEvery
		switch {
		case errors.Is(err, ErrNotEnrolled):
			wait = 2 * time.Second
		case err != nil:
			w.failures++
			wait = w.backoff(w.failures)
			w.setErr(err)
			w.Log.Warn("relay: central not reached", "err", err, "retry_in", wait.Round(time.Millisecond).String(), "failures", w.failures)
		default:
			w.failures = 0
		}
		w.expect(wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff is capped exponential backoff with full jitter: a random delay in
// [0, min(cap, base·2^(n-1))].
func (w *Worker) backoff(n int) time.Duration {
	return fullJitter(w.BaseDelay, w.MaxBackoff, n)
}

func (w *Worker) refreshCounts(ctx context.Context) {
	n, err1 := w.Store.OutboxLen(ctx)
	r, err2 := w.Store.RejectedLen(ctx)
	c, err3 := 0, error(nil)
	if w.CPPT != nil {
		c, err3 = w.CPPT.CPPTOutboxLen(ctx)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err1 == nil {
		w.status.Pending = n
	}
	if err2 == nil {
		w.status.Rejected = r
	}
	if err3 == nil {
		w.status.PendingCPPT = c
	}
}

// cycle sends everything due, pulls updates when due, and does the hourly
// housekeeping. It returns the first error.
func (w *Worker) cycle(ctx context.Context) error {
	if err := w.ready(ctx); err != nil {
		return err
	}
	if w.CPPT != nil && !w.typesKnown { // learn what the central takes before sending CPPT records
		if err := w.pull(ctx); err != nil {
			return err
		}
		w.lastPull = time.Now()
	}
	sent, err := w.drain(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	if sent > 0 || now.Sub(w.lastPull) >= w.PollEvery {
		if err := w.pull(ctx); err != nil {
			return err
		}
		w.lastPull = now
		w.setErr(nil)
	}
	if now.Sub(w.lastHouse) >= housekeepingEvery {
		if err := w.housekeeping(ctx); err != nil {
			return err
		}
		w.lastHouse = now
	}
	return nil
}

// ready loads the enrolment and keys once they exist.
func (w *Worker) ready(ctx context.Context) error {
	if w.client != nil {
		return nil
	}
	e, err := LoadEnrollment(w.DataDir)
	if err != nil {
		return err
	}
	if e.CPC != w.CPC || e.Kiosk != w.Kiosk {
		return fmt.Errorf("relay: this data dir is enrolled as %s kiosk %d but kioskd runs as %s kiosk %d: nothing is sent until they agree", e.CPC, e.Kiosk, w.CPC, w.Kiosk)
	}
	years, err := e.Years()
	if err != nil {
		return err
	}
	if err := w.Store.RaiseSequences(ctx, w.Kiosk, years); err != nil {
		return err
	}
	keys, err := LoadKeys(w.DataDir)
	if err != nil {
		return err
	}
	if keys.DeviceID != e.DeviceID {
		return fmt.Errorf("relay: the device key (%s) is not the enrolled one (%s): enroll again", keys.DeviceID, e.DeviceID)
	}
	box, err := Key32(e.CentralBoxKey)
	if err != nil {
		return err
	}
	url := e.Central
	if w.CentralURL != "" {
		url = w.CentralURL
	}
	c := &Client{URL: url, HTTP: w.HTTP, Key: keys.Sign, DeviceID: keys.DeviceID, Central: e.CentralSignKey,
		Now: time.Now, OnTime: w.observe, Pending: func() int { st := w.Status(); return st.Pending + st.PendingCPPT }}
	w.mu.Lock()
	w.keys, w.enr, w.boxKey, w.client = keys, e, box, c
	w.status.Enrolled = true
	w.mu.Unlock()
	w.Log.Info("relay: enrolled", "device", e.DeviceID, "central", url)
	return nil
}

// observe takes the central's time: the kiosk's clock follows it unless
// the board's own clock is synchronised and the central is far off.
func (w *Worker) observe(t time.Time) {
	if w.SystemSynced() {
		if d := time.Until(t); d > trustSkew || d < -trustSkew {
			w.Log.Warn("relay: the central's clock differs from this synchronised board; not followed", "difference", d.Round(time.Second).String())
			return
		}
	}
	w.Clock.Observe(t)
}

// drain sends batches until the outbox and the CPPT outbox are empty, a
// batch of each in turn, so that a long backlog of one never holds up the
// other. It returns how many records the central settled.
func (w *Worker) drain(ctx context.Context) (int, error) {
	total := 0
	for {
		w.expect(2 * time.Minute) // each batch: a long drain is not a hang
		entries, err := w.Store.Outbox(ctx, MaxBatchRecords)
		if err != nil {
			return total, err
		}
		if len(entries) > 0 {
			n, err := w.send(ctx, entries)
			total += n
			if err != nil {
				return total, err
			}
			w.setErr(nil)
		}
		var pending []kiosk.CPPTPending
		if w.CPPT != nil && w.cpptTaken {
			if pending, err = w.CPPT.CPPTPending(ctx, MaxBatchRecords); err != nil {
				return total, err
			}
		}
		if len(pending) > 0 {
			w.expect(2 * time.Minute)
			n, err := w.sendCPPT(ctx, pending)
			total += n
			if err != nil {
				return total, err
			}
			w.setErr(nil)
		}
		if len(entries) == 0 && len(pending) == 0 {
			return total, nil
		}
	}
}

// deliver sends one batch and checks that the central answered every
// record, in order, with a known result.
func (w *Worker) deliver(ctx context.Context, recs []Record) ([]Ack, error) {
	var rep BatchReply
	if err := w.client.Call(ctx, PathBatch, BatchRequest{Records: recs}, &rep); err != nil {
		return nil, err
	}
	if len(rep.Acks) != len(recs) {
		return nil, fmt.Errorf("relay: batch of %d answered with %d acks: %w", len(recs), len(rep.Acks), ErrReply)
	}
	for i, a := range rep.Acks {
		if a.ID != recs[i].ID {
			return nil, fmt.Errorf("relay: ack %d is for %s, expected %s: %w", i, a.ID, recs[i].ID, ErrReply)
		}
		switch a.Result {
		case AckAccepted, AckDuplicate, AckRejected:
		default:
			return nil, fmt.Errorf("relay: unknown ack result %q: %w", a.Result, ErrReply)
		}
	}
	return rep.Acks, nil
}

func isNotFound(err error) bool { return errors.Is(err, kiosk.ErrNotFound) }

// learnTypes takes the record types the central said it stores: CPPT
// records are sent only to a central that takes both types (an older one
// would reject them for good).
func (w *Worker) learnTypes(types []string) {
	taken := slices.Contains(types, TypeCPPTIssue) && slices.Contains(types, TypeCPPTMeeting)
	if w.CPPT != nil && !taken && (taken != w.cpptTaken || !w.typesKnown) {
		w.Log.Warn("relay: the central does not take CPPT records; they wait on this kiosk until it does")
	}
	w.cpptTaken, w.typesKnown = taken, true
}

// send delivers one batch (as much of entries as fits MaxBatchBytes).
func (w *Worker) send(ctx context.Context, entries []kiosk.OutboxEntry) (int, error) {
	var recs []Record
	var used []kiosk.OutboxEntry
	var local []kiosk.Delivery // settled without asking: the record is gone here
	size := 0
	sealer, err := NewSealer(w.boxKey)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		rec, err := w.record(ctx, e, sealer)
		if errors.Is(err, kiosk.ErrNotFound) {
			local = append(local, kiosk.Delivery{Entry: e, Reason: "the record is missing on this kiosk"})
			continue
		}
		if err != nil {
			return 0, err
		}
		b, _ := json.Marshal(rec)
		if len(recs) > 0 && size+len(b) > MaxBatchBytes {
			break
		}
		size += len(b)
		recs = append(recs, rec)
		used = append(used, e)
	}
	now, synced := w.Clock.Now()
	if len(local) > 0 {
		if err := w.Store.Delivered(ctx, local, now, synced); err != nil {
			return 0, err
		}
	}
	if len(recs) == 0 {
		return len(local), nil
	}
	acks, err := w.deliver(ctx, recs)
	if err != nil {
		return 0, err
	}
	ds := make([]kiosk.Delivery, len(recs))
	rejected := 0
	for i, a := range acks {
		switch a.Result {
		case AckAccepted, AckDuplicate:
			ds[i] = kiosk.Delivery{Entry: used[i], Delivered: true}
		default: // AckRejected
			ds[i] = kiosk.Delivery{Entry: used[i], Reason: a.Reason}
			rejected++
			w.Log.Error("relay: the central refused a record", "type", used[i].Type, "record", used[i].RecordID, "reason", a.Reason)
		}
	}
	now, synced = w.Clock.Now()
	if err := w.Store.Delivered(ctx, ds, now, synced); err != nil {
		return 0, err
	}
	w.Log.Debug("relay: batch delivered", "records", len(recs), "rejected", rejected)
	return len(recs) + len(local), nil
}

// record builds the wire form of an outbox entry, sealing personal data to
// the central.
func (w *Worker) record(ctx context.Context, e kiosk.OutboxEntry, sealer *Sealer) (Record, error) {
	switch e.Type {
	case kiosk.OutboxCheckpoint:
		if e.Audit == nil {
			return Record{}, fmt.Errorf("relay: checkpoint %s without a head: %w", e.RecordID, kiosk.ErrNotFound)
		}
		return Record{Type: TypeCheckpoint, ID: e.RecordID, Checkpoint: &Checkpoint{Seq: e.Audit.Seq, Hash: e.Audit.Hash, At: e.Queued}}, nil
	case kiosk.OutboxReport:
		r, err := w.Store.ReportByID(ctx, e.RecordID)
		if err != nil {
			return Record{}, err
		}
		sealed, err := sealer.Seal(Personal{Reporter: r.Reporter, Description: r.Incident.Description})
		if err != nil {
			return Record{}, err
		}
		return Record{Type: TypeReport, ID: r.ID, Report: &ReportRecord{
			Number: r.Number.String(), Category: r.Category, Lang: r.Lang, Anonymous: r.Anonymous,
			Place: r.Incident.Place, OccurredAt: r.Incident.OccurredAt, CreatedAt: r.CreatedAt,
			ClockSynced: r.ClockSynced, Sealed: sealed,
		}}, nil
	}
	return Record{Type: e.Type, ID: e.RecordID}, nil // the central rejects what it does not know
}

// pull fetches and applies status updates after the stored cursor.
func (w *Worker) pull(ctx context.Context) error {
	for {
		w.expect(2 * time.Minute)
		after, err := w.Store.UpdatesCursor(ctx)
		if err != nil {
			return err
		}
		var rep UpdatesReply
		req := UpdatesRequest{After: after, Limit: MaxUpdates}
		if w.Health != nil {
			req.Health = w.Health()
		}
		if err := w.client.Call(ctx, PathUpdates, req, &rep); err != nil {
			return err
		}
		if w.OnRelease != nil {
			w.OnRelease(w.client, rep.Release)
		}
		w.learnTypes(rep.RecordTypes)
		if len(rep.Updates) == 0 {
			return nil
		}
		us := make([]kiosk.StatusUpdate, 0, len(rep.Updates))
		cursor := after
		for _, u := range rep.Updates {
			if u.Cursor <= cursor {
				return fmt.Errorf("relay: updates out of order (cursor %d after %d): %w", u.Cursor, cursor, ErrReply)
			}
			cursor = u.Cursor
			us = append(us, kiosk.StatusUpdate{RecordID: u.ID, Status: u.Status, Decision: u.Decision,
				Note: u.Note, CaseNumber: u.CaseNumber, At: u.At})
		}
		now, synced := w.Clock.Now()
		n, err := w.Store.ApplyUpdates(ctx, us, cursor, now, synced)
		if err != nil {
			return err
		}
		w.Log.Info("relay: status updates applied", "received", len(us), "changed", n, "cursor", cursor)
		if !rep.More {
			return nil
		}
	}
}

// housekeeping deletes personal data past retention and queues an audit
// checkpoint.
func (w *Worker) housekeeping(ctx context.Context) error {
	now, synced := w.Clock.Now()
	if w.Retention > 0 {
		n, err := w.Store.PurgePersonal(ctx, now.Add(-w.Retention), now, synced)
		if err != nil {
			return err
		}
		if n > 0 {
			w.Log.Info("relay: personal data deleted after the retention period", "reports", n, "retention", w.Retention.String())
		}
	}
	_, err := w.Store.QueueCheckpoint(ctx, now)
	return err
}

// Personal asks the central for the personal fields of a report this kiosk
// has purged; they come back sealed to this device's box key.
func (w *Worker) Personal(ctx context.Context, r *kiosk.Report) (kiosk.Reporter, string, error) {
	w.mu.Lock()
	c, box := w.client, w.keys.Box
	w.mu.Unlock()
	if c == nil {
		return kiosk.Reporter{}, "", ErrNotEnrolled
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var rep PersonalReply
	if err := c.Call(ctx, PathPersonal, PersonalRequest{ID: r.ID}, &rep); err != nil {
		return kiosk.Reporter{}, "", err
	}
	p, err := OpenPersonal(rep.Sealed, box.Private)
	if err != nil {
		return kiosk.Reporter{}, "", err
	}
	return p.Reporter, p.Description, nil
}
