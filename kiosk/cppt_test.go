package kiosk_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
)

// tj is a time in Dushanbe (UTC+5).
func tj(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, kiosk.Zone)
}

// The ids are stored and relayed: they must never change.
func TestIssueCategoryIDsAreStable(t *testing.T) {
	want := []string{"street_lighting", "alcohol", "drugs", "youth", "domestic_violence", "traffic",
		"land_water", "theft_hotspot", "other"}
	var got []string
	for _, c := range kiosk.IssueCategories {
		got = append(got, string(c))
		if !c.Valid() {
			t.Errorf("%s not valid", c)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("categories %v, want %v", got, want)
	}
	if kiosk.IssueCategory("theft").Valid() {
		t.Error("a report category is not an issue category")
	}
	var st []string
	for _, s := range kiosk.IssueStatuses {
		st = append(st, string(s))
	}
	if !slices.Equal(st, []string{"open", "in_progress", "resolved", "closed"}) {
		t.Errorf("statuses %v", st)
	}
}

func TestIssueTransitions(t *testing.T) {
	const (
		open, prog, res, closed = kiosk.IssueOpen, kiosk.IssueInProgress, kiosk.IssueResolved, kiosk.IssueClosed
	)
	for _, tc := range []struct {
		name     string
		from, to kiosk.IssueStatus
		note     string
		ok       bool
		assess   string // Assessment after a successful change
	}{
		{"start work", open, prog, "", true, ""},
		{"resolve", prog, res, "Чароғҳо насб шуданд", true, "Чароғҳо насб шуданд"},
		{"resolve at once", open, res, "fixed", true, "fixed"},
		{"close", prog, closed, "duplicate of ISF-P-26-0001", true, "duplicate of ISF-P-26-0001"},
		{"resolve without assessment", prog, res, "", false, ""},
		{"close without assessment", open, closed, "", false, ""},
		{"reopen resolved", res, prog, "the lamps were stolen again", true, ""},
		{"reopen closed", closed, prog, "closed by mistake", true, ""},
		{"reopen without reason", res, prog, "", false, ""},
		{"back to open", prog, open, "", false, ""},
		{"reopen to open", res, open, "again", false, ""},
		{"resolved to closed", res, closed, "x", false, ""},
		{"same status", prog, prog, "", false, ""},
		{"unknown status", open, "done", "x", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ""
			if tc.from.Ended() {
				before = "old"
			}
			i := &kiosk.CPPTIssue{Status: tc.from, Assessment: before}
			at := tj(2026, 5, 4, 10, 0)
			err := i.Transition(tc.to, tc.note, "nodira", at)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, kiosk.ErrTransition) {
					t.Errorf("error %v does not wrap ErrTransition", err)
				}
				if i.Status != tc.from || len(i.History) != 0 || i.Assessment != before {
					t.Errorf("a refused transition changed the issue: %+v", i)
				}
				return
			}
			if i.Status != tc.to || i.Assessment != tc.assess || !i.UpdatedAt.Equal(at) {
				t.Errorf("after: %+v", i)
			}
			if want := (kiosk.IssueEvent{Status: tc.to, At: at, By: "nodira", Note: tc.note}); len(i.History) != 1 || i.History[0] != want {
				t.Errorf("history %+v", i.History)
			}
		})
	}
}

func TestIssueNumber(t *testing.T) {
	n := kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 7}
	if n.String() != "ISF-P-26-0007" {
		t.Fatalf("String = %s", n)
	}
	if tn := (kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 7, Training: true}); tn.String() != "ISF-PT-26-0007" {
		t.Fatalf("training String = %s", tn)
	}
	for _, tc := range []struct {
		in   string
		want kiosk.IssueNumber
		ok   bool
	}{
		{"ISF-P-26-0007", n, true},
		{"isf-p-26-0007", n, true},
		{"ISF P 26 0007", n, true},
		{"ISFP260007", n, true},
		{"ІSF-Р-26-0007", kiosk.IssueNumber{}, false}, // Ukrainian І is no look-alike we map
		{"ISF-Р-26-0007", n, true},                    // Cyrillic Р
		{"ISF-P-26-0000", kiosk.IssueNumber{}, false},
		{"ISF-P-26-007", kiosk.IssueNumber{}, false},
		{"ISF1-26-000123-4", kiosk.IssueNumber{}, false},
		{"ISF-X-26-0007", kiosk.IssueNumber{}, false},
		{"ISF-PT-26-0007", kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 7, Training: true}, true},
		{"isf pt 26 0007", kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 7, Training: true}, true},
		{"ISF-PT-26-007", kiosk.IssueNumber{}, false},
		{"ISF-TP-26-0007", kiosk.IssueNumber{}, false},
		{"", kiosk.IssueNumber{}, false},
	} {
		got, err := kiosk.ParseIssueNumber(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, kiosk.ErrInvalidNumber) {
			t.Errorf("Parse(%q): %v does not wrap ErrInvalidNumber", tc.in, err)
		}
	}
	b, _ := json.Marshal(struct{ N kiosk.IssueNumber }{n})
	var back struct{ N kiosk.IssueNumber }
	if err := json.Unmarshal(b, &back); err != nil || back.N != n || string(b) != `{"N":"ISF-P-26-0007"}` {
		t.Errorf("JSON %s -> %v, %v", b, back.N, err)
	}
}

