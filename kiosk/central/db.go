package central

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
)

// Buckets. Keys:
//
//	meta         "schema" → decimal SchemaVersion
//	tokens       SHA-256 of the token's 16 bytes → tokenRec
//	devices      device id → deviceRec
//	reports      record UUID → reportRec
//	numbers      canonical number → record UUID
//	seqhigh      "ISF1-26" → highest sequence held (8 bytes, big endian)
//	updates      feed "ISF1" → bucket: cursor (8 bytes, big endian) → relay.Update
//	conflicts    sequence (8 bytes, big endian) → Conflict
//	checkpoints  device id + 0x00 + record id → checkpointRec
//	cppt_issues  CPC + "/" + issue UUID → cpptRec (the highest version held)
//	cppt_meetings CPC + "/" + meeting UUID → cpptRec
var (
	bMeta         = []byte("meta")
	bTokens       = []byte("tokens")
	bDevices      = []byte("devices")
	bReports      = []byte("reports")
	bNumbers      = []byte("numbers")
	bSeqHigh      = []byte("seqhigh")
	bUpdates      = []byte("updates")
	bConflicts    = []byte("conflicts")
	bCheckpoints  = []byte("checkpoints")
	bCPPTIssues   = []byte("cppt_issues")
	bCPPTMeetings = []byte("cppt_meetings")
	allBuckets    = [][]byte{bMeta, bTokens, bDevices, bReports, bNumbers, bSeqHigh, bUpdates, bConflicts, bCheckpoints,
		bCPPTIssues, bCPPTMeetings}
	// addedBuckets were added to schema 1 later; Open creates them in a
	// database that lacks them.
	addedBuckets = [][]byte{bCPPTIssues, bCPPTMeetings}

	kSchema = []byte("schema")
)

type tokenRec struct {
	CPC       string    `json:"cpc"`
	Kiosk     int       `json:"kiosk"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

type deviceRec struct {
	ID          string     `json:"id"`
	SignKey     []byte     `json:"sign_key"`
	BoxKey      []byte     `json:"box_key"`
	CPC         string     `json:"cpc"`
	Kiosk       int        `json:"kiosk"`
	Software    string     `json:"software,omitempty"`
	EnrolledAt  time.Time  `json:"enrolled_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastContact *time.Time `json:"last_contact,omitempty"`
	Pending     *int       `json:"pending,omitempty"`
}

type reportRec struct {
	ID          string             `json:"id"`
	Number      string             `json:"number"`
	CPC         string             `json:"cpc"`
	Kiosk       int                `json:"kiosk"`
	DeviceID    string             `json:"device_id"`
	ReceivedAt  time.Time          `json:"received_at"`
	Status      kiosk.Status       `json:"status"`
	History     []kiosk.Event      `json:"history"`
	Decision    kiosk.Decision     `json:"decision,omitempty"`
	CaseNumber  string             `json:"case_number,omitempty"`
	ContentHash string             `json:"content_hash"` // hex relay.ContentHash
	Sealed      []byte             `json:"sealed"`       // as received, sealed to the central's box key
	Public      relay.ReportRecord `json:"public"`       // Sealed cleared
}

type checkpointRec struct {
	DeviceID   string    `json:"device_id"`
	ID         string    `json:"id"`
	Seq        uint64    `json:"seq"`
	Hash       string    `json:"hash"`
	At         time.Time `json:"at"`
	ReceivedAt time.Time `json:"received_at"`
}

// Conflict is a record the central refused because it contradicts what it
// holds: an id resent with other content, or a number used by two ids.
type Conflict struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	DeviceID string    `json:"device_id"`
	RecordID string    `json:"record_id"`
	Type     string    `json:"type"`
	Number   string    `json:"number,omitempty"`
	Reason   string    `json:"reason"`
	// HeldBy is the id of the stored record the new one contradicts.
	HeldBy string `json:"held_by,omitempty"`
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func beU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func sha256Sum(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode %s/%q: %w", "record", key, err)
	}
	return true, nil
}

// update runs fn in one write transaction (one fsync), persisting the
// devices' last contact in the same transaction. An error means nothing
// was written.
func (s *Server) update(fn func(tx *bolt.Tx) error) error {
	flushed := map[string]time.Time{}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if s.failCommit != nil {
			if err := s.failCommit(); err != nil {
				return err
			}
		}
		if err := s.flushContacts(tx, flushed); err != nil {
			return err
		}
		return fn(tx)
	})
	switch {
	case err == nil:
	case errors.Is(err, errBadToken), errors.Is(err, ErrInvalid), errors.Is(err, kiosk.ErrNotFound), errors.Is(err, kiosk.ErrTransition):
		return err // a refusal: nothing was written, and that was the point
	default:
		return fmt.Errorf("%w: %w", kiosk.ErrUnavailable, err)
	}
	s.contactMu.Lock()
	for id, at := range flushed {
		if c := s.contacts[id]; c != nil && c.persisted.Before(at) {
			c.persisted = at
		}
	}
	s.contactMu.Unlock()
	return nil
}

