//go:build !linux

package health

import (
	"errors"
	"time"
)

// Disk is not implemented off Linux.
func Disk(path string) (free, total uint64, err error) {
	return 0, 0, errors.New("disk space: not supported on this system")
}

// Read returns what it can off Linux: the time and the clock state.
func Read(dataDir string) Snapshot { return Snapshot{At: time.Now().UTC(), ClockSynced: ClockSynced()} }
