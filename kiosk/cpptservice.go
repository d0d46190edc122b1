package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// CPPTStore keeps the partnership team's issues and meetings. Every write
// commits, in one durable transaction, the record, its entry in the CPPT
// outbox (one pending entry per record: a newer change replaces it) and the
// audit entry, and raises the time floor to the audit time. Reads of
// single records return ErrNotFound (wrapped) for unknown ids.
type CPPTStore interface {
	// CreateIssue commits a new issue. The caller sets i.Number's CPC and
	// Year; the store allocates the next sequence for that centre and year
	// and sets i.Number.Seq.
	CreateIssue(ctx context.Context, i *CPPTIssue, audit AuditEntry) error
	// UpdateIssue applies fn to the stored issue and writes it back. fn may
	// run more than once and must be idempotent; an error from fn aborts
	// the update and is returned (wrapped).
	UpdateIssue(ctx context.Context, id string, fn func(*CPPTIssue) error, audit AuditEntry) error
	// Issue returns the issue with that UUID, personal fields included.
	Issue(ctx context.Context, id string) (*CPPTIssue, error)
	// IssueByNumber returns the issue with that number.
	IssueByNumber(ctx context.Context, n IssueNumber) (*CPPTIssue, error)
	// Issues returns the summaries matching f, newest first, within f's
	// Offset and Limit, and how many match in all.
	Issues(ctx context.Context, f IssueFilter) ([]IssueSummary, int, error)
	// IssueStats counts the issues for the charts over the months from the
	// month of from to the month of to (NewIssueStats), finished.
	IssueStats(ctx context.Context, from, to time.Time) (*IssueStats, error)
	// CreateMeeting commits a new meeting.
	CreateMeeting(ctx context.Context, m *Meeting, audit AuditEntry) error
	// UpdateMeeting applies fn to the stored meeting and writes it back;
	// fn may run more than once.
	UpdateMeeting(ctx context.Context, id string, fn func(*Meeting) error, audit AuditEntry) error
	// Meeting returns the meeting with that UUID.
	Meeting(ctx context.Context, id string) (*Meeting, error)
	// Meetings returns the meetings dated in [from, to), earliest first.
	Meetings(ctx context.Context, from, to time.Time) ([]Meeting, error)
	// NextMeeting returns the earliest meeting dated at or after t, or
	// ErrNotFound.
	NextMeeting(ctx context.Context, t time.Time) (*Meeting, error)
}

// ReportStatsStore gives the dashboard its report counts.
type ReportStatsStore interface {
	// ReportWeeks counts reports per category per ISO week (in Zone) over
	// the weeks from the week of from to the week of to.
	ReportWeeks(ctx context.Context, from, to time.Time) (*CategoryWeeks, error)
}

// Outbox record types of the CPPT outbox, apart from the reports'. They are
// also the relay's wire types (docs/relay.md "CPPT records").
const (
	OutboxCPPTIssue   = "cppt_issue"
	OutboxCPPTMeeting = "cppt_meeting"
)

// Actor is the staff member acting, as the session knows them.
type Actor struct {
	Username string
	Role     Role
}

// Actor returns the user as an acting staff member.
func (u *User) Actor() Actor { return Actor{Username: u.Username, Role: u.Role} }

// mayWriteCPPT refuses with ErrForbidden anyone but the team and admins.
func (a Actor) mayWriteCPPT(op string) error {
	if !ValidUsername(a.Username) || (a.Role != RoleCPPT && a.Role != RoleAdmin) {
		return fmt.Errorf("%s: user %q with role %q: %w", op, a.Username, a.Role, ErrForbidden)
	}
	return nil
}

// CPPTConfig is what the CPPT service needs to know about its centre.
type CPPTConfig struct {
	CPC string // three capital Latin letters
	// Settlements is the centre's list of settlements; when set, an issue's
	// settlement must be one of them. Empty allows any name.
	Settlements []string
	// Training numbers new issues in the T series of training mode.
	Training bool
}

