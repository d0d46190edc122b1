package kiosk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

var (
	officerA = kiosk.Actor{Username: "rustam", Role: kiosk.RoleOfficer}
	officerB = kiosk.Actor{Username: "zarina", Role: kiosk.RoleOfficer}
)

// extractRenderer records what it was asked to render.
type extractRenderer struct {
	withPersonal bool
	name, lang   string
}

func (f *extractRenderer) RenderExtract(ctx context.Context, r *kiosk.Report, docID string, issued time.Time, lang string, withPersonal bool) ([]byte, error) {
	f.withPersonal, f.name, f.lang = withPersonal, r.Reporter.FullName, lang
	return []byte("%PDF " + docID), nil
}

type extractPrinter struct{ printed []string }

func (f *extractPrinter) PrintExtract(ctx context.Context, x *kiosk.Extract) (string, string, error) {
	f.printed = append(f.printed, x.DocumentID)
	return "receipt", "job-1", nil
}

// centralPersonal gives back the personal data of purged reports.
type centralPersonal struct{ err error }

func (c centralPersonal) Personal(ctx context.Context, r *kiosk.Report) (kiosk.Reporter, string, error) {
	return kiosk.Reporter{FullName: "Аз марказ"}, "тавсиф аз марказ", c.err
}

type officerFixture struct {
	st    *kiosktest.Store
	wall  *kiosktest.Clock
	svc   *kiosk.Service
	o     *kiosk.Officer
	code  string // the access code of rep
	rep   *kiosk.Report
	xr    *extractRenderer
	xp    *extractPrinter
	audit int // audit entries before the test's action
}

func newOfficerFixture(t *testing.T) *officerFixture {
	t.Helper()
	st := kiosktest.NewStore()
	wall := kiosktest.NewClock(time.Date(2026, 6, 1, 5, 0, 0, 0, time.UTC))
	clock := kiosk.NewTrustedClock(wall, time.Time{}, nil)
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.UsePrintQueue(kiosk.NewPrintQueue(st, kiosktest.NewPrinter(kiosk.PrinterOK), nil)) // not run: jobs wait
	f := &officerFixture{st: st, wall: wall, svc: svc, o: kiosk.NewOfficer(st, clock, svc, nil),
		xr: &extractRenderer{}, xp: &extractPrinter{}}
	svc.UseExtracts(f.xr)
	svc.UseExtractPrinter(f.xp)
	in := submission()
	in.Reporter.IDNumber = "A1234567"
	c, err := svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	f.rep, f.code = c.Report, c.AccessCode
	f.audit = len(st.Audit)
	return f
}

// newAudit returns the audit entries written since the fixture was made or
// last asked.
func (f *officerFixture) newAudit() []kiosk.AuditEntry {
	out := f.st.Audit[f.audit:]
	f.audit = len(f.st.Audit)
	return out
}

func (f *officerFixture) num() string { return f.rep.Number.String() }

