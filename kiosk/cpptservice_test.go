package kiosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

var (
	member  = kiosk.Actor{Username: "nodira", Role: kiosk.RoleCPPT}
	admin   = kiosk.Actor{Username: "admin", Role: kiosk.RoleAdmin}
	officer = kiosk.Actor{Username: "ali", Role: kiosk.RoleOfficer}
)

func newCPPT(t *testing.T) (*kiosk.CPPT, *kiosktest.Store, *kiosktest.Clock) {
	t.Helper()
	st := kiosktest.NewStore()
	wall := kiosktest.NewClock(time.Date(2026, 5, 4, 4, 0, 0, 0, time.UTC)) // 09:00 in Dushanbe
	c, err := kiosk.NewCPPT(st, kiosk.NewTrustedClock(wall, time.Time{}, nil),
		kiosk.CPPTConfig{CPC: "ISF", Settlements: []string{"Навобод", "Қизилқалъа", "Гулистон"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, st, wall
}

func TestNewCPPTConfig(t *testing.T) {
	st := kiosktest.NewStore()
	clock := kiosk.NewTrustedClock(kiosktest.NewClock(time.Now()), time.Time{}, nil)
	for _, tc := range []struct {
		name string
		cfg  kiosk.CPPTConfig
		ok   bool
	}{
		{"good", kiosk.CPPTConfig{CPC: "ISF", Settlements: []string{"Навобод"}}, true},
		{"no list", kiosk.CPPTConfig{CPC: "ISF"}, true},
		{"bad centre", kiosk.CPPTConfig{CPC: "is"}, false},
		{"settlement twice", kiosk.CPPTConfig{CPC: "ISF", Settlements: []string{"Навобод", "навобод"}}, false},
		{"blank settlement", kiosk.CPPTConfig{CPC: "ISF", Settlements: []string{" "}}, false},
	} {
		if _, err := kiosk.NewCPPT(st, clock, tc.cfg, nil); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Only the team and admins write; a refused write leaves no trace in the
// store, and every accepted one is audited under the actor's name.
func TestCPPTWritesNeedTheRole(t *testing.T) {
	ctx := context.Background()
	c, st, _ := newCPPT(t)
	i, err := c.LogIssue(ctx, member, goodIssue())
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 5, 20, 0, 0, 0, 0, kiosk.Zone)
	writes := map[string]func(by kiosk.Actor) error{
		"log": func(by kiosk.Actor) error {
			n := goodIssue()
			n.IgnoreDuplicates = true
			_, err := c.LogIssue(ctx, by, n)
			return err
		},
		"update": func(by kiosk.Actor) error {
			p := kiosk.PriorityHigh
			_, err := c.UpdateIssue(ctx, by, i.ID, kiosk.IssueEdit{Priority: &p})
			return err
		},
		"add action": func(by kiosk.Actor) error {
			_, err := c.AddAction(ctx, by, i.ID, kiosk.NewAction{Text: "x", Responsible: "y", Due: due})
			return err
		},
		"status": func(by kiosk.Actor) error {
			_, err := c.ChangeStatus(ctx, by, i.ID, kiosk.IssueInProgress, "")
			return err
		},
		"meeting": func(by kiosk.Actor) error {
			_, err := c.AddMeeting(ctx, by, kiosk.NewMeeting{Date: due})
			return err
		},
	}
	for name, write := range writes {
		for _, by := range []kiosk.Actor{officer, {Username: "x", Role: kiosk.RoleCPPT}, {Username: "nodira", Role: "root"}, {}} {
			before := len(st.Audit)
			if err := write(by); !errors.Is(err, kiosk.ErrForbidden) {
				t.Errorf("%s by %+v: %v, want ErrForbidden", name, by, err)
			}
			if len(st.Audit) != before {
				t.Errorf("%s by %+v was audited as done", name, by)
			}
		}
	}
	if _, err := c.CompleteAction(ctx, officer, i.ID, "x"); !errors.Is(err, kiosk.ErrForbidden) {
		t.Errorf("complete action by an officer: %v", err)
	}
	for _, name := range []string{"log", "update", "add action", "status", "meeting"} {
		before := len(st.Audit)
		if err := writes[name](admin); err != nil {
			t.Fatalf("%s by admin: %v", name, err)
		}
		if len(st.Audit) != before+1 || st.Audit[before].Actor != "admin" {
			t.Errorf("%s by admin: audit %+v", name, st.Audit[before:])
		}
	}
}

func TestLogIssue(t *testing.T) {
	ctx := context.Background()
	c, st, wall := newCPPT(t)
	in := goodIssue()
	in.Settlement = "навобод"
	i, err := c.LogIssue(ctx, member, in)
	if err != nil {
		t.Fatal(err)
	}
	if i.Number.String() != "ISF-P-26-0001" || i.Settlement != "Навобод" || i.Status != kiosk.IssueOpen ||
		i.CreatedBy != "nodira" || i.Priority != kiosk.PriorityMedium || len(i.History) != 1 {
		t.Errorf("logged %+v", i)
	}
	got, err := c.Issue(ctx, i.ID)
	if err != nil || got.RaisedBy != i.RaisedBy || got.Description != i.Description {
		t.Errorf("read back %+v, %v", got, err)
	}
	if byNum, err := c.IssueByNumber(ctx, "isf p 26 0001"); err != nil || byNum.ID != i.ID {
		t.Errorf("by number: %v", err)
	}
	if _, err := c.IssueByNumber(ctx, "ISF-P-26-0099"); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown number: %v", err)
	}
	if _, err := c.IssueByNumber(ctx, "nonsense"); !errors.Is(err, kiosk.ErrInvalidNumber) {
		t.Errorf("malformed number: %v", err)
	}
	a := st.Audit[len(st.Audit)-1]
	if a.Action != "cppt.issue.create" || a.Record != "cppt:"+i.ID || a.Actor != "nodira" || a.Detail != "street_lighting" {
		t.Errorf("audit %+v", a)
	}
	for _, e := range st.Audit {
		if strings.Contains(e.Detail, "Гулҷаҳон") || strings.Contains(e.Detail, "+992") {
			t.Errorf("personal data in the audit trail: %+v", e)
		}
	}
	// The sequence is per year, by the clock of the centre.
	in = goodIssue()
	in.Category = kiosk.IssueTraffic
	i2, err := c.LogIssue(ctx, member, in)
	if err != nil || i2.Number.String() != "ISF-P-26-0002" {
		t.Fatalf("second: %v %v", i2, err)
	}
	wall.Set(time.Date(2026, 12, 31, 19, 1, 0, 0, time.UTC)) // 00:01 on 1 January in Dushanbe
	in.Category = kiosk.IssueYouth
	i3, err := c.LogIssue(ctx, member, in)
	if err != nil || i3.Number.String() != "ISF-P-27-0001" {
		t.Fatalf("new year: %v %v", i3, err)
	}
	var ve *kiosk.ValidationError
	if _, err := c.LogIssue(ctx, member, kiosk.NewIssue{Category: kiosk.IssueTraffic}); !errors.As(err, &ve) {
		t.Errorf("invalid input: %v", err)
	}
	if len(st.CPPTOutbox()) != 3 {
		t.Errorf("outbox %+v", st.CPPTOutbox())
	}
}

// Logging an issue like an open one offers the open one; the member may
// log it anyway. Ended issues are not offered.
func TestLogIssueOffersDuplicates(t *testing.T) {
	ctx := context.Background()
	c, st, _ := newCPPT(t)
	first, err := c.LogIssue(ctx, member, goodIssue())
	if err != nil {
		t.Fatal(err)
	}
	again := goodIssue()
	again.Settlement = " НАВОБОД"
	again.Description = "Боз торик"
	audits := len(st.Audit)
	_, err = c.LogIssue(ctx, member, again)
	var de *kiosk.DuplicatesError
	if !errors.As(err, &de) || !errors.Is(err, kiosk.ErrPossibleDuplicate) || len(de.Candidates) != 1 || de.Candidates[0].ID != first.ID {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "ISF-P-26-0001") || len(st.Audit) != audits {
		t.Errorf("error %q, audit grew to %d", err, len(st.Audit))
	}
	if d, err := c.Duplicates(ctx, kiosk.IssueStreetLighting, "Навобод"); err != nil || len(d) != 1 {
		t.Errorf("Duplicates = %v, %v", d, err)
	}
	other := goodIssue()
	other.Settlement = "Гулистон"
	if _, err := c.LogIssue(ctx, member, other); err != nil {
		t.Errorf("another settlement: %v", err)
	}
	again.IgnoreDuplicates = true
	second, err := c.LogIssue(ctx, member, again)
	if err != nil {
		t.Fatalf("logged anyway: %v", err)
	}
	for _, id := range []string{first.ID, second.ID} {
		if _, err := c.ChangeStatus(ctx, member, id, kiosk.IssueClosed, "одно и то же"); err != nil {
			t.Fatal(err)
		}
	}
	again.IgnoreDuplicates = false
	if _, err := c.LogIssue(ctx, member, again); err != nil {
		t.Errorf("closed issues offered as duplicates: %v", err)
	}
}

func TestIssueLifecycle(t *testing.T) {
	ctx := context.Background()
	c, st, wall := newCPPT(t)
	i, err := c.LogIssue(ctx, member, goodIssue())
	if err != nil {
		t.Fatal(err)
	}
	analysis := "Сабаб: кабел дуздида шуд.\nҲамсояҳо мегӯянд…"
	prio := kiosk.PriorityHigh
	i, err = c.UpdateIssue(ctx, member, i.ID, kiosk.IssueEdit{Analysis: &analysis, Priority: &prio})
	if err != nil || i.Analysis != analysis || i.Priority != kiosk.PriorityHigh {
		t.Fatalf("update: %+v %v", i, err)
	}
	if a := st.Audit[len(st.Audit)-1]; a.Action != "cppt.issue.update" || a.Detail != "analysis,priority" {
		t.Errorf("audit %+v", a)
	}
	bad := "Душанбе"
	if _, err := c.UpdateIssue(ctx, member, i.ID, kiosk.IssueEdit{Settlement: &bad}); fieldErr(t, err) != "settlement:invalid" {
		t.Errorf("bad settlement: %v", err)
	}
	due := kiosk.DayStart(wall.Now()).AddDate(0, 0, 3)
	i, err = c.AddAction(ctx, member, i.ID, kiosk.NewAction{Text: "Ба ҶДММ нома навиштан", Responsible: "Фарҳод", Due: due})
	if err != nil || len(i.Actions) != 1 {
		t.Fatalf("add action: %+v %v", i, err)
	}
	i, err = c.AddAction(ctx, member, i.ID, kiosk.NewAction{Text: "Бо раиси маҳалла", Responsible: "Нодира", Due: due.AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	first, second := i.Actions[0], i.Actions[1]
	if first.CreatedBy != "nodira" || !first.Due.Equal(due) || first.Done() {
		t.Errorf("action %+v", first)
	}
	wall.Advance(5 * 24 * time.Hour)
	now, _ := kiosk.NewTrustedClock(wall, time.Time{}, nil).Now()
	if late, _, _ := c.Issues(ctx, kiosk.IssueFilter{OverdueAt: now}); len(late) != 1 {
		t.Errorf("overdue issues: %v", late)
	}
	if o := i.Overdue(now); len(o) != 1 || o[0].ID != first.ID {
		t.Errorf("overdue %+v", o)
	}
	i, err = c.CompleteAction(ctx, member, i.ID, first.ID)
	if err != nil || !i.Actions[0].Done() || i.Actions[0].DoneBy != "nodira" {
		t.Fatalf("complete: %+v %v", i.Actions, err)
	}
	audits := len(st.Audit)
	if again, err := c.CompleteAction(ctx, member, i.ID, first.ID); err != nil || !again.Actions[0].DoneAt.Equal(i.Actions[0].DoneAt) {
		t.Errorf("completing twice: %v", err)
	}
	if len(st.Audit) != audits {
		t.Error("completing a done action again was audited")
	}
	if _, err := c.CompleteAction(ctx, member, i.ID, "no-such-action"); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := c.ChangeStatus(ctx, member, i.ID, kiosk.IssueResolved, " "); !errors.Is(err, kiosk.ErrTransition) {
		t.Errorf("resolve without an assessment: %v", err)
	}
	if _, err := c.ChangeStatus(ctx, member, i.ID, kiosk.IssueResolved, "bad\x00"); fieldErr(t, err) != "note:control_character" {
		t.Errorf("assessment with a control character: %v", err)
	}
	i, err = c.ChangeStatus(ctx, member, i.ID, kiosk.IssueResolved, "Кӯча равшан шуд.")
	if err != nil || i.Status != kiosk.IssueResolved || i.Assessment != "Кӯча равшан шуд." {
		t.Fatalf("resolve: %+v %v", i, err)
	}
	if len(i.Overdue(now.AddDate(1, 0, 0))) != 0 {
		t.Error("a resolved issue has overdue actions")
	}
	// An ended issue is read-only until reopened.
	if _, err := c.UpdateIssue(ctx, member, i.ID, kiosk.IssueEdit{Priority: &prio}); !errors.Is(err, kiosk.ErrTransition) {
		t.Errorf("edit a resolved issue: %v", err)
	}
	if _, err := c.AddAction(ctx, member, i.ID, kiosk.NewAction{Text: "x", Responsible: "y", Due: now}); !errors.Is(err, kiosk.ErrTransition) {
		t.Errorf("add an action to a resolved issue: %v", err)
	}
	if _, err := c.CompleteAction(ctx, member, i.ID, second.ID); !errors.Is(err, kiosk.ErrTransition) {
		t.Errorf("complete an action of a resolved issue: %v", err)
	}
	i, err = c.ChangeStatus(ctx, member, i.ID, kiosk.IssueInProgress, "Боз торик шуд")
	if err != nil || i.Assessment != "" || i.Status != kiosk.IssueInProgress {
		t.Fatalf("reopen: %+v %v", i, err)
	}
	var statuses []kiosk.IssueStatus
	for _, e := range i.History {
		statuses = append(statuses, e.Status)
	}
	if !slices.Equal(statuses, []kiosk.IssueStatus{kiosk.IssueOpen, kiosk.IssueResolved, kiosk.IssueInProgress}) ||
		i.History[1].Note != "Кӯча равшан шуд." || i.History[2].Note != "Боз торик шуд" {
		t.Errorf("history %+v", i.History)
	}
	if _, err := c.UpdateIssue(ctx, member, "00000000-0000-4000-8000-000000000000", kiosk.IssueEdit{Priority: &prio}); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown issue: %v", err)
	}
	if n := len(st.CPPTOutbox()); n != 1 {
		t.Errorf("one record, %d outbox entries", n)
	}
}

func TestMeetingsAndPublicBoard(t *testing.T) {
	ctx := context.Background()
	c, st, wall := newCPPT(t)
	log := func(cat kiosk.IssueCategory, settlement string) *kiosk.CPPTIssue {
		t.Helper()
		n := goodIssue()
		n.Category, n.Settlement = cat, settlement
		i, err := c.LogIssue(ctx, member, n)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	status := func(i *kiosk.CPPTIssue, to kiosk.IssueStatus, note string) {
		t.Helper()
		if _, err := c.ChangeStatus(ctx, member, i.ID, to, note); err != nil {
			t.Fatal(err)
		}
	}
	wall.Set(time.Date(2026, 4, 10, 4, 0, 0, 0, time.UTC))
	lights := log(kiosk.IssueStreetLighting, "Навобод")
	family := log(kiosk.IssueDomesticViolence, "Навобод")
	road := log(kiosk.IssueTraffic, "Гулистон")
	status(lights, kiosk.IssueResolved, "СЕКРЕТ-арзёбӣ")
	status(road, kiosk.IssueInProgress, "")
	wall.Set(time.Date(2026, 6, 20, 4, 0, 0, 0, time.UTC))
	status(road, kiosk.IssueResolved, "Аломатҳо гузошта шуданд")

	_, err := c.AddMeeting(ctx, member, kiosk.NewMeeting{Date: time.Date(2026, 5, 1, 0, 0, 0, 0, kiosk.Zone),
		IssueIDs: []string{"00000000-0000-4000-8000-000000000000"}})
	if fieldErr(t, err) != "issue_ids.0:not_found" {
		t.Errorf("meeting about an unknown issue: %v", err)
	}
	held, err := c.AddMeeting(ctx, member, kiosk.NewMeeting{Date: time.Date(2026, 5, 15, 15, 0, 0, 0, kiosk.Zone),
		Place: "Ҷамоат", Attendees: []string{"СЕКРЕТ-иштирокчӣ", "Нодира"}, IssueIDs: []string{lights.ID, road.ID},
		Decisions: "СЕКРЕТ-қарор"})
	if err != nil {
		t.Fatal(err)
	}
	if a := st.Audit[len(st.Audit)-1]; a.Action != "cppt.meeting.create" || a.Record != "meeting:"+held.ID || a.Detail != "2026-05-15" {
		t.Errorf("audit %+v", a)
	}
	later, err := c.AddMeeting(ctx, member, kiosk.NewMeeting{Date: time.Date(2026, 8, 1, 15, 0, 0, 0, kiosk.Zone), Place: "Мактаб"})
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.AddMeeting(ctx, member, kiosk.NewMeeting{Date: time.Date(2026, 7, 9, 15, 0, 0, 0, kiosk.Zone), Place: "Клуб"})
	if err != nil {
		t.Fatal(err)
	}
	// The minutes of the meeting, recorded afterwards, may move its date.
	next, err = c.UpdateMeeting(ctx, member, next.ID, kiosk.NewMeeting{Date: time.Date(2026, 7, 2, 15, 0, 0, 0, kiosk.Zone),
		Place: "Клуби маҳалла", Attendees: []string{"Нодира"}})
	if err != nil || next.Place != "Клуби маҳалла" {
		t.Fatalf("update meeting: %+v %v", next, err)
	}
	if _, err := c.UpdateMeeting(ctx, officer, next.ID, kiosk.NewMeeting{Date: next.Date}); !errors.Is(err, kiosk.ErrForbidden) {
		t.Errorf("officer edits a meeting: %v", err)
	}
	ms, err := c.Meetings(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, kiosk.Zone), time.Date(2027, 1, 1, 0, 0, 0, 0, kiosk.Zone))
	if err != nil || len(ms) != 3 || ms[0].ID != held.ID || ms[1].ID != next.ID || ms[2].ID != later.ID {
		t.Errorf("meetings %+v %v", ms, err)
	}

	june := time.Date(2026, 6, 20, 12, 0, 0, 0, kiosk.Zone)
	b, err := c.PublicBoard(ctx, june)
	if err != nil {
		t.Fatal(err)
	}
	if b.OpenTotal != 1 || len(b.Open) != 1 || b.Open[0] != (kiosk.PublicIssue{Category: kiosk.IssueDomesticViolence,
		Status: kiosk.IssueOpen, Opened: "2026-04"}) {
		t.Errorf("open %+v", b.Open)
	}
	if b.Quarter != "2026-Q2" || b.ResolvedTotal != 2 || len(b.Resolved) != 2 ||
		b.Resolved[0].Number != road.Number.String() || b.Resolved[1].Number != lights.Number.String() ||
		b.Resolved[1].Landmark != lights.Landmark || b.Resolved[0].Landmark != road.Landmark || b.Resolved[1].Ended != "2026-04-10" {
		t.Errorf("resolved %+v", b.Resolved)
	}
	if b.NextMeeting == nil || !b.NextMeeting.Date.Equal(next.Date) || b.NextMeeting.Place != "Клуби маҳалла" {
		t.Errorf("next meeting %+v", b.NextMeeting)
	}
	js, _ := json.Marshal(b)
	for _, secret := range []string{"СЕКРЕТ", "Гулҷаҳон", "+992", "торик", family.ID, family.Number.String()} {
		if strings.Contains(string(js), secret) {
			t.Errorf("the public board shows %q: %s", secret, js)
		}
	}
	b, err = c.PublicBoard(ctx, time.Date(2026, 7, 5, 12, 0, 0, 0, kiosk.Zone))
	if err != nil {
		t.Fatal(err)
	}
	if b.Quarter != "2026-Q3" || b.ResolvedTotal != 0 || len(b.Resolved) != 0 || b.NextMeeting == nil || !b.NextMeeting.Date.Equal(later.Date) {
		t.Errorf("in July: %+v", b)
	}
	b, err = c.PublicBoard(ctx, time.Date(2026, 9, 1, 0, 0, 0, 0, kiosk.Zone))
	if err != nil || b.NextMeeting != nil || b.Open == nil || b.Resolved == nil {
		t.Errorf("nothing planned: %+v %v", b, err)
	}
	if m, err := c.NextMeeting(ctx, time.Date(2026, 9, 1, 0, 0, 0, 0, kiosk.Zone)); m != nil || err != nil {
		t.Errorf("NextMeeting with none planned: %v %v", m, err)
	}
	stats, err := c.Stats(ctx, time.Date(2026, 4, 1, 0, 0, 0, 0, kiosk.Zone), june)
	if err != nil || !slices.Equal(stats.Opened, []int{3, 0, 0}) || !slices.Equal(stats.Resolved, []int{1, 0, 1}) ||
		!slices.Equal(stats.DaysToResolution, []int{0, 71}) {
		t.Errorf("stats %+v %v", stats, err)
	}
}

// A store that cannot commit fails the write with its error, and nothing
// is half-done.
func TestCPPTStoreFailure(t *testing.T) {
	ctx := context.Background()
	c, st, _ := newCPPT(t)
	st.Err = kiosk.ErrUnavailable
	if _, err := c.LogIssue(ctx, member, goodIssue()); !errors.Is(err, kiosk.ErrUnavailable) {
		t.Errorf("log: %v", err)
	}
	if len(st.Audit) != 0 || len(st.CPPTOutbox()) != 0 {
		t.Error("a failed write left traces")
	}
}

// cpptOnly hides every method of the fake but those of kiosk.CPPTStore.
type cpptOnly struct{ kiosk.CPPTStore }

// TestCPPTReportWeeksAndMeeting: the weekly report counts come from a
// store that keeps them, and are empty weeks from one that does not; a
// meeting reads back by id.
func TestCPPTReportWeeksAndMeeting(t *testing.T) {
	ctx := context.Background()
	c, st, clock := newCPPT(t)
	svc, err := kiosk.NewService(st, kiosk.NewTrustedClock(clock, time.Time{}, nil), kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cat := range []kiosk.Category{"theft", "theft", "fraud"} {
		if _, err := svc.Create(ctx, kiosk.NewReport{Category: cat, Lang: "tg", Anonymous: true,
			Incident: kiosk.Incident{Description: "x", Place: "y"}}); err != nil {
			t.Fatal(err)
		}
	}
	now := c.Now()
	w, err := c.ReportWeeks(ctx, now.AddDate(0, 0, -14), now)
	if err != nil {
		t.Fatal(err)
	}
	last := len(w.Weeks) - 1
	if len(w.Weeks) != 3 || w.Counts[slices.Index(w.Categories, "theft")][last] != 2 || w.Counts[slices.Index(w.Categories, "fraud")][last] != 1 {
		t.Fatalf("weeks %v counts %v", w.Weeks, w.Counts)
	}
	bare, err := kiosk.NewCPPT(cpptOnly{st}, kiosk.NewTrustedClock(clock, time.Time{}, nil), kiosk.CPPTConfig{CPC: "ISF"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w, err = bare.ReportWeeks(ctx, now.AddDate(0, 0, -14), now); err != nil || len(w.Weeks) != 3 || w.Counts[0][2] != 0 {
		t.Fatalf("without counters: %v %v", w, err)
	}
	if _, err := c.ReportWeeks(ctx, now, now.AddDate(0, 0, -30)); err == nil {
		t.Error("a range ending before it starts is accepted")
	}
	m, err := c.AddMeeting(ctx, member, kiosk.NewMeeting{Date: now.AddDate(0, 0, 3), Place: "Мактаб"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Meeting(ctx, m.ID); err != nil || got.Place != "Мактаб" {
		t.Fatalf("meeting %+v %v", got, err)
	}
	if _, err := c.Meeting(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown meeting: %v", err)
	}
}
