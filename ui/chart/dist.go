package chart

import (
	"slices"
	"strconv"
)

// Bucket is a range of whole days, Lo to Hi inclusive; Hi < 0 means no
// upper bound.
type Bucket struct{ Lo, Hi int }

// Label is the bucket as "8-14" or ">90". It is a hyphen, not an en
// dash: the kiosk pages' font maps U+2013 to an empty glyph (see
// [ellipsis]).
func (b Bucket) Label() string {
	if b.Hi < 0 {
		return ">" + strconv.Itoa(b.Lo-1)
	}
	return strconv.Itoa(b.Lo) + "-" + strconv.Itoa(b.Hi)
}

// DayBuckets are the buckets of days to resolution: 0-7, 8-14, 15-30,
// 31-60, 61-90 and more than 90 days.
var DayBuckets = []Bucket{{0, 7}, {8, 14}, {15, 30}, {31, 60}, {61, 90}, {91, -1}}

// Count counts days into buckets (which must be in increasing order and
// start at 0). A negative number of days, from a clock set wrong when the
// issue was opened or resolved, counts as 0.
func Count(days []int, buckets []Bucket) []int {
	out := make([]int, len(buckets))
	for _, d := range days {
		d = max(d, 0)
		for i, b := range buckets {
			if d >= b.Lo && (b.Hi < 0 || d <= b.Hi) {
				out[i]++
				break
			}
		}
	}
	return out
}

// Median is the median of days (negative days count as 0); ok is false
// when there are none.
func Median(days []int) (m float64, ok bool) {
	if len(days) == 0 {
		return 0, false
	}
	s := make([]int, len(days))
	for i, d := range days {
		s[i] = max(d, 0)
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2]), true
	}
	return float64(s[n/2-1]+s[n/2]) / 2, true
}

// Resolution is the histogram of days to resolution over [DayBuckets],
// with the median under the title ("Median: 12 days"): days holds one
// entry per resolved issue, in whole days. With no days it is empty and
// shows t.NoData.
func Resolution(title string, days []int, t Texts) Chart {
	t = t.or()
	c := Chart{Kind: Histogram, Title: title, XTitle: t.Days, Texts: t}
	if len(days) == 0 {
		return c
	}
	for _, b := range DayBuckets {
		c.Labels = append(c.Labels, b.Label())
	}
	c.Series = []Series{{Values: Ints(Count(days, DayBuckets))}}
	m, _ := Median(days)
	c.Note = t.Median + ": " + Number(m, t.Decimal) + " " + t.Days
	return c
}
