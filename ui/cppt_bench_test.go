package ui

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
)

// The dashboard benchmark's store: a busy centre after two years, as
// kiosk/store's BenchmarkDashboard builds it (the same sizes, spread and
// final states, through the store's real write paths), here through the
// store's exported API.
const (
	benchReports = 50000
	benchIssues  = 5000
)

var (
	benchNow         = time.Date(2026, 5, 20, 11, 0, 0, 0, kiosk.Zone)
	benchStart       = benchNow.AddDate(-2, 0, 0)
	benchSettlements = []string{"Навобод", "Қизилқалъа", "Гулистон", "Ғафуров", "Ҷаббор Расулов", "Бобоҷон Ғафуров",
		"Истаравшан", "Конибодом", "Исфара", "Чкалов", "Хистеварз", "Унҷӣ", "Зарзамин", "Ёва", "Калининобод",
		"Сомғор", "Ворух", "Чоркӯҳ", "Шӯроб", "Лаккон"}
)

// benchIssue is issue k of benchIssues in its final state: the older it
// is, the likelier it ended.
func benchIssue(k int) *kiosk.CPPTIssue {
	span := benchNow.Sub(benchStart)
	at := benchStart.Add(span / benchIssues * time.Duration(k))
	id, _ := kiosk.NewUUID()
	i := &kiosk.CPPTIssue{ID: id, Number: kiosk.IssueNumber{CPC: "ISF", Year: at.Year() % 100},
		Category: kiosk.IssueCategories[rand.IntN(len(kiosk.IssueCategories))], Settlement: benchSettlements[rand.IntN(len(benchSettlements))],
		Landmark: "назди бозор", Description: fmt.Sprintf("Тавсифи масъала %d", k), RaisedBy: kiosk.Raiser{Name: "Номи Махфӣ", Phone: "+992937770011"},
		Priority: kiosk.Priority(1 + rand.IntN(3)), Status: kiosk.IssueOpen, CreatedAt: at.UTC(), UpdatedAt: at.UTC(), CreatedBy: "nodira",
		History: []kiosk.IssueEvent{{Status: kiosk.IssueOpen, At: at.UTC(), By: "nodira"}}}
	for a := range rand.IntN(4) {
		act := kiosk.Action{ID: strconv.Itoa(a), Text: "Бо раиси маҳалла вохӯрдан", Responsible: "Фарҳод Раҳимов",
			Due: kiosk.DayStart(at.AddDate(0, 0, 7+7*a)), CreatedAt: at.UTC(), CreatedBy: "nodira"}
		if rand.IntN(3) > 0 {
			act.DoneAt = at.AddDate(0, 0, 5+7*a).UTC()
		}
		i.Actions = append(i.Actions, act)
	}
	end := at.Add(time.Duration(1+rand.IntN(90*24)) * time.Hour)
	switch p := rand.IntN(10); {
	case end.After(benchNow) || p == 0:
	case p == 1:
		i.Transition(kiosk.IssueInProgress, "", "nodira", at.Add(time.Hour).UTC())
	case p <= 7:
		i.Transition(kiosk.IssueResolved, "Масъала ҳал шуд", "nodira", end.UTC())
	default:
		i.Transition(kiosk.IssueClosed, "Такрор", "nodira", end.UTC())
	}
	i.UpdatedAt = i.History[len(i.History)-1].At
	return i
}

// fillBenchStore writes the reports and issues from 64 writers, so that
// commits are grouped as kioskd's concurrent clients would group them.
func fillBenchStore(b *testing.B, s *store.Store) {
	b.Helper()
	ctx := context.Background()
	span := benchNow.Sub(benchStart)
	work := make(chan int, 1024)
	var wg sync.WaitGroup
	var once sync.Once
	var failed error
	for range 64 {
		wg.Go(func() {
			for k := range work {
				var err error
				if k < benchReports {
					id, _ := kiosk.NewUUID()
					at := benchStart.Add(span / benchReports * time.Duration(k)).UTC()
					r := &kiosk.Report{ID: id, Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: at.In(kiosk.Zone).Year() % 100},
						Category: kiosk.Categories[rand.IntN(len(kiosk.Categories))], Lang: "tg", Status: kiosk.StatusReceived,
						Reporter: kiosk.Reporter{FullName: "Ҷамшед Қодиров", Phone: "+992931234567"},
						Incident: kiosk.Incident{Place: "бозор", Description: "Ҳамёнамро дуздиданд"},
						History:  []kiosk.Event{{Status: kiosk.StatusReceived, At: at}}, CreatedAt: at, AccessHash: "argon2id$1$1024$1$c2FsdA$aGFzaA"}
					err = s.CreateReport(ctx, r, kiosk.AuditEntry{At: at, Actor: "citizen", Action: "report.create", Record: r.ID}, nil)
				} else {
					i := benchIssue(k - benchReports)
					err = s.CreateIssue(ctx, i, kiosk.AuditEntry{At: i.UpdatedAt, Actor: "nodira", Action: "cppt.issue.create", Record: "cppt:" + i.ID})
				}
				if err != nil {
					once.Do(func() { failed = err })
				}
			}
		})
	}
	for k := range benchReports + benchIssues {
		work <- k
	}
	close(work)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
}

