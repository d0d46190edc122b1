// Command kioskbench measures kioskd as a user meets it: a real kioskd
// process on a real disk, driven over HTTP on loopback. make bench runs it
// and prints the table quoted in issue notes. Figures are medians and
// percentiles of many requests; nothing here asserts a timing.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cpckiosk/kiosk/store"
)

func main() {
	bin := flag.String("kioskd", "", "kioskd binary to measure (built from ./cmd/kioskd when empty)")
	dir := flag.String("dir", "", "directory on the disk to measure (a temporary one when empty)")
	total := flag.Int("reports", 10000, "reports in the database for the RSS and size figures")
	sustain := flag.Duration("sustain", 10*time.Second, "duration of the sustained-throughput run")
	idle := flag.Duration("idle", 60*time.Second, "how long to watch an idle kioskd for its CPU and RSS")
	flag.Parse()
	if err := run(*bin, *dir, *total, *sustain, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "kioskbench:", err)
		os.Exit(1)
	}
}

type row struct{ name, value, target string }

func run(bin, dir string, total int, sustain, idle time.Duration) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "kioskbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if bin == "" {
		bin = filepath.Join(dir, "kioskd")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/kioskd").CombinedOutput(); err != nil {
			return fmt.Errorf("build kioskd: %v\n%s", err, out)
		}
	}
	var rows []row
	add := func(name, value, target string) {
		rows = append(rows, row{name, value, target})
		fmt.Fprintf(os.Stderr, "  %-52s %s\n", name, value)
	}

	fsyncs, err := fsyncRate(dir, 2*time.Second)
	if err != nil {
		return err
	}
	add("raw fsync rate of the data disk (4 KiB write+fdatasync)", fmt.Sprintf("%.0f /s", fsyncs), "")

	cold, err := coldStart(bin, filepath.Join(dir, "cold"), 7)
	if err != nil {
		return err
	}
	add("cold start to first 200 on /healthz (empty, median of 7)", ms(cold), "< 150 ms")

	// The report path is measured without a printer: a receipt is printed
	// after the commit and measured on its own below.
	data := filepath.Join(dir, "data")
	k, err := startKioskd(bin, data, "-printer", "none")
	if err != nil {
		return err
	}
	defer k.stop()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

	var codes []created
	lat1, got, err := load(c, k.url, 1, 1000, 0)
	if err != nil {
		return err
	}
	codes = append(codes, got...)
	add("create latency, 1 client p50 / p99 (1000 reports)", ms(pct(lat1, 50))+" / "+ms(pct(lat1, 99)), "p50 < 2 ms")

	lat8, got, err := load(c, k.url, 8, 250, 0)
	if err != nil {
		return err
	}
	codes = append(codes, got...)
	add("create latency, 8 clients p50 / p99 (2000 reports)", ms(pct(lat8, 50))+" / "+ms(pct(lat8, 99)), "")

	cpu0, _ := cpuTime(k.cmd.Process.Pid)
	latS, got, err := load(c, k.url, 8, 0, sustain)
	if err != nil {
		return err
	}
	cpu1, _ := cpuTime(k.cmd.Process.Pid)
	codes = append(codes, got...)
	rate := float64(len(latS)) / sustain.Seconds()
	add(fmt.Sprintf("sustained creation, 8 clients for %v", sustain), fmt.Sprintf("%.0f reports/s", rate), ">= 1500 /s")
	add("  as a multiple of the raw fsync rate", fmt.Sprintf("%.2f reports per fsync", rate/fsyncs), "")
	add("  kioskd CPU during that run (cores busy, of 2)", fmt.Sprintf("%.2f", (cpu1-cpu0).Seconds()/sustain.Seconds()), "")

	if n := total - len(codes); n > 0 {
		_, got, err := load(c, k.url, 8, (n+7)/8, 0)
		if err != nil {
			return err
		}
		codes = append(codes, got...)
	}

	latL, err := lookups(c, k.url, codes, 300)
	if err != nil {
		return err
	}
	add("lookup latency with argon2id check, p50 / p99 (300)", ms(pct(latL, 50))+" / "+ms(pct(latL, 99)), "")

	st, err := procStatus(k.cmd.Process.Pid)
	if err != nil {
		return err
	}
	add(fmt.Sprintf("peak RSS of kioskd after %d reports", len(codes)), fmt.Sprintf("%.1f MB", float64(st["VmHWM"])/1e6), "< 40 MB")
	add("  RSS now: anonymous (Go heap, stacks) / file-backed (bbolt map, binary)",
		fmt.Sprintf("%.1f MB / %.1f MB", float64(st["RssAnon"])/1e6, float64(st["RssFile"])/1e6), "")
	k.stop()
	s, err := store.Open(data, store.Options{})
	if err != nil {
		return err
	}
	file, used, err := s.Usage()
	s.Close()
	if err != nil {
		return err
	}
	add("database bytes per report (pages in use / file size)", fmt.Sprintf("%.0f B / %.0f B (file %.1f MB)",
		float64(used)/float64(len(codes)), float64(file)/float64(len(codes)), float64(file)/1e6), "")

	coldFull, err := coldStartOn(bin, data, 5)
	if err != nil {
		return err
	}
	add(fmt.Sprintf("cold start to first 200 on /healthz (%d reports)", len(codes)), ms(coldFull), "< 150 ms")

	if idle > 0 {
		ki, err := startKioskd(bin, data, "-printer", "sim")
		if err != nil {
			return err
		}
		time.Sleep(2 * time.Second) // past start-up
		c0, _ := cpuTime(ki.cmd.Process.Pid)
		time.Sleep(idle)
		c1, _ := cpuTime(ki.cmd.Process.Pid)
		st, err := procStatus(ki.cmd.Process.Pid)
		ki.stop()
		if err != nil {
			return err
		}
		add(fmt.Sprintf("idle kioskd over %v (%d reports, not enrolled): CPU / RSS", idle, len(codes)),
			fmt.Sprintf("%.2f%% of a core / %.1f MB", 100*(c1-c0).Seconds()/idle.Seconds(), float64(st["VmRSS"])/1e6), "")
	}

	// With the simulated printer the reply waits for the receipt: encode,
	// interpret, render the PNG, write both files with fsync.
	ks, err := startKioskd(bin, filepath.Join(dir, "sim"), "-printer", "sim", "-receipt-wait", "30s")
	if err != nil {
		return err
	}
	latP, _, err := load(c, ks.url, 1, 100, 0)
	ks.stop()
	if err != nil {
		return err
	}
	add("create + receipt printed by the simulator (PNG), p50 / p99", ms(pct(latP, 50))+" / "+ms(pct(latP, 99)), "")

	fmt.Println("| measure | value | target |")
	fmt.Println("|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.name, r.value, r.target)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, len(s)*p/100)]
}