// CPPT is the partnership team's issue log and meetings. Writes are allowed
// to RoleCPPT and RoleAdmin only (ErrForbidden otherwise) and are audited
// in the same transaction; reads trust the caller (the pages check the
// login), except PublicBoard, which is for anyone and holds no personal
// data.
type CPPT struct {
	store CPPTStore
	clock *TrustedClock
	cfg   CPPTConfig
	log   *slog.Logger
}

// NewCPPT checks cfg and returns the service. log may be nil.
func NewCPPT(store CPPTStore, clock *TrustedClock, cfg CPPTConfig, log *slog.Logger) (*CPPT, error) {
	if !ValidCPC(cfg.CPC) {
		return nil, fmt.Errorf("cppt config: centre code %q is not three capital Latin letters", cfg.CPC)
	}
	var list []string
	for _, s := range cfg.Settlements {
		var v ValidationError
		s = checkSettlement(&v, "settlement", s, nil)
		if err := v.orNil(); err != nil {
			return nil, fmt.Errorf("cppt config: settlement %q: %w", s, err)
		}
		if slices.ContainsFunc(list, func(l string) bool { return SameSettlement(l, s) }) {
			return nil, fmt.Errorf("cppt config: settlement %q listed twice", s)
		}
		list = append(list, s)
	}
	cfg.Settlements = list
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CPPT{store: store, clock: clock, cfg: cfg, log: log}, nil
}

// Settlements returns the centre's list of settlements.
func (c *CPPT) Settlements() []string { return slices.Clone(c.cfg.Settlements) }

func (c *CPPT) audit(by Actor, now time.Time, synced bool, action, record, detail string) AuditEntry {
	return AuditEntry{At: now, Synced: synced, Actor: by.Username, Action: action, Record: record, Detail: detail}
}

// Duplicates returns the open or in-progress issues of the category in the
// settlement: what LogIssue would offer as possible duplicates.
func (c *CPPT) Duplicates(ctx context.Context, category IssueCategory, settlement string) ([]IssueSummary, error) {
	n := NewIssue{Category: category, Settlement: settlement}
	cands, _, err := c.store.Issues(ctx, IssueFilter{Status: ActiveStatuses, Category: category, Settlement: settlement})
	if err != nil {
		return nil, fmt.Errorf("find duplicate issues: %w", err)
	}
	return PossibleDuplicates(n, cands), nil
}

// LogIssue validates and commits a new issue, numbered by the store. While
// open issues of the same category in the same settlement exist it commits
// nothing and returns a *DuplicatesError listing them, unless
// in.IgnoreDuplicates is set.
func (c *CPPT) LogIssue(ctx context.Context, by Actor, in NewIssue) (*CPPTIssue, error) {
	if err := by.mayWriteCPPT("log issue"); err != nil {
		return nil, err
	}
	if err := in.Validate(c.cfg.Settlements); err != nil {
		return nil, fmt.Errorf("log issue: %w", err)
	}
	if !in.IgnoreDuplicates {
		d, err := c.Duplicates(ctx, in.Category, in.Settlement)
		if err != nil {
			return nil, fmt.Errorf("log issue: %w", err)
		}
		if len(d) > 0 {
			return nil, &DuplicatesError{Candidates: d}
		}
	}
	id, err := NewUUID()
	if err != nil {
		return nil, fmt.Errorf("log issue: %w", err)
	}
	now, synced := c.clock.Now()
	i := &CPPTIssue{
		ID:     id,
		Number: IssueNumber{CPC: c.cfg.CPC, Year: now.In(Zone).Year() % 100, Training: c.cfg.Training},
		// The fields of NewIssue, validated.
		Category: in.Category, Settlement: in.Settlement, Landmark: in.Landmark, Description: in.Description,
		RaisedBy: in.RaisedBy, Anonymous: in.Anonymous, Priority: in.Priority,
		Status:    IssueOpen,
		CreatedAt: now, UpdatedAt: now, ClockSynced: synced, CreatedBy: by.Username,
		History: []IssueEvent{{Status: IssueOpen, At: now, By: by.Username}},
	}
	a := c.audit(by, now, synced, "cppt.issue.create", "cppt:"+id, string(in.Category))
	if err := c.store.CreateIssue(ctx, i, a); err != nil {
		return nil, fmt.Errorf("log issue: %w", err)
	}
	c.log.Info("cppt issue logged", "id", id, "number", i.Number.String(), "category", string(i.Category), "by", by.Username)
	return i, nil
}

