package chart

import (
	"io"
	"testing"
)

// BenchmarkSVG lays out and writes each kind of chart with 12 months and 9
// categories (the histogram: 1,000 resolved issues over the day buckets).
func BenchmarkSVG(b *testing.B) {
	days := make([]int, 1000)
	for i := range days {
		days[i] = (i * 37) % 140
	}
	for _, kind := range []Kind{Stacked, Grouped, Lines, Histogram} {
		c := byCategory(kind)
		if kind == Histogram {
			c = Resolution("Рӯзҳо то ҳалшавӣ", days, TextsFor("tg"))
		}
		b.Run(kind.String(), func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				size = len(SVG(c, Screen, SVGOptions{ID: "c"}))
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkLayout is the layout alone, for the stacked chart.
func BenchmarkLayout(b *testing.B) {
	c := byCategory(Stacked)
	b.ReportAllocs()
	for b.Loop() {
		Layout(c, Screen)
	}
}

func BenchmarkCSV(b *testing.B) {
	c := byCategory(Stacked)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCSV(io.Discard, c, CSVOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
