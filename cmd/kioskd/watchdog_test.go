package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cpckiosk/kiosk/admin"
)

// kioskd under a systemd-like supervisor: it says READY=1 once it serves,
// feeds the watchdog while healthy and says STOPPING=1 on SIGTERM. Its
// control socket tells an updater when a citizen is at the kiosk.
func TestSystemdNotifyAndBusy(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 256)
		for {
			n, _, err := ln.ReadFromUnix(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	cmd := exec.Command(kioskdBin, "-data", dir, "-listen", "127.0.0.1:0", "-cpc", "ISF", "-kiosk", "1", "-printer", "none")
	cmd.Env = append(cmd.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=400000")
	pipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			var m struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Msg == "kioskd serving" {
				addr <- m.Addr
			}
		}
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-time.After(20 * time.Second):
		t.Fatal("kioskd did not start")
	}
	next := func() string {
		t.Helper()
		select {
		case m := <-msgs:
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("no sd_notify message")
			return ""
		}
	}
	if m := next(); m != "READY=1" {
		t.Fatalf("first message %q, want READY=1", m)
	}
	for range 3 {
		if m := next(); m != "WATCHDOG=1" {
			t.Fatalf("message %q, want WATCHDOG=1", m)
		}
	}

	busy := func() admin.BusyReply {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", filepath.Join(dir, admin.SocketFile))
		}}}
		resp, err := c.Get("http://kioskd/busy")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b admin.BusyReply
		json.NewDecoder(resp.Body).Decode(&b)
		return b
	}
	if b := busy(); b.Busy {
		t.Errorf("idle kiosk is busy: %+v", b)
	}
	if resp, err := client.Get(url + "/report/category"); err == nil {
		resp.Body.Close()
	}
	if b := busy(); !b.Busy || !strings.Contains(b.Reason, "citizen") {
		t.Errorf("kiosk in use is not busy: %+v", b)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	for {
		m := next()
		if m == "STOPPING=1" {
			break
		}
		if m != "WATCHDOG=1" {
			t.Fatalf("unexpected %q", m)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
}
