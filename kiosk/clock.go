package kiosk

import (
	"sync"
	"time"
)

// Clock tells the time. Tests inject a fake; production uses SystemClock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Zone is the time zone of the centres: Tajikistan, UTC+5, no daylight saving.
// Fixed rather than loaded, so it works on a board without tzdata.
var Zone = time.FixedZone("TJT", 5*60*60)

// TrustedClock is the time the appliance stamps records with. The board has
// no RTC, so after a power cut its clock may be far behind. TrustedClock never
// goes backwards and never below the persisted floor: while the system clock
// is unsynchronised and behind, it runs forward from the floor at the pace of
// the system clock. Synced reports whether a trusted source vouches for it.
type TrustedClock struct {
	wall   Clock
	synced func() bool

	mu       sync.Mutex
	last     time.Time     // latest time handed out or trusted: the floor
	offset   time.Duration // added to the wall clock while it is behind
	observed bool          // a trusted time was observed (e.g. from the central)
}

// NewTrustedClock starts a trusted clock from a persisted floor. systemSynced
// says whether the system clock is synchronised (NTP); nil means never.
func NewTrustedClock(wall Clock, floor time.Time, systemSynced func() bool) *TrustedClock {
	if systemSynced == nil {
		systemSynced = func() bool { return false }
	}
	return &TrustedClock{wall: wall, synced: systemSynced, last: floor}
}

// Now returns the trusted time and whether it is synchronised.
func (c *TrustedClock) Now() (time.Time, bool) {
	synced := c.synced()
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.wall.Now()
	if synced {
		c.offset = 0
	}
	t := w.Add(c.offset)
	if t.Before(c.last) {
		c.offset = c.last.Sub(w)
		t = c.last
	}
	c.last = t
	return t, synced || c.observed
}

// Observe feeds a time from a trusted source (the central's reply). The
// clock moves up to it if behind and counts as synchronised from then on.
func (c *TrustedClock) Observe(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.wall.Now()
	c.offset = t.Sub(w)
	if t.After(c.last) {
		c.last = t
	}
	c.observed = true
}

// Floor returns the latest time handed out: what to persist.
func (c *TrustedClock) Floor() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
