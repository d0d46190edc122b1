package update_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/firmware/update/updatetest"
)

var t0ctx = context.Background()

// Every refusal leaves the root exactly as it was and restarts nothing.
func TestApplyRefusals(t *testing.T) {
	f := newFixture(t)
	f.install("1.0.0")
	k := f.keys
	good := payload("1.0.1")
	names := []string{"kioskctl", "kioskd", "share/fonts/font.ttf"}
	data := [][]byte{good["kioskctl"], good["kioskd"], good["share/fonts/font.ttf"]}
	files := func(data [][]byte) []rawFile {
		var out []rawFile
		for i, n := range names {
			out = append(out, rawFile{name: "files/" + n, data: data[i]})
		}
		return out
	}
	m := manifestFor("1.0.1", names, data)
	mj := mustJSON(t, m)
	sig := update.SignManifest(k.release, mj)

	otherKeys := newKeys(t)
	_, strayKey, _ := ed25519.GenerateKey(rand.Reader)
	certAt := func(from, to time.Time) []byte {
		c, err := update.IssueCert(update.Cert{Name: "r", PublicKey: k.release.Public().(ed25519.PublicKey), NotBefore: from, NotAfter: to}, k.root)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// signed makes a correctly signed bundle of a hand-edited manifest.
	signed := func(edit func(*update.Manifest), entries ...rawFile) string {
		m := manifestFor("1.0.1", names, data)
		edit(&m)
		mj := mustJSON(t, m)
		if entries == nil {
			for _, fl := range m.Files {
				entries = append(entries, rawFile{name: "files/" + fl.Name, data: good[fl.Name]})
			}
		}
		return f.raw(mj, update.SignManifest(k.release, mj), k.cert, entries...)
	}
	tampered := slices.Clone(data)
	tampered[1] = append([]byte("#!/bin/sh\nrm -rf /\n"), data[1][19:]...)
	longer := slices.Clone(data)
	longer[0] = append(slices.Clone(data[0]), 'x')
	badSig := slices.Clone(sig)
	badSig[10] ^= 1
	gz := func() string {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write([]byte("not a tar at all"))
		w.Close()
		p := filepath.Join(f.dir, "garbage.tar.gz")
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}

	for _, tc := range []struct {
		name   string
		bundle string
		want   error
		edit   func(*update.Updater)
	}{
		{"unsigned: no signature", f.raw(mj, nil, k.cert, files(data)...), update.ErrUnsigned, nil},
		{"unsigned: no certificate", f.raw(mj, sig, nil, files(data)...), update.ErrUnsigned, nil},
		{"unsigned: nothing but files", f.raw(mj, nil, nil, files(data)...), update.ErrUnsigned, nil},
		{"signature flipped", f.raw(mj, badSig, k.cert, files(data)...), update.ErrBadSignature, nil},
		{"signed by another release key", f.raw(mj, update.SignManifest(strayKey, mj), k.cert, files(data)...), update.ErrBadSignature, nil},
		{"certified by another root", f.raw(mj, update.SignManifest(otherKeys.release, mj), otherKeys.cert, files(data)...), update.ErrUntrusted, nil},
		{"certificate expired", f.raw(mj, sig, certAt(epoch.Add(-400*24*time.Hour), epoch.Add(-time.Minute)), files(data)...), update.ErrExpired, nil},
		{"certificate not yet valid", f.raw(mj, sig, certAt(epoch.Add(time.Hour), epoch.Add(400*24*time.Hour)), files(data)...), update.ErrNotYetValid, nil},
		{"certificate garbled", f.raw(mj, sig, []byte("-----BEGIN CPC UPDATE RELEASE CERTIFICATE-----\nAAAA\n-----END CPC UPDATE RELEASE CERTIFICATE-----\n"), files(data)...), update.ErrMalformed, nil},
		{"tampered file", f.raw(mj, sig, k.cert, files(tampered)...), update.ErrTampered, nil},
		{"file longer than its manifest entry", f.raw(mj, sig, k.cert, files(longer)...), update.ErrTampered, nil},
		{"file missing", f.raw(mj, sig, k.cert, files(data)[:2]...), update.ErrTampered, nil},
		{"file not in the manifest", f.raw(mj, sig, k.cert, append(files(data), rawFile{name: "files/extra", data: []byte("x")})...), update.ErrTampered, nil},
		{"files out of order", f.raw(mj, sig, k.cert, files(data)[1], files(data)[0], files(data)[2]), update.ErrTampered, nil},
		{"downgrade", f.bundle("0.9.9"), update.ErrDowngrade, nil},
		{"reinstall of the active version", f.bundle("1.0.0"), update.ErrDowngrade, nil},
		{"same version written differently", f.bundle("1.0.0.0"), update.ErrDowngrade, nil},
		{"min_version not met", f.bundle("2.0.0", func(o *update.SignOptions) { o.MinVersion = "1.5" }), update.ErrMinVersion, nil},
		{"wrong arch", f.bundle("1.0.1", func(o *update.SignOptions) { o.Arch = "armv7" }), update.ErrArch, nil},
		{"path traversal", signed(func(m *update.Manifest) { m.Files[0].Name = "../kioskctl" }, rawFile{name: "files/../kioskctl", data: data[0]}), update.ErrBadName, nil},
		{"path traversal inside", signed(func(m *update.Manifest) { m.Files[2].Name = "share/../../../etc/passwd" }), update.ErrBadName, nil},
		{"absolute name", signed(func(m *update.Manifest) { m.Files[0].Name = "/etc/passwd" }), update.ErrBadName, nil},
		{"reserved name", signed(func(m *update.Manifest) { m.Files[0].Name = "manifest.json" }), update.ErrBadName, nil},
		{"name twice", signed(func(m *update.Manifest) { m.Files[1] = m.Files[0] }), update.ErrBadName, nil},
		{"file and directory", signed(func(m *update.Manifest) { m.Files[0].Name = "share" }), update.ErrBadName, nil},
		{"symlink entry", f.raw(mj, sig, k.cert, rawFile{name: "files/kioskctl", typ: tar.TypeSymlink, link: "/etc/shadow"}), update.ErrBadName, nil},
		{"setuid mode", signed(func(m *update.Manifest) { m.Files[0].Mode = "4755" }), update.ErrMalformed, nil},
		{"oversized claim", signed(func(m *update.Manifest) { m.Files[0].Size = 1 << 40 }), update.ErrTooLarge, nil},
		{"over the board's limit", f.bundle("1.0.1"), update.ErrTooLarge, func(u *update.Updater) { u.Limits.MaxTotal = 1000 }},
		{"too many files", f.bundle("1.0.1"), update.ErrTooLarge, func(u *update.Updater) { u.Limits.MaxFiles = 2 }},
		{"version with a suffix", signed(func(m *update.Manifest) { m.Version = "1.0.1-rc1" }), update.ErrMalformed, nil},
		{"unknown format", signed(func(m *update.Manifest) { m.Format = 2 }), update.ErrMalformed, nil},
		{"no manifest", f.raw(nil, sig, k.cert, files(data)...), update.ErrMalformed, nil},
		{"not a tar", writeFile(t, f.dir, "junk.tar", []byte("hello, this is not a bundle")), update.ErrMalformed, nil},
		{"gzip of garbage", gz(), update.ErrMalformed, nil},
		{"no trusted key", f.bundle("1.0.1"), update.ErrUntrusted, func(u *update.Updater) { u.Trust = nil }},
		{"a board without the A/B layout", f.bundle("1.0.1"), update.ErrMalformed, func(u *update.Updater) {
			u.Root = filepath.Join(f.dir, "legacy")
			os.MkdirAll(filepath.Join(u.Root, "current"), 0o755)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := treeHash(t, f.root)
			restarts := len(f.kiosk.Restarts())
			u := f.updater()
			if tc.edit != nil {
				tc.edit(u)
			}
			_, err := u.Apply(t0ctx, tc.bundle)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply: %v, want %v", err, tc.want)
			}
			t.Log(err)
			if after := treeHash(t, f.root); after != before {
				t.Errorf("the root changed on refusal")
			}
			if n := len(f.kiosk.Restarts()); n != restarts {
				t.Errorf("%d restarts on refusal", n-restarts)
			}
			if _, err := u.Check(tc.bundle); !errors.Is(err, tc.want) {
				t.Errorf("Check: %v, want %v", err, tc.want)
			}
		})
	}
	// And the good bundle of the same parts goes in.
	if _, err := f.updater().Apply(t0ctx, f.raw(mj, sig, k.cert, files(data)...)); err != nil {
		t.Fatalf("the untampered bundle: %v", err)
	}
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyAlternatesSlots(t *testing.T) {
	f := newFixture(t)
	steps := map[string]int{}
	for i, tc := range []struct {
		version, slot, prev string
		gzip                bool
	}{
		{"1.0.0", "a", "", false}, // a new board: the first install
		{"1.0.1", "b", "1.0.0", true},
		{"1.2", "a", "1.0.1", false},
	} {
		u := f.updater()
		u.OnStep = func(n int, step string) { steps[step]++ }
		res, err := u.Apply(t0ctx, f.bundle(tc.version, func(o *update.SignOptions) { o.Gzip = tc.gzip }))
		if err != nil {
			t.Fatalf("%s: %v", tc.version, err)
		}
		if res.Slot != tc.slot || res.PreviousVersion != tc.prev || res.Version != tc.version {
			t.Errorf("%s: result %+v", tc.version, res)
		}
		slot, version := bootable(t, f.root)
		st, _, _ := update.ReadState(f.root)
		if slot != tc.slot || version != tc.version || st.Phase != update.PhaseConfirmed || st.PreviousVersion != tc.prev {
			t.Errorf("%s: current -> %s (%s), state %+v", tc.version, slot, version, st)
		}
		if got := f.kiosk.Restarts(); len(got) != i+1 || f.kiosk.Running() != tc.version {
			t.Errorf("%s: restarts %v, running %q", tc.version, got, f.kiosk.Running())
		}
	}
	// The previous version stays installed for a rollback.
	if m, err := update.VerifySlot(filepath.Join(f.root, "b")); err != nil || m.Version != "1.0.1" {
		t.Errorf("slot b: %v %v", m.Version, err)
	}
	fi, err := os.Stat(filepath.Join(f.root, "current", "kioskd"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("current/kioskd: %v %v", fi, err)
	}
	for _, s := range []string{"removed old slot", "wrote kioskd", "renamed slot", "wrote state", "switched", "restarted", "healthy", "confirmed"} {
		if steps[s] != 3 {
			t.Errorf("step %q ran %d times, want 3", s, steps[s])
		}
	}
}

func TestProbationFailureRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		kiosk     *updatetest.Kiosk
	}{
		{"never healthy", "did not report healthy within 2m0s", &updatetest.Kiosk{Broken: map[string]bool{"1.0.1": true}}},
		{"start fails", "start failed", &updatetest.Kiosk{FailStart: map[string]bool{"1.0.1": true}}},
		{"the old version keeps running", "it reported version 1.0.0", &updatetest.Kiosk{Stuck: "1.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.install("1.0.0")
			f.kiosk.Broken, f.kiosk.FailStart, f.kiosk.Stuck = tc.kiosk.Broken, tc.kiosk.FailStart, tc.kiosk.Stuck
			start := f.clock.Now()
			_, err := f.updater().Apply(t0ctx, f.bundle("1.0.1"))
			if !errors.Is(err, update.ErrProbation) || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), "rolled back to 1.0.0") {
				t.Fatalf("Apply: %v", err)
			}
			slot, version := bootable(t, f.root)
			if slot != "a" || version != "1.0.0" {
				t.Errorf("current -> %s (%s), want a (1.0.0)", slot, version)
			}
			if got := f.kiosk.Restarts(); !slices.Equal(got, []string{"1.0.0", "1.0.1", "1.0.0"}) {
				t.Errorf("restarts %v: want the install, the new version, the old one again", got)
			}
			if f.kiosk.Running() != "1.0.0" {
				t.Errorf("running %q", f.kiosk.Running())
			}
			st, _, _ := update.ReadState(f.root)
			if st.Phase != update.PhaseRolledBack || st.FailedVersion != "1.0.1" || !strings.Contains(st.Failure, tc.why) || st.Previous != "b" {
				t.Errorf("state %+v", st)
			}
			if waited := f.clock.Now().Sub(start); tc.kiosk.FailStart == nil && waited < 120*time.Second {
				t.Errorf("gave up after %s, the probation is 2m", waited)
			}
			// The failed version may be offered again, and a fixed one works.
			f.kiosk.Broken, f.kiosk.FailStart, f.kiosk.Stuck = nil, nil, ""
			if _, err := f.updater().Apply(t0ctx, f.bundle("1.0.1")); err != nil {
				t.Fatal(err)
			}
			st, _, _ = update.ReadState(f.root)
			if st.Phase != update.PhaseConfirmed || st.Version != "1.0.1" || st.FailedVersion != "1.0.1" {
				t.Errorf("after the retry: %+v", st)
			}
		})
	}
}

