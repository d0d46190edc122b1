package update

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const usageText = `usage:
  kioskctl update keygen -root DIR
  kioskctl update keygen -release DIR -root-key FILE [-valid 365d] [-name NAME]
  kioskctl update sign -key release.key -cert release.cert -version V [-min-version M] [-arch arm64] [-gzip] -out BUNDLE FILE|NAME=FILE...
  kioskctl update verify [-trust FILE] [-root DIR] [-arch A] BUNDLE
  kioskctl update apply [-root DIR] [-trust FILE] [-data DATADIR] [-restart CMD] [-health URL] [-probation 120s] [-wait 30m] [-refuse-failed] BUNDLE
  kioskctl update status [-root DIR] [-json]
  kioskctl update recover [-root DIR] [-restart CMD]`

// cli carries what tests replace in the verbs.
type cli struct {
	now    func() time.Time
	stdout io.Writer
	stderr io.Writer
}

// Run implements `kioskctl update SUBVERB ...`: exit 0 when done, 1 when the
// work failed or was refused, 2 on usage errors.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return (&cli{now: time.Now, stdout: stdout, stderr: stderr}).run(ctx, args)
}

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(c.stderr, usageText)
		return 2
	}
	sub := map[string]func(context.Context, []string) int{
		"keygen": c.keygen, "sign": c.sign, "verify": c.verify, "apply": c.apply, "status": c.status, "recover": c.recover,
	}
	fn, ok := sub[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintln(c.stdout, usageText)
			return 0
		}
		fmt.Fprintf(c.stderr, "kioskctl update: unknown subcommand %q\n%s\n", args[0], usageText)
		return 2
	}
	return fn(ctx, args[1:])
}

func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kioskctl update "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

func (c *cli) usage(line string) int {
	fmt.Fprintln(c.stderr, "usage: kioskctl update "+line)
	return 2
}

func (c *cli) fail(verb string, err error) int {
	fmt.Fprintf(c.stderr, "kioskctl update %s: %v\n", verb, err)
	return 1
}

func (c *cli) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// parseValidity reads "365d", "12h", "90d12h".
func parseValidity(s string) (time.Duration, error) {
	var days int
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("validity %q: want e.g. 365d or 720h", s)
		}
		days, s = n, s[i+1:]
	}
	var d time.Duration
	if s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("validity: %w", err)
		}
	}
	d += time.Duration(days) * 24 * time.Hour
	if d <= 0 {
		return 0, errors.New("validity must be positive")
	}
	return d, nil
}

func (c *cli) keygen(_ context.Context, args []string) int {
	const line = "keygen -root DIR | keygen -release DIR -root-key FILE [-valid 365d] [-name NAME]"
	fs := c.flags("keygen")
	rootDir := fs.String("root", "", "make a root key pair in `dir`")
	relDir := fs.String("release", "", "make (or renew the certificate of) a release key in `dir`")
	rootKey := fs.String("root-key", "", "the root's private key `file` that certifies the release key")
	valid := fs.String("valid", "365d", "how long the release certificate is valid")
	name := fs.String("name", "", "the release key's name in its certificate (default release-YYYY-MM-DD)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (*rootDir == "") == (*relDir == "") {
		return c.usage(line)
	}
	if *rootDir != "" {
		if _, err := GenerateRootKey(*rootDir); err != nil {
			return c.fail("keygen", err)
		}
		fmt.Fprintf(c.stdout, "root key: %s (keep it offline)\ntrust file for the boards (%s): %s\n",
			filepath.Join(*rootDir, RootKeyFile), DefaultTrustFile, filepath.Join(*rootDir, RootPubFile))
		return 0
	}
	if *rootKey == "" {
		return c.usage(line)
	}
	d, err := parseValidity(*valid)
	if err != nil {
		fmt.Fprintln(c.stderr, "kioskctl update keygen:", err)
		return 2
	}
	root, err := LoadPrivateKey(*rootKey)
	if err != nil {
		return c.fail("keygen", err)
	}
	now := c.now()
	if *name == "" {
		*name = "release-" + now.UTC().Format(time.DateOnly)
	}
	// An hour back, so a board whose clock is a little behind accepts it.
	cert, created, err := GenerateReleaseKey(*relDir, root, *name, now.Add(-time.Hour), now.Add(d))
	if err != nil {
		return c.fail("keygen", err)
	}
	what := "kept the existing release key"
	if created {
		what = "new release key"
	}
	fmt.Fprintf(c.stdout, "%s: %s\ncertificate %q valid %s to %s: %s\n", what, filepath.Join(*relDir, ReleaseKeyFile),
		cert.Name, cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339), filepath.Join(*relDir, ReleaseCertFile))
	return 0
}

