package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// CPPTPending returns each pending entry with its record as the change
// that queued it left it: the relay's version is the entry's sequence, and
// a later change comes back as a higher one with the new state.
func TestCPPTPending(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	a := newIssue(1, kiosk.IssueTraffic, "Навобод", t0)
	createIssue(t, s, a)
	m := &kiosk.Meeting{ID: "00000000-0000-4000-8000-000000000009", Date: t0.Add(24 * time.Hour), Place: "Ҷамоат",
		Attendees: []string{"Фарҳод"}, Decisions: "ҚАРОРИ-МАХФӢ", CreatedAt: t0, UpdatedAt: t0, CreatedBy: "nodira"}
	if err := s.CreateMeeting(ctx, m, kiosk.AuditEntry{At: t0, Actor: "nodira", Action: "cppt.meeting.create", Record: "meeting:" + m.ID}); err != nil {
		t.Fatal(err)
	}
	first, err := s.CPPTPending(ctx, 10)
	if err != nil || len(first) != 2 {
		t.Fatalf("pending %+v %v", first, err)
	}
	if p := first[0]; p.Entry.Type != kiosk.OutboxCPPTIssue || p.Issue == nil || p.Issue.ID != a.ID ||
		p.Issue.RaisedBy != a.RaisedBy || p.Issue.Status != kiosk.IssueOpen || p.Meeting != nil {
		t.Errorf("issue entry %+v", p)
	}
	if p := first[1]; p.Entry.Type != kiosk.OutboxCPPTMeeting || p.Meeting == nil || p.Meeting.Decisions != "ҚАРОРИ-МАХФӢ" || p.Issue != nil {
		t.Errorf("meeting entry %+v", p)
	}
	if one, _ := s.CPPTPending(ctx, 1); len(one) != 1 || one[0].Entry != first[0].Entry {
		t.Errorf("limit 1: %+v", one)
	}
	endIssue(t, s, a.ID, kiosk.IssueResolved, t0.Add(time.Hour))
	now, _ := s.CPPTPending(ctx, 10)
	if len(now) != 2 || now[1].Issue == nil || now[1].Entry.Seq <= first[0].Entry.Seq ||
		now[1].Issue.Status != kiosk.IssueResolved || now[1].Issue.Assessment != "АРЗЁБИИ-МАХФӢ" {
		t.Fatalf("after a change %+v", now)
	}
	// An entry whose record is gone comes back without one.
	s.db.Update(func(tx *bolt.Tx) error {
		n, _ := tx.Bucket(bCPPTOutbox).NextSequence()
		v, _ := json.Marshal(kiosk.OutboxEntry{Seq: n, Type: kiosk.OutboxCPPTMeeting, RecordID: "00000000-0000-4000-8000-000000000077", Queued: t0})
		return tx.Bucket(bCPPTOutbox).Put(seqKey(n), v)
	})
	all, err := s.CPPTPending(ctx, 10)
	if err != nil || len(all) != 3 || all[2].Meeting != nil || all[2].Issue != nil {
		t.Errorf("missing record: %+v %v", all, err)
	}
}
