package central

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
)

// issue builds version v of a CPPT issue record sealed to the central;
// change alters the issue before it is split.
func (e *env) issue(id string, v uint64, change func(*kiosk.CPPTIssue)) relay.Record {
	e.t.Helper()
	at := e.clock.Now().Add(-time.Hour)
	i := &kiosk.CPPTIssue{
		ID: id, Number: kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 7}, Category: kiosk.IssueAlcohol,
		Settlement: "Навобод", Landmark: "назди чойхона", Description: "Ҷавонон шабона менӯшанд.",
		RaisedBy: kiosk.Raiser{Name: "Раҳимова Гулчеҳра", Phone: "+992921234567"}, Priority: kiosk.PriorityMedium,
		Status: kiosk.IssueOpen, Analysis: "Мағоза машрубот мефурӯшад.", CreatedAt: at, UpdatedAt: at, ClockSynced: true,
		CreatedBy: "cppt1", History: []kiosk.IssueEvent{{Status: kiosk.IssueOpen, At: at, By: "cppt1"}},
		Actions: []kiosk.Action{{ID: "a1", Text: "Бо фурӯшанда сӯҳбат", Responsible: "Каримов Фаррух",
			Due: kiosk.DayStart(at).AddDate(0, 0, -1), CreatedAt: at, CreatedBy: "cppt1"}},
	}
	if change != nil {
		change(i)
	}
	r, p := relay.SplitIssue(i, v)
	var err error
	if r.Sealed, err = relay.SealValue(p, e.srv.BoxPublicKey()); err != nil {
		e.t.Fatal(err)
	}
	return relay.Record{Type: relay.TypeCPPTIssue, ID: relay.CPPTRecordID(id, v), CPPTIssue: &r}
}

func (e *env) meeting(id string, v uint64, place string) relay.Record {
	e.t.Helper()
	m := &kiosk.Meeting{ID: id, Date: e.clock.Now().Add(48 * time.Hour), Place: place, Attendees: []string{"Набиева Зарина"},
		IssueIDs: []string{uuid(1)}, Decisions: "Қарори махфӣ", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(), CreatedBy: "cppt1"}
	r, p := relay.SplitMeeting(m, v)
	var err error
	if r.Sealed, err = relay.SealValue(p, e.srv.BoxPublicKey()); err != nil {
		e.t.Fatal(err)
	}
	return relay.Record{Type: relay.TypeCPPTMeeting, ID: relay.CPPTRecordID(id, v), CPPTMeeting: &r}
}

func (e *env) cpptIssues(cpc string) []CPPTIssueInfo {
	e.t.Helper()
	w := e.op("GET", "/api/v1/cppt/issues?cpc="+cpc, nil)
	if w.Code != 200 {
		e.t.Fatalf("cppt issues: %d %s", w.Code, w.Body)
	}
	return decode[struct{ Issues []CPPTIssueInfo }](e.t, w).Issues
}

func results(acks []relay.Ack) string {
	var s []string
	for _, a := range acks {
		s = append(s, a.Result)
	}
	return strings.Join(s, " ")
}

