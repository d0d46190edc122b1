package update

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// otherSlot returns the slot that is not s.
func otherSlot(s string) string {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// readCurrent returns the slot current points to, "" when the link is
// missing or points anywhere but "a" or "b".
func readCurrent(root string) string {
	t, err := os.Readlink(filepath.Join(root, CurrentLink))
	if err != nil {
		return ""
	}
	if t = strings.TrimSuffix(t, "/"); t == SlotA || t == SlotB {
		return t
	}
	return ""
}

// VerifySlot checks that an installed slot is bootable: every file its
// manifest.json lists is a regular file of the listed size, mode and SHA-256.
// It returns the slot's manifest.
func VerifySlot(dir string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return Manifest{}, fmt.Errorf("update: verify slot %s: %w", dir, err)
	}
	m, err := parseManifest(b, Limits{MaxTotal: 1 << 40, MaxFiles: 1 << 16})
	if err != nil {
		return m, fmt.Errorf("update: verify slot %s: %w", dir, err)
	}
	for _, f := range m.Files {
		if err := verifyFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f); err != nil {
			return m, fmt.Errorf("update: verify slot %s: %w", dir, err)
		}
	}
	return m, nil
}

func verifyFile(path string, f File) error {
	fd, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return err
	}
	switch lst, err := os.Lstat(path); {
	case err != nil:
		return err
	case !lst.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file: %w", f.Name, ErrTampered)
	case st.Size() != f.Size:
		return fmt.Errorf("%s: %d bytes, the manifest says %d: %w", f.Name, st.Size(), f.Size, ErrTampered)
	case st.Mode().Perm() != f.Perm():
		return fmt.Errorf("%s: mode %s, the manifest says %s: %w", f.Name, formatMode(st.Mode()), f.Mode, ErrTampered)
	}
	return hashCopy(io.Discard, fd, f)
}

// switchCurrent points current at slot atomically: a symlink under a
// temporary name renamed over current, then the directory fsynced.
func switchCurrent(root, slot string) error {
	tmp := filepath.Join(root, ".current"+tmpMark+randName())
	if err := os.Symlink(slot, tmp); err != nil {
		return fmt.Errorf("update: switch current to %s: %w", slot, err)
	}
	if err := os.Rename(tmp, filepath.Join(root, CurrentLink)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("update: switch current to %s: %w", slot, err)
	}
	if err := syncDir(root); err != nil {
		return fmt.Errorf("update: switch current to %s: %w", slot, err)
	}
	return nil
}

// removeSlot renames a slot out of the way (one atomic step) and deletes it;
// a power cut during the delete leaves a *.tmp-* dir that recover removes.
func removeSlot(root, slot string) error {
	dir := filepath.Join(root, slot)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	trash := filepath.Join(root, slot+tmpMark+"old-"+randName())
	if err := os.Rename(dir, trash); err != nil {
		return fmt.Errorf("update: remove old slot %s: %w", slot, err)
	}
	if err := syncDir(root); err != nil {
		return fmt.Errorf("update: remove old slot %s: %w", slot, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("update: remove old slot %s: %w", slot, err)
	}
	return nil
}

// staleNames says which names in the root are leftovers of an interrupted
// update: slot staging and trash dirs, temporary links and state files.
func isStale(name string) bool {
	for _, p := range []string{SlotA + tmpMark, SlotB + tmpMark, ".current" + tmpMark, "." + StateFile + tmpMark} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// cleanStale deletes the leftovers of interrupted updates and returns their
// names.
func cleanStale(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("update: clean %s: %w", root, err)
	}
	var gone []string
	for _, e := range ents {
		if !isStale(e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return gone, fmt.Errorf("update: clean %s: %w", root, err)
		}
		gone = append(gone, e.Name())
	}
	if len(gone) > 0 {
		if err := syncDir(root); err != nil {
			return gone, fmt.Errorf("update: clean %s: %w", root, err)
		}
	}
	return gone, nil
}

// slotVersion reads a slot's manifest version without verifying its files.
func slotVersion(root, slot string) string {
	b, err := os.ReadFile(filepath.Join(root, slot, ManifestFile))
	if err != nil {
		return ""
	}
	m, err := ParseManifest(b, Limits{MaxTotal: 1 << 40, MaxFiles: 1 << 16})
	if err != nil {
		return ""
	}
	return m.Version
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func randName() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
