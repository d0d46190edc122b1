package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"cpckiosk/firmware/health"
)

// Updater installs bundles into a root of two slots and keeps the root
// bootable. The zero value of every field but Root and Trust is usable.
type Updater struct {
	Root  string              // normally DefaultRoot
	Trust []ed25519.PublicKey // root keys that certify release keys
	Arch  string              // the board's; DeviceArch() when empty
	// Limits bound the bundles accepted; DefaultLimits when zero.
	Limits Limits

	Clock   Clock         // SystemClock when nil
	Restart Restarter     // Command{DefaultRestart} when nil
	Health  HealthChecker // HTTPHealth{DefaultHealthURL} when nil
	Busy    BusyChecker   // nil: never busy (no kioskd to ask)

	BusyWait   time.Duration // longest wait for an idle kiosk; default 30 min
	BusyPoll   time.Duration // default 1 s
	Probation  time.Duration // time the new version has to report healthy; default 120 s
	HealthPoll time.Duration // default 1 s

	Log *slog.Logger // discards when nil

	// RefuseFailed refuses a bundle whose version state.json records as the
	// last failed one (rolled back, or cut off on probation and rolled back
	// by recover): an unattended updater must not try a release that broke
	// the board again and again. A person applying by hand may retry.
	RefuseFailed bool

	// OnStep is called after each step that changes the root (its
	// number from 1 and its name): tests kill the updater there.
	OnStep func(n int, step string)
	steps  int
}

// DeviceArch names this program's architecture as bundles do: GOARCH, but
// "armv7" for 32-bit ARM (the boards' GOARM=7 builds).
func DeviceArch() string {
	if runtime.GOARCH == "arm" {
		return "armv7"
	}
	return runtime.GOARCH
}

// Result says what an update did and how long it took.
type Result struct {
	Version, PreviousVersion string
	Slot, PreviousSlot       string
	Verify                   time.Duration // reading and checking the bundle
	Wait                     time.Duration // waiting for an idle kiosk
	Write                    time.Duration // writing, syncing and re-checking the slot
	Switch                   time.Duration // the state file and the symlink
	Probation                time.Duration // restart until healthy
}

func (u *Updater) clock() Clock {
	if u.Clock == nil {
		return SystemClock{}
	}
	return u.Clock
}

func (u *Updater) log() *slog.Logger {
	if u.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return u.Log
}

func dflt(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (u *Updater) step(name string) {
	u.steps++
	u.log().Debug("update step", "n", u.steps, "step", name)
	if u.OnStep != nil {
		u.OnStep(u.steps, name)
	}
}

// Check verifies a bundle and its fit for this board (arch, version against
// the active slot, min_version) without changing anything.
func (u *Updater) Check(bundle string) (*Bundle, error) {
	b, err := u.verify(bundle)
	if err != nil {
		return nil, err
	}
	if err := u.precheck(b.Manifest); err != nil {
		return b, fmt.Errorf("update: check %s: %w", bundle, err)
	}
	return b, nil
}

// precheck compares versions with what the root says, read-only: the active
// slot's, or the previous one's when an unconfirmed probation is pending
// (recover will roll it back before the update proceeds).
func (u *Updater) precheck(m Manifest) error {
	if fi, err := os.Lstat(filepath.Join(u.Root, CurrentLink)); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s is not a symlink (install the A/B layout first, see FORMAT.md): %w",
			filepath.Join(u.Root, CurrentLink), ErrMalformed)
	}
	st, _, _ := ReadState(u.Root)
	active := readCurrent(u.Root)
	if st.Phase == PhaseProbation && st.Previous != "" {
		active = st.Previous
	}
	ver := ""
	if active != "" {
		ver = slotVersion(u.Root, active)
	}
	return checkVersions(m, ver, st.Version)
}

