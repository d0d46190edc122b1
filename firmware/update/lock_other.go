//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package update

// lockRoot is a no-op where flock is missing: only one updater may run.
func lockRoot(root string) (unlock func(), err error) { return func() {}, nil }
