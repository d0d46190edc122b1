package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSecondDaemonExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	start(t, dir)
	code, out, took := run(t, "-data", dir, "-listen", "127.0.0.1:0", "-cpc", "ISF", "-kiosk", "1")
	if code != 1 || !strings.Contains(out, "already running") || took > 3*time.Second {
		t.Fatalf("second kioskd: exit %d after %v: %s", code, took, out)
	}
}

func TestRefusesCorruptDatabase(t *testing.T) {
	dir := t.TempDir()
	garbage := bytes.Repeat([]byte("not a database \x00\xff"), 4096)
	db := filepath.Join(dir, "kiosk.db")
	os.WriteFile(db, garbage, 0o600)
	code, out, _ := run(t, "-data", dir, "-cpc", "ISF", "-kiosk", "1")
	if code != 1 || !strings.Contains(out, db) || !strings.Contains(out, "corrupt") || !strings.Contains(out, "mv ") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if b, _ := os.ReadFile(db); sha256.Sum256(b) != sha256.Sum256(garbage) {
		t.Fatal("the corrupt file was modified")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-cpc", "isf", "-kiosk", "1"},
		{"-cpc", "ISF", "-kiosk", "0"},
		{"-kiosk", "1"},
		{"-cpc", "ISF", "-kiosk", "1", "-baud", "1234"},
		{"-cpc", "ISF", "-kiosk", "1", "stray"},
	} {
		if code, out, _ := run(t, append(args, "-data", t.TempDir())...); code != 2 || !strings.Contains(out, "kioskd") {
			t.Errorf("%v: exit %d: %s", args, code, out)
		}
	}
}

// SIGTERM lets requests in flight finish, closes the store and exits 0.
func TestSIGTERM(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	var wg sync.WaitGroup
	results := make(chan int, 40)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				code, _, err := post(p.URL+"/api/v1/reports", reportBody(fmt.Sprint(i, j)))
				if err == nil {
					results <- code
				}
			}
		}(i)
	}
	time.Sleep(20 * time.Millisecond)
	begin := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	took := time.Since(begin)
	wg.Wait()
	close(results)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 || took > 5*time.Second {
		t.Fatalf("exit %d after %v\n%s", code, took, p.Stderr())
	}
	for c := range results {
		if c != 201 {
			t.Errorf("a request answered during shutdown got %d", c)
		}
	}
	// The store was closed cleanly: a new kioskd opens it at once.
	start(t, dir)
}

func TestHealthz(t *testing.T) {
	p := start(t, t.TempDir())
	resp, err := client.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]any
	json.NewDecoder(resp.Body).Decode(&h)
	for _, k := range []string{"status", "version", "printer", "relay", "clock_synced"} {
		if _, ok := h[k]; !ok {
			t.Errorf("healthz lacks %q: %v", k, h)
		}
	}
}

// Logs never carry personal data or access codes.
func TestLogsHoldNoPersonalData(t *testing.T) {
	p := start(t, t.TempDir())
	code, body, err := post(p.URL+"/api/v1/reports", reportBody("secret-tag"))
	if err != nil || code != 201 {
		t.Fatalf("%d %s %v", code, body, err)
	}
	var c created
	json.Unmarshal(body, &c)
	post(p.URL+"/api/v1/reports/"+c.Number+"/lookup", `{"access_code":"`+c.AccessCode+`"}`)
	post(p.URL+"/api/v1/reports/"+c.Number+"/lookup", `{"access_code":"ZZZZ-ZZZZ"}`)
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	logs := p.Stderr()
	for _, s := range []string{"Ҷамшед", "Қодиров", "931234567", "secret-tag", c.AccessCode, strings.ReplaceAll(c.AccessCode, "-", ""), "ZZZZ"} {
		if strings.Contains(logs, s) {
			t.Errorf("log contains %q", s)
		}
	}
	if !strings.Contains(logs, "report created") {
		t.Fatalf("expected log lines missing:\n%s", logs)
	}
}