func (u *Updater) verify(bundle string) (*Bundle, error) {
	if len(u.Trust) == 0 {
		return nil, fmt.Errorf("update: verify %s: no trusted root key: %w", bundle, ErrUntrusted)
	}
	b, err := Verify(bundle, u.Trust, u.clock().Now(), u.Limits)
	if err != nil {
		return nil, err
	}
	arch := u.Arch
	if arch == "" {
		arch = DeviceArch()
	}
	if b.Manifest.Arch != arch {
		return nil, fmt.Errorf("update: verify %s: built for %s, this board is %s: %w", bundle, b.Manifest.Arch, arch, ErrArch)
	}
	return b, nil
}

// checkVersions refuses a bundle that is not newer than the active version,
// or whose min_version the active version does not meet. With no bootable
// slot (active == ""), the version last recorded is a floor that may be
// reinstalled.
func checkVersions(m Manifest, active, recorded string) error {
	if active == "" {
		if recorded != "" {
			if c, err := CompareVersions(m.Version, recorded); err == nil && c < 0 {
				return fmt.Errorf("%s is older than the %s last installed: %w", m.Version, recorded, ErrDowngrade)
			}
		}
		return nil
	}
	c, err := CompareVersions(m.Version, active)
	if err != nil {
		return fmt.Errorf("installed version: %w", err)
	}
	if c <= 0 {
		return fmt.Errorf("%s is not newer than the installed %s: %w", m.Version, active, ErrDowngrade)
	}
	if m.MinVersion != "" {
		if c, _ := CompareVersions(active, m.MinVersion); c < 0 {
			return fmt.Errorf("%s needs at least %s installed, this board has %s: %w", m.Version, m.MinVersion, active, ErrMinVersion)
		}
	}
	return nil
}

// Apply installs a bundle: verify it completely, take the root's lock, finish
// any interrupted update, check versions, wait for an idle kiosk, write the
// inactive slot, record the probation, switch current, restart, and wait for
// the new version to report healthy; if it does not, switch back, restart
// and return ErrProbation. Nothing in the root changes when the bundle is
// refused.
func (u *Updater) Apply(ctx context.Context, bundle string) (Result, error) {
	var res Result
	t0 := time.Now()
	b, err := u.verify(bundle)
	if err != nil {
		return res, err
	}
	res.Verify = time.Since(t0)
	res.Version = b.Manifest.Version
	if err := u.precheck(b.Manifest); err != nil {
		return res, fmt.Errorf("update: apply %s: %w", bundle, err)
	}
	if _, err := os.Stat(u.Root); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(u.Root, 0o755); err != nil {
			return res, fmt.Errorf("update: apply: %w", err)
		}
	}
	unlock, err := lockRoot(u.Root)
	if err != nil {
		return res, fmt.Errorf("update: apply: %w", err)
	}
	defer unlock()
	st, _, err := u.recover()
	var active string
	switch {
	case err == nil:
		active = st.Active
	case errors.Is(err, ErrNoBootableSlot) && !exists(filepath.Join(u.Root, SlotA)) && !exists(filepath.Join(u.Root, SlotB)):
		u.log().Info("update: first install", "root", u.Root)
	case errors.Is(err, ErrNoBootableSlot):
		u.log().Warn("update: no bootable slot; installing as on a new board", "err", err)
	default:
		return res, fmt.Errorf("update: apply: %w", err)
	}
	if u.RefuseFailed && st.FailedVersion != "" && st.FailedVersion == b.Manifest.Version {
		return res, fmt.Errorf("update: apply %s: %s failed on this board at %s (%s): %w", bundle, st.FailedVersion,
			st.FailedAt.Format(time.RFC3339), st.Failure, ErrFailedBefore)
	}
	activeVersion := ""
	if active != "" {
		activeVersion = st.Version
	}
	if err := checkVersions(b.Manifest, activeVersion, st.Version); err != nil {
		return res, fmt.Errorf("update: apply %s: %w", bundle, err)
	}
	target := SlotA
	if active != "" {
		target = otherSlot(active)
	} else if cur := readCurrent(u.Root); cur != "" {
		target = otherSlot(cur)
	}
	res.Slot, res.PreviousSlot, res.PreviousVersion = target, active, activeVersion
	if err := u.checkSpace(b.Manifest, target); err != nil {
		return res, err
	}
	w0 := u.clock().Now()
	if err := u.waitIdle(ctx, w0); err != nil {
		return res, err
	}
	res.Wait = u.clock().Now().Sub(w0)

	t0 = time.Now()
	if err := removeSlot(u.Root, target); err != nil {
		return res, err
	}
	u.step("removed old slot")
	if err := u.writeSlot(b, target); err != nil {
		return res, err
	}
	res.Write = time.Since(t0)
	if err := u.waitIdle(ctx, w0); err != nil {
		u.recover() // state.json: the inactive slot now holds the new version
		return res, err
	}

	t0 = time.Now()
	probation := dflt(u.Probation, 120*time.Second)
	now := u.clock().Now()
	// deadline keeps the monotonic reading of a real clock: NTP stepping the
	// clock of a board without RTC must not end the probation early.
	deadline := now.Add(probation)
	next := State{Active: target, Previous: active, Version: b.Manifest.Version, PreviousVersion: activeVersion,
		Phase: PhaseProbation, Deadline: deadline.UTC(), PID: os.Getpid(),
		Failure: st.Failure, FailedVersion: st.FailedVersion, FailedAt: st.FailedAt, Changed: now.UTC()}
	if err := writeState(u.Root, next); err != nil {
		return res, err
	}
	u.step("wrote state")
	if err := switchCurrent(u.Root, target); err != nil {
		return res, err
	}
	u.step("switched")
	res.Switch = time.Since(t0)
	u.log().Info("update: switched, new version on probation", "version", b.Manifest.Version, "slot", target, "probation", probation)

	p0 := u.clock().Now()
	reason := u.probation(ctx, b.Manifest.Version, deadline)
	res.Probation = u.clock().Now().Sub(p0)
	if reason == "" {
		next.Phase, next.Deadline, next.PID, next.Changed = PhaseConfirmed, time.Time{}, 0, u.clock().Now().UTC()
		if err := writeState(u.Root, next); err != nil {
			return res, err
		}
		u.step("confirmed")
		u.log().Info("update: confirmed", "version", b.Manifest.Version, "slot", target)
		return res, nil
	}
	return res, u.rollback(context.WithoutCancel(ctx), next, reason)
}

