package update_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cpckiosk/firmware/update"
	"cpckiosk/firmware/update/updatetest"
	"cpckiosk/printer/extract"
)

// TestHelperProcess is the updater the power-cut test kills: with
// CPC_UPDATE_CRASH_AT=N it exits with 137 (as if SIGKILLed) right after
// step N, printing the step's name. It is not a test on its own.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("CPC_UPDATE_HELPER") != "1" {
		t.Skip("run by TestPowerCutAtEveryStep")
	}
	root := os.Getenv("CPC_UPDATE_ROOT")
	trust, err := update.LoadTrust(os.Getenv("CPC_UPDATE_TRUST"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	crashAt, _ := strconv.Atoi(os.Getenv("CPC_UPDATE_CRASH_AT"))
	crashStep := os.Getenv("CPC_UPDATE_CRASH_STEP")
	kiosk := &updatetest.Kiosk{Root: root}
	if v := os.Getenv("CPC_UPDATE_BROKEN"); v != "" {
		kiosk.Broken = map[string]bool{v: true}
	}
	u := &update.Updater{Root: root, Trust: trust, Arch: "arm64", Clock: updatetest.NewClock(epoch),
		Restart: kiosk, Health: kiosk,
		OnStep: func(n int, step string) {
			if n == crashAt || step == crashStep {
				fmt.Println(step)
				os.Exit(137)
			}
		}}
	_, err = u.Apply(context.Background(), os.Getenv("CPC_UPDATE_BUNDLE"))
	if err != nil && !errors.Is(err, update.ErrProbation) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
}

// runHelper runs the updater in a child process; it returns the exit code
// and the step it was killed at.
func runHelper(t *testing.T, f *fixture, bundle string, env ...string) (int, string) {
	t.Helper()
	trust := filepath.Join(f.dir, "root.pub")
	if _, err := os.Stat(trust); err != nil {
		os.WriteFile(trust, extract.EncodePublicKey(f.keys.rootPub), 0o644)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "CPC_UPDATE_HELPER=1", "CPC_UPDATE_ROOT="+f.root, "CPC_UPDATE_TRUST="+trust,
		"CPC_UPDATE_BUNDLE="+bundle)
	cmd.Env = append(cmd.Env, env...)
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code == 3 {
		t.Fatalf("updater failed: %s", errb.String())
	}
	return code, strings.TrimSpace(out.String())
}

// A power cut at any step of an update, then recover (as at boot): current
// points to a slot whose files all match its manifest, of the old version or
// the new one and never a mix, nothing is left over, and the next update
// works. The update replaces an installed slot, so removing the old one is
// among the steps; the failing scenario kills the rollback too.
func TestPowerCutAtEveryStep(t *testing.T) {
	for _, sc := range []struct {
		name   string
		broken bool // the new version never reports healthy
	}{{"healthy update", false}, {"failing update rolled back", true}} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			var steps []string
			for n := 1; ; n++ {
				if n > 40 {
					t.Fatal("the updater never finished")
				}
				f := newFixture(t)
				f.install("1.0.0")
				f.install("1.0.1") // slot b; the update replaces slot a
				env := []string{"CPC_UPDATE_CRASH_AT=" + strconv.Itoa(n)}
				if sc.broken {
					env = append(env, "CPC_UPDATE_BROKEN=1.0.2")
				}
				code, step := runHelper(t, f, f.bundle("1.0.2"), env...)
				if code == 0 {
					if len(steps) < 10 {
						t.Fatalf("only %d steps: %v", len(steps), steps)
					}
					t.Logf("killed after each of %d steps: %s", len(steps), strings.Join(steps, ", "))
					break
				}
				if code != 137 {
					t.Fatalf("step %d: exit %d", n, code)
				}
				steps = append(steps, step)

				st, actions, err := f.updater().Recover(context.Background())
				if err != nil {
					t.Fatalf("recover after %q: %v", step, err)
				}
				slot, version := bootable(t, f.root)
				want := "1.0.1"
				if step == "confirmed" {
					want = "1.0.2"
				}
				if version != want {
					t.Errorf("killed after %q: recovered to %s (slot %s), want %s; actions %v", step, version, slot, want, actions)
				}
				if st.Phase == update.PhaseProbation {
					t.Errorf("killed after %q: still on probation", step)
				}
				// The board goes on: the next update (or a retry) works.
				f.kiosk.Restart(context.Background())
				next := "1.0.2"
				if version == "1.0.2" {
					next = "1.0.3"
				}
				if _, err := f.updater().Apply(context.Background(), f.bundle(next)); err != nil {
					t.Fatalf("killed after %q: the next update: %v", step, err)
				}
				if _, v := bootable(t, f.root); v != next {
					t.Errorf("killed after %q: next update gave %s", step, v)
				}
			}
		})
	}
}

