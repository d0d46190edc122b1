package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/firmware/update/updatetest"
	"cpckiosk/kiosk/relay"
)

// buildAll builds the programs of a release in parallel: kioskd with each
// version, and kioskctl.
func buildAll(t *testing.T, dir string, versions ...string) (kioskd map[string]string, kioskctl string) {
	t.Helper()
	kioskd = map[string]string{}
	type job struct{ out, pkg, ldflags string }
	var jobs []job
	for _, v := range versions {
		kioskd[v] = filepath.Join(dir, "kioskd-"+v)
		jobs = append(jobs, job{kioskd[v], ".", "-s -w -X cpckiosk/kiosk/daemon.Version=" + v})
	}
	kioskctl = filepath.Join(dir, "kioskctl")
	jobs = append(jobs, job{kioskctl, "../kioskctl", "-s -w"})
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command("go", "build", "-ldflags", j.ldflags, "-o", j.out, j.pkg).CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("build %s: %v\n%s", j.out, err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return kioskd, kioskctl
}

// freeAddr returns a loopback address nobody listens on: kioskd must come
// back on the same one after the update restarts it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type kioskHealth struct {
	Version string              `json:"version"`
	Update  *relay.UpdateHealth `json:"update"`
}

func healthOf(url string) (kioskHealth, error) {
	var h kioskHealth
	resp, err := client.Get(url + "/healthz")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// The central path of updates, end to end with the real programs: an
// operator publishes signed releases at a real centrald (which verifies
// them); a real kioskd 1.0.0, running from the slot root as on a board, is
// offered each with its next updates pull, downloads it and writes the
// ready file; then the board's apply-update.sh, as the root service would,
// runs the slot's real kioskctl, which installs the release in the other
// slot and restarts kioskd (the restart command kills kioskd and starts the
// current slot's, as systemctl restart does on a board).
//
// First 1.0.5, whose kioskd does not start: the probation fails, 1.0.0 is
// back, the central sees the rollback and kioskd does not fetch 1.0.5 again.
// Then 1.1.0: confirmed, and the central sees it and offers nothing more.
func TestUpdateFromCentral(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real programs")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	work := t.TempDir()
	kioskds, kioskctl := buildAll(t, work, "1.0.0", "1.1.0")
	keys, err := updatetest.NewKeys(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(work, "update-root.pub")
	if err := keys.WriteTrust(trust); err != nil {
		t.Fatal(err)
	}
	arch := update.DeviceArch()
	kc, err := os.ReadFile(kioskctl)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(version string, kd []byte) string {
		out := filepath.Join(work, "cpc-kiosk-"+version+".tar")
		if _, err := keys.Bundle(out, update.SignOptions{Version: version, Arch: arch, Created: time.Now().Add(-time.Minute)},
			map[string][]byte{"kioskd": kd, "kioskctl": kc}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	binary := func(version string) []byte {
		b, err := os.ReadFile(kioskds[version])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// The board: 1.0.0 installed in slot a.
	root := filepath.Join(work, "opt")
	first := &update.Updater{Root: root, Trust: keys.Trust(), Restart: update.RestartFunc(func(context.Context) error { return nil }),
		Health: update.HealthFunc(func(context.Context) (string, error) { return "1.0.0", nil })}
	if _, err := first.Apply(context.Background(), sign("1.0.0", binary("1.0.0"))); err != nil {
		t.Fatalf("install 1.0.0: %v", err)
	}

	c := startCentral(t, "-update-trust", trust)
	data := t.TempDir()
	enroll(t, c, data, 1)
	addr := freeAddr(t)
	url := "http://" + addr
	args := []string{"-listen", addr, "-central", c.URL(), "-relay-poll", "100ms", "-printer", "none",
		"-update-root", root, "-update-trust", trust, "-log", "json"}
	k, err := startBin(filepath.Join(root, "current", "kioskd"), data, nil, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.kill)
	if h, err := healthOf(url); err != nil || h.Version != "1.0.0" {
		t.Fatalf("kioskd 1.0.0: %+v %v", h, err)
	}

	// The restart command: what systemctl restart kioskd does on a board.
	pidFile := filepath.Join(work, "kioskd.pid")
	os.WriteFile(pidFile, []byte(strconv.Itoa(k.cmd.Process.Pid)), 0o600)
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	kioskdLog := filepath.Join(work, "kioskd-restarted.log")
	restart := filepath.Join(work, "restart-kioskd")
	script := fmt.Sprintf(`#!/bin/sh
pid=$(cat %[1]s)
kill "$pid" 2>/dev/null
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
%[2]s/current/kioskd -data %[3]s -cpc ISF -kiosk 1 %[4]s </dev/null >>%[5]s 2>&1 &
echo $! >%[1]s
`, pidFile, root, data, strings.Join(args, " "), kioskdLog)
	if err := os.WriteFile(restart, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	logs := func() string {
		b, _ := os.ReadFile(kioskdLog)
		return "kioskd 1.0.0 (first):\n" + tail(k.Stderr(), 2000) + "\nrestarted kioskd:\n" + tail(string(b), 3000)
	}

	updates := filepath.Join(data, relay.UpdatesDir)
	// publishAndFetch publishes a bundle and waits for kioskd to hand it over.
	publishAndFetch := func(version, bundle string) string {
		t.Helper()
		b, _ := os.ReadFile(bundle)
		req, _ := http.NewRequest("POST", c.URL()+"/api/v1/releases", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+opToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"verified":true`) {
			t.Fatalf("publish %s: %d %s", version, resp.StatusCode, body)
		}
		name := relay.BundleName(version, arch)
		deadline := time.Now().Add(30 * time.Second)
		for {
			if b, err := os.ReadFile(filepath.Join(updates, relay.ReadyFile)); err == nil {
				if string(b) != name+"\n" {
					t.Fatalf("ready names %q, want %s", b, name)
				}
				break
			}
			if time.Now().After(deadline) {
				h, _ := healthOf(url)
				t.Fatalf("no ready file for %s after 30 s; update health %+v\n%s", version, h.Update, logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
		vb, err := update.Verify(filepath.Join(updates, name), keys.Trust(), time.Now(), update.Limits{})
		if err != nil || vb.Manifest.Version != version || vb.Manifest.Arch != arch {
			t.Fatalf("the bundle kioskd handed over: %v", err)
		}
		if h, _ := healthOf(url); h.Update == nil || !strings.Contains(h.Update.Fetch, "handed "+name) {
			t.Errorf("/healthz update after the download: %+v", h.Update)
		}
		return name
	}
	// applyReady runs what cpc-kiosk-update.service runs.
	applyReady := func(probation string) (string, error) {
		cmd := exec.Command("bash", "../../firmware/board/apply-update.sh")
		cmd.Env = append(os.Environ(), "CPC_KIOSK_ROOT="+root, "CPC_KIOSK_DATA="+data, "CPC_KIOSK_TRUST="+trust,
			"CPC_KIOSK_APPLY_FLAGS=-restart "+restart+" -health "+url+"/healthz -probation "+probation+" -poll 100ms -wait 20s")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	cleanedUp := func(name string) {
		t.Helper()
		for _, f := range []string{relay.ReadyFile, name} {
			if _, err := os.Stat(filepath.Join(updates, f)); err == nil {
				t.Errorf("apply-update.sh left %s", f)
			}
		}
	}
	// centralSees waits for the central to show the device's update so.
	centralSees := func(what string, ok func(h *relay.DeviceHealth) bool) *relay.DeviceHealth {
		t.Helper()
		var devs struct {
			Devices []struct {
				Health *relay.DeviceHealth `json:"health"`
			} `json:"devices"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			c.op("GET", "/api/v1/devices", nil, &devs)
			if len(devs.Devices) == 1 && devs.Devices[0].Health != nil && devs.Devices[0].Health.Update != nil && ok(devs.Devices[0].Health) {
				return devs.Devices[0].Health
			}
			if time.Now().After(deadline) {
				h := "none"
				if len(devs.Devices) == 1 && devs.Devices[0].Health != nil {
					h = fmt.Sprintf("%+v update %+v", *devs.Devices[0].Health, devs.Devices[0].Health.Update)
				}
				t.Fatalf("the central does not see %s: %s", what, h)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// 1.0.5: its kioskd never starts.
	name := publishAndFetch("1.0.5", sign("1.0.5", []byte("#!/bin/sh\necho 'kioskd 1.0.5: broken' >&2\nexit 1\n")))
	out, err := applyReady("3s")
	if exitCode(err) != 1 || !strings.Contains(out, "rolled back to 1.0.0") {
		t.Fatalf("apply-update.sh with a broken release: %v\n%s\n%s", err, out, logs())
	}
	cleanedUp(name)
	st, _, _ := update.ReadState(root)
	if st.Phase != update.PhaseRolledBack || st.Version != "1.0.0" || st.FailedVersion != "1.0.5" || st.Active != "a" {
		t.Fatalf("state after the rollback: %+v", st)
	}
	var h kioskHealth
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if h, err = healthOf(url); err == nil && h.Update != nil && strings.Contains(h.Update.Fetch, "not installing 1.0.5") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("kioskd after the rollback: %+v %+v %v\n%s", h, h.Update, err, logs())
		}
	}
	if h.Version != "1.0.0" || h.Update.Phase != "rolled_back" || !strings.Contains(h.Update.LastApply, name+" exit 1") {
		t.Errorf("kioskd after the rollback: %+v %+v", h, h.Update)
	}
	centralSees("the rollback", func(h *relay.DeviceHealth) bool {
		return h.Update.Phase == "rolled_back" && h.Update.FailedVersion == "1.0.5" && strings.Contains(h.Update.Reason, "did not report healthy")
	})
	time.Sleep(500 * time.Millisecond) // five more pulls, each offering 1.0.5
	if ents, _ := os.ReadDir(updates); len(ents) != 1 || ents[0].Name() != relay.HistoryFile {
		t.Errorf("kioskd fetched the rolled back release again: %v", ents)
	}

	// 1.1.0 works.
	name = publishAndFetch("1.1.0", sign("1.1.0", binary("1.1.0")))
	if out, err := applyReady("30s"); err != nil {
		t.Fatalf("apply-update.sh: %v\n%s\n%s", err, out, logs())
	}
	cleanedUp(name)
	st, _, err = update.ReadState(root)
	if err != nil || st.Phase != update.PhaseConfirmed || st.Version != "1.1.0" || st.Active != "b" || st.PreviousVersion != "1.0.0" {
		t.Fatalf("state after the update: %+v %v", st, err)
	}
	res, _ := os.ReadFile(filepath.Join(root, relay.ApplyResultFile))
	if !strings.Contains(string(res), name+" exit 0: updated 1.0.0 -> 1.1.0 (slot b)") {
		t.Errorf("apply-result %q", res)
	}
	h, err = healthOf(url)
	if err != nil || h.Version != "1.1.0" || h.Update == nil || h.Update.Phase != "confirmed" || h.Update.Version != "1.1.0" {
		t.Errorf("kioskd after the update: %+v %+v %v", h, h.Update, err)
	}
	dh := centralSees("1.1.0 confirmed", func(h *relay.DeviceHealth) bool {
		return h.Version == "1.1.0" && h.Update.Phase == "confirmed"
	})
	if dh.Update.Fetch != "" || dh.Arch != arch || dh.Update.FailedVersion != "1.0.5" {
		t.Errorf("the central's view after the update: %+v", dh.Update)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
