package kiosk_test

import (
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

func TestTrustedClock(t *testing.T) {
	floor := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	t.Run("board clock behind the floor after a power cut", func(t *testing.T) {
		wall := kiosktest.NewClock(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
		c := kiosk.NewTrustedClock(wall, floor, nil)
		t1, synced := c.Now()
		if !t1.Equal(floor) || synced {
			t.Fatalf("Now() = %v, %v; want the floor, unsynchronised", t1, synced)
		}
		wall.Advance(90 * time.Second)
		t2, _ := c.Now()
		if got := t2.Sub(t1); got != 90*time.Second {
			t.Fatalf("clock advanced %v, want 90s at the pace of the wall clock", got)
		}
	})
	t.Run("never backwards", func(t *testing.T) {
		wall := kiosktest.NewClock(floor.Add(time.Hour))
		c := kiosk.NewTrustedClock(wall, floor, nil)
		t1, _ := c.Now()
		wall.Advance(-30 * time.Minute) // the clock is stepped back
		t2, _ := c.Now()
		if t2.Before(t1) {
			t.Fatalf("went backwards: %v then %v", t1, t2)
		}
		if c.Floor().Before(t2) {
			t.Fatalf("floor %v below the last time handed out %v", c.Floor(), t2)
		}
	})
	t.Run("synchronised system clock is used as is", func(t *testing.T) {
		wall := kiosktest.NewClock(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
		synced := false
		c := kiosk.NewTrustedClock(wall, floor, func() bool { return synced })
		c.Now()
		wall.Set(floor.Add(48 * time.Hour)) // NTP corrects the clock
		synced = true
		got, ok := c.Now()
		if !ok || !got.Equal(floor.Add(48*time.Hour)) {
			t.Fatalf("Now() = %v, %v; want the synchronised wall time", got, ok)
		}
	})
	t.Run("central time observed", func(t *testing.T) {
		wall := kiosktest.NewClock(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
		c := kiosk.NewTrustedClock(wall, floor, nil)
		central := floor.Add(72 * time.Hour)
		c.Observe(central)
		wall.Advance(time.Second)
		got, ok := c.Now()
		if !ok || !got.Equal(central.Add(time.Second)) {
			t.Fatalf("Now() = %v, %v; want central time + 1s, synchronised", got, ok)
		}
	})
}
