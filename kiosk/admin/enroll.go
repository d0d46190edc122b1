package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/store"
)

// sequencesRequest asks a running kioskd to raise its sequence counters.
type sequencesRequest struct {
	Kiosk int         `json:"kiosk"`
	Years map[int]int `json:"years"`
}

func handleSequences(s *store.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req sequencesRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.RaiseSequences(r.Context(), req.Kiosk, req.Years); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// raiseSequences makes the central's sequence marks durable in the kiosk's
// store: directly when kioskd is not running, else through its socket.
func raiseSequences(ctx context.Context, dataDir string, kioskNo int, years map[int]int) error {
	s, err := store.Open(dataDir, store.Options{LockTimeout: 200 * time.Millisecond})
	switch {
	case err == nil:
		defer s.Close()
		return s.RaiseSequences(ctx, kioskNo, years)
	case errors.Is(err, store.ErrLocked):
		b, _ := json.Marshal(sequencesRequest{Kiosk: kioskNo, Years: years})
		return call(ctx, dataDir, http.MethodPost, "/sequences", bytes.NewReader(b), nil)
	}
	return err
}

// RunEnroll implements `kioskctl enroll -data DIR -central URL -token TOKEN`:
// exit 0 enrolled, 1 refused or unreachable, 2 usage.
func RunEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskctl enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "kiosk data `dir`")
	url := fs.String("central", "", "central system `URL`")
	token := fs.String("token", "", "one-time enrolment `token` from the central's operator")
	if err := fs.Parse(args); err != nil || *dir == "" || *url == "" || *token == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: kioskctl enroll -data DIR -central URL -token TOKEN")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	raise := func(k int, years map[int]int) error { return raiseSequences(ctx, *dir, k, years) }
	e, err := relay.Enroll(ctx, *dir, *url, *token, &http.Client{Timeout: 30 * time.Second}, raise)
	if err != nil {
		fmt.Fprintln(stderr, "kioskctl enroll:", err)
		return 1
	}
	fmt.Fprintf(stdout, "enrolled: device %s is %s kiosk %d at %s\n", e.DeviceID, e.CPC, e.Kiosk, e.Central)
	for y, n := range e.Sequences {
		fmt.Fprintf(stdout, "  the central holds numbers up to %06d for 20%s: this kiosk continues after it\n", n, y)
	}
	return 0
}
