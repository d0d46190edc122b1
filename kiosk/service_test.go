package kiosk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

func newService(t *testing.T) (*kiosk.Service, *kiosktest.Store, *kiosktest.Clock) {
	t.Helper()
	st := kiosktest.NewStore()
	wall := kiosktest.NewClock(time.Date(2026, 12, 31, 18, 59, 0, 0, time.UTC)) // 23:59 in Dushanbe
	svc, err := kiosk.NewService(st, kiosk.NewTrustedClock(wall, time.Time{}, nil), kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, wall
}

func submission() kiosk.NewReport {
	return kiosk.NewReport{
		Category: "fraud", Lang: "ru",
		Reporter: kiosk.Reporter{FullName: "Иван Петров", Phone: "+992931112233"},
		Incident: kiosk.Incident{Description: "Позвонили и попросили код из СМС"},
	}
}

func TestCreateAndLookup(t *testing.T) {
	ctx := context.Background()
	svc, st, wall := newService(t)
	c1, err := svc.Create(ctx, submission())
	if err != nil {
		t.Fatal(err)
	}
	if got := c1.Report.Number.String(); got[:15] != "ISF1-26-000001-" {
		t.Fatalf("first number %s", got)
	}
	wall.Advance(2 * time.Minute) // past midnight in Dushanbe: a new year, a new sequence
	c2, err := svc.Create(ctx, submission())
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.Report.Number.String(); got[:15] != "ISF1-27-000001-" {
		t.Fatalf("first number of 2027: %s", got)
	}
	if c1.AccessCode == c2.AccessCode || c1.Report.ID == c2.Report.ID {
		t.Fatal("codes or ids repeat")
	}
	if len(st.Outbox) != 2 || len(st.Audit) != 2 || st.Audit[0].Actor != "citizen" {
		t.Fatalf("outbox %d, audit %+v", len(st.Outbox), st.Audit)
	}
	r, err := svc.Lookup(ctx, c1.Report.Number.String(), kiosk.FormatAccessCode(c1.AccessCode), "client")
	if err != nil || r.ID != c1.Report.ID {
		t.Fatalf("lookup with the right code: %v, %v", r, err)
	}
}

func TestLookupRefusals(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	c, err := svc.Create(ctx, submission())
	if err != nil {
		t.Fatal(err)
	}
	num := c.Report.Number.String()
	unknown := kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 999}.String()

	_, errWrong := svc.Lookup(ctx, num, "ZZZZ-ZZZZ", "a")
	_, errUnknown := svc.Lookup(ctx, unknown, c.AccessCode, "a")
	if !errors.Is(errWrong, kiosk.ErrNotFound) || !errors.Is(errUnknown, kiosk.ErrNotFound) {
		t.Fatalf("wrong code: %v; unknown number: %v; want both ErrNotFound", errWrong, errUnknown)
	}

	reads := st.Reads
	bad := num[:len(num)-1] + string(rune('0'+(int(num[len(num)-1]-'0')+1)%10))
	if _, err := svc.Lookup(ctx, bad, c.AccessCode, "a"); !errors.Is(err, kiosk.ErrInvalidNumber) {
		t.Fatalf("wrong check digit: %v", err)
	}
	if st.Reads != reads {
		t.Fatal("a number with a wrong check digit reached the store")
	}

	// Four more wrong codes (five in all) lock the number, even for the right code.
	for i := 0; i < 4; i++ {
		if _, err := svc.Lookup(ctx, num, "ZZZZ-ZZZ"+string(rune('0'+i)), "b"); !errors.Is(err, kiosk.ErrNotFound) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := svc.Lookup(ctx, num, c.AccessCode, "c"); !errors.Is(err, kiosk.ErrRateLimited) {
		t.Fatalf("after 5 wrong codes the right one gave %v, want ErrRateLimited", err)
	}
}

func TestLookupClientLimit(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	c, _ := svc.Create(ctx, submission())
	// One client sweeping many numbers: each number sees one failure only.
	for seq := 100; seq < 100+kiosk.ClientFailures; seq++ {
		n := kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: seq}.String()
		if _, err := svc.Lookup(ctx, n, "ZZZZZZZZ", "sweeper"); !errors.Is(err, kiosk.ErrNotFound) {
			t.Fatalf("seq %d: %v", seq, err)
		}
	}
	if _, err := svc.Lookup(ctx, c.Report.Number.String(), c.AccessCode, "sweeper"); !errors.Is(err, kiosk.ErrRateLimited) {
		t.Fatalf("sweeping client not limited: %v", err)
	}
	if _, err := svc.Lookup(ctx, c.Report.Number.String(), c.AccessCode, "someone else"); err != nil {
		t.Fatalf("another client is limited too: %v", err)
	}
}

func TestCreateRefusals(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	bad := submission()
	bad.Category = ""
	var ve *kiosk.ValidationError
	if _, err := svc.Create(ctx, bad); !errors.As(err, &ve) {
		t.Fatalf("invalid input: %v", err)
	}
	st.Err = kiosk.ErrUnavailable
	if _, err := svc.Create(ctx, submission()); !errors.Is(err, kiosk.ErrUnavailable) {
		t.Fatalf("full disk: %v", err)
	}
	if len(st.Outbox) != 0 {
		t.Fatal("a refused report reached the outbox")
	}
	st.Err = nil
	svc.UseSpaceGuard(func() error { return errors.New("/var/lib/cpc-kiosk: 150 MB free, the reserve is 200 MB") })
	if _, err := svc.Create(ctx, submission()); !errors.Is(err, kiosk.ErrStorageFull) {
		t.Fatalf("below the disk reserve: %v", err)
	}
	if len(st.Outbox) != 0 {
		t.Fatal("a report refused for the disk reserve reached the outbox")
	}
	svc.UseSpaceGuard(func() error { return nil })
	if _, err := svc.Create(ctx, submission()); err != nil {
		t.Fatalf("with space again: %v", err)
	}
}

func TestChangeStatus(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	c, _ := svc.Create(ctx, submission())
	id := c.Report.ID
	if err := svc.ChangeStatus(ctx, id, kiosk.StatusDecided, kiosk.DecisionCaseOpened, "", "CASE-1", "central"); err != nil {
		t.Fatal(err)
	}
	if err := svc.ChangeStatus(ctx, id, kiosk.StatusReceived, "", "", "", "central"); !errors.Is(err, kiosk.ErrTransition) {
		t.Fatalf("impossible transition: %v", err)
	}
	r, _ := svc.Lookup(ctx, c.Report.Number.String(), c.AccessCode, "x")
	if r.Status != kiosk.StatusDecided || r.CaseNumber != "CASE-1" || len(r.History) != 2 {
		t.Fatalf("report after status change: %+v", r)
	}
	if len(st.Audit) != 2 || st.Audit[1].Actor != "central" || st.Audit[1].Action != "report.status" {
		t.Fatalf("audit: %+v", st.Audit)
	}
}
