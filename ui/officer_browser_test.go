package ui

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cpckiosk/kiosk"
)

// typeOn types s into the field sel with the on-screen keyboard, as an
// officer at the kiosk does (the staff pages have no emergency line, so
// typeText's check of the field against it does not apply).
func (b *browser) typeOn(sel, s string) {
	b.t.Helper()
	b.click(sel)
	b.run("keyboard shown", chromedp.WaitVisible(chromedp.ID("kb")))
	for _, r := range s {
		b.typeKey(string(r))
	}
	if got := eval[string](b, `document.querySelector('`+sel+`').value`); got != s {
		b.t.Fatalf("typed %q into %s, field holds %q", s, sel, got)
	}
	b.click(`#kb button[data-a="done"]`)
	b.run("keyboard hidden", chromedp.WaitNotVisible(chromedp.ID("kb")))
}

// setValue fills a field directly (long texts: typing them key by key
// proves nothing more than typeOn already did).
func (b *browser) setValue(sel, s string) {
	b.t.Helper()
	b.run("set "+sel, chromedp.SetValue(chromedp.CSS(sel), s))
}

func (b *browser) rows() []string {
	return eval[[]string](b, `[...document.querySelectorAll('#reports tbody tr')].map(r => r.getAttribute('data-number'))`)
}

