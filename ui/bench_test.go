package ui

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
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