func TestFirstInstallFailureKeepsTheOnlyVersion(t *testing.T) {
	f := newFixture(t)
	f.kiosk.Broken = map[string]bool{"1.0.0": true}
	if _, err := f.updater().Apply(t0ctx, f.bundle("1.0.0")); !errors.Is(err, update.ErrProbation) {
		t.Fatalf("Apply: %v", err)
	}
	st, _, _ := update.ReadState(f.root)
	if st.Phase != update.PhaseFailed || st.Active != "a" {
		t.Errorf("state %+v", st)
	}
}

func TestApplyWaitsWhileBusy(t *testing.T) {
	f := newFixture(t)
	f.install("1.0.0")
	var calls int
	u := f.updater()
	u.Busy = update.BusyFunc(func(ctx context.Context) (bool, string, error) {
		calls++
		switch {
		case calls <= 3:
			return true, "a citizen is using the kiosk", nil
		case calls == 4:
			return false, "", errors.New("kioskd did not answer") // counts as busy
		case calls == 5:
			return false, "", nil // idle: the slot is written
		case calls == 6:
			return true, "1 print jobs waiting", nil // busy again before the switch
		}
		return false, "", nil
	})
	res, err := u.Apply(t0ctx, f.bundle("1.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 7 || res.Wait != 4*time.Second {
		t.Errorf("%d busy checks, waited %s before writing", calls, res.Wait)
	}
	if _, v := bootable(t, f.root); v != "1.0.1" {
		t.Errorf("version %s", v)
	}

	// Busy for longer than the wait: refused, nothing changed.
	before := treeHash(t, f.root)
	u = f.updater()
	u.BusyWait = 10 * time.Minute
	u.Busy = update.BusyFunc(func(ctx context.Context) (bool, string, error) { return true, "a citizen is using the kiosk", nil })
	start := f.clock.Now()
	_, err = u.Apply(t0ctx, f.bundle("1.0.2"))
	if !errors.Is(err, update.ErrBusy) || !strings.Contains(err.Error(), "citizen") {
		t.Fatalf("Apply: %v", err)
	}
	if d := f.clock.Now().Sub(start); d < 10*time.Minute || d > 10*time.Minute+2*time.Second {
		t.Errorf("gave up after %s", d)
	}
	if treeHash(t, f.root) != before {
		t.Error("the root changed while the kiosk stayed busy")
	}
}

// One updater at a time; recover stands aside while an update runs.
func TestLockExcludesOtherUpdaters(t *testing.T) {
	f := newFixture(t)
	f.install("1.0.0")
	var during []error
	u := f.updater()
	u.Busy = update.BusyFunc(func(ctx context.Context) (bool, string, error) {
		if during == nil {
			_, err := f.updater().Apply(ctx, f.bundle("1.0.2"))
			_, _, rerr := f.updater().Recover(ctx)
			during = []error{err, rerr}
		}
		return false, "", nil
	})
	if _, err := u.Apply(t0ctx, f.bundle("1.0.1")); err != nil {
		t.Fatal(err)
	}
	for _, err := range during {
		if !errors.Is(err, update.ErrInProgress) {
			t.Errorf("during an update: %v, want ErrInProgress", err)
		}
	}
}

func TestCancelDuringProbationRollsBack(t *testing.T) {
	f := newFixture(t)
	f.install("1.0.0")
	f.kiosk.Broken = map[string]bool{"1.0.1": true}
	ctx, cancel := context.WithCancel(t0ctx)
	u := f.updater()
	u.OnStep = func(n int, step string) {
		if step == "restarted" {
			cancel()
		}
	}
	_, err := u.Apply(ctx, f.bundle("1.0.1"))
	if !errors.Is(err, update.ErrProbation) || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("Apply: %v", err)
	}
	if _, v := bootable(t, f.root); v != "1.0.0" || f.kiosk.Running() != "1.0.0" {
		t.Errorf("version %s, running %s", v, f.kiosk.Running())
	}
}