// fsyncRate measures how many 4 KiB write + fdatasync pairs the disk under
// dir completes per second: the ceiling for one-at-a-time durable commits.
func fsyncRate(dir string, d time.Duration) (float64, error) {
	f, err := os.CreateTemp(dir, "fsync")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := bytes.Repeat([]byte{1}, 4096)
	n := 0
	begin := time.Now()
	for time.Since(begin) < d {
		if _, err := f.WriteAt(buf, int64(n%256)*4096); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(begin).Seconds(), nil
}

type kioskd struct {
	cmd  *exec.Cmd
	url  string
	once sync.Once
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startKioskd(bin, data string, extra ...string) (*kioskd, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"-data", data, "-listen", addr, "-cpc", "ISF", "-kiosk", "1"}, extra...)...)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	k := &kioskd{cmd: cmd, url: "http://" + addr}
	if _, err := waitHealthy(k.url, 20*time.Second); err != nil {
		k.stop()
		return nil, err
	}
	return k, nil
}

func (k *kioskd) stop() {
	k.once.Do(func() {
		k.cmd.Process.Signal(os.Interrupt)
		k.cmd.Wait()
	})
}

func waitHealthy(url string, limit time.Duration) (time.Duration, error) {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	begin := time.Now()
	for time.Since(begin) < limit {
		resp, err := c.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(begin), nil
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return 0, errors.New("kioskd did not become healthy")
}

// coldStart measures process start to first 200 on fresh data dirs.
func coldStart(bin, base string, n int) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		d, err := coldStartOn(bin, filepath.Join(base, strconv.Itoa(i)), 1)
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	return pct(ds, 50), nil
}

func coldStartOn(bin, data string, n int) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		addr, err := freePort()
		if err != nil {
			return 0, err
		}
		cmd := exec.Command(bin, "-data", data, "-listen", addr, "-cpc", "ISF", "-kiosk", "1")
		cmd.Stderr = io.Discard
		begin := time.Now()
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		_, err = waitHealthy("http://"+addr, 20*time.Second)
		d := time.Since(begin)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	return pct(ds, 50), nil
}

type created struct {
	Number     string `json:"number"`
	AccessCode string `json:"access_code"`
}

const body = `{"category":"theft","lang":"tg","reporter":{"full_name":"Ҷамшед Қодиров","phone":"+992931234567","address":"Истаравшан, кӯчаи Ленин 12"},` +
	`"incident":{"occurred_at":"2026-05-01T10:00:00+05:00","place":"бозори марказӣ","description":"Дирӯз соати 18 дар бозор ҳамёнамро дуздиданд. Дар он шиноснома ва 300 сомонӣ буд."}}`

// load runs clients concurrently, each creating per reports (or, with
// per == 0, as many as fit in dur), and returns every latency.
func load(c *http.Client, url string, clients, per int, dur time.Duration) ([]time.Duration, []created, error) {
	var mu sync.Mutex
	var lats []time.Duration
	var made []created
	var firstErr error
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; (per > 0 && i < per) || (per == 0 && time.Now().Before(deadline)); i++ {
				begin := time.Now()
				resp, err := c.Post(url+"/api/v1/reports", "application/json", strings.NewReader(body))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				var cr created
				err = json.NewDecoder(resp.Body).Decode(&cr)
				resp.Body.Close()
				d := time.Since(begin)
				mu.Lock()
				if resp.StatusCode != 201 || err != nil {
					firstErr = fmt.Errorf("create: status %d: %v", resp.StatusCode, err)
					mu.Unlock()
					return
				}
				lats = append(lats, d)
				made = append(made, cr)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lats, made, firstErr
}

func lookups(c *http.Client, url string, codes []created, n int) ([]time.Duration, error) {
	var lats []time.Duration
	for i := 0; i < n && i < len(codes); i++ {
		cr := codes[len(codes)-1-i]
		begin := time.Now()
		resp, err := c.Post(url+"/api/v1/reports/"+cr.Number+"/lookup", "application/json",
			strings.NewReader(`{"access_code":"`+cr.AccessCode+`"}`))
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("lookup %s: status %d", cr.Number, resp.StatusCode)
		}
		lats = append(lats, time.Since(begin))
	}
	return lats, nil
}

// procStatus reads the memory lines of /proc/PID/status, in bytes.
func procStatus(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				out[strings.TrimSuffix(f[0], ":")] = kb * 1024
			}
		}
	}
	if out["VmHWM"] == 0 {
		return nil, errors.New("no VmHWM in /proc status")
	}
	return out, nil
}

// cpuTime reads a process's user+system CPU time from /proc.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}
