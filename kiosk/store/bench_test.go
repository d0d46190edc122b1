package store

import (
	"context"
	"testing"
)

// BenchmarkCreateReport measures durable creates from 8 goroutines on a real
// file (each op is one report, fsynced as part of its group).
func BenchmarkCreateReport(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 writers
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := newReport(i)
			i++
			if err := s.CreateReport(context.Background(), r, audit(r), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
