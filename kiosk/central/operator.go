package central

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

// ReportInfo is a report as operators see it: the public facts and the
// status, never the personal data.
type ReportInfo struct {
	ID         string         `json:"id"`
	Number     string         `json:"number"`
	DeviceID   string         `json:"device_id"`
	ReceivedAt time.Time      `json:"received_at"`
	Status     kiosk.Status   `json:"status"`
	Decision   kiosk.Decision `json:"decision"`
	CaseNumber string         `json:"case_number"`
	Category   kiosk.Category `json:"category"`
	History    []kiosk.Event  `json:"history,omitempty"`
}

func (r *reportRec) info(history bool) ReportInfo {
	ri := ReportInfo{ID: r.ID, Number: r.Number, DeviceID: r.DeviceID, ReceivedAt: r.ReceivedAt,
		Status: r.Status, Decision: r.Decision, CaseNumber: r.CaseNumber, Category: r.Public.Category}
	if history {
		ri.History = r.History
	}
	return ri
}

// StatusChange is an operator's decision about a report.
type StatusChange struct {
	Status     kiosk.Status   `json:"status"`
	Decision   kiosk.Decision `json:"decision"` // required with "decided", refused otherwise
	Note       string         `json:"note"`
	CaseNumber string         `json:"case_number"` // set on the report when not empty
}

// DeviceInfo is an enrolled device as operators see it.
type DeviceInfo struct {
	ID          string     `json:"id"`
	CPC         string     `json:"cpc"`
	Kiosk       int        `json:"kiosk"`
	Software    string     `json:"software,omitempty"`
	EnrolledAt  time.Time  `json:"enrolled_at"`
	LastContact *time.Time `json:"last_contact"`
	Pending     *int       `json:"pending"` // the kiosk's outbox backlog at its last contact
	RevokedAt   *time.Time `json:"revoked_at"`
	// Health is the board's state the kiosk last sent (since centrald
	// started).
	Health *relay.DeviceHealth `json:"health,omitempty"`
}

// Stats are the health counts of the operator page and API.
type Stats struct {
	Reports     int `json:"reports"`
	Devices     int `json:"devices"`
	Conflicts   int `json:"conflicts"`
	Checkpoints int `json:"checkpoints"`
	// CPPTIssues and CPPTMeetings count the partnership teams' records.
	CPPTIssues   int `json:"cppt_issues"`
	CPPTMeetings int `json:"cppt_meetings"`
}

// Limits of operator input, in characters.
const (
	MaxNoteLen       = 1000
	MaxCaseNumberLen = 64
)