func (f *officerFixture) stored(t *testing.T) *kiosk.Report {
	t.Helper()
	r, err := f.st.ReportByID(context.Background(), f.rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func noPersonal(t *testing.T, r *kiosk.Report) {
	t.Helper()
	if r.Reporter != (kiosk.Reporter{}) || r.Incident.Description != "" || r.AccessHash != "" {
		t.Errorf("personal data or access hash in an officer's view: %+v %q %q", r.Reporter, r.Incident.Description, r.AccessHash)
	}
	for _, c := range r.IdentityChecks {
		if c.Number != "" {
			t.Errorf("document number %q in an officer's view", c.Number)
		}
	}
}

// Every method refuses anyone but an officer, before touching the store.
func TestOfficerRoles(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	n := f.num()
	calls := map[string]func(by kiosk.Actor) error{
		"list":    func(by kiosk.Actor) error { _, _, err := f.o.List(ctx, by, kiosk.ReportFilter{}); return err },
		"details": func(by kiosk.Actor) error { _, err := f.o.Details(ctx, by, n); return err },
		"reveal": func(by kiosk.Actor) error {
			_, _, err := f.o.RevealPersonal(ctx, by, n, "to call back")
			return err
		},
		"note":     func(by kiosk.Actor) error { _, err := f.o.AddNote(ctx, by, n, "x"); return err },
		"review":   func(by kiosk.Actor) error { _, err := f.o.MarkReviewed(ctx, by, n); return err },
		"request":  func(by kiosk.Actor) error { _, err := f.o.RequestInfo(ctx, by, n, "bring it", ""); return err },
		"close":    func(by kiosk.Actor) error { _, err := f.o.CloseInfoRequest(ctx, by, n); return err },
		"onbehalf": func(by kiosk.Actor) error { _, err := f.o.FileOnBehalf(ctx, by, submission()); return err },
		"reprint": func(by kiosk.Actor) error {
			_, err := f.o.ReprintReceipt(ctx, by, n, kiosk.DocIDCard, "A1234567")
			return err
		},
		"extract": func(by kiosk.Actor) error {
			_, err := f.o.PrintExtract(ctx, by, n, kiosk.DocIDCard, "A1234567", "")
			return err
		},
	}
	for name, call := range calls {
		for _, by := range []kiosk.Actor{
			{Username: "admin", Role: kiosk.RoleAdmin}, {Username: "nodira", Role: kiosk.RoleCPPT},
			{Username: "", Role: kiosk.RoleOfficer}, {Username: "Bad Name", Role: kiosk.RoleOfficer},
		} {
			if err := call(by); !errors.Is(err, kiosk.ErrForbidden) {
				t.Errorf("%s by %+v: %v, want ErrForbidden", name, by, err)
			}
		}
	}
	if a := f.newAudit(); len(a) != 0 {
		t.Errorf("refused calls wrote %d audit entries", len(a))
	}
}

func TestOfficerListAndDetails(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	cats := []kiosk.Category{"theft", "fraud", "theft", "assault"}
	for _, c := range cats {
		f.wall.Advance(24 * time.Hour)
		in := submission()
		in.Category = c
		if _, err := f.svc.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	all, n, err := f.o.List(ctx, officerA, kiosk.ReportFilter{})
	if err != nil || n != 5 || len(all) != 5 {
		t.Fatalf("list: %d of %d, %v", len(all), n, err)
	}
	for k := 1; k < len(all); k++ {
		if all[k].CreatedAt.After(all[k-1].CreatedAt) {
			t.Fatalf("not newest first: %v", all)
		}
	}
	if all[0].Category != "assault" || all[4].Number != f.rep.Number {
		t.Fatalf("order: %+v", all)
	}
	if _, err := f.o.MarkReviewed(ctx, officerA, all[1].Number.String()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    kiosk.ReportFilter
		want int // matches in all
		got  int // returned
	}{
		{"theft", kiosk.ReportFilter{Category: "theft"}, 2, 2},
		{"theft unreviewed", kiosk.ReportFilter{Category: "theft", Unreviewed: true}, 1, 1},
		{"received", kiosk.ReportFilter{Status: kiosk.StatusReceived}, 5, 5},
		{"closed", kiosk.ReportFilter{Status: kiosk.StatusClosed}, 0, 0},
		{"page 2", kiosk.ReportFilter{Offset: 2, Limit: 2}, 5, 2},
		{"last page", kiosk.ReportFilter{Offset: 4, Limit: 2}, 5, 1},
	}
	for _, tc := range tests {
		out, n, err := f.o.List(ctx, officerA, tc.f)
		if err != nil || n != tc.want || len(out) != tc.got {
			t.Errorf("%s: %d of %d (%v), want %d of %d", tc.name, len(out), n, err, tc.got, tc.want)
		}
	}
	// Days, both included, in Tajikistan time.
	var f2 kiosk.ReportFilter
	f2.Days(all[3].CreatedAt, all[1].CreatedAt)
	if out, n, _ := f.o.List(ctx, officerA, f2); n != 3 || out[0].Number != all[1].Number || out[2].Number != all[3].Number {
		t.Errorf("days: %d %+v", n, out)
	}
	if _, _, err := f.o.List(ctx, officerA, kiosk.ReportFilter{Status: "lost"}); !isValidation(err, "status") {
		t.Errorf("unknown status: %v", err)
	}
	f2.Days(all[1].CreatedAt, all[3].CreatedAt)
	if _, _, err := f.o.List(ctx, officerA, f2); !isValidation(err, "to") {
		t.Errorf("to before from: %v", err)
	}

	r, err := f.o.Details(ctx, officerA, strings.ToLower(f.num()))
	if err != nil || r.ID != f.rep.ID || r.Category != "fraud" {
		t.Fatalf("details: %+v %v", r, err)
	}
	noPersonal(t, r)
	if _, err := f.o.Details(ctx, officerA, "ISF1-26-000999-0"); !errors.Is(err, kiosk.ErrNotFound) && !errors.Is(err, kiosk.ErrInvalidNumber) {
		t.Errorf("unknown number: %v", err)
	}
	if _, err := f.o.Details(ctx, officerA, "nonsense"); !errors.Is(err, kiosk.ErrInvalidNumber) {
		t.Errorf("malformed number: %v", err)
	}
}

func isValidation(err error, field string) bool {
	var ve *kiosk.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, f := range ve.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestRevealPersonal(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	for _, reason := range []string{"", "   ", "line\x00", strings.Repeat("я", kiosk.MaxReasonLen+1)} {
		if _, _, err := f.o.RevealPersonal(ctx, officerA, f.num(), reason); !isValidation(err, "reason") {
			t.Errorf("reason %q: %v, want a validation error", reason, err)
		}
	}
	if a := f.newAudit(); len(a) != 0 {
		t.Fatalf("refused reveals were audited: %+v", a)
	}
	r, p, err := f.o.RevealPersonal(ctx, officerA, f.num(), "  Ба шаҳрванд занг задан  ")
	if err != nil {
		t.Fatal(err)
	}
	noPersonal(t, r)
	if p.Reporter.FullName != "Иван Петров" || p.Description == "" || p.FromCentral {
		t.Errorf("personal: %+v", p)
	}
	a := f.newAudit()
	if len(a) != 1 || a[0].Action != "report.view_personal" || a[0].Actor != "rustam" || a[0].Record != f.rep.ID ||
		a[0].Detail != "Ба шаҳрванд занг задан" {
		t.Errorf("audit: %+v", a)
	}

	// Deleted here after the retention period: asked of the central.
	err = f.st.UpdateReport(ctx, f.rep.ID, func(r *kiosk.Report) error {
		r.Purged, r.Reporter, r.Incident.Description = true, kiosk.Reporter{}, ""
		return nil
	}, kiosk.AuditEntry{Actor: "system", Action: "report.purge_personal"})
	if err != nil {
		t.Fatal(err)
	}
	f.newAudit()
	if _, _, err := f.o.RevealPersonal(ctx, officerA, f.num(), "extract"); !errors.Is(err, kiosk.ErrCentralNeeded) {
		t.Errorf("purged without the central: %v", err)
	}
	if a := f.newAudit(); len(a) != 0 {
		t.Errorf("a reveal that showed nothing was audited: %+v", a)
	}
	f.svc.UsePersonalSource(centralPersonal{})
	if _, p, err := f.o.RevealPersonal(ctx, officerA, f.num(), "extract"); err != nil || !p.FromCentral || p.Reporter.FullName != "Аз марказ" {
		t.Errorf("purged with the central: %+v %v", p, err)
	}
}

func TestNotesReviewAndInfoRequests(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	if _, err := f.o.AddNote(ctx, officerA, f.num(), " \n "); !isValidation(err, "text") {
		t.Errorf("empty note: %v", err)
	}
	if _, err := f.o.AddNote(ctx, officerA, f.num(), strings.Repeat("x", kiosk.MaxNoteLen+1)); !isValidation(err, "text") {
		t.Errorf("long note: %v", err)
	}
	r, err := f.o.AddNote(ctx, officerA, f.num(), "Шоҳид: ҳамсоя\nБа ӯ занг задам")
	if err != nil || len(r.Notes) != 1 || r.Notes[0].By != "rustam" || r.Notes[0].Text != "Шоҳид: ҳамсоя\nБа ӯ занг задам" {
		t.Fatalf("note: %+v %v", r, err)
	}
	f.wall.Advance(time.Hour)
	if _, err := f.o.AddNote(ctx, officerB, f.num(), "second"); err != nil {
		t.Fatal(err)
	}
	if got := f.stored(t).Notes; len(got) != 2 || got[1].By != "zarina" || !got[1].At.After(got[0].At) {
		t.Errorf("stored notes: %+v", got)
	}
	a := f.newAudit()
	if len(a) != 2 || a[0].Action != "report.note" || a[0].Actor != "rustam" || a[1].Actor != "zarina" || a[0].Detail != "" {
		t.Errorf("note audit (the text must not be in it): %+v", a)
	}

	r, err = f.o.MarkReviewed(ctx, officerA, f.num())
	if err != nil || r.ReviewedBy != "rustam" || r.ReviewedAt.IsZero() {
		t.Fatalf("reviewed: %+v %v", r, err)
	}
	first := r.ReviewedAt
	f.wall.Advance(time.Hour)
	if r, err = f.o.MarkReviewed(ctx, officerB, f.num()); err != nil || r.ReviewedBy != "rustam" || !r.ReviewedAt.Equal(first) {
		t.Errorf("reviewed again: %+v %v", r, err)
	}
	if a := f.newAudit(); len(a) != 1 || a[0].Action != "report.review" || a[0].Actor != "rustam" {
		t.Errorf("review audit: %+v", a)
	}

	if _, err := f.o.CloseInfoRequest(ctx, officerA, f.num()); !errors.Is(err, kiosk.ErrNoInfoRequest) {
		t.Errorf("close without a request: %v", err)
	}
	if _, err := f.o.RequestInfo(ctx, officerA, f.num(), "x", "fr"); !isValidation(err, "lang") {
		t.Errorf("unknown language: %v", err)
	}
	r, err = f.o.RequestInfo(ctx, officerA, f.num(), "Принесите, пожалуйста, копию договора", "")
	if err != nil || r.OpenInfoRequest() == nil || r.OpenInfoRequest().Lang != "ru" {
		t.Fatalf("request: %+v %v", r, err)
	}
	r, err = f.o.RequestInfo(ctx, officerB, f.num(), "Нусхаи шартномаро биёред", "tg")
	if err != nil || len(r.InfoRequests) != 2 || r.InfoRequests[0].Open() || r.InfoRequests[0].ClosedBy != "zarina" ||
		r.OpenInfoRequest().Text != "Нусхаи шартномаро биёред" || r.OpenInfoRequest().Lang != "tg" {
		t.Fatalf("second request: %+v %v", r.InfoRequests, err)
	}
	if s := f.stored(t).Summary(); !s.InfoRequested || !s.Reviewed() || s.Notes != 2 {
		t.Errorf("summary: %+v", s)
	}
	if r, err = f.o.CloseInfoRequest(ctx, officerA, f.num()); err != nil || r.OpenInfoRequest() != nil {
		t.Fatalf("close: %+v %v", r, err)
	}
	a = f.newAudit()
	if len(a) != 3 || a[0].Action != "report.info_request" || a[2].Action != "report.info_request_closed" || a[1].Actor != "zarina" {
		t.Errorf("request audit: %+v", a)
	}
	for _, e := range a {
		if strings.Contains(e.Detail, "шартнома") || strings.Contains(e.Detail, "договор") {
			t.Errorf("the request's text is in the audit trail: %+v", e)
		}
	}
	// The citizen sees the open request at their status check.
	f.o.RequestInfo(ctx, officerA, f.num(), "Биёед", "tg")
	got, err := f.svc.Lookup(ctx, f.num(), f.code, "client")
	if err != nil || got.OpenInfoRequest() == nil || got.OpenInfoRequest().Text != "Биёед" {
		t.Errorf("lookup: %+v %v", got, err)
	}
}

func TestFileOnBehalf(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	bad := submission()
	bad.Reporter.Phone = "12"
	if _, err := f.o.FileOnBehalf(ctx, officerA, bad); !isValidation(err, "reporter.phone") {
		t.Errorf("bad phone: %v", err)
	}
	c, err := f.o.FileOnBehalf(ctx, officerA, submission())
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.FiledBy != "rustam" || c.AccessCode == "" || c.ReceiptJob == 0 {
		t.Fatalf("created: %+v", c)
	}
	a := f.newAudit()
	if len(a) != 1 || a[0].Action != "report.create" || a[0].Actor != "rustam" || !strings.Contains(a[0].Detail, "on behalf") {
		t.Errorf("audit: %+v", a)
	}
	if j := f.st.Jobs[c.ReceiptJob-1]; j.AccessCode != c.AccessCode || j.ReportID != c.Report.ID {
		t.Errorf("receipt job: %+v", j)
	}
	if s := c.Report.Summary(); !s.OnBehalf {
		t.Errorf("summary: %+v", s)
	}
}

func TestReprintReceipt(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	for _, tc := range []struct{ typ, num, field string }{
		{"", "A1234567", "document_type"}, {"library_card", "A1234567", "document_type"},
		{kiosk.DocIDCard, "", "document_number"}, {kiosk.DocIDCard, "A1", "document_number"},
		{kiosk.DocIDCard, "A12;34", "document_number"},
	} {
		if _, err := f.o.ReprintReceipt(ctx, officerA, f.num(), tc.typ, tc.num); !isValidation(err, tc.field) {
			t.Errorf("%q %q: %v, want an error for %s", tc.typ, tc.num, err, tc.field)
		}
	}
	jobs := len(f.st.Jobs)
	c, err := f.o.ReprintReceipt(ctx, officerA, f.num(), kiosk.DocIDCard, " a123 4567 ")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessCode == f.code || len(c.AccessCode) != kiosk.AccessCodeLen || c.ReceiptJob == 0 {
		t.Fatalf("reissued: %+v", c)
	}
	noPersonal(t, c.Report)
	if len(f.st.Jobs) != jobs+1 {
		t.Fatalf("%d jobs queued", len(f.st.Jobs)-jobs)
	}
	if j := f.st.Jobs[len(f.st.Jobs)-1]; j.AccessCode != c.AccessCode || !j.Copy || j.ReportID != f.rep.ID || j.ID != c.ReceiptJob {
		t.Errorf("job: %+v", j)
	}
	// The old code stops working, the new one works.
	if _, err := f.svc.Lookup(ctx, f.num(), f.code, "c1"); !errors.Is(err, kiosk.ErrNotFound) {
		t.Errorf("old code: %v", err)
	}
	if _, err := f.svc.Lookup(ctx, f.num(), c.AccessCode, "c2"); err != nil {
		t.Errorf("new code: %v", err)
	}
	chk := f.stored(t).IdentityChecks
	if len(chk) != 1 || chk[0].Number != "A123 4567" || chk[0].Purpose != kiosk.CheckReprint || chk[0].By != "rustam" {
		t.Errorf("identity check: %+v", chk)
	}
	a := f.newAudit()
	if len(a) != 1 || a[0].Action != "receipt.reissue" || a[0].Actor != "rustam" || !strings.Contains(a[0].Detail, kiosk.DocIDCard) ||
		strings.Contains(a[0].Detail, "4567") {
		t.Errorf("audit (type, never the number): %+v", a)
	}

	anon := submission()
	anon.Anonymous, anon.Reporter = true, kiosk.Reporter{}
	ac, err := f.svc.Create(ctx, anon)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.o.ReprintReceipt(ctx, officerA, ac.Report.Number.String(), kiosk.DocIDCard, "A1234567"); !errors.Is(err, kiosk.ErrAnonymous) {
		t.Errorf("anonymous: %v", err)
	}
	svc, err := kiosk.NewService(f.st, kiosk.NewTrustedClock(f.wall, time.Time{}, nil), kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	noPrinter := kiosk.NewOfficer(f.st, kiosk.NewTrustedClock(f.wall, time.Time{}, nil), svc, nil)
	if _, err := noPrinter.ReprintReceipt(ctx, officerA, f.num(), kiosk.DocIDCard, "A1234567"); !errors.Is(err, kiosk.ErrNoPrinter) {
		t.Errorf("no printer: %v", err)
	}
}

func TestOfficerPrintExtract(t *testing.T) {
	ctx := context.Background()
	f := newOfficerFixture(t)
	if _, err := f.o.PrintExtract(ctx, officerA, f.num(), kiosk.DocPassport, "", ""); !isValidation(err, "document_number") {
		t.Errorf("no number: %v", err)
	}
	if len(f.xp.printed) != 0 {
		t.Fatal("printed without an identity check")
	}
	x, err := f.o.PrintExtract(ctx, officerA, f.num(), kiosk.DocPassport, "FA 765432", "tg")
	if err != nil {
		t.Fatal(err)
	}
	if !f.xr.withPersonal || f.xr.name != "Иван Петров" || f.xr.lang != "tg" || len(f.xp.printed) != 1 || f.xp.printed[0] != x.DocumentID {
		t.Errorf("render %+v, printed %v", f.xr, f.xp.printed)
	}
	chk := f.stored(t).IdentityChecks
	if len(chk) != 1 || chk[0].Purpose != kiosk.CheckExtract || chk[0].Extract != x.DocumentID || chk[0].Number != "FA 765432" {
		t.Errorf("identity check: %+v", chk)
	}
	a := f.newAudit()
	if len(a) != 2 || a[0].Action != "extract.issue" || a[1].Action != "extract.print" || a[0].Actor != "rustam" || a[1].Actor != "rustam" ||
		!strings.Contains(a[0].Detail, x.DocumentID) || !strings.Contains(a[0].Detail, kiosk.DocPassport) || strings.Contains(a[0].Detail, "765432") {
		t.Errorf("audit: %+v", a)
	}
	// The report's language by default.
	if _, err := f.o.PrintExtract(ctx, officerA, f.num(), kiosk.DocIDCard, "A1234567", ""); err != nil || f.xr.lang != "ru" {
		t.Errorf("default language: %q %v", f.xr.lang, err)
	}
	if _, err := f.o.PrintExtract(ctx, officerA, f.num(), kiosk.DocIDCard, "A1234567", "de"); !isValidation(err, "lang") {
		t.Errorf("unknown language: %v", err)
	}
}
