package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcess runs the real binary: start on a free port, parse the
// listening line, make an enrolment token through the operator API, stop
// with SIGTERM and expect exit 0 within 5 s.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "centrald")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "data")

	// Without an operator token it refuses to start.
	cmd := exec.Command(bin, "-data", data, "-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CENTRAL_OPERATOR_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "operator token") {
		t.Errorf("started without a token: %v %s", err, out)
	}

	cmd = exec.Command(bin, "-data", data, "-listen", "127.0.0.1:0", "-operator-token", "process-test-token")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	addrc := make(chan string, 1)
	readDone := make(chan struct{})
	var logs bytes.Buffer // read only after readDone
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "centrald listening on "); ok {
				addrc <- a
			}
			logs.WriteString(sc.Text() + "\n")
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-readDone:
		t.Fatal("centrald exited before listening")
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10 s")
	}
	if !strings.HasPrefix(addr, "http://127.0.0.1:") {
		t.Fatalf("listening on %q", addr)
	}

	hr, _ := http.NewRequest("POST", addr+"/api/v1/tokens", strings.NewReader(`{"cpc":"ISF","kiosk":1}`))
	hr.Header.Set("Authorization", "Bearer process-test-token")
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(tok.Token) != 32 {
		t.Fatalf("token: %d %+v", resp.StatusCode, tok)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		<-readDone // stderr reaches EOF when the process exits; Wait after the reads
		waited <- cmd.Wait()
	}()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after SIGTERM")
	}
	t.Logf("stopped in %v", time.Since(start))
	if strings.Contains(logs.String(), tok.Token) || strings.Contains(logs.String(), "process-test-token") {
		t.Error("a token is in the log")
	}
	if _, err := os.Stat(filepath.Join(data, "keys", "central.pub")); err != nil {
		t.Error(err)
	}
}
