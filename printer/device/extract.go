package device

import (
	"context"
	"fmt"

	"cpckiosk/kiosk"
	"cpckiosk/printer/cups"
)

// Extracts prints issued extracts on the CPC's A4 printer through CUPS.
type Extracts struct {
	// A4Queue is the CUPS queue (lp -d); "" when the centre has no A4 printer.
	A4Queue string
	LP      cups.Client
}

var _ kiosk.ExtractPrinter = (*Extracts)(nil)

// PrintExtract implements kiosk.ExtractPrinter.
func (e *Extracts) PrintExtract(ctx context.Context, x *kiosk.Extract) (string, string, error) {
	if e.A4Queue == "" {
		return "", "", fmt.Errorf("print extract %s: no A4 printer is configured: %w", x.DocumentID, kiosk.ErrNoPrinter)
	}
	c := e.LP
	c.Title = "extract " + x.Number
	job, err := c.Send(ctx, e.A4Queue, x.PDF)
	if err != nil {
		return "", "", &kiosk.PrinterError{State: kiosk.PrinterOffline, Err: err}
	}
	return "a4", job, nil
}