// A torn write (the card lost what was written before the cut) makes the
// new slot fail verification: recover points current at the verified slot.
func TestRecoverTornWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    string // where the updater dies; "" lets it finish
		phase  update.Phase
		reason string
	}{
		{"before the switch", "CPC_UPDATE_CRASH_STEP=wrote state", update.PhaseRolledBack, "interrupted"},
		{"after the switch, on probation", "CPC_UPDATE_CRASH_STEP=switched", update.PhaseRolledBack, "interrupted"},
		{"after the confirmation", "", update.PhaseRepaired, "does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.install("1.0.0")
			var env []string
			if tc.env != "" {
				env = append(env, tc.env)
			}
			if code, step := runHelper(t, f, f.bundle("1.0.1"), env...); (code == 137) != (tc.env != "") {
				t.Fatalf("exit %d at %q", code, step)
			}
			kioskd := filepath.Join(f.root, "b", "kioskd")
			fi, _ := os.Stat(kioskd)
			if err := os.Truncate(kioskd, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
			st, actions, err := f.updater().Recover(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if slot, v := bootable(t, f.root); slot != "a" || v != "1.0.0" {
				t.Errorf("current -> %s (%s), want a (1.0.0)", slot, v)
			}
			if st.Phase != tc.phase || !strings.Contains(st.Failure, tc.reason) {
				t.Errorf("state %+v; actions %v", st, actions)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		f.install("1.0.0")
		f.install("1.0.1")
		return f
	}
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, root string)
		slot    string
		err     error
		actions int
	}{
		{"healthy root: nothing to do", func(*testing.T, string) {}, "b", nil, 0},
		{"current missing", func(t *testing.T, root string) { os.Remove(filepath.Join(root, "current")) }, "b", nil, 1},
		{"current dangling", func(t *testing.T, root string) {
			os.Remove(filepath.Join(root, "current"))
			os.Symlink("c", filepath.Join(root, "current"))
		}, "b", nil, 1},
		{"current slot deleted", func(t *testing.T, root string) { os.RemoveAll(filepath.Join(root, "b")) }, "a", nil, 2},
		{"a file made not executable", func(t *testing.T, root string) { os.Chmod(filepath.Join(root, "b", "kioskd"), 0o644) }, "a", nil, 2},
		{"manifest garbled", func(t *testing.T, root string) {
			os.WriteFile(filepath.Join(root, "b", "manifest.json"), []byte("{"), 0o644)
		}, "a", nil, 2},
		{"leftovers", func(t *testing.T, root string) {
			os.MkdirAll(filepath.Join(root, "a.tmp-123", "share"), 0o755)
			os.WriteFile(filepath.Join(root, "a.tmp-123", "kioskd"), []byte("half"), 0o755)
			os.Symlink("a", filepath.Join(root, ".current.tmp-9"))
			os.WriteFile(filepath.Join(root, ".state.json.tmp-7"), []byte("{"), 0o644)
		}, "b", nil, 3},
		{"state.json garbled", func(t *testing.T, root string) {
			os.WriteFile(filepath.Join(root, "state.json"), []byte("not json"), 0o644)
		}, "b", nil, 1},
		{"both slots broken", func(t *testing.T, root string) {
			os.Truncate(filepath.Join(root, "a", "kioskd"), 1)
			os.Truncate(filepath.Join(root, "b", "kioskd"), 1)
		}, "b", update.ErrNoBootableSlot, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			tc.breakIt(t, f.root)
			before := treeHash(t, f.root)
			_, actions, err := f.updater().Recover(context.Background())
			if !errors.Is(err, tc.err) || len(actions) != tc.actions {
				t.Fatalf("Recover: %v, actions %q", err, actions)
			}
			if tc.err != nil {
				if treeHash(t, f.root) != before {
					t.Error("the root changed with no bootable slot")
				}
				return
			}
			if slot, _ := bootable(t, f.root); slot != tc.slot {
				t.Errorf("current -> %s, want %s", slot, tc.slot)
			}
			if tc.actions == 0 && treeHash(t, f.root) != before {
				t.Error("a healthy root changed")
			}
			// A second run finds nothing to do.
			if _, actions, err := f.updater().Recover(context.Background()); err != nil || len(actions) != 0 {
				t.Errorf("second Recover: %v %q", err, actions)
			}
		})
	}
}

func TestRecoverNothingInstalled(t *testing.T) {
	u := &update.Updater{Root: filepath.Join(t.TempDir(), "missing"), Trust: []ed25519.PublicKey{}}
	if _, _, err := u.Recover(context.Background()); !errors.Is(err, update.ErrNoBootableSlot) {
		t.Fatal(err)
	}
	u.Root = t.TempDir()
	if _, _, err := u.Recover(context.Background()); !errors.Is(err, update.ErrNoBootableSlot) {
		t.Fatal(err)
	}
}
