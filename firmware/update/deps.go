package update

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Clock is the updater's time: certificate validity, the probation deadline
// and the pauses between polls. Tests use a fake that advances on Sleep.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the board's clock.
type SystemClock struct{}

// Now returns time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx ends.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Restarter restarts the kiosk so it runs what current points to.
type Restarter interface {
	Restart(ctx context.Context) error
}

// RestartFunc adapts a function to Restarter.
type RestartFunc func(ctx context.Context) error

// Restart calls f.
func (f RestartFunc) Restart(ctx context.Context) error { return f(ctx) }

// Command runs a program to restart the kiosk, by default
// `systemctl restart kioskd` (which returns once kioskd said READY=1 or
// failed to start).
type Command struct {
	Argv []string
}

// DefaultRestart is the restart command on a board.
var DefaultRestart = []string{"systemctl", "restart", "kioskd"}

// Restart runs the command; its output is part of the error when it fails.
func (c Command) Restart(ctx context.Context) error {
	argv := c.Argv
	if len(argv) == 0 {
		argv = DefaultRestart
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		if msg := bytes.TrimSpace(out); len(msg) > 0 {
			if len(msg) > 300 {
				msg = msg[len(msg)-300:]
			}
			return fmt.Errorf("restart: %s: %w: %s", argv[0], err, msg)
		}
		return fmt.Errorf("restart: %s: %w", argv[0], err)
	}
	return nil
}

// HealthChecker asks the running kiosk which version it is and whether it is
// healthy. Version returns the version a healthy kiosk reports, or an error
// saying why it does not count as healthy.
type HealthChecker interface {
	Version(ctx context.Context) (string, error)
}

// HealthFunc adapts a function to HealthChecker.
type HealthFunc func(ctx context.Context) (string, error)

// Version calls f.
func (f HealthFunc) Version(ctx context.Context) (string, error) { return f(ctx) }

// DefaultHealthURL is kioskd's health endpoint on a board.
const DefaultHealthURL = "http://127.0.0.1:8080/healthz"

// HTTPHealth asks kioskd's /healthz: healthy is a 200 answer whose JSON has
// a "version" (kioskd's build version, in ui.Health and ui.SetupHealth).
type HTTPHealth struct {
	URL    string       // DefaultHealthURL when empty
	Client *http.Client // one with a 3 s timeout when nil
}

// Version returns the version a 200 answer reports.
func (h HTTPHealth) Version(ctx context.Context) (string, error) {
	url, c := h.URL, h.Client
	if url == "" {
		url = DefaultHealthURL
	}
	if c == nil {
		c = &http.Client{Timeout: 3 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("health: %s answered %d", url, resp.StatusCode)
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Version == "" {
		return "", fmt.Errorf("health: %s answered no version", url)
	}
	return v.Version, nil
}

// BusyChecker says whether someone is using the kiosk: an update waits while
// a citizen's session or a print job is active.
type BusyChecker interface {
	Busy(ctx context.Context) (busy bool, reason string, err error)
}

// BusyFunc adapts a function to BusyChecker.
type BusyFunc func(ctx context.Context) (bool, string, error)

// Busy calls f.
func (f BusyFunc) Busy(ctx context.Context) (bool, string, error) { return f(ctx) }

// SocketFile is kioskd's control socket in its data dir (admin.SocketFile).
const SocketFile = "kioskd.sock"

// SocketBusy asks kioskd over its control socket, GET /busy answering
// {"busy":bool,"reason":"..."}. No socket, or nobody listening on it, means
// kioskd is not running and so not busy; any other failure counts as busy
// (the updater keeps asking until its wait ends).
type SocketBusy struct {
	Path string // DATA/kioskd.sock
}

// Busy asks kioskd.
func (s SocketBusy) Busy(ctx context.Context) (bool, string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", s.Path)
		}}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://kioskd/busy", nil)
	if err != nil {
		return false, "", err
	}
	resp, err := c.Do(req)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return false, "", nil
	}
	if err != nil {
		if _, serr := os.Stat(s.Path); errors.Is(serr, fs.ErrNotExist) {
			return false, "", nil
		}
		return true, "", fmt.Errorf("ask kioskd over %s: %w", s.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return true, "", fmt.Errorf("ask kioskd over %s: GET /busy answered %d", s.Path, resp.StatusCode)
	}
	var rep struct {
		Busy   bool   `json:"busy"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&rep); err != nil {
		return true, "", fmt.Errorf("ask kioskd over %s: GET /busy: %w", s.Path, err)
	}
	return rep.Busy, rep.Reason, nil
}
