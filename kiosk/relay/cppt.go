package relay

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cpckiosk/kiosk"
)

// CPPT records (docs/relay.md "CPPT records"): the partnership team's
// issues and meetings travel as their own record types, one version at a
// time. A record's version is the sequence of the kiosk's CPPT outbox entry
// that queued it: it grows with every change of the record, and the kiosk
// sends the state that change left (kiosk.CPPTPending), so one version
// always carries one content. The central keeps the highest version of
// each record; a repeat is a duplicate, an older version never replaces a
// newer one.

// CPPTRecordID is the idempotency key of one version of a CPPT record: the
// record's UUID, "@", the version in decimal (at most 57 bytes).
func CPPTRecordID(uuid string, version uint64) string {
	return uuid + "@" + strconv.FormatUint(version, 10)
}

// ParseCPPTRecordID splits a CPPTRecordID; ok is false when id is not one.
func ParseCPPTRecordID(id string) (uuid string, version uint64, ok bool) {
	uuid, v, found := strings.Cut(id, "@")
	if !found || uuid == "" || v == "" || v[0] == '0' || v[0] == '+' {
		return "", 0, false
	}
	version, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return uuid, version, true
}

// CPPTIssueRecord is a CPPT issue as it travels: the structured fields in
// clear (what the kiosk also keeps in clear for its lists and charts),
// every free text, the raiser and the members responsible for the actions
// sealed to the central's box key (CPPTIssuePersonal).
type CPPTIssueRecord struct {
	ID          string              `json:"id"` // UUID
	Version     uint64              `json:"version"`
	Number      string              `json:"number"` // ISF-P-26-0007
	Category    kiosk.IssueCategory `json:"category"`
	Settlement  string              `json:"settlement"`
	Landmark    string              `json:"landmark,omitempty"`
	Anonymous   bool                `json:"anonymous"`
	Priority    kiosk.Priority      `json:"priority"`
	Status      kiosk.IssueStatus   `json:"status"`
	Actions     []CPPTAction        `json:"actions,omitempty"`
	History     []CPPTEvent         `json:"history,omitempty"`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
	ClockSynced bool                `json:"clock_synced"`
	CreatedBy   string              `json:"created_by"` // staff username
	Sealed      []byte              `json:"sealed"`     // SealValue(CPPTIssuePersonal)
}