func (c *cli) sign(_ context.Context, args []string) int {
	const line = "sign -key release.key -cert release.cert -version V [-min-version M] [-arch arm64] [-gzip] -out BUNDLE FILE|NAME=FILE..."
	fs := c.flags("sign")
	keyFile := fs.String("key", "", "the release key `file`")
	certFile := fs.String("cert", "", "the release certificate `file`")
	version := fs.String("version", "", "the release's version, dotted numbers (1.4.2)")
	minVersion := fs.String("min-version", "", "the oldest installed version this release may update")
	arch := fs.String("arch", "arm64", "the boards' architecture: arm64, armv7, amd64")
	out := fs.String("out", "", "the bundle `file` to write")
	gz := fs.Bool("gzip", false, "compress the bundle (also when -out ends in .gz or .tgz)")
	if err := fs.Parse(args); err != nil || *keyFile == "" || *certFile == "" || *version == "" || *out == "" || fs.NArg() == 0 {
		return c.usage(line)
	}
	var srcs []Source
	for _, a := range fs.Args() {
		name, path, ok := strings.Cut(a, "=")
		if !ok {
			name, path = filepath.Base(a), a
		}
		srcs = append(srcs, Source{Name: name, Path: path})
	}
	key, err := LoadPrivateKey(*keyFile)
	if err != nil {
		return c.fail("sign", err)
	}
	certPEM, err := os.ReadFile(*certFile)
	if err != nil {
		return c.fail("sign", err)
	}
	opt := SignOptions{Version: *version, MinVersion: *minVersion, Arch: *arch, Created: c.now(),
		Gzip: *gz || strings.HasSuffix(*out, ".gz") || strings.HasSuffix(*out, ".tgz")}
	m, err := signFile(*out, key, certPEM, opt, srcs)
	if err != nil {
		return c.fail("sign", err)
	}
	fmt.Fprintf(c.stdout, "%s: version %s for %s, %d files, %d bytes\n", *out, m.Version, m.Arch, len(m.Files), m.Total())
	for _, f := range m.Files {
		fmt.Fprintf(c.stdout, "  %s %s %10d %s\n", f.Mode, f.SHA256[:16], f.Size, f.Name)
	}
	return 0
}

