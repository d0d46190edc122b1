package relay_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/central"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/relay/faultproxy"
)

func TestCPPTRecordID(t *testing.T) {
	const u = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	if got := relay.CPPTRecordID(u, 17); got != u+"@17" {
		t.Fatalf("CPPTRecordID = %q", got)
	}
	for _, tc := range []struct {
		id      string
		uuid    string
		version uint64
		ok      bool
	}{
		{u + "@1", u, 1, true},
		{u + "@18446744073709551615", u, 1<<64 - 1, true},
		{u, "", 0, false},
		{u + "@", "", 0, false},
		{u + "@0", "", 0, false},
		{u + "@007", "", 0, false},
		{u + "@+7", "", 0, false},
		{u + "@-7", "", 0, false},
		{u + "@7x", "", 0, false},
		{u + "@18446744073709551616", "", 0, false},
		{"@7", "", 0, false},
	} {
		uuid, v, ok := relay.ParseCPPTRecordID(tc.id)
		if uuid != tc.uuid || v != tc.version || ok != tc.ok {
			t.Errorf("ParseCPPTRecordID(%q) = %q, %d, %v; want %q, %d, %v", tc.id, uuid, v, ok, tc.uuid, tc.version, tc.ok)
		}
	}
}

// sampleIssue is an issue with every field set, personal ones included.
func sampleIssue() *kiosk.CPPTIssue {
	at := time.Date(2026, 4, 2, 9, 30, 0, 0, time.UTC)
	return &kiosk.CPPTIssue{
		ID: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", Number: kiosk.IssueNumber{CPC: "ISF", Year: 26, Seq: 7},
		Category: kiosk.IssueStreetLighting, Settlement: "Навобод", Landmark: "назди мактаби 3",
		Description: "Чароғҳои кӯча шабона хомӯшанд.", RaisedBy: kiosk.Raiser{Name: "Раҳимова Гулчеҳра", Phone: "+992921234567"},
		Priority: kiosk.PriorityHigh, Status: kiosk.IssueResolved, Analysis: "Сими барқ кандашуда.",
		Actions: []kiosk.Action{
			{ID: "a1", Text: "Ба ҷамоат нома нависед", Responsible: "Каримов Ф.", Due: at.Add(48 * time.Hour),
				DoneAt: at.Add(24 * time.Hour), DoneBy: "cppt1", CreatedAt: at, CreatedBy: "cppt1"},
			{ID: "a2", Text: "Санҷиш", Responsible: "Салимова М.", Due: at.Add(96 * time.Hour), CreatedAt: at, CreatedBy: "cppt2"},
		},
		Assessment: "Чароғҳо кор мекунанд.", CreatedAt: at, UpdatedAt: at.Add(72 * time.Hour), ClockSynced: true, CreatedBy: "cppt1",
		History: []kiosk.IssueEvent{
			{Status: kiosk.IssueOpen, At: at, By: "cppt1"},
			{Status: kiosk.IssueResolved, At: at.Add(72 * time.Hour), By: "cppt2", Note: "Чароғҳо кор мекунанд."},
		},
	}
}

// personalTexts are the strings of sampleIssue that must never be in clear.
var personalTexts = []string{"Раҳимова", "+992921234567", "хомӯшанд", "кандашуда", "нома нависед", "Каримов", "Салимова", "кор мекунанд"}

