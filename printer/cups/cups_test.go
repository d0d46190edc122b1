package cups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeLP writes a shell script standing in for lp and returns its path.
func fakeLP(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lp")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSendFakeLP(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "stdin")
	argsFile := filepath.Join(dir, "args")
	pdf := []byte("%PDF-1.3 fake\n%%EOF\n")
	for _, tc := range []struct {
		name, script string
		client       Client
		queue        string
		wantID       string
		wantErr      []string
	}{
		{name: "job id", script: fmt.Sprintf(`echo "$@" >%s; cat >%s; echo "request id is cpc-test-17 (0 file(s))"`, argsFile, got),
			queue: "cpc-test", wantID: "cpc-test-17"},
		{name: "title", script: fmt.Sprintf(`echo "$@" >%s; cat >/dev/null; echo "request id is a4-3 (0 file(s))"`, argsFile),
			client: Client{Title: "ISF1-26-000123-4"}, queue: "a4", wantID: "a4-3"},
		{name: "lp fails", script: `cat >/dev/null; echo "lp: The printer or class does not exist." >&2; exit 1`,
			queue: "nope", wantErr: []string{"exit status 1", "does not exist"}},
		{name: "no job id", script: `cat >/dev/null; echo "something else"`, queue: "q", wantErr: []string{"no job id"}},
		{name: "timeout", script: `sleep 30`, client: Client{Timeout: 200 * time.Millisecond}, queue: "q",
			wantErr: []string{"deadline exceeded"}},
		{name: "option injection", queue: "-h", wantErr: []string{"invalid queue"}},
		{name: "empty queue", queue: "", wantErr: []string{"invalid queue"}},
		{name: "space in queue", queue: "a b", wantErr: []string{"invalid queue"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client
			c.LP = fakeLP(t, tc.script)
			start := time.Now()
			id, err := c.Send(context.Background(), tc.queue, pdf)
			if time.Since(start) > 10*time.Second {
				t.Fatalf("Send took %v", time.Since(start))
			}
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, job %q", id)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || id != tc.wantID {
				t.Fatalf("Send = %q, %v; want %q", id, err, tc.wantID)
			}
		})
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, pdf) {
		t.Errorf("lp got %q on stdin, want the PDF", b)
	}
	if b, _ := os.ReadFile(argsFile); strings.TrimSpace(string(b)) != "-d a4 -t ISF1-26-000123-4" {
		t.Errorf("lp args %q", b)
	}
	if _, err := Send(context.Background(), "-x", pdf); !errors.Is(err, ErrBadQueue) {
		t.Errorf("Send with a bad queue: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Client{LP: fakeLP(t, "sleep 5")}).Send(ctx, "q", pdf); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestSendRealQueue prints through a real cupsd to the queue that
// testdata/setup-cups.sh creates, and waits for the file device to hold the
// exact bytes. Under CI (CI=true) a missing lp or queue is a failure.
func TestSendRealQueue(t *testing.T) {
	queue := envOr("CPC_CUPS_QUEUE", "cpc-test")
	out := envOr("CPC_CUPS_OUT", "/tmp/cpc-cups/out.pdf")
	skip := t.Skipf
	if os.Getenv("CI") == "true" {
		skip = t.Fatalf
	}
	if _, err := exec.LookPath("lp"); err != nil {
		skip("lp not installed (apt-get install -y cups cups-client cups-bsd): %v", err)
	}
	if b, err := exec.Command("lpstat", "-p", queue).CombinedOutput(); err != nil {
		skip("queue %s not set up (run printer/cups/testdata/setup-cups.sh as root): %v %s", queue, err, b)
	}
	// A unique document, so an old output file cannot pass.
	pdf := []byte(fmt.Sprintf("%%PDF-1.3\n%% cups test %d\n%%%%EOF\n", time.Now().UnixNano()))
	id, err := Client{Title: "cpc cups test"}.Send(context.Background(), queue, pdf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, queue+"-") {
		t.Errorf("job id %q", id)
	}
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(out)
		if bytes.Equal(b, pdf) {
			return
		}
		if time.Now().After(deadline) {
			st, _ := exec.Command("lpstat", "-l", "-o", queue).CombinedOutput()
			t.Fatalf("job %s: %s never held the document (has %d bytes); lpstat: %s", id, out, len(b), st)
		}
		<-tick.C
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
