package ui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium headless through chromedp. They
// fail when CI=true and Chromium is missing, and skip otherwise.

func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found: install Debian's chromium (apt-get install chromium) to run the browser tests")
	}
	t.Skip("chromium not found; set CHROMIUM or install Debian's chromium")
	return ""
}

// screensDir is where screenshots go: $KIOSK_SCREENS or $TMPDIR/cpckiosk-screens.
func screensDir(t testing.TB) string {
	dir := os.Getenv("KIOSK_SCREENS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "cpckiosk-screens")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func newBrowser(t testing.TB) (context.Context, func()) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 600),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, func() { cancelB(); cancelA() }
}

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that gives a value.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	return get(b, "eval "+js[:min(len(js), 60)], chromedp.Evaluate[T](js))
}

func (b *browser) page() string {
	return eval[string](b, `document.body.getAttribute('data-page')`)
}

// waitPage waits until the page named name is shown.
func (b *browser) waitPage(name string) {
	b.t.Helper()
	b.run("wait for page "+name, chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+name+`"]`)))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (b *browser) size(w, h int64) {
	b.t.Helper()
	b.run("resize", chromedp.EmulateViewport(w, h))
}

func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b, "screenshot", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

const layoutJS = `(() => {
  const bad = [], W = window.innerWidth;
  const desc = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' "' + (el.textContent || '').trim().slice(0, 20) + '"';
  if (document.documentElement.scrollWidth > W) bad.push('page scrollWidth ' + document.documentElement.scrollWidth + ' > ' + W);
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[hidden]')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > W + 0.5 || r.left < -0.5) bad.push('outside the screen: ' + desc(el) + ' ' + r.left + '..' + r.right);
    if (el.clientWidth > 0 && cs.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1) bad.push('overflows its box: ' + desc(el) + ' ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  for (const el of document.querySelectorAll('button, a, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea, label.choice')) {
    if (el.closest('[hidden]') || el.disabled) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || el.closest('.named-fields') && getComputedStyle(el.closest('.named-fields')).display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.height < 56 || r.width < 56) bad.push('tap target under 56 px: ' + desc(el) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  return bad;
})()`

// checkLayout checks the current screen at both kiosk sizes, in landscape and
// portrait, saving a screenshot of each, and returns to 1024x600.
func (b *browser) checkLayout(name string) {
	b.t.Helper()
	for _, sz := range [][2]int64{{1280, 800}, {1024, 600}, {800, 1280}, {600, 1024}} { // landscape and portrait
		b.size(sz[0], sz[1])
		bad := eval[[]string](b, layoutJS)
		for _, p := range bad {
			b.t.Errorf("%s at %dx%d: %s", name, sz[0], sz[1], p)
		}
		b.shot(fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]))
	}
}

type kbState struct {
	Layout string
	Keys   []string // data-k of the keys
	Acts   []string // data-a of every button
}

// typeText types s into the field sel by tapping the on-screen keyboard's
// keys, switching layout, shift and symbols as a person would.
func (b *browser) typeText(sel, s string) {
	b.t.Helper()
	b.click(sel)
	b.run("keyboard shown", chromedp.WaitVisible(chromedp.ID("kb")))
	time.Sleep(150 * time.Millisecond) // the keyboard settles the scroll after a frame
	b.checkNotCovered(sel)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := string(rs[i])
		if i+1 < len(rs) && rs[i+1] == 'ʻ' {
			c += "ʻ" // Uzbek Latin oʻ and gʻ are one key
			i++
		}
		b.typeKey(c)
	}
	got := eval[string](b, `document.querySelector('`+sel+`').value`)
	if got != s {
		b.t.Fatalf("typed %q into %s, field holds %q", s, sel, got)
	}
	b.checkNotCovered(sel)
	// Done on the keyboard, as a person does to see the page's buttons.
	b.click(`#kb button[data-a="done"]`)
	b.run("keyboard hidden", chromedp.WaitNotVisible(chromedp.ID("kb")))
}