// errUnchanged aborts an update that would change nothing.
var errUnchanged = errors.New("unchanged")

// update runs fn on the stored issue with an audit entry; an issue that has
// ended is read-only (reopen it first). An update fn reports as unchanged
// commits nothing and returns the issue as it is.
func (c *CPPT) update(ctx context.Context, by Actor, op, id, action, detail string, fn func(i *CPPTIssue, now time.Time) error) (*CPPTIssue, error) {
	if err := by.mayWriteCPPT(op); err != nil {
		return nil, err
	}
	now, synced := c.clock.Now()
	var out *CPPTIssue
	err := c.store.UpdateIssue(ctx, id, func(i *CPPTIssue) error {
		if err := fn(i, now); err != nil {
			return err
		}
		i.UpdatedAt = now
		out = i
		return nil
	}, c.audit(by, now, synced, action, "cppt:"+id, detail))
	if errors.Is(err, errUnchanged) {
		out, err = c.store.Issue(ctx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, id, err)
	}
	return out, nil
}

func writable(i *CPPTIssue) error {
	if !i.Status.Active() {
		return fmt.Errorf("issue %s is %s: reopen it first: %w", i.Number, i.Status, ErrTransition)
	}
	return nil
}

// UpdateIssue changes an active issue's analysis, priority or place.
func (c *CPPT) UpdateIssue(ctx context.Context, by Actor, id string, e IssueEdit) (*CPPTIssue, error) {
	if err := by.mayWriteCPPT("update issue"); err != nil {
		return nil, err
	}
	if err := e.Validate(c.cfg.Settlements); err != nil {
		return nil, fmt.Errorf("update issue %s: %w", id, err)
	}
	return c.update(ctx, by, "update issue", id, "cppt.issue.update", e.fields(), func(i *CPPTIssue, _ time.Time) error {
		if err := writable(i); err != nil {
			return err
		}
		e.apply(i)
		return nil
	})
}

// AddAction adds a planned response to an active issue. The returned issue
// holds it last in Actions.
func (c *CPPT) AddAction(ctx context.Context, by Actor, issueID string, in NewAction) (*CPPTIssue, error) {
	if err := by.mayWriteCPPT("add action"); err != nil {
		return nil, err
	}
	now, _ := c.clock.Now()
	if err := in.Validate(now); err != nil {
		return nil, fmt.Errorf("add action to %s: %w", issueID, err)
	}
	aid, err := NewUUID()
	if err != nil {
		return nil, fmt.Errorf("add action to %s: %w", issueID, err)
	}
	return c.update(ctx, by, "add action", issueID, "cppt.action.add", aid, func(i *CPPTIssue, now time.Time) error {
		if err := writable(i); err != nil {
			return err
		}
		if slices.ContainsFunc(i.Actions, func(a Action) bool { return a.ID == aid }) {
			return nil // a rerun of this very function
		}
		if len(i.Actions) >= MaxActions {
			return &ValidationError{Fields: []FieldError{{Field: "actions", Code: "too_many", Message: fmt.Sprintf("at most %d actions per issue", MaxActions)}}}
		}
		i.Actions = append(i.Actions, Action{ID: aid, Text: in.Text, Responsible: in.Responsible, Due: in.Due,
			CreatedAt: now, CreatedBy: by.Username})
		return nil
	})
}

// CompleteAction marks an action of an active issue done. Completing a
// done action again changes nothing.
func (c *CPPT) CompleteAction(ctx context.Context, by Actor, issueID, actionID string) (*CPPTIssue, error) {
	return c.update(ctx, by, "complete action", issueID, "cppt.action.done", actionID, func(i *CPPTIssue, now time.Time) error {
		if err := writable(i); err != nil {
			return err
		}
		k := slices.IndexFunc(i.Actions, func(a Action) bool { return a.ID == actionID })
		switch {
		case k < 0:
			return fmt.Errorf("action %s: %w", actionID, ErrNotFound)
		case i.Actions[k].Done():
			return errUnchanged
		}
		i.Actions[k].DoneAt, i.Actions[k].DoneBy = now, by.Username
		return nil
	})
}