type fixedBenchClock struct{ t time.Time }

func (c fixedBenchClock) Now() time.Time { return c.t }

// rssMiB reads the process's resident set and its peak from /proc (0 where
// there is no /proc).
func rssMiB() (rss, peak float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rss = float64(n) / 1024
		case "VmHWM":
			peak = float64(n) / 1024
		}
	}
	return rss, peak
}

// BenchmarkCPPTPages renders the team's dashboard (/cppt, the first page of
// active issues, the counts, the next meeting), the charts page (four SVG
// charts from 5,000 issues and the weekly report counters) and the home
// screen with the public board, from a real store holding 50,000 reports
// and 5,000 CPPT issues, through the router as a logged-in team member.
// Besides ns/op it reports p50-ms and p99-ms over the requests of the run
// and the process's RSS after it (rss-MiB; peak-MiB includes the fill).
// The after-write cases time the page right after a change of an issue
// (the write itself untimed), when the store reloads its summary index.
func BenchmarkCPPTPages(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	fillBenchStore(b, s)
	b.Logf("filled %d reports and %d issues in %v", benchReports, benchIssues, time.Since(start).Round(time.Millisecond))
	clock := kiosk.NewTrustedClock(fixedBenchClock{benchNow}, time.Time{}, nil)
	svc, err := kiosk.NewService(s, clock, kiosk.Config{CPC: "ISF", Kiosk: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	cp, err := kiosk.NewCPPT(s, clock, kiosk.CPPTConfig{CPC: "ISF", Settlements: benchSettlements}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cp.AddMeeting(context.Background(), kiosk.Actor{Username: "nodira", Role: kiosk.RoleCPPT},
		kiosk.NewMeeting{Date: benchNow.AddDate(0, 0, 5), Place: "Хонаи маҳалла"}); err != nil {
		b.Fatal(err)
	}
	f := newStaffFixture(b, Deps{Service: svc, CPPT: cp})
	c := f.loginRole(kiosk.RoleCPPT)
	// One active issue to write to: "after-write" renders the page right
	// after a change, when the store reloads its index of summaries.
	active, _, err := cp.Issues(context.Background(), kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: 1})
	if err != nil || len(active) == 0 {
		b.Fatal("no active issue", err)
	}
	prio := kiosk.PriorityHigh
	write := func() {
		prio = prio%3 + 1
		if _, err := cp.UpdateIssue(context.Background(), kiosk.Actor{Username: "nodira", Role: kiosk.RoleCPPT}, active[0].ID,
			kiosk.IssueEdit{Priority: &prio}); err != nil {
			b.Fatal(err)
		}
	}
	for _, page := range []string{"/cppt", "/cppt?category=traffic&settlement=" + benchSettlements[2], "/cppt/charts", "/",
		"/cppt#after-write", "/cppt/charts#after-write"} {
		b.Run(strings.NewReplacer("/", "_", "?", "_", "&", "_", "#", "_").Replace(page), func(b *testing.B) {
			afterWrite := strings.HasSuffix(page, "#after-write")
			page := strings.TrimSuffix(page, "#after-write")
			get := func() *httptest.ResponseRecorder {
				if page == "/" {
					return f.serve(httptest.NewRequest(http.MethodGet, page, nil))
				}
				return c.Get(page)
			}
			w := get()
			if w.Code != http.StatusOK {
				b.Fatalf("%s: %d %.300s", page, w.Code, w.Body)
			}
			size := w.Body.Len()
			if d := os.Getenv("CPPT_BENCH_DUMP"); d != "" {
				os.WriteFile(d+"/"+strings.NewReplacer("/", "_", "?", "_", "&", "_").Replace(page)+".html", w.Body.Bytes(), 0o644)
			}
			lat := make([]time.Duration, 0, 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if afterWrite {
					b.StopTimer()
					write()
					b.StartTimer()
				}
				t := time.Now()
				w := get()
				lat = append(lat, time.Since(t))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", page, w.Code)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
			b.ReportMetric(float64(size)/1024, "html-KiB")
			rss, peak := rssMiB()
			b.ReportMetric(rss, "rss-MiB")
			b.ReportMetric(peak, "peak-MiB")
		})
	}
}
