package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// The officer console: what an officer of the CPC does with the reports
// filed at the kiosk. The list and the details never carry personal data;
// the reporter and the description are shown only after the officer states
// a reason, which goes into the audit trail. Every write is audited with
// the officer's username in the transaction of the change.

// Note is an officer's internal note on a report. Text is free text: the
// store seals it.
type Note struct {
	Text string    `json:"text,omitempty"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// InfoRequest asks the citizen for more information. While open (ClosedAt
// zero) the citizen sees Text at their status check. Text is sealed at rest.
type InfoRequest struct {
	Text     string    `json:"text,omitempty"`
	Lang     string    `json:"lang"` // the language Text is written in
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	ClosedBy string    `json:"closed_by,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// Open reports whether the citizen still sees the request.
func (q InfoRequest) Open() bool { return q.ClosedAt.IsZero() }

// Identity document types an officer can record as checked.
const (
	DocIDCard         = "id_card"         // the national identity card or passport of a citizen of Tajikistan
	DocPassport       = "passport"        // a passport for travel abroad or of another state
	DocDrivingLicence = "driving_licence" // a driving licence
	DocMilitaryID     = "military_id"     // a military ID
	DocOther          = "other"           // another document with a photo
)

// DocumentTypes lists the identity documents, in the order the console shows them.
var DocumentTypes = []string{DocIDCard, DocPassport, DocDrivingLicence, DocMilitaryID, DocOther}

// Purposes of an identity check.
const (
	CheckReprint = "reprint" // a receipt with a new access code
	CheckExtract = "extract" // an extract for a participant
)

// IdentityCheck is an identity document an officer checked in person before
// handing out a new access code or an extract. Number is personal data: the
// store seals it and the audit trail never holds it.
type IdentityCheck struct {
	DocumentType string    `json:"document_type"`
	Number       string    `json:"document_number,omitempty"`
	Purpose      string    `json:"purpose"`
	Extract      string    `json:"extract,omitempty"` // the extract's document id
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Limits of the officer's texts, in characters.
const (
	MaxNoteLen        = 2000
	MaxInfoRequestLen = 1000
	MaxReasonLen      = 200
	MaxDocNumberLen   = 32
	MinDocNumberLen   = 3
)

// ErrAnonymous: the report is an anonymous tip, so no person can prove it is
// theirs (a new access code is refused).
var ErrAnonymous = errors.New("an anonymous report has no reporter whose identity could be checked")

// OpenInfoRequest returns the request the citizen sees now, or nil.
func (r *Report) OpenInfoRequest() *InfoRequest {
	if n := len(r.InfoRequests); n > 0 && r.InfoRequests[n-1].Open() {
		return &r.InfoRequests[n-1]
	}
	return nil
}

// Reviewed reports whether an officer marked the report reviewed.
func (r *Report) Reviewed() bool { return !r.ReviewedAt.IsZero() }

// ReportSummary is a report as the officer's list shows it: no personal data.
type ReportSummary struct {
	Number        Number    `json:"number"`
	Category      Category  `json:"category"`
	Status        Status    `json:"status"`
	Decision      Decision  `json:"decision,omitempty"`
	Lang          string    `json:"lang"`
	CreatedAt     time.Time `json:"created_at"`
	ClockSynced   bool      `json:"clock_synced"`
	ReviewedAt    time.Time `json:"reviewed_at,omitzero"`
	InfoRequested bool      `json:"info_requested"` // a request to the citizen is open
	Anonymous     bool      `json:"anonymous"`
	Purged        bool      `json:"purged"`
	OnBehalf      bool      `json:"on_behalf"` // filed by an officer for a walk-in citizen
	Notes         int       `json:"notes"`
}

// Reviewed reports whether an officer marked the report reviewed.
func (s *ReportSummary) Reviewed() bool { return !s.ReviewedAt.IsZero() }

// Summary is r as the officer's list shows it.
func (r *Report) Summary() ReportSummary {
	return ReportSummary{Number: r.Number, Category: r.Category, Status: r.Status, Decision: r.Decision, Lang: r.Lang,
		CreatedAt: r.CreatedAt, ClockSynced: r.ClockSynced, ReviewedAt: r.ReviewedAt, InfoRequested: r.OpenInfoRequest() != nil,
		Anonymous: r.Anonymous, Purged: r.Purged, OnBehalf: r.FiledBy != "", Notes: len(r.Notes)}
}

// ReportFilter selects reports for the officer's list. Zero fields select
// everything; the list is newest first.
type ReportFilter struct {
	Status     Status    // one status, or "" for any
	Category   Category  // one category, or "" for any
	From       time.Time // created at or after; zero: no lower bound
	To         time.Time // created before; zero: no upper bound
	Unreviewed bool      // only reports no officer marked reviewed
	Offset     int       // matches skipped, newest first
	Limit      int       // at most this many returned; 0: all
}

// Days sets From and To to the whole days from and to (in Zone), both
// included; a zero day leaves that end open.
func (f *ReportFilter) Days(from, to time.Time) {
	f.From, f.To = time.Time{}, time.Time{}
	if !from.IsZero() {
		f.From = DayStart(from)
	}
	if !to.IsZero() {
		f.To = DayStart(to).AddDate(0, 0, 1)
	}
}

// Match reports whether s passes the filter (paging aside).
func (f *ReportFilter) Match(s *ReportSummary) bool {
	return (f.Status == "" || s.Status == f.Status) &&
		(f.Category == "" || s.Category == f.Category) &&
		(f.From.IsZero() || !s.CreatedAt.Before(f.From)) &&
		(f.To.IsZero() || s.CreatedAt.Before(f.To)) &&
		(!f.Unreviewed || s.ReviewedAt.IsZero())
}

// Validate checks the filter's values.
func (f *ReportFilter) Validate() error {
	var v ValidationError
	if f.Status != "" && !f.Status.Valid() {
		v.add("status", "invalid", "unknown status")
	}
	if f.Category != "" && !f.Category.Valid() {
		v.add("category", "invalid", "unknown category")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.add("to", "before_from", "the last day is before the first")
	}
	if f.Offset < 0 {
		v.add("offset", "invalid", "the offset is negative")
	}
	if f.Limit < 0 {
		v.add("limit", "invalid", "the limit is negative")
	}
	return v.orNil()
}

// ReportLister lists report summaries for the officer without decoding a
// report (the store keeps an index).
type ReportLister interface {
	// ReportSummaries returns the summaries matching f, newest first,
	// within f.Offset and f.Limit, and how many match in all.
	ReportSummaries(ctx context.Context, f ReportFilter) ([]ReportSummary, int, error)
}

// ReceiptReissuer replaces a report's access code and queues the receipt
// with the new one in a single transaction.
type ReceiptReissuer interface {
	// UpdateReportPrint applies fn to the stored report, writes it back and
	// queues job for it (job.ID and job.ReportID are set), with audit, in
	// one transaction. fn may run more than once.
	UpdateReportPrint(ctx context.Context, id string, fn func(*Report) error, job *PrintJob, audit AuditEntry) error
}

// OfficerStore is the store as the officer console needs it.
type OfficerStore interface {
	Store
	ReportLister
	ReceiptReissuer
}

// Officer is the officer console's domain logic. Every method checks that
// the actor is an officer (ErrForbidden otherwise).
type Officer struct {
	store OfficerStore
	clock *TrustedClock
	svc   *Service
	log   *slog.Logger
}

// NewOfficer returns the officer service. svc files reports on behalf of
// citizens and prints receipts and extracts as it is configured to. log may
// be nil.
func NewOfficer(store OfficerStore, clock *TrustedClock, svc *Service, log *slog.Logger) *Officer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Officer{store: store, clock: clock, svc: svc, log: log}
}

// mayActAsOfficer refuses with ErrForbidden anyone but an officer.
func (a Actor) mayActAsOfficer(op string) error {
	if !ValidUsername(a.Username) || a.Role != RoleOfficer {
		return fmt.Errorf("%s: user %q with role %q: %w", op, a.Username, a.Role, ErrForbidden)
	}
	return nil
}

func (o *Officer) audit(by Actor, now time.Time, synced bool, action, record, detail string) AuditEntry {
	return AuditEntry{At: now, Synced: synced, Actor: by.Username, Action: action, Record: record, Detail: detail}
}

// List returns the reports matching f, newest first, without personal data,
// and how many match in all.
func (o *Officer) List(ctx context.Context, by Actor, f ReportFilter) ([]ReportSummary, int, error) {
	if err := by.mayActAsOfficer("list reports"); err != nil {
		return nil, 0, err
	}
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	out, n, err := o.store.ReportSummaries(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list reports: %w", err)
	}
	return out, n, nil
}

// withoutPersonal clears what an officer sees only after stating a reason,
// and the access code's hash.
func withoutPersonal(r *Report) *Report {
	r.Reporter, r.Incident.Description, r.AccessHash = Reporter{}, "", ""
	r.IdentityChecks = slices.Clone(r.IdentityChecks)
	for k := range r.IdentityChecks {
		r.IdentityChecks[k].Number = ""
	}
	return r
}

func (o *Officer) get(ctx context.Context, op, number string) (*Report, error) {
	n, err := ParseNumber(number)
	if err != nil {
		return nil, err
	}
	r, err := o.store.ReportByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, n, err)
	}
	return r, nil
}

