package kiosk

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Category is what a report is about.
type Category string

// Categories, in the order the touch screen shows them.
var Categories = []Category{
	"theft", "robbery", "assault", "fraud", "domestic_violence", "missing_person",
	"lost_documents", "drugs", "traffic", "corruption", "other",
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// Languages the appliance speaks; the first is the default.
var Languages = []string{"tg", "ru", "uz", "en"}

// Status is where a report stands.
type Status string

// Statuses, in the order a report moves through them.
const (
	StatusReceived    Status = "received"
	StatusRelayed     Status = "relayed"
	StatusRegistered  Status = "registered"
	StatusUnderReview Status = "under_review"
	StatusDecided     Status = "decided"
	StatusClosed      Status = "closed"
)

var statusOrder = []Status{StatusReceived, StatusRelayed, StatusRegistered, StatusUnderReview, StatusDecided, StatusClosed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(statusOrder, s) }

// Decision is the outcome carried by StatusDecided.
type Decision string

// Decisions.
const (
	DecisionCaseOpened  Decision = "case_opened"
	DecisionRefused     Decision = "refused"
	DecisionTransferred Decision = "transferred"
)

// Valid reports whether d is a known decision.
func (d Decision) Valid() bool {
	return d == DecisionCaseOpened || d == DecisionRefused || d == DecisionTransferred
}

// CanTransition reports whether a report may move from one status to another.
// Reports only move forward (the central may skip steps it has no news for);
// closed is final.
func CanTransition(from, to Status) bool {
	i, j := slices.Index(statusOrder, from), slices.Index(statusOrder, to)
	return i >= 0 && j > i
}

// Reporter holds the personal details of the person who reports. Every field
// is personal data: encrypted at rest and never logged.
type Reporter struct {
	FullName string `json:"full_name"`
	Phone    string `json:"phone"`
	IDNumber string `json:"id_number"`
	Address  string `json:"address"`
}

// Incident is what happened, where and when. Description is personal data.
type Incident struct {
	OccurredAt  string `json:"occurred_at"` // RFC 3339, optional
	Place       string `json:"place"`
	Description string `json:"description"`
}

// NewReport is a citizen's submission as received (DESIGN 3.3).
type NewReport struct {
	Category  Category `json:"category"`
	Lang      string   `json:"lang"`
	Anonymous bool     `json:"anonymous"`
	Reporter  Reporter `json:"reporter"`
	Incident  Incident `json:"incident"`
}

// Event is one entry of a report's status history.
type Event struct {
	Status   Status    `json:"status"`
	Decision Decision  `json:"decision,omitempty"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
}

// Report is a registered report.
type Report struct {
	ID          string    // UUID, the idempotency key towards the central
	Number      Number    // assigned by the Store inside the commit
	Category    Category  //
	Lang        string    //
	Anonymous   bool      //
	Reporter    Reporter  // personal
	Incident    Incident  // Description is personal
	Status      Status    //
	Decision    Decision  //
	CaseNumber  string    // assigned by the central
	History     []Event   //
	CreatedAt   time.Time // from the trusted clock
	ClockSynced bool      // false: CreatedAt came from an unsynchronised clock
	AccessHash  string    // salted slow hash of the access code
	AckedAt     time.Time // when the central acknowledged it; zero before
	// Purged: the personal fields were deleted here after the central had
	// kept them for the retention period; Reporter and Description are empty.
	Purged bool

	// The CPC's own work on the report (the officer console, officer.go).
	// None of it is relayed to the central.
	FiledBy        string          // the officer who filed it for a walk-in citizen; "" when filed at the kiosk
	ReviewedAt     time.Time       // when an officer marked it reviewed; zero before
	ReviewedBy     string          // that officer's username
	Notes          []Note          // officers' internal notes, oldest first; Text is sealed at rest
	InfoRequests   []InfoRequest   // requests to the citizen for more information, oldest first; Text sealed
	IdentityChecks []IdentityCheck // documents checked before a reprint or an extract; Number is personal
}

// Transition moves the report to a new status, appending to its history. A
// decision is required with StatusDecided and refused with any other status.
func (r *Report) Transition(to Status, d Decision, note string, at time.Time) error {
	if !to.Valid() {
		return fmt.Errorf("transition to %q: unknown status: %w", to, ErrTransition)
	}
	if !CanTransition(r.Status, to) {
		return fmt.Errorf("transition %s -> %s: %w", r.Status, to, ErrTransition)
	}
	if (to == StatusDecided) != (d != "") || (d != "" && !d.Valid()) {
		return fmt.Errorf("transition to %s with decision %q: %w", to, d, ErrTransition)
	}
	r.Status = to
	if d != "" {
		r.Decision = d
	}
	r.History = append(r.History, Event{Status: to, Decision: d, At: at, Note: note})
	return nil
}

// StatusUpdate is a status change made at the central, pulled by the relay.
type StatusUpdate struct {
	RecordID   string
	Status     Status
	Decision   Decision
	Note       string
	CaseNumber string
	At         time.Time // the central's time of the change
}

// Apply applies a status change from the central. Updates may arrive again
// (a lost reply) or out of date: one that does not move the report forward
// changes nothing but a newly given case number. It reports whether r changed.
func (r *Report) Apply(u StatusUpdate) (bool, error) {
	changed := false
	if u.Status != r.Status && CanTransition(r.Status, u.Status) {
		if err := r.Transition(u.Status, u.Decision, u.Note, u.At); err != nil {
			return false, err
		}
		changed = true
	} else if !u.Status.Valid() {
		return false, fmt.Errorf("update to %q: unknown status: %w", u.Status, ErrTransition)
	}
	if u.CaseNumber != "" && u.CaseNumber != r.CaseNumber && (changed || u.Status == r.Status) {
		r.CaseNumber = u.CaseNumber
		changed = true
	}
	return changed, nil
}

// Limits on input fields, in characters.
const (
	MaxNameLen        = 200
	MaxPhoneLen       = 32
	MaxIDNumberLen    = 32
	MaxAddressLen     = 300
	MaxPlaceLen       = 300
	MaxDescriptionLen = 5000
)

// Validate checks a submission against the contract and normalises it
// (trimmed text, default language). It returns a *ValidationError listing
// every bad field; now is the trusted time, used to refuse future dates.
func (n *NewReport) Validate(now time.Time) error {
	var v ValidationError
	if n.Category == "" {
		v.add("category", "required", "choose a category")
	} else if !n.Category.Valid() {
		v.add("category", "invalid", "unknown category")
	}
	if n.Lang == "" {
		n.Lang = Languages[0]
	} else if !slices.Contains(Languages, n.Lang) {
		v.add("lang", "invalid", "language must be one of tg, ru, uz, en")
	}
	r := &n.Reporter
	r.FullName = cleanText(&v, "reporter.full_name", r.FullName, MaxNameLen, false)
	r.Phone = cleanText(&v, "reporter.phone", r.Phone, MaxPhoneLen, false)
	r.IDNumber = cleanText(&v, "reporter.id_number", r.IDNumber, MaxIDNumberLen, false)
	r.Address = cleanText(&v, "reporter.address", r.Address, MaxAddressLen, false)
	if n.Anonymous {
		if *r != (Reporter{}) {
			v.add("reporter", "not_allowed", "an anonymous tip carries no personal details")
		}
	} else {
		if r.FullName == "" {
			v.add("reporter.full_name", "required", "enter your full name")
		}
		if r.Phone == "" {
			v.add("reporter.phone", "required", "enter a phone number")
		} else if p, ok := normalizePhone(r.Phone); !ok {
			v.add("reporter.phone", "invalid", "a phone number has 7 to 15 digits")
		} else {
			r.Phone = p
		}
		if r.IDNumber != "" && !isIDNumber(r.IDNumber) {
			v.add("reporter.id_number", "invalid", "use letters and digits only")
		}
	}
	in := &n.Incident
	in.Place = cleanText(&v, "incident.place", in.Place, MaxPlaceLen, false)
	in.Description = cleanText(&v, "incident.description", in.Description, MaxDescriptionLen, true)
	if in.Description == "" && !v.has("incident.description") {
		v.add("incident.description", "required", "describe what happened")
	}
	if in.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339, in.OccurredAt)
		switch {
		case err != nil:
			v.add("incident.occurred_at", "invalid", "use a date and time like 2026-03-01T14:30:00+05:00")
		case t.Year() < 1900:
			v.add("incident.occurred_at", "invalid", "the date is too far in the past")
		case t.After(now.Add(24 * time.Hour)):
			v.add("incident.occurred_at", "in_future", "the date is in the future")
		default:
			in.OccurredAt = t.Format(time.RFC3339)
		}
	}
	return v.orNil()
}

func (e *ValidationError) has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// cleanText trims s and checks it is valid UTF-8 without control characters
// (newlines and tabs are allowed where multiline) and at most max characters.
// On error it records a field error and returns s unchanged.
func cleanText(v *ValidationError, field, s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		v.add(field, "invalid_utf8", "the text is not valid UTF-8")
		return s
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t'))) ||
			r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			v.add(field, "control_character", "the text contains a control character")
			return s
		}
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > max {
		v.add(field, "too_long", "at most %d characters (got %d)", max, n)
	}
	return s
}

// normalizePhone keeps the digits of a phone number and a leading plus.
func normalizePhone(s string) (string, bool) {
	var b strings.Builder
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	return b.String(), digits >= 7 && digits <= 15
}

func isIDNumber(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '/') {
			return false
		}
	}
	return true
}