// CPPTAction is the clear part of a planned response; its text and the
// member responsible are sealed (CPPTActionText, same position).
type CPPTAction struct {
	ID        string    `json:"id"`
	Due       time.Time `json:"due"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	DoneBy    string    `json:"done_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// CPPTEvent is the clear part of a status change; its note (assessment or
// reason to reopen) is sealed (CPPTIssuePersonal.Notes, same position).
type CPPTEvent struct {
	Status kiosk.IssueStatus `json:"status"`
	At     time.Time         `json:"at"`
	By     string            `json:"by"`
}

// CPPTIssuePersonal is the sealed part of an issue, only ever on the wire
// sealed. Actions and Notes follow the record's Actions and History.
type CPPTIssuePersonal struct {
	RaisedBy    kiosk.Raiser     `json:"raised_by"`
	Description string           `json:"description"`
	Analysis    string           `json:"analysis,omitempty"`
	Assessment  string           `json:"assessment,omitempty"`
	Actions     []CPPTActionText `json:"actions,omitempty"`
	Notes       []string         `json:"notes,omitempty"`
}

// CPPTActionText is the sealed part of an action.
type CPPTActionText struct {
	Text        string `json:"text"`
	Responsible string `json:"responsible"`
}

// CPPTMeetingRecord is a meeting as it travels: date, place, the issues
// discussed in clear; attendees and decisions sealed (CPPTMeetingPersonal).
type CPPTMeetingRecord struct {
	ID        string    `json:"id"` // UUID
	Version   uint64    `json:"version"`
	Date      time.Time `json:"date"`
	Place     string    `json:"place,omitempty"`
	IssueIDs  []string  `json:"issue_ids,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by"`
	Sealed    []byte    `json:"sealed"` // SealValue(CPPTMeetingPersonal)
}

// CPPTMeetingPersonal is the sealed part of a meeting.
type CPPTMeetingPersonal struct {
	Attendees []string `json:"attendees,omitempty"`
	Decisions string   `json:"decisions,omitempty"`
}

// SplitIssue divides an issue into its clear and its sealed part, as
// version version (Sealed left empty).
func SplitIssue(i *kiosk.CPPTIssue, version uint64) (CPPTIssueRecord, CPPTIssuePersonal) {
	r := CPPTIssueRecord{
		ID: i.ID, Version: version, Number: i.Number.String(), Category: i.Category,
		Settlement: i.Settlement, Landmark: i.Landmark, Anonymous: i.Anonymous, Priority: i.Priority,
		Status: i.Status, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, ClockSynced: i.ClockSynced,
		CreatedBy: i.CreatedBy,
	}
	p := CPPTIssuePersonal{RaisedBy: i.RaisedBy, Description: i.Description, Analysis: i.Analysis, Assessment: i.Assessment}
	for _, a := range i.Actions {
		r.Actions = append(r.Actions, CPPTAction{ID: a.ID, Due: a.Due, DoneAt: a.DoneAt, DoneBy: a.DoneBy,
			CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy})
		p.Actions = append(p.Actions, CPPTActionText{Text: a.Text, Responsible: a.Responsible})
	}
	for _, e := range i.History {
		r.History = append(r.History, CPPTEvent{Status: e.Status, At: e.At, By: e.By})
		p.Notes = append(p.Notes, e.Note)
	}
	return r, p
}

// Issue joins the parts back into the kiosk's issue. With p nil the
// personal fields stay empty (what the central's operators see); the
// number must be valid (the central checks it before).
func (r *CPPTIssueRecord) Issue(p *CPPTIssuePersonal) *kiosk.CPPTIssue {
	n, _ := kiosk.ParseIssueNumber(r.Number)
	i := &kiosk.CPPTIssue{
		ID: r.ID, Number: n, Category: r.Category, Settlement: r.Settlement, Landmark: r.Landmark,
		Anonymous: r.Anonymous, Priority: r.Priority, Status: r.Status, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, ClockSynced: r.ClockSynced, CreatedBy: r.CreatedBy,
	}
	for k, a := range r.Actions {
		ka := kiosk.Action{ID: a.ID, Due: a.Due, DoneAt: a.DoneAt, DoneBy: a.DoneBy, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy}
		if p != nil && k < len(p.Actions) {
			ka.Text, ka.Responsible = p.Actions[k].Text, p.Actions[k].Responsible
		}
		i.Actions = append(i.Actions, ka)
	}
	for k, e := range r.History {
		ke := kiosk.IssueEvent{Status: e.Status, At: e.At, By: e.By}
		if p != nil && k < len(p.Notes) {
			ke.Note = p.Notes[k]
		}
		i.History = append(i.History, ke)
	}
	if p != nil {
		i.RaisedBy, i.Description, i.Analysis, i.Assessment = p.RaisedBy, p.Description, p.Analysis, p.Assessment
	}
	return i
}

// SplitMeeting divides a meeting into its clear and its sealed part, as
// version version (Sealed left empty).
func SplitMeeting(m *kiosk.Meeting, version uint64) (CPPTMeetingRecord, CPPTMeetingPersonal) {
	return CPPTMeetingRecord{ID: m.ID, Version: version, Date: m.Date, Place: m.Place, IssueIDs: m.IssueIDs,
			CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, CreatedBy: m.CreatedBy},
		CPPTMeetingPersonal{Attendees: m.Attendees, Decisions: m.Decisions}
}

// IssueContentHash is the identity of an issue version's content: the
// SHA-256 of its clear fields and its opened personal part (the sealed
// bytes differ on every send, the content does not).
func IssueContentHash(r CPPTIssueRecord, p CPPTIssuePersonal) [32]byte {
	r.Sealed = nil
	return hashJSON(struct {
		R CPPTIssueRecord   `json:"r"`
		P CPPTIssuePersonal `json:"p"`
	}{r, p})
}

// MeetingContentHash is IssueContentHash for a meeting.
func MeetingContentHash(r CPPTMeetingRecord, p CPPTMeetingPersonal) [32]byte {
	r.Sealed = nil
	return hashJSON(struct {
		R CPPTMeetingRecord   `json:"r"`
		P CPPTMeetingPersonal `json:"p"`
	}{r, p})
}

func hashJSON(v any) [32]byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("relay: content hash: " + err.Error()) // plain structs: cannot fail
	}
	return sha256.Sum256(b)
}

