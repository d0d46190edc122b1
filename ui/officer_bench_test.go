package ui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
)

// The officer's list with a busy centre's reports: 50,000 over two years.
const (
	benchOfficerReports = 50000
	// benchOfficerVersion names the cached database's content: bump it when
	// the generator below or the store's layout changes.
	benchOfficerVersion = 1
)

// benchOfficerNow is the fixture's time: the reports end here.
var benchOfficerNow = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// benchReport is report k of the benchmark's store in its final state: the
// older it is, the likelier an officer reviewed it and the central moved
// it on.
func benchReport(k int, rng *rand.Rand) *kiosk.Report {
	span := 2 * 365 * 24 * time.Hour
	at := benchOfficerNow.Add(-span).Add(span * time.Duration(k) / benchOfficerReports).UTC()
	id, _ := kiosk.NewUUID()
	r := &kiosk.Report{
		ID: id, Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: at.In(kiosk.Zone).Year() % 100},
		Category: kiosk.Categories[rng.IntN(len(kiosk.Categories))], Lang: kiosk.Languages[rng.IntN(3)],
		Reporter: kiosk.Reporter{FullName: fmt.Sprintf("Шаҳрванд %d", k), Phone: "+992931234567"},
		Incident: kiosk.Incident{Place: "Истаравшан", Description: "Дар бозор ҳамёнамро дуздиданд"},
		Status:   kiosk.StatusReceived, History: []kiosk.Event{{Status: kiosk.StatusReceived, At: at}},
		CreatedAt: at, ClockSynced: true, AccessHash: "argon2id$1$256$1$c2FsdA$aGFzaA",
	}
	if rng.IntN(8) == 0 {
		r.Anonymous, r.Reporter = true, kiosk.Reporter{}
	}
	age := float64(k) / benchOfficerReports // 0 oldest, 1 newest
	if rng.Float64() > age*age {
		r.ReviewedAt, r.ReviewedBy = at.Add(26*time.Hour), "officer1"
		for s, st := range []kiosk.Status{kiosk.StatusRelayed, kiosk.StatusRegistered, kiosk.StatusUnderReview} {
			if rng.IntN(4) > s {
				r.Transition(st, "", "", at.Add(time.Duration(s+1)*time.Hour))
			}
		}
		if rng.IntN(5) == 0 {
			r.Notes = []kiosk.Note{{Text: "Бо шоҳид гап задам", By: "officer1", At: r.ReviewedAt}}
		}
	}
	return r
}

// benchOfficerStore returns a data directory holding the benchmark's
// reports. They are written once through CreateReport from 64 writers (the
// store's real path: sealing, numbering, the index, the outbox, the audit,
// fsynced in groups) and the result is kept under os.TempDir by a
// content-version key; each run works on a copy.
func benchOfficerStore(b *testing.B) string {
	b.Helper()
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("cpckiosk-bench-officer-%d-v%d-s%d", benchOfficerReports, benchOfficerVersion, store.SchemaVersion))
	if _, err := os.Stat(filepath.Join(cache, store.DBFile)); err != nil {
		start := time.Now()
		tmp, err := os.MkdirTemp(os.TempDir(), "cpckiosk-bench-officer-fill-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		st, err := store.Open(tmp, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		work := make(chan int, 1024)
		var wg sync.WaitGroup
		var once sync.Once
		var failed error
		for w := range 64 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				for k := range work {
					r := benchReport(k, rng)
					a := kiosk.AuditEntry{At: r.CreatedAt, Actor: "citizen", Action: "report.create", Record: r.ID}
					if err := st.CreateReport(ctx, r, a, nil); err != nil {
						once.Do(func() { failed = err })
					}
				}
			})
		}
		for k := range benchOfficerReports {
			work <- k
		}
		close(work)
		wg.Wait()
		if err := st.Close(); err != nil && failed == nil {
			failed = err
		}
		if failed != nil {
			b.Fatal(failed)
		}
		os.RemoveAll(cache)
		if err := os.Rename(tmp, cache); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d reports in %v, kept in %s", benchOfficerReports, time.Since(start).Round(time.Millisecond), cache)
	}
	dir := b.TempDir()
	for _, f := range []string{store.DBFile, store.KeyFile} {
		if err := copyFile(filepath.Join(cache, f), filepath.Join(dir, f)); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// procStatus reads VmRSS, VmHWM and the anonymous and file-backed parts
// of the RSS of this process in MiB (0 where /proc is missing). The file
// part is mostly the store's memory-mapped file: clean pages the kernel can
// take back.
func procStatus() (rss, hwm, anon, file float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			hwm = kb / 1024
		case "RssAnon":
			anon = kb / 1024
		case "RssFile":
			file = kb / 1024
		}
	}
	return rss, hwm, anon, file
}

