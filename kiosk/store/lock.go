package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// LockFile is the lock a process holds while it owns the data directory.
const LockFile = "kiosk.lock"

// dirLock is an exclusive flock on the data directory's lock file. It is taken
// before the database is read at all, so a second process is told the
// directory is busy rather than reading a file that is being written.
type dirLock struct{ f *os.File }

func lockDir(path string, timeout time.Duration) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &dirLock{f: f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ErrLocked)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *dirLock) unlock() error {
	return l.f.Close() // closing the descriptor releases the flock
}
