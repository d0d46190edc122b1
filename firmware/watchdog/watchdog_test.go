package watchdog

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Notify speaks the real protocol: a datagram on the socket systemd names.
func TestNotifyOverUnixgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if ok, err := Notify("READY=1"); !ok || err != nil {
		t.Fatalf("Notify = %v, %v", ok, err)
	}
	buf := make([]byte, 64)
	ln.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := ln.ReadFromUnix(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if ok, err := Notify("READY=1"); ok || err != nil {
		t.Errorf("without systemd: %v, %v", ok, err)
	}
}

func TestInterval(t *testing.T) {
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"30000000", "", 30 * time.Second},
		{"30000000", strconv.Itoa(os.Getpid()), 30 * time.Second},
		{"30000000", "1", 0}, // meant for another process
		{"", "", 0},
		{"garbage", "", 0},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		if got := Interval(); got != tc.want {
			t.Errorf("usec=%q pid=%q: %v, want %v", tc.usec, tc.pid, got, tc.want)
		}
	}
}

// Pings stop while a check fails or hangs and resume when it recovers.
func TestPingerGatesOnChecks(t *testing.T) {
	var mu sync.Mutex
	state := "ok"
	pings := 0
	p := &Pinger{Every: 10 * time.Millisecond, Timeout: 30 * time.Millisecond,
		Notify: func(s string) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			if s == "WATCHDOG=1" {
				pings++
			}
			return true, nil
		},
		Checks: []Check{{Name: "store", Fn: func(ctx context.Context) error {
			mu.Lock()
			s := state
			mu.Unlock()
			switch s {
			case "fail":
				return errors.New("disk gone")
			case "hang":
				<-ctx.Done()
				time.Sleep(time.Hour) // a truly hung check: Round must not wait for it
			}
			return nil
		}}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	count := func() int { mu.Lock(); defer mu.Unlock(); return pings }
	set := func(s string) { mu.Lock(); state = s; mu.Unlock() }
	wait := func(cond func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatal("timed out")
			}
		}
	}
	wait(func() bool { return count() >= 3 })
	for _, bad := range []string{"fail", "hang"} {
		set(bad)
		time.Sleep(80 * time.Millisecond) // let a round in flight finish
		before := count()
		time.Sleep(150 * time.Millisecond)
		if after := count(); after != before {
			t.Errorf("%s: %d pings while unhealthy", bad, after-before)
		}
		set("ok")
		wait(func() bool { return count() > before })
	}
	cancel()
	<-done
}
