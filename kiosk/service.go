package kiosk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Lookup limits (DESIGN 3.1): 5 wrong codes for one number within 15 minutes,
// and a wider limit per client so one person cannot sweep many numbers.
const (
	NumberFailures = 5
	ClientFailures = 20
	FailureWindow  = 15 * time.Minute
)

// Config is what the service needs to know about its kiosk.
type Config struct {
	CPC   string // three capital Latin letters
	Kiosk int    // 1-9
	// Training makes this the service of training mode: its reports are
	// numbered in the T series (Number.Training). It must be given a store
	// of its own that is never relayed (store.Options.Training).
	Training bool
}

// Service is the citizen-facing domain logic: it validates, numbers and
// commits reports and answers lookups with an access code.
type Service struct {
	store    Store
	clock    *TrustedClock
	cfg      Config
	log      *slog.Logger
	byNum    *Limiter
	byClient *Limiter
	prints   *PrintQueue
	extracts ExtractRenderer
	// extractPrinter is where printed extracts go.
	extractPrinter ExtractPrinter
	personal       PersonalSource
	spaceGuard     func() error
}

// UseSpaceGuard makes Create call guard before committing; an error from it
// refuses the report with ErrStorageFull. Call before serving.
func (s *Service) UseSpaceGuard(guard func() error) { s.spaceGuard = guard }

// UsePrintQueue makes every new report queue its receipt in q, committed in
// the same transaction as the report. Call it before serving.
func (s *Service) UsePrintQueue(q *PrintQueue) { s.prints = q }

// NewService checks cfg and returns a service. log may be nil.
func NewService(store Store, clock *TrustedClock, cfg Config, log *slog.Logger) (*Service, error) {
	if !ValidCPC(cfg.CPC) {
		return nil, fmt.Errorf("kiosk config: centre code %q is not three capital Latin letters", cfg.CPC)
	}
	if cfg.Kiosk < 1 || cfg.Kiosk > 9 {
		return nil, fmt.Errorf("kiosk config: kiosk number %d is not 1-9", cfg.Kiosk)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store: store, clock: clock, cfg: cfg, log: log,
		byNum:    NewLimiter(NumberFailures, FailureWindow),
		byClient: NewLimiter(ClientFailures, FailureWindow),
	}, nil
}

// Created is the result of a successful submission: the committed report and
// the access code, which exists in clear only here.
type Created struct {
	Report     *Report
	AccessCode string
	ReceiptJob uint64 // 0 when no print queue is in use
}

// Create validates a submission, gives it a number and access code and
// commits it durably. It returns *ValidationError for bad input and an error
// wrapping ErrUnavailable when the store cannot commit.
func (s *Service) Create(ctx context.Context, in NewReport) (*Created, error) {
	return s.create(ctx, in, "")
}

// create is Create; filedBy is the officer filing the report for a walk-in
// citizen (the audit's actor), "" for the citizen at the kiosk.
func (s *Service) create(ctx context.Context, in NewReport, filedBy string) (*Created, error) {
	now, synced := s.clock.Now()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	if s.spaceGuard != nil {
		if err := s.spaceGuard(); err != nil {
			s.log.Error("report refused: disk space below the reserve", "err", err)
			return nil, fmt.Errorf("create report: %v: %w", err, ErrStorageFull)
		}
	}
	code, err := NewAccessCode()
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	hash, err := HashAccessCode(code)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	id, err := NewUUID()
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	r := &Report{
		ID:          id,
		Number:      Number{CPC: s.cfg.CPC, Kiosk: s.cfg.Kiosk, Year: now.In(Zone).Year() % 100, Training: s.cfg.Training},
		Category:    in.Category,
		Lang:        in.Lang,
		Anonymous:   in.Anonymous,
		Reporter:    in.Reporter,
		Incident:    in.Incident,
		Status:      StatusReceived,
		History:     []Event{{Status: StatusReceived, At: now}},
		CreatedAt:   now,
		ClockSynced: synced,
		AccessHash:  hash,
		FiledBy:     filedBy,
	}
	audit := AuditEntry{At: now, Synced: synced, Actor: "citizen", Action: "report.create", Record: id,
		Detail: string(in.Category)}
	if filedBy != "" {
		audit.Actor, audit.Detail = filedBy, audit.Detail+"; on behalf of a walk-in citizen"
	}
	var job *PrintJob
	if s.prints != nil {
		job = &PrintJob{State: JobQueued, Queued: now, AccessCode: code}
	}
	if err := s.store.CreateReport(ctx, r, audit, job); err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	created := &Created{Report: r, AccessCode: code}
	if job != nil {
		created.ReceiptJob = job.ID
		s.prints.Kick()
	}
	s.log.Info("report created", "id", id, "number", r.Number.String(), "category", string(r.Category),
		"clock_synced", synced, "on_behalf", filedBy != "")
	return created, nil
}

// Lookup returns the report with that number if code is its access code.
// An unknown number and a wrong code give the same ErrNotFound after the same
// work; after too many failures for the number or the client it returns
// ErrRateLimited, even for the right code. A malformed number or wrong check
// digit gives ErrInvalidNumber without touching the store.
func (s *Service) Lookup(ctx context.Context, number, code, client string) (*Report, error) {
	n, err := ParseNumber(number)
	if err != nil {
		return nil, err
	}
	now, _ := s.clock.Now()
	nkey, ckey := n.String(), client
	if s.byNum.Limited(nkey, now) || s.byClient.Limited(ckey, now) {
		return nil, fmt.Errorf("lookup %s: %w", nkey, ErrRateLimited)
	}
	norm, okCode := NormalizeAccessCode(code)
	r, err := s.store.ReportByNumber(ctx, n)
	switch {
	case errors.Is(err, ErrNotFound):
		CheckAccessCode(dummyHash, norm) // same work as a wrong code
	case err != nil:
		return nil, fmt.Errorf("lookup %s: %w", nkey, err)
	case okCode && CheckAccessCode(r.AccessHash, norm):
		s.byNum.Reset(nkey)
		return r, nil
	default:
		CheckAccessCode(dummyHash, norm) // a malformed code costs the same too
	}
	s.byNum.Fail(nkey, now)
	s.byClient.Fail(ckey, now)
	s.log.Info("lookup refused", "number", nkey)
	return nil, fmt.Errorf("lookup %s: %w", nkey, ErrNotFound)
}

// ChangeStatus moves a report to a new status with an audit entry by actor.
// caseNumber, when not empty, records the central's case number.
func (s *Service) ChangeStatus(ctx context.Context, id string, to Status, d Decision, note, caseNumber, actor string) error {
	now, synced := s.clock.Now()
	audit := AuditEntry{At: now, Synced: synced, Actor: actor, Action: "report.status", Record: id,
		Detail: string(to)}
	err := s.store.UpdateReport(ctx, id, func(r *Report) error {
		if err := r.Transition(to, d, note, now); err != nil {
			return err
		}
		if caseNumber != "" {
			r.CaseNumber = caseNumber
		}
		return nil
	}, audit)
	if err != nil {
		return fmt.Errorf("change status of %s: %w", id, err)
	}
	return nil
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// Audit writes one audit entry of a staff action that changes no record
// (a login ended, a page of personal data shown) at the trusted time.
func (s *Service) Audit(ctx context.Context, actor, action, record, detail string) error {
	now, synced := s.clock.Now()
	e := AuditEntry{At: now, Synced: synced, Actor: actor, Action: action, Record: record, Detail: detail}
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
