package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"cpckiosk/kiosk/admin"
)

// The staff console on the real process: an account added with kioskctl
// through the running kioskd's control socket logs in over HTTP, and
// disabling it with kioskctl ends its session at the next request.
func TestStaffLoginOnRealKioskd(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	ctl := func(stdin string, args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := admin.RunUser(context.Background(), args, strings.NewReader(stdin), &out, &errb); code != 0 {
			t.Fatalf("kioskctl user %v: exit %d: %s", args, code, errb.String())
		}
	}
	ctl("officer pass 1\n", "add", "-data", dir, "-role", "officer", "-name", "Раҳимов Ф.", "rahimov")

	code, body, err := post(p.URL+"/api/v1/session", `{"username":"rahimov","password":"officer pass 1"}`)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("login: %d %s %v", code, body, err)
	}
	var rep struct {
		Role string `json:"role"`
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &rep); err != nil || rep.Role != "officer" || rep.CSRF == "" {
		t.Fatalf("login reply %s: %v", body, err)
	}
	if code, _, _ := post(p.URL+"/api/v1/session", `{"username":"rahimov","password":"wrong one"}`); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	// The cookie from a fresh login, then whoami.
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/v1/session", strings.NewReader(`{"username":"rahimov","password":"officer pass 1"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	whoami := func() int {
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/v1/session", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := whoami(); c != http.StatusOK {
		t.Fatalf("whoami: %d", c)
	}
	ctl("", "disable", "-data", dir, "rahimov")
	if c := whoami(); c != http.StatusUnauthorized {
		t.Fatalf("whoami after kioskctl user disable: %d, want 401", c)
	}
	if strings.Contains(p.Stderr(), "officer pass 1") {
		t.Fatal("the password is in kioskd's log")
	}
}
