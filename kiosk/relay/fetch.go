package relay

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"cpckiosk/firmware/health"
	"cpckiosk/firmware/update"
	"cpckiosk/printer/extract"
)

// Files in DATA/updates, where the kiosk puts the releases the central
// offers. firmware/board's apply-update.sh (run as root by
// cpc-kiosk-update.service when ReadyFile appears) reads the same names.
const (
	UpdatesDir = "updates"
	// ReadyFile holds the file name (one line) of a complete bundle in
	// DATA/updates whose hash matched the signed offer and whose signature
	// verified here: the root updater's cue. The updater removes it, and the
	// bundle, when it is done, whatever the result.
	ReadyFile = "ready"
	// ApplyResultFile, in the slots' root (not in DATA/updates: root writes
	// it, and writes nothing where kioskd's user could redirect it), is
	// apply-update.sh's last result, one line: time, bundle, kioskctl's
	// exit code and its last line.
	ApplyResultFile = "apply-result"
	// HistoryFile remembers, per offered release, how often it was handed
	// to the updater and how many downloads of it were bad.
	HistoryFile = "history.json"
	partSuffix  = ".part"
)

// BundleName is the file name of a release's bundle in DATA/updates.
func BundleName(version, arch string) string { return "cpc-kiosk-" + version + "-" + arch + ".bundle" }

// Defaults of the Fetcher.
const (
	DefaultChunk        = 4 << 20
	DefaultChunkTimeout = 5 * time.Minute
	DefaultRetryAfter   = 6 * time.Hour
	DefaultMaxTries     = 3
	fetchRecheck        = time.Minute
)

// Fetcher downloads the release the central offers (UpdatesReply.Release)
// into DATA/updates, in chunks that resume where a cut link stopped, checks
// its size and SHA-256 against the signed offer and its signature against
// the update trust, and then writes ReadyFile for the root updater. It runs
// beside the relay worker, so a long download never holds up reports.
//
// It never downloads a release for another architecture or one not newer
// than the running version, one that state.json records as failed on this
// board (rolled back), one it refused, or one whose download would leave
// less than the disk reserve free; it does nothing while ReadyFile exists
// (the updater owns the bundle then). A release handed over and still not
// installed (the updater was refused: busy kiosk, no space) is handed over
// again after RetryAfter, at most MaxTries times.
type Fetcher struct {
	Dir     string              // DATA/updates
	DataDir string              // DATA, whose disk keeps Reserve free
	Root    string              // the slots' root, for its state.json (update.DefaultRoot)
	Arch    string              // update.DeviceArch()
	Version string              // the running version
	Trust   []ed25519.PublicKey // update root keys; bundles that do not verify are refused
	Reserve health.Reserve
	Now     func() time.Time // certificate validity: the kiosk's trusted clock (default time.Now)
	Log     *slog.Logger

	Chunk        int64         // bytes per request; default DefaultChunk
	ChunkTimeout time.Duration // per request; default DefaultChunkTimeout
	RetryAfter   time.Duration // between handing one release over again; default DefaultRetryAfter
	MaxTries     int           // handovers, and bad downloads, of one release; default DefaultMaxTries
	BaseDelay    time.Duration // first retry after a failed download; default 1 s
	MaxBackoff   time.Duration // default 5 min

	mu      sync.Mutex
	seen    bool // an updates reply has been seen since the start
	offer   *ReleaseOffer
	client  *Client
	status  string
	lastErr string
	wake    chan struct{}
	hist    map[string]*releaseTries
}

// releaseTries is a HistoryFile entry.
type releaseTries struct {
	Version    string    `json:"version"`
	Arch       string    `json:"arch"`
	SHA256     string    `json:"sha256"`
	Handed     int       `json:"handed"`
	LastHanded time.Time `json:"last_handed,omitzero"`
	Bad        int       `json:"bad_downloads"`
	Refused    string    `json:"refused,omitempty"`
}

func triesKey(o *ReleaseOffer) string { return o.Arch + " " + o.Version + " " + o.SHA256 }

func (f *Fetcher) defaults() {
	if f.Log == nil {
		f.Log = slog.New(slog.DiscardHandler)
	}
	if f.Now == nil {
		f.Now = time.Now
	}
	if f.Chunk <= 0 {
		f.Chunk = DefaultChunk
	}
	if f.ChunkTimeout <= 0 {
		f.ChunkTimeout = DefaultChunkTimeout
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = DefaultRetryAfter
	}
	if f.MaxTries <= 0 {
		f.MaxTries = DefaultMaxTries
	}
	if f.BaseDelay <= 0 {
		f.BaseDelay = DefaultBaseDelay
	}
	if f.MaxBackoff <= 0 {
		f.MaxBackoff = DefaultMaxBackoff
	}
}

