package update_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cpckiosk/firmware/update"
	"cpckiosk/kiosk/admin"
)

// SocketBusy against kioskd's real control-socket handler.
func TestSocketBusy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, update.SocketFile)
	if path != filepath.Join(dir, admin.SocketFile) {
		t.Fatalf("socket name %s differs from kioskd's %s", update.SocketFile, admin.SocketFile)
	}
	b := update.SocketBusy{Path: path}
	ctx := context.Background()
	if busy, _, err := b.Busy(ctx); busy || err != nil {
		t.Errorf("no socket: busy=%v err=%v, want idle (kioskd not running)", busy, err)
	}

	// A socket file left by a killed kioskd: nobody listening.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if busy, _, err := b.Busy(ctx); busy || err != nil {
		t.Errorf("stale socket: busy=%v err=%v, want idle", busy, err)
	}

	serve := func(h http.Handler) func() {
		os.Remove(path)
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		return func() { srv.Close() }
	}
	var state struct {
		busy   bool
		reason string
	}
	stop := serve(admin.Handler(admin.Control{Busy: func(context.Context) (bool, string) { return state.busy, state.reason }}))
	if busy, _, err := b.Busy(ctx); busy || err != nil {
		t.Errorf("idle kioskd: busy=%v err=%v", busy, err)
	}
	state.busy, state.reason = true, "a citizen is using the kiosk"
	if busy, reason, err := b.Busy(ctx); !busy || reason != state.reason || err != nil {
		t.Errorf("busy kioskd: busy=%v reason=%q err=%v", busy, reason, err)
	}
	stop()

	stop = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }))
	defer stop()
	if busy, _, err := b.Busy(ctx); !busy || err == nil {
		t.Errorf("failing kioskd: busy=%v err=%v, want busy with an error", busy, err)
	}
}

func TestHTTPHealth(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want, err  string
	}{
		{"ok", `{"status":"ok","version":"1.4.2","printer":"ok"}`, 200, "1.4.2", ""},
		{"degraded still runs", `{"status":"degraded","version":"1.4.2"}`, 200, "1.4.2", ""},
		{"setup mode", `{"status":"setup","version":"1.4.2","pin_set":false}`, 200, "1.4.2", ""},
		{"error status", `{"version":"1.4.2"}`, 503, "", "answered 503"},
		{"no version", `{"status":"ok"}`, 200, "", "no version"},
		{"not json", `<html>`, 200, "", "no version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			v, err := update.HTTPHealth{URL: srv.URL}.Version(context.Background())
			if v != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Version() = %q, %v; want %q, %q", v, err, tc.want, tc.err)
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if _, err := (update.HTTPHealth{URL: srv.URL}).Version(context.Background()); err == nil {
		t.Error("a closed server counts as healthy")
	}
}

func TestCommandRestart(t *testing.T) {
	if err := (update.Command{Argv: []string{"true"}}).Restart(context.Background()); err != nil {
		t.Error(err)
	}
	err := (update.Command{Argv: []string{"sh", "-c", "echo unit kioskd failed >&2; exit 3"}}).Restart(context.Background())
	if err == nil || !strings.Contains(err.Error(), "unit kioskd failed") {
		t.Errorf("failing command: %v", err)
	}
}
