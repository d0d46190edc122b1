package kiosk

import (
	"fmt"
	"slices"
	"time"
)

// Bounds on the periods of the charts.
const (
	MaxStatsMonths = 120
	MaxStatsWeeks  = 530
)

// IssueStats holds what the CPPT charts need over consecutive calendar
// months (in Zone). Fill it with Add; the store does so from its index.
type IssueStats struct {
	Months     []string        // "2006-01", consecutive
	Categories []IssueCategory // IssueCategories, then any unknown ones met
	// ByCategory[c][m] counts issues of Categories[c] logged in Months[m].
	ByCategory [][]int
	// Opened, Resolved and Closed count per month the issues logged, and
	// those resolved or closed (by their last end: a reopened issue counts
	// when it ended again, not when it ended first).
	Opened, Resolved, Closed []int
	// DaysToResolution lists, for every issue resolved within the months,
	// the calendar days (in Zone) from logging to resolution, ascending
	// once Finish has run. Closed issues are not counted: they were not
	// resolved.
	DaysToResolution []int

	first int // year*12+month-1 of Months[0]
}

// NewIssueStats returns empty statistics for the months (in Zone) from the
// month of from to the month of to, inclusive.
func NewIssueStats(from, to time.Time) (*IssueStats, error) {
	a, b := monthIndex(from), monthIndex(to)
	if b < a || b-a >= MaxStatsMonths {
		return nil, fmt.Errorf("issue statistics from %s to %s: want 1 to %d months", MonthLabel(from), MonthLabel(to), MaxStatsMonths)
	}
	s := &IssueStats{first: a, Categories: slices.Clone(IssueCategories)}
	n := b - a + 1
	for k := range n {
		m := a + k
		s.Months = append(s.Months, fmt.Sprintf("%04d-%02d", m/12, m%12+1))
	}
	s.ByCategory = make([][]int, len(s.Categories))
	for c := range s.ByCategory {
		s.ByCategory[c] = make([]int, n)
	}
	s.Opened, s.Resolved, s.Closed = make([]int, n), make([]int, n), make([]int, n)
	return s, nil
}

// Add counts one issue.
func (s *IssueStats) Add(i *IssueSummary) {
	if m := s.month(i.CreatedAt); m >= 0 {
		s.Opened[m]++
		c := slices.Index(s.Categories, i.Category)
		if c < 0 {
			s.Categories = append(s.Categories, i.Category)
			s.ByCategory = append(s.ByCategory, make([]int, len(s.Months)))
			c = len(s.Categories) - 1
		}
		s.ByCategory[c][m]++
	}
	if i.EndedAt.IsZero() {
		return
	}
	m := s.month(i.EndedAt)
	if m < 0 {
		return
	}
	switch i.Status {
	case IssueResolved:
		s.Resolved[m]++
		days := int(DayStart(i.EndedAt).Sub(DayStart(i.CreatedAt)).Hours()+12) / 24
		s.DaysToResolution = append(s.DaysToResolution, days)
	case IssueClosed:
		s.Closed[m]++
	}
}

// Finish sorts DaysToResolution; call it after the last Add.
func (s *IssueStats) Finish() { slices.Sort(s.DaysToResolution) }

func (s *IssueStats) month(t time.Time) int {
	m := monthIndex(t) - s.first
	if m < 0 || m >= len(s.Months) {
		return -1
	}
	return m
}

func monthIndex(t time.Time) int {
	y, m, _ := t.In(Zone).Date()
	return y*12 + int(m) - 1
}

// MonthLabel names the month (in Zone) t falls in, e.g. "2026-04".
func MonthLabel(t time.Time) string { return t.In(Zone).Format("2006-01") }

// WeekLabel names the ISO 8601 week (in Zone) t falls in, e.g. "2026-W14".
func WeekLabel(t time.Time) string {
	y, w := t.In(Zone).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// CategoryWeeks counts reports per category per ISO week (in Zone).
type CategoryWeeks struct {
	Weeks      []string   // "2026-W14", consecutive
	Categories []Category // Categories, then any unknown ones met
	// Counts[c][w] counts reports of Categories[c] made in Weeks[w].
	Counts [][]int

	index map[string]int
}

// NewCategoryWeeks returns empty counts for the ISO weeks from the week of
// from to the week of to, inclusive.
func NewCategoryWeeks(from, to time.Time) (*CategoryWeeks, error) {
	start := DayStart(from)
	start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7)) // Monday
	if to.Before(start) {
		return nil, fmt.Errorf("report weeks from %s to %s: the end is before the start", WeekLabel(from), WeekLabel(to))
	}
	w := &CategoryWeeks{Categories: slices.Clone(Categories), index: map[string]int{}}
	for d := start; !d.After(to); d = d.AddDate(0, 0, 7) {
		if len(w.Weeks) == MaxStatsWeeks {
			return nil, fmt.Errorf("report weeks from %s to %s: more than %d weeks", WeekLabel(from), WeekLabel(to), MaxStatsWeeks)
		}
		l := WeekLabel(d)
		w.index[l] = len(w.Weeks)
		w.Weeks = append(w.Weeks, l)
	}
	w.Counts = make([][]int, len(w.Categories))
	for c := range w.Counts {
		w.Counts[c] = make([]int, len(w.Weeks))
	}
	return w, nil
}

// Add counts n reports of category c in the week labelled week; a week
// outside the range is ignored.
func (w *CategoryWeeks) Add(week string, c Category, n int) {
	k, ok := w.index[week]
	if !ok {
		return
	}
	i := slices.Index(w.Categories, c)
	if i < 0 {
		w.Categories = append(w.Categories, c)
		w.Counts = append(w.Counts, make([]int, len(w.Weeks)))
		i = len(w.Categories) - 1
	}
	w.Counts[i][k] += n
}

// FirstWeek and LastWeek are the labels of the range, for a store that
// seeks in label order.
func (w *CategoryWeeks) FirstWeek() string { return w.Weeks[0] }

// LastWeek is the label of the last week of the range.
func (w *CategoryWeeks) LastWeek() string { return w.Weeks[len(w.Weeks)-1] }
