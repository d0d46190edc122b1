// Package updatetest holds fakes for firmware/update's small interfaces: a
// clock that advances when slept on, and a kiosk that "runs" whatever the
// root's current link pointed to at its last restart. They satisfy
// update.Clock, update.Restarter and update.HealthChecker. Keys (keys.go)
// makes signed bundles for the tests of other packages (the central, the
// relay, the board).
package updatetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Clock is a fake clock: Sleep returns at once and moves the time on.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the time by d, unless ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	c.mu.Lock()
	c.slept += d
	c.mu.Unlock()
	return nil
}

// Advance moves the time on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Slept is the total time slept.
func (c *Clock) Slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}

// Kiosk is a fake kioskd under a fake systemd: Restart "starts" the version
// in ROOT/current/manifest.json, and Version reports it as healthy unless
// that version is listed in Broken (it never becomes healthy) or FailStart
// (its restart fails). With Stuck set, restarts keep that version running
// (a unit that does not start from current).
type Kiosk struct {
	Root      string
	Broken    map[string]bool
	FailStart map[string]bool
	Stuck     string

	mu       sync.Mutex
	running  string
	restarts []string
}

// Restart starts whatever current points to.
func (k *Kiosk) Restart(ctx context.Context) error {
	b, err := os.ReadFile(filepath.Join(k.Root, "current", "manifest.json"))
	var m struct {
		Version string `json:"version"`
	}
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.restarts = append(k.restarts, m.Version)
	if err != nil {
		k.running = ""
		return fmt.Errorf("fake kioskd: no current version: %w", err)
	}
	if k.FailStart[m.Version] {
		k.running = ""
		return fmt.Errorf("fake kioskd %s: start failed", m.Version)
	}
	k.running = m.Version
	if k.Stuck != "" {
		k.running = k.Stuck
	}
	return nil
}

// Version reports the running version, if it is healthy.
func (k *Kiosk) Version(ctx context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.running == "":
		return "", errors.New("fake kioskd: connection refused")
	case k.Broken[k.running]:
		return "", fmt.Errorf("fake kioskd %s: answered 503", k.running)
	}
	return k.running, nil
}

// Running is the version started last ("" when none runs).
func (k *Kiosk) Running() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.running
}

// Restarts lists the version started by each restart, in order.
func (k *Kiosk) Restarts() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.restarts...)
}
