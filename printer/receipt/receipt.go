// Package receipt lays out the citizen's receipt (talon) and the stub the
// centre keeps as one escpos.Document: talon, partial cut, stub, full cut.
//
// The talon carries the access code; the stub never does.
package receipt

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"cpckiosk/printer/escpos"
)

// Categories are the report category codes, in display order.
var Categories = []string{"theft", "robbery", "assault", "fraud", "domestic_violence",
	"missing_person", "lost_documents", "drugs", "traffic", "corruption", "other"}

// Langs are the receipt languages.
var Langs = []string{"tg", "ru", "uz", "en"}

// ErrInvalid is wrapped by Build for data it cannot print.
var ErrInvalid = errors.New("receipt: invalid data")

// Data is what a receipt shows.
type Data struct {
	Lang       string // "tg", "ru", "uz" or "en"
	CentreName string // printed as given (already in the receipt's language)
	Number     string // registration number, e.g. ISF1-26-000123-4
	AccessCode string // XXXX-XXXX; printed on the talon only
	Category   string // a code of Categories
	// CreatedAt is printed as 02.01.2006 15:04 in its own location: pass
	// it in the kiosk's zone (Asia/Dushanbe).
	CreatedAt time.Time
	Hotline   string // printed after the hotline label; omitted if empty
	QR        string // QR payload (verify URL); no QR if empty
	Reprint   bool   // marks talon and stub as a reprint
	// Training marks talon and stub as a record of training mode (its
	// number is of the T series): TrainingMark, in Tajik and English
	// whatever the language, at the top and the bottom of each part.
	Training bool
}

// TrainingMark is printed on every receipt of training mode.
const TrainingMark = "*** ОМӮЗИШӢ / TRAINING ***"

// CategoryLabel returns the category's label in lang.
func CategoryLabel(lang, code string) (string, bool) {
	t, ok := texts[lang]
	if !ok {
		return "", false
	}
	l, ok := t.categories[code]
	return l, ok
}

// Build lays out talon and stub.
func Build(d Data) (escpos.Document, error) {
	t, ok := texts[d.Lang]
	if !ok {
		return escpos.Document{}, fmt.Errorf("%w: language %q (want one of %s)", ErrInvalid, d.Lang, strings.Join(Langs, ", "))
	}
	cat, ok := t.categories[d.Category]
	if !ok {
		return escpos.Document{}, fmt.Errorf("%w: category %q", ErrInvalid, d.Category)
	}
	if strings.TrimSpace(d.Number) == "" {
		return escpos.Document{}, fmt.Errorf("%w: empty number", ErrInvalid)
	}
	if strings.TrimSpace(d.AccessCode) == "" {
		return escpos.Document{}, fmt.Errorf("%w: empty access code", ErrInvalid)
	}
	date := "—"
	if !d.CreatedAt.IsZero() {
		date = d.CreatedAt.Format("02.01.2006 15:04")
	}
	var (
		center = escpos.Style{Align: escpos.Center}
		bold   = escpos.Style{Bold: true}
		big    = escpos.Style{Width: 2, Height: 2, Bold: true, Align: escpos.Center}
		title  = escpos.Style{Height: 2, Bold: true, Align: escpos.Center}
		plain  = escpos.Style{}
	)
	var doc escpos.Document
	reprint := func() {
		if d.Reprint {
			doc.Line("*** "+t.reprint+" ***", escpos.Style{Bold: true, Align: escpos.Center})
		}
	}
	training := func() {
		if d.Training {
			doc.Line(TrainingMark, escpos.Style{Bold: true, Align: escpos.Center})
		}
	}
	if d.Training { // the T makes the number one character longer: keep it on one line of a 58 mm roll
		big = title
	}

	// Talon.
	training()
	if d.CentreName != "" {
		doc.Line(d.CentreName, escpos.Style{Bold: true, Align: escpos.Center})
	}
	doc.Line(t.title, title)
	reprint()
	doc.Line(t.received, center)
	doc.Add(escpos.Separator{})
	doc.Line(t.number, bold)
	doc.Line(d.Number, big)
	doc.Line(t.date+" "+date, plain)
	doc.Line(t.category+" "+cat, plain)
	doc.Add(escpos.Separator{})
	doc.Line(t.accessCode, bold)
	doc.Line(d.AccessCode, big)
	doc.Line(t.keepSecret, center)
	doc.Add(escpos.Separator{})
	doc.Line(t.next, plain)
	if d.QR != "" {
		doc.Line("", plain)
		doc.Line(t.scan, center)
		doc.Add(escpos.QR{Data: d.QR, Align: escpos.Center})
	}
	if d.Hotline != "" {
		doc.Line(t.hotline+" "+d.Hotline, center)
	}
	doc.Line(t.danger, escpos.Style{Bold: true, Align: escpos.Center})
	training()
	doc.Add(escpos.Cut{Partial: true})

	// Stub.
	training()
	doc.Line(t.stub, title)
	reprint()
	if d.CentreName != "" {
		doc.Line(d.CentreName, center)
	}
	doc.Add(escpos.Separator{})
	doc.Line(t.number, bold)
	stubNumber := escpos.Style{Width: 2, Bold: true, Align: escpos.Center}
	if d.Training {
		stubNumber.Width = 1
	}
	doc.Line(d.Number, stubNumber)
	doc.Line(t.date+" "+date, plain)
	doc.Line(t.category+" "+cat, plain)
	doc.Line(t.stubKept, center)
	training()
	doc.Add(escpos.Cut{})
	return doc, nil
}

// Encode builds the receipt and encodes it for profile p.
func Encode(d Data, p escpos.Profile) ([]byte, error) {
	doc, err := Build(d)
	if err != nil {
		return nil, err
	}
	b, err := escpos.Encode(doc, p)
	if err != nil {
		return nil, fmt.Errorf("receipt: encode %s: %w", d.Number, err)
	}
	return b, nil
}
