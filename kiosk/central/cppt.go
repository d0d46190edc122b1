package central

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
)

// CPPT records (docs/relay.md "CPPT records"): the central keeps the highest
// version of each issue and meeting a centre's kiosk sent, under the
// centre's code and the record's UUID, the personal part sealed as it
// arrived.

// cpptRec is the stored version of a CPPT issue or meeting.
type cpptRec struct {
	Type            string                   `json:"type"`
	ID              string                   `json:"id"`
	Version         uint64                   `json:"version"`
	CPC             string                   `json:"cpc"`
	DeviceID        string                   `json:"device_id"`
	FirstReceivedAt time.Time                `json:"first_received_at"`
	ReceivedAt      time.Time                `json:"received_at"` // of this version
	Versions        int                      `json:"versions"`    // how many versions were stored
	ContentHash     string                   `json:"content_hash"`
	Sealed          []byte                   `json:"sealed"`            // as received, sealed to the central's box key
	Issue           *relay.CPPTIssueRecord   `json:"issue,omitempty"`   // Sealed cleared
	Meeting         *relay.CPPTMeetingRecord `json:"meeting,omitempty"` // Sealed cleared
}

// cpptKey is where a centre's record is stored: records of one centre are
// together, and a device can only ever write its own centre's.
func cpptKey(cpc, id string) []byte { return []byte(cpc + "/" + id) }

// cpptPrepared is the part of a prepared batch record that is a CPPT
// record.
type cpptPrepared struct {
	id      string // UUID
	version uint64
	rec     cpptRec
}

// Bounds the central puts on a CPPT record beyond the kiosk's own.
const (
	maxCPPTHistory = 1000 // status changes of one issue
	maxUsername    = 100
)

// prepareCPPT checks a CPPT record and opens its personal part (for the
// content hash).
func (s *Server) prepareCPPT(dev *deviceRec, rec *relay.Record, p prepared, opener *relay.Opener) prepared {
	check := func(uuid string, version uint64) (string, bool) {
		switch {
		case !validUUID(uuid):
			return fmt.Sprintf("record id %q is not a lower-case UUID", truncate(uuid, 40)), false
		case version == 0:
			return "version must be 1 or more", false
		case rec.ID != relay.CPPTRecordID(uuid, version):
			return fmt.Sprintf("id %q is not %q", p.ack.ID, relay.CPPTRecordID(uuid, version)), false
		}
		return "", true
	}
	switch rec.Type {
	case relay.TypeCPPTIssue:
		r := rec.CPPTIssue
		if r == nil {
			return reject(p, "cppt_issue record without an issue")
		}
		if why, ok := check(r.ID, r.Version); !ok {
			return reject(p, "%s", why)
		}
		n, err := kiosk.ParseIssueNumber(r.Number)
		switch {
		case err != nil:
			return reject(p, "issue number: %v", err)
		case n.CPC != dev.CPC:
			return reject(p, "issue number %s is not of this centre (%s)", n, dev.CPC)
		case !r.Category.Valid():
			return reject(p, "unknown issue category %q", truncate(string(r.Category), 40))
		case !r.Status.Valid():
			return reject(p, "unknown issue status %q", truncate(string(r.Status), 20))
		case !r.Priority.Valid():
			return reject(p, "priority %d is not 1, 2 or 3", r.Priority)
		case r.CreatedAt.IsZero() || r.UpdatedAt.IsZero():
			return reject(p, "an issue needs its creation and update times")
		case len(r.Actions) > kiosk.MaxActions:
			return reject(p, "%d actions, at most %d", len(r.Actions), kiosk.MaxActions)
		case len(r.History) > maxCPPTHistory:
			return reject(p, "%d status changes, at most %d", len(r.History), maxCPPTHistory)
		}
		if why := checkFields(field{"settlement", r.Settlement, kiosk.MaxSettlementLen},
			field{"landmark", r.Landmark, kiosk.MaxLandmarkLen}, field{"created_by", r.CreatedBy, maxUsername}); why != "" {
			return reject(p, "%s", why)
		}
		for _, a := range r.Actions {
			if why := checkFields(field{"action id", a.ID, 64}, field{"action created_by", a.CreatedBy, maxUsername},
				field{"action done_by", a.DoneBy, maxUsername}); why != "" {
				return reject(p, "%s", why)
			}
		}
		for _, e := range r.History {
			if !e.Status.Valid() {
				return reject(p, "unknown status %q in the history", truncate(string(e.Status), 20))
			}
			if why := checkFields(field{"history by", e.By, maxUsername}); why != "" {
				return reject(p, "%s", why)
			}
		}
		var personal relay.CPPTIssuePersonal
		if err := opener.OpenValue(r.Sealed, &personal); err != nil {
			return reject(p, "sealed personal data does not open with the central's box key")
		}
		if len(personal.Actions) != len(r.Actions) || len(personal.Notes) != len(r.History) {
			return reject(p, "the sealed texts do not match the actions and history")
		}
		pub := *r
		pub.Sealed = nil
		p.cppt = &cpptPrepared{id: r.ID, version: r.Version, rec: cpptRec{Type: rec.Type, ID: r.ID, Version: r.Version,
			CPC: dev.CPC, ContentHash: fmt.Sprintf("%x", relay.IssueContentHash(*r, personal)), Sealed: r.Sealed, Issue: &pub}}
		return p
	case relay.TypeCPPTMeeting:
		r := rec.CPPTMeeting
		if r == nil {
			return reject(p, "cppt_meeting record without a meeting")
		}
		if why, ok := check(r.ID, r.Version); !ok {
			return reject(p, "%s", why)
		}
		switch {
		case r.Date.IsZero():
			return reject(p, "a meeting needs its date")
		case len(r.IssueIDs) > kiosk.MaxMeetingIssues:
			return reject(p, "%d issues discussed, at most %d", len(r.IssueIDs), kiosk.MaxMeetingIssues)
		}
		for _, id := range r.IssueIDs {
			if !validUUID(id) {
				return reject(p, "issue id %q is not a lower-case UUID", truncate(id, 40))
			}
		}
		if why := checkFields(field{"place", r.Place, kiosk.MaxPlaceLen}, field{"created_by", r.CreatedBy, maxUsername}); why != "" {
			return reject(p, "%s", why)
		}
		var personal relay.CPPTMeetingPersonal
		if err := opener.OpenValue(r.Sealed, &personal); err != nil {
			return reject(p, "sealed personal data does not open with the central's box key")
		}
		pub := *r
		pub.Sealed = nil
		p.cppt = &cpptPrepared{id: r.ID, version: r.Version, rec: cpptRec{Type: rec.Type, ID: r.ID, Version: r.Version,
			CPC: dev.CPC, ContentHash: fmt.Sprintf("%x", relay.MeetingContentHash(*r, personal)), Sealed: r.Sealed, Meeting: &pub}}
		return p
	}
	return reject(p, "unknown record type")
}