func (s *Server) flushContacts(tx *bolt.Tx, flushed map[string]time.Time) error {
	type item struct {
		id      string
		at      time.Time
		pending *int
	}
	var dirty []item
	s.contactMu.Lock()
	for id, c := range s.contacts {
		if c.at.After(c.persisted) {
			dirty = append(dirty, item{id, c.at, c.pending})
		}
	}
	s.contactMu.Unlock()
	devs := tx.Bucket(bDevices)
	for _, it := range dirty {
		var d deviceRec
		ok, err := getJSON(devs, []byte(it.id), &d)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		at := it.at
		d.LastContact = &at
		d.Pending = it.pending
		if err := putJSON(devs, []byte(it.id), &d); err != nil {
			return err
		}
		flushed[it.id] = it.at
	}
	return nil
}

// touch records a device's contact in memory.
func (s *Server) touch(id string, at time.Time, pending *int) {
	s.contactMu.Lock()
	defer s.contactMu.Unlock()
	c := s.contacts[id]
	if c == nil {
		c = &contact{}
		s.contacts[id] = c
	}
	if at.After(c.at) {
		c.at = at
	}
	if pending != nil {
		c.pending = pending
	}
}

func (s *Server) hasDirtyContacts() bool {
	s.contactMu.Lock()
	defer s.contactMu.Unlock()
	for _, c := range s.contacts {
		if c.at.After(c.persisted) {
			return true
		}
	}
	return false
}

// --- enrolment tokens ---

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewToken makes a one-time enrolment token for kiosk number k of the centre
// cpc, valid for Options.TokenTTL. Only its SHA-256 is stored.
func (s *Server) NewToken(cpc string, k int) (string, error) {
	if !kiosk.ValidCPC(cpc) {
		return "", fmt.Errorf("central: new token: CPC %q is not three capital Latin letters: %w", cpc, ErrInvalid)
	}
	if k < 1 || k > 9 {
		return "", fmt.Errorf("central: new token: kiosk %d is not 1-9: %w", k, ErrInvalid)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("central: new token: %w", err)
	}
	now := s.now()
	sum := sha256.Sum256(raw[:])
	rec := tokenRec{CPC: cpc, Kiosk: k, CreatedAt: now, ExpiresAt: now.Add(s.tokenTTL)}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		// Sweep expired tokens so the bucket does not grow forever.
		var dead [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			var t tokenRec
			if json.Unmarshal(v, &t) != nil || now.After(t.ExpiresAt) {
				dead = append(dead, k)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return putJSON(b, sum[:], &rec)
	})
	if err != nil {
		return "", fmt.Errorf("central: new token: %w", err)
	}
	s.log.Info("central: enrolment token created", "cpc", cpc, "kiosk", k, "expires", rec.ExpiresAt)
	return formatToken(raw), nil
}

// formatToken writes the 128 bits as 26 Crockford base32 symbols (two zero
// bits in front), in groups of four.
func formatToken(raw [16]byte) string {
	hi, lo := binary.BigEndian.Uint64(raw[:8]), binary.BigEndian.Uint64(raw[8:])
	sym := make([]byte, 26)
	for i := 25; i >= 0; i-- {
		sym[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	var sb strings.Builder
	for i, c := range sym {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

var errTokenFormat = errors.New("not an enrolment token")

// parseToken reads a token as a person may type it: any case, dashes and
// spaces ignored, I and L read as 1, O as 0.
func parseToken(s string) ([16]byte, error) {
	var raw [16]byte
	if len(s) > 64 {
		return raw, errTokenFormat
	}
	var hi, lo uint64
	n := 0
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ':
			continue
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		v := strings.IndexRune(crockford, r)
		if v < 0 {
			return raw, errTokenFormat
		}
		if n == 0 && v >= 8 {
			return raw, errTokenFormat // would not fit in 128 bits
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
		n++
	}
	if n != 26 {
		return raw, errTokenFormat
	}
	binary.BigEndian.PutUint64(raw[:8], hi)
	binary.BigEndian.PutUint64(raw[8:], lo)
	return raw, nil
}
