package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk/admin"
	"cpckiosk/kiosk/daemon"
)

// staffAPI is a logged-in staff member of a running kioskd.
type staffAPI struct {
	t       *testing.T
	url     string
	cookies []*http.Cookie
	csrf    string
}

func staffLogin(t *testing.T, url, user, pass string) *staffAPI {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/session", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("login %s: %d %v", user, resp.StatusCode, err)
	}
	return &staffAPI{t: t, url: url, cookies: resp.Cookies(), csrf: rep.CSRF}
}

func (s *staffAPI) do(method, path, body string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	for _, c := range s.cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Training mode on the real processes: kioskd enrolled with a running
// centrald. A training report gets a T number and a receipt marked
// TRAINING; the real report of the same minute reaches the central, the
// training one never does; training mode survives SIGKILL; ending it
// deletes DATA/training with the training receipts, and the audit trail
// (checked by kioskctl) holds the switch.
func TestTrainingModeOnRealKioskd(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes")
	}
	c := startCentral(t)
	dir := t.TempDir()
	enroll(t, c, dir, 1)
	args := []string{"-central", c.URL(), "-relay-poll", "100ms", "-printer", "sim"}
	p := startArgs(t, dir, args...)
	var out, errb bytes.Buffer
	if code := admin.RunUser(context.Background(), []string{"add", "-data", dir, "-role", "admin", "-name", "Маъмур", "admin1"},
		strings.NewReader("admin pass 1\n"), &out, &errb); code != 0 {
		t.Fatalf("kioskctl user add: %d %s", code, errb.String())
	}
	a := staffLogin(t, p.URL, "admin1", "admin pass 1")
	if code, body := a.do(http.MethodPost, "/api/v1/staff/training", `{"on":true}`); code != http.StatusOK || !strings.Contains(string(body), `"on":true`) {
		t.Fatalf("training on: %d %s", code, body)
	}
	code, body, err := post(p.URL+"/api/v1/reports", reportBody("training"))
	var tr created
	if err != nil || code != http.StatusCreated || json.Unmarshal(body, &tr) != nil || !strings.Contains(tr.Number, "-T0000") {
		t.Fatalf("training report: %d %s %v", code, body, err)
	}
	// Its receipt, in the training directory, says TRAINING.
	jobs, _ := filepath.Glob(filepath.Join(dir, daemon.TrainingDir, "printer", "job-*.bin"))
	if len(jobs) == 0 {
		t.Fatalf("no training receipt in %s", filepath.Join(dir, daemon.TrainingDir, "printer"))
	}
	if b, _ := os.ReadFile(jobs[0]); !bytes.Contains(b, []byte("TRAINING")) {
		t.Fatal("the training receipt does not say TRAINING")
	}
	home := page(t, p.URL+"/")
	if !strings.Contains(home, `id="training-banner"`) {
		t.Fatal("no banner on the home screen in training mode")
	}
	if h := page(t, p.URL+"/healthz"); !strings.Contains(h, `"training":true`) {
		t.Fatalf("healthz does not say training: %s", h)
	}

	// SIGKILL, restart: still in training mode, the training report is there.
	p.kill()
	p = startArgs(t, dir, args...)
	if !strings.Contains(page(t, p.URL+"/"), `id="training-banner"`) {
		t.Fatal("training mode lost by a restart")
	}
	code, body, _ = post(p.URL+"/api/v1/reports/"+tr.Number+"/lookup", `{"access_code":"`+tr.AccessCode+`"}`)
	if code != http.StatusOK {
		t.Fatalf("training report after restart: %d %s", code, body)
	}

	a = staffLogin(t, p.URL, "admin1", "admin pass 1")
	if code, body := a.do(http.MethodPost, "/api/v1/staff/training", `{"on":false}`); code != http.StatusOK || !strings.Contains(string(body), `"on":false`) {
		t.Fatalf("training off: %d %s", code, body)
	}
	code, body, _ = post(p.URL+"/api/v1/reports", reportBody("real"))
	var real created
	if code != http.StatusCreated || json.Unmarshal(body, &real) != nil || strings.Contains(real.Number, "T") {
		t.Fatalf("real report: %d %s", code, body)
	}
	if strings.Contains(page(t, p.URL+"/"), `id="training-banner"`) {
		t.Fatal("banner after training mode ended")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs := c.reports(t)
		for _, r := range rs {
			if strings.Contains(r.Number, "T") {
				t.Fatalf("the central got training report %s", r.Number)
			}
		}
		if len(rs) == 1 && rs[0].Number == real.Number {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the real report did not reach the central: %+v", rs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		_, err := os.Stat(filepath.Join(dir, daemon.TrainingDir))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("training directory not deleted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body, _ := post(p.URL+"/api/v1/reports/"+tr.Number+"/lookup", `{"access_code":"`+tr.AccessCode+`"}`); code != http.StatusNotFound {
		t.Fatalf("training report after the end: %d %s", code, body)
	}
	code, body = a.do(http.MethodGet, "/api/v1/staff/audit?action=training.", "")
	if code != http.StatusOK || !strings.Contains(string(body), `"training.end"`) || !strings.Contains(string(body), "deleted 1 training reports") {
		t.Fatalf("audit of the switch: %d %s", code, body)
	}
	out.Reset()
	if code := admin.RunAudit(context.Background(), []string{"-data", dir}, &out, &errb); code != 0 {
		t.Fatalf("kioskctl audit: %d %s %s", code, out.String(), errb.String())
	}
}

// page is the body of a GET.
func page(t *testing.T, url string) string {
	t.Helper()
	_, body := get(t, url)
	return body
}