// probation restarts the kiosk and polls its health until it reports want or
// the deadline passes; it returns why it failed, "" on success.
func (u *Updater) probation(ctx context.Context, want string, deadline time.Time) string {
	restart := u.Restart
	if restart == nil {
		restart = Command{Argv: DefaultRestart}
	}
	rctx, cancel := context.WithTimeout(ctx, dflt(u.Probation, 120*time.Second))
	err := restart.Restart(rctx)
	cancel()
	if err != nil {
		return fmt.Sprintf("restarting %s: %v", want, err)
	}
	u.step("restarted")
	hc := u.Health
	if hc == nil {
		hc = HTTPHealth{}
	}
	last := "no answer"
	for {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := hc.Version(hctx)
		cancel()
		switch {
		case err == nil && v == want:
			u.step("healthy")
			return ""
		case err == nil:
			last = fmt.Sprintf("it reported version %s", v)
		default:
			last = err.Error()
		}
		if ctx.Err() != nil {
			return fmt.Sprintf("%s did not report healthy before the updater was stopped (%s)", want, last)
		}
		if !u.clock().Now().Before(deadline) {
			return fmt.Sprintf("%s did not report healthy within %s: last %s", want, dflt(u.Probation, 120*time.Second), last)
		}
		if u.clock().Sleep(ctx, dflt(u.HealthPoll, time.Second)) != nil {
			return fmt.Sprintf("%s did not report healthy before the updater was stopped (%s)", want, last)
		}
	}
}

