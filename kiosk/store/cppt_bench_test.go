package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"cpckiosk/kiosk"
)

// Sizes of the dashboard benchmark: a busy centre after a few years.
const (
	benchReports = 50000
	benchIssues  = 5000
)

var benchSettlements = []string{
	"Навобод", "Қизилқалъа", "Гулистон", "Ғафуров", "Ҷаббор Расулов", "Бобоҷон Ғафуров", "Истаравшан",
	"Конибодом", "Исфара", "Чкалов", "Хистеварз", "Унҷӣ", "Зарзамин", "Ёва", "Калининобод",
	"Сомғор", "Ворух", "Чоркӯҳ", "Шӯроб", "Лаккон",
}

// benchStart is two years before benchNow: the span the records cover.
var (
	benchNow   = time.Date(2026, 5, 20, 11, 0, 0, 0, kiosk.Zone)
	benchStart = benchNow.AddDate(-2, 0, 0)
)

// fillDashboard writes the reports through CreateReport and the issues
// through CreateIssue from 64 writers, so that commits are grouped as
// kioskd's concurrent clients would group them: the real code paths
// (encoding, sealing, numbering, index, outboxes, audit), fsynced. An
// issue is written once in its final state (actions, status, history)
// rather than built up by UpdateIssue calls: the same record and index
// entry, fewer commits.
func fillDashboard(b *testing.B, s *Store) {
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
					r := newReport(k)
					r.CreatedAt = benchStart.Add(span / benchReports * time.Duration(k)).UTC()
					r.Number.Year = r.CreatedAt.In(kiosk.Zone).Year() % 100
					r.Category = kiosk.Categories[rand.IntN(len(kiosk.Categories))]
					err = s.CreateReport(ctx, r, audit(r), nil)
				} else {
					i := benchIssue(k-benchReports, span)
					err = s.CreateIssue(ctx, i, issueAudit(i, "cppt.issue.create"))
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

// benchIssue is issue k of benchIssues in its final state: the older it is
// the likelier it ended (the last 10% are mostly open).
func benchIssue(k int, span time.Duration) *kiosk.CPPTIssue {
	at := benchStart.Add(span / benchIssues * time.Duration(k))
	i := newIssue(k, kiosk.IssueCategories[rand.IntN(len(kiosk.IssueCategories))],
		benchSettlements[rand.IntN(len(benchSettlements))], at)
	i.Priority = kiosk.Priority(1 + rand.IntN(3))
	for a := range rand.IntN(4) {
		act := kiosk.Action{ID: fmt.Sprint(a), Text: "Бо раиси маҳалла вохӯрдан ва масъаларо муҳокима кардан",
			Responsible: "Фарҳод Раҳимов", Due: kiosk.DayStart(at.AddDate(0, 0, 7+7*a)), CreatedAt: at.UTC(), CreatedBy: "nodira"}
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
		i.Transition(kiosk.IssueResolved, "Масъала ҳал шуд: чароғҳо кор мекунанд", "nodira", end.UTC())
	default:
		i.Transition(kiosk.IssueClosed, "Такрор", "nodira", end.UTC())
	}
	i.UpdatedAt = i.History[len(i.History)-1].At
	return i
}

// BenchmarkDashboard fills a store with 50,000 reports and 5,000 CPPT
// issues and measures what the officer list, the dashboard and the public
// board ask of it. Besides ns/op it reports p50-ns and p99-ns over the
// operations of the run. It runs only with -bench.
func BenchmarkDashboard(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	fillDashboard(b, s)
	fill := time.Since(start)
	file, _, _ := s.Usage()
	b.Logf("filled %d reports and %d issues in %v; file %.1f MiB", benchReports, benchIssues, fill.Round(time.Millisecond), float64(file)/(1<<20))
	ctx := context.Background()
	cppt, err := kiosk.NewCPPT(s, kiosk.NewTrustedClock(fixedClock{benchNow}, time.Time{}, nil), kiosk.CPPTConfig{CPC: "ISF"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	year := benchNow.AddDate(-1, 0, 0)
	ops := []struct {
		name string
		fn   func() error
	}{
		{"IssuesNewest50/active", func() error {
			_, _, err := s.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: 50})
			return err
		}},
		{"IssuesNewest50/active/after-a-write", func() error { // the cold path: the first read after a write
			s.issues.invalidate()
			_, _, err := s.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: 50})
			return err
		}},
		{"IssuesNewest50/category+settlement", func() error {
			_, _, err := s.Issues(ctx, kiosk.IssueFilter{Category: kiosk.IssueTraffic, Settlement: "Гулистон", Limit: 50})
			return err
		}},
		{"IssuesNewest50/overdue", func() error {
			_, _, err := s.Issues(ctx, kiosk.IssueFilter{OverdueAt: benchNow, Limit: 50})
			return err
		}},
		{"IssueStats/12months", func() error {
			_, err := s.IssueStats(ctx, year, benchNow)
			return err
		}},
		{"ReportWeeks/52weeks", func() error {
			_, err := s.ReportWeeks(ctx, year, benchNow)
			return err
		}},
		{"PublicBoard", func() error {
			_, err := cppt.PublicBoard(ctx, benchNow)
			return err
		}},
		{"Dashboard", func() error { // the charts and the open list of one page
			if _, err := s.IssueStats(ctx, year, benchNow); err != nil {
				return err
			}
			if _, err := s.ReportWeeks(ctx, year, benchNow); err != nil {
				return err
			}
			_, _, err := s.Issues(ctx, kiosk.IssueFilter{Status: kiosk.ActiveStatuses, Limit: 50})
			return err
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			for b.Loop() {
				t := time.Now()
				if err := op.fn(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
		})
	}
}
