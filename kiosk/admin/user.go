package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/store"
)

// userRequest is a user verb sent over the control socket. The secret
// travels only over the 0600 unix socket, never in argv or a URL.
type userRequest struct {
	Verb     string     `json:"verb"` // add, reset, disable
	Username string     `json:"username"`
	FullName string     `json:"full_name,omitempty"`
	Role     kiosk.Role `json:"role,omitempty"`
	Secret   string     `json:"secret,omitempty"`
}

// userInfo is an account as listed (no hash).
type userInfo struct {
	Username    string     `json:"username"`
	FullName    string     `json:"full_name"`
	Role        kiosk.Role `json:"role"`
	Disabled    bool       `json:"disabled"`
	LockedUntil time.Time  `json:"locked_until,omitzero"`
	CreatedAt   time.Time  `json:"created_at"`
}

func userRoutes(mux *http.ServeMux, a *kiosk.Accounts) {
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		list, err := listUsers(r.Context(), a)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var req userRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := doUser(r.Context(), a, req); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func listUsers(ctx context.Context, a *kiosk.Accounts) ([]userInfo, error) {
	us, err := a.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]userInfo, len(us))
	for i, u := range us {
		out[i] = userInfo{Username: u.Username, FullName: u.FullName, Role: u.Role, Disabled: u.Disabled,
			LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt}
	}
	return out, nil
}

func doUser(ctx context.Context, a *kiosk.Accounts, req userRequest) error {
	switch req.Verb {
	case "add":
		return a.Add(ctx, "kioskctl", req.Username, req.FullName, req.Role, req.Secret)
	case "reset":
		return a.Reset(ctx, "kioskctl", req.Username, req.Secret)
	case "disable":
		return a.Disable(ctx, "kioskctl", req.Username)
	}
	return fmt.Errorf("unknown user verb %q", req.Verb)
}

// withAccounts runs fn on the data dir's accounts: directly when kioskd is
// not running, else it returns errRunning so the caller uses the socket.
var errRunning = errors.New("kioskd is running")

func withAccounts(dataDir string, fn func(*kiosk.Accounts) error) error {
	s, err := store.Open(dataDir, store.Options{LockTimeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		return errRunning
	}
	if err != nil {
		return err
	}
	defer s.Close()
	floor, err := s.TimeFloor()
	if err != nil {
		return err
	}
	return fn(kiosk.NewAccounts(s, kiosk.NewTrustedClock(kiosk.SystemClock{}, floor, nil), nil))
}

// RunUser implements `kioskctl user add|list|reset|disable -data DIR`. The
// secret is read from standard input (one line), never from the command
// line: `kioskctl user add -data DIR -role officer -name "…" ali < secret`.
func RunUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: kioskctl user add -data DIR -role admin|officer|cppt [-name FULL NAME] USERNAME  (password or PIN on stdin)")
		fmt.Fprintln(stderr, "       kioskctl user reset -data DIR USERNAME  (new password or PIN on stdin)")
		fmt.Fprintln(stderr, "       kioskctl user disable -data DIR USERNAME")
		fmt.Fprintln(stderr, "       kioskctl user list -data DIR")
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	verb := args[0]
	fs := flag.NewFlagSet("kioskctl user "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "kiosk data `dir`")
	role := fs.String("role", "", "admin, officer or cppt")
	name := fs.String("name", "", "the person's full name")
	if err := fs.Parse(args[1:]); err != nil || *dir == "" {
		return usage()
	}
	req := userRequest{Verb: verb, Role: kiosk.Role(*role), FullName: *name}
	switch verb {
	case "list":
		if fs.NArg() != 0 {
			return usage()
		}
		var list []userInfo
		err := withAccounts(*dir, func(a *kiosk.Accounts) (err error) { list, err = listUsers(ctx, a); return err })
		if errors.Is(err, errRunning) {
			err = get(ctx, *dir, "/users", &list)
		}
		if err != nil {
			fmt.Fprintln(stderr, "kioskctl user list:", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tNAME\tSTATE")
		for _, u := range list {
			state := "active"
			if u.Disabled {
				state = "disabled"
			} else if time.Now().Before(u.LockedUntil) {
				state = "locked until " + u.LockedUntil.In(kiosk.Zone).Format("15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, u.FullName, state)
		}
		tw.Flush()
		return 0
	case "add", "reset", "disable":
		if fs.NArg() != 1 {
			return usage()
		}
		req.Username = fs.Arg(0)
	default:
		return usage()
	}
	if verb != "disable" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(stderr, "kioskctl user: give the password or PIN on standard input")
			return 2
		}
		req.Secret = strings.TrimRight(line, "\r\n")
	}
	err := withAccounts(*dir, func(a *kiosk.Accounts) error { return doUser(ctx, a, req) })
	if errors.Is(err, errRunning) {
		b, _ := json.Marshal(req)
		err = call(ctx, *dir, http.MethodPost, "/users", bytes.NewReader(b), nil)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kioskctl user %s: %v\n", verb, err)
		return 1
	}
	fmt.Fprintf(stdout, "user %s: %s done\n", req.Username, verb)
	return 0
}
