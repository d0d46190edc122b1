package kiosk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// IssueCategory is what a CPPT issue is about. The ids are stable: they are
// stored, relayed and translated by the UI.
type IssueCategory string

// Issue categories, in the order the pages show them.
const (
	IssueStreetLighting   IssueCategory = "street_lighting"
	IssueAlcohol          IssueCategory = "alcohol"
	IssueDrugs            IssueCategory = "drugs"
	IssueYouth            IssueCategory = "youth"
	IssueDomesticViolence IssueCategory = "domestic_violence"
	IssueTraffic          IssueCategory = "traffic"
	IssueLandWater        IssueCategory = "land_water" // land and water disputes
	IssueTheftHotspot     IssueCategory = "theft_hotspot"
	IssueOther            IssueCategory = "other"
)

// IssueCategories lists every issue category in display order.
var IssueCategories = []IssueCategory{
	IssueStreetLighting, IssueAlcohol, IssueDrugs, IssueYouth, IssueDomesticViolence,
	IssueTraffic, IssueLandWater, IssueTheftHotspot, IssueOther,
}

// Valid reports whether c is one of IssueCategories.
func (c IssueCategory) Valid() bool { return slices.Contains(IssueCategories, c) }

// PublicPlace reports whether the category is about a public place rather
// than about people, so that the landmark may be shown on the public board:
// street lighting, traffic and theft hotspots.
func (c IssueCategory) PublicPlace() bool {
	return c == IssueStreetLighting || c == IssueTraffic || c == IssueTheftHotspot
}

// AboutPeople reports whether the category is about particular people
// (domestic violence, youth, drugs), where even the settlement, the number
// and the exact day could point at a family in a small village. The public
// board shows such issues with the category and the month only.
func (c IssueCategory) AboutPeople() bool {
	return c == IssueDomesticViolence || c == IssueYouth || c == IssueDrugs
}

// IssueStatus is where a CPPT issue stands.
type IssueStatus string

// Issue statuses. Resolved and closed are the two ends: resolved means the
// response worked; closed means the issue ended without that (a duplicate,
// not a matter for the team, handed over, no longer relevant).
const (
	IssueOpen       IssueStatus = "open"
	IssueInProgress IssueStatus = "in_progress"
	IssueResolved   IssueStatus = "resolved"
	IssueClosed     IssueStatus = "closed"
)

// IssueStatuses lists every issue status in order.
var IssueStatuses = []IssueStatus{IssueOpen, IssueInProgress, IssueResolved, IssueClosed}

// ActiveStatuses are the statuses of issues the team still works on.
var ActiveStatuses = []IssueStatus{IssueOpen, IssueInProgress}

// Valid reports whether s is a known status.
func (s IssueStatus) Valid() bool { return slices.Contains(IssueStatuses, s) }

// Active reports whether the issue is still worked on (open or in progress).
func (s IssueStatus) Active() bool { return s == IssueOpen || s == IssueInProgress }

// Ended reports whether the issue is resolved or closed.
func (s IssueStatus) Ended() bool { return s == IssueResolved || s == IssueClosed }

// issueTransitions are the allowed status changes. An issue moves forward:
// open → in progress → resolved or closed, and may skip in progress. A
// resolved or closed issue may be reopened, to in progress only, with a
// reason (the problem came back, the issue was closed by mistake); its
// assessment then moves to the history and a new one is needed to end it
// again. Nothing goes back to open: open means "nobody has started".
var issueTransitions = map[IssueStatus][]IssueStatus{
	IssueOpen:       {IssueInProgress, IssueResolved, IssueClosed},
	IssueInProgress: {IssueResolved, IssueClosed},
	IssueResolved:   {IssueInProgress},
	IssueClosed:     {IssueInProgress},
}

// CanTransitionIssue reports whether an issue may move from one status to
// another.
func CanTransitionIssue(from, to IssueStatus) bool {
	return slices.Contains(issueTransitions[from], to)
}