// signFile writes a bundle to out via a temporary file, fsynced and renamed.
func signFile(out string, key ed25519.PrivateKey, certPEM []byte, opt SignOptions, srcs []Source) (Manifest, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+tmpMark+"*")
	if err != nil {
		return Manifest{}, fmt.Errorf("update: sign: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	m, err := Sign(f, key, certPEM, opt, srcs)
	if err != nil {
		return m, err
	}
	if err := f.Chmod(0o644); err != nil {
		return m, fmt.Errorf("update: sign: %w", err)
	}
	if err := f.Sync(); err != nil {
		return m, fmt.Errorf("update: sign: %w", err)
	}
	if err := f.Close(); err != nil {
		return m, fmt.Errorf("update: sign: %w", err)
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return m, fmt.Errorf("update: sign: %w", err)
	}
	return m, syncDir(filepath.Dir(out))
}

func (c *cli) updater(root, trustFile string) (*Updater, error) {
	trust, err := LoadTrust(trustFile)
	if err != nil {
		return nil, err
	}
	return &Updater{Root: root, Trust: trust, Clock: cliClock{c.now}, Log: c.logger()}, nil
}

// cliClock is the system clock with a replaceable Now.
type cliClock struct{ now func() time.Time }

func (k cliClock) Now() time.Time { return k.now() }
func (k cliClock) Sleep(ctx context.Context, d time.Duration) error {
	return SystemClock{}.Sleep(ctx, d)
}

func (c *cli) verify(_ context.Context, args []string) int {
	const line = "verify [-trust FILE] [-root DIR] [-arch A] BUNDLE"
	fs := c.flags("verify")
	trust := fs.String("trust", DefaultTrustFile, "the root public key `file`")
	root := fs.String("root", "", "also check the versions against the slots in `dir`")
	arch := fs.String("arch", DeviceArch(), "the board's architecture")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return c.usage(line)
	}
	u, err := c.updater(*root, *trust)
	if err != nil {
		return c.fail("verify", err)
	}
	u.Arch = *arch
	var b *Bundle
	if *root != "" {
		b, err = u.Check(fs.Arg(0))
	} else {
		b, err = u.verify(fs.Arg(0))
	}
	if err != nil {
		return c.fail("verify", err)
	}
	m := b.Manifest
	fmt.Fprintf(c.stdout, "%s: OK: version %s (min %s) for %s, %d files, %d bytes, signed by %q (valid until %s)\n",
		fs.Arg(0), m.Version, cmp(m.MinVersion, "-"), m.Arch, len(m.Files), m.Total(), b.Release.Name, b.Release.NotAfter.Format(time.DateOnly))
	return 0
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (c *cli) apply(ctx context.Context, args []string) int {
	const line = "apply [-root DIR] [-trust FILE] [-data DATADIR] [-restart CMD] [-health URL] [-probation 120s] [-wait 30m] [-refuse-failed] BUNDLE"
	fs := c.flags("apply")
	root := fs.String("root", DefaultRoot, "the slots' `dir`")
	trust := fs.String("trust", DefaultTrustFile, "the root public key `file`")
	data := fs.String("data", "", "kioskd's data `dir`: wait while its control socket says busy")
	restart := fs.String("restart", strings.Join(DefaultRestart, " "), "the `command` that restarts kioskd (split at spaces)")
	healthURL := fs.String("health", DefaultHealthURL, "kioskd's health `URL`")
	probation := fs.Duration("probation", 120*time.Second, "how long the new version has to report healthy")
	poll := fs.Duration("poll", time.Second, "how often to ask the health URL")
	wait := fs.Duration("wait", 30*time.Minute, "how long to wait for an idle kiosk")
	refuseFailed := fs.Bool("refuse-failed", false, "refuse the version state.json records as the last that failed here (unattended updates)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || len(strings.Fields(*restart)) == 0 {
		return c.usage(line)
	}
	u, err := c.updater(*root, *trust)
	if err != nil {
		return c.fail("apply", err)
	}
	u.Restart = Command{Argv: strings.Fields(*restart)}
	u.Health = HTTPHealth{URL: *healthURL}
	u.Probation, u.HealthPoll, u.BusyWait = *probation, *poll, *wait
	u.RefuseFailed = *refuseFailed
	if *data != "" {
		u.Busy = SocketBusy{Path: filepath.Join(*data, SocketFile)}
	}
	res, err := u.Apply(ctx, fs.Arg(0))
	if err != nil {
		return c.fail("apply", err)
	}
	from := res.PreviousVersion
	if from == "" {
		from = "nothing"
	}
	fmt.Fprintf(c.stdout, "updated %s -> %s (slot %s): verify %s, write %s, switch %s, healthy after %s\n",
		from, res.Version, res.Slot, ms(res.Verify), ms(res.Write), ms(res.Switch), res.Probation.Round(100*time.Millisecond))
	return 0
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func (c *cli) status(_ context.Context, args []string) int {
	fs := c.flags("status")
	root := fs.String("root", DefaultRoot, "the slots' `dir`")
	asJSON := fs.Bool("json", false, "print state.json's fields as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return c.usage("status [-root DIR] [-json]")
	}
	s, err := ReadStatus(*root)
	if err != nil {
		fmt.Fprintln(c.stderr, "kioskctl update status:", err)
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			State
			Current string `json:"current"`
		}{s.State, s.Current})
		return exitIf(err)
	}
	if !s.Installed {
		fmt.Fprintf(c.stdout, "nothing installed in %s\n", *root)
		return exitIf(err)
	}
	fmt.Fprintf(c.stdout, "active slot:  %s\n", cmp(s.Current, "NONE (current link missing; run kioskctl update recover)"))
	fmt.Fprintf(c.stdout, "version:      %s\n", cmp(s.Version, "unknown"))
	phase := string(s.Phase)
	if s.Phase == PhaseProbation {
		phase += fmt.Sprintf(" (until %s, updater pid %d)", s.Deadline.Format(time.RFC3339), s.PID)
	}
	fmt.Fprintf(c.stdout, "phase:        %s\n", cmp(phase, "installed"))
	if s.Previous != "" {
		fmt.Fprintf(c.stdout, "previous:     %s (%s)\n", s.Previous, cmp(s.PreviousVersion, "unknown"))
	}
	if s.Failure != "" {
		fmt.Fprintf(c.stdout, "last failure: %s at %s: %s\n", cmp(s.FailedVersion, "?"), s.FailedAt.Format(time.RFC3339), s.Failure)
	} else {
		fmt.Fprintln(c.stdout, "last failure: none")
	}
	return exitIf(err)
}

