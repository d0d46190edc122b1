package update_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"cpckiosk/firmware/update"
)

// BenchmarkApply is "update apply time": a bundle with a 25 MB kioskd,
// verified, written into the inactive slot (fsynced, read back) and switched
// to; the restart and the health check are fakes that answer at once.
func BenchmarkApply(b *testing.B) {
	f := newFixture(b)
	kioskd := make([]byte, 25<<20)
	rand.Read(kioskd)
	files := func(v string) map[string][]byte {
		p := payload(v)
		p["kioskd"] = kioskd
		return p
	}
	sign := func(v string) string {
		return f.signFiles(update.SignOptions{Version: v, Arch: "arm64", Created: epoch.Add(-time.Hour)}, files(v))
	}
	if _, err := f.updater().Apply(context.Background(), sign("1.0.0")); err != nil {
		b.Fatal(err)
	}
	var total, verify, write, sw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bundle := sign(fmt.Sprintf("1.1.%d", i))
		b.StartTimer()
		t0 := time.Now()
		res, err := f.updater().Apply(context.Background(), bundle)
		total += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		verify, write, sw = verify+res.Verify, write+res.Write, sw+res.Switch
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Milliseconds())/n, "ms/op")
	b.ReportMetric(float64(verify.Milliseconds())/n, "verify-ms/op")
	b.ReportMetric(float64(write.Milliseconds())/n, "write-ms/op")
	b.ReportMetric(float64(sw.Microseconds())/n/1000, "switch-ms/op")
	b.ReportMetric(float64(len(kioskd)>>20), "MB")
}

// BenchmarkRecover is what recover adds to every kioskd start (systemd
// ExecStartPre): re-hashing the active slot with its 25 MB kioskd.
func BenchmarkRecover(b *testing.B) {
	f := newFixture(b)
	kioskd := make([]byte, 25<<20)
	rand.Read(kioskd)
	p := payload("1.0.0")
	p["kioskd"] = kioskd
	bundle := f.signFiles(update.SignOptions{Version: "1.0.0", Arch: "arm64", Created: epoch.Add(-time.Hour)}, p)
	if _, err := f.updater().Apply(context.Background(), bundle); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, actions, err := f.updater().Recover(context.Background()); err != nil || len(actions) > 0 {
			b.Fatal(err, actions)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}
