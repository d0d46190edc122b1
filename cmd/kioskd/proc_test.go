package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kioskdBin is the kioskd binary built once for the tests of this package:
// the tests run the real process, as on a board.
var kioskdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kioskd-test")
	if err != nil {
		panic(err)
	}
	kioskdBin = filepath.Join(dir, "kioskd")
	out, err := exec.Command("go", "build", "-o", kioskdBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build kioskd: %v\n%s", err, out)
		os.Exit(1)
	}
	centraldBin = filepath.Join(dir, "centrald")
	if out, err := exec.Command("go", "build", "-o", centraldBin, "../centrald").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build centrald: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running kioskd.
type proc struct {
	cmd    *exec.Cmd
	URL    string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
	err    error
}

// start runs kioskd on dir and waits until it serves. wrap, if set, is a
// command prefix (e.g. prlimit) to run kioskd under.
func start(t testing.TB, dir string, wrap ...string) *proc {
	t.Helper()
	p, err := startProc(dir, wrap, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	return p
}

// startArgs runs kioskd on dir with extra flags.
func startArgs(t testing.TB, dir string, extra ...string) *proc {
	t.Helper()
	p, err := startProc(dir, nil, extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	return p
}

func startProc(dir string, wrap, extra []string) (*proc, error) {
	return startBin(kioskdBin, dir, wrap, extra)
}

// startBin runs the kioskd binary bin (another build than kioskdBin).
func startBin(bin, dir string, wrap, extra []string) (*proc, error) {
	args := append(wrap, bin, "-data", dir, "-listen", "127.0.0.1:0", "-cpc", "ISF", "-kiosk", "1")
	args = append(args, extra...)
	p := &proc{cmd: exec.Command(args[0], args[1:]...), exited: make(chan struct{})}
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.stderr.Write(line)
			p.stderr.WriteByte('\n')
			p.mu.Unlock()
			var m struct{ Msg, Addr string }
			if json.Unmarshal(line, &m) == nil && m.Msg == "kioskd serving" {
				addr <- m.Addr
			}
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	select {
	case a := <-addr:
		p.URL = "http://" + a
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("kioskd exited at start: %v\n%s", p.err, p.Stderr())
	case <-time.After(20 * time.Second):
		p.kill()
		return nil, fmt.Errorf("kioskd did not start in 20s\n%s", p.Stderr())
	}
}

func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// run starts kioskd expecting it to exit by itself; it returns the exit
// code, stderr and how long it ran.
func run(t *testing.T, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(kioskdBin, args...)
	var out bytes.Buffer
	cmd.Stderr = &out
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("kioskd %v did not exit\n%s", args, out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), time.Since(begin)
}

var client = &http.Client{Timeout: 60 * time.Second}

func post(url, body string) (int, []byte, error) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func reportBody(tag string) string {
	return fmt.Sprintf(`{"category":"theft","lang":"tg","reporter":{"full_name":"Ҷамшед Қодиров","phone":"+992931234567"},`+
		`"incident":{"place":"Истаравшан","description":"Ҳамёнамро дуздиданд %s"}}`, tag)
}

type created struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	AccessCode string `json:"access_code"`
}