// field is a text of a record to check: its name, value and most characters.
type field struct {
	name, value string
	max         int
}

// checkFields returns why the first bad field is refused, or "".
func checkFields(fs ...field) string {
	for _, f := range fs {
		if err := checkText(f.name, f.value, f.max, false); err != nil {
			return strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
		}
	}
	return ""
}

// storeCPPT decides a prepared CPPT record inside the batch transaction: a
// version higher than the one held replaces it (accepted); the same version
// with the same content is a duplicate, with other content a conflict
// (rejected, flagged, nothing overwritten); a lower version is a duplicate
// too (the central holds a newer one, which an older never replaces).
func (s *Server) storeCPPT(tx *bolt.Tx, c *call, p *prepared) (relay.Ack, error) {
	ack, cp := p.ack, p.cppt
	b := tx.Bucket(bCPPTIssues)
	if p.typ == relay.TypeCPPTMeeting {
		b = tx.Bucket(bCPPTMeetings)
	}
	key := cpptKey(c.dev.CPC, cp.id)
	var old cpptRec
	found, err := getJSON(b, key, &old)
	if err != nil {
		return ack, err
	}
	rec := cp.rec
	rec.DeviceID, rec.ReceivedAt, rec.FirstReceivedAt, rec.Versions = c.dev.ID, c.now, c.now, 1
	if found {
		switch {
		case cp.version < old.Version:
			ack.Result, ack.Reason = relay.AckDuplicate, fmt.Sprintf("superseded: the central holds version %d", old.Version)
			return ack, nil
		case cp.version == old.Version && old.ContentHash == rec.ContentHash:
			ack.Result = relay.AckDuplicate
			return ack, nil
		case cp.version == old.Version:
			ack.Result, ack.Reason = relay.AckRejected, "conflict: this version was stored with different content"
			return ack, s.flag(tx, c, Conflict{RecordID: ack.ID, Type: p.typ, Reason: ack.Reason,
				HeldBy: relay.CPPTRecordID(old.ID, old.Version)})
		}
		rec.FirstReceivedAt, rec.Versions = old.FirstReceivedAt, old.Versions+1
	}
	if err := putJSON(b, key, &rec); err != nil {
		return ack, err
	}
	ack.Result = relay.AckAccepted
	return ack, nil
}