// heapMiB is the live Go heap after a collection.
func heapMiB() float64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}

// BenchmarkOfficerList renders the officer's list page (the real router and
// handler through httptest, a logged-in officer) over a store of 50,000
// reports: newest first, filtered, a deep page, the JSON API, and the first
// view after a new report was committed. Besides ns/op it reports p50-ms and
// p99-ms over the run's requests, and the process's RSS (with its
// anonymous and file-backed parts), peak RSS (VmHWM) and live heap in MiB.
func BenchmarkOfficerList(b *testing.B) {
	dir := benchOfficerStore(b)
	open := time.Now()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clock := kiosk.NewTrustedClock(kiosktestClock(benchOfficerNow), time.Time{}, nil)
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	f := newStaffFixture(b, Deps{Service: svc, Officer: kiosk.NewOfficer(st, clock, svc, nil)})
	o := f.loginRole(kiosk.RoleOfficer)
	if w := o.Get("/staff/reports"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), strconv.Itoa(benchOfficerReports)) {
		b.Fatalf("first list: %d", w.Code)
	}
	b.Logf("store opened and the index loaded by the first page in %v", time.Since(open).Round(time.Millisecond))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(99, 1))
	n := 0
	newReport := func() {
		n++
		r := benchReport(benchOfficerReports-1, rng)
		r.CreatedAt = benchOfficerNow.Add(time.Duration(n) * time.Second)
		if err := st.CreateReport(ctx, r, kiosk.AuditEntry{At: r.CreatedAt, Actor: "citizen", Action: "report.create", Record: r.ID}, nil); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct {
		name, path string
		before     func() // not timed
	}{
		{"page/newest", "/staff/reports", nil},
		{"page/category+unreviewed", "/staff/reports?category=theft&unreviewed=1", nil},
		{"page/status+30days", "/staff/reports?status=received&from=03.05.2026&to=01.06.2026", nil},
		{"page/deep-page-100", "/staff/reports?page=100", nil},
		{"page/after-a-new-report", "/staff/reports?unreviewed=1", newReport},
		{"api/category+unreviewed", "/api/v1/staff/reports?category=fraud&unreviewed=1&limit=50", nil},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				if tc.before != nil {
					b.StopTimer()
					tc.before()
					b.StartTimer()
				}
				req := httptest.NewRequest(http.MethodGet, tc.path, nil)
				req.AddCookie(o.cookie)
				req.RemoteAddr = "127.0.0.1:40000"
				w := httptest.NewRecorder()
				t := time.Now()
				f.H.ServeHTTP(w, req)
				lat = append(lat, time.Since(t))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", tc.path, w.Code, w.Body)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
			rss, hwm, anon, file := procStatus()
			b.ReportMetric(rss, "rss-MiB")
			b.ReportMetric(hwm, "hwm-MiB")
			b.ReportMetric(anon, "rss-anon-MiB")
			b.ReportMetric(file, "rss-file-MiB")
			b.ReportMetric(heapMiB(), "heap-MiB")
		})
	}
}

// kiosktestClock is a wall clock stopped at t.
type kiosktestClock time.Time

func (c kiosktestClock) Now() time.Time { return time.Time(c) }