// An officer logs in on the touchscreen, filters the list, opens a report,
// sees its personal data after giving a reason, adds a note and marks it
// reviewed — in Tajik and in Russian — and looks at the device panel.
func TestOfficerBrowser(t *testing.T) {
	ctx, stop := newBrowser(t)
	defer stop()
	start := time.Now()
	f := newOfficerFixture(t)
	srv := httptest.NewServer(f.H)
	defer srv.Close()
	shots := screensDir(t)
	t.Logf("screenshots in %s", shots)

	type person struct {
		cat        kiosk.Category
		name, lang string
	}
	people := []person{
		{"theft", "Ҷамшед Қодиров", "tg"}, {"fraud", "Нодира Раҳимова", "tg"}, {"theft", "Иван Петров", "ru"},
		{"assault", "", "tg"}, {"theft", "Фарҳод Бобоев", "tg"}, {"lost_documents", "Анна Смирнова", "ru"},
	}
	numbers := map[string]string{}
	for _, p := range people {
		c := f.file(t, p.cat, p.name)
		numbers[p.name] = c.Report.Number.String()
	}
	flows := []struct {
		lang, name, reason, note string
	}{
		{"tg", "Фарҳод Бобоев", "барои шоҳид", "Ба ӯ занг задам, фардо меояд"},
		{"ru", "Иван Петров", "уточнить адрес", "Позвонил, придёт завтра"},
	}
	for _, fl := range flows {
		t.Run(fl.lang, func(t *testing.T) {
			b := &browser{t: t, ctx: ctx, base: srv.URL, shots: shots}
			b.size(1280, 800)
			b.run("open login", chromedp.Navigate(srv.URL+"/staff/login?lang="+fl.lang))
			b.waitPage("staff-login")
			b.typeOn("#username", "officer1")
			b.setValue("#password", staffPassword)
			b.click("#login")
			b.waitPage("officer-list")
			if got := b.rows(); len(got) != len(people) || got[0] != numbers["Анна Смирнова"] {
				t.Fatalf("list: %v", got)
			}
			if txt := b.text(); strings.Contains(txt, fl.name) {
				t.Fatal("the list shows a name")
			}
			b.checkLayout("officer-list-" + fl.lang)

			// Filter: theft, then unreviewed only.
			b.click("#f-category")
			b.run("category picker", chromedp.WaitVisible(chromedp.ID("f-cat-theft")))
			b.checkLayout("officer-filter-category-" + fl.lang)
			b.click("#f-cat-theft")
			b.run("filtered by category", chromedp.WaitVisible(chromedp.CSS(`#f-category.on`))) // the page after the link
			if got := b.rows(); len(got) != 3 {
				t.Fatalf("theft: %v", got)
			}
			b.click("#f-unreviewed")
			b.waitPage("officer-list")
			b.run("unreviewed on", chromedp.WaitVisible(chromedp.CSS(`#f-unreviewed[aria-pressed="true"]`)))
			got := b.rows()
			want := numbers[fl.name]
			found := false
			for _, n := range got {
				found = found || n == want
			}
			if !found {
				t.Fatalf("unreviewed theft %v lacks %s", got, want)
			}
			b.shot("officer-list-filtered-" + fl.lang + "-1280x800")

			// Open the report: no personal data until a reason is given.
			b.click(`tr[data-number="` + want + `"] a.report-link`)
			b.waitPage("officer-report")
			if txt := b.text(); !strings.Contains(txt, want) || strings.Contains(txt, fl.name) {
				t.Fatal("report page: number missing or the name shown before a reason")
			}
			b.checkLayout("officer-report-" + fl.lang)
			b.size(1280, 800)
			b.click("#reveal") // no reason yet
			b.waitPage("officer-report")
			b.run("reason required", chromedp.WaitVisible(chromedp.ID("err-reason")))
			b.click("#reason-contact")
			b.typeOn("#reason_text", fl.reason)
			b.click("#reveal")
			b.waitPage("officer-report")
			b.run("personal data", chromedp.WaitVisible(chromedp.ID("revealed")))
			if txt := b.text(); !strings.Contains(txt, fl.name) {
				t.Fatal("the revealed data lacks the name")
			}
			b.checkLayout("officer-revealed-" + fl.lang)
			b.size(1280, 800)

			// A note, then reviewed.
			b.setValue("#note-text", fl.note)
			b.click("#add-note")
			b.run("note added", chromedp.WaitVisible(chromedp.CSS(`main > p.notice`))) // the page after the redirect
			if txt := b.text(); !strings.Contains(txt, fl.note) || !strings.Contains(txt, tr(fl.lang, "officer.notice.note_added")) || strings.Contains(txt, fl.name) {
				t.Fatal("after the note: note or notice missing, or the personal data still shown")
			}
			b.click("#mark-reviewed")
			b.waitPage("officer-report")
			b.run("reviewed", chromedp.WaitVisible(chromedp.ID("reviewed")))
			b.shot("officer-reviewed-" + fl.lang + "-1280x800")
			b.click("#back-list")
			b.waitPage("officer-list")
			b.run("open unreviewed theft", chromedp.Navigate(srv.URL+"/staff/reports?category=theft&unreviewed=1"))
			b.waitPage("officer-list")
			for _, n := range b.rows() {
				if n == want {
					t.Fatal("a reviewed report is still listed as unreviewed")
				}
			}

			if fl.lang == "tg" {
				// The other screens of the console, for their layout.
				for _, p := range []struct{ path, page string }{
					{"/staff/reports/new", "officer-new"}, {"/staff/reports/" + want + "/reprint", "officer-reprint"},
					{"/staff/reports/" + want + "/extract", "officer-extract"}, {"/staff/device", "officer-device"},
				} {
					b.run("open "+p.path, chromedp.Navigate(srv.URL+p.path))
					b.waitPage(p.page)
					b.checkLayout(p.page + "-" + fl.lang)
				}
				b.size(1280, 800)
			}
			b.click("#logout")
			b.waitPage("home")
		})
	}
	// The citizen sees the officer's request for information at their
	// status check.
	t.Run("citizen-sees-request", func(t *testing.T) {
		c := f.file(t, "fraud", "Гулнора Саидова")
		n := c.Report.Number.String()
		officer := kiosk.Actor{Username: "officer1", Role: kiosk.RoleOfficer}
		if _, err := f.O.RequestInfo(context.Background(), officer, n, "Лутфан нусхаи шартномаи қарзро ба марказ биёред.", "tg"); err != nil {
			t.Fatal(err)
		}
		b := &browser{t: t, ctx: ctx, base: srv.URL, shots: shots}
		b.size(1280, 800)
		b.run("open status", chromedp.Navigate(srv.URL+"/status?lang=tg"))
		b.waitPage("status")
		b.typeText("#number", n)
		b.typeText("#access_code", kiosk.FormatAccessCode(c.AccessCode))
		b.click("#check")
		b.waitPage("status-result")
		b.run("request shown", chromedp.WaitVisible(chromedp.ID("info-request")))
		if txt := b.text(); !strings.Contains(txt, "нусхаи шартномаи қарзро") || strings.Contains(txt, "officer1") {
			t.Fatal("the status page lacks the request or names the officer")
		}
		b.checkLayout("status-info-request-tg")
	})

	var reveals, notes, reviews int
	for _, e := range f.St.Audit {
		if e.Actor != "officer1" {
			continue
		}
		switch e.Action {
		case "report.view_personal":
			reveals++
		case "report.note":
			notes++
		case "report.review":
			reviews++
		}
	}
	if reveals != 2 || notes != 2 || reviews != 2 {
		t.Errorf("audit by officer1: %d reveals, %d notes, %d reviews; want 2 each", reveals, notes, reviews)
	}
	t.Logf("officer browser test took %s", time.Since(start).Round(time.Millisecond))
}
