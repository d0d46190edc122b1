// Package health reads the board's state: whether the system clock is
// synchronised, disk, memory, temperature and uptime, and the disk reserve
// below which new reports are refused.
package health

import "golang.org/x/sys/unix"

// ClockSynced reports whether the kernel says the system clock is
// synchronised (NTP has disciplined it): adjtimex without the STA_UNSYNC bit
// and not in the TIME_ERROR state. It needs no privileges and no cgo.
func ClockSynced() bool {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}
