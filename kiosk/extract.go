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
	return &Extract{DocumentID: docID, Number: r.Number.String(), PDF: pdf}, nil
}
