//go:build !linux

// Package health reads the board's state: whether the system clock is
// synchronised, disk, memory, temperature and uptime, and the disk reserve
// below which new reports are refused.
package health

// ClockSynced is false where the kernel cannot tell: records are then
// marked unsynchronised until the central confirms the time.
func ClockSynced() bool { return false }
