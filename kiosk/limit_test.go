package kiosk

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := NewLimiter(5, 15*time.Minute)
	t0 := now
	for i := 0; i < 4; i++ {
		l.Fail("n", t0.Add(time.Duration(i)*time.Minute))
	}
	if l.Limited("n", t0.Add(5*time.Minute)) {
		t.Fatal("limited after 4 failures")
	}
	l.Fail("n", t0.Add(5*time.Minute))
	if !l.Limited("n", t0.Add(5*time.Minute)) {
		t.Fatal("not limited after 5 failures")
	}
	if l.Limited("other", t0) {
		t.Fatal("another key is limited")
	}
	// The first failure ages out at t0+15m: one slot frees up.
	if l.Limited("n", t0.Add(15*time.Minute+time.Second)) {
		t.Fatal("still limited after the oldest failure aged out")
	}
	l.Reset("n")
	if l.Limited("n", t0.Add(6*time.Minute)) {
		t.Fatal("limited after Reset")
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	l := NewLimiter(5, 15*time.Minute)
	l.MaxKeys = 100
	for i := 0; i < 1000; i++ {
		l.Fail(fmt.Sprint(i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(l.hits) > 100 {
		t.Fatalf("%d keys held, want at most 100", len(l.hits))
	}
}