// Details returns the report with that number without its personal data:
// no reporter, no description, no document numbers, no access hash.
func (o *Officer) Details(ctx context.Context, by Actor, number string) (*Report, error) {
	if err := by.mayActAsOfficer("report details"); err != nil {
		return nil, err
	}
	r, err := o.get(ctx, "report details", number)
	if err != nil {
		return nil, err
	}
	return withoutPersonal(r), nil
}

// Personal is what RevealPersonal shows: the reporter, the description and
// the numbers of the documents checked.
type Personal struct {
	Reporter    Reporter        `json:"reporter"`
	Description string          `json:"description"`
	Checks      []IdentityCheck `json:"identity_checks,omitempty"`
	// FromCentral: the kiosk had deleted them after the retention period;
	// they came back from the central for this view.
	FromCentral bool `json:"from_central,omitempty"`
}

// CheckReason checks and normalises the reason an officer gives for seeing
// personal data: required, one line, at most MaxReasonLen characters.
func CheckReason(reason string) (string, error) {
	var v ValidationError
	reason = cleanText(&v, "reason", reason, MaxReasonLen, false)
	if reason == "" && !v.has("reason") {
		v.add("reason", "required", "say why you need to see the personal data")
	}
	return reason, v.orNil()
}

// RevealPersonal returns the personal data of a report after the officer
// stated why they need it. The reason is recorded in the audit trail
// (report.view_personal) before anything is returned. A report whose
// personal data was deleted here after the retention period is asked of
// the central (ErrCentralNeeded when it cannot be reached).
func (o *Officer) RevealPersonal(ctx context.Context, by Actor, number, reason string) (*Report, *Personal, error) {
	if err := by.mayActAsOfficer("show personal data"); err != nil {
		return nil, nil, err
	}
	reason, err := CheckReason(reason)
	if err != nil {
		return nil, nil, err
	}
	r, err := o.get(ctx, "show personal data", number)
	if err != nil {
		return nil, nil, err
	}
	p := &Personal{Checks: slices.Clone(r.IdentityChecks)}
	if r.Purged {
		if err := o.svc.restorePersonal(ctx, r); err != nil {
			return nil, nil, err
		}
		p.FromCentral = true
	}
	p.Reporter, p.Description = r.Reporter, r.Incident.Description
	now, synced := o.clock.Now()
	if err := o.store.AppendAudit(ctx, o.audit(by, now, synced, "report.view_personal", r.ID, reason)); err != nil {
		return nil, nil, fmt.Errorf("show personal data of %s: %w", r.Number, err)
	}
	o.log.Info("personal data shown", "number", r.Number.String(), "user", by.Username)
	return withoutPersonal(r), p, nil
}

