package relay_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cpckiosk/firmware/health"
	"cpckiosk/firmware/update"
	"cpckiosk/firmware/update/updatetest"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/relay/faultproxy"
)

// signBundle makes a signed bundle of version for arm64 whose kioskd is
// size random (incompressible) bytes.
func signBundle(t *testing.T, keys updatetest.Keys, version string, size int) []byte {
	t.Helper()
	payload := make([]byte, size)
	rand.Read(payload)
	out := filepath.Join(t.TempDir(), "bundle.tar")
	if _, err := keys.Bundle(out, update.SignOptions{Version: version, Arch: "arm64", Created: time.Now().Add(-time.Hour)},
		map[string][]byte{"kioskd": payload, "kioskctl": []byte("#!/bin/sh\n")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publishBundle publishes through the operator API.
func (c *centralSrv) publishBundle(t *testing.T, b []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", c.URL+"/api/v1/releases", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+opToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
}

// releaseLog records the release requests a kiosk sends.
type releaseLog struct {
	next    http.RoundTripper
	mu      sync.Mutex
	offsets []int64
}

func (l *releaseLog) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == relay.PathRelease {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		var rr relay.ReleaseRequest
		json.Unmarshal(b, &rr)
		l.mu.Lock()
		l.offsets = append(l.offsets, rr.Offset)
		l.mu.Unlock()
	}
	return l.next.RoundTrip(req)
}

func (l *releaseLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.offsets)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// runFetcher runs f until the test ends.
func runFetcher(t *testing.T, f *relay.Fetcher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// The whole kiosk path through a link that cuts replies in the middle: the
// worker's updates pull carries the board's version and arch, the central
// offers its release, and the fetcher downloads it in chunks, resuming in
// the middle of a chunk after each cut, until the bundle matches the signed
// offer and verifies; then it writes the ready file.
func TestFetchResumesThroughCuts(t *testing.T) {
	c := newCentral(t, nil)
	keys, _ := updatetest.NewKeys(time.Now())
	b := signBundle(t, keys, "1.1.0", 1500<<10)
	c.publishBundle(t, b)

	proxy := faultproxy.New(c.URL, 11)
	proxy.Set(faultproxy.Faults{Truncate: 0.4, Reset: 0.1, Drop: 0.1})
	ps := httptest.NewServer(proxy)
	defer ps.Close()

	root := t.TempDir() // no state.json: installed, never updated
	log := &releaseLog{}
	const chunk = 256 << 10
	var f *relay.Fetcher
	k := newKiosk(t, c, 1, nil, true, func(w *relay.Worker) {
		w.CentralURL = ps.URL
		log.next = w.HTTP.Transport
		w.HTTP.Transport = log
		w.Health = func() *relay.DeviceHealth { return &relay.DeviceHealth{Version: "1.0.0", Arch: "arm64"} }
		f = &relay.Fetcher{Dir: filepath.Join(w.DataDir, relay.UpdatesDir), DataDir: w.DataDir, Root: root, Arch: "arm64",
			Version: "1.0.0", Trust: keys.Trust(), Chunk: chunk, BaseDelay: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
		w.OnRelease = f.Offer
	})
	runFetcher(t, f)
	k.start()

	ready := filepath.Join(f.Dir, relay.ReadyFile)
	waitFor(t, "the ready file", 30*time.Second, func() bool { _, err := os.Stat(ready); return err == nil })
	name, _ := os.ReadFile(ready)
	if string(name) != relay.BundleName("1.1.0", "arm64")+"\n" {
		t.Fatalf("ready names %q", name)
	}
	got, err := os.ReadFile(filepath.Join(f.Dir, strings.TrimSpace(string(name))))
	if err != nil || sum(got) != sum(b) {
		t.Fatalf("the bundle handed over is not the one published (%d bytes, %v)", len(got), err)
	}
	if _, err := update.Verify(filepath.Join(f.Dir, strings.TrimSpace(string(name))), keys.Trust(), time.Now(), update.Limits{}); err != nil {
		t.Errorf("the updater would refuse it: %v", err)
	}
	if parts, _ := filepath.Glob(filepath.Join(f.Dir, "*.part")); len(parts) > 0 {
		t.Errorf("partial downloads left: %q", parts)
	}
	midChunk := 0
	log.mu.Lock()
	for _, off := range log.offsets {
		if off%chunk != 0 {
			midChunk++
		}
	}
	offsets := append([]int64(nil), log.offsets...)
	log.mu.Unlock()
	pc := proxy.Counts()
	if pc.Truncated == 0 || midChunk == 0 {
		t.Errorf("no download resumed in the middle of a chunk (proxy %+v, offsets %v): the test proves nothing", pc, offsets)
	}
	// Resuming, not starting over: the bytes requested stay near the size.
	if n := len(offsets); n > 60 {
		t.Errorf("%d requests for a %d KiB bundle in %d KiB chunks", n, len(b)>>10, chunk>>10)
	}
	t.Logf("fetch through cuts: %d requests, %d resumed mid-chunk, proxy %+v", len(offsets), midChunk, pc)
	// The status follows the ready file (written first, so that a crash
	// between the two never loses the handover).
	waitFor(t, "the status to say handed", 10*time.Second, statusHas(f, "handed"))
}

// fetchEnv is an enrolled kiosk's client, a central holding one release,
// and what a fetcher needs, without the worker.
type fetchEnv struct {
	c      *centralSrv
	keys   updatetest.Keys
	bundle []byte
	offer  relay.ReleaseOffer
	client *relay.Client
	log    *releaseLog
	dir    string // DATA
	root   string // the slots' root
}

// newFetchEnv publishes a release; through, if set, wraps the way to the
// central (a tampering proxy).
func newFetchEnv(t *testing.T, through func(target string) string) *fetchEnv {
	t.Helper()
	e := &fetchEnv{c: newCentral(t, nil), root: t.TempDir(), log: &releaseLog{next: http.DefaultTransport}}
	e.keys, _ = updatetest.NewKeys(time.Now())
	e.bundle = signBundle(t, e.keys, "1.1.0", 300<<10)
	e.c.publishBundle(t, e.bundle)
	k := newKiosk(t, e.c, 1, nil, true, nil)
	e.dir = k.dir
	en, err := relay.LoadEnrollment(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := relay.LoadKeys(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	u := e.c.URL
	if through != nil {
		u = through(u)
	}
	e.client = &relay.Client{URL: u, HTTP: &http.Client{Transport: e.log, Timeout: 10 * time.Second}, Key: ks.Sign,
		DeviceID: ks.DeviceID, Central: en.CentralSignKey}
	var rep relay.UpdatesReply
	if err := e.client.Call(context.Background(), relay.PathUpdates, relay.UpdatesRequest{
		Health: &relay.DeviceHealth{Version: "1.0.0", Arch: "arm64"}}, &rep); err != nil || rep.Release == nil {
		t.Fatalf("updates: %+v %v", rep, err)
	}
	e.offer = *rep.Release
	if e.offer.SHA256 != sum(e.bundle) {
		t.Fatalf("offer %+v", e.offer)
	}
	return e
}

func (e *fetchEnv) fetcher(edit func(*relay.Fetcher)) *relay.Fetcher {
	f := &relay.Fetcher{Dir: filepath.Join(e.dir, relay.UpdatesDir), DataDir: e.dir, Root: e.root, Arch: "arm64", Version: "1.0.0",
		Trust: e.keys.Trust(), Chunk: 64 << 10, BaseDelay: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	if edit != nil {
		edit(f)
	}
	return f
}

func (e *fetchEnv) writeState(t *testing.T, st update.State) {
	t.Helper()
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(e.root, update.StateFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func statusHas(f *relay.Fetcher, s string) func() bool {
	return func() bool { return strings.Contains(f.Status(), s) }
}

// A man in the middle changes a byte of the (unsigned) bundle bytes: the
// download does not match the signed offer, is discarded and tried again,
// and after MaxTries bad downloads the kiosk gives up on that release.
func TestFetchDiscardsWrongHash(t *testing.T) {
	var tampered atomic.Int64
	e := newFetchEnv(t, func(target string) string {
		u, _ := url.Parse(target)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ModifyResponse = func(resp *http.Response) error {
			if resp.Request.URL.Path != relay.PathRelease || resp.StatusCode != 200 {
				return nil
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			if len(b) > 5000 {
				b[5000] ^= 0x20
				tampered.Add(1)
			}
			resp.Body = io.NopCloser(bytes.NewReader(b))
			return nil
		}
		s := httptest.NewServer(rp)
		t.Cleanup(s.Close)
		return s.URL
	})
	f := e.fetcher(func(f *relay.Fetcher) { f.MaxTries = 2 })
	f.Offer(e.client, &e.offer)
	runFetcher(t, f)
	waitFor(t, "the fetcher to give up", 20*time.Second, statusHas(f, "gave up on 1.1.0 after 2 downloads"))
	n := e.log.count()
	time.Sleep(200 * time.Millisecond)
	if e.log.count() != n {
		t.Errorf("still downloading after giving up")
	}
	ents, _ := os.ReadDir(f.Dir)
	for _, en := range ents {
		if en.Name() != relay.HistoryFile {
			t.Errorf("left in the updates dir: %s", en.Name())
		}
	}
	if tampered.Load() == 0 {
		t.Fatal("the proxy tampered with nothing")
	}
	// After a restart it still knows.
	f2 := e.fetcher(func(f *relay.Fetcher) { f.MaxTries = 2 })
	f2.Offer(e.client, &e.offer)
	runFetcher(t, f2)
	waitFor(t, "the restarted fetcher to remember", 5*time.Second, statusHas(f2, "gave up"))
	if e.log.count() != n {
		t.Errorf("downloaded again after a restart")
	}
}

// What the fetcher never downloads.
func TestFetchSkips(t *testing.T) {
	e := newFetchEnv(t, nil)
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, f *relay.Fetcher)
		want  string
	}{
		{"rolled back here", func(t *testing.T, f *relay.Fetcher) {
			e.writeState(t, update.State{Active: "a", Version: "1.0.0", Phase: update.PhaseRolledBack, FailedVersion: "1.1.0",
				Failure: "1.1.0 did not report healthy within 2m0s", FailedAt: time.Now()})
		}, "not installing 1.1.0: it failed on this board"},
		{"on probation", func(t *testing.T, f *relay.Fetcher) {
			e.writeState(t, update.State{Active: "b", Version: "1.1.0", Phase: update.PhaseProbation})
		}, "on probation"},
		{"ready already", func(t *testing.T, f *relay.Fetcher) {
			os.MkdirAll(f.Dir, 0o700)
			os.WriteFile(filepath.Join(f.Dir, relay.ReadyFile), []byte("cpc-kiosk-1.0.5-arm64.bundle\n"), 0o600)
		}, "handed cpc-kiosk-1.0.5-arm64.bundle to the updater"},
		{"other arch", func(t *testing.T, f *relay.Fetcher) { f.Arch = "armv7" }, "this board is armv7"},
		{"disk reserve", func(t *testing.T, f *relay.Fetcher) { f.Reserve = health.Reserve{Percent: 100} }, "not downloading 1.1.0"},
		{"not newer", func(t *testing.T, f *relay.Fetcher) { f.Version = "1.1.0" }, ""},
		{"development build", func(t *testing.T, f *relay.Fetcher) { f.Version = "dev" }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(e.dir, relay.UpdatesDir))
			os.Remove(filepath.Join(e.root, update.StateFile))
			f := e.fetcher(nil)
			c.setup(t, f)
			before := e.log.count()
			f.Offer(e.client, &e.offer)
			runFetcher(t, f)
			if c.want != "" {
				waitFor(t, "the status", 5*time.Second, statusHas(f, c.want))
			}
			time.Sleep(150 * time.Millisecond)
			if got := e.log.count() - before; got != 0 {
				t.Errorf("%d release requests, want none (status %q)", got, f.Status())
			}
			if c.want == "" && f.Status() != "" {
				t.Errorf("status %q", f.Status())
			}
			if _, err := os.Stat(filepath.Join(f.Dir, relay.BundleName("1.1.0", "arm64"))); err == nil {
				t.Error("a bundle was written")
			}
		})
	}
}

// A bundle signed under another root is downloaded once, refused, and not
// handed to the updater nor downloaded again.
func TestFetchRefusesUntrusted(t *testing.T) {
	e := newFetchEnv(t, nil)
	other, _ := updatetest.NewKeys(time.Now())
	f := e.fetcher(func(f *relay.Fetcher) { f.Trust = other.Trust() })
	f.Offer(e.client, &e.offer)
	runFetcher(t, f)
	waitFor(t, "the refusal", 10*time.Second, statusHas(f, "refused 1.1.0: release certificate \"release-test\": not signed by a trusted root key"))
	n := e.log.count()
	f.Offer(e.client, &relay.ReleaseOffer{}) // a changed offer wakes it
	f.Offer(e.client, &e.offer)
	time.Sleep(200 * time.Millisecond)
	if e.log.count() != n || strings.Contains(f.Status(), "downloading") {
		t.Errorf("downloaded again (%d requests, then %d)", n, e.log.count())
	}
	if _, err := os.Stat(filepath.Join(f.Dir, relay.ReadyFile)); err == nil {
		t.Error("an untrusted bundle was handed to the updater")
	}
}

// After a handover the updater removes the ready file and the bundle
// whatever happened. Rolled back: the kiosk does not fetch that version
// again. Not installed for another reason (busy, no space): it hands it
// over again after RetryAfter, at most MaxTries times, across restarts.
func TestFetchAfterHandover(t *testing.T) {
	e := newFetchEnv(t, nil)
	ready := func(f *relay.Fetcher) func() bool {
		return func() bool { _, err := os.Stat(filepath.Join(f.Dir, relay.ReadyFile)); return err == nil }
	}
	applied := func(f *relay.Fetcher) { // what apply-update.sh does at its end
		os.Remove(filepath.Join(f.Dir, relay.ReadyFile))
		os.Remove(filepath.Join(f.Dir, relay.BundleName("1.1.0", "arm64")))
	}

	t.Run("rolled back", func(t *testing.T) {
		os.RemoveAll(filepath.Join(e.dir, relay.UpdatesDir))
		f := e.fetcher(func(f *relay.Fetcher) { f.RetryAfter = time.Millisecond })
		f.Offer(e.client, &e.offer)
		runFetcher(t, f)
		waitFor(t, "the handover", 10*time.Second, ready(f))
		n := e.log.count()
		e.writeState(t, update.State{Active: "a", Previous: "b", Version: "1.0.0", PreviousVersion: "1.1.0",
			Phase: update.PhaseRolledBack, FailedVersion: "1.1.0", Failure: "1.1.0 did not report healthy", FailedAt: time.Now()})
		applied(f)
		f.Offer(e.client, &relay.ReleaseOffer{})
		f.Offer(e.client, &e.offer)
		waitFor(t, "the fetcher to see the rollback", 5*time.Second, statusHas(f, "failed on this board"))
		time.Sleep(150 * time.Millisecond)
		if e.log.count() != n || ready(f)() {
			t.Errorf("the rolled back version was fetched again (%d requests, then %d)", n, e.log.count())
		}
		os.Remove(filepath.Join(e.root, update.StateFile))
	})

	t.Run("retried then given up", func(t *testing.T) {
		os.RemoveAll(filepath.Join(e.dir, relay.UpdatesDir))
		const retry = 300 * time.Millisecond
		f := e.fetcher(func(f *relay.Fetcher) { f.RetryAfter, f.MaxTries = retry, 2 })
		f.Offer(e.client, &e.offer)
		runFetcher(t, f)
		waitFor(t, "the first handover", 10*time.Second, ready(f))
		first := time.Now()
		applied(f) // refused, say the kiosk was busy for 30 minutes
		f.Offer(e.client, &relay.ReleaseOffer{})
		f.Offer(e.client, &e.offer)
		waitFor(t, "the wait before the next handover", 5*time.Second, statusHas(f, "trying again in"))
		waitFor(t, "the second handover", 10*time.Second, ready(f))
		if d := time.Since(first); d < retry-50*time.Millisecond {
			t.Errorf("handed over again after %v, RetryAfter is %v", d, retry)
		}
		applied(f)
		time.Sleep(retry + 100*time.Millisecond)
		f.Offer(e.client, &relay.ReleaseOffer{})
		f.Offer(e.client, &e.offer)
		waitFor(t, "giving up", 5*time.Second, statusHas(f, "gave up on 1.1.0: handed to the updater 2 times"))
		n := e.log.count()
		// A restarted kioskd remembers.
		f2 := e.fetcher(func(f *relay.Fetcher) { f.RetryAfter, f.MaxTries = retry, 2 })
		f2.Offer(e.client, &e.offer)
		runFetcher(t, f2)
		waitFor(t, "the restarted fetcher to remember", 5*time.Second, statusHas(f2, "gave up"))
		if e.log.count() != n || ready(f)() {
			t.Error("handed over a third time")
		}
	})
}
