package central

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMainUsage(t *testing.T) {
	t.Setenv(TokenEnv, "")
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no operator token", []string{"-data", t.TempDir(), "-listen", "127.0.0.1:0"}, 2, "operator token"},
		{"bad log format", []string{"-log", "xml", "-operator-token", "x"}, 2, "text or json"},
		{"stray argument", []string{"-operator-token", "x", "serve"}, 2, "unexpected argument"},
		{"unknown flag", []string{"-port", "1"}, 2, "flag provided but not defined"},
		{"token without kiosk", []string{"token", "-data", t.TempDir(), "-cpc", "ISF"}, 2, "usage"},
		{"token with a bad CPC", []string{"token", "-data", t.TempDir(), "-cpc", "isf1", "-kiosk", "1"}, 2, "three capital"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(context.Background(), tc.args, &out, &errb); code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, errb.String())
			}
			contains(t, errb.String(), tc.says)
		})
	}
}

func TestMainServeAndToken(t *testing.T) {
	dir := t.TempDir()
	// Offline: a token on stdout, usable after the server starts.
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"token", "-data", dir, "-cpc", "ISF", "-kiosk", "1"}, &out, &errb); code != 0 {
		t.Fatalf("token: exit %d: %s", code, errb.String())
	}
	if tok := strings.TrimSpace(out.String()); len(tok) != 32 {
		t.Fatalf("token output %q", out.String())
	}

	t.Setenv(TokenEnv, "from-the-environment")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"-data", dir, "-listen", "127.0.0.1:0", "-log", "json", "-clock-offset", "-1h"}, io.Discard, stderr)
	}()
	var addr string
	for deadline := time.Now().Add(5 * time.Second); addr == "" && time.Now().Before(deadline); {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "centrald listening on "); ok {
				addr = a
			}
		}
		select {
		case code := <-done:
			t.Fatalf("centrald exited %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if addr == "" {
		t.Fatalf("no listening line: %s", stderr.String())
	}
	// While it runs, the offline token command refers to the API.
	errb.Reset()
	if code := Main(context.Background(), []string{"token", "-data", dir, "-cpc", "ISF", "-kiosk", "1"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "POST /api/v1/tokens") {
		t.Errorf("token while running: exit %d: %s", code, errb.String())
	}
	// The environment's operator token works; the clock offset shows.
	hr, _ := http.NewRequest("GET", addr+"/api/v1/stats", nil)
	hr.Header.Set("Authorization", "Bearer from-the-environment")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("stats: %d", resp.StatusCode)
	}
	resp, err = http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Time time.Time }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if d := time.Until(h.Time); d > -59*time.Minute || d < -61*time.Minute {
		t.Errorf("central time %v is not an hour behind", h.Time)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel: %s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit within 5 s of cancel")
	}
	if strings.Contains(stderr.String(), "from-the-environment") {
		t.Error("the operator token is in the log")
	}
}
