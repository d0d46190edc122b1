// Package watchdog keeps systemd's watchdog (and optionally the board's
// hardware watchdog) fed while, and only while, the appliance really works:
// sd_notify over $NOTIFY_SOCKET without cgo, pings gated by health checks.
package watchdog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"
)

// Notify sends one sd_notify message (e.g. "READY=1", "WATCHDOG=1",
// "STOPPING=1", "STATUS=…") to the service manager. It returns false and no
// error when not run by systemd ($NOTIFY_SOCKET unset).
func Notify(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' { // abstract socket
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	return true, nil
}

// Interval returns how often systemd expects a ping ($WATCHDOG_USEC), or 0
// when the watchdog is off or meant for another process ($WATCHDOG_PID).
func Interval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond
}

// Check is one thing that must work for the appliance to count as alive.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Pinger runs the checks every Every and pings only when all pass: a hung
// store, HTTP server or relay worker stops the pings and systemd restarts
// kioskd; a hung board stops the hardware watchdog's pings and it resets
// the board.
type Pinger struct {
	Checks  []Check
	Every   time.Duration // half of systemd's interval is customary
	Timeout time.Duration // per round of checks (default Every/2)
	Log     *slog.Logger
	// Device is a hardware watchdog (/dev/watchdog) to feed too; "" for none.
	// It is opened on Run and closed with the magic 'V' on a clean stop.
	Device string
	// Notify sends a state to the service manager (default Notify).
	Notify func(string) (bool, error)
}

// Round runs the checks once and returns the first failure.
func (p *Pinger) Round(ctx context.Context) error {
	t := p.Timeout
	if t <= 0 {
		t = p.Every / 2
	}
	if t <= 0 {
		t = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	for _, c := range p.Checks {
		errc := make(chan error, 1)
		go func() { errc <- c.Fn(ctx) }()
		select {
		case err := <-errc:
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("%s: no answer within %v (hung?)", c.Name, t)
		}
	}
	return nil
}

// Run pings until ctx ends.
func (p *Pinger) Run(ctx context.Context) error {
	if p.Every <= 0 {
		return errors.New("watchdog: no interval")
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	notify := p.Notify
	if notify == nil {
		notify = Notify
	}
	var dev *os.File
	if p.Device != "" {
		f, err := os.OpenFile(p.Device, os.O_WRONLY, 0)
		if err != nil {
			p.Log.Warn("hardware watchdog not available", "device", p.Device, "err", err)
		} else {
			dev = f
			defer func() {
				dev.Write([]byte("V")) // magic close: a clean stop does not reset the board
				dev.Close()
			}()
		}
	}
	tick := time.NewTicker(p.Every)
	defer tick.Stop()
	failing := false
	for {
		if err := p.Round(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				p.Log.Error("watchdog: not pinging, the appliance is not healthy", "err", err)
			}
			failing = true
		} else {
			if failing {
				p.Log.Info("watchdog: healthy again")
			}
			failing = false
			if _, err := notify("WATCHDOG=1"); err != nil {
				p.Log.Warn("watchdog ping", "err", err)
			}
			if dev != nil {
				if _, err := dev.Write([]byte{0}); err != nil {
					p.Log.Warn("hardware watchdog ping", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
