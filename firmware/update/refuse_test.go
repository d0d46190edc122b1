package update_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"cpckiosk/firmware/update"
)

// TestRefuseFailed: with RefuseFailed, the version state.json records as
// failed is refused (also when the failure is a probation cut off by a power
// cut, which recover rolls back inside Apply), the root stays as it was, and
// a newer version goes through. Without it, a person may retry.
func TestRefuseFailed(t *testing.T) {
	f := newFixture(t)
	f.install("1.0.0")
	f.kiosk.Broken = map[string]bool{"1.0.1": true}
	if _, err := f.updater().Apply(t0ctx, f.bundle("1.0.1")); !errors.Is(err, update.ErrProbation) {
		t.Fatalf("Apply 1.0.1: %v", err)
	}
	f.kiosk.Broken = nil
	u := f.updater()
	u.RefuseFailed = true
	before := treeHash(t, f.root)
	if _, err := u.Apply(t0ctx, f.bundle("1.0.1")); !errors.Is(err, update.ErrFailedBefore) || !strings.Contains(err.Error(), "1.0.1 failed on this board") {
		t.Fatalf("Apply of the rolled back 1.0.1 with RefuseFailed: %v", err)
	}
	if after := treeHash(t, f.root); after != before {
		t.Errorf("a refused bundle changed the root:\n%s\n%s", before, after)
	}
	if _, err := u.Apply(t0ctx, f.bundle("1.0.2")); err != nil {
		t.Fatalf("Apply 1.0.2: %v", err)
	}

	// A probation cut off (the state says probation, nobody holds the lock):
	// Apply's recover rolls it back first, and then refuses that version.
	st, _, _ := update.ReadState(f.root)
	st.Phase, st.Version, st.PreviousVersion = update.PhaseProbation, "1.0.3", st.Version
	st.Active, st.Previous = st.Previous, st.Active
	b, _ := json.Marshal(st)
	if err := os.WriteFile(f.root+"/state.json", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Apply(t0ctx, f.bundle("1.0.3")); !errors.Is(err, update.ErrFailedBefore) {
		t.Fatalf("Apply of the version cut off on probation: %v", err)
	}
	st, _, _ = update.ReadState(f.root)
	if st.Phase != update.PhaseRolledBack || st.FailedVersion != "1.0.3" {
		t.Errorf("state after the refusal: %+v", st)
	}
	// By hand (no RefuseFailed) it may be tried again.
	if _, err := f.updater().Apply(t0ctx, f.bundle("1.0.3")); err != nil {
		t.Fatalf("Apply 1.0.3 by hand: %v", err)
	}
}

// TestReadManifest: the manifest of a bundle nobody can verify here, with
// the files checked against it; a tampered file is still found.
func TestReadManifest(t *testing.T) {
	f := newFixture(t)
	m, err := update.ReadManifest(f.bundle("2.1"), update.Limits{})
	if err != nil || m.Version != "2.1" || m.Arch != "arm64" || len(m.Files) != 3 {
		t.Fatalf("ReadManifest: %+v %v", m, err)
	}
	path := f.bundle("2.2")
	b, _ := os.ReadFile(path)
	i := strings.Index(string(b), "echo kioskd 2.2")
	b[i] ^= 1
	os.WriteFile(path, b, 0o644)
	if _, err := update.ReadManifest(path, update.Limits{}); !errors.Is(err, update.ErrTampered) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := update.ReadManifest(f.raw(nil, nil, nil), update.Limits{}); !errors.Is(err, update.ErrMalformed) {
		t.Errorf("no manifest: %v", err)
	}
}