// The bundle (on a USB stick, say) changes while the updater waits for an
// idle kiosk: what it writes is checked again, byte by byte.
func TestBundleChangedAfterVerify(t *testing.T) {
	for _, tc := range []struct {
		name string
		swap func(f *fixture, bundle string)
	}{
		{"another signed bundle", func(f *fixture, bundle string) {
			other, _ := os.ReadFile(f.bundle("1.0.1", func(o *update.SignOptions) { o.Created = epoch.Add(-2 * time.Hour) }))
			os.WriteFile(bundle, other, 0o644)
		}},
		{"a file's bytes", func(f *fixture, bundle string) {
			b, _ := os.ReadFile(bundle)
			i := bytes.Index(b, []byte("echo kioskd 1.0.1"))
			b[i+5] = 'X'
			os.WriteFile(bundle, b, 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.install("1.0.0")
			bundle := f.bundle("1.0.1")
			u := f.updater()
			swapped := false
			u.Busy = update.BusyFunc(func(ctx context.Context) (bool, string, error) {
				if !swapped {
					tc.swap(f, bundle)
					swapped = true
				}
				return false, "", nil
			})
			_, err := u.Apply(t0ctx, bundle)
			if !errors.Is(err, update.ErrTampered) {
				t.Fatalf("Apply: %v", err)
			}
			t.Log(err)
			if slot, v := bootable(t, f.root); slot != "a" || v != "1.0.0" {
				t.Errorf("current -> %s (%s)", slot, v)
			}
			if n := len(f.kiosk.Restarts()); n != 1 {
				t.Errorf("%d restarts", n)
			}
		})
	}
}