// ChangeStatus moves an issue to another status (see CanTransitionIssue).
// note is the assessment when resolving or closing, the reason when
// reopening, and optional otherwise.
func (c *CPPT) ChangeStatus(ctx context.Context, by Actor, issueID string, to IssueStatus, note string) (*CPPTIssue, error) {
	if err := by.mayWriteCPPT("change issue status"); err != nil {
		return nil, err
	}
	note, err := ValidateNote(note)
	if err != nil {
		return nil, fmt.Errorf("change status of %s: %w", issueID, err)
	}
	return c.update(ctx, by, "change issue status", issueID, "cppt.issue.status", string(to), func(i *CPPTIssue, now time.Time) error {
		return i.Transition(to, note, by.Username, now)
	})
}

// checkIssues makes sure every id is a stored issue.
func (c *CPPT) checkIssues(ctx context.Context, ids []string) error {
	var v ValidationError
	for k, id := range ids {
		_, err := c.store.Issue(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			v.add(fmt.Sprintf("issue_ids.%d", k), "not_found", "no such issue")
		case err != nil:
			return err
		}
	}
	return v.orNil()
}

// AddMeeting plans or records a meeting.
func (c *CPPT) AddMeeting(ctx context.Context, by Actor, in NewMeeting) (*Meeting, error) {
	if err := by.mayWriteCPPT("add meeting"); err != nil {
		return nil, err
	}
	now, synced := c.clock.Now()
	if err := in.Validate(now); err != nil {
		return nil, fmt.Errorf("add meeting: %w", err)
	}
	if err := c.checkIssues(ctx, in.IssueIDs); err != nil {
		return nil, fmt.Errorf("add meeting: %w", err)
	}
	id, err := NewUUID()
	if err != nil {
		return nil, fmt.Errorf("add meeting: %w", err)
	}
	m := &Meeting{ID: id, Date: in.Date, Place: in.Place, Attendees: in.Attendees, IssueIDs: in.IssueIDs,
		Decisions: in.Decisions, CreatedAt: now, UpdatedAt: now, CreatedBy: by.Username}
	a := c.audit(by, now, synced, "cppt.meeting.create", "meeting:"+id, in.Date.In(Zone).Format(time.DateOnly))
	if err := c.store.CreateMeeting(ctx, m, a); err != nil {
		return nil, fmt.Errorf("add meeting: %w", err)
	}
	return m, nil
}

// UpdateMeeting replaces a meeting's date, place, attendees, issues and
// decisions: the minutes of a meeting that was planned.
func (c *CPPT) UpdateMeeting(ctx context.Context, by Actor, id string, in NewMeeting) (*Meeting, error) {
	if err := by.mayWriteCPPT("update meeting"); err != nil {
		return nil, err
	}
	now, synced := c.clock.Now()
	if err := in.Validate(now); err != nil {
		return nil, fmt.Errorf("update meeting %s: %w", id, err)
	}
	if err := c.checkIssues(ctx, in.IssueIDs); err != nil {
		return nil, fmt.Errorf("update meeting %s: %w", id, err)
	}
	var out *Meeting
	a := c.audit(by, now, synced, "cppt.meeting.update", "meeting:"+id, in.Date.In(Zone).Format(time.DateOnly))
	err := c.store.UpdateMeeting(ctx, id, func(m *Meeting) error {
		m.Date, m.Place, m.Attendees, m.IssueIDs, m.Decisions = in.Date, in.Place, in.Attendees, in.IssueIDs, in.Decisions
		m.UpdatedAt = now
		out = m
		return nil
	}, a)
	if err != nil {
		return nil, fmt.Errorf("update meeting %s: %w", id, err)
	}
	return out, nil
}

// Issue returns an issue with its personal fields.
func (c *CPPT) Issue(ctx context.Context, id string) (*CPPTIssue, error) {
	i, err := c.store.Issue(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read issue %s: %w", id, err)
	}
	return i, nil
}