// rollback switches back to the previous slot after a failed probation.
func (u *Updater) rollback(ctx context.Context, st State, reason string) error {
	log := u.log()
	failed := st.Version
	now := u.clock().Now().UTC()
	if st.Previous == "" {
		st.Phase, st.Deadline, st.PID = PhaseFailed, time.Time{}, 0
		st.Failure, st.FailedVersion, st.FailedAt, st.Changed = reason, failed, now, now
		if err := writeState(u.Root, st); err != nil {
			return err
		}
		log.Error("update: failed, no previous version to return to", "version", failed, "reason", reason)
		return fmt.Errorf("update: %s failed and there is no previous version to return to: %s: %w", failed, reason, ErrProbation)
	}
	log.Error("update: probation failed, rolling back", "version", failed, "reason", reason)
	if err := switchCurrent(u.Root, st.Previous); err != nil {
		return fmt.Errorf("update: roll back %s (%s): %w", failed, reason, err)
	}
	u.step("switched back")
	restart := u.Restart
	if restart == nil {
		restart = Command{Argv: DefaultRestart}
	}
	rctx, cancel := context.WithTimeout(ctx, dflt(u.Probation, 120*time.Second))
	rerr := restart.Restart(rctx)
	cancel()
	if rerr != nil {
		reason += fmt.Sprintf("; restarting %s afterwards also failed: %v", st.PreviousVersion, rerr)
	}
	u.step("restarted previous")
	next := State{Active: st.Previous, Previous: st.Active, Version: st.PreviousVersion, PreviousVersion: failed,
		Phase: PhaseRolledBack, Failure: reason, FailedVersion: failed, FailedAt: now, Changed: now}
	if err := writeState(u.Root, next); err != nil {
		return err
	}
	u.step("rolled back")
	return fmt.Errorf("update: %s rolled back to %s: %s: %w", failed, st.PreviousVersion, reason, ErrProbation)
}

// waitIdle polls the busy checker until the kiosk is idle or BusyWait since
// start has passed.
func (u *Updater) waitIdle(ctx context.Context, start time.Time) error {
	if u.Busy == nil {
		return nil
	}
	wait := dflt(u.BusyWait, 30*time.Minute)
	logged := false
	for {
		busy, reason, err := u.Busy.Busy(ctx)
		if err == nil && !busy {
			return nil
		}
		if err != nil {
			reason = err.Error()
		}
		if !logged {
			u.log().Info("update: waiting for the kiosk to be idle", "reason", reason)
			logged = true
		}
		if u.clock().Now().Sub(start) >= wait {
			return fmt.Errorf("update: waited %s for the kiosk to be idle (%s): %w", wait, reason, ErrBusy)
		}
		if err := u.clock().Sleep(ctx, dflt(u.BusyPoll, time.Second)); err != nil {
			return fmt.Errorf("update: waiting for the kiosk to be idle: %w", err)
		}
	}
}

// checkSpace refuses when the slot would not fit: the files plus 1 MiB must
// fit in what is free plus what the old slot takes.
func (u *Updater) checkSpace(m Manifest, target string) error {
	free, _, err := health.Disk(u.Root)
	if err != nil {
		return nil // unknown off Linux; the write will fail cleanly
	}
	var old int64
	filepath.WalkDir(filepath.Join(u.Root, target), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				old += fi.Size()
			}
		}
		return nil
	})
	if need := uint64(m.Total() + 1<<20); free+uint64(old) < need {
		return fmt.Errorf("update: %s needs %d MiB, %d MiB free: %w", m.Version, need>>20, (free+uint64(old))>>20, ErrNoSpace)
	}
	return nil
}