// Reports lists the reports of a centre (all when cpc is ""), each once,
// sorted by number.
func (s *Server) Reports(cpc string) ([]ReportInfo, error) {
	if cpc != "" && !kiosk.ValidCPC(cpc) {
		return nil, fmt.Errorf("central: reports: CPC %q is not three capital Latin letters: %w", truncate(cpc, 10), ErrInvalid)
	}
	out := []ReportInfo{}
	err := s.db.View(func(tx *bolt.Tx) error {
		reports := tx.Bucket(bReports)
		cur := tx.Bucket(bNumbers).Cursor()
		for k, id := cur.Seek([]byte(cpc)); k != nil && bytes.HasPrefix(k, []byte(cpc)); k, id = cur.Next() {
			var r reportRec
			ok, err := getJSON(reports, id, &r)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, r.info(false))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("central: reports: %w: %w", kiosk.ErrUnavailable, err)
	}
	return out, nil
}

// SetStatus applies an operator's status change to the report with that
// number and appends it to its kiosk's update feed, in one transaction.
// Errors wrap ErrInvalid (bad input), kiosk.ErrNotFound, kiosk.ErrTransition
// (not forward, or closed) or kiosk.ErrUnavailable.
func (s *Server) SetStatus(number string, ch StatusChange) (ReportInfo, error) {
	n, err := kiosk.ParseNumber(number)
	if err != nil {
		return ReportInfo{}, fmt.Errorf("central: set status: %w: %w", ErrInvalid, err)
	}
	if err := ch.validate(); err != nil {
		return ReportInfo{}, fmt.Errorf("central: set status of %s: %w", n, err)
	}
	now := s.now()
	var out ReportInfo
	err = s.update(func(tx *bolt.Tx) error {
		id := tx.Bucket(bNumbers).Get([]byte(n.String()))
		if id == nil {
			return fmt.Errorf("no report %s: %w", n, kiosk.ErrNotFound)
		}
		id = bytes.Clone(id)
		reports := tx.Bucket(bReports)
		var r reportRec
		if ok, err := getJSON(reports, id, &r); err != nil || !ok {
			return fmt.Errorf("report %s: record missing: %v", n, err)
		}
		kr := kiosk.Report{Status: r.Status}
		if err := kr.Transition(ch.Status, ch.Decision, ch.Note, now); err != nil {
			return fmt.Errorf("report %s is %s and cannot become %s (reports only move forward; closed is final): %w",
				n, r.Status, ch.Status, kiosk.ErrTransition)
		}
		r.Status = kr.Status
		if ch.Decision != "" {
			r.Decision = ch.Decision
		}
		if ch.CaseNumber != "" {
			r.CaseNumber = ch.CaseNumber
		}
		r.History = append(r.History, kr.History...)
		if err := putJSON(reports, id, &r); err != nil {
			return err
		}
		feed, err := tx.Bucket(bUpdates).CreateBucketIfNotExists(feedKey(r.CPC, r.Kiosk))
		if err != nil {
			return err
		}
		cursor, err := feed.NextSequence()
		if err != nil {
			return err
		}
		u := relay.Update{Cursor: cursor, ID: r.ID, Number: r.Number, Status: r.Status, Decision: ch.Decision,
			Note: ch.Note, CaseNumber: r.CaseNumber, At: now}
		if err := putJSON(feed, u64(cursor), &u); err != nil {
			return err
		}
		out = r.info(true)
		return nil
	})
	if err != nil {
		return ReportInfo{}, fmt.Errorf("central: set status: %w", err)
	}
	s.log.Info("central: status changed", "number", out.Number, "status", out.Status)
	return out, nil
}

func (ch *StatusChange) validate() error {
	ch.Note = strings.TrimSpace(strings.ReplaceAll(ch.Note, "\r\n", "\n"))
	ch.CaseNumber = strings.TrimSpace(ch.CaseNumber)
	switch {
	case !ch.Status.Valid():
		return fmt.Errorf("%w: unknown status %q (one of received relayed registered under_review decided closed)", ErrInvalid, truncate(string(ch.Status), 20))
	case ch.Status == kiosk.StatusDecided && !ch.Decision.Valid():
		return fmt.Errorf("%w: a decided report needs a decision: case_opened, refused or transferred", ErrInvalid)
	case ch.Status != kiosk.StatusDecided && ch.Decision != "":
		return fmt.Errorf("%w: a decision goes only with the status decided", ErrInvalid)
	}
	if err := checkText("note", ch.Note, MaxNoteLen, true); err != nil {
		return err
	}
	return checkText("case_number", ch.CaseNumber, MaxCaseNumberLen, false)
}

func checkText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%w: %s has %d characters, at most %d", ErrInvalid, field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && r == '\n') || r == '\u2028' || r == '\u2029' ||
			(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalid, field)
		}
	}
	return nil
}

// Devices lists the enrolled devices by centre and kiosk number.
func (s *Server) Devices() ([]DeviceInfo, error) {
	out := []DeviceInfo{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDevices).ForEach(func(_, v []byte) error {
			var d deviceRec
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, s.deviceInfo(&d))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("central: devices: %w: %w", kiosk.ErrUnavailable, err)
	}
	slices.SortFunc(out, func(a, b DeviceInfo) int {
		return strings.Compare(fmt.Sprintf("%s%d %s", a.CPC, a.Kiosk, a.ID), fmt.Sprintf("%s%d %s", b.CPC, b.Kiosk, b.ID))
	})
	return out, nil
}

// deviceInfo merges the stored device with its last contact in memory.
func (s *Server) deviceInfo(d *deviceRec) DeviceInfo {
	di := DeviceInfo{ID: d.ID, CPC: d.CPC, Kiosk: d.Kiosk, Software: d.Software, EnrolledAt: d.EnrolledAt,
		LastContact: d.LastContact, Pending: d.Pending, RevokedAt: d.RevokedAt}
	s.contactMu.Lock()
	if c := s.contacts[d.ID]; c != nil && (di.LastContact == nil || c.at.After(*di.LastContact)) {
		at := c.at
		di.LastContact = &at
		if c.pending != nil {
			p := *c.pending
			di.Pending = &p
		}
	}
	if c := s.contacts[d.ID]; c != nil && c.health != nil {
		h := *c.health
		di.Health = &h
	}
	s.contactMu.Unlock()
	return di
}