// Priority is the team's priority for an issue: 1 high, 2 medium, 3 low.
type Priority int

// Priorities.
const (
	PriorityHigh   Priority = 1
	PriorityMedium Priority = 2
	PriorityLow    Priority = 3
)

// Valid reports whether p is 1, 2 or 3.
func (p Priority) Valid() bool { return p >= PriorityHigh && p <= PriorityLow }

// MaxIssueSeq is the largest per-centre, per-year issue sequence.
const MaxIssueSeq = 9999

// IssueNumber is a CPPT issue's number, <CPC>-P-<YY>-<NNNN>, for example
// ISF-P-26-0007: the centre's three letters, P for the partnership team, the
// year of logging from the trusted clock and a per-centre, per-year
// sequence allocated by the store in the transaction that commits the
// issue. The team keeps its log on one kiosk of the centre, so the number is
// unique for the centre; the issue's UUID stays its identity towards the
// central. It carries no check digit: staff, not citizens, type it.
//
// In training mode issues are numbered <CPC>-PT-<YY>-<NNNN> (Training set):
// never the number of a real issue, and kept only in the training database.
type IssueNumber struct {
	CPC      string // three capital Latin letters
	Year     int    // two digits, 0-99
	Seq      int    // 1-9999
	Training bool   // the T series of training mode
}

// String formats the number, e.g. ISF-P-26-0007 (training: ISF-PT-26-0007);
// "" when it is zero.
func (n IssueNumber) String() string {
	if n.IsZero() {
		return ""
	}
	series := "P"
	if n.Training {
		series = "PT"
	}
	return fmt.Sprintf("%s-%s-%02d-%04d", n.CPC, series, n.Year, n.Seq)
}

// IsZero reports whether the number was never assigned.
func (n IssueNumber) IsZero() bool { return n.Seq == 0 }

// Valid reports whether every part is in range.
func (n IssueNumber) Valid() bool {
	return ValidCPC(n.CPC) && n.Year >= 0 && n.Year <= 99 && n.Seq >= 1 && n.Seq <= MaxIssueSeq
}

// MarshalText formats the number as String does.
func (n IssueNumber) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText reads a number as ParseIssueNumber does; "" is the zero number.
func (n *IssueNumber) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*n = IssueNumber{}
		return nil
	}
	p, err := ParseIssueNumber(string(b))
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// ParseIssueNumber reads an issue number typed by a person: any case,
// Cyrillic look-alike letters, with or without dashes and spaces. Errors
// wrap ErrInvalidNumber.
func ParseIssueNumber(s string) (IssueNumber, error) {
	if len(s) > 64 {
		return IssueNumber{}, fmt.Errorf("parse issue number: too long: %w", ErrInvalidNumber)
	}
	var b strings.Builder
	for _, r := range cyrillicLookalikes.Replace(strings.ToUpper(s)) {
		switch {
		case r == '-' || r == ' ' || r == '\u00a0' || r == '\u2010' || r == '\u2013':
			continue
		case r > 0x7f:
			return IssueNumber{}, fmt.Errorf("parse issue number: unexpected character %q: %w", r, ErrInvalidNumber)
		}
		b.WriteRune(r)
	}
	c := b.String()
	training := len(c) == 11 && strings.HasPrefix(c[3:], "PT")
	if training {
		c = c[:4] + c[5:] // the digits in place, as in a real number
	}
	if len(c) != 10 || !ValidCPC(c[:3]) || c[3] != 'P' {
		return IssueNumber{}, fmt.Errorf("parse issue number: want AAA-P-YY-NNNN: %w", ErrInvalidNumber)
	}
	for i := 4; i < 10; i++ {
		if c[i] < '0' || c[i] > '9' {
			return IssueNumber{}, fmt.Errorf("parse issue number: want digits after P: %w", ErrInvalidNumber)
		}
	}
	n := IssueNumber{CPC: c[:3], Year: atoi(c[4:6]), Seq: atoi(c[6:10]), Training: training}
	if !n.Valid() {
		return IssueNumber{}, fmt.Errorf("parse issue number: sequence out of range: %w", ErrInvalidNumber)
	}
	return n, nil
}