// Versions of one record: a repeat of a version is a duplicate, a newer one
// replaces it, an older one never does (out-of-order delivery), the same
// version with other content is a flagged conflict.
func TestCPPTVersions(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	id := uuid(77)
	priority := func(p kiosk.Priority) func(*kiosk.CPPTIssue) {
		return func(i *kiosk.CPPTIssue) {
			i.Priority = p
			i.UpdatedAt = i.UpdatedAt.Add(time.Duration(p) * time.Minute)
		}
	}
	steps := []struct {
		name    string
		rec     relay.Record
		result  string
		reason  string
		version uint64
		prio    kiosk.Priority
	}{
		{"first version", e.issue(id, 3, nil), relay.AckAccepted, "", 3, kiosk.PriorityMedium},
		{"the same version resent (sealed anew)", e.issue(id, 3, nil), relay.AckDuplicate, "", 3, kiosk.PriorityMedium},
		{"an older version arrives late", e.issue(id, 2, priority(kiosk.PriorityLow)), relay.AckDuplicate, "superseded: the central holds version 3", 3, kiosk.PriorityMedium},
		{"a newer version", e.issue(id, 9, priority(kiosk.PriorityHigh)), relay.AckAccepted, "", 9, kiosk.PriorityHigh},
		{"the version before it, late", e.issue(id, 3, nil), relay.AckDuplicate, "superseded: the central holds version 9", 9, kiosk.PriorityHigh},
		{"version 9 with other content", e.issue(id, 9, priority(kiosk.PriorityLow)), relay.AckRejected, "conflict: this version was stored with different content", 9, kiosk.PriorityHigh},
		{"version 9 again", e.issue(id, 9, priority(kiosk.PriorityHigh)), relay.AckDuplicate, "", 9, kiosk.PriorityHigh},
	}
	for _, st := range steps {
		acks := e.batch(d, st.rec)
		if acks[0].ID != st.rec.ID || acks[0].Result != st.result || acks[0].Reason != st.reason {
			t.Errorf("%s: ack %+v, want %s %q", st.name, acks[0], st.result, st.reason)
		}
		list := e.cpptIssues("ISF")
		if len(list) != 1 || list[0].Version != st.version || list[0].Priority != st.prio {
			t.Fatalf("%s: central holds %+v, want version %d priority %d", st.name, list, st.version, st.prio)
		}
	}
	got := e.cpptIssues("ISF")[0]
	if got.Versions != 2 || got.Number != "ISF-P-26-0007" || got.Category != kiosk.IssueAlcohol || got.CPC != "ISF" ||
		got.DeviceID != d.id || got.Actions != 1 || !got.Overdue || len(got.History) != 1 {
		t.Errorf("stored issue %+v", got)
	}
	cf, _ := e.srv.Conflicts()
	if len(cf) != 1 || cf[0].RecordID != relay.CPPTRecordID(id, 9) || cf[0].Type != relay.TypeCPPTIssue || cf[0].HeldBy != relay.CPPTRecordID(id, 9) {
		t.Errorf("conflicts %+v", cf)
	}
	// The stored personal part is the one sent, sealed to the central.
	var rec cpptRec
	e.srv.db.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bCPPTIssues), cpptKey("ISF", id), &rec)
		return err
	})
	var p relay.CPPTIssuePersonal
	if err := relay.NewOpener(e.srv.box.Private).OpenValue(rec.Sealed, &p); err != nil ||
		p.RaisedBy.Name != "Раҳимова Гулчеҳра" || p.Actions[0].Responsible != "Каримов Фаррух" || p.Analysis == "" {
		t.Errorf("stored personal part %+v: %v", p, err)
	}
	if rec.Issue.Sealed != nil {
		t.Error("the clear part keeps the sealed bytes twice")
	}
	// Both records of one batch, a meeting among them; repeats in one batch.
	m := uuid(5)
	acks := e.batch(d, e.meeting(m, 10, "Ҷамоат"), e.meeting(m, 10, "Ҷамоат"), e.meeting(m, 12, "Мактаб"), e.issue(id, 9, priority(kiosk.PriorityHigh)))
	if got := results(acks); got != "accepted duplicate accepted duplicate" {
		t.Errorf("acks %s", got)
	}
	ms, err := e.srv.CPPTMeetings("ISF")
	if err != nil || len(ms) != 1 || ms[0].Version != 12 || ms[0].Place != "Мактаб" || ms[0].Versions != 2 || len(ms[0].IssueIDs) != 1 {
		t.Errorf("meetings %+v %v", ms, err)
	}
	st, _ := e.srv.Stats()
	if st.CPPTIssues != 1 || st.CPPTMeetings != 1 {
		t.Errorf("stats %+v", st)
	}
	// It all survives a restart.
	e.close()
	e.open()
	if got := e.cpptIssues("ISF"); len(got) != 1 || got[0].Version != 9 {
		t.Errorf("after restart: %+v", got)
	}
}

