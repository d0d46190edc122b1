package ui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cpckiosk/kiosk"
)

// typeStaff types s into the field sel of a staff page with the on-screen
// keyboard, as typeText does on the citizen's pages (which also checks
// the field against their sticky emergency line, absent here).
func (b *browser) typeStaff(sel, s string) {
	b.t.Helper()
	b.click(sel)
	b.run("keyboard shown", chromedp.WaitVisible(chromedp.ID("kb")))
	time.Sleep(150 * time.Millisecond)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := string(rs[i])
		if i+1 < len(rs) && rs[i+1] == 'ʻ' {
			c += "ʻ"
			i++
		}
		b.typeKey(c)
	}
	if got := eval[string](b, `document.querySelector('`+sel+`').value`); got != s {
		b.t.Fatalf("typed %q into %s, field holds %q", s, sel, got)
	}
	r := eval[struct{ Bottom, KbTop float64 }](b, `(() => ({Bottom: document.querySelector('`+sel+`').getBoundingClientRect().bottom,
		KbTop: document.getElementById('kb').getBoundingClientRect().top}))()`)
	if r.Bottom > r.KbTop+0.5 {
		b.t.Errorf("field %s (bottom %.0f) is under the keyboard (top %.0f)", sel, r.Bottom, r.KbTop)
	}
	b.click(`#kb button[data-a="done"]`)
	b.run("keyboard hidden", chromedp.WaitNotVisible(chromedp.ID("kb")))
}

// checkScreens checks the current page's layout (nothing off the screen or
// overflowing, tap targets of 56 px) at the kiosk's landscape sizes and
// saves a screenshot of each; the CPPT pages are used in landscape.
func (b *browser) checkScreens(name string) {
	b.t.Helper()
	for _, sz := range [][2]int64{{1280, 800}, {1024, 600}} {
		b.size(sz[0], sz[1])
		for _, p := range eval[[]string](b, layoutJS) {
			b.t.Errorf("%s at %dx%d: %s", name, sz[0], sz[1], p)
		}
		b.shot(fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]))
	}
	b.size(1280, 800)
}

// clickTo taps sel, which loads another page, and waits for the page name
// to be shown (the one before may carry the same name).
func (b *browser) clickTo(sel, name string) {
	b.t.Helper()
	eval[bool](b, `(document.body.setAttribute('data-stale', '1'), true)`)
	b.click(sel)
	b.run("wait for page "+name, chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+name+`"]:not([data-stale])`)))
}