// Raiser is the community member who raised an issue. Both fields are
// personal data: sealed at rest, never logged, never on the public board.
type Raiser struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

// Action is a planned response of the SARA record: what is to be done, by
// which team member, by when. Due is a day: midnight in Zone.
type Action struct {
	ID          string    `json:"id"`
	Text        string    `json:"text"`        // sealed at rest
	Responsible string    `json:"responsible"` // a team member's name
	Due         time.Time `json:"due"`
	DoneAt      time.Time `json:"done_at,omitzero"`
	DoneBy      string    `json:"done_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Done reports whether the action was completed.
func (a Action) Done() bool { return !a.DoneAt.IsZero() }

// Overdue reports whether the action is not done and its due day (in Zone)
// is over at now.
func (a Action) Overdue(now time.Time) bool {
	return !a.Done() && !a.Due.IsZero() && !now.Before(DayStart(a.Due).AddDate(0, 0, 1))
}

// IssueEvent is one status change of an issue. Note is the assessment that
// ended the issue or the reason it was reopened; it is sealed at rest.
type IssueEvent struct {
	Status IssueStatus `json:"status"`
	At     time.Time   `json:"at"`
	By     string      `json:"by"`
	Note   string      `json:"note,omitempty"`
}

// CPPTIssue is one entry of the Community Policing Partnership Team's issue
// log, with its SARA record (scanning: the description and place; analysis;
// response: the actions; assessment). All free text (description, analysis,
// action texts, assessment, history notes) and the raiser are sealed at
// rest; the structured fields stay in clear for listing and charts.
type CPPTIssue struct {
	ID          string        `json:"id"` // UUID, the identity towards the central
	Number      IssueNumber   `json:"number"`
	Category    IssueCategory `json:"category"`
	Settlement  string        `json:"settlement"`
	Landmark    string        `json:"landmark,omitempty"`
	Description string        `json:"description"`
	RaisedBy    Raiser        `json:"raised_by"`
	Anonymous   bool          `json:"anonymous"`
	Priority    Priority      `json:"priority"`
	Status      IssueStatus   `json:"status"`
	Analysis    string        `json:"analysis,omitempty"`
	Actions     []Action      `json:"actions,omitempty"`
	Assessment  string        `json:"assessment,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	ClockSynced bool          `json:"clock_synced"`
	CreatedBy   string        `json:"created_by"`
	History     []IssueEvent  `json:"history"`
}

// Transition moves the issue to another status, appending to its history.
// Resolving or closing needs an assessment, which becomes Assessment;
// reopening needs a reason, and the old assessment is cleared (it stays in
// the history). note must already be validated (ValidateNote).
func (i *CPPTIssue) Transition(to IssueStatus, note, by string, at time.Time) error {
	if !to.Valid() {
		return fmt.Errorf("issue %s to %q: unknown status: %w", i.Number, to, ErrTransition)
	}
	if !CanTransitionIssue(i.Status, to) {
		return fmt.Errorf("issue %s: %s -> %s: %w", i.Number, i.Status, to, ErrTransition)
	}
	reopen := i.Status.Ended()
	switch {
	case to.Ended() && note == "":
		return fmt.Errorf("issue %s: %s needs an assessment: %w", i.Number, to, ErrTransition)
	case reopen && note == "":
		return fmt.Errorf("issue %s: reopening needs a reason: %w", i.Number, ErrTransition)
	}
	switch {
	case to.Ended():
		i.Assessment = note
	case reopen:
		i.Assessment = ""
	}
	i.Status = to
	i.UpdatedAt = at
	i.History = append(i.History, IssueEvent{Status: to, At: at, By: by, Note: note})
	return nil
}

