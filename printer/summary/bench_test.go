package summary

import (
	"testing"
	"time"
)

// BenchmarkRender is the time per summary: a quarter with 12 months of 9
// categories in the monthly chart, 13 weeks of 6 report categories, 200
// open issues (the first call also cuts the fonts, once per process).
func BenchmarkRender(b *testing.B) {
	s := sample(200)
	s.Months = nil
	for m := range 12 {
		s.Months = append(s.Months, time.Month(m+1).String())
	}
	for i := range s.ByCategory {
		s.ByCategory[i].Counts = nil
		for m := range 12 {
			s.ByCategory[i].Counts = append(s.ByCategory[i].Counts, (i*5+m*3)%8)
		}
	}
	s.Opened = []int{12, 15, 9, 14, 20, 18, 11, 9, 16, 22, 19, 13}
	s.Resolved = []int{8, 11, 12, 10, 15, 19, 14, 9, 12, 17, 21, 15}
	if _, err := Render(s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		pdf, err := Render(s)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "bytes")
}