func exitIf(err error) int {
	if err != nil {
		return 1
	}
	return 0
}

func (c *cli) recover(ctx context.Context, args []string) int {
	fs := c.flags("recover")
	root := fs.String("root", DefaultRoot, "the slots' `dir`")
	restart := fs.String("restart", "", "a `command` to run when recover switched slots (none at boot: kioskd starts after it)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return c.usage("recover [-root DIR] [-restart CMD]")
	}
	u := &Updater{Root: *root, Clock: cliClock{c.now}, Log: c.logger()}
	st, actions, err := u.Recover(ctx)
	switch {
	case errors.Is(err, ErrInProgress):
		if st.Phase == PhaseProbation {
			fmt.Fprintf(c.stdout, "an update to %s is on probation (updater pid %d): nothing to do\n", st.Version, st.PID)
		} else {
			fmt.Fprintln(c.stdout, "an update is in progress: nothing to do")
		}
		return 0
	case errors.Is(err, ErrNoBootableSlot) && !exists(filepath.Join(*root, SlotA)) && !exists(filepath.Join(*root, SlotB)):
		fmt.Fprintf(c.stdout, "nothing installed in %s: nothing to do\n", *root)
		return 0
	case err != nil:
		for _, a := range actions {
			fmt.Fprintln(c.stdout, a)
		}
		return c.fail("recover", err)
	}
	for _, a := range actions {
		fmt.Fprintln(c.stdout, a)
	}
	fmt.Fprintf(c.stdout, "bootable: slot %s, version %s, phase %s\n", st.Active, st.Version, cmp(string(st.Phase), "installed"))
	switched := false
	for _, a := range actions {
		switched = switched || strings.HasPrefix(a, "current -> ")
	}
	if switched && *restart != "" {
		if err := (Command{Argv: strings.Fields(*restart)}).Restart(ctx); err != nil {
			return c.fail("recover", err)
		}
	}
	return 0
}