// EndedAt is when the issue was last resolved or closed; zero while it is
// active.
func (i *CPPTIssue) EndedAt() time.Time {
	if !i.Status.Ended() {
		return time.Time{}
	}
	for k := len(i.History) - 1; k >= 0; k-- {
		if i.History[k].Status == i.Status {
			return i.History[k].At
		}
	}
	return i.UpdatedAt
}

// Overdue returns the actions that are overdue at now. An issue that has
// ended has none: nobody is expected to act on it any more.
func (i *CPPTIssue) Overdue(now time.Time) []Action {
	if !i.Status.Active() {
		return nil
	}
	var out []Action
	for _, a := range i.Actions {
		if a.Overdue(now) {
			out = append(out, a)
		}
	}
	return out
}

// Summary returns the issue's structured, non-personal fields: what the
// store indexes for lists, charts and the public board.
func (i *CPPTIssue) Summary() IssueSummary {
	s := IssueSummary{
		ID: i.ID, Number: i.Number, Category: i.Category, Settlement: i.Settlement, Landmark: i.Landmark,
		Priority: i.Priority, Status: i.Status, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, EndedAt: i.EndedAt(),
		Actions: len(i.Actions),
	}
	for _, a := range i.Actions {
		if a.Done() {
			s.ActionsDone++
		} else if s.NextDue.IsZero() || a.Due.Before(s.NextDue) {
			s.NextDue = a.Due
		}
	}
	return s
}

