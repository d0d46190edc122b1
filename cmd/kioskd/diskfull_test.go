package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// tinyDisk returns a data directory on a filesystem with very little space,
// and a command prefix to run kioskd with. As root it mounts a 1 MiB tmpfs
// (a real ENOSPC); otherwise it limits kioskd's file size with prlimit
// (EFBIG from the kernel). In CI one of the two must work.
func tinyDisk(t *testing.T) (dir string, wrap []string, tmpfs bool) {
	base := t.TempDir()
	mnt := filepath.Join(base, "mnt")
	os.Mkdir(mnt, 0o700)
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err == nil {
			t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
			return filepath.Join(mnt, "data"), nil, true
		} else {
			t.Logf("mount tmpfs: %v %s; falling back to prlimit", err, out)
		}
	}
	if _, err := exec.LookPath("prlimit"); err == nil {
		return filepath.Join(base, "data"), []string{"prlimit", "--fsize=1048576"}, false
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("neither a tmpfs mount nor prlimit is available: cannot simulate a full disk")
	}
	t.Skip("cannot simulate a full disk here (needs root for tmpfs, or prlimit)")
	return
}

// TestDiskFull fills the disk through the API: the reply turns to 503,
// nothing half-written remains, and every acknowledged report survives a
// restart. With the disk reserve (the default) kioskd refuses new reports
// before the store could fail (storage_full); without it the store's own
// ENOSPC/EFBIG handling answers (unavailable).
func TestDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		flags      []string
	}{
		{"reserve", "storage_full", nil},
		{"no reserve", "unavailable", []string{"-disk-reserve-percent", "0", "-disk-reserve-mb", "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) { diskFull(t, tc.code, tc.flags) })
	}
}

func diskFull(t *testing.T, wantCode string, flags []string) {
	dir, wrap, tmpfs := tinyDisk(t)
	if !tmpfs {
		wantCode = "unavailable" // prlimit caps the file, not the file system: the reserve never sees it
	}
	p, err := startProc(dir, wrap, flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	var acked []created
	got503 := false
	filler := strings.Repeat("пур ", 1000) // ~8 KB per report, fills 1 MiB fast
	for i := 0; i < 2000 && !got503; i++ {
		body := fmt.Sprintf(`{"category":"other","anonymous":true,"incident":{"description":"%d %s"}}`, i, filler)
		code, reply, err := post(p.URL+"/api/v1/reports", body)
		if err != nil {
			p.cmd.Process.Signal(syscall.SIGQUIT) // a goroutine dump, to see where it hangs
			<-p.exited
			t.Fatalf("report %d: %v\n%s", i, err, p.Stderr())
		}
		switch code {
		case 201:
			var c created
			json.Unmarshal(reply, &c)
			acked = append(acked, c)
		case 503:
			if !strings.Contains(string(reply), `"`+wantCode+`"`) {
				t.Fatalf("503 body: %s, want code %s", reply, wantCode)
			}
			got503 = true
		default:
			t.Fatalf("report %d: status %d: %s", i, code, reply)
		}
	}
	if !got503 || len(acked) == 0 {
		t.Fatalf("disk never filled: %d acknowledged", len(acked))
	}
	// The daemon keeps serving reads while the disk is full.
	last := acked[len(acked)-1]
	if code, body, _ := post(p.URL+"/api/v1/reports/"+last.Number+"/lookup", `{"access_code":"`+last.AccessCode+`"}`); code != 200 {
		t.Fatalf("lookup on a full disk: %d %s", code, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited

	// Restart on the same full disk: everything acknowledged is there, and
	// only that (no half-written report, no orphan outbox entry).
	p2, err := startProc(dir, wrap, flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p2.kill() })
	for _, c := range acked {
		if code, body, _ := post(p2.URL+"/api/v1/reports/"+c.Number+"/lookup", `{"access_code":"`+c.AccessCode+`"}`); code != 200 {
			t.Fatalf("after restart %s: %d %s", c.Number, code, body)
		}
	}
	resp, err := client.Get(p2.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Relay struct{ Pending int } }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Relay.Pending != len(acked) {
		t.Fatalf("outbox holds %d entries for %d acknowledged reports", h.Relay.Pending, len(acked))
	}
	t.Logf("disk full after %d reports; all %d acknowledged reports intact after restart", len(acked), len(acked))
}
