package extract

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Extract is the content of one extract: everything that is printed and
// everything the signature covers (through the canonical encoding). The kiosk
// maps its domain report into it with FromReport (fromkiosk.go); the rest of
// this package knows nothing of the domain.
type Extract struct {
	DocumentID  string    // UUID of the report, canonical lower-case 8-4-4-4-12 form
	Number      string    // registration number, e.g. ISF1-26-000123-4
	IssuedAt    time.Time // when the extract was made (trusted clock); kept to the second, UTC
	Lang        string    // tg, ru, uz or en: the requester's language
	Ministry    string    // configured ministry name, printed in the header
	Centre      string    // configured centre (CPC) name, printed in the header and on the stamp
	Category    string    // category code, see Categories
	CreatedAt   time.Time // when the report was received
	ClockSynced bool      // whether CreatedAt came from a synchronised clock
	Anonymous   bool
	Reporter    *Person // nil when the requester is not entitled to see it (or anonymous)
	Incident    Incident
	History     []Event
	Decision    string // case_opened, refused, transferred or ""
	CaseNumber  string
}

// Person is the reporter as printed on the extract.
type Person struct {
	FullName string
	Phone    string
	IDNumber string
	Address  string
}

// Incident is what the report says happened.
type Incident struct {
	OccurredAt  *time.Time
	Place       string
	Description string
}

// Event is one step of the status history.
type Event struct {
	Status string // see Statuses
	At     time.Time
	Note   string
}

// Categories are the report category codes, as in the kiosk API.
var Categories = []string{
	"theft", "robbery", "assault", "fraud", "domestic_violence", "missing_person",
	"lost_documents", "drugs", "traffic", "corruption", "other",
}

// Statuses are the report status codes, in the order a report moves through them.
var Statuses = []string{"received", "relayed", "registered", "under_review", "decided", "closed"}

// Decisions are the decision codes a "decided" report carries.
var Decisions = []string{"case_opened", "refused", "transferred"}

// Languages are the languages an extract can be printed in.
var Languages = []string{"tg", "ru", "uz", "en"}

// ErrInvalidExtract is wrapped by every error of Extract.Validate.
var ErrInvalidExtract = errors.New("invalid extract")

var (
	// numberRe is a registration number; a T before the sequence marks a
	// record of training mode (kiosk.Number.Training).
	numberRe = regexp.MustCompile(`^[A-Z]{3}[1-9]-[0-9]{2}-T?[0-9]{6}-[0-9]$`)
	uuidRe   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// TrainingMark is printed on every extract of a training record: a
// diagonal mark across each page of the PDF, a line under its title and
// at the top and bottom of the short form.
const TrainingMark = "ОМӮЗИШӢ / TRAINING"

// IsTrainingNumber reports whether number is of the T series of training
// mode: such a record is not real and was never sent to the central.
func IsTrainingNumber(number string) bool {
	return numberRe.MatchString(number) && strings.Contains(number, "-T")
}

// Training reports whether e is of a training record.
func (e *Extract) Training() bool { return IsTrainingNumber(e.Number) }

// maxText bounds each free-text field so that a PDF and its embedded content
// stay small; the kiosk API already limits a description to 5000 characters.
const maxText = 8000

// Validate checks that e can be encoded, signed and printed. It does not check
// the registration number's check digit: that is the domain's job.
func (e *Extract) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidExtract, field, fmt.Sprintf(format, args...))
	}
	if !uuidRe.MatchString(e.DocumentID) {
		return bad("document id", "want a lower-case UUID, got %q", e.DocumentID)
	}
	if !numberRe.MatchString(e.Number) {
		return bad("number", "want CCCK-YY-NNNNNN-C, got %q", e.Number)
	}
	if e.IssuedAt.IsZero() || e.IssuedAt.Unix() < 0 {
		return bad("issued at", "missing or before 1970")
	}
	if e.CreatedAt.IsZero() || e.CreatedAt.Unix() < 0 {
		return bad("created at", "missing or before 1970")
	}
	if !slices.Contains(Languages, e.Lang) {
		return bad("lang", "unknown language %q", e.Lang)
	}
	if !slices.Contains(Categories, e.Category) {
		return bad("category", "unknown category %q", e.Category)
	}
	if e.Decision != "" && !slices.Contains(Decisions, e.Decision) {
		return bad("decision", "unknown decision %q", e.Decision)
	}
	if e.Anonymous && e.Reporter != nil {
		return bad("reporter", "an anonymous report has no reporter")
	}
	for i, h := range e.History {
		if !slices.Contains(Statuses, h.Status) {
			return bad("history", "event %d: unknown status %q", i, h.Status)
		}
		if h.At.IsZero() || h.At.Unix() < 0 {
			return bad("history", "event %d: missing time", i)
		}
	}
	texts := map[string]string{
		"ministry": e.Ministry, "centre": e.Centre, "place": e.Incident.Place,
		"description": e.Incident.Description, "case number": e.CaseNumber,
	}
	if e.Reporter != nil {
		texts["full name"] = e.Reporter.FullName
		texts["phone"] = e.Reporter.Phone
		texts["id number"] = e.Reporter.IDNumber
		texts["address"] = e.Reporter.Address
	}
	for i, h := range e.History {
		texts[fmt.Sprintf("history %d note", i)] = h.Note
	}
	for name, s := range texts {
		if !utf8.ValidString(s) {
			return bad(name, "not valid UTF-8")
		}
		if utf8.RuneCountInString(s) > maxText {
			return bad(name, "longer than %d characters", maxText)
		}
	}
	return nil
}

// status returns the current status: the last event of the history.
func (e *Extract) status() string {
	if len(e.History) == 0 {
		return ""
	}
	return e.History[len(e.History)-1].Status
}
