//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package update

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockRoot takes an exclusive flock on the root directory itself, so the
// lock creates no file and dies with the process that holds it: a killed
// updater leaves no stale lock, and recover knows the updater is gone.
func lockRoot(root string) (unlock func(), err error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", root, err)
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", root, ErrInProgress)
		}
		return nil, fmt.Errorf("lock %s: %w", root, err)
	}
	return func() {
		unix.Flock(int(d.Fd()), unix.LOCK_UN)
		d.Close()
	}, nil
}