// fieldErr returns the field of the first validation error, or "".
func fieldErr(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ve *kiosk.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a validation error: %v", err)
	}
	return ve.Fields[0].Field + ":" + ve.Fields[0].Code
}

func goodIssue() kiosk.NewIssue {
	return kiosk.NewIssue{
		Category: kiosk.IssueStreetLighting, Settlement: "Навобод", Landmark: "назди мактаби №5",
		Description: "Кӯча торик аст.\nЧароғҳо кор намекунанд.",
		RaisedBy:    kiosk.Raiser{Name: "Гулҷаҳон Ҳакимова", Phone: "+992 93 555 12 34"},
	}
}

func TestNewIssueValidate(t *testing.T) {
	list := []string{"Навобод", "Қизилқалъа"}
	for _, tc := range []struct {
		name string
		edit func(n *kiosk.NewIssue)
		want string
	}{
		{"good", func(n *kiosk.NewIssue) {}, ""},
		{"no category", func(n *kiosk.NewIssue) { n.Category = "" }, "category:required"},
		{"report category", func(n *kiosk.NewIssue) { n.Category = "robbery" }, "category:invalid"},
		{"no settlement", func(n *kiosk.NewIssue) { n.Settlement = "  " }, "settlement:required"},
		{"settlement not listed", func(n *kiosk.NewIssue) { n.Settlement = "Душанбе" }, "settlement:invalid"},
		{"control in landmark", func(n *kiosk.NewIssue) { n.Landmark = "school\x1b[2J" }, "landmark:control_character"},
		{"newline in landmark", func(n *kiosk.NewIssue) { n.Landmark = "school\nyard" }, "landmark:control_character"},
		{"bidi override", func(n *kiosk.NewIssue) { n.Description = "a\u202eb" }, "description:control_character"},
		{"invalid UTF-8", func(n *kiosk.NewIssue) { n.Description = "a\xffb" }, "description:invalid_utf8"},
		{"no description", func(n *kiosk.NewIssue) { n.Description = "\n " }, "description:required"},
		{"long description", func(n *kiosk.NewIssue) { n.Description = strings.Repeat("ҷ", kiosk.MaxDescriptionLen+1) }, "description:too_long"},
		{"long landmark", func(n *kiosk.NewIssue) { n.Landmark = strings.Repeat("қ", kiosk.MaxLandmarkLen+1) }, "landmark:too_long"},
		{"anonymous with name", func(n *kiosk.NewIssue) { n.Anonymous = true }, "raised_by:not_allowed"},
		{"anonymous", func(n *kiosk.NewIssue) { n.Anonymous, n.RaisedBy = true, kiosk.Raiser{} }, ""},
		{"nobody raised it", func(n *kiosk.NewIssue) { n.RaisedBy.Name = "" }, "raised_by.name:required"},
		{"no phone is fine", func(n *kiosk.NewIssue) { n.RaisedBy.Phone = "" }, ""},
		{"bad phone", func(n *kiosk.NewIssue) { n.RaisedBy.Phone = "12ab" }, "raised_by.phone:invalid"},
		{"bad priority", func(n *kiosk.NewIssue) { n.Priority = 4 }, "priority:invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := goodIssue()
			tc.edit(&n)
			if got := fieldErr(t, n.Validate(list)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	n := goodIssue()
	n.Settlement = "  навобод "
	if err := n.Validate(list); err != nil {
		t.Fatal(err)
	}
	if n.Settlement != "Навобод" || n.Priority != kiosk.PriorityMedium || n.RaisedBy.Phone != "+992935551234" {
		t.Errorf("not normalised: %+v", n)
	}
	n = goodIssue()
	n.Settlement = "Any  Place"
	if err := n.Validate(nil); err != nil || n.Settlement != "Any Place" {
		t.Errorf("without a list: %q, %v", n.Settlement, err)
	}
}

func TestNewActionValidate(t *testing.T) {
	now := tj(2026, 5, 4, 23, 30)
	for _, tc := range []struct {
		name string
		a    kiosk.NewAction
		want string
	}{
		{"good", kiosk.NewAction{Text: "Бо ҷамоат сӯҳбат", Responsible: "Фарҳод", Due: tj(2026, 5, 10, 15, 0)}, ""},
		{"due today", kiosk.NewAction{Text: "x", Responsible: "y", Due: tj(2026, 5, 4, 0, 0)}, ""},
		{"due yesterday", kiosk.NewAction{Text: "x", Responsible: "y", Due: tj(2026, 5, 3, 0, 0)}, "due:in_past"},
		{"due in UTC is still today here", kiosk.NewAction{Text: "x", Responsible: "y", Due: time.Date(2026, 5, 3, 19, 30, 0, 0, time.UTC)}, ""},
		{"too far", kiosk.NewAction{Text: "x", Responsible: "y", Due: tj(2028, 5, 5, 0, 0)}, "due:too_far"},
		{"no due", kiosk.NewAction{Text: "x", Responsible: "y"}, "due:required"},
		{"no text", kiosk.NewAction{Responsible: "y", Due: now}, "text:required"},
		{"no one responsible", kiosk.NewAction{Text: "x", Due: now}, "responsible:required"},
		{"long text", kiosk.NewAction{Text: strings.Repeat("a", kiosk.MaxActionTextLen+1), Responsible: "y", Due: now}, "text:too_long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.a
			if got := fieldErr(t, a.Validate(now)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.want == "" && !a.Due.Equal(kiosk.DayStart(tc.a.Due)) {
				t.Errorf("due %v not the start of its day", a.Due)
			}
		})
	}
}

func TestNewMeetingValidate(t *testing.T) {
	now := tj(2026, 5, 4, 9, 0)
	id := "0b7c1f7e-3c1a-4d7e-9f00-123456789abc"
	m := kiosk.NewMeeting{Date: tj(2026, 5, 20, 15, 0), Place: "Маҳалла, клуб",
		Attendees: []string{"Фарҳод", " фарҳод ", "", "Нодира"}, IssueIDs: []string{id, id}, Decisions: "1. …\n2. …"}
	if err := m.Validate(now); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Attendees, []string{"Фарҳод", "Нодира"}) || len(m.IssueIDs) != 1 {
		t.Errorf("not normalised: %+v", m)
	}
	for _, tc := range []struct {
		name string
		m    kiosk.NewMeeting
		want string
	}{
		{"no date", kiosk.NewMeeting{}, "date:required"},
		{"far future", kiosk.NewMeeting{Date: now.AddDate(3, 0, 0)}, "date:too_far"},
		{"bad issue id", kiosk.NewMeeting{Date: now, IssueIDs: []string{"ISF-P-26-0001"}}, "issue_ids.0:invalid"},
		{"control in attendee", kiosk.NewMeeting{Date: now, Attendees: []string{"ok", "a\x00"}}, "attendees.1:control_character"},
		{"too many attendees", kiosk.NewMeeting{Date: now, Attendees: make([]string, kiosk.MaxAttendees+1)}, "attendees:too_many"},
		{"long decisions", kiosk.NewMeeting{Date: now, Decisions: strings.Repeat("x", kiosk.MaxDecisionsLen+1)}, "decisions:too_long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fieldErr(t, tc.m.Validate(now)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPossibleDuplicates(t *testing.T) {
	cands := []kiosk.IssueSummary{
		{ID: "a", Category: kiosk.IssueAlcohol, Settlement: "Навобод", Status: kiosk.IssueOpen},
		{ID: "b", Category: kiosk.IssueAlcohol, Settlement: "НАВОБОД ", Status: kiosk.IssueInProgress},
		{ID: "c", Category: kiosk.IssueAlcohol, Settlement: "Навобод", Status: kiosk.IssueResolved},
		{ID: "d", Category: kiosk.IssueAlcohol, Settlement: "Қизилқалъа", Status: kiosk.IssueOpen},
		{ID: "e", Category: kiosk.IssueDrugs, Settlement: "Навобод", Status: kiosk.IssueOpen},
	}
	got := kiosk.PossibleDuplicates(kiosk.NewIssue{Category: kiosk.IssueAlcohol, Settlement: "навобод"}, cands)
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	if !slices.Equal(ids, []string{"a", "b"}) {
		t.Errorf("duplicates %v, want a b", ids)
	}
}

func TestOverdue(t *testing.T) {
	due := tj(2026, 5, 10, 0, 0)
	i := &kiosk.CPPTIssue{Status: kiosk.IssueInProgress, Actions: []kiosk.Action{
		{ID: "1", Due: due},
		{ID: "2", Due: due, DoneAt: tj(2026, 5, 9, 12, 0)},
		{ID: "3", Due: tj(2026, 5, 20, 0, 0)},
	}}
	for _, tc := range []struct {
		name string
		now  time.Time
		want []string
	}{
		{"on the due day", tj(2026, 5, 10, 23, 59), nil},
		{"the day after, here", tj(2026, 5, 11, 0, 0), []string{"1"}},
		{"still the due day in UTC but not here", time.Date(2026, 5, 10, 19, 0, 0, 0, time.UTC), []string{"1"}},
		{"both late", tj(2026, 6, 1, 0, 0), []string{"1", "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids []string
			for _, a := range i.Overdue(tc.now) {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("overdue %v, want %v", ids, tc.want)
			}
			s := i.Summary()
			if s.Overdue(tc.now) != (len(tc.want) > 0) {
				t.Errorf("summary overdue = %v", s.Overdue(tc.now))
			}
		})
	}
	s := i.Summary()
	if s.Actions != 3 || s.ActionsDone != 1 || !s.NextDue.Equal(due) {
		t.Errorf("summary %+v", s)
	}
	i.Status = kiosk.IssueResolved
	if len(i.Overdue(tj(2026, 7, 1, 0, 0))) != 0 {
		t.Error("an ended issue has overdue actions")
	}
}

func TestPublicView(t *testing.T) {
	issue := func(c kiosk.IssueCategory) *kiosk.CPPTIssue {
		return &kiosk.CPPTIssue{
			ID: "0b7c1f7e-3c1a-4d7e-9f00-123456789abc", Number: kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 12},
			Category: c, Settlement: "Навобод", Landmark: "назди хонаи Раҳимов",
			Description: "СЕКРЕТ-тавсиф", RaisedBy: kiosk.Raiser{Name: "СЕКРЕТ-ном", Phone: "+992935550000"},
			Priority: kiosk.PriorityLow, Status: kiosk.IssueResolved, Analysis: "СЕКРЕТ-таҳлил",
			Actions: []kiosk.Action{{ID: "a", Text: "СЕКРЕТ-амал", Responsible: "СЕКРЕТ-масъул", Due: tj(2026, 5, 1, 0, 0),
				DoneAt: tj(2026, 5, 2, 9, 0), DoneBy: "СЕКРЕТ-user"}},
			Assessment: "СЕКРЕТ-арзёбӣ", CreatedAt: tj(2026, 4, 3, 9, 41), UpdatedAt: tj(2026, 5, 6, 17, 5),
			CreatedBy: "СЕКРЕТ-user",
			History: []kiosk.IssueEvent{{Status: kiosk.IssueOpen, At: tj(2026, 4, 3, 9, 41), By: "СЕКРЕТ-user"},
				{Status: kiosk.IssueResolved, At: tj(2026, 5, 6, 17, 5), By: "СЕКРЕТ-user", Note: "СЕКРЕТ-арзёбӣ"}},
		}
	}
	for _, tc := range []struct {
		cat  kiosk.IssueCategory
		want kiosk.PublicIssue
	}{
		{kiosk.IssueStreetLighting, kiosk.PublicIssue{Number: "ISF-P-26-0012", Category: kiosk.IssueStreetLighting,
			Settlement: "Навобод", Landmark: "назди хонаи Раҳимов", Status: kiosk.IssueResolved,
			Opened: "2026-04-03", Ended: "2026-05-06", Actions: 1, ActionsDone: 1}},
		{kiosk.IssueLandWater, kiosk.PublicIssue{Number: "ISF-P-26-0012", Category: kiosk.IssueLandWater,
			Settlement: "Навобод", Status: kiosk.IssueResolved, Opened: "2026-04-03", Ended: "2026-05-06", Actions: 1, ActionsDone: 1}},
		{kiosk.IssueDomesticViolence, kiosk.PublicIssue{Category: kiosk.IssueDomesticViolence,
			Status: kiosk.IssueResolved, Opened: "2026-04", Ended: "2026-05", Actions: 1, ActionsDone: 1}},
		{kiosk.IssueYouth, kiosk.PublicIssue{Category: kiosk.IssueYouth,
			Status: kiosk.IssueResolved, Opened: "2026-04", Ended: "2026-05", Actions: 1, ActionsDone: 1}},
		{kiosk.IssueDrugs, kiosk.PublicIssue{Category: kiosk.IssueDrugs,
			Status: kiosk.IssueResolved, Opened: "2026-04", Ended: "2026-05", Actions: 1, ActionsDone: 1}},
	} {
		t.Run(string(tc.cat), func(t *testing.T) {
			p := kiosk.PublicView(issue(tc.cat))
			if p != tc.want {
				t.Errorf("got  %+v\nwant %+v", p, tc.want)
			}
			b, _ := json.Marshal(p)
			for _, secret := range []string{"СЕКРЕТ", "+992", "priority", "09:41", "anonymous"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("public view shows %q: %s", secret, b)
				}
			}
		})
	}
}

func TestQuarterOf(t *testing.T) {
	for _, tc := range []struct {
		at         time.Time
		start, end time.Time
		label      string
	}{
		{tj(2026, 1, 1, 0, 0), tj(2026, 1, 1, 0, 0), tj(2026, 4, 1, 0, 0), "2026-Q1"},
		{tj(2026, 3, 31, 23, 59), tj(2026, 1, 1, 0, 0), tj(2026, 4, 1, 0, 0), "2026-Q1"},
		{time.Date(2026, 3, 31, 19, 30, 0, 0, time.UTC), tj(2026, 4, 1, 0, 0), tj(2026, 7, 1, 0, 0), "2026-Q2"},
		{tj(2026, 9, 30, 12, 0), tj(2026, 7, 1, 0, 0), tj(2026, 10, 1, 0, 0), "2026-Q3"},
		{tj(2026, 12, 31, 23, 59), tj(2026, 10, 1, 0, 0), tj(2027, 1, 1, 0, 0), "2026-Q4"},
	} {
		s, e := kiosk.QuarterOf(tc.at)
		if !s.Equal(tc.start) || !e.Equal(tc.end) || kiosk.QuarterLabel(tc.at) != tc.label {
			t.Errorf("QuarterOf(%v) = %v, %v, %s", tc.at, s, e, kiosk.QuarterLabel(tc.at))
		}
	}
}

func TestIssueFilterMatch(t *testing.T) {
	s := kiosk.IssueSummary{Category: kiosk.IssueTraffic, Settlement: "Навобод", Status: kiosk.IssueResolved,
		EndedAt: tj(2026, 5, 1, 0, 0)}
	for _, tc := range []struct {
		name string
		f    kiosk.IssueFilter
		want bool
	}{
		{"none", kiosk.IssueFilter{}, true},
		{"status", kiosk.IssueFilter{Status: kiosk.ActiveStatuses}, false},
		{"category", kiosk.IssueFilter{Category: kiosk.IssueTraffic}, true},
		{"other category", kiosk.IssueFilter{Category: kiosk.IssueYouth}, false},
		{"settlement any case", kiosk.IssueFilter{Settlement: "НАВОБОД"}, true},
		{"ended in range", kiosk.IssueFilter{EndedFrom: tj(2026, 4, 1, 0, 0), EndedTo: tj(2026, 7, 1, 0, 0)}, true},
		{"ended at the end (exclusive)", kiosk.IssueFilter{EndedTo: tj(2026, 5, 1, 0, 0)}, false},
		{"ended at the start (inclusive)", kiosk.IssueFilter{EndedFrom: tj(2026, 5, 1, 0, 0)}, true},
	} {
		if got := tc.f.Match(&s); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func TestIssueStats(t *testing.T) {
	st, err := kiosk.NewIssueStats(tj(2026, 3, 15, 0, 0), tj(2026, 5, 2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Months, []string{"2026-03", "2026-04", "2026-05"}) {
		t.Fatalf("months %v", st.Months)
	}
	for _, s := range []kiosk.IssueSummary{
		{Category: kiosk.IssueTraffic, Status: kiosk.IssueOpen, CreatedAt: tj(2026, 3, 1, 0, 0)},
		// 00:30 on 1 April in Dushanbe, still March in UTC:
		{Category: kiosk.IssueTraffic, Status: kiosk.IssueResolved, CreatedAt: time.Date(2026, 3, 31, 19, 30, 0, 0, time.UTC),
			EndedAt: tj(2026, 4, 11, 23, 0)},
		{Category: kiosk.IssueYouth, Status: kiosk.IssueClosed, CreatedAt: tj(2026, 4, 2, 0, 0), EndedAt: tj(2026, 5, 1, 0, 0)},
		{Category: kiosk.IssueYouth, Status: kiosk.IssueResolved, CreatedAt: tj(2026, 2, 2, 0, 0), EndedAt: tj(2026, 5, 3, 0, 0)},
		{Category: kiosk.IssueYouth, Status: kiosk.IssueResolved, CreatedAt: tj(2026, 5, 2, 10, 0), EndedAt: tj(2026, 5, 2, 11, 0)},
		{Category: "future_category", Status: kiosk.IssueOpen, CreatedAt: tj(2026, 5, 2, 0, 0)},
		{Category: kiosk.IssueTraffic, Status: kiosk.IssueResolved, CreatedAt: tj(2026, 6, 1, 0, 0), EndedAt: tj(2026, 6, 2, 0, 0)},
	} {
		st.Add(&s)
	}
	st.Finish()
	traffic := slices.Index(st.Categories, kiosk.IssueTraffic)
	youth := slices.Index(st.Categories, kiosk.IssueYouth)
	if !slices.Equal(st.ByCategory[traffic], []int{1, 1, 0}) || !slices.Equal(st.ByCategory[youth], []int{0, 1, 1}) {
		t.Errorf("by category: traffic %v youth %v", st.ByCategory[traffic], st.ByCategory[youth])
	}
	if st.Categories[len(st.Categories)-1] != "future_category" || !slices.Equal(st.ByCategory[len(st.Categories)-1], []int{0, 0, 1}) {
		t.Errorf("unknown category not kept: %v", st.Categories)
	}
	if !slices.Equal(st.Opened, []int{1, 2, 2}) || !slices.Equal(st.Resolved, []int{0, 1, 2}) || !slices.Equal(st.Closed, []int{0, 0, 1}) {
		t.Errorf("opened %v resolved %v closed %v", st.Opened, st.Resolved, st.Closed)
	}
	if !slices.Equal(st.DaysToResolution, []int{0, 10, 90}) {
		t.Errorf("days to resolution %v", st.DaysToResolution)
	}
	if _, err := kiosk.NewIssueStats(tj(2026, 5, 1, 0, 0), tj(2026, 4, 1, 0, 0)); err == nil {
		t.Error("an end before the start")
	}
	if _, err := kiosk.NewIssueStats(tj(2000, 1, 1, 0, 0), tj(2026, 4, 1, 0, 0)); err == nil {
		t.Error("more than MaxStatsMonths")
	}
}

func TestCategoryWeeks(t *testing.T) {
	// 2026 has 53 ISO weeks: 2026-12-31 is a Thursday.
	w, err := kiosk.NewCategoryWeeks(tj(2026, 12, 24, 12, 0), tj(2027, 1, 5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Weeks, []string{"2026-W52", "2026-W53", "2027-W01"}) {
		t.Fatalf("weeks %v", w.Weeks)
	}
	if got := kiosk.WeekLabel(time.Date(2027, 1, 3, 19, 30, 0, 0, time.UTC)); got != "2027-W01" {
		t.Errorf("Sunday 19:30 UTC is Monday in Dushanbe: %s", got)
	}
	w.Add("2026-W53", "theft", 3)
	w.Add("2026-W53", "theft", 1)
	w.Add("2027-W02", "theft", 5) // outside
	w.Add("2027-W01", "new_kind", 2)
	theft := slices.Index(w.Categories, "theft")
	if !slices.Equal(w.Counts[theft], []int{0, 4, 0}) || w.Categories[len(w.Categories)-1] != "new_kind" {
		t.Errorf("counts %v, categories %v", w.Counts, w.Categories)
	}
}