// IssueSummary is an issue without its free text and personal data: one row
// of the issue list, and the unit of the charts and the public board.
type IssueSummary struct {
	ID          string        `json:"id"`
	Number      IssueNumber   `json:"number"`
	Category    IssueCategory `json:"category"`
	Settlement  string        `json:"settlement"`
	Landmark    string        `json:"landmark,omitempty"`
	Priority    Priority      `json:"priority"`
	Status      IssueStatus   `json:"status"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	EndedAt     time.Time     `json:"ended_at,omitzero"` // last resolved or closed; zero while active
	Actions     int           `json:"actions"`
	ActionsDone int           `json:"actions_done"`
	NextDue     time.Time     `json:"next_due,omitzero"` // earliest due day of the actions not done
}

// Overdue reports whether the issue is active and has an action overdue at now.
func (s IssueSummary) Overdue(now time.Time) bool {
	return s.Status.Active() && !s.NextDue.IsZero() && !now.Before(DayStart(s.NextDue).AddDate(0, 0, 1))
}

// IssueFilter selects issues for a list. Zero fields do not filter.
type IssueFilter struct {
	Status     []IssueStatus // any of these
	Category   IssueCategory
	Settlement string    // compared as SameSettlement does
	OverdueAt  time.Time // only issues with an action overdue at this time
	// EndedFrom and EndedTo select issues resolved or closed in
	// [EndedFrom, EndedTo); either may be zero (open-ended).
	EndedFrom, EndedTo time.Time
	Offset, Limit      int // paging over the matches, newest first; Limit 0: all
}

// Match reports whether s passes the filter (paging aside).
func (f *IssueFilter) Match(s *IssueSummary) bool {
	if len(f.Status) > 0 && !slices.Contains(f.Status, s.Status) {
		return false
	}
	if f.Category != "" && s.Category != f.Category {
		return false
	}
	if f.Settlement != "" && !SameSettlement(f.Settlement, s.Settlement) {
		return false
	}
	if !f.OverdueAt.IsZero() && !s.Overdue(f.OverdueAt) {
		return false
	}
	if !f.EndedFrom.IsZero() || !f.EndedTo.IsZero() {
		if s.EndedAt.IsZero() || s.EndedAt.Before(f.EndedFrom) || (!f.EndedTo.IsZero() && !s.EndedAt.Before(f.EndedTo)) {
			return false
		}
	}
	return true
}

// SameSettlement compares settlement names as people type them: ignoring
// case (Tajik and Russian letters included) and runs of spaces. It
// allocates nothing: lists compare it against every issue.
func SameSettlement(a, b string) bool {
	for {
		var fa, fb string
		fa, a = nextWord(a)
		fb, b = nextWord(b)
		switch {
		case fa == "" || fb == "":
			return fa == fb
		case !strings.EqualFold(fa, fb):
			return false
		}
	}
}

// nextWord returns the first run of non-spaces of s and what follows it.
func nextWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// PossibleDuplicates returns the candidates a new issue may duplicate: open
// or in progress, of the same category, in the same settlement.
func PossibleDuplicates(n NewIssue, candidates []IssueSummary) []IssueSummary {
	var out []IssueSummary
	for _, c := range candidates {
		if c.Status.Active() && c.Category == n.Category && SameSettlement(c.Settlement, n.Settlement) {
			out = append(out, c)
		}
	}
	return out
}

// Meeting is a meeting of the partnership team. Attendees and Decisions are
// sealed at rest (attendees may include private community members).
type Meeting struct {
	ID        string    `json:"id"` // UUID
	Date      time.Time `json:"date"`
	Place     string    `json:"place,omitempty"`
	Attendees []string  `json:"attendees,omitempty"`
	IssueIDs  []string  `json:"issue_ids,omitempty"` // issues discussed
	Decisions string    `json:"decisions,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by"`
}

// Limits on CPPT input: texts in characters, counts, years.
const (
	MaxSettlementLen  = 100
	MaxLandmarkLen    = 200
	MaxAnalysisLen    = 10000
	MaxActionTextLen  = 1000
	MaxAssessmentLen  = 5000
	MaxDecisionsLen   = 10000
	MaxActions        = 100 // per issue
	MaxAttendees      = 100 // per meeting
	MaxMeetingIssues  = 200 // issues discussed at one meeting
	MaxActionDueYears = 2   // how far ahead an action may be due
)

// NewIssue is an issue as a team member logs it.
type NewIssue struct {
	Category    IssueCategory `json:"category"`
	Settlement  string        `json:"settlement"`
	Landmark    string        `json:"landmark"`
	Description string        `json:"description"`
	RaisedBy    Raiser        `json:"raised_by"`
	Anonymous   bool          `json:"anonymous"`
	Priority    Priority      `json:"priority"` // 0 means medium
	// IgnoreDuplicates logs the issue even though open issues of the same
	// category in the same settlement exist: the member has seen them.
	IgnoreDuplicates bool `json:"ignore_duplicates"`
}

// Validate checks and normalises a new issue. settlements is the centre's
// list of settlements; when it is not empty the settlement must be one of
// them and takes its spelling. It returns a *ValidationError.
func (n *NewIssue) Validate(settlements []string) error {
	var v ValidationError
	if n.Category == "" {
		v.add("category", "required", "choose a category")
	} else if !n.Category.Valid() {
		v.add("category", "invalid", "unknown category")
	}
	n.Settlement = checkSettlement(&v, "settlement", n.Settlement, settlements)
	n.Landmark = cleanText(&v, "landmark", n.Landmark, MaxLandmarkLen, false)
	n.Description = cleanText(&v, "description", n.Description, MaxDescriptionLen, true)
	if n.Description == "" && !v.has("description") {
		v.add("description", "required", "describe the issue")
	}
	r := &n.RaisedBy
	r.Name = cleanText(&v, "raised_by.name", r.Name, MaxNameLen, false)
	r.Phone = cleanText(&v, "raised_by.phone", r.Phone, MaxPhoneLen, false)
	switch {
	case n.Anonymous && *r != (Raiser{}):
		v.add("raised_by", "not_allowed", "an anonymous issue carries no name or phone")
	case !n.Anonymous && r.Name == "" && !v.has("raised_by.name"):
		v.add("raised_by.name", "required", "enter who raised the issue, or mark it anonymous")
	}
	if r.Phone != "" && !v.has("raised_by.phone") {
		if p, ok := normalizePhone(r.Phone); ok {
			r.Phone = p
		} else {
			v.add("raised_by.phone", "invalid", "a phone number has 7 to 15 digits")
		}
	}
	if n.Priority == 0 {
		n.Priority = PriorityMedium
	} else if !n.Priority.Valid() {
		v.add("priority", "invalid", "priority is 1 (high), 2 or 3 (low)")
	}
	return v.orNil()
}

// checkSettlement cleans a settlement name; with a list, it must be on it
// and takes the list's spelling.
func checkSettlement(v *ValidationError, field, s string, list []string) string {
	s = strings.Join(strings.Fields(cleanText(v, field, s, MaxSettlementLen, false)), " ")
	switch {
	case v.has(field):
	case s == "":
		v.add(field, "required", "choose a settlement")
	case len(list) > 0:
		for _, l := range list {
			if SameSettlement(l, s) {
				return l
			}
		}
		v.add(field, "invalid", "not a settlement of this centre")
	}
	return s
}

// IssueEdit changes an issue's analysis, priority or place. Nil fields stay
// as they are.
type IssueEdit struct {
	Analysis   *string   `json:"analysis,omitempty"`
	Priority   *Priority `json:"priority,omitempty"`
	Settlement *string   `json:"settlement,omitempty"`
	Landmark   *string   `json:"landmark,omitempty"`
}

// Validate checks and normalises the edit like NewIssue.Validate.
func (e *IssueEdit) Validate(settlements []string) error {
	var v ValidationError
	if e.Analysis == nil && e.Priority == nil && e.Settlement == nil && e.Landmark == nil {
		v.add("edit", "required", "nothing to change")
	}
	if e.Analysis != nil {
		*e.Analysis = cleanText(&v, "analysis", *e.Analysis, MaxAnalysisLen, true)
	}
	if e.Priority != nil && !e.Priority.Valid() {
		v.add("priority", "invalid", "priority is 1 (high), 2 or 3 (low)")
	}
	if e.Settlement != nil {
		*e.Settlement = checkSettlement(&v, "settlement", *e.Settlement, settlements)
	}
	if e.Landmark != nil {
		*e.Landmark = cleanText(&v, "landmark", *e.Landmark, MaxLandmarkLen, false)
	}
	return v.orNil()
}

// fields names the fields the edit changes, for the audit trail.
func (e *IssueEdit) fields() string {
	var f []string
	if e.Analysis != nil {
		f = append(f, "analysis")
	}
	if e.Priority != nil {
		f = append(f, "priority")
	}
	if e.Settlement != nil {
		f = append(f, "settlement")
	}
	if e.Landmark != nil {
		f = append(f, "landmark")
	}
	return strings.Join(f, ",")
}

// apply writes the edit into i.
func (e *IssueEdit) apply(i *CPPTIssue) {
	if e.Analysis != nil {
		i.Analysis = *e.Analysis
	}
	if e.Priority != nil {
		i.Priority = *e.Priority
	}
	if e.Settlement != nil {
		i.Settlement = *e.Settlement
	}
	if e.Landmark != nil {
		i.Landmark = *e.Landmark
	}
}

// NewAction is a planned response as a team member enters it.
type NewAction struct {
	Text        string    `json:"text"`
	Responsible string    `json:"responsible"`
	Due         time.Time `json:"due"` // any time of the due day; see ParseDay
}

// Validate checks and normalises an action: text and responsible member
// required, due from today (in Zone, by now) up to MaxActionDueYears ahead.
// Due becomes the start of its day.
func (a *NewAction) Validate(now time.Time) error {
	var v ValidationError
	a.Text = cleanText(&v, "text", a.Text, MaxActionTextLen, true)
	if a.Text == "" && !v.has("text") {
		v.add("text", "required", "say what is to be done")
	}
	a.Responsible = cleanText(&v, "responsible", a.Responsible, MaxNameLen, false)
	if a.Responsible == "" && !v.has("responsible") {
		v.add("responsible", "required", "name the team member responsible")
	}
	today := DayStart(now)
	switch {
	case a.Due.IsZero():
		v.add("due", "required", "choose a due date")
	case DayStart(a.Due).Before(today):
		v.add("due", "in_past", "the due date is in the past")
	case DayStart(a.Due).After(today.AddDate(MaxActionDueYears, 0, 0)):
		v.add("due", "too_far", "the due date is more than %d years ahead", MaxActionDueYears)
	default:
		a.Due = DayStart(a.Due)
	}
	return v.orNil()
}

// ValidateNote checks and normalises an assessment or a reason to reopen.
func ValidateNote(note string) (string, error) {
	var v ValidationError
	note = cleanText(&v, "note", note, MaxAssessmentLen, true)
	return note, v.orNil()
}

// NewMeeting is a meeting as a team member plans or records it.
type NewMeeting struct {
	Date      time.Time `json:"date"`
	Place     string    `json:"place"`
	Attendees []string  `json:"attendees"`
	IssueIDs  []string  `json:"issue_ids"`
	Decisions string    `json:"decisions"`
}

// Validate checks and normalises a meeting: a date from 2000 up to two
// years after now, texts within limits, attendees and issues without
// blanks and repeats. It does not check that the issues exist.
func (m *NewMeeting) Validate(now time.Time) error {
	var v ValidationError
	switch {
	case m.Date.IsZero():
		v.add("date", "required", "choose the meeting's date")
	case m.Date.Year() < 2000:
		v.add("date", "invalid", "the date is too far in the past")
	case m.Date.After(now.AddDate(2, 0, 0)):
		v.add("date", "too_far", "the date is more than 2 years ahead")
	}
	m.Place = cleanText(&v, "place", m.Place, MaxPlaceLen, false)
	if len(m.Attendees) > MaxAttendees {
		v.add("attendees", "too_many", "at most %d attendees", MaxAttendees)
	}
	var people []string
	for k, a := range m.Attendees {
		field := fmt.Sprintf("attendees.%d", k)
		a = cleanText(&v, field, a, MaxNameLen, false)
		if a != "" && !slices.ContainsFunc(people, func(p string) bool { return strings.EqualFold(p, a) }) {
			people = append(people, a)
		}
	}
	m.Attendees = people
	if len(m.IssueIDs) > MaxMeetingIssues {
		v.add("issue_ids", "too_many", "at most %d issues", MaxMeetingIssues)
	}
	var ids []string
	for k, id := range m.IssueIDs {
		if !validUUID(id) {
			v.add(fmt.Sprintf("issue_ids.%d", k), "invalid", "not an issue id")
		} else if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	m.IssueIDs = ids
	m.Decisions = cleanText(&v, "decisions", m.Decisions, MaxDecisionsLen, true)
	return v.orNil()
}

// validUUID reports whether s looks like the UUIDs NewUUID makes.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
				return false
			}
		}
	}
	return true
}

// DayStart returns midnight in Zone of the day t falls on (in Zone).
func DayStart(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}

// ParseDay reads a day as a date input sends it, "2006-01-02", as midnight
// in Zone.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse day %q: want YYYY-MM-DD: %w", s, err)
	}
	return t, nil
}

// QuarterOf returns the calendar quarter (in Zone) t falls in, as
// [start, end).
func QuarterOf(t time.Time) (start, end time.Time) {
	y, m, _ := t.In(Zone).Date()
	first := time.Month((int(m)-1)/3*3 + 1)
	start = time.Date(y, first, 1, 0, 0, 0, 0, Zone)
	return start, start.AddDate(0, 3, 0)
}

// QuarterLabel names the quarter t falls in, e.g. "2026-Q2".
func QuarterLabel(t time.Time) string {
	y, m, _ := t.In(Zone).Date()
	return fmt.Sprintf("%04d-Q%d", y, (int(m)-1)/3+1)
}

// ErrForbidden: the acting user's role may not do this.
var ErrForbidden = errors.New("not allowed for this role")

// ErrPossibleDuplicate is what a *DuplicatesError is (errors.Is).
var ErrPossibleDuplicate = errors.New("possible duplicate of an open issue")

// DuplicatesError refuses to log a new issue while open issues of the same
// category in the same settlement exist; the member looks at Candidates and
// logs again with NewIssue.IgnoreDuplicates if it is a different problem.
type DuplicatesError struct {
	Candidates []IssueSummary
}

// Error lists the numbers of the candidates.
func (e *DuplicatesError) Error() string {
	nums := make([]string, len(e.Candidates))
	for k, c := range e.Candidates {
		nums[k] = c.Number.String()
	}
	return "possible duplicate of open issue " + strings.Join(nums, ", ")
}

// Is makes errors.Is(err, ErrPossibleDuplicate) true.
func (e *DuplicatesError) Is(target error) bool { return target == ErrPossibleDuplicate }

// PublicIssue is what the public board shows of an issue. See PublicView.
type PublicIssue struct {
	Number      string        `json:"number,omitempty"` // "" for issues about people
	Category    IssueCategory `json:"category"`
	Settlement  string        `json:"settlement,omitempty"` // "" for issues about people
	Landmark    string        `json:"landmark,omitempty"`   // public places only
	Status      IssueStatus   `json:"status"`
	Opened      string        `json:"opened"`          // "2006-01-02", or "2006-01" for issues about people
	Ended       string        `json:"ended,omitempty"` // likewise; "" while active
	Actions     int           `json:"actions"`
	ActionsDone int           `json:"actions_done"`
}

// PublicView is what the board without login may show of an issue. It
// never shows the raiser (name, phone, whether anonymous), the description,
// the analysis, the action texts or who is responsible, the assessment, the
// history, the priority (a "low" label would hurt the people who raised it)
// or times of day (a time could be matched to who visited the centre).
// Everything it shows comes from the summary, so free text cannot leak:
//
//   - the landmark only for public-place categories (street lighting,
//     traffic, theft hotspots); elsewhere a landmark can point at a house;
//   - for categories about people (domestic violence, youth, drugs) neither
//     the settlement nor the number, and dates by month only: in a village
//     "domestic violence, Navobod, 3 May" names a family;
//   - otherwise the number, category, settlement, status, the day opened
//     and ended, and how many actions are planned and done.
func PublicView(i *CPPTIssue) PublicIssue { return PublicSummary(i.Summary()) }

// PublicSummary is PublicView of a summary.
func PublicSummary(s IssueSummary) PublicIssue {
	p := PublicIssue{Category: s.Category, Status: s.Status, Actions: s.Actions, ActionsDone: s.ActionsDone}
	layout := time.DateOnly
	if s.Category.AboutPeople() {
		layout = "2006-01"
	} else {
		p.Number, p.Settlement = s.Number.String(), s.Settlement
	}
	if s.Category.PublicPlace() {
		p.Landmark = s.Landmark
	}
	p.Opened = s.CreatedAt.In(Zone).Format(layout)
	if !s.EndedAt.IsZero() {
		p.Ended = s.EndedAt.In(Zone).Format(layout)
	}
	return p
}

// PublicMeeting is what the public board shows of a meeting: when and where.
type PublicMeeting struct {
	Date  time.Time `json:"date"`
	Place string    `json:"place,omitempty"`
}

// MaxBoardItems bounds each list of the public board.
const MaxBoardItems = 100

// PublicBoard is the page without login: the open issues, what was resolved
// this quarter and the next meeting, without personal data.
type PublicBoard struct {
	At            time.Time      `json:"at"`
	Open          []PublicIssue  `json:"open"` // newest first, at most MaxBoardItems
	OpenTotal     int            `json:"open_total"`
	Quarter       string         `json:"quarter"`  // "2026-Q2"
	Resolved      []PublicIssue  `json:"resolved"` // resolved this quarter, newest first
	ResolvedTotal int            `json:"resolved_total"`
	NextMeeting   *PublicMeeting `json:"next_meeting,omitempty"`
}