// CPPTStore is what the worker needs to deliver the partnership team's
// records (kiosk/store.Store).
type CPPTStore interface {
	CPPTPending(ctx context.Context, limit int) ([]kiosk.CPPTPending, error)
	CPPTOutboxLen(ctx context.Context) (int, error)
	SettleCPPT(ctx context.Context, ds []kiosk.Delivery, at time.Time, synced bool) error
}

// cpptRecord builds the wire form of a pending CPPT record, sealing its
// personal part to the central. A record gone from the kiosk is
// kiosk.ErrNotFound.
func cpptRecord(p kiosk.CPPTPending, sealer *Sealer) (Record, error) {
	e := p.Entry
	switch {
	case e.Type == kiosk.OutboxCPPTIssue && p.Issue != nil:
		r, personal := SplitIssue(p.Issue, e.Seq)
		sealed, err := sealer.SealValue(personal)
		if err != nil {
			return Record{}, err
		}
		r.Sealed = sealed
		return Record{Type: TypeCPPTIssue, ID: CPPTRecordID(r.ID, r.Version), CPPTIssue: &r}, nil
	case e.Type == kiosk.OutboxCPPTMeeting && p.Meeting != nil:
		r, personal := SplitMeeting(p.Meeting, e.Seq)
		sealed, err := sealer.SealValue(personal)
		if err != nil {
			return Record{}, err
		}
		r.Sealed = sealed
		return Record{Type: TypeCPPTMeeting, ID: CPPTRecordID(r.ID, r.Version), CPPTMeeting: &r}, nil
	case e.Type == kiosk.OutboxCPPTIssue, e.Type == kiosk.OutboxCPPTMeeting:
		return Record{}, fmt.Errorf("relay: %s %s: %w", e.Type, e.RecordID, kiosk.ErrNotFound)
	}
	return Record{Type: e.Type, ID: CPPTRecordID(e.RecordID, e.Seq)}, nil // the central rejects what it does not know
}

// sendCPPT delivers one batch of CPPT records (as much of pending as fits
// MaxBatchBytes) and settles the central's acks in the CPPT outbox. It
// returns how many entries it settled.
func (w *Worker) sendCPPT(ctx context.Context, pending []kiosk.CPPTPending) (int, error) {
	var recs []Record
	var used []kiosk.OutboxEntry
	var local []kiosk.Delivery // settled without asking: the record is gone here
	size := 0
	sealer, err := NewSealer(w.boxKey)
	if err != nil {
		return 0, err
	}
	for _, p := range pending {
		rec, err := cpptRecord(p, sealer)
		if err != nil {
			if !isNotFound(err) {
				return 0, err
			}
			local = append(local, kiosk.Delivery{Entry: p.Entry, Reason: "the record is missing on this kiosk"})
			continue
		}
		b, _ := json.Marshal(rec)
		if len(recs) > 0 && size+len(b) > MaxBatchBytes {
			break
		}
		size += len(b)
		recs = append(recs, rec)
		used = append(used, p.Entry)
	}
	now, synced := w.Clock.Now()
	if len(local) > 0 {
		if err := w.CPPT.SettleCPPT(ctx, local, now, synced); err != nil {
			return 0, err
		}
	}
	if len(recs) == 0 {
		return len(local), nil
	}
	acks, err := w.deliver(ctx, recs)
	if err != nil {
		return 0, err
	}
	ds := make([]kiosk.Delivery, len(recs))
	rejected := 0
	for i, a := range acks {
		ds[i] = kiosk.Delivery{Entry: used[i], Delivered: a.Result != AckRejected, Reason: a.Reason}
		if a.Result == AckRejected {
			rejected++
			w.Log.Error("relay: the central refused a CPPT record", "type", used[i].Type, "record", recs[i].ID, "reason", a.Reason)
		}
	}
	now, synced = w.Clock.Now()
	if err := w.CPPT.SettleCPPT(ctx, ds, now, synced); err != nil {
		return 0, err
	}
	w.Log.Debug("relay: CPPT batch delivered", "records", len(recs), "rejected", rejected)
	return len(recs) + len(local), nil
}
