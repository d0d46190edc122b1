package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// BenchmarkScreens measures the server's render time per screen and the
// bytes a screen costs on the wire (HTML + CSS + JS + icons + font, gzip as
// Chromium asks for it, with nothing cached).
func BenchmarkScreens(b *testing.B) {
	srv, _ := newPageServer(b, pageDefaults)
	h := srv.Config.Handler
	c := newClient(b, srv.URL)
	c.get("/")
	cookie := ""
	for _, ck := range c.c.Jar.Cookies(mustURL(srv.URL)) {
		cookie = ck.Name + "=" + ck.Value
	}
	srcRe := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	for _, screen := range []string{"/", "/report/category", "/status"} {
		b.Run(screen, func(b *testing.B) {
			get := func(path string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Cookie", cookie)
				req.Header.Set("Accept-Encoding", "gzip, deflate, br")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.Code)
				}
				return w
			}
			page := get(screen)
			total := page.Body.Len()
			seen := map[string]bool{"/static/font.ttf": true}
			total += get("/static/font.ttf").Body.Len() // loaded by the CSS
			for _, m := range srcRe.FindAllStringSubmatch(page.Body.String(), -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					total += get(m[1]).Body.Len()
				}
			}
			b.ResetTimer()
			for b.Loop() {
				get(screen)
			}
			b.ReportMetric(float64(total)/1024, "KiB/screen")
			b.ReportMetric(float64(page.Body.Len()), "html-bytes")
		})
	}
}

// BenchmarkFirstPaint measures the time from navigation to the first
// contentful paint of the home screen in headless Chromium here, with the
// browser cache disabled (as after a wipe: Clear-Site-Data empties it).
func BenchmarkFirstPaint(b *testing.B) {
	srv, _ := newPageServer(b, pageDefaults)
	ctx, done := newBrowser(b)
	defer done()
	noCache := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, noCache); err != nil {
		b.Fatal(err)
	}
	var fcps []float64
	for i := 0; i < b.N; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?n="+strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
		fcp, err := chromedp.Run(ctx, chromedp.Poll[float64](`(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime`))
		if err != nil {
			b.Fatal(err)
		}
		fcps = append(fcps, fcp)
	}
	slices.Sort(fcps)
	b.ReportMetric(fcps[len(fcps)/2], "first-paint-median-ms")
}