// update applies fn to the report with that number, audited as action by
// the officer in the same transaction, and returns the report as stored
// after it, without personal data.
func (o *Officer) update(ctx context.Context, by Actor, op, number, action, detail string, fn func(r *Report, now time.Time) error) (*Report, error) {
	if err := by.mayActAsOfficer(op); err != nil {
		return nil, err
	}
	r, err := o.get(ctx, op, number)
	if err != nil {
		return nil, err
	}
	now, synced := o.clock.Now()
	var out *Report
	err = o.store.UpdateReport(ctx, r.ID, func(r *Report) error {
		if err := fn(r, now); err != nil {
			return err
		}
		c := *r
		out = &c
		return nil
	}, o.audit(by, now, synced, action, r.ID, detail))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, r.Number, err)
	}
	return withoutPersonal(out), nil
}

// AddNote adds an internal note to the report (report.note; the text is not
// in the audit trail).
func (o *Officer) AddNote(ctx context.Context, by Actor, number, text string) (*Report, error) {
	var v ValidationError
	text = cleanText(&v, "text", text, MaxNoteLen, true)
	if text == "" && !v.has("text") {
		v.add("text", "required", "write the note")
	}
	if err := v.orNil(); err != nil {
		return nil, err
	}
	return o.update(ctx, by, "add note", number, "report.note", "", func(r *Report, now time.Time) error {
		r.Notes = append(slices.Clip(r.Notes), Note{Text: text, By: by.Username, At: now})
		return nil
	})
}