func (f *Fetcher) wakeCh() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wake == nil {
		f.wake = make(chan struct{}, 1)
	}
	return f.wake
}

// Offer takes the release of an updates reply (nil: none) and the client
// that got it. The worker calls it after every pull.
func (f *Fetcher) Offer(c *Client, o *ReleaseOffer) {
	wake := f.wakeCh()
	f.mu.Lock()
	changed := !f.seen || (f.offer == nil) != (o == nil) || (o != nil && *o != *f.offer)
	f.seen, f.offer, f.client = true, o, c
	f.mu.Unlock()
	if changed {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// Status says what the fetcher does about the offered release, for the
// kiosk's health: "" when nothing is offered.
func (f *Fetcher) Status() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lastErr != "" {
		return f.status + " (last error: " + f.lastErr + ")"
	}
	return f.status
}

func (f *Fetcher) setStatus(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.mu.Lock()
	f.status, f.lastErr = msg, ""
	f.mu.Unlock()
}

// Run works until ctx ends.
func (f *Fetcher) Run(ctx context.Context) {
	f.defaults()
	wake := f.wakeCh()
	failures := 0
	for {
		wait, err := f.step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			wait = fullJitter(f.BaseDelay, f.MaxBackoff, failures)
			f.mu.Lock()
			f.lastErr = err.Error()
			f.mu.Unlock()
			f.Log.Warn("relay: release download", "err", err, "retry_in", wait.Round(time.Millisecond).String(), "failures", failures)
		} else {
			failures = 0
		}
		if wait <= 0 || wait > fetchRecheck {
			wait = fetchRecheck
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// fullJitter is capped exponential backoff with full jitter: a random delay
// in [0, min(cap, base·2^(n-1))].
func fullJitter(base, cap time.Duration, n int) time.Duration {
	d := cap
	if n < 30 {
		if e := base << (n - 1); e > 0 && e < d {
			d = e
		}
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// step does what the offer calls for now; it returns when to look again
// (0: at the next recheck) or why the download failed (retried with
// backoff).
func (f *Fetcher) step(ctx context.Context) (time.Duration, error) {
	f.mu.Lock()
	seen, o, c := f.seen, f.offer, f.client
	f.mu.Unlock()
	if !seen {
		return 0, nil // no updates reply yet: keep what is there
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return 0, fmt.Errorf("relay: updates dir: %w", err)
	}
	if o == nil {
		f.setStatus("")
		if !exists(filepath.Join(f.Dir, ReadyFile)) {
			f.tidy(nil)
		}
		return 0, nil
	}
	if newer, err := update.CompareVersions(o.Version, f.Version); o.Arch == f.Arch && (err != nil || newer <= 0) {
		f.setStatus("")
		return 0, nil // this board runs that version or a newer one already
	}
	if why := f.skip(o); why != "" {
		f.setStatus("%s", why)
		return 0, nil
	}
	if rec := f.tries(o); rec.Handed > 0 {
		if d := rec.LastHanded.Add(f.RetryAfter).Sub(time.Now()); d > 0 {
			f.setStatus("%s was handed to the updater and is not installed (see last_apply); trying again in %s", o.Version, d.Round(time.Second))
			return d, nil
		}
	}
	f.tidy(o)
	final := filepath.Join(f.Dir, BundleName(o.Version, o.Arch))
	if exists(final) {
		err := checkFile(final, o)
		if err == nil {
			return f.handOver(o, final)
		}
		f.Log.Warn("relay: a downloaded bundle changed on disk; downloading it again", "file", final, "err", err)
		os.Remove(final)
	}
	return f.download(ctx, c, o, final)
}

// skip says why the offered release is not for this board now, "" if it is.
func (f *Fetcher) skip(o *ReleaseOffer) string {
	if o.Arch != f.Arch {
		return fmt.Sprintf("the central offers %s for %s; this board is %s", o.Version, o.Arch, f.Arch)
	}
	st, _, err := update.ReadState(f.Root)
	switch {
	case err != nil:
		return fmt.Sprintf("not downloading %s: %v", o.Version, err)
	case st.FailedVersion == o.Version:
		return fmt.Sprintf("not installing %s: it failed on this board at %s (%s)", o.Version, st.FailedAt.UTC().Format(time.RFC3339), st.Failure)
	case st.Phase == update.PhaseProbation:
		return fmt.Sprintf("an update to %s is on probation", st.Version)
	}
	if b, err := os.ReadFile(filepath.Join(f.Dir, ReadyFile)); err == nil {
		return "handed " + strings.TrimSpace(string(b)) + " to the updater"
	}
	rec := f.tries(o)
	switch {
	case rec.Refused != "":
		return fmt.Sprintf("refused %s: %s", o.Version, rec.Refused)
	case rec.Bad >= f.MaxTries:
		return fmt.Sprintf("gave up on %s after %d downloads that did not match the offer", o.Version, rec.Bad)
	case rec.Handed >= f.MaxTries:
		return fmt.Sprintf("gave up on %s: handed to the updater %d times and still not installed (see last_apply)", o.Version, rec.Handed)
	}
	return ""
}

// tidy deletes everything in the updates dir but the offered release's
// bundle (or its partial download) and the files of the protocol. It runs
// only while ReadyFile does not exist: then no updater uses a bundle.
func (f *Fetcher) tidy(o *ReleaseOffer) {
	keep := map[string]bool{ReadyFile: true, HistoryFile: true}
	if o != nil {
		keep[BundleName(o.Version, o.Arch)] = true
		keep[BundleName(o.Version, o.Arch)+partSuffix] = true
	}
	ents, _ := os.ReadDir(f.Dir)
	for _, e := range ents {
		if keep[e.Name()] || e.IsDir() {
			continue
		}
		if err := os.Remove(filepath.Join(f.Dir, e.Name())); err == nil {
			f.Log.Info("relay: deleted an update file no longer offered", "file", e.Name())
		}
	}
}

// handOver writes ReadyFile for a complete bundle that matches the offer.
func (f *Fetcher) handOver(o *ReleaseOffer, final string) (time.Duration, error) {
	rec := f.tries(o)
	name := filepath.Base(final)
	if err := extract.WriteFileAtomic(filepath.Join(f.Dir, ReadyFile), []byte(name+"\n"), 0o600); err != nil {
		return 0, fmt.Errorf("relay: hand %s to the updater: %w", name, err)
	}
	rec.Handed++
	rec.LastHanded = time.Now()
	f.saveTries()
	f.setStatus("handed %s to the updater", name)
	f.Log.Info("relay: release ready for the updater", "version", o.Version, "file", name, "handovers", rec.Handed)
	return 0, nil
}

// checkFile compares a file with the offer's size and SHA-256.
func checkFile(path string, o *ReleaseOffer) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != o.Size || sum != o.SHA256 {
		return fmt.Errorf("%d bytes with sha256 %s…, the offer says %d bytes with %s…", n, sum[:16], o.Size, o.SHA256[:min(16, len(o.SHA256))])
	}
	return nil
}

// download fetches the rest of the bundle into NAME.part, checks it and
// renames it to final, then hands it over.
func (f *Fetcher) download(ctx context.Context, c *Client, o *ReleaseOffer, final string) (time.Duration, error) {
	if c == nil {
		return 0, ErrNotEnrolled
	}
	part := final + partSuffix
	var have int64
	if fi, err := os.Stat(part); err == nil {
		have = fi.Size()
	}
	if have > o.Size {
		os.Remove(part)
		have = 0
	}
	if free, total, err := health.Disk(f.DataDir); err == nil {
		if need := f.Reserve.Need(total) + uint64(o.Size-have); free < need {
			f.setStatus("not downloading %s: %d MB free, it needs %d MB and the disk reserve %d MB", o.Version, free>>20,
				(o.Size-have)>>20, f.Reserve.Need(total)>>20)
			return 10 * time.Minute, nil
		}
	}
	fh, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("relay: release %s: %w", o.Version, err)
	}
	defer fh.Close()
	if have == 0 {
		f.Log.Info("relay: downloading a release", "version", o.Version, "bytes", o.Size)
	} else {
		f.Log.Info("relay: resuming a release download", "version", o.Version, "from", have, "bytes", o.Size)
	}
	for have < o.Size {
		f.setStatus("downloading %s: %d of %d KiB", o.Version, have>>10, o.Size>>10)
		cctx, cancel := context.WithTimeout(ctx, f.ChunkTimeout)
		n, info, err := c.FetchRelease(cctx, ReleaseRequest{Version: o.Version, Arch: o.Arch, Offset: have,
			Length: min(f.Chunk, o.Size-have)}, fh)
		cancel()
		have += n
		if err == nil && (info.Size != o.Size || info.SHA256 != o.SHA256) {
			err = fmt.Errorf("the central's bundle (%d bytes, sha256 %s) is not the one it offered: %w", info.Size, info.SHA256, ErrReply)
			os.Remove(part)
		}
		var ce *CentralError
		if errors.As(err, &ce) && ce.Code == CodeNotFound {
			os.Remove(part)
			f.mu.Lock()
			if f.offer != nil && *f.offer == *o {
				f.offer = nil
			}
			f.mu.Unlock()
			f.setStatus("%s was withdrawn at the central", o.Version)
			f.Log.Warn("relay: release withdrawn while downloading", "version", o.Version)
			return 0, nil
		}
		if err != nil {
			fh.Sync()
			return 0, fmt.Errorf("relay: release %s at %d of %d bytes: %w", o.Version, have, o.Size, err)
		}
	}
	if err := fh.Sync(); err != nil {
		return 0, fmt.Errorf("relay: release %s: %w", o.Version, err)
	}
	fh.Close()
	rec := f.tries(o)
	if err := checkFile(part, o); err != nil {
		os.Remove(part)
		rec.Bad++
		f.saveTries()
		f.setStatus("downloaded %s, but it does not match the offer: discarded", o.Version)
		return 0, fmt.Errorf("relay: release %s discarded: %v", o.Version, err)
	}
	if err := f.verify(part, o); err != nil {
		os.Remove(part)
		if errors.Is(err, update.ErrNotYetValid) || errors.Is(err, update.ErrExpired) {
			rec.Bad++ // perhaps this board's clock: try again later, a few times
			f.saveTries()
			return 0, fmt.Errorf("relay: release %s: %w", o.Version, err)
		}
		rec.Refused = strings.TrimPrefix(strings.ReplaceAll(err.Error(), part, "the bundle"), "update: verify the bundle: ")
		f.saveTries()
		f.setStatus("refused %s: %s", o.Version, rec.Refused)
		f.Log.Error("relay: the offered release does not verify; it will not be installed", "version", o.Version, "err", rec.Refused)
		return 0, nil
	}
	if err := os.Rename(part, final); err != nil {
		return 0, fmt.Errorf("relay: release %s: %w", o.Version, err)
	}
	if d, err := os.Open(f.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return f.handOver(o, final)
}

// verify checks the bundle's signature chain, files and fit as the root
// updater will (so that a bundle it would refuse is not handed over, again
// and again).
func (f *Fetcher) verify(path string, o *ReleaseOffer) error {
	if len(f.Trust) == 0 {
		return fmt.Errorf("no update trust key on this board: %w", update.ErrUntrusted)
	}
	b, err := update.Verify(path, f.Trust, f.Now(), update.Limits{})
	if err != nil {
		return err
	}
	if m := b.Manifest; m.Version != o.Version || m.Arch != o.Arch {
		return fmt.Errorf("the bundle is %s for %s, the offer said %s for %s: %w", m.Version, m.Arch, o.Version, o.Arch, update.ErrTampered)
	}
	return nil
}

// tries returns the history entry of an offer, loading the file once.
func (f *Fetcher) tries(o *ReleaseOffer) *releaseTries {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hist == nil {
		f.hist = map[string]*releaseTries{}
		if b, err := os.ReadFile(filepath.Join(f.Dir, HistoryFile)); err == nil {
			var list []*releaseTries
			if json.Unmarshal(b, &list) == nil {
				for _, r := range list {
					f.hist[r.Arch+" "+r.Version+" "+r.SHA256] = r
				}
			}
		}
	}
	k := triesKey(o)
	if f.hist[k] == nil {
		f.hist[k] = &releaseTries{Version: o.Version, Arch: o.Arch, SHA256: o.SHA256}
	}
	return f.hist[k]
}

// saveTries writes the history, forgetting releases not newer than the
// running version.
func (f *Fetcher) saveTries() {
	f.mu.Lock()
	var list []*releaseTries
	for k, r := range f.hist {
		if c, err := update.CompareVersions(r.Version, f.Version); err == nil && c <= 0 {
			delete(f.hist, k)
			continue
		}
		list = append(list, r)
	}
	f.mu.Unlock()
	b, _ := json.MarshalIndent(list, "", "  ")
	if err := extract.WriteFileAtomic(filepath.Join(f.Dir, HistoryFile), append(b, '\n'), 0o600); err != nil {
		f.Log.Warn("relay: write the update history", "err", err)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// ReadUpdateHealth reads what the central and /healthz show about updates:
// the updater's state file and ApplyResultFile in the slots' root, and
// fetch (Fetcher.Status). Nil when there is nothing to say.
func ReadUpdateHealth(root, fetch string) *UpdateHealth {
	h := &UpdateHealth{Fetch: fetch}
	if st, ok, err := update.ReadState(root); err != nil {
		h.Reason = err.Error()
	} else if ok {
		h.Phase, h.Version, h.FailedVersion, h.Reason = string(st.Phase), st.Version, st.FailedVersion, st.Failure
	}
	if fh, err := os.Open(filepath.Join(root, ApplyResultFile)); err == nil {
		sc := bufio.NewScanner(io.LimitReader(fh, 4096))
		if sc.Scan() {
			h.LastApply = truncate(strings.TrimSpace(sc.Text()), 300)
		}
		fh.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		h.LastApply = err.Error()
	}
	if *h == (UpdateHealth{}) {
		return nil
	}
	return h
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