// An issue splits into a clear part without any personal text and a sealed
// part, and the two join back into the same issue; opening needs the
// central's key.
func TestSplitIssue(t *testing.T) {
	i := sampleIssue()
	r, p := relay.SplitIssue(i, 42)
	if r.Version != 42 || r.ID != i.ID || r.Number != "ISF-P-26-0007" {
		t.Fatalf("clear part %+v", r)
	}
	clear, _ := json.Marshal(r)
	for _, s := range personalTexts {
		if bytes.Contains(clear, []byte(s)) {
			t.Errorf("%q is in the clear part: %s", s, clear)
		}
	}
	pub, priv, _ := box.GenerateKey(crand.Reader)
	sealer, err := relay.NewSealer(pub)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sealed, err = sealer.SealValue(p); err != nil {
		t.Fatal(err)
	}
	var opened relay.CPPTIssuePersonal
	if err := relay.NewOpener(priv).OpenValue(r.Sealed, &opened); err != nil {
		t.Fatal(err)
	}
	if got := r.Issue(&opened); !reflect.DeepEqual(got, i) {
		t.Errorf("joined issue differs:\n got %+v\nwant %+v", got, i)
	}
	_, other, _ := box.GenerateKey(crand.Reader)
	if err := relay.NewOpener(other).OpenValue(r.Sealed, &opened); !errors.Is(err, relay.ErrSealed) {
		t.Errorf("opened with another key: %v", err)
	}
	bare := r.Issue(nil)
	if bare.Description != "" || bare.RaisedBy != (kiosk.Raiser{}) || bare.Actions[0].Responsible != "" || bare.History[1].Note != "" {
		t.Errorf("Issue(nil) carries personal data: %+v", bare)
	}
	if bare.Summary() != i.Summary() {
		t.Errorf("the summary of the clear part differs:\n got %+v\nwant %+v", bare.Summary(), i.Summary())
	}
	// The content hash ignores the sealed bytes (new on every send) and
	// sees every change of content.
	again, _ := sealer.SealValue(p)
	r2 := r
	r2.Sealed = again
	if relay.IssueContentHash(r, p) != relay.IssueContentHash(r2, p) {
		t.Error("the hash depends on the sealed bytes")
	}
	p2 := p
	p2.Analysis += "."
	r3 := r
	r3.Priority = kiosk.PriorityLow
	if h := relay.IssueContentHash(r, p); h == relay.IssueContentHash(r, p2) || h == relay.IssueContentHash(r3, p) {
		t.Error("the hash misses a change")
	}
	m := &kiosk.Meeting{ID: "m1", Date: time.Now(), Place: "ҷамоат", Attendees: []string{"Каримов Ф."}, Decisions: "Қарор"}
	mr, mp := relay.SplitMeeting(m, 3)
	mb, _ := json.Marshal(mr)
	if bytes.Contains(mb, []byte("Каримов")) || bytes.Contains(mb, []byte("Қарор")) || mr.Version != 3 || mp.Decisions != "Қарор" {
		t.Errorf("meeting split: %s %+v", mb, mp)
	}
}

// cpptTap sits in front of the central and reads every batch reply: how
// many times each CPPT record id was accepted, and how many duplicates
// were answered. Its hook, if set, runs after the central committed a batch
// and before the reply leaves; returning true cuts the reply.
type cpptTap struct {
	next       http.Handler
	mu         sync.Mutex
	accepted   map[string]int
	duplicate  int
	superseded int
	rejected   []relay.Ack
	hook       func(acks []relay.Ack) (cut bool)
}