// MarkReviewed records that the officer reviewed the report. A report
// already reviewed keeps who and when it was first (and nothing is written).
func (o *Officer) MarkReviewed(ctx context.Context, by Actor, number string) (*Report, error) {
	if err := by.mayActAsOfficer("mark reviewed"); err != nil {
		return nil, err
	}
	r, err := o.get(ctx, "mark reviewed", number)
	if err != nil {
		return nil, err
	}
	if r.Reviewed() {
		return withoutPersonal(r), nil
	}
	return o.update(ctx, by, "mark reviewed", number, "report.review", "", func(r *Report, now time.Time) error {
		if r.ReviewedAt.IsZero() {
			r.ReviewedAt, r.ReviewedBy = now, by.Username
		}
		return nil
	})
}

// RequestInfo asks the citizen for more information: text, in lang (the
// report's language when empty), is shown at their status check until the
// request is closed. A request still open is closed by the new one.
func (o *Officer) RequestInfo(ctx context.Context, by Actor, number, text, lang string) (*Report, error) {
	var v ValidationError
	text = cleanText(&v, "text", text, MaxInfoRequestLen, true)
	if text == "" && !v.has("text") {
		v.add("text", "required", "write what the citizen should bring or tell")
	}
	if lang != "" && !slices.Contains(Languages, lang) {
		v.add("lang", "invalid", "language must be one of tg, ru, uz, en")
	}
	if err := v.orNil(); err != nil {
		return nil, err
	}
	detail := lang
	return o.update(ctx, by, "request information", number, "report.info_request", detail, func(r *Report, now time.Time) error {
		l := lang
		if l == "" {
			l = r.Lang
		}
		r.InfoRequests = slices.Clone(r.InfoRequests)
		if q := r.OpenInfoRequest(); q != nil {
			q.ClosedAt, q.ClosedBy = now, by.Username
		}
		r.InfoRequests = append(r.InfoRequests, InfoRequest{Text: text, Lang: l, By: by.Username, At: now})
		return nil
	})
}

// ErrNoInfoRequest: the report has no open request for information.
var ErrNoInfoRequest = errors.New("no open request for information")

