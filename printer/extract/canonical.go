package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CanonicalVersion is the "v" field of the canonical encoding.
const CanonicalVersion = 1

// ErrNotCanonical is returned when bytes claimed to be a canonical encoding
// are not exactly what Canonical would produce for their content.
var ErrNotCanonical = errors.New("not a canonical extract encoding")

// The canonical form. Field order is fixed by these structs; every time is
// UTC RFC 3339 to the second; absent values are null (reporter, occurred_at)
// or "" (decision, case_number); history is [] when empty. The bytes are Go
// encoding/json output with HTML escaping off and no trailing newline.
type canonExtract struct {
	V           int          `json:"v"`
	DocumentID  string       `json:"document_id"`
	Number      string       `json:"number"`
	IssuedAt    string       `json:"issued_at"`
	Lang        string       `json:"lang"`
	Ministry    string       `json:"ministry"`
	Centre      string       `json:"centre"`
	Category    string       `json:"category"`
	CreatedAt   string       `json:"created_at"`
	ClockSynced bool         `json:"clock_synced"`
	Anonymous   bool         `json:"anonymous"`
	Reporter    *canonPerson `json:"reporter"`
	Incident    canonInc     `json:"incident"`
	History     []canonEvent `json:"history"`
	Decision    string       `json:"decision"`
	CaseNumber  string       `json:"case_number"`
}

type canonPerson struct {
	FullName string `json:"full_name"`
	Phone    string `json:"phone"`
	IDNumber string `json:"id_number"`
	Address  string `json:"address"`
}

type canonInc struct {
	OccurredAt  *string `json:"occurred_at"`
	Place       string  `json:"place"`
	Description string  `json:"description"`
}

type canonEvent struct {
	Status string `json:"status"`
	At     string `json:"at"`
	Note   string `json:"note"`
}

func canonTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// Canonical returns the deterministic encoding of e that the signature's
// content hash covers and that a PDF carries as its "extract.json"
// attachment. Equal content gives equal bytes; times lose their sub-second
// part and their zone.
func Canonical(e *Extract) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("extract: canonical encoding: %w", err)
	}
	c := canonExtract{
		V: CanonicalVersion, DocumentID: e.DocumentID, Number: e.Number,
		IssuedAt: canonTime(e.IssuedAt), Lang: e.Lang, Ministry: e.Ministry, Centre: e.Centre,
		Category: e.Category, CreatedAt: canonTime(e.CreatedAt), ClockSynced: e.ClockSynced,
		Anonymous: e.Anonymous, History: []canonEvent{}, Decision: e.Decision, CaseNumber: e.CaseNumber,
		Incident: canonInc{Place: e.Incident.Place, Description: e.Incident.Description},
	}
	if p := e.Reporter; p != nil {
		c.Reporter = &canonPerson{FullName: p.FullName, Phone: p.Phone, IDNumber: p.IDNumber, Address: p.Address}
	}
	if e.Incident.OccurredAt != nil {
		s := canonTime(*e.Incident.OccurredAt)
		c.Incident.OccurredAt = &s
	}
	for _, h := range e.History {
		c.History = append(c.History, canonEvent{Status: h.Status, At: canonTime(h.At), Note: h.Note})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("extract: canonical encoding: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ContentHash is SHA-256 over the canonical encoding of e.
func ContentHash(e *Extract) ([32]byte, error) {
	b, err := Canonical(e)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// ParseCanonical decodes a canonical encoding back into an Extract. It is
// strict: unknown fields, another version, or bytes that would not re-encode
// to exactly the input are refused, so one content has one encoding.
func ParseCanonical(b []byte) (*Extract, error) {
	var c canonExtract
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("extract: parse canonical: %w: %w", ErrNotCanonical, err)
	}
	if c.V != CanonicalVersion {
		return nil, fmt.Errorf("extract: parse canonical: %w: version %d", ErrNotCanonical, c.V)
	}
	var perr error
	parse := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil && perr == nil {
			perr = err
		}
		return t.UTC()
	}
	e := &Extract{
		DocumentID: c.DocumentID, Number: c.Number, IssuedAt: parse(c.IssuedAt), Lang: c.Lang,
		Ministry: c.Ministry, Centre: c.Centre, Category: c.Category, CreatedAt: parse(c.CreatedAt),
		ClockSynced: c.ClockSynced, Anonymous: c.Anonymous, Decision: c.Decision, CaseNumber: c.CaseNumber,
		Incident: Incident{Place: c.Incident.Place, Description: c.Incident.Description},
	}
	if p := c.Reporter; p != nil {
		e.Reporter = &Person{FullName: p.FullName, Phone: p.Phone, IDNumber: p.IDNumber, Address: p.Address}
	}
	if c.Incident.OccurredAt != nil {
		t := parse(*c.Incident.OccurredAt)
		e.Incident.OccurredAt = &t
	}
	for _, h := range c.History {
		e.History = append(e.History, Event{Status: h.Status, At: parse(h.At), Note: h.Note})
	}
	if perr != nil {
		return nil, fmt.Errorf("extract: parse canonical: %w: %w", ErrNotCanonical, perr)
	}
	again, err := Canonical(e)
	if err != nil {
		return nil, fmt.Errorf("extract: parse canonical: %w", err)
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("extract: parse canonical: %w: re-encoding differs", ErrNotCanonical)
	}
	return e, nil
}
