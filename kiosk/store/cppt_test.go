package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

var tz = kiosk.Zone

func newIssue(i int, cat kiosk.IssueCategory, settlement string, at time.Time) *kiosk.CPPTIssue {
	id, _ := kiosk.NewUUID()
	return &kiosk.CPPTIssue{
		ID: id, Number: kiosk.IssueNumber{CPC: "ISF", Year: at.In(tz).Year() % 100},
		Category: cat, Settlement: settlement, Landmark: "назди бозор",
		Description: fmt.Sprintf("ТАВСИФИ-МАХФӢ %d: ҷавонон шабона ҷамъ мешаванд", i),
		RaisedBy:    kiosk.Raiser{Name: fmt.Sprintf("НОМИ-МАХФӢ Раҳимов %d", i), Phone: "+992937770011"},
		Priority:    kiosk.PriorityMedium, Status: kiosk.IssueOpen,
		CreatedAt: at.UTC(), UpdatedAt: at.UTC(), CreatedBy: "nodira",
		History: []kiosk.IssueEvent{{Status: kiosk.IssueOpen, At: at.UTC(), By: "nodira"}},
	}
}

func issueAudit(i *kiosk.CPPTIssue, action string) kiosk.AuditEntry {
	return kiosk.AuditEntry{At: i.UpdatedAt, Actor: "nodira", Action: action, Record: "cppt:" + i.ID}
}

func createIssue(t testing.TB, s *Store, i *kiosk.CPPTIssue) {
	t.Helper()
	if err := s.CreateIssue(context.Background(), i, issueAudit(i, "cppt.issue.create")); err != nil {
		t.Fatal(err)
	}
}