// typeKey taps the key that types c.
func (b *browser) typeKey(c string) {
	b.t.Helper()
	for range 10 {
		st := eval[kbState](b, `({Layout: document.getElementById('kb').getAttribute('data-layout'),
			Keys: [...document.querySelectorAll('#kb button[data-k]')].map(x => x.getAttribute('data-k')),
			Acts: [...document.querySelectorAll('#kb button')].map(x => x.getAttribute('data-a'))})`)
		has := func(k string) bool {
			for _, x := range st.Keys {
				if x == k {
					return true
				}
			}
			return false
		}
		act := func(a string) bool {
			for _, x := range st.Acts {
				if x == a {
					return true
				}
			}
			return false
		}
		r := []rune(c)[0]
		switch {
		case has(c):
			b.click(`#kb button[data-k="` + c + `"]`)
			return
		case has(swapCase(c)) && act("shift"):
			b.click(`#kb button[data-a="shift"]`)
		case act("abc") && unicode.IsLetter(r):
			b.click(`#kb button[data-a="abc"]`)
		case act("pad") && !unicode.IsLetter(r):
			b.click(`#kb button[data-a="pad"]`)
		case act("sym") && !unicode.IsLetter(r) && st.Layout != "sym":
			b.click(`#kb button[data-a="sym"]`)
		case act("sym") && unicode.IsLetter(r) && st.Layout == "sym":
			b.click(`#kb button[data-a="sym"]`)
		case act("switch"):
			b.click(`#kb button[data-a="switch"]`)
		default:
			b.t.Fatalf("no way to type %q on layout %s (keys %v)", c, st.Layout, st.Keys)
		}
	}
	b.t.Fatalf("could not reach the key %q", c)
}

