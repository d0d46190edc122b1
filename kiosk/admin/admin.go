// Package admin implements kioskctl's verbs that work on a kiosk's data
// directory. A verb opens the store itself when kioskd is not running; while
// kioskd holds the store it asks kioskd over the unix socket DATA/kioskd.sock,
// which kioskd serves for local tools only (the socket is 0600). Neither path
// waits on the store's lock for more than a moment.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
)

// SocketFile is the name of kioskd's local control socket in the data dir.
const SocketFile = "kioskd.sock"

// AuditResult is what an audit check found.
type AuditResult struct {
	Entries uint64 `json:"entries"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// CheckAudit verifies the audit chain of an open store.
func CheckAudit(ctx context.Context, s *store.Store) AuditResult {
	n, err := s.VerifyAudit(ctx)
	if err != nil {
		return AuditResult{Entries: n, Error: err.Error()}
	}
	return AuditResult{Entries: n, OK: true}
}

// Busy says whether someone is using the kiosk (a citizen's session, a print
// job) and why; updates wait while it does.
type Busy func(ctx context.Context) (bool, string)

// BusyReply is the answer of GET /busy.
type BusyReply struct {
	Busy   bool   `json:"busy"`
	Reason string `json:"reason,omitempty"`
}

// Control is what kioskd's control socket serves from.
type Control struct {
	Store    *store.Store
	Busy     Busy            // nil: never busy
	Accounts *kiosk.Accounts // nil: no user verbs
}

// Handler serves the control socket's requests.
func Handler(ctl Control) http.Handler {
	s, busy := ctl.Store, ctl.Busy
	mux := http.NewServeMux()
	mux.HandleFunc("GET /audit", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(CheckAudit(r.Context(), s))
	})
	mux.HandleFunc("POST /sequences", handleSequences(s))
	if ctl.Accounts != nil {
		userRoutes(mux, ctl.Accounts)
	}
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
		var rep BusyReply
		if busy != nil {
			rep.Busy, rep.Reason = busy(r.Context())
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rep)
	})
	return mux
}

// Serve listens on DATA/kioskd.sock until ctx ends. A stale socket left by a
// killed kioskd is replaced: the caller already holds the data dir's lock.
func Serve(ctx context.Context, dataDir string, ctl Control) error {
	path := filepath.Join(dataDir, SocketFile)
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	srv := &http.Server{Handler: Handler(ctl), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err = srv.Serve(ln)
	os.Remove(path)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("control socket: %w", err)
}

// get asks a running kioskd over its control socket.
func get(ctx context.Context, dataDir, path string, v any) error {
	return call(ctx, dataDir, http.MethodGet, path, nil, v)
}

// call sends a request to a running kioskd over its control socket and
// decodes a JSON reply into v (when v is not nil).
func call(ctx context.Context, dataDir, method, path string, body io.Reader, v any) error {
	sock := filepath.Join(dataDir, SocketFile)
	c := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	req, err := http.NewRequestWithContext(ctx, method, "http://kioskd"+path, body)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("ask kioskd over %s: %w", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("ask kioskd over %s: status %d: %s", sock, resp.StatusCode, bytes.TrimSpace(msg))
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// RunAudit implements `kioskctl audit -data DIR`: exit 0 when the chain
// verifies, 1 when it is broken or cannot be read, 2 on usage errors.
func RunAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskctl audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "kiosk data `dir`")
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: kioskctl audit -data DIR")
		return 2
	}
	var res AuditResult
	s, err := store.Open(*dir, store.Options{LockTimeout: 200 * time.Millisecond})
	switch {
	case err == nil:
		res = CheckAudit(ctx, s)
		s.Close()
	case errors.Is(err, store.ErrLocked):
		if err := get(ctx, *dir, "/audit", &res); err != nil {
			fmt.Fprintln(stderr, "kioskctl audit:", err)
			return 1
		}
	default:
		fmt.Fprintln(stderr, "kioskctl audit:", err)
		return 1
	}
	if !res.OK {
		fmt.Fprintf(stdout, "audit trail BROKEN after %d entries: %s\n", res.Entries, res.Error)
		return 1
	}
	fmt.Fprintf(stdout, "audit trail intact: %d entries\n", res.Entries)
	return 0
}