// fullShot saves a screenshot of the whole page, beyond the screen.
func (b *browser) fullShot(name string) {
	b.t.Helper()
	png := get(b, "full screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

type cpptFlow struct {
	lang, category, landmark, what, name, phone string
	// duplicate: an open issue of the category in the first settlement
	// exists, so the page offers it first; aboutPeople: the board shows
	// neither the settlement nor the landmark.
	duplicate, aboutPeople            bool
	analysis, action, who, assessment string
}

// TestCPPTBrowser: a team member logs in on the touchscreen, logs an issue
// by touch, works it through SARA (analysis, an action, in progress,
// resolved with an assessment), and the home screen's public board shows
// it as resolved, without the raiser or the description; in Tajik and in
// Russian. It saves screenshots of the dashboard, the issue, the charts and
// the home screen with the board.
func TestCPPTBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx, stop := newBrowser(t)
	defer stop()
	e := newCPPTEnv(t, nil)
	e.seedHistory(t)
	bg := context.Background()
	// Open issues for the board and the dashboard, one with an overdue action.
	for k, cat := range []kiosk.IssueCategory{kiosk.IssueYouth, kiosk.IssueAlcohol, kiosk.IssueTheftHotspot, kiosk.IssueLandWater} {
		i := e.seed(t, kiosk.NewIssue{Category: cat, Settlement: testSettlements[k%3], Landmark: "Бозори марказӣ",
			Description: "Тавсиф", RaisedBy: kiosk.Raiser{Name: "Махфӣ Шахс", Phone: "+992900000001"}})
		if k == 2 {
			if _, err := e.CPPT.AddAction(bg, cpptActor, i.ID, kiosk.NewAction{Text: "Гашт", Responsible: "Фарҳод", Due: e.CC.Now()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.CPPT.AddMeeting(bg, cpptActor, kiosk.NewMeeting{Date: time.Date(2026, 6, 12, 15, 0, 0, 0, kiosk.Zone), Place: "Хонаи маҳаллаи Навобод"}); err != nil {
		t.Fatal(err)
	}
	e.CC.Advance(3 * 24 * time.Hour) // the theft hotspot's action is overdue now
	srv := httptest.NewServer(e.H)
	defer srv.Close()
	shots := screensDir(t)
	t.Logf("screenshots in %s", shots)

	flows := []cpptFlow{
		{lang: "tg", category: "street_lighting", landmark: "Кӯчаи Рӯдакӣ", what: "Чароғҳо намесӯзанд",
			name: "Зарина Раҳимова", phone: "+992935551234", analysis: "Сими кӯҳна", action: "Нома ба барқ",
			who: "Фарҳод", assessment: "Иваз шуданд"},
		{lang: "ru", category: "youth", landmark: "У школы", what: "Подростки ночью",
			name: "Иван Петров", phone: "+992901112233", analysis: "Нет кружков", action: "Открыть секцию",
			who: "Нодира", assessment: "Секция работает", duplicate: true, aboutPeople: true},
	}
	for _, f := range flows {
		t.Run(f.lang, func(t *testing.T) {
			b := &browser{t: t, ctx: ctx, shots: shots, base: srv.URL}
			b.size(1280, 800)
			b.run("open login", chromedp.Navigate(srv.URL+"/staff/login?lang="+f.lang))
			b.waitPage("staff-login")
			b.typeStaff("#username", "cppt1")
			b.typeStaff("#password", staffPassword)
			b.clickTo("#login", "cppt-dashboard")
			if f.lang == "tg" {
				b.checkScreens("cppt-dashboard-" + f.lang)
				b.fullShot("cppt-dashboard-full-" + f.lang)
				if !strings.Contains(eval[string](b, `document.querySelector('tr.overdue') ? document.querySelector('tr.overdue').innerText : ''`), tr(f.lang, "cppt.overdue")) {
					t.Error("the overdue issue is not highlighted on the dashboard")
				}
			}

			b.clickTo("#new-issue", "cppt-new")
			b.click("#cat-" + f.category)
			b.click("#place-0")
			b.typeStaff("#landmark", f.landmark)
			b.typeStaff("#description", f.what)
			b.click("#who-named")
			b.typeStaff("#name", f.name)
			b.typeStaff("#phone", f.phone)
			b.click("#prio-1")
			if f.lang == "tg" {
				b.checkScreens("cppt-new-" + f.lang)
				b.fullShot("cppt-new-full-" + f.lang)
			}
			if f.duplicate {
				b.clickTo("#log-issue", "cppt-duplicates")
				if !strings.Contains(get(b, "duplicates", chromedp.Text(chromedp.ID("duplicates"))), "ISF-P-26-0041") {
					t.Error("the duplicate offer lacks the open youth issue of Навобод")
				}
				b.checkScreens("cppt-duplicates-" + f.lang)
				b.clickTo("#dup-new", "cppt-issue")
			} else {
				b.clickTo("#log-issue", "cppt-issue")
			}
			number := get(b, "number", chromedp.Text(chromedp.ID("issue-number")))
			if !strings.HasPrefix(number, "ISF-P-26-") {
				t.Fatalf("issue number %q", number)
			}
			if txt := b.text(); !strings.Contains(txt, f.name) || !strings.Contains(txt, f.what) {
				t.Error("the issue page lacks the raiser or the description")
			}

			b.typeStaff("#analysis", f.analysis)
			b.clickTo("#save-analysis", "cppt-issue")
			b.typeStaff("#act-text", f.action)
			b.typeStaff("#act-who", f.who)
			b.click("#due-7")
			b.clickTo("#add-action-submit", "cppt-issue")
			if !strings.Contains(b.text(), f.action) {
				t.Fatal("the action is not listed")
			}
			b.clickTo("#start-work", "cppt-issue")
			if got := get(b, "status", chromedp.Text(chromedp.ID("issue-status"))); got != tr(f.lang, "cppt.st.in_progress") {
				t.Fatalf("status %q after start", got)
			}
			if f.lang == "tg" {
				b.checkScreens("cppt-issue-" + f.lang)
				b.fullShot("cppt-issue-full-" + f.lang)
			}
			b.typeStaff("#note", f.assessment)
			b.clickTo("#resolve", "cppt-issue")
			if got := get(b, "status", chromedp.Text(chromedp.ID("issue-status"))); got != tr(f.lang, "cppt.st.resolved") {
				t.Fatalf("status %q after resolving", got)
			}
			if got := get(b, "assessment", chromedp.Text(chromedp.ID("assessment-text"))); got != f.assessment {
				t.Errorf("assessment %q", got)
			}

			if f.lang == "tg" {
				b.run("charts", chromedp.Navigate(srv.URL+"/cppt/charts"))
				b.waitPage("cppt-charts")
				n := eval[int](b, `[...document.querySelectorAll('.chart-land svg, .chart-box > svg')].filter(s => s.getBoundingClientRect().width > 500).length`)
				if n != 4 {
					t.Errorf("%d charts shown, want 4", n)
				}
				b.checkScreens("cppt-charts-" + f.lang)
				b.fullShot("cppt-charts-full-" + f.lang)
				b.run("meeting form", chromedp.Navigate(srv.URL+"/cppt/meetings/new"))
				b.waitPage("cppt-meeting")
				b.checkScreens("cppt-meeting-" + f.lang)
			}

			b.clickTo("#logout", "home")
			b.run("home", chromedp.Navigate(srv.URL+"/?lang="+f.lang))
			b.waitPage("home")
			txt := get(b, "board", chromedp.Text(chromedp.ID("board-resolved")))
			if !strings.Contains(txt, tr(f.lang, "cppt.cat."+f.category)) || f.aboutPeople == strings.Contains(txt, f.landmark) {
				t.Errorf("the board's resolved list lacks the issue, or shows the landmark of an issue about people: %q", txt)
			}
			page := b.text()
			for _, secret := range []string{f.name, f.phone[4:], f.what, f.analysis, f.action, f.who, f.assessment, "Махфӣ", "Тавсиф"} {
				if strings.Contains(page, secret) {
					t.Errorf("the home screen shows %q", secret)
				}
			}
			b.checkScreens("home-board-" + f.lang)
		})
	}
}
