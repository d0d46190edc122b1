// Package device is the kiosk's receipt printer as the domain sees it
// (kiosk.Printer): it lays out a report's receipt with printer/receipt,
// encodes it for the configured profile and sends it either to a serial
// ESC/POS printer (printer/serial, github.com/tarm/serial) or to the
// simulator, which writes DATA/printer/<job>.bin and <job>.png.
package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/receipt"
	"cpckiosk/printer/serial"
)

// Layout is what every receipt of this kiosk carries besides the report.
type Layout struct {
	Profile    escpos.Profile
	CentreName string
	Hotline    string
}

func (l Layout) encode(r *kiosk.Report, j kiosk.PrintJob) ([]byte, error) {
	return receipt.Encode(receipt.Data{
		Lang: r.Lang, CentreName: l.CentreName, Number: r.Number.String(),
		AccessCode: kiosk.FormatAccessCode(j.AccessCode), Category: string(r.Category),
		CreatedAt: r.CreatedAt.In(kiosk.Zone), Hotline: l.Hotline,
		QR:       r.Number.String(), // the number only: never the access code
		Reprint:  j.Reprint(),
		Training: r.Number.Training,
	}, l.Profile)
}

func (l Layout) profile() escpos.Profile { return l.Profile }

// Picture draws r's receipt with its access code as this printer prints it:
// the encoded bytes run through the emulator (PNG). The result screen shows it.
func (l Layout) Picture(r *kiosk.Report, code string) ([]byte, error) {
	data, err := l.encode(r, kiosk.PrintJob{AccessCode: code})
	if err != nil {
		return nil, fmt.Errorf("receipt picture %s: %w", r.Number, err)
	}
	return emulator.Render(l.Profile, data).PNG()
}

// Sim is the simulated printer of kioskd -printer sim.
type Sim struct {
	Layout
	Dir string // DATA/printer
}

var _ kiosk.Printer = (*Sim)(nil)

// PrintReceipt implements kiosk.Printer: the job's bytes and picture go to Dir.
func (s *Sim) PrintReceipt(ctx context.Context, r *kiosk.Report, j kiosk.PrintJob) error {
	data, err := s.encode(r, j)
	if err != nil {
		return fmt.Errorf("receipt %s: %w", r.Number, err)
	}
	name := "job-" + strconv.FormatUint(j.ID, 10)
	if j.Reprint() {
		name += "-reprint-" + strconv.Itoa(j.Attempts)
	}
	if _, err := emulator.SaveJob(s.Dir, name, s.Profile, data); err != nil {
		return &kiosk.PrinterError{State: kiosk.PrinterOffline, Err: err}
	}
	return nil
}

// printDoc prints any ESC/POS document (the short form of an extract).
func (s *Sim) printDoc(ctx context.Context, name string, doc escpos.Document) error {
	data, err := escpos.Encode(doc, s.Profile)
	if err != nil {
		return err
	}
	_, err = emulator.SaveJob(s.Dir, name, s.Profile, data)
	return err
}

// Status implements kiosk.Printer: the simulator is always ready.
func (s *Sim) Status(ctx context.Context) string { return kiosk.PrinterOK }

// Serial is a real ESC/POS printer on a serial line.
type Serial struct {
	Layout
	p *serial.Printer
}

var _ kiosk.Printer = (*Serial)(nil)

// OpenSerial returns a printer on device at baud; the line is opened on first
// use and reopened when a USB adapter comes back.
func OpenSerial(l Layout, device string, baud int, log *slog.Logger) *Serial {
	return &Serial{Layout: l, p: serial.Open(serial.Config{Device: device, Baud: baud, ReadTimeout: 500 * time.Millisecond, Logger: log})}
}

// PrintReceipt implements kiosk.Printer.
func (s *Serial) PrintReceipt(ctx context.Context, r *kiosk.Report, j kiosk.PrintJob) error {
	data, err := s.encode(r, j)
	if err != nil {
		return fmt.Errorf("receipt %s: %w", r.Number, err)
	}
	if err := s.p.Print(ctx, data); err != nil {
		return &kiosk.PrinterError{State: stateOf(err), Err: err}
	}
	return nil
}

func (s *Serial) printDoc(ctx context.Context, name string, doc escpos.Document) error {
	data, err := escpos.Encode(doc, s.Profile)
	if err != nil {
		return err
	}
	return s.p.Print(ctx, data)
}

// Status implements kiosk.Printer.
func (s *Serial) Status(ctx context.Context) string {
	st, err := s.p.Status(ctx)
	if err != nil {
		return kiosk.PrinterOffline
	}
	return string(st)
}

// Close releases the serial line.
func (s *Serial) Close() error { return s.p.Close() }

func stateOf(err error) string {
	switch {
	case errors.Is(err, serial.ErrPaperOut):
		return kiosk.PrinterPaperOut
	case errors.Is(err, serial.ErrCoverOpen):
		return kiosk.PrinterCoverOpen
	default:
		return kiosk.PrinterOffline
	}
}