// What the central refuses, with a reason, without storing anything.
func TestCPPTRejections(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	other := newDevice(t)
	otherBox := other.box.Public
	cases := []struct {
		name   string
		rec    func() relay.Record
		reason string
	}{
		{"upper-case uuid", func() relay.Record { return e.issue("0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9", 1, nil) }, "not a lower-case UUID"},
		{"id is not uuid@version", func() relay.Record { r := e.issue(uuid(1), 2, nil); r.ID = uuid(1); return r }, "is not"},
		{"id names another version", func() relay.Record { r := e.issue(uuid(1), 2, nil); r.ID = uuid(1) + "@3"; return r }, "is not"},
		{"version 0", func() relay.Record { return e.issue(uuid(1), 0, nil) }, "version must be 1 or more"},
		{"no issue", func() relay.Record { r := e.issue(uuid(1), 1, nil); r.CPPTIssue = nil; return r }, "without an issue"},
		{"number of another centre", func() relay.Record {
			return e.issue(uuid(1), 1, func(i *kiosk.CPPTIssue) { i.Number.CPC = "DSH" })
		}, "not of this centre"},
		{"bad category", func() relay.Record {
			return e.issue(uuid(1), 1, func(i *kiosk.CPPTIssue) { i.Category = "witchcraft" })
		}, "unknown issue category"},
		{"bad status", func() relay.Record { return e.issue(uuid(1), 1, func(i *kiosk.CPPTIssue) { i.Status = "lost" }) }, "unknown issue status"},
		{"bad priority", func() relay.Record { return e.issue(uuid(1), 1, func(i *kiosk.CPPTIssue) { i.Priority = 7 }) }, "priority 7"},
		{"control character", func() relay.Record {
			return e.issue(uuid(1), 1, func(i *kiosk.CPPTIssue) { i.Settlement = "Нав\u202eобод" })
		}, "settlement contains a control character"},
		{"sealed to another key", func() relay.Record {
			r := e.issue(uuid(1), 1, nil)
			_, p := relay.SplitIssue(r.CPPTIssue.Issue(nil), 1)
			r.CPPTIssue.Sealed, _ = relay.SealValue(p, otherBox)
			return r
		}, "does not open"},
		{"sealed texts do not match", func() relay.Record {
			r := e.issue(uuid(1), 1, nil)
			r.CPPTIssue.Actions = append(r.CPPTIssue.Actions, relay.CPPTAction{ID: "a2"})
			return r
		}, "do not match"},
		{"meeting without a date", func() relay.Record {
			r := e.meeting(uuid(2), 1, "x")
			r.CPPTMeeting.Date = time.Time{}
			return r
		}, "needs its date"},
		{"meeting with a bad issue id", func() relay.Record {
			r := e.meeting(uuid(2), 1, "x")
			r.CPPTMeeting.IssueIDs = []string{"ISF-P-26-0001"}
			return r
		}, "not a lower-case UUID"},
		{"meeting typed as an issue", func() relay.Record { r := e.meeting(uuid(2), 1, "x"); r.Type = relay.TypeCPPTIssue; return r }, "without an issue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := tc.rec()
			a := e.batch(d, rec)[0]
			if a.Result != relay.AckRejected || !strings.Contains(a.Reason, tc.reason) {
				t.Errorf("ack %+v, want rejected with %q", a, tc.reason)
			}
		})
	}
	if st, _ := e.srv.Stats(); st.CPPTIssues != 0 || st.CPPTMeetings != 0 {
		t.Errorf("something was stored: %+v", st)
	}
}

