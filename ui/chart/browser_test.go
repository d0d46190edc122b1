package chart

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser test shows the charts in Debian's Chromium, headless, under
// the kiosk's Content-Security-Policy, with the kiosk's own stylesheet and
// font. Like the browser tests of package ui it fails when CI=true and
// Chromium is missing, and is skipped otherwise (and with -short).

// kioskCSP is the policy of the kiosk's pages (ui/api.go): no inline
// style, no inline script.
const kioskCSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

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

// screensDir is where screenshots go: $KIOSK_SCREENS or
// $TMPDIR/cpckiosk-screens, as for package ui.
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

var chartPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="tg"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Charts</title>
<link rel="stylesheet" href="/static/kiosk.css">
<link rel="stylesheet" href="/charts.css">
</head>
<body data-page="charts">
<main>
<h1>Ҷамъбасти CPPT</h1>
{{range .}}<figure id="fig-{{.ID}}">{{.Wide}}{{.Narrow}}<figcaption><a class="btn small" href="/{{.ID}}.csv">CSV</a></figcaption></figure>
{{end}}
<figure id="fig-img"><img id="img-lines" src="/lines-img.svg" alt="Кушодашуда ва ҳалшуда"></figure>
<p id="csp-probe" style="color: rgb(255, 0, 0)">CSP probe</p>
<svg id="csp-svg-probe" viewBox="0 0 10 10" width="10" height="10"><rect id="csp-rect" width="10" height="10" fill="#00ff00" style="fill: #ff0000"/></svg>
</main>
</body></html>`))

// pageCSS sizes the figures; everything else comes from kiosk.css.
const pageCSS = `figure { margin: 0 0 1rem; }
figure svg.chart, figure img { display: block; width: 100%; height: auto; }
figcaption { margin-top: .3rem; }
@media (orientation: portrait) { figure svg.chart.wide { display: none; } }
@media (orientation: landscape) { figure svg.chart.narrow { display: none; } }
`

// shownChart is a chart in the Screen frame for landscape and in the
// Narrow frame for portrait.
type shownChart struct {
	ID           string
	Wide, Narrow template.HTML
}

func chartServer(t *testing.T) (*httptest.Server, []string) {
	t.Helper()
	static := filepath.Join("..", "static")
	css, err := os.ReadFile(filepath.Join(static, "kiosk.css"))
	if err != nil {
		t.Fatal(err)
	}
	font, err := os.ReadFile(filepath.Join(static, "font.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"stacked", "lines", "grouped", "histogram", "weekly", "empty"}
	files := map[string][]byte{
		"/static/kiosk.css": css, "/static/font.ttf": font, "/charts.css": []byte(pageCSS),
		"/lines-img.svg": SVG(openedResolved(Lines), Screen, SVGOptions{ID: "img"}),
	}
	var shown []shownChart
	all := samples()
	for _, name := range names {
		c := all[name]
		// The SVG's writer escapes every text, so it is safe as HTML.
		wide := strings.Replace(string(SVG(c, Screen, SVGOptions{ID: name})), `class="chart `, `class="wide chart `, 1)
		narrow := strings.Replace(string(SVG(c, Narrow, SVGOptions{ID: name + "-n"})), `class="chart `, `class="narrow chart `, 1)
		shown = append(shown, shownChart{name, template.HTML(wide), template.HTML(narrow)})
		var b bytes.Buffer
		if err := WriteCSV(&b, c, CSVOptions{}); err != nil {
			t.Fatal(err)
		}
		files["/"+name+".csv"] = b.Bytes()
	}
	var page bytes.Buffer
	if err := chartPage.Execute(&page, shown); err != nil {
		t.Fatal(err)
	}
	files["/"] = page.Bytes()
	types := map[string]string{".css": "text/css", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".csv": "text/csv; charset=utf-8"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		ct := types[filepath.Ext(r.URL.Path)]
		if ct == "" {
			ct = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Security-Policy", kioskCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, names
}

// chartCheck is what the page reports about one inline chart.
type chartCheck struct {
	ID           string
	Width        float64 // rendered width of the svg, px
	Height       float64
	Bars         int
	BarArea      float64 // union bounding box of the bars, px²
	BarFill      string  // computed fill of the first bar
	BarFillAttr  string
	Texts        int
	Invisible    []string // texts with an empty box
	MinFontPx    float64  // smallest rendered text height (font size × scale)
	Overlaps     []string // pairs of texts whose boxes overlap
	OutsideSVG   []string // texts outside the svg's box
	NoData       bool
	FontFamilyOK bool
}

const checkJS = `(() => [...document.querySelectorAll('svg.chart')].filter(svg => getComputedStyle(svg).display !== 'none').map(svg => {
  const r = svg.getBoundingClientRect();
  const scale = r.width / svg.viewBox.baseVal.width;
  const bars = [...svg.querySelectorAll('rect.bar')];
  let x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (const b of bars) { const q = b.getBoundingClientRect(); x0 = Math.min(x0, q.left); y0 = Math.min(y0, q.top); x1 = Math.max(x1, q.right); y1 = Math.max(y1, q.bottom); }
  const texts = [...svg.querySelectorAll('text')];
  const boxes = texts.map(t => t.getBoundingClientRect());
  const invisible = [], overlaps = [], outside = [];
  let minFont = 1e9;
  texts.forEach((t, i) => {
    const q = boxes[i];
    if (q.width === 0 || q.height === 0 || getComputedStyle(t).visibility === 'hidden') invisible.push(t.textContent);
    minFont = Math.min(minFont, parseFloat(getComputedStyle(t).fontSize) * scale);
    if (q.left < r.left - 0.5 || q.right > r.right + 0.5 || q.top < r.top - 0.5 || q.bottom > r.bottom + 0.5) outside.push(t.textContent);
    // The glyphs' ink is about the middle 70% of the line box Chromium reports.
    for (let j = 0; j < i; j++) {
      const p = boxes[j], sh = 0.15 * Math.min(q.height, p.height);
      if (q.left < p.right - 0.5 && p.left < q.right - 0.5 && q.top + sh < p.bottom - sh && p.top + sh < q.bottom - sh)
        overlaps.push(JSON.stringify(texts[j].textContent) + ' / ' + JSON.stringify(t.textContent));
    }
  });
  const font = getComputedStyle(texts[0]).fontFamily;
  return {ID: svg.id, Width: r.width, Height: r.height, Bars: bars.length,
    BarArea: bars.length ? (x1 - x0) * (y1 - y0) : 0,
    BarFill: bars.length ? getComputedStyle(bars[0]).fill : '', BarFillAttr: bars.length ? bars[0].getAttribute('fill') : '',
    Texts: texts.length, Invisible: invisible, MinFontPx: minFont, Overlaps: overlaps, OutsideSVG: outside,
    NoData: !!svg.querySelector('text.nodata'), FontFamilyOK: font.includes('Kiosk Sans')};
}))()`

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	chromium := chromiumPath(t)
	srv, names := chartServer(t)
	shots := screensDir(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
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
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1024, 600),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("fig-stacked")),
	); err != nil {
		t.Fatalf("load the chart page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}

	// The policy is in force: the inline style attributes are ignored...
	probe, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[getComputedStyle(document.getElementById('csp-probe')).color,
		getComputedStyle(document.getElementById('csp-rect')).fill]`))
	if err != nil {
		t.Fatal(err)
	}
	if probe[0] == "rgb(255, 0, 0)" {
		t.Fatal("the page's inline style attribute applied: the CSP is not in force, the test proves nothing")
	}
	// ...while presentation attributes are not styles and do apply.
	if probe[1] != "rgb(0, 255, 0)" {
		t.Errorf("probe rect fill %q: want the fill attribute's rgb(0, 255, 0) and not the blocked style's red", probe[1])
	}

	for _, size := range [][2]int64{{1024, 600}, {1280, 800}, {600, 1024}, {800, 1280}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
				t.Fatal(err)
			}
			checks, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartCheck](checkJS))
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != len(names) {
				t.Fatalf("%d charts on the page, want %d", len(checks), len(names))
			}
			for _, c := range checks {
				if portrait := size[1] > size[0]; portrait != strings.HasSuffix(c.ID, "-n") {
					t.Errorf("%s shown in a %dx%d window", c.ID, size[0], size[1])
				}
				if c.Width < float64(size[0])*0.8 || c.Width > float64(size[0]) || c.Height < c.Width*0.45 {
					t.Errorf("%s: shown %.0fx%.0f px in a %d px wide window", c.ID, c.Width, c.Height, size[0])
				}
				if c.ID == "empty" || c.ID == "empty-n" {
					if !c.NoData || c.Bars != 0 {
						t.Errorf("empty chart: no-data message %v, %d bars", c.NoData, c.Bars)
					}
				} else if c.ID != "lines" && c.ID != "lines-n" && (c.Bars == 0 || c.BarArea < c.Width*c.Height*0.2) {
					t.Errorf("%s: %d bars covering %.0f px²", c.ID, c.Bars, c.BarArea)
				}
				if c.Bars > 0 && (c.BarFill == "" || c.BarFill == "none" || c.BarFill == "rgb(0, 0, 0)" && c.BarFillAttr != "#000000") {
					t.Errorf("%s: bar fill %q (attribute %q): presentation attribute not applied", c.ID, c.BarFill, c.BarFillAttr)
				}
				if len(c.Invisible) > 0 {
					t.Errorf("%s: texts not rendered: %q", c.ID, c.Invisible)
				}
				if len(c.Overlaps) > 0 {
					t.Errorf("%s: texts overlap: %q", c.ID, c.Overlaps)
				}
				if len(c.OutsideSVG) > 0 {
					t.Errorf("%s: texts outside the chart: %q", c.ID, c.OutsideSVG)
				}
				// The smallest text, the values in the bars, is 0.8 of the
				// 17-unit base: about 14 px at 1024x600 and 600x1024.
				if min := 12.0; c.MinFontPx < min {
					t.Errorf("%s: smallest text %.1f px, want at least %.1f px", c.ID, c.MinFontPx, min)
				}
				if !c.FontFamilyOK {
					t.Errorf("%s: text not in the kiosk's font", c.ID)
				}
			}
			// The SVG as an image (its own document, no page font) renders too.
			img, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const i = document.getElementById('img-lines'); return [i.complete ? 1 : 0, i.naturalWidth, i.getBoundingClientRect().width, i.getBoundingClientRect().height]; })()`))
			if err != nil {
				t.Fatal(err)
			}
			if img[0] != 1 || img[1] == 0 || img[2] < float64(size[0])*0.8 || img[3] < img[2]*0.45 {
				t.Errorf("SVG as <img>: complete %v, natural width %v, shown %vx%v", img[0], img[1], img[2], img[3])
			}
			scroll, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
			if err != nil || scroll > float64(size[0]) {
				t.Errorf("page scrolls sideways: %v > %d (%v)", scroll, size[0], err)
			}
			full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(shots, fmt.Sprintf("charts-page-%dx%d.png", size[0], size[1]))
			writeShot(t, name, full)
			if size[0] != 1024 && size[0] != 600 {
				return
			}
			for _, id := range append(names, "img") {
				png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("fig-"+id)))
				if err != nil {
					t.Fatal(err)
				}
				writeShot(t, filepath.Join(shots, fmt.Sprintf("chart-%s-%dx%d.png", id, size[0], size[1])), png)
			}
			// One screen as a person sees it: the top of the page.
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			writeShot(t, filepath.Join(shots, fmt.Sprintf("charts-screen-%dx%d.png", size[0], size[1])), png)
		})
	}
	// The CSV link serves the data with the BOM.
	resp, err := http.Get(srv.URL + "/stacked.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if !strings.HasPrefix(b.String(), "\uFEFF,Рӯшноии кӯчаҳо,") {
		t.Errorf("CSV starts %q", b.String()[:min(b.Len(), 60)])
	}
}

func writeShot(t *testing.T, name string, png []byte) {
	t.Helper()
	if err := os.WriteFile(name, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", name)
}