func (tp *cpptTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != relay.PathBatch {
		tp.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	tp.next.ServeHTTP(rec, r)
	var rep relay.BatchReply
	json.Unmarshal(rec.Body.Bytes(), &rep)
	tp.mu.Lock()
	for _, a := range rep.Acks {
		if _, _, ok := relay.ParseCPPTRecordID(a.ID); !ok {
			continue // reports and checkpoints: the relay's other tests
		}
		switch {
		case a.Result == relay.AckAccepted:
			tp.accepted[a.ID]++
		case a.Result == relay.AckDuplicate && strings.HasPrefix(a.Reason, "superseded"):
			tp.superseded++
		case a.Result == relay.AckDuplicate:
			tp.duplicate++
		default:
			tp.rejected = append(tp.rejected, a)
		}
	}
	hook := tp.hook
	tp.mu.Unlock()
	if hook != nil && rec.Code == 200 && hook(rep.Acks) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		conn.Close() // the central committed; the kiosk never hears of it
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (tp *cpptTap) setHook(h func([]relay.Ack) bool) {
	tp.mu.Lock()
	tp.hook = h
	tp.mu.Unlock()
}

// newTappedCentral is a real central (bbolt, HTTP on loopback) behind a
// cpptTap.
func newTappedCentral(t *testing.T) (*centralSrv, *cpptTap) {
	t.Helper()
	s, err := central.Open(t.TempDir(), central.Options{OperatorToken: opToken})
	if err != nil {
		t.Fatal(err)
	}
	tp := &cpptTap{next: s.Handler(), accepted: map[string]int{}}
	hs := httptest.NewServer(tp)
	t.Cleanup(func() { hs.Close(); s.Close() })
	return &centralSrv{Server: s, URL: hs.URL, http: hs}, tp
}

// cpptKiosk is a kioskSide with the partnership team's service, whose
// worker also delivers the CPPT outbox.
type cpptKiosk struct {
	*kioskSide
	cppt *kiosk.CPPT
}

var team = kiosk.Actor{Username: "cppt1", Role: kiosk.RoleCPPT}

func newCPPTKiosk(t *testing.T, c *centralSrv, setup func(*relay.Worker)) *cpptKiosk {
	t.Helper()
	k := newKiosk(t, c, 1, nil, true, setup)
	k.worker.CPPT = k.st
	cp, err := kiosk.NewCPPT(k.st, k.clock, kiosk.CPPTConfig{CPC: "ISF"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &cpptKiosk{kioskSide: k, cppt: cp}
}

func (k *cpptKiosk) logIssue(t *testing.T, n int) *kiosk.CPPTIssue {
	t.Helper()
	cats := kiosk.IssueCategories
	i, err := k.cppt.LogIssue(context.Background(), team, kiosk.NewIssue{
		Category: cats[n%len(cats)], Settlement: fmt.Sprintf("Деҳа %d", n), Landmark: "назди бозор",
		Description: fmt.Sprintf("Шикояти махфӣ рақами %d", n), RaisedBy: kiosk.Raiser{Name: "Ҳасанов Ҷамшед", Phone: "+992 93 765 43 21"},
		IgnoreDuplicates: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func (k *cpptKiosk) drainedAll(t *testing.T) {
	t.Helper()
	waitFor(t, "both outboxes to drain", 30*time.Second, func() bool {
		n, _ := k.st.OutboxLen(context.Background())
		c, _ := k.st.CPPTOutboxLen(context.Background())
		return n == 0 && c == 0
	})
}

type centralIssue struct {
	ID          string            `json:"id"`
	Number      string            `json:"number"`
	Version     uint64            `json:"version"`
	Versions    int               `json:"versions"`
	Category    string            `json:"category"`
	Settlement  string            `json:"settlement"`
	Priority    int               `json:"priority"`
	Status      string            `json:"status"`
	Actions     int               `json:"actions"`
	ActionsDone int               `json:"actions_done"`
	UpdatedAt   time.Time         `json:"updated_at"`
	History     []relay.CPPTEvent `json:"history"`
}

type centralMeeting struct {
	ID        string    `json:"id"`
	Version   uint64    `json:"version"`
	Versions  int       `json:"versions"`
	Date      time.Time `json:"date"`
	Place     string    `json:"place"`
	IssueIDs  []string  `json:"issue_ids"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (c *centralSrv) cpptIssues(t *testing.T) map[string]centralIssue {
	t.Helper()
	var out struct{ Issues []centralIssue }
	if code := c.op(t, "GET", "/api/v1/cppt/issues?cpc=ISF", nil, &out); code != 200 {
		t.Fatalf("list cppt issues: %d", code)
	}
	m := map[string]centralIssue{}
	for _, i := range out.Issues {
		if _, dup := m[i.ID]; dup {
			t.Errorf("issue %s listed twice", i.ID)
		}
		m[i.ID] = i
	}
	return m
}

func (c *centralSrv) cpptMeetings(t *testing.T) map[string]centralMeeting {
	t.Helper()
	var out struct{ Meetings []centralMeeting }
	if code := c.op(t, "GET", "/api/v1/cppt/meetings?cpc=ISF", nil, &out); code != 200 {
		t.Fatalf("list cppt meetings: %d", code)
	}
	m := map[string]centralMeeting{}
	for _, x := range out.Meetings {
		m[x.ID] = x
	}
	return m
}

// sameAsKiosk checks that the central holds every issue and meeting of the
// kiosk in its current state, and nothing else.
func sameAsKiosk(t *testing.T, c *centralSrv, k *cpptKiosk) (map[string]centralIssue, map[string]centralMeeting) {
	t.Helper()
	ctx := context.Background()
	sums, _, err := k.cppt.Issues(ctx, kiosk.IssueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cpptIssues(t)
	if len(got) != len(sums) {
		t.Errorf("central holds %d issues, the kiosk %d", len(got), len(sums))
	}
	for _, s := range sums {
		i, err := k.cppt.Issue(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		ci, ok := got[s.ID]
		if !ok {
			t.Errorf("issue %s (%s) is not at the central", s.Number, s.ID)
			continue
		}
		done := 0
		for _, a := range i.Actions {
			if a.Done() {
				done++
			}
		}
		var hist []string
		for _, e := range i.History {
			hist = append(hist, string(e.Status)+"/"+e.By+"/"+e.At.UTC().Format(time.RFC3339Nano))
		}
		var chist []string
		for _, e := range ci.History {
			chist = append(chist, string(e.Status)+"/"+e.By+"/"+e.At.UTC().Format(time.RFC3339Nano))
		}
		if ci.Number != i.Number.String() || ci.Status != string(i.Status) || ci.Priority != int(i.Priority) ||
			ci.Settlement != i.Settlement || ci.Category != string(i.Category) || ci.Actions != len(i.Actions) ||
			ci.ActionsDone != done || !ci.UpdatedAt.Equal(i.UpdatedAt) || !slices.Equal(hist, chist) {
			t.Errorf("issue %s at the central is not the kiosk's last state:\ncentral %+v\nkiosk   %+v", i.Number, ci, i)
		}
	}
	ms, err := k.cppt.Meetings(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	gotM := c.cpptMeetings(t)
	if len(gotM) != len(ms) {
		t.Errorf("central holds %d meetings, the kiosk %d", len(gotM), len(ms))
	}
	for _, m := range ms {
		cm, ok := gotM[m.ID]
		if !ok || !cm.Date.Equal(m.Date) || cm.Place != m.Place || !slices.Equal(cm.IssueIDs, m.IssueIDs) || !cm.UpdatedAt.Equal(m.UpdatedAt) {
			t.Errorf("meeting %s at the central is not the kiosk's last state:\ncentral %+v\nkiosk   %+v", m.ID, cm, m)
		}
	}
	return got, gotM
}

// The main path: issues, meetings and their changes reach the central as
// their own types, once per version, the personal parts sealed; reports
// and CPPT records take turns so that neither waits for the other's
// backlog; a later change is delivered as a new version.
func TestCPPTDelivery(t *testing.T) {
	c, tap := newTappedCentral(t)
	k := newCPPTKiosk(t, c, nil)
	ctx := context.Background()

	// More reports than one batch holds (MaxBatchBytes: long descriptions).
	long := strings.Repeat("Ҳамёнамро дар бозор дуздиданд. ", kiosk.MaxDescriptionLen/32)
	reports := relay.MaxBatchBytes/(len(long)*4/3) + 10
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := w; n < reports; n += 4 {
				_, err := k.svc.Create(ctx, kiosk.NewReport{Category: "theft", Lang: "tg",
					Reporter: kiosk.Reporter{FullName: "Ҷамшед Қодиров", Phone: "+992 93 123 45 67"},
					Incident: kiosk.Incident{Place: "бозор", Description: long}})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	i1, i2 := k.logIssue(t, 0), k.logIssue(t, 1)
	i1, err := k.cppt.AddAction(ctx, team, i1.ID, kiosk.NewAction{Text: "Бо раиси маҳалла вохӯрӣ", Responsible: "Каримов Фаррух", Due: time.Now().Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.cppt.CompleteAction(ctx, team, i1.ID, i1.Actions[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := k.cppt.UpdateIssue(ctx, team, i2.ID, kiosk.IssueEdit{Analysis: ptr("Таҳлили махфӣ")}); err != nil {
		t.Fatal(err)
	}
	m, err := k.cppt.AddMeeting(ctx, team, kiosk.NewMeeting{Date: time.Now().Add(24 * time.Hour), Place: "Бинои ҷамоат",
		Attendees: []string{"Набиева Зарина"}, IssueIDs: []string{i1.ID, i2.ID}, Decisions: "Қарори махфӣ"})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := k.st.CPPTOutboxLen(ctx); n != 3 {
		t.Fatalf("CPPT outbox holds %d entries, want 3 (one per record, replaced by every change)", n)
	}
	k.start()
	k.drainedAll(t)
	issues, meetings := sameAsKiosk(t, c, k)
	for id, ci := range issues {
		if ci.Versions != 1 {
			t.Errorf("issue %s: the central stored %d versions, the kiosk sent one", id, ci.Versions)
		}
	}
	if meetings[m.ID].Versions != 1 {
		t.Errorf("meeting: %d versions", meetings[m.ID].Versions)
	}
	if n := len(c.reports(t)); n != reports {
		t.Errorf("central holds %d reports", n)
	}

	// Reports and CPPT records took turns: the CPPT batch went right after
	// the first batch of reports, before the second.
	k.wire.mu.Lock()
	var kinds []string
	for _, b := range k.wire.bodies {
		var br relay.BatchRequest
		if json.Unmarshal(b, &br) != nil || len(br.Records) == 0 {
			continue
		}
		kinds = append(kinds, br.Records[0].Type)
		if br.Records[0].Type == relay.TypeCPPTIssue || br.Records[0].Type == relay.TypeCPPTMeeting {
			for _, r := range br.Records {
				if r.Report != nil || r.Checkpoint != nil {
					t.Errorf("a CPPT batch carries a %s", r.Type)
				}
				if _, v, ok := relay.ParseCPPTRecordID(r.ID); !ok || v == 0 {
					t.Errorf("record id %q is not uuid@version", r.ID)
				}
			}
		}
	}
	var all []byte
	for _, b := range k.wire.bodies {
		all = append(all, b...)
	}
	k.wire.mu.Unlock()
	if len(kinds) < 3 || kinds[0] != relay.TypeReport || kinds[1] != relay.TypeCPPTIssue || kinds[2] != relay.TypeReport {
		t.Errorf("batches in the order %v, want report, cppt, report", kinds)
	}
	for _, secret := range []string{"Ҳасанов", "+992937654321", "Шикояти махфӣ", "Каримов", "вохӯрӣ", "Таҳлили махфӣ", "Набиева", "Қарори махфӣ"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q crossed the wire in clear", secret)
		}
	}
	// Nor is any of it in the operator's lists.
	var body bytes.Buffer
	for _, path := range []string{"/api/v1/cppt/issues", "/api/v1/cppt/meetings?cpc=ISF"} {
		var raw json.RawMessage
		c.op(t, "GET", path, nil, &raw)
		body.Write(raw)
	}
	if !bytes.Contains(body.Bytes(), []byte(i1.Number.String())) {
		t.Fatalf("the operator's list lacks %s: %s", i1.Number, body.Bytes())
	}
	for _, secret := range []string{"Ҳасанов", "Шикояти", "Каримов", "Таҳлили", "Набиева", "Қарори"} {
		if strings.Contains(body.String(), secret) {
			t.Errorf("%q is in the operator's CPPT lists", secret)
		}
	}

	// A later change is a new version; the one before stays delivered once.
	if _, err := k.cppt.ChangeStatus(ctx, team, i2.ID, kiosk.IssueResolved, "Ҳал шуд"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new version at the central", 10*time.Second, func() bool {
		return c.cpptIssues(t)[i2.ID].Status == string(kiosk.IssueResolved)
	})
	k.drainedAll(t)
	issues, _ = sameAsKiosk(t, c, k)
	if ci := issues[i2.ID]; ci.Versions != 2 || ci.Version <= issues[i1.ID].Version {
		t.Errorf("after a change: %+v", ci)
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	for id, n := range tap.accepted {
		if n != 1 {
			t.Errorf("%s accepted %d times", id, n)
		}
	}
	if len(tap.rejected) != 0 {
		t.Errorf("rejected: %+v", tap.rejected)
	}
}

func ptr[T any](v T) *T { return &v }

// A change made while the previous version is in flight is delivered
// after it, whether the central's reply to the first gets back or not;
// each version is stored once and the central ends with the last.
func TestCPPTChangeInFlight(t *testing.T) {
	for _, cut := range []bool{false, true} {
		t.Run(fmt.Sprintf("reply lost %v", cut), func(t *testing.T) {
			c, tap := newTappedCentral(t)
			k := newCPPTKiosk(t, c, nil)
			ctx := context.Background()
			i := k.logIssue(t, 3)
			changed := make(chan error, 1)
			var once sync.Once
			tap.setHook(func(acks []relay.Ack) bool {
				if len(acks) == 0 || !strings.HasPrefix(acks[0].ID, i.ID+"@") {
					return false
				}
				hit := false
				once.Do(func() {
					hit = true
					// The central has committed version 1; the team changes the
					// issue before the kiosk hears back.
					_, err := k.cppt.UpdateIssue(ctx, team, i.ID, kiosk.IssueEdit{Priority: ptr(kiosk.PriorityHigh)})
					changed <- err
				})
				return hit && cut
			})
			k.start()
			select {
			case err := <-changed:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the first version never reached the central")
			}
			k.drainedAll(t)
			got, _ := sameAsKiosk(t, c, k)
			ci := got[i.ID]
			if ci.Priority != int(kiosk.PriorityHigh) || ci.Versions != 2 {
				t.Errorf("central holds %+v, want the changed issue as its second version", ci)
			}
			tap.mu.Lock()
			defer tap.mu.Unlock()
			if len(tap.accepted) != 2 {
				t.Errorf("accepted %v, want two versions", tap.accepted)
			}
			for id, n := range tap.accepted {
				if n != 1 {
					t.Errorf("%s accepted %d times", id, n)
				}
			}
			if tap.superseded != 0 || len(tap.rejected) != 0 {
				t.Errorf("superseded %d, rejected %v", tap.superseded, tap.rejected)
			}
		})
	}
}

// Through a link that drops requests, loses replies after the central
// committed and cuts replies in half, while the team keeps working and
// citizens keep filing reports: every record ends at the central in its
// last state, no version is stored twice, nothing conflicts.
func TestCPPTUnderFaults(t *testing.T) {
	c, tap := newTappedCentral(t)
	proxy := faultproxy.New(c.URL, 11)
	proxy.Set(faultproxy.Faults{Drop: 0.15, Reset: 0.25, Truncate: 0.15, Delay: time.Millisecond})
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	k := newCPPTKiosk(t, c, func(w *relay.Worker) { w.CentralURL = ps.URL })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	writes := map[string]int{} // record → changes committed
	var ids, meetings []string
	k.start()
	// Work until enough happened: 200 operations, and replies lost after
	// the central committed that made the kiosk resend a version.
	enough := func() bool {
		tap.mu.Lock()
		defer tap.mu.Unlock()
		return proxy.Counts().Reset >= 3 && tap.duplicate > 0
	}
	deadline := time.Now().Add(20 * time.Second)
	for n := 0; n < 200 || !enough() && time.Now().Before(deadline); n++ {
		switch op := rng.IntN(10); {
		case op == 0 || len(ids) < 3:
			i := k.logIssue(t, n)
			ids = append(ids, i.ID)
			writes[i.ID]++
		case op == 1:
			k.create(t, 1)
		case op == 2:
			in := kiosk.NewMeeting{Date: time.Now().Add(time.Duration(n) * time.Hour), Place: fmt.Sprintf("Ҷамоат %d", n),
				Attendees: []string{"Набиева Зарина"}, IssueIDs: ids[:1], Decisions: "Қарор " + fmt.Sprint(n)}
			if len(meetings) > 0 && rng.IntN(2) == 0 {
				id := meetings[rng.IntN(len(meetings))]
				if _, err := k.cppt.UpdateMeeting(ctx, team, id, in); err != nil {
					t.Fatal(err)
				}
				writes[id]++
			} else {
				m, err := k.cppt.AddMeeting(ctx, team, in)
				if err != nil {
					t.Fatal(err)
				}
				meetings = append(meetings, m.ID)
				writes[m.ID]++
			}
		default:
			id := ids[rng.IntN(len(ids))]
			i, err := k.cppt.Issue(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case i.Status.Ended():
				_, err = k.cppt.ChangeStatus(ctx, team, id, kiosk.IssueInProgress, "Мушкил баргашт")
			case op == 3:
				_, err = k.cppt.ChangeStatus(ctx, team, id, kiosk.IssueResolved, "Ҳал шуд")
			case op < 6 && len(i.Actions) < 5:
				_, err = k.cppt.AddAction(ctx, team, id, kiosk.NewAction{Text: "Амал", Responsible: "Каримов", Due: time.Now().Add(48 * time.Hour)})
			case op < 8 && len(i.Actions) > 0:
				_, err = k.cppt.CompleteAction(ctx, team, id, i.Actions[rng.IntN(len(i.Actions))].ID)
				if errors.Is(err, kiosk.ErrTransition) {
					err = nil
				}
			default:
				_, err = k.cppt.UpdateIssue(ctx, team, id, kiosk.IssueEdit{Priority: ptr(kiosk.Priority(1 + rng.IntN(3)))})
			}
			if err != nil {
				t.Fatal(err)
			}
			writes[id]++
		}
		time.Sleep(time.Duration(rng.IntN(4)) * time.Millisecond)
	}
	proxy.Set(faultproxy.Faults{})
	k.drainedAll(t)
	k.stop()

	issues, ms := sameAsKiosk(t, c, k)
	for id, ci := range issues {
		if ci.Versions > writes[id] {
			t.Errorf("issue %s: %d versions stored for %d changes", id, ci.Versions, writes[id])
		}
	}
	for id, cm := range ms {
		if cm.Versions > writes[id] {
			t.Errorf("meeting %s: %d versions stored for %d changes", id, cm.Versions, writes[id])
		}
	}
	var conflicts struct{ Conflicts []central.Conflict }
	c.op(t, "GET", "/api/v1/conflicts", nil, &conflicts)
	if len(conflicts.Conflicts) != 0 {
		t.Errorf("conflicts: %+v", conflicts.Conflicts)
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	for id, n := range tap.accepted {
		if n != 1 {
			t.Errorf("%s accepted %d times", id, n)
		}
	}
	if len(tap.rejected) != 0 {
		t.Errorf("rejected: %+v", tap.rejected)
	}
	total := 0
	for _, n := range writes {
		total += n
	}
	pc := proxy.Counts()
	t.Logf("cppt-faults: records=%d changes=%d versions_accepted=%d duplicates=%d superseded=%d proxy{forwarded=%d dropped=%d reset_after_commit=%d truncated=%d}",
		len(writes), total, len(tap.accepted), tap.duplicate, tap.superseded, pc.Forwarded, pc.Dropped, pc.Reset, pc.Truncated)
	if len(writes) < 10 || pc.Reset < 3 || tap.duplicate == 0 {
		t.Errorf("the run did too little to mean anything: %d records, proxy %+v, %d duplicates", len(writes), pc, tap.duplicate)
	}
	if n, err := k.st.VerifyAudit(ctx); err != nil {
		t.Errorf("audit after relay: %d entries, %v", n, err)
	}
}

// A central that predates CPPT records (its updates replies name no record
// types) is never sent one: it would reject them for good. They wait on the
// kiosk, reports flow meanwhile, and they go once the central takes them.
func TestCPPTWaitsForACentralThatTakesThem(t *testing.T) {
	dir := t.TempDir()
	s, err := central.Open(dir, central.Options{OperatorToken: opToken})
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := os.ReadFile(filepath.Join(dir, central.KeysDir, central.SignKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemKey)
	k8, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k8.(ed25519.PrivateKey)
	var old atomic.Bool
	old.Store(true)
	var sentEarly atomic.Int32
	h := s.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !old.Load() || (r.URL.Path != relay.PathUpdates && r.URL.Path != relay.PathBatch) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if r.URL.Path == relay.PathBatch {
			if bytes.Contains(body, []byte(`@`)) { // an ack for a uuid@version id
				sentEarly.Add(1)
			}
		} else if rec.Code == 200 {
			// What an older central answers: the same reply without the field.
			var m map[string]json.RawMessage
			json.Unmarshal(body, &m)
			delete(m, "record_types")
			body, _ = json.Marshal(m)
			rec.Header().Set(relay.HeaderReplySignature, base64.StdEncoding.EncodeToString(
				ed25519.Sign(key, relay.ReplyMessage(r.Header.Get(relay.HeaderNonce), rec.Code, body))))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(func() { hs.Close(); s.Close() })
	c := &centralSrv{Server: s, URL: hs.URL, http: hs}

	k := newCPPTKiosk(t, c, nil)
	i := k.logIssue(t, 2)
	k.create(t, 2)
	k.start()
	k.drained(t)
	time.Sleep(300 * time.Millisecond) // several more cycles and pulls
	if n, _ := k.st.CPPTOutboxLen(context.Background()); n != 1 || sentEarly.Load() != 0 {
		t.Fatalf("CPPT outbox %d, CPPT batches to the old central %d: want the record kept back", n, sentEarly.Load())
	}
	if st := k.worker.Status(); st.PendingCPPT != 1 || st.LastError != "" {
		t.Errorf("worker status %+v", st)
	}
	old.Store(false) // the central is upgraded
	k.drainedAll(t)
	if got := c.cpptIssues(t); got[i.ID].Version == 0 {
		t.Errorf("after the upgrade the central holds %+v", got)
	}
	sameAsKiosk(t, c, k)
}
