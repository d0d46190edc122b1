package update

import "errors"

// Refusals and failures. Every error the package returns wraps one of these
// (or an I/O error) with what was being done, so callers test with errors.Is
// and people read the message.
var (
	// ErrMalformed: the bundle, manifest, certificate or state file cannot
	// be parsed or breaks the format (FORMAT.md).
	ErrMalformed = errors.New("malformed")
	// ErrUnsigned: the bundle has no manifest signature or no release
	// certificate.
	ErrUnsigned = errors.New("unsigned")
	// ErrBadSignature: the manifest signature is not the certified release
	// key's.
	ErrBadSignature = errors.New("bad signature")
	// ErrUntrusted: the release certificate is not signed by a trusted root
	// key.
	ErrUntrusted = errors.New("not signed by a trusted root key")
	// ErrExpired: the release certificate's validity ended before now.
	ErrExpired = errors.New("expired")
	// ErrNotYetValid: the release certificate's validity starts after now
	// (or the board's clock is behind).
	ErrNotYetValid = errors.New("not yet valid")
	// ErrTampered: a file's size or SHA-256 differs from the manifest, or
	// the bundle changed between verifying and installing it.
	ErrTampered = errors.New("tampered")
	// ErrBadName: a file name is absolute, climbs out of the slot (".."),
	// repeats, or is reserved.
	ErrBadName = errors.New("bad file name")
	// ErrTooLarge: the bundle exceeds the size or file-count bounds.
	ErrTooLarge = errors.New("too large")
	// ErrDowngrade: the bundle's version is not newer than the active one.
	ErrDowngrade = errors.New("downgrade refused")
	// ErrMinVersion: the installed version is older than the bundle's
	// min_version.
	ErrMinVersion = errors.New("minimum version not met")
	// ErrArch: the bundle is built for another architecture.
	ErrArch = errors.New("wrong architecture")
	// ErrNoSpace: the file system holding the slots has too little room.
	ErrNoSpace = errors.New("not enough disk space")
	// ErrBusy: the kiosk stayed busy (a citizen's session, a print job)
	// for longer than the update may wait.
	ErrBusy = errors.New("kiosk busy")
	// ErrInProgress: another updater holds the root's lock.
	ErrInProgress = errors.New("update in progress")
	// ErrProbation: the new version did not report healthy in time and was
	// rolled back.
	ErrProbation = errors.New("probation failed")
	// ErrFailedBefore: with Updater.RefuseFailed, the bundle's version is
	// the one state.json records as the last that failed on this board.
	ErrFailedBefore = errors.New("failed on this board before")
	// ErrNoBootableSlot: no slot's files match its manifest.
	ErrNoBootableSlot = errors.New("no bootable slot")
)