// writeSlot writes the bundle's files into DIR/<slot>.tmp-*, hashing every
// byte as it is written, fsyncs every file and directory, checks the result
// with VerifySlot and renames it to DIR/<slot>.
func (u *Updater) writeSlot(b *Bundle, slot string) (err error) {
	staging, err := os.MkdirTemp(u.Root, slot+tmpMark)
	if err != nil {
		return fmt.Errorf("update: write slot %s: %w", slot, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	if err := os.Chmod(staging, 0o755); err != nil {
		return fmt.Errorf("update: write slot %s: %w", slot, err)
	}
	u.step("created staging dir")
	r, err := openBundle(b.Path)
	if err != nil {
		return fmt.Errorf("update: write slot %s: %w", slot, err)
	}
	defer r.Close()
	mj, sig, cert, err := r.meta()
	if err != nil || !bytes.Equal(mj, b.manifestJSON) || !bytes.Equal(sig, b.sig) || !bytes.Equal(cert, b.cert) {
		return fmt.Errorf("update: write slot %s: %s changed since it was verified: %w", slot, b.Path, ErrTampered)
	}
	dirs := map[string]bool{staging: true}
	err = r.eachFile(b.Manifest, func(f File, rd io.Reader) error {
		p := filepath.Join(staging, filepath.FromSlash(f.Name))
		for d := filepath.Dir(p); d != staging; d = filepath.Dir(d) {
			dirs[d] = true
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFile(p, f.Perm(), func(w io.Writer) error { return hashCopy(w, rd, f) }); err != nil {
			return err
		}
		u.step("wrote " + f.Name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("update: write slot %s: %w", slot, err)
	}
	for name, data := range map[string][]byte{ManifestFile: mj, SignatureFile: sig, CertFile: cert} {
		if err := writeFile(filepath.Join(staging, name), 0o644, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return fmt.Errorf("update: write slot %s: %w", slot, err)
		}
	}
	u.step("wrote manifest")
	// Deepest first, so each directory's entry is durable in its parent.
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	slices.SortFunc(order, func(a, b string) int {
		return strings.Count(b, string(filepath.Separator)) - strings.Count(a, string(filepath.Separator))
	})
	for _, d := range order {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("update: write slot %s: %w", slot, err)
		}
	}
	u.step("synced slot")
	if _, err := VerifySlot(staging); err != nil {
		return fmt.Errorf("update: write slot %s: read back: %w", slot, err)
	}
	u.step("verified slot")
	if err := os.Rename(staging, filepath.Join(u.Root, slot)); err != nil {
		return fmt.Errorf("update: write slot %s: %w", slot, err)
	}
	if err := syncDir(u.Root); err != nil {
		return fmt.Errorf("update: write slot %s: %w", slot, err)
	}
	u.step("renamed slot")
	return nil
}

// writeFile creates path (which must not exist) with perm, fills it and
// fsyncs it.
func writeFile(path string, perm fs.FileMode, fill func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil { // past the umask
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Recover makes the root bootable after whatever interrupted an update, and
// is meant to run at boot before kioskd (systemd ExecStartPre): it deletes
// the leftovers of interrupted writes; rolls back an update whose probation
// no updater is watching any more (the updater holds the root's lock for
// the whole probation, so a free lock means it is gone); and points current
// at a slot whose files match its manifest when the active one does not.
// While an updater holds the lock it changes nothing and returns
// ErrInProgress. Actions lists what it did.
func (u *Updater) Recover(ctx context.Context) (st State, actions []string, err error) {
	if _, err := os.Stat(u.Root); errors.Is(err, fs.ErrNotExist) {
		return st, nil, fmt.Errorf("update: recover: nothing installed in %s: %w", u.Root, ErrNoBootableSlot)
	}
	unlock, err := lockRoot(u.Root)
	if err != nil {
		st, _, _ := ReadState(u.Root)
		return st, nil, fmt.Errorf("update: recover: %w", err)
	}
	defer unlock()
	return u.recover()
}

// recover is Recover with the lock held.
func (u *Updater) recover() (State, []string, error) {
	log := u.log()
	var actions []string
	gone, err := cleanStale(u.Root)
	for _, g := range gone {
		actions = append(actions, "removed leftover "+g)
	}
	if err != nil {
		return State{}, actions, err
	}
	disk, _, err := ReadState(u.Root)
	if err != nil {
		log.Warn("update: state file unreadable; rebuilding it from the slots", "err", err)
		actions = append(actions, "state file unreadable, rebuilt")
	}
	st := disk
	now := u.clock().Now().UTC()
	cur := readCurrent(u.Root)

	verified := map[string]*Manifest{}
	verify := func(slot string) (*Manifest, error) {
		if m, ok := verified[slot]; ok {
			return m, nil
		}
		if slot == "" {
			return nil, errors.New("no slot")
		}
		m, err := VerifySlot(filepath.Join(u.Root, slot))
		if err != nil {
			return nil, err
		}
		verified[slot] = &m
		return &m, nil
	}

	want := cur
	if st.Phase == PhaseProbation {
		reason := fmt.Sprintf("the update to %s was interrupted before it was confirmed healthy", st.Version)
		if _, err := verify(st.Previous); st.Previous != "" && err == nil {
			want = st.Previous
			st = State{Active: st.Previous, Previous: st.Active, Version: st.PreviousVersion, PreviousVersion: st.Version,
				Phase: PhaseRolledBack, Failure: reason, FailedVersion: st.Version, FailedAt: now}
			actions = append(actions, fmt.Sprintf("rolled back the unconfirmed %s to %s", st.PreviousVersion, st.Version))
		} else {
			want = st.Active
			st.Phase, st.Deadline, st.PID = PhaseFailed, time.Time{}, 0
			st.Failure, st.FailedVersion, st.FailedAt = reason+" and there is no previous version to return to", st.Version, now
			actions = append(actions, fmt.Sprintf("the unconfirmed %s stays: nothing to return to", st.Version))
		}
		log.Warn("update: "+reason, "active", want)
	}
	if want == "" {
		want = st.Active
	}
	if _, err := verify(want); err != nil {
		var found string
		var best *Manifest
		for _, s := range []string{SlotA, SlotB} {
			if s == want {
				continue
			}
			if m, err := verify(s); err == nil && (best == nil || newer(m.Version, best.Version)) {
				found, best = s, m
			}
		}
		if found == "" {
			if want == "" && !exists(filepath.Join(u.Root, SlotA)) && !exists(filepath.Join(u.Root, SlotB)) {
				return st, actions, fmt.Errorf("update: recover: nothing installed in %s: %w", u.Root, ErrNoBootableSlot)
			}
			return st, actions, fmt.Errorf("update: recover: %s: neither slot verifies (%v): %w", u.Root, err, ErrNoBootableSlot)
		}
		reason := fmt.Sprintf("slot %q does not verify: %v", want, err)
		if want == "" {
			reason = "current pointed to no slot"
		}
		log.Error("update: active slot broken, switching", "reason", reason, "to", found)
		actions = append(actions, fmt.Sprintf("%s; switched to slot %s (%s)", reason, found, best.Version))
		st.Phase, st.Deadline, st.PID = PhaseRepaired, time.Time{}, 0
		st.Failure, st.FailedVersion, st.FailedAt = reason, slotVersion(u.Root, want), now
		want = found
	}
	if cur != want {
		if err := switchCurrent(u.Root, want); err != nil {
			return st, actions, err
		}
		actions = append(actions, fmt.Sprintf("current -> %s", want))
	}
	st.Active, st.Version = want, verified[want].Version
	st.Previous, st.PreviousVersion = "", ""
	if other := otherSlot(want); exists(filepath.Join(u.Root, other)) {
		st.Previous, st.PreviousVersion = other, slotVersion(u.Root, other)
	}
	if !st.sameAs(disk) {
		st.Changed = now
		if err := writeState(u.Root, st); err != nil {
			return st, actions, err
		}
		if len(actions) == 0 {
			actions = append(actions, "state file brought in line with the slots")
		}
	}
	return st, actions, nil
}

func newer(a, b string) bool {
	c, err := CompareVersions(a, b)
	return err == nil && c > 0
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Status is what `kioskctl update status` shows.
type Status struct {
	State
	Current   string // the slot current points to, "" when missing
	Installed bool
}

// ReadStatus reads the state and the current link without verifying or
// changing anything.
func ReadStatus(root string) (Status, error) {
	st, _, err := ReadState(root)
	s := Status{State: st, Current: readCurrent(root)}
	s.Installed = s.Current != "" || exists(filepath.Join(root, SlotA)) || exists(filepath.Join(root, SlotB))
	if s.Current != "" && st.Active != s.Current {
		// The link is the truth; the state is behind (recover fixes it).
		s.Version = slotVersion(root, s.Current)
	}
	return s, err
}