// CloseInfoRequest closes the open request (the citizen brought what was
// asked): their status check no longer shows it.
func (o *Officer) CloseInfoRequest(ctx context.Context, by Actor, number string) (*Report, error) {
	return o.update(ctx, by, "close information request", number, "report.info_request_closed", "", func(r *Report, now time.Time) error {
		r.InfoRequests = slices.Clone(r.InfoRequests)
		q := r.OpenInfoRequest()
		if q == nil {
			return ErrNoInfoRequest
		}
		q.ClosedAt, q.ClosedBy = now, by.Username
		return nil
	})
}

// FileOnBehalf files a report for a walk-in citizen, with the citizen
// wizard's rules (NewReport.Validate). It is audited as report.create by the
// officer, and its receipt with the access code is printed as for any
// report.
func (o *Officer) FileOnBehalf(ctx context.Context, by Actor, in NewReport) (*Created, error) {
	if err := by.mayActAsOfficer("file a report on behalf"); err != nil {
		return nil, err
	}
	return o.svc.create(ctx, in, by.Username)
}

// CheckIdentity checks and normalises the document an officer checked:
// a known type and a number of letters, digits, spaces, '-' and '/'.
func CheckIdentity(docType, number string) (string, string, error) {
	var v ValidationError
	if docType == "" {
		v.add("document_type", "required", "choose the document you checked")
	} else if !slices.Contains(DocumentTypes, docType) {
		v.add("document_type", "invalid", "unknown document type")
	}
	number = strings.ToUpper(cleanText(&v, "document_number", number, MaxDocNumberLen, false))
	switch {
	case v.has("document_number"):
	case number == "":
		v.add("document_number", "required", "enter the document's number")
	case len([]rune(number)) < MinDocNumberLen || !isIDNumber(number):
		v.add("document_number", "invalid", "use the letters and digits of the document's number")
	}
	return docType, number, v.orNil()
}

// ReprintReceipt prints the receipt of a report again for the person who
// filed it, after the officer checked their identity document. The old
// access code is only stored hashed, so a new one is issued: its hash
// replaces the old (which stops working), the document checked is recorded
// (its number sealed) and the receipt with the new code is queued, with
// audit receipt.reissue, in one transaction. Anonymous tips are refused
// (ErrAnonymous): nobody can prove one is theirs.
// The result holds the report (without personal data), the new code (in
// clear only there and on the printed receipt) and the print job.
func (o *Officer) ReprintReceipt(ctx context.Context, by Actor, number, docType, docNumber string) (*Created, error) {
	if err := by.mayActAsOfficer("reprint receipt"); err != nil {
		return nil, err
	}
	docType, docNumber, err := CheckIdentity(docType, docNumber)
	if err != nil {
		return nil, err
	}
	if o.svc.prints == nil {
		return nil, fmt.Errorf("reprint receipt: %w", ErrNoPrinter)
	}
	r, err := o.get(ctx, "reprint receipt", number)
	if err != nil {
		return nil, err
	}
	if r.Anonymous {
		return nil, fmt.Errorf("reprint receipt %s: %w", r.Number, ErrAnonymous)
	}
	code, err := NewAccessCode()
	if err != nil {
		return nil, fmt.Errorf("reprint receipt: %w", err)
	}
	hash, err := HashAccessCode(code)
	if err != nil {
		return nil, fmt.Errorf("reprint receipt: %w", err)
	}
	now, synced := o.clock.Now()
	job := &PrintJob{ReportID: r.ID, State: JobQueued, Queued: now, AccessCode: code, Copy: true}
	audit := o.audit(by, now, synced, "receipt.reissue", r.ID, "new access code; identity checked: "+docType)
	var out *Report
	err = o.store.UpdateReportPrint(ctx, r.ID, func(r *Report) error {
		if r.Anonymous {
			return ErrAnonymous
		}
		r.AccessHash = hash
		r.IdentityChecks = append(slices.Clip(r.IdentityChecks), IdentityCheck{DocumentType: docType, Number: docNumber,
			Purpose: CheckReprint, By: by.Username, At: now})
		c := *r
		out = &c
		return nil
	}, job, audit)
	if err != nil {
		return nil, fmt.Errorf("reprint receipt %s: %w", r.Number, err)
	}
	o.svc.prints.Kick()
	o.log.Info("receipt reissued with a new access code", "number", r.Number.String(), "user", by.Username)
	return &Created{Report: withoutPersonal(out), AccessCode: code, ReceiptJob: job.ID}, nil
}