// IssueByNumber returns the issue with a number as a person typed it; a
// malformed number gives ErrInvalidNumber without a lookup.
func (c *CPPT) IssueByNumber(ctx context.Context, number string) (*CPPTIssue, error) {
	n, err := ParseIssueNumber(number)
	if err != nil {
		return nil, err
	}
	i, err := c.store.IssueByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("read issue %s: %w", n, err)
	}
	return i, nil
}

// Issues lists issue summaries, newest first, and how many match in all.
func (c *CPPT) Issues(ctx context.Context, f IssueFilter) ([]IssueSummary, int, error) {
	out, n, err := c.store.Issues(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list issues: %w", err)
	}
	return out, n, nil
}

// Stats counts the issues for the charts over the months from the month of
// from to the month of to.
func (c *CPPT) Stats(ctx context.Context, from, to time.Time) (*IssueStats, error) {
	s, err := c.store.IssueStats(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("issue statistics: %w", err)
	}
	return s, nil
}

// Meeting returns a meeting with its attendees and decisions.
func (c *CPPT) Meeting(ctx context.Context, id string) (*Meeting, error) {
	m, err := c.store.Meeting(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read meeting %s: %w", id, err)
	}
	return m, nil
}

// Meetings returns the meetings dated in [from, to), earliest first.
func (c *CPPT) Meetings(ctx context.Context, from, to time.Time) ([]Meeting, error) {
	ms, err := c.store.Meetings(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	return ms, nil
}

// NextMeeting returns the earliest meeting not yet begun at now, or nil
// when none is planned.
func (c *CPPT) NextMeeting(ctx context.Context, now time.Time) (*Meeting, error) {
	m, err := c.store.NextMeeting(ctx, now)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("next meeting: %w", err)
	}
	return m, nil
}

// PublicBoard returns the board for anyone: the active issues, the issues
// resolved in now's quarter and the next meeting, each issue through
// PublicSummary.
func (c *CPPT) PublicBoard(ctx context.Context, now time.Time) (*PublicBoard, error) {
	b := &PublicBoard{At: now, Quarter: QuarterLabel(now), Open: []PublicIssue{}, Resolved: []PublicIssue{}}
	open, n, err := c.store.Issues(ctx, IssueFilter{Status: ActiveStatuses, Limit: MaxBoardItems})
	if err != nil {
		return nil, fmt.Errorf("public board: %w", err)
	}
	b.OpenTotal = n
	for _, s := range open {
		b.Open = append(b.Open, PublicSummary(s))
	}
	qs, qe := QuarterOf(now)
	done, n, err := c.store.Issues(ctx, IssueFilter{Status: []IssueStatus{IssueResolved}, EndedFrom: qs, EndedTo: qe, Limit: MaxBoardItems})
	if err != nil {
		return nil, fmt.Errorf("public board: %w", err)
	}
	b.ResolvedTotal = n
	for _, s := range done {
		b.Resolved = append(b.Resolved, PublicSummary(s))
	}
	m, err := c.NextMeeting(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("public board: %w", err)
	}
	if m != nil {
		b.NextMeeting = &PublicMeeting{Date: m.Date, Place: m.Place}
	}
	return b, nil
}

// ReportWeeks counts the citizens' reports per category per ISO week from
// the week of from to the week of to, for the team's charts. A store that
// keeps no such counts (it does not implement ReportStatsStore) gives the
// weeks with no reports.
func (c *CPPT) ReportWeeks(ctx context.Context, from, to time.Time) (*CategoryWeeks, error) {
	rs, ok := c.store.(ReportStatsStore)
	if !ok {
		w, err := NewCategoryWeeks(from, to)
		if err != nil {
			return nil, fmt.Errorf("report statistics: %w", err)
		}
		return w, nil
	}
	w, err := rs.ReportWeeks(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("report statistics: %w", err)
	}
	return w, nil
}

// Now is the service's trusted time, for pages that show what is overdue.
func (c *CPPT) Now() time.Time {
	now, _ := c.clock.Now()
	return now
}
