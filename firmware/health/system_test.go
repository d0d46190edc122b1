package health

import (
	"errors"
	"testing"
)

func TestReserveNeed(t *testing.T) {
	for _, tc := range []struct {
		total, want uint64
	}{
		{1 << 20, 52428},      // 1 MiB tmpfs: 5%
		{2 << 30, 107374182},  // 2 GiB: 5% = 102 MiB
		{32 << 30, 200 << 20}, // 32 GiB: 200 MB, not 1.6 GB
		{0, 0},
	} {
		if got := DefaultReserve.Need(tc.total); got != tc.want {
			t.Errorf("Need(%d) = %d, want %d", tc.total, got, tc.want)
		}
	}
}

// The check reads the real file system: nothing free can pass a reserve of
// everything, and the temp dir passes a reserve of nothing.
func TestReserveCheck(t *testing.T) {
	dir := t.TempDir()
	if err := (Reserve{Percent: 0}).Check(dir); err != nil {
		t.Errorf("zero reserve: %v", err)
	}
	if err := (Reserve{Percent: 100}).Check(dir); !errors.Is(err, ErrLowDisk) {
		t.Errorf("reserve of the whole disk: %v", err)
	}
	if err := DefaultReserve.Check(dir + "/missing"); err == nil || errors.Is(err, ErrLowDisk) {
		t.Errorf("missing path: %v", err)
	}
}

func TestRead(t *testing.T) {
	s := Read(t.TempDir())
	if s.DiskTotal == 0 || s.DiskFree > s.DiskTotal || s.MemTotal == 0 || s.MemAvailable > s.MemTotal || s.UptimeSeconds <= 0 {
		t.Errorf("implausible snapshot %+v", s)
	}
}