// PrintExtract issues and prints the extract of a report, with the
// reporter's details, for a participant whose identity document the officer
// checked in person. The document is recorded in the report (its number
// sealed) with audit extract.issue in one transaction before the extract
// is printed; the print is audited as extract.print. lang is the extract's
// language (the report's when empty).
func (o *Officer) PrintExtract(ctx context.Context, by Actor, number, docType, docNumber, lang string) (*PrintedExtract, error) {
	if err := by.mayActAsOfficer("print extract"); err != nil {
		return nil, err
	}
	docType, docNumber, err := CheckIdentity(docType, docNumber)
	if err != nil {
		return nil, err
	}
	if lang != "" && !slices.Contains(Languages, lang) {
		return nil, &ValidationError{Fields: []FieldError{{Field: "lang", Code: "invalid", Message: "language must be one of tg, ru, uz, en"}}}
	}
	if o.svc.extracts == nil || o.svc.extractPrinter == nil {
		return nil, ErrNoExtracts
	}
	r, err := o.get(ctx, "print extract", number)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = r.Lang
	}
	if r.Purged {
		if err := o.svc.restorePersonal(ctx, r); err != nil {
			return nil, err
		}
	}
	docID, err := NewUUID()
	if err != nil {
		return nil, fmt.Errorf("print extract: %w", err)
	}
	now, synced := o.clock.Now()
	pdf, err := o.svc.extracts.RenderExtract(ctx, r, docID, now, lang, true)
	if err != nil {
		return nil, fmt.Errorf("print extract of %s: %w", r.Number, err)
	}
	audit := o.audit(by, now, synced, "extract.issue", r.ID, "document "+docID+" for a participant; identity checked: "+docType)
	err = o.store.UpdateReport(ctx, r.ID, func(r *Report) error {
		r.IdentityChecks = append(slices.Clip(r.IdentityChecks), IdentityCheck{DocumentType: docType, Number: docNumber,
			Purpose: CheckExtract, Extract: docID, By: by.Username, At: now})
		return nil
	}, audit)
	if err != nil {
		return nil, fmt.Errorf("print extract of %s: %w", r.Number, err)
	}
	x := &Extract{DocumentID: docID, Number: r.Number.String(), ReportID: r.ID, PDF: pdf}
	where, job, err := o.svc.extractPrinter.PrintExtract(ctx, x)
	if err != nil {
		return nil, fmt.Errorf("print extract %s: %w", docID, err)
	}
	now, synced = o.clock.Now()
	err = o.store.AppendAudit(ctx, o.audit(by, now, synced, "extract.print", r.ID,
		fmt.Sprintf("document %s on %s, job %s", docID, where, job)))
	if err != nil {
		return nil, fmt.Errorf("print extract %s: %w", docID, err)
	}
	o.log.Info("extract printed for a participant", "number", r.Number.String(), "document", docID, "user", by.Username)
	return &PrintedExtract{Extract: x, Printer: where, Job: job}, nil
}

// Printing reports whether this kiosk can print receipts (for a reprint)
// and extracts.
func (o *Officer) Printing() (receipts, extracts bool) {
	return o.svc.prints != nil, o.svc.extracts != nil && o.svc.extractPrinter != nil
}

// Now is the kiosk's trusted time and whether it is synchronised.
func (o *Officer) Now() (time.Time, bool) { return o.clock.Now() }