// endIssue resolves or closes an issue at a time.
func endIssue(t testing.TB, s *Store, id string, to kiosk.IssueStatus, at time.Time) {
	t.Helper()
	err := s.UpdateIssue(context.Background(), id, func(i *kiosk.CPPTIssue) error {
		i.Analysis = "ТАҲЛИЛИ-МАХФӢ"
		return i.Transition(to, "АРЗЁБИИ-МАХФӢ", "nodira", at.UTC())
	}, kiosk.AuditEntry{At: at, Actor: "nodira", Action: "cppt.issue.status", Record: "cppt:" + id, Detail: string(to)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCPPTIssueRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	i := newIssue(1, kiosk.IssueYouth, "Навобод", t0)
	createIssue(t, s, i)
	if i.Number.String() != "ISF-P-26-0001" {
		t.Fatalf("number %s", i.Number)
	}
	due := time.Date(2026, 4, 10, 0, 0, 0, 0, tz)
	err := s.UpdateIssue(ctx, i.ID, func(x *kiosk.CPPTIssue) error {
		x.Analysis = "ТАҲЛИЛИ-МАХФӢ"
		x.Actions = []kiosk.Action{
			{ID: "a1", Text: "АМАЛИ-МАХФӢ 1", Responsible: "Фарҳод", Due: due.UTC(), CreatedAt: t0, CreatedBy: "nodira"},
			{ID: "a2", Text: "АМАЛИ-МАХФӢ 2", Responsible: "Нодира", Due: due.UTC(), CreatedAt: t0, CreatedBy: "nodira",
				DoneAt: t0.Add(time.Hour), DoneBy: "nodira"},
		}
		x.Number = kiosk.IssueNumber{CPC: "XXX", Year: 1, Seq: 1} // ignored: the number is fixed
		x.UpdatedAt = t0.Add(2 * time.Hour)
		return x.Transition(kiosk.IssueResolved, "АРЗЁБИИ-МАХФӢ", "nodira", t0.Add(2*time.Hour))
	}, issueAudit(i, "cppt.issue.status"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Issue(ctx, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != i.Number || got.Status != kiosk.IssueResolved || got.Assessment != "АРЗЁБИИ-МАХФӢ" ||
		got.Actions[0].Text != "АМАЛИ-МАХФӢ 1" || got.Actions[1].Text != "АМАЛИ-МАХФӢ 2" || !got.Actions[1].Done() ||
		got.History[1].Note != "АРЗЁБИИ-МАХФӢ" || got.RaisedBy != i.RaisedBy || got.Description != i.Description {
		t.Errorf("read back %+v", got)
	}
	byNum, err := s.IssueByNumber(ctx, i.Number)
	if err != nil || !reflect.DeepEqual(byNum, got) {
		t.Errorf("by number: %+v %v", byNum, err)
	}
	// The index holds the same summary as the record.
	sums, n, err := s.Issues(ctx, kiosk.IssueFilter{})
	if err != nil || n != 1 || !reflect.DeepEqual(sums[0], got.Summary()) {
		t.Errorf("index %+v\nrecord %+v (%v)", sums, got.Summary(), err)
	}
	for _, id := range []string{"nope", ""} {
		if _, err := s.Issue(ctx, id); !errors.Is(err, kiosk.ErrNotFound) {
			t.Errorf("Issue(%q): %v", id, err)
		}
		if err := s.UpdateIssue(ctx, id, func(*kiosk.CPPTIssue) error { return nil }, issueAudit(i, "x")); !errors.Is(err, kiosk.ErrNotFound) {
			t.Errorf("UpdateIssue(%q): %v", id, err)
		}
	}
	if _, err := s.IssueByNumber(ctx, kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 2}); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown number: %v", err)
	}
	// An error from fn aborts the update.
	boom := errors.New("boom")
	if err := s.UpdateIssue(ctx, i.ID, func(x *kiosk.CPPTIssue) error { x.Landmark = "changed"; return boom }, issueAudit(i, "x")); !errors.Is(err, boom) {
		t.Errorf("fn error: %v", err)
	}
	if again, _ := s.Issue(ctx, i.ID); again.Landmark != i.Landmark {
		t.Error("an aborted update was written")
	}
}

// Every free text and the raiser are sealed; the settlement and landmark
// (places, like a report's place) are in clear.
func TestCPPTSealedAtRest(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	i := newIssue(1, kiosk.IssueDomesticViolence, "Қизилқалъа", t0)
	createIssue(t, s, i)
	endIssue(t, s, i.ID, kiosk.IssueResolved, t0.Add(time.Hour))
	err := s.CreateMeeting(ctx, &kiosk.Meeting{ID: "0b7c1f7e-3c1a-4d7e-9f00-123456789abc", Date: t0, Place: "Ҷамоат",
		Attendees: []string{"ИШТИРОКЧИИ-МАХФӢ"}, Decisions: "ҚАРОРИ-МАХФӢ", CreatedAt: t0, CreatedBy: "nodira"},
		kiosk.AuditEntry{At: t0, Actor: "nodira", Action: "cppt.meeting.create"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Sync(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"НОМИ-МАХФӢ", "+992937770011", "ТАВСИФИ-МАХФӢ", "ТАҲЛИЛИ-МАХФӢ", "АРЗЁБИИ-МАХФӢ",
		"ИШТИРОКЧИИ-МАХФӢ", "ҚАРОРИ-МАХФӢ"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("%s is in clear in the file", secret)
		}
	}
	if !bytes.Contains(raw, []byte("Қизилқалъа")) {
		t.Error("the settlement is not in clear (the index needs it)")
	}
	// A sealed part moved to another record does not open.
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCPPTIssues)
		k, v := b.Cursor().First()
		return b.Put(k, bytes.Replace(v, []byte(i.ID), []byte("0b7c1f7e-3c1a-4d7e-9f00-123456789abc"), 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IssueByNumber(ctx, i.Number); err == nil {
		t.Error("a sealed part opened under another record's id")
	}
	s.db.Update(func(tx *bolt.Tx) error { // put it back for the cleanup check
		b := tx.Bucket(bCPPTIssues)
		k, v := b.Cursor().First()
		return b.Put(k, bytes.Replace(v, []byte("0b7c1f7e-3c1a-4d7e-9f00-123456789abc"), []byte(i.ID), 1))
	})
}

// Numbers run per centre and year, survive a restart and never repeat.
func TestCPPTNumbers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, at := range []time.Time{t0, t0.Add(time.Hour), time.Date(2027, 1, 1, 0, 1, 0, 0, tz)} {
		i := newIssue(k, kiosk.IssueOther, "Навобод", at)
		createIssue(t, s, i)
		got = append(got, i.Number.String())
	}
	other := newIssue(9, kiosk.IssueOther, "Навобод", t0)
	other.Number.CPC = "KHJ"
	createIssue(t, s, other)
	got = append(got, other.Number.String())
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAndCheck(t, s)
	i := newIssue(4, kiosk.IssueOther, "Навобод", t0.Add(2*time.Hour))
	createIssue(t, s, i)
	got = append(got, i.Number.String())
	want := []string{"ISF-P-26-0001", "ISF-P-26-0002", "ISF-P-27-0001", "KHJ-P-26-0001", "ISF-P-26-0003"}
	if !slices.Equal(got, want) {
		t.Errorf("numbers %v, want %v", got, want)
	}
	if err := s.CreateIssue(context.Background(), i, issueAudit(i, "again")); !errors.Is(err, kiosk.ErrExists) {
		t.Errorf("the same id twice: %v", err)
	}
}

func TestCPPTIssuesFilter(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	type spec struct {
		cat        kiosk.IssueCategory
		settlement string
		end        kiosk.IssueStatus
		due        time.Time
	}
	specs := []spec{
		{kiosk.IssueTraffic, "Навобод", "", time.Time{}},                             // 1
		{kiosk.IssueAlcohol, "Навобод", kiosk.IssueResolved, time.Time{}},            // 2
		{kiosk.IssueTraffic, "Гулистон", kiosk.IssueInProgress, t0.AddDate(0, 0, 1)}, // 3 overdue from 3 April
		{kiosk.IssueTraffic, "навобод", kiosk.IssueClosed, time.Time{}},              // 4
		{kiosk.IssueYouth, "Навобод", "", t0.AddDate(0, 0, 30)},                      // 5
	}
	for k, sp := range specs {
		i := newIssue(k, sp.cat, sp.settlement, t0.Add(time.Duration(k)*time.Hour))
		createIssue(t, s, i)
		err := s.UpdateIssue(ctx, i.ID, func(x *kiosk.CPPTIssue) error {
			if !sp.due.IsZero() {
				x.Actions = []kiosk.Action{{ID: "a", Text: "t", Responsible: "r", Due: kiosk.DayStart(sp.due)}}
			}
			switch sp.end {
			case kiosk.IssueInProgress:
				return x.Transition(sp.end, "", "nodira", t0.Add(24*time.Hour))
			case kiosk.IssueResolved, kiosk.IssueClosed:
				return x.Transition(sp.end, "done", "nodira", t0.Add(time.Duration(48+k)*time.Hour))
			}
			return nil
		}, issueAudit(i, "cppt.issue.update"))
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		f     kiosk.IssueFilter
		want  []int // sequences, newest first
		total int
	}{
		{"all", kiosk.IssueFilter{}, []int{5, 4, 3, 2, 1}, 5},
		{"active", kiosk.IssueFilter{Status: kiosk.ActiveStatuses}, []int{5, 3, 1}, 3},
		{"traffic", kiosk.IssueFilter{Category: kiosk.IssueTraffic}, []int{4, 3, 1}, 3},
		{"Навобод in any case", kiosk.IssueFilter{Settlement: "НАВОБОД"}, []int{5, 4, 2, 1}, 4},
		{"active traffic in Навобод", kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Category: kiosk.IssueTraffic, Settlement: "Навобод"}, []int{1}, 1},
		{"overdue", kiosk.IssueFilter{OverdueAt: t0.AddDate(0, 0, 3)}, []int{3}, 1},
		{"ended on day 3", kiosk.IssueFilter{EndedFrom: t0.Add(48 * time.Hour), EndedTo: t0.Add(50 * time.Hour)}, []int{2}, 1},
		{"page 2", kiosk.IssueFilter{Offset: 2, Limit: 2}, []int{3, 2}, 5},
		{"past the end", kiosk.IssueFilter{Offset: 9, Limit: 2}, nil, 5},
		{"negative paging", kiosk.IssueFilter{Offset: -1, Limit: -1}, []int{5, 4, 3, 2, 1}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.Issues(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int
			for _, g := range got {
				seqs = append(seqs, g.Number.Seq)
			}
			if !slices.Equal(seqs, tc.want) || total != tc.total {
				t.Errorf("got %v of %d, want %v of %d", seqs, total, tc.want, tc.total)
			}
		})
	}
}

// The decoded index kept in memory follows every write, also with readers
// and writers at the same time.
func TestIssueCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	a := newIssue(1, kiosk.IssueTraffic, "Навобод", t0)
	createIssue(t, s, a)
	if got, _, _ := s.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses}); len(got) != 1 {
		t.Fatalf("before %v", got)
	}
	endIssue(t, s, a.ID, kiosk.IssueResolved, t0.Add(time.Hour))
	if got, _, _ := s.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses}); len(got) != 0 {
		t.Errorf("a resolved issue still listed as active: %v", got)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range 25 {
				createIssue(t, s, newIssue(100*w+k, kiosk.IssueYouth, "Навобод", t0))
			}
		})
		wg.Go(func() {
			for range 50 {
				if _, _, err := s.Issues(ctx, kiosk.IssueFilter{Limit: 5}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	cached, n, err := s.Issues(ctx, kiosk.IssueFilter{})
	if err != nil || n != 101 {
		t.Fatalf("%d issues, %v", n, err)
	}
	s.issues.invalidate()
	fresh, _, _ := s.Issues(ctx, kiosk.IssueFilter{})
	if !reflect.DeepEqual(cached, fresh) {
		t.Error("the cache differs from the index")
	}
}

func TestCPPTIssueStats(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	march := time.Date(2026, 3, 5, 10, 0, 0, 0, tz)
	a := newIssue(1, kiosk.IssueTraffic, "Навобод", march)
	b := newIssue(2, kiosk.IssueTraffic, "Навобод", march.AddDate(0, 1, 0))
	c := newIssue(3, kiosk.IssueLandWater, "Навобод", march.AddDate(0, 1, 1))
	for _, i := range []*kiosk.CPPTIssue{a, b, c} {
		createIssue(t, s, i)
	}
	endIssue(t, s, a.ID, kiosk.IssueResolved, march.AddDate(0, 1, 9)) // 40 days, in April
	endIssue(t, s, c.ID, kiosk.IssueClosed, march.AddDate(0, 2, 0))
	st, err := s.IssueStats(ctx, march, march.AddDate(0, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	traffic, land := slices.Index(st.Categories, kiosk.IssueTraffic), slices.Index(st.Categories, kiosk.IssueLandWater)
	if !slices.Equal(st.Months, []string{"2026-03", "2026-04", "2026-05"}) ||
		!slices.Equal(st.ByCategory[traffic], []int{1, 1, 0}) || !slices.Equal(st.ByCategory[land], []int{0, 1, 0}) ||
		!slices.Equal(st.Opened, []int{1, 2, 0}) || !slices.Equal(st.Resolved, []int{0, 1, 0}) ||
		!slices.Equal(st.Closed, []int{0, 0, 1}) || !slices.Equal(st.DaysToResolution, []int{40}) {
		t.Errorf("stats %+v", st)
	}
	if _, err := s.IssueStats(ctx, march, march.AddDate(-1, 0, 0)); err == nil {
		t.Error("an empty range")
	}
}

func TestCPPTMeetings(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	day := func(d int) time.Time { return time.Date(2026, 5, d, 15, 0, 0, 0, tz) }
	var ids []string
	for _, d := range []int{20, 5, 12} {
		id, _ := kiosk.NewUUID()
		ids = append(ids, id)
		m := &kiosk.Meeting{ID: id, Date: day(d), Place: fmt.Sprintf("place %d", d), Attendees: []string{"Нодира"}, CreatedAt: t0, CreatedBy: "nodira"}
		if err := s.CreateMeeting(ctx, m, kiosk.AuditEntry{At: t0, Actor: "nodira", Action: "cppt.meeting.create", Record: "meeting:" + id}); err != nil {
			t.Fatal(err)
		}
	}
	places := func(ms []kiosk.Meeting) []string {
		var p []string
		for _, m := range ms {
			p = append(p, m.Place)
		}
		return p
	}
	all, err := s.Meetings(ctx, time.Time{}, time.Time{})
	if err != nil || !slices.Equal(places(all), []string{"place 5", "place 12", "place 20"}) {
		t.Errorf("all %v %v", places(all), err)
	}
	some, _ := s.Meetings(ctx, day(5).Add(time.Minute), day(20))
	if !slices.Equal(places(some), []string{"place 12"}) {
		t.Errorf("[5th+1m, 20th) %v", places(some))
	}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{day(1), "place 5"}, {day(5), "place 5"}, {day(5).Add(time.Second), "place 12"}, {day(20), "place 20"},
	} {
		m, err := s.NextMeeting(ctx, tc.at)
		if err != nil || m.Place != tc.want {
			t.Errorf("next at %v: %v %v", tc.at, m, err)
		}
	}
	if _, err := s.NextMeeting(ctx, day(21)); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("none left: %v", err)
	}
	// Moving the 20th to the 1st moves it in the order and leaves no copy.
	err = s.UpdateMeeting(ctx, ids[0], func(m *kiosk.Meeting) error {
		m.Date, m.Decisions = day(1), "Қарор"
		return nil
	}, kiosk.AuditEntry{At: t0, Actor: "nodira", Action: "cppt.meeting.update", Record: "meeting:" + ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	all, _ = s.Meetings(ctx, time.Time{}, time.Time{})
	if !slices.Equal(places(all), []string{"place 20", "place 5", "place 12"}) {
		t.Errorf("after the move %v", places(all))
	}
	m, err := s.Meeting(ctx, ids[0])
	if err != nil || m.Decisions != "Қарор" || !m.Date.Equal(day(1)) || m.Attendees[0] != "Нодира" {
		t.Errorf("moved meeting %+v %v", m, err)
	}
	if _, err := s.Meeting(ctx, "nope"); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("unknown meeting: %v", err)
	}
}

// The CPPT outbox holds one entry per changed record, apart from the
// reports' outbox; settling a replaced entry leaves the newer one.
func TestCPPTOutbox(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	a := newIssue(1, kiosk.IssueTraffic, "Навобод", t0)
	b := newIssue(2, kiosk.IssueTraffic, "Навобод", t0)
	createIssue(t, s, a)
	createIssue(t, s, b)
	first, err := s.CPPTOutbox(ctx, 10)
	if err != nil || len(first) != 2 || first[0].RecordID != a.ID || first[0].Type != kiosk.OutboxCPPTIssue {
		t.Fatalf("outbox %+v %v", first, err)
	}
	endIssue(t, s, a.ID, kiosk.IssueResolved, t0.Add(time.Hour)) // a changes while "in flight"
	now, _ := s.CPPTOutbox(ctx, 10)
	if len(now) != 2 || now[0].RecordID != b.ID || now[1].RecordID != a.ID || now[1].Seq <= first[0].Seq {
		t.Fatalf("after a change %+v", now)
	}
	if n, _ := s.OutboxLen(ctx); n != 0 {
		t.Errorf("CPPT records in the reports' outbox: %d", n)
	}
	// The central acknowledges the first batch: b is done; a's old state
	// was delivered but its newer one still waits.
	err = s.SettleCPPT(ctx, []kiosk.Delivery{{Entry: first[0], Delivered: true}, {Entry: first[1], Delivered: true}}, t0, true)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := s.CPPTOutbox(ctx, 10)
	if len(left) != 1 || left[0] != now[1] {
		t.Fatalf("left %+v", left)
	}
	if err := s.SettleCPPT(ctx, []kiosk.Delivery{{Entry: left[0], Reason: "record type cppt is not supported"}}, t0, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CPPTOutboxLen(ctx); n != 0 {
		t.Errorf("%d left", n)
	}
	// A later change queues the record again.
	endIssue(t, s, b.ID, kiosk.IssueClosed, t0.Add(time.Hour))
	if n, _ := s.CPPTOutboxLen(ctx); n != 1 {
		t.Errorf("%d after a new change", n)
	}
	var rejected int
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bAudit).ForEach(func(k, v []byte) error {
			if bytes.Contains(v, []byte(`"relay.rejected"`)) && bytes.Contains(v, []byte("not supported")) {
				rejected++
			}
			return nil
		})
	})
	if rejected != 1 {
		t.Errorf("%d refusals audited", rejected)
	}
}

func TestReportWeeks(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	// Monday 30 March 2026 00:30 in Dushanbe is still Sunday in UTC.
	mon := time.Date(2026, 3, 29, 19, 30, 0, 0, time.UTC)
	for k, c := range []struct {
		cat kiosk.Category
		at  time.Time
	}{
		{"theft", mon}, {"theft", mon.Add(48 * time.Hour)}, {"fraud", mon.Add(time.Hour)},
		{"theft", mon.AddDate(0, 0, 7)}, {"theft", mon.Add(-time.Hour)},
	} {
		r := newReport(k)
		r.Category, r.CreatedAt = c.cat, c.at
		if err := s.CreateReport(ctx, r, audit(r), nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.ReportWeeks(ctx, mon, mon.AddDate(0, 0, 7))
	if err != nil {
		t.Fatal(err)
	}
	theft, fraud := slices.Index(w.Categories, "theft"), slices.Index(w.Categories, "fraud")
	if !slices.Equal(w.Weeks, []string{"2026-W14", "2026-W15"}) || !slices.Equal(w.Counts[theft], []int{2, 1}) ||
		!slices.Equal(w.Counts[fraud], []int{1, 0}) {
		t.Errorf("weeks %v, theft %v, fraud %v", w.Weeks, w.Counts[theft], w.Counts[fraud])
	}
	// A report whose category is corrected moves between counters.
	r, err := s.ReportByNumber(ctx, kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateReport(ctx, r.ID, func(r *kiosk.Report) error { r.Category = "theft"; return nil }, audit(r)); err != nil {
		t.Fatal(err)
	}
	w, _ = s.ReportWeeks(ctx, mon, mon)
	if w.Counts[theft][0] != 3 || w.Counts[fraud][0] != 0 {
		t.Errorf("after the correction %v", w.Counts)
	}
}

// A database made by the version before the CPPT log opens, gains the new
// buckets and counts its reports per week.
func TestAddsCPPTBuckets(t *testing.T) {
	dir := t.TempDir()
	makeDB(t, dir, 3)
	db, err := bolt.Open(dir+"/"+DBFile, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bCPPTIssues, bCPPTIndex, bCPPTKeys, bCPPTSeq, bCPPTMeetings, bCPPTOutbox, bReportWeeks} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open the older file: %v", err)
	}
	defer closeAndCheck(t, s)
	w, err := s.ReportWeeks(context.Background(), t0, t0)
	if err != nil || w.Counts[slices.Index(w.Categories, "theft")][0] != 3 {
		t.Errorf("reports not counted: %+v %v", w, err)
	}
	createIssue(t, s, newIssue(1, kiosk.IssueOther, "Навобод", t0))
	if sums, n, err := s.Issues(context.Background(), kiosk.IssueFilter{}); err != nil || n != 1 || sums[0].Number.Seq != 1 {
		t.Errorf("issues %v %d %v", sums, n, err)
	}
}

func TestSummaryEncoding(t *testing.T) {
	full := kiosk.IssueSummary{ID: "id", Number: kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 9999},
		Category: kiosk.IssueLandWater, Settlement: "Қизилқалъа", Landmark: "", Priority: kiosk.PriorityLow,
		Status: kiosk.IssueClosed, CreatedAt: t0, UpdatedAt: t0.Add(time.Nanosecond), EndedAt: t0.Add(time.Hour),
		NextDue: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), Actions: 300, ActionsDone: 299}
	for _, s := range []kiosk.IssueSummary{full, {}} {
		var got kiosk.IssueSummary
		if err := decodeSummary(encodeSummary(&s), &got); err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("round trip %+v -> %+v, %v", s, got, err)
		}
	}
	b := encodeSummary(&full)
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(slices.Clone(b), 0)} {
		var got kiosk.IssueSummary
		if err := decodeSummary(bad, &got); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decode %x: %v", bad, err)
		}
	}
}

