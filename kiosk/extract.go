package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrNoExtracts: this kiosk cannot make extracts (no renderer configured).
var ErrNoExtracts = errors.New("extracts are not available on this kiosk")

// ErrNoPrinter: no printer here can take this document.
var ErrNoPrinter = errors.New("no printer can take this document")

// ExtractRenderer makes the stamped, signed PDF extract of a report.
// withPersonal says whether the requester is entitled to the reporter's
// details (the reporter themself, or a participant whose identity an officer
// checked).
type ExtractRenderer interface {
	RenderExtract(ctx context.Context, r *Report, docID string, issued time.Time, lang string, withPersonal bool) ([]byte, error)
}

// Extract is an issued extract.
type Extract struct {
	DocumentID string
	Number     string
	ReportID   string
	PDF        []byte
}

// UseExtracts lets the service issue extracts with r. Call before serving.
func (s *Service) UseExtracts(r ExtractRenderer) { s.extracts = r }

// IssueExtract returns the extract of the report with that number to a
// citizen holding its access code, in lang (the report's language when
// empty). The same limits as Lookup apply. Every extract issued is recorded
// in the audit trail with its document id before it is handed out.
func (s *Service) IssueExtract(ctx context.Context, number, code, client, lang string) (*Extract, error) {
	if s.extracts == nil {
		return nil, ErrNoExtracts
	}
	if lang != "" && !slices.Contains(Languages, lang) {
		return nil, &ValidationError{Fields: []FieldError{{Field: "lang", Code: "invalid", Message: "language must be one of tg, ru, uz, en"}}}
	}
	r, err := s.Lookup(ctx, number, code, client)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = r.Lang
	}
	if r.Purged {
		if err := s.restorePersonal(ctx, r); err != nil {
			return nil, err
		}
	}
	docID, err := NewUUID()
	if err != nil {
		return nil, fmt.Errorf("issue extract: %w", err)
	}
	now, synced := s.clock.Now()
	pdf, err := s.extracts.RenderExtract(ctx, r, docID, now, lang, true)
	if err != nil {
		return nil, fmt.Errorf("issue extract of %s: %w", r.Number, err)
	}
	audit := AuditEntry{At: now, Synced: synced, Actor: "citizen", Action: "extract.issue", Record: r.ID, Detail: "document " + docID}
	if err := s.store.AppendAudit(ctx, audit); err != nil {
		return nil, fmt.Errorf("issue extract of %s: %w", r.Number, err)
	}
	s.log.Info("extract issued", "number", r.Number.String(), "document", docID)
	return &Extract{DocumentID: docID, Number: r.Number.String(), ReportID: r.ID, PDF: pdf}, nil
}

// PersonalSource gives back the personal details of a report this kiosk no
// longer keeps (the relay asks the central).
type PersonalSource interface {
	Personal(ctx context.Context, r *Report) (Reporter, string, error)
}

// UsePersonalSource lets extracts of purged reports fetch their personal
// details from p. Call before serving.
func (s *Service) UsePersonalSource(p PersonalSource) { s.personal = p }

func (s *Service) restorePersonal(ctx context.Context, r *Report) error {
	if s.personal == nil {
		return fmt.Errorf("extract of %s: %w", r.Number, ErrCentralNeeded)
	}
	rep, desc, err := s.personal.Personal(ctx, r)
	if err != nil {
		s.log.Warn("personal details from the central unavailable", "number", r.Number.String(), "err", err)
		return fmt.Errorf("extract of %s: %v: %w", r.Number, err, ErrCentralNeeded)
	}
	r.Reporter, r.Incident.Description = rep, desc
	return nil
}

// ExtractPrinter puts an issued extract on paper: the A4 printer when there
// is one, else the short form on the receipt printer. It returns which
// printer took it and the job's id there.
type ExtractPrinter interface {
	PrintExtract(ctx context.Context, x *Extract) (printer, job string, err error)
}

// UseExtractPrinter lets the service print extracts with p. Call before serving.
func (s *Service) UseExtractPrinter(p ExtractPrinter) { s.extractPrinter = p }

// PrintedExtract is an extract that was issued and sent to a printer.
type PrintedExtract struct {
	*Extract
	Printer string // "a4" or "receipt"
	Job     string
}

// PrintExtract issues the extract as IssueExtract does and prints it on
// site. The print is recorded in the audit trail too.
func (s *Service) PrintExtract(ctx context.Context, number, code, client, lang string) (*PrintedExtract, error) {
	if s.extractPrinter == nil {
		return nil, ErrNoExtracts
	}
	x, err := s.IssueExtract(ctx, number, code, client, lang)
	if err != nil {
		return nil, err
	}
	where, job, err := s.extractPrinter.PrintExtract(ctx, x)
	if err != nil {
		return nil, fmt.Errorf("print extract %s: %w", x.DocumentID, err)
	}
	now, synced := s.clock.Now()
	audit := AuditEntry{At: now, Synced: synced, Actor: "citizen", Action: "extract.print", Record: x.ReportID,
		Detail: fmt.Sprintf("document %s on %s, job %s", x.DocumentID, where, job)}
	if err := s.store.AppendAudit(ctx, audit); err != nil {
		return nil, fmt.Errorf("print extract %s: %w", x.DocumentID, err)
	}
	return &PrintedExtract{Extract: x, Printer: where, Job: job}, nil
}