func swapCase(s string) string {
	if strings.ToUpper(s) == s {
		return strings.ToLower(s)
	}
	r := []rune(s) // not s[:1]: the first letter may take more than a byte (б, ҷ)
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// checkNotCovered asserts the focused field is between the sticky danger
// line and the keyboard.
func (b *browser) checkNotCovered(sel string) {
	b.t.Helper()
	r := eval[struct {
		Top, Bottom, KbTop, BannerBottom float64
		Dbg                              string
	}](b, `(() => { const f = document.querySelector('`+sel+`').getBoundingClientRect();
		return {Top: f.top, Bottom: f.bottom, KbTop: document.getElementById('kb').getBoundingClientRect().top,
		BannerBottom: document.querySelector('.danger').getBoundingClientRect().bottom,
		Dbg: 'scrollY=' + scrollY + ' height=' + document.documentElement.scrollHeight + ' kbh=' + getComputedStyle(document.body).paddingBottom}; })()`)
	if r.Bottom > r.KbTop+0.5 || r.Top < r.BannerBottom-0.5 {
		b.t.Errorf("field %s (%.0f..%.0f) hidden: keyboard at %.0f, banner ends at %.0f (%s)", sel, r.Top, r.Bottom, r.KbTop, r.BannerBottom, r.Dbg)
	}
}

func (b *browser) text() string {
	return eval[string](b, `document.body.innerText + ' ' + [...document.querySelectorAll('input,textarea')].map(x => x.value).join(' ')`)
}

type flow struct {
	lang, category                   string
	place, landmark, what            string
	anonymous                        bool
	name, phone                      string
	dangerText, doneTitle, stReceive string
}

func TestBrowser(t *testing.T) {
	ctx, stop := newBrowser(t)
	defer stop()
	start := time.Now()
	srv, _ := newKioskServer(t, pageOptions{IdleSeconds: 600, CountdownSeconds: 20})
	b := &browser{t: t, ctx: ctx, base: srv.URL, shots: screensDir(t)}
	t.Logf("screenshots in %s", b.shots)

	flows := []flow{
		{lang: "tg", category: "theft", place: "Ҳисор, кӯчаи Ҷомӣ 7", landmark: "Назди мағозаи Ғафур",
			what: "Дар ҳавлӣ велосипеди маро дуздиданд", name: "Ҷамшед Қодиров", phone: "+992931234567"},
		{lang: "ru", category: "fraud", place: "Душанбе, улица Рудаки", landmark: "Рынок Шохмансур",
			what: "Мне позвонили и выманили код карты", name: "Иван Петров", phone: "+992 90 111 2233"},
		{lang: "uz", category: "domestic_violence", place: "Хўжанд, Ғафуров кўчаси", landmark: "Бозор",
			what: "Oʻgʻri qoʻshni hovlida", anonymous: true},
		{lang: "en", category: "lost_documents", place: "Khujand, Lenin street 12", landmark: "School",
			what: "I lost my passport on the bus", name: "John Smith", phone: "+992927654321"},
	}
	var number, code string
	for _, f := range flows {
		t.Run("report-"+f.lang, func(t *testing.T) {
			b := &browser{t: t, ctx: ctx, base: srv.URL, shots: b.shots}
			b.size(1024, 600)
			b.run("open home", chromedp.Navigate(srv.URL+"/?lang="+f.lang))
			b.waitPage("home")
			if f.lang == "tg" {
				b.checkLayout("home-" + f.lang)
			}
			if !strings.Contains(b.text(), tr(f.lang, "danger")) {
				t.Fatal("no emergency line")
			}
			b.click("#go-report")
			b.waitPage("step-category")
			b.click("#cat-" + f.category)
			b.checkLayout("category-" + f.lang)
			b.click("#next")

			b.waitPage("step-when")
			b.click("#when-yesterday")
			b.typeText("#time", "09:45")
			b.checkLayout("when-" + f.lang)
			b.click("#next")

			b.waitPage("step-where")
			b.typeText("#place", f.place)
			b.typeText("#landmark", f.landmark)
			b.checkLayout("where-keyboard-" + f.lang)
			b.click("#next")

			b.waitPage("step-what")
			b.typeText("#description", f.what)
			b.click("#next")

			b.waitPage("step-who")
			if f.anonymous {
				b.click("#who-anon")
			} else {
				b.click("#who-named")
				b.typeText("#full_name", f.name)
				b.typeText("#phone", f.phone)
			}
			b.checkLayout("who-" + f.lang)
			b.click("#next")

			b.waitPage("step-consent")
			b.click("#next") // without consent: the sentence next to the box
			b.run("consent error", chromedp.WaitVisible(chromedp.ID("err-consent")))
			if !strings.Contains(b.text(), tr(f.lang, "err.consent.required")) {
				t.Fatal("missing consent not explained")
			}
			b.click("#consent-yes")
			b.checkLayout("consent-" + f.lang)
			b.click("#next")

			b.waitPage("step-review")
			txt := b.text()
			for _, want := range []string{f.place, f.landmark, f.what, tr(f.lang, "cat."+f.category)} {
				if !strings.Contains(txt, want) {
					t.Errorf("review lacks %q", want)
				}
			}
			if !f.anonymous && !strings.Contains(txt, f.name) {
				t.Errorf("review lacks the name")
			}
			b.checkLayout("review-" + f.lang)
			b.click("#next")

			b.waitPage("done")
			num := get(b, "number", chromedp.Text(chromedp.ID("result-number")))
			cd := get(b, "code", chromedp.Text(chromedp.ID("result-code")))
			if !strings.HasPrefix(num, "ISF1-") || len(cd) != 9 {
				t.Fatalf("result %q %q", num, cd)
			}
			b.checkLayout("done-" + f.lang)
			if f.lang == "tg" {
				number, code = num, cd
			}
			b.click("#finish")
			b.waitPage("home")
			b.run("back", chromedp.NavigateBack())
			time.Sleep(300 * time.Millisecond)
			b.waitPage("home")
			if txt := b.text(); strings.Contains(txt, num) || strings.Contains(txt, cd) || (f.name != "" && strings.Contains(txt, f.name)) {
				t.Fatal("Back after Done shows the last person's data")
			}
		})
	}

	t.Run("status", func(t *testing.T) {
		if number == "" {
			t.Skip("no report from the tg flow")
		}
		b := &browser{t: t, ctx: ctx, base: srv.URL, shots: b.shots}
		b.run("open status", chromedp.Navigate(srv.URL+"/status?lang=tg"))
		b.waitPage("status")
		b.typeText("#number", number)
		b.checkLayout("status-form-tg")
		b.typeText("#access_code", code)
		b.click("#check")
		b.waitPage("status-result")
		if txt := b.text(); !strings.Contains(txt, number) || !strings.Contains(txt, tr("tg", "st.received")) {
			t.Fatal("status result lacks number or status")
		}
		b.checkLayout("status-result-tg")
		b.click("#finish")
		b.waitPage("home")
	})

	t.Run("extract", func(t *testing.T) {
		b := &browser{t: t, ctx: ctx, base: srv.URL, shots: b.shots}
		b.run("open extract", chromedp.Navigate(srv.URL+"/extract?lang=ru"))
		b.waitPage("extract")
		b.typeText("#number", "ISF1-26-000001-9")
		b.click("#print-extract")
		b.run("code error", chromedp.WaitVisible(chromedp.ID("err-access_code")))
		if txt := b.text(); !strings.Contains(txt, tr("ru", "err.access_code.required")) {
			t.Fatal("missing access code not explained")
		}
		b.checkLayout("extract-ru")
		if number == "" {
			return
		}
		// With a real number and code: the preview, then Print: the signed
		// extract comes out of the (simulated) receipt printer.
		b.typeText("#access_code", code)
		eval[string](b, `(document.getElementById('number').value = '')`) // the wrong number typed above
		b.typeText("#number", number)
		b.click("#print-extract")
		b.waitPage("extract-preview")
		if txt := b.text(); !strings.Contains(txt, number) || !strings.Contains(txt, tr("ru", "extract.preview.where.receipt")) {
			t.Fatal("extract preview lacks the number or where it prints")
		}
		b.checkLayout("extract-preview-ru")
		b.click("#print-now")
		b.waitPage("extract-done")
		if txt := b.text(); !strings.Contains(txt, tr("ru", "extract.printed.receipt")) {
			t.Fatal("extract-done does not say where the extract came out")
		}
		b.checkLayout("extract-done-ru")
	})

	t.Run("quick-exit", func(t *testing.T) {
		b := &browser{t: t, ctx: ctx, base: srv.URL, shots: b.shots}
		b.run("open", chromedp.Navigate(srv.URL+"/report?lang=ru"))
		b.waitPage("step-category")
		b.click("#cat-domestic_violence")
		b.click("#next")
		b.waitPage("step-when")
		b.click("#when-today")
		b.click("#next")
		b.waitPage("step-where")
		b.typeText("#place", "Секрет")
		b.click("#next")
		b.waitPage("step-what")
		b.click("#quick-exit")
		b.waitPage("home")
		lang := eval[string](b, `document.documentElement.lang`)
		if lang != "tg" {
			t.Errorf("after quick exit the language is %s, want the default tg", lang)
		}
		for range 3 {
			b.run("back", chromedp.NavigateBack())
			time.Sleep(200 * time.Millisecond)
			b.run("loaded", chromedp.WaitReady(chromedp.CSS("body")))
			if txt := b.text(); strings.Contains(txt, "Секрет") || strings.Contains(txt, tr("ru", "cat.domestic_violence")) && b.page() != "step-category" {
				t.Fatalf("Back after quick exit shows the last person's data on %s", b.page())
			}
		}
	})

	t.Run("idle-wipe", func(t *testing.T) {
		srv2, _ := newPageServer(t, pageOptions{IdleSeconds: 2, CountdownSeconds: 2})
		b := &browser{t: t, ctx: ctx, base: srv2.URL, shots: b.shots}
		b.run("open", chromedp.Navigate(srv2.URL+"/report/category?lang=en"))
		b.waitPage("step-category")
		b.click("#cat-theft")
		b.click("#next")
		b.waitPage("step-when")
		b.click("#when-unknown")
		b.click("#next")
		b.waitPage("step-where")
		b.typeText("#place", "Secret Lane")
		b.click("#next")
		b.waitPage("step-what")
		b.run("overlay", chromedp.WaitVisible(chromedp.ID("idle")))
		if cnt := get(b, "count", chromedp.Text(chromedp.ID("idle-count"))); cnt == "" {
			t.Error("no countdown")
		}
		b.checkLayout("idle-overlay-en")
		b.waitPage("home")
		lang := eval[string](b, `document.documentElement.lang`)
		if lang != "tg" {
			t.Errorf("after the idle wipe the language is %s", lang)
		}
		for range 3 {
			b.run("back", chromedp.NavigateBack())
			time.Sleep(200 * time.Millisecond)
			b.run("loaded", chromedp.WaitReady(chromedp.CSS("body")))
			if strings.Contains(b.text(), "Secret Lane") {
				t.Fatalf("Back after the idle wipe shows the last person's place on %s", b.page())
			}
		}
		if eval[int](b, `localStorage.length + sessionStorage.length`) != 0 {
			t.Error("web storage holds data")
		}
	})
	t.Logf("browser tests took %s", time.Since(start).Round(time.Millisecond))
}
