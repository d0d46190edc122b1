package health

import (
	"errors"
	"fmt"
	"time"
)

// Snapshot is the board's state at a moment, as /healthz and the central
// show it.
type Snapshot struct {
	At            time.Time `json:"at"`
	DiskFree      uint64    `json:"disk_free_bytes"`
	DiskTotal     uint64    `json:"disk_total_bytes"`
	MemAvailable  uint64    `json:"mem_available_bytes"`
	MemTotal      uint64    `json:"mem_total_bytes"`
	CPUTempC      *float64  `json:"cpu_temp_c"` // null where the board has no sensor
	UptimeSeconds int64     `json:"uptime_seconds"`
	Load1         float64   `json:"load1"`
	ClockSynced   bool      `json:"clock_synced"`
}

// Reserve is how much disk must stay free for new reports: the smaller of
// a share of the file system and a fixed amount, so a small SD card keeps
// room for the database to grow and a large one is not kept idle.
type Reserve struct {
	Percent float64 // of the file system's size, default 5
	Bytes   uint64  // default 200 MB
}

// DefaultReserve is 5% or 200 MB, whichever is smaller.
var DefaultReserve = Reserve{Percent: 5, Bytes: 200 << 20}

// ErrLowDisk: less than the reserve is free.
var ErrLowDisk = errors.New("disk space below the reserve")

// Need returns the reserve for a file system of total bytes.
func (r Reserve) Need(total uint64) uint64 {
	share := uint64(float64(total) * r.Percent / 100)
	if r.Bytes > 0 && r.Bytes < share {
		return r.Bytes
	}
	return share
}

// Check returns ErrLowDisk when the file system holding path has less than
// the reserve free.
func (r Reserve) Check(path string) error {
	free, total, err := Disk(path)
	if err != nil {
		return err
	}
	if need := r.Need(total); free < need {
		return fmt.Errorf("%s: %d MB free, the reserve is %d MB: %w", path, free>>20, need>>20, ErrLowDisk)
	}
	return nil
}
