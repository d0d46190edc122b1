package device

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"cpckiosk/kiosk"
	"cpckiosk/printer/cups"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/extract"
)

// docPrinter is a receipt printer that can print any ESC/POS document.
type docPrinter interface {
	printDoc(ctx context.Context, name string, doc escpos.Document) error
	profile() escpos.Profile
}

// Extracts prints issued extracts: on the CPC's A4 printer through CUPS when
// one is configured, else as the short form on the receipt printer.
type Extracts struct {
	// A4Queue is the CUPS queue (lp -d); "" when the centre has no A4 printer.
	A4Queue string
	LP      cups.Client
	// Receipt is the receipt printer (*Sim or *Serial), nil when there is none.
	Receipt kiosk.Printer
	// Device is the key that signed the extract: the short form is printed
	// only after its payload verifies against it.
	Device ed25519.PublicKey
}

var _ kiosk.ExtractPrinter = (*Extracts)(nil)

// PrintExtract implements kiosk.ExtractPrinter.
func (e *Extracts) PrintExtract(ctx context.Context, x *kiosk.Extract) (string, string, error) {
	if e.A4Queue != "" {
		c := e.LP
		c.Title = "extract " + x.Number
		job, err := c.Send(ctx, e.A4Queue, x.PDF)
		if err != nil {
			return "", "", &kiosk.PrinterError{State: kiosk.PrinterOffline, Err: err}
		}
		return "a4", job, nil
	}
	rp, ok := e.Receipt.(docPrinter)
	if !ok {
		return "", "", fmt.Errorf("print extract %s: no A4 printer and no receipt printer: %w", x.DocumentID, kiosk.ErrNoPrinter)
	}
	doc, err := e.shortForm(x, rp)
	if err != nil {
		return "", "", fmt.Errorf("print extract %s: %w", x.DocumentID, err)
	}
	name := "extract-" + x.DocumentID
	if err := rp.printDoc(ctx, name, doc); err != nil {
		return "", "", &kiosk.PrinterError{State: kiosk.PrinterOffline, Err: err}
	}
	return "receipt", name, nil
}

// shortForm rebuilds the signed content from the PDF itself, so the paper
// carries exactly what was signed.
func (e *Extracts) shortForm(x *kiosk.Extract, rp docPrinter) (escpos.Document, error) {
	payload, canonical, err := extract.FilePayload(x.PDF)
	if err != nil {
		return escpos.Document{}, err
	}
	facts, err := extract.Verify(payload, extract.Anchors{e.Device})
	if err != nil {
		return escpos.Document{}, fmt.Errorf("own extract does not verify: %w", err)
	}
	content, err := extract.ParseCanonical(canonical)
	if err != nil {
		return escpos.Document{}, err
	}
	signed := &extract.Signed{Canonical: canonical, ContentHash: sha256.Sum256(canonical), Payload: payload,
		Code: facts.Code, DeviceID: facts.DeviceID}
	return extract.ShortForm(content, signed, rp.profile())
}