// Each centre's records are its own: the same UUID from two centres is two
// records, and the lists filter by centre.
func TestCPPTCentres(t *testing.T) {
	e := newEnv(t)
	isf, dsh := e.enroll("ISF", 1), e.enroll("DSH", 2)
	e.batch(isf, e.issue(uuid(1), 1, nil), e.issue(uuid(2), 1, func(i *kiosk.CPPTIssue) { i.Number.Seq = 8; i.Status = kiosk.IssueInProgress }))
	dshIssue := func(i *kiosk.CPPTIssue) { i.Number.CPC = "DSH"; i.Status = kiosk.IssueResolved }
	if a := e.batch(dsh, e.issue(uuid(1), 5, dshIssue))[0]; a.Result != relay.AckAccepted {
		t.Fatalf("DSH's issue: %+v", a)
	}
	if got := e.cpptIssues("ISF"); len(got) != 2 || got[0].Number != "ISF-P-26-0007" || got[0].Version != 1 || got[1].Status != kiosk.IssueInProgress {
		t.Errorf("ISF: %+v", got)
	}
	if got := e.cpptIssues("DSH"); len(got) != 1 || got[0].Version != 5 || got[0].DeviceID != dsh.id {
		t.Errorf("DSH: %+v", got)
	}
	if got := e.cpptIssues(""); len(got) != 3 {
		t.Errorf("all: %d", len(got))
	}
	if got := e.cpptIssues("KHJ"); len(got) != 0 {
		t.Errorf("KHJ: %+v", got)
	}
	ov, err := e.srv.CPPTOverview("")
	if err != nil || len(ov.Centres) != 2 || ov.Centres[0].CPC != "DSH" || ov.Centres[0].Resolved != 1 ||
		ov.Centres[1].Open != 1 || ov.Centres[1].InProgress != 1 || ov.Centres[1].Overdue != 2 || len(ov.Latest) != 3 {
		t.Errorf("overview %+v %v", ov, err)
	}
	// The operator API: token, and a centre code that is one.
	for _, path := range []string{"/api/v1/cppt/issues", "/api/v1/cppt/meetings"} {
		if w := e.opWith("", "GET", path+"?cpc=ISF", nil); w.Code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", path, w.Code)
		}
		if w := e.op("GET", path+"?cpc="+url.QueryEscape("IS/"), nil); w.Code != http.StatusBadRequest {
			t.Errorf("%s with a bad centre: %d", path, w.Code)
		}
	}
	if w := e.op("GET", "/api/v1/cppt/meetings?cpc=ISF", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"meetings":[]`) {
		t.Errorf("no meetings: %d %s", w.Code, w.Body)
	}
}

// The operator page shows the CPPT section: counts per centre and the
// latest issues, no personal data.
func TestOperatorPageCPPT(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.batch(d, e.issue(uuid(1), 4, nil), e.meeting(uuid(2), 5, "Бинои ҷамоат"))
	b := &browser{e: e, cookies: map[string]*http.Cookie{}}
	csrf := csrfOf(t, b.do("GET", "/operator", nil).Body.String())
	if w := b.do("POST", "/operator/login", url.Values{"token": {opToken}, "csrf": {csrf}}); w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	w := b.do("GET", "/operator", nil)
	checkPageHeaders(t, w)
	body := w.Body.String()
	for _, want := range []string{`id="cppt"`, "ISF-P-26-0007", "alcohol", "Навобод", "overdue", "CPPT issues <b>1</b>", "CPPT meetings <b>1</b>"} {
		contains(t, body, want)
	}
	for _, secret := range []string{"Раҳимова", "+992921234567", "менӯшанд", "машрубот", "Каримов", "Набиева", "махфӣ", "фурӯшанда"} {
		if strings.Contains(body, secret) {
			t.Errorf("the operator page shows %q", secret)
		}
	}
	if body := b.do("GET", "/operator?cpc=DSH", nil).Body.String(); !strings.Contains(body, "No issues from DSH") {
		t.Error("the latest issues are not filtered by centre")
	}
}

// A database made before the CPPT buckets existed gets them at Open.
func TestOpenAddsCPPTBuckets(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	e.close()
	db, err := bolt.Open(filepath.Join(e.dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range addedBuckets {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e.open()
	if a := e.batch(d, e.issue(uuid(1), 1, nil))[0]; a.Result != relay.AckAccepted {
		t.Errorf("after the upgrade: %+v", a)
	}
	var raw json.RawMessage = e.op("GET", "/api/v1/stats", nil).Body.Bytes()
	contains(t, string(raw), `"cppt_issues":1`)
}
