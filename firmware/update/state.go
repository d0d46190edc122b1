package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"cpckiosk/printer/extract"
)

// Files in the root (normally /opt/cpc-kiosk).
const (
	StateFile   = "state.json"
	CurrentLink = "current" // symlink to "a" or "b"
	SlotA       = "a"
	SlotB       = "b"

	// tmpMark is in the name of everything the updater writes before
	// renaming it into place; recover deletes what a power cut left.
	tmpMark = ".tmp-"
)

// DefaultRoot is where the slots live on a board.
const DefaultRoot = "/opt/cpc-kiosk"

// Phase is where the last update stands.
type Phase string

// Phases of state.json.
const (
	PhaseNone       Phase = ""            // installed without an update yet
	PhaseProbation  Phase = "probation"   // switched; waiting for the new version to report healthy
	PhaseConfirmed  Phase = "confirmed"   // the new version reported healthy
	PhaseRolledBack Phase = "rolled_back" // the new version failed and the previous one is active again
	PhaseFailed     Phase = "failed"      // the new version failed with nothing to return to (first install)
	PhaseRepaired   Phase = "repaired"    // recover found the active slot broken and switched to a verified one
)

// State is DIR/state.json, written atomically. The current symlink is the
// truth about what boots; State says how it got there.
type State struct {
	Format          int       `json:"format"`
	Active          string    `json:"active"`
	Previous        string    `json:"previous,omitempty"`
	Version         string    `json:"version"`
	PreviousVersion string    `json:"previous_version,omitempty"`
	Phase           Phase     `json:"phase"`
	Deadline        time.Time `json:"deadline,omitzero"` // end of the probation
	PID             int       `json:"pid,omitempty"`     // the updater running the probation
	Failure         string    `json:"failure,omitempty"` // the last failure, kept after later successes
	FailedVersion   string    `json:"failed_version,omitempty"`
	FailedAt        time.Time `json:"failed_at,omitzero"`
	Changed         time.Time `json:"changed,omitzero"`
}

// sameAs compares everything but Changed.
func (s State) sameAs(o State) bool {
	times := s.Deadline.Equal(o.Deadline) && s.FailedAt.Equal(o.FailedAt)
	s.Changed, o.Changed = time.Time{}, time.Time{}
	s.Deadline, o.Deadline = time.Time{}, time.Time{}
	s.FailedAt, o.FailedAt = time.Time{}, time.Time{}
	return times && s == o
}

// ReadState reads DIR/state.json; a missing file is the zero State and
// exists false.
func ReadState(root string) (st State, exists bool, err error) {
	b, err := os.ReadFile(filepath.Join(root, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("update: read state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, true, fmt.Errorf("update: read state: %v: %w", err, ErrMalformed)
	}
	return st, true, nil
}

func writeState(root string, st State) error {
	st.Format = 1
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("update: write state: %w", err)
	}
	if err := extract.WriteFileAtomic(filepath.Join(root, StateFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("update: write state: %w", err)
	}
	return nil
}
