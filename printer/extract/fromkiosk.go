package extract

import (
	"context"
	"fmt"
	"time"

	"cpckiosk/kiosk"
)

// KioskRenderer renders the kiosk's reports as signed extracts: it maps the
// domain report into an Extract and implements kiosk.ExtractRenderer.
type KioskRenderer struct {
	Signer   Signer
	Ministry string
	Centre   string
	Options  Options
}

var _ kiosk.ExtractRenderer = (*KioskRenderer)(nil)

// RenderExtract implements kiosk.ExtractRenderer.
func (k *KioskRenderer) RenderExtract(ctx context.Context, r *kiosk.Report, docID string, issued time.Time, lang string, withPersonal bool) ([]byte, error) {
	e := FromReport(r, docID, issued, lang, withPersonal)
	e.Ministry, e.Centre = k.Ministry, k.Centre
	pdf, _, err := Render(e, k.Signer, k.Options)
	if err != nil {
		return nil, fmt.Errorf("render extract: %w", err)
	}
	return pdf, nil
}

// FromReport maps a domain report into an extract's content. Personal details
// are included only when withPersonal and the report is not anonymous.
func FromReport(r *kiosk.Report, docID string, issued time.Time, lang string, withPersonal bool) *Extract {
	e := &Extract{
		DocumentID: docID, Number: r.Number.String(), IssuedAt: issued.UTC().Truncate(time.Second), Lang: lang,
		Category: string(r.Category), CreatedAt: r.CreatedAt.UTC().Truncate(time.Second), ClockSynced: r.ClockSynced,
		Anonymous: r.Anonymous, Decision: string(r.Decision), CaseNumber: r.CaseNumber,
		Incident: Incident{Place: r.Incident.Place, Description: r.Incident.Description},
	}
	if t, err := time.Parse(time.RFC3339, r.Incident.OccurredAt); err == nil {
		t = t.UTC().Truncate(time.Second)
		e.Incident.OccurredAt = &t
	}
	if withPersonal && !r.Anonymous {
		p := r.Reporter
		e.Reporter = &Person{FullName: p.FullName, Phone: p.Phone, IDNumber: p.IDNumber, Address: p.Address}
	}
	for _, h := range r.History {
		e.History = append(e.History, Event{Status: string(h.Status), At: h.At.UTC().Truncate(time.Second), Note: h.Note})
	}
	return e
}
