package kiosk_test

import (
	"context"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

func TestPrintQueue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, st, _ := newService(t)
	printer := kiosktest.NewPrinter(kiosk.PrinterOK)
	q := kiosk.NewPrintQueue(st, printer, nil)
	q.Retry = 10 * time.Millisecond
	svc.UsePrintQueue(q)
	go q.Run(ctx)

	c1, err := svc.Create(ctx, submission())
	if err != nil {
		t.Fatal(err)
	}
	if s := q.Wait(ctx, c1.ReceiptJob, 10*time.Second); s.Status != kiosk.ReceiptPrinted {
		t.Fatalf("healthy printer: %+v", s)
	}

	printer.SetState(kiosk.PrinterPaperOut)
	c2, err := svc.Create(ctx, submission())
	if err != nil {
		t.Fatalf("a printer fault must not affect the report: %v", err)
	}
	s := q.Wait(ctx, c2.ReceiptJob, 10*time.Second)
	if s.Status != kiosk.ReceiptFailed || q.PrinterState() != kiosk.PrinterPaperOut {
		t.Fatalf("paper out: %+v, printer %s", s, q.PrinterState())
	}
	if r, err := svc.Lookup(ctx, c2.Report.Number.String(), c2.AccessCode, "x"); err != nil || r.Status != kiosk.StatusReceived {
		t.Fatalf("report after a failed print: %v %v", r, err)
	}

	c3, err := svc.Create(ctx, submission()) // waits behind the failed one: told at once
	if err != nil {
		t.Fatal(err)
	}
	if s := q.Wait(ctx, c3.ReceiptJob, time.Hour); s.Status != kiosk.ReceiptQueued {
		t.Fatalf("job behind a failed one: %+v", s)
	}

	printer.SetState(kiosk.PrinterOK) // paper loaded: the queued receipt comes out, marked as a reprint
	deadline := time.Now().Add(10 * time.Second)
	for len(printer.Printouts()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	outs := printer.Printouts()
	if len(outs) != 3 || outs[1].Number != c2.Report.Number.String() || !outs[1].Reprint || outs[1].AccessCode != c2.AccessCode ||
		outs[2].Number != c3.Report.Number.String() || outs[2].Reprint {
		t.Fatalf("printouts %+v", outs)
	}
	if outs[0].Reprint {
		t.Fatal("first receipt marked as reprint")
	}
	for _, j := range st.Jobs {
		if j.State != kiosk.JobPrinted || j.AccessCode != "" {
			t.Fatalf("job after printing: %+v (the access code must be wiped)", j)
		}
	}
}