// The service over the real store: every write is audited in the chain
// (checked by openTest's cleanup) and numbers come from the file.
func TestCPPTServiceOnStore(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	clock := kiosk.NewTrustedClock(fixedClock{t0}, time.Time{}, nil)
	c, err := kiosk.NewCPPT(s, clock, kiosk.CPPTConfig{CPC: "ISF", Settlements: []string{"Навобод"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	by := kiosk.Actor{Username: "nodira", Role: kiosk.RoleCPPT}
	i, err := c.LogIssue(ctx, by, kiosk.NewIssue{Category: kiosk.IssueAlcohol, Settlement: "навобод",
		Description: "Дӯкон ба ноболиғон арақ мефурӯшад", Anonymous: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LogIssue(ctx, by, kiosk.NewIssue{Category: kiosk.IssueAlcohol, Settlement: "Навобод",
		Description: "боз", Anonymous: true}); !errors.Is(err, kiosk.ErrPossibleDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	if i, err = c.AddAction(ctx, by, i.ID, kiosk.NewAction{Text: "Санҷиш", Responsible: "Фарҳод", Due: t0}); err != nil {
		t.Fatal(err)
	}
	if i, err = c.CompleteAction(ctx, by, i.ID, i.Actions[0].ID); err != nil {
		t.Fatal(err)
	}
	if i, err = c.ChangeStatus(ctx, by, i.ID, kiosk.IssueResolved, "Дӯкон иҷозатномаро гум кард"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Issue(ctx, i.ID)
	if err != nil || !reflect.DeepEqual(got, i) {
		t.Errorf("stored %+v\nreturned %+v (%v)", got, i, err)
	}
	b, err := c.PublicBoard(ctx, t0)
	if err != nil || b.ResolvedTotal != 1 || b.Resolved[0].Number != "ISF-P-26-0001" {
		t.Errorf("board %+v %v", b, err)
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n != 4 {
		t.Errorf("audit chain: %d entries, %v", n, err)
	}
	if f, _ := s.TimeFloor(); !f.Equal(t0) {
		t.Errorf("time floor %v", f)
	}
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