// Revoke marks a device revoked: its requests are refused from now on and
// extracts it signed no longer verify here. Revoking twice keeps the first
// time.
func (s *Server) Revoke(id string) (DeviceInfo, error) {
	now := s.now()
	var out DeviceInfo
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDevices)
		var d deviceRec
		ok, err := getJSON(b, []byte(id), &d)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no device %q: %w", truncate(id, 64), kiosk.ErrNotFound)
		}
		if d.RevokedAt == nil {
			d.RevokedAt = &now
			if err := putJSON(b, []byte(id), &d); err != nil {
				return err
			}
		}
		out = s.deviceInfo(&d)
		return nil
	})
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("central: revoke: %w", err)
	}
	s.log.Warn("central: device revoked", "device", id)
	return out, nil
}

// Conflicts lists the flagged records, oldest first.
func (s *Server) Conflicts() ([]Conflict, error) {
	out := []Conflict{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bConflicts).ForEach(func(_, v []byte) error {
			var c Conflict
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("central: conflicts: %w: %w", kiosk.ErrUnavailable, err)
	}
	return out, nil
}

// Stats counts what the central holds.
func (s *Server) Stats() (Stats, error) {
	var st Stats
	err := s.db.View(func(tx *bolt.Tx) error {
		st.Reports = tx.Bucket(bReports).Stats().KeyN
		st.Devices = tx.Bucket(bDevices).Stats().KeyN
		st.Conflicts = tx.Bucket(bConflicts).Stats().KeyN
		st.Checkpoints = tx.Bucket(bCheckpoints).Stats().KeyN
		st.CPPTIssues = tx.Bucket(bCPPTIssues).Stats().KeyN
		st.CPPTMeetings = tx.Bucket(bCPPTMeetings).Stats().KeyN
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("central: stats: %w: %w", kiosk.ErrUnavailable, err)
	}
	return st, nil
}

// VerifyResult is the answer about an extract's QR payload.
type VerifyResult struct {
	Valid  bool   `json:"valid"`
	Reason string `json:"reason"`
	// The facts below are given only when the signature is genuine.
	Number        string     `json:"number,omitempty"`
	DocumentID    string     `json:"document_id,omitempty"`
	IssuedAt      *time.Time `json:"issued_at,omitempty"`
	DeviceID      string     `json:"device_id,omitempty"`
	CPC           string     `json:"cpc,omitempty"`
	Kiosk         int        `json:"kiosk,omitempty"`
	ContentSHA256 string     `json:"content_sha256,omitempty"`
	Code          string     `json:"code,omitempty"` // the verification code printed on the extract
}

// MaxPayloadLen bounds a QR payload given to Verify.
const MaxPayloadLen = 8 << 10

// Verify checks an extract's QR payload with the central's own key as the
// only trust anchor; a document from a device revoked here is invalid.
func (s *Server) Verify(payload string) VerifyResult {
	if len(payload) > MaxPayloadLen {
		return VerifyResult{Reason: "the payload is too long to be an extract's"}
	}
	f, err := extract.Verify(payload, extract.Anchors{s.signPub})
	if err != nil {
		return VerifyResult{Reason: strings.TrimPrefix(err.Error(), "verify: ")}
	}
	issued := f.IssuedAt.UTC()
	res := VerifyResult{Valid: true, Reason: "signed by a device this central certified",
		Number: f.Number, DocumentID: f.DocumentID, IssuedAt: &issued, DeviceID: f.DeviceID,
		ContentSHA256: f.ContentSHA256, Code: f.Code}
	if f.Certificate != nil {
		res.CPC, res.Kiosk = f.Certificate.CPC, f.Certificate.Kiosk
	}
	d, err := s.device(f.DeviceID)
	switch {
	case err != nil:
		return VerifyResult{Reason: "the central cannot check revocation now; try again later"}
	case d != nil && d.RevokedAt != nil:
		res.Valid = false
		res.Reason = "the issuing device was revoked on " + d.RevokedAt.UTC().Format(time.RFC3339)
	}
	return res
}