// CPPTIssueInfo is a CPPT issue as operators see it: its structured
// fields and progress, never the raiser, descriptions, notes or who is
// responsible for an action.
type CPPTIssueInfo struct {
	ID          string              `json:"id"`
	Number      string              `json:"number"`
	CPC         string              `json:"cpc"`
	Version     uint64              `json:"version"`
	Versions    int                 `json:"versions"` // versions received
	DeviceID    string              `json:"device_id"`
	Category    kiosk.IssueCategory `json:"category"`
	Settlement  string              `json:"settlement"`
	Landmark    string              `json:"landmark,omitempty"`
	Priority    kiosk.Priority      `json:"priority"`
	Status      kiosk.IssueStatus   `json:"status"`
	Actions     int                 `json:"actions"`
	ActionsDone int                 `json:"actions_done"`
	NextDue     time.Time           `json:"next_due,omitzero"` // earliest due day of the actions not done
	Overdue     bool                `json:"overdue"`           // an action is past its due day (central's time)
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
	EndedAt     time.Time           `json:"ended_at,omitzero"`
	ReceivedAt  time.Time           `json:"received_at"`
	History     []relay.CPPTEvent   `json:"history"`
}

// CPPTMeetingInfo is a meeting as operators see it: when and where, which
// issues, how many attended; not who, nor the decisions.
type CPPTMeetingInfo struct {
	ID         string    `json:"id"`
	CPC        string    `json:"cpc"`
	Version    uint64    `json:"version"`
	Versions   int       `json:"versions"`
	DeviceID   string    `json:"device_id"`
	Date       time.Time `json:"date"`
	Place      string    `json:"place,omitempty"`
	IssueIDs   []string  `json:"issue_ids"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ReceivedAt time.Time `json:"received_at"`
}

func (r *cpptRec) issueInfo(now time.Time) CPPTIssueInfo {
	sum := r.Issue.Issue(nil).Summary()
	history := []relay.CPPTEvent{}
	history = append(history, r.Issue.History...)
	return CPPTIssueInfo{ID: r.ID, Number: r.Issue.Number, CPC: r.CPC, Version: r.Version, Versions: r.Versions,
		DeviceID: r.DeviceID, Category: sum.Category, Settlement: sum.Settlement, Landmark: sum.Landmark,
		Priority: sum.Priority, Status: sum.Status, Actions: sum.Actions, ActionsDone: sum.ActionsDone,
		NextDue: sum.NextDue, Overdue: sum.Overdue(now), CreatedAt: sum.CreatedAt, UpdatedAt: sum.UpdatedAt,
		EndedAt: sum.EndedAt, ReceivedAt: r.ReceivedAt, History: history}
}

func (r *cpptRec) meetingInfo() CPPTMeetingInfo {
	ids := append([]string{}, r.Meeting.IssueIDs...)
	return CPPTMeetingInfo{ID: r.ID, CPC: r.CPC, Version: r.Version, Versions: r.Versions, DeviceID: r.DeviceID,
		Date: r.Meeting.Date, Place: r.Meeting.Place, IssueIDs: ids, CreatedAt: r.Meeting.CreatedAt,
		UpdatedAt: r.Meeting.UpdatedAt, ReceivedAt: r.ReceivedAt}
}

// eachCPPT calls fn for every stored record of bucket b of the centre cpc
// (every centre when cpc is "").
func (s *Server) eachCPPT(op string, b []byte, cpc string, fn func(*cpptRec)) error {
	if cpc != "" && !kiosk.ValidCPC(cpc) {
		return fmt.Errorf("central: %s: CPC %q is not three capital Latin letters: %w", op, truncate(cpc, 10), ErrInvalid)
	}
	prefix := []byte{}
	if cpc != "" {
		prefix = []byte(cpc + "/")
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(b).Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			var r cpptRec
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s %q: %w", b, k, err)
			}
			if (r.Issue == nil) == (r.Meeting == nil) {
				return fmt.Errorf("record %s %q holds neither an issue nor a meeting", b, k)
			}
			fn(&r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("central: %s: %w: %w", op, kiosk.ErrUnavailable, err)
	}
	return nil
}

// CPPTIssues lists the CPPT issues of a centre (all when cpc is ""), each
// at the highest version received, by number.
func (s *Server) CPPTIssues(cpc string) ([]CPPTIssueInfo, error) {
	now := s.now()
	out := []CPPTIssueInfo{}
	err := s.eachCPPT("cppt issues", bCPPTIssues, cpc, func(r *cpptRec) {
		if r.Issue != nil {
			out = append(out, r.issueInfo(now))
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b CPPTIssueInfo) int {
		if c := strings.Compare(a.Number, b.Number); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// CPPTMeetings lists the meetings of a centre (all when cpc is ""), by
// date.
func (s *Server) CPPTMeetings(cpc string) ([]CPPTMeetingInfo, error) {
	out := []CPPTMeetingInfo{}
	err := s.eachCPPT("cppt meetings", bCPPTMeetings, cpc, func(r *cpptRec) {
		if r.Meeting != nil {
			out = append(out, r.meetingInfo())
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b CPPTMeetingInfo) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// CPPTCentre counts one centre's CPPT records for the operator page.
type CPPTCentre struct {
	CPC          string    `json:"cpc"`
	Open         int       `json:"open"`
	InProgress   int       `json:"in_progress"`
	Resolved     int       `json:"resolved"`
	Closed       int       `json:"closed"`
	Overdue      int       `json:"overdue"`
	Meetings     int       `json:"meetings"`
	LastReceived time.Time `json:"last_received"`
}

// CPPTOverview is the CPPT section of the operator page: counts per centre
// and the issues changed last, without personal data.
type CPPTOverview struct {
	Centres []CPPTCentre
	Latest  []CPPTIssueInfo // newest change first
}

// maxLatestIssues bounds the operator page's list of latest issues.
const maxLatestIssues = 20

// CPPTOverview counts the CPPT records per centre and lists the issues of
// cpc (every centre when "") changed last.
func (s *Server) CPPTOverview(cpc string) (CPPTOverview, error) {
	var ov CPPTOverview
	issues, err := s.CPPTIssues("")
	if err != nil {
		return ov, err
	}
	meetings, err := s.CPPTMeetings("")
	if err != nil {
		return ov, err
	}
	byCPC := map[string]*CPPTCentre{}
	centre := func(c string, at time.Time) *CPPTCentre {
		x := byCPC[c]
		if x == nil {
			x = &CPPTCentre{CPC: c}
			byCPC[c] = x
		}
		if at.After(x.LastReceived) {
			x.LastReceived = at
		}
		return x
	}
	for _, i := range issues {
		x := centre(i.CPC, i.ReceivedAt)
		switch i.Status {
		case kiosk.IssueOpen:
			x.Open++
		case kiosk.IssueInProgress:
			x.InProgress++
		case kiosk.IssueResolved:
			x.Resolved++
		case kiosk.IssueClosed:
			x.Closed++
		}
		if i.Overdue {
			x.Overdue++
		}
		if cpc == "" || i.CPC == cpc {
			ov.Latest = append(ov.Latest, i)
		}
	}
	for _, m := range meetings {
		centre(m.CPC, m.ReceivedAt).Meetings++
	}
	for _, x := range byCPC {
		ov.Centres = append(ov.Centres, *x)
	}
	slices.SortFunc(ov.Centres, func(a, b CPPTCentre) int { return strings.Compare(a.CPC, b.CPC) })
	slices.SortFunc(ov.Latest, func(a, b CPPTIssueInfo) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Number, b.Number)
	})
	ov.Latest = ov.Latest[:min(len(ov.Latest), maxLatestIssues)]
	return ov, nil
}

func (s *Server) apiCPPTIssues(w http.ResponseWriter, r *http.Request) {
	list, err := s.CPPTIssues(r.URL.Query().Get("cpc"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"issues": list})
}

func (s *Server) apiCPPTMeetings(w http.ResponseWriter, r *http.Request) {
	list, err := s.CPPTMeetings(r.URL.Query().Get("cpc"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meetings": list})
}
