package daemon

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"cpckiosk/firmware/watchdog"
	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/store"
	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/extract"
	"cpckiosk/printer/serial"
	"cpckiosk/ui"
)

// First-boot setup. Until a kiosk is configured and enrolled, kioskd
// serves a technician's setup screen instead of the citizen's pages,
// behind a setup PIN (DATA/setup.pin). "Enrol and start" writes the
// configuration file, enrolls with the central and ends RunSetup, so that
// kioskd exits 0 and systemd starts it again, now in kiosk mode.

// Files of the setup in the data dir.
const (
	// SetupPINFile holds the argon2id hash of the setup PIN.
	SetupPINFile = "setup.pin"
	// SetupConfigFile is where the setup writes the configuration when
	// kioskd has no -config; kioskd reads it when started without -config.
	SetupConfigFile = "kioskd.json"
)

// ErrNoSetupPIN: the data dir holds no setup PIN.
var ErrNoSetupPIN = errors.New("no setup PIN is set (kioskctl setup-pin)")

// Setup PIN rules and its hash's cost. A PIN has few digits; what guards it
// online is the lockout of the setup pages, offline (a copied SD card) the
// cost of each guess: 32 MiB and two passes, about 0.1 s on the board. It
// is checked only when a technician types it.
const (
	MinSetupPIN = 6
	MaxSetupPIN = 12

	pinHashTime   = 2
	pinHashMemory = 32 << 10 // KiB
)

// SetSetupPIN sets the setup PIN of the kiosk whose data dir is dataDir:
// 6 to 12 digits, stored as an argon2id hash, written atomically.
func SetSetupPIN(dataDir, pin string) error {
	if len(pin) < MinSetupPIN || len(pin) > MaxSetupPIN || strings.Trim(pin, "0123456789") != "" {
		return fmt.Errorf("setup PIN: want %d to %d digits", MinSetupPIN, MaxSetupPIN)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("setup PIN: %w", err)
	}
	sum := argon2.IDKey([]byte(pin), salt, pinHashTime, pinHashMemory, 1, 32)
	enc := base64.RawStdEncoding
	// The format of kiosk.HashAccessCode, which checks it.
	line := fmt.Sprintf("argon2id$%d$%d$%d$%s$%s\n", pinHashTime, pinHashMemory, 1, enc.EncodeToString(salt), enc.EncodeToString(sum))
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("setup PIN: %w", err)
	}
	if err := extract.WriteFileAtomic(filepath.Join(dataDir, SetupPINFile), []byte(line), 0o600); err != nil {
		return fmt.Errorf("setup PIN: %w", err)
	}
	return nil
}

// RunSetupPIN implements `kioskctl setup-pin -data DIR`: the PIN is read
// from standard input (one line), never from the command line. With a PIN
// set, an unconfigured or unenrolled kiosk shows the setup screen.
func RunSetupPIN(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskctl setup-pin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "kiosk data `dir`")
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() != 0 {
		fmt.Fprintf(stderr, "usage: kioskctl setup-pin -data DIR  (%d to %d digits on stdin)\n", MinSetupPIN, MaxSetupPIN)
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(stderr, "kioskctl setup-pin: give the PIN on standard input")
		return 2
	}
	if err := SetSetupPIN(*dir, strings.TrimRight(line, "\r\n")); err != nil {
		fmt.Fprintln(stderr, "kioskctl setup-pin:", err)
		return 1
	}
	fmt.Fprintf(stdout, "setup PIN set in %s\n", filepath.Join(*dir, SetupPINFile))
	return 0
}

// CheckSetupPIN reports whether pin is the setup PIN of dataDir, or
// ErrNoSetupPIN when none is set.
func CheckSetupPIN(dataDir, pin string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, SetupPINFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, ErrNoSetupPIN
	}
	if err != nil {
		return false, fmt.Errorf("setup PIN: %w", err)
	}
	hash := strings.TrimSpace(string(b))
	if !strings.HasPrefix(hash, "argon2id$") {
		return false, fmt.Errorf("setup PIN: %s is not a PIN hash: %w", SetupPINFile, ErrNoSetupPIN)
	}
	return kiosk.CheckAccessCode(hash, pin), nil
}

func setupPINPresent(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, SetupPINFile))
	return err == nil
}

// NeedsSetup reports whether kioskd must run the first-boot setup instead
// of the kiosk: a setup PIN is set (DATA/setup.pin) and the configuration
// lacks the centre or kiosk number or the data dir is not enrolled (no
// DATA/relay.json). Without a PIN nothing changes: a kiosk configured by
// flags and enrolled with kioskctl later runs as before.
func NeedsSetup(cfg Config) bool {
	if !setupPINPresent(cfg.Data) {
		return false
	}
	if cfg.CPC == "" || cfg.Kiosk == 0 {
		return true
	}
	_, err := relay.LoadEnrollment(cfg.Data)
	return errors.Is(err, relay.ErrNotEnrolled)
}

// ParseForSetup reads kioskd's command line like ParseArgs and decides
// between the kiosk and the setup. configPath is the configuration file in
// use: -config, else DATA/kioskd.json, which is read when it exists (the
// setup writes it; systemd restarts kioskd with the same flags).
//
// A missing -cpc or -kiosk is no error when the setup will ask for them
// (NeedsSetup): cfg then has them empty and setup is true. Everything else
// is checked as ParseArgs checks it, and errors are ParseArgs's.
//
// ParseArgs stays the one parser of the flags: this function finds -config
// and -data on the command line, reads the file's centre and kiosk, and
// runs ParseArgs with placeholders for what neither gives, so a bad value
// is never masked.
func ParseForSetup(args []string, stderr io.Writer) (cfg Config, configPath string, setup bool, err error) {
	orig := args
	flags := scanFlags(args)
	configPath, explicit := flagValue(flags, "config")
	if !explicit {
		dir := Defaults().Data
		if d, ok := flagValue(flags, "data"); ok && d != "" {
			dir = d
		}
		configPath = filepath.Join(dir, SetupConfigFile)
	}
	var file Config
	fileErr := readConfigFile(configPath, &file)
	noFile := errors.Is(fileErr, fs.ErrNotExist)
	switch {
	case !noFile && !explicit:
		args = append([]string{"-config", configPath}, args...) // ParseArgs reads it, or says what is wrong with it
	case noFile && explicit:
		// Only the setup may go on without it: it writes it.
		args = withoutFlag(args, flags, "config")
	}
	var placeholders []string
	cpc, _ := flagValue(flags, "cpc")
	missingCPC := cpc == "" && file.CPC == ""
	if missingCPC {
		placeholders = append(placeholders, "-cpc", "AAA")
	}
	k, _ := flagValue(flags, "kiosk")
	missingKiosk := k == "" && file.Kiosk == 0
	if missingKiosk {
		placeholders = append(placeholders, "-kiosk", "1")
	}
	cfg, err = ParseArgs(append(placeholders, args...), stderr)
	if err != nil {
		return Config{}, "", false, err
	}
	if missingCPC {
		cfg.CPC = ""
	}
	if missingKiosk {
		cfg.Kiosk = 0
	}
	setup = NeedsSetup(cfg)
	if !setup && (missingCPC || missingKiosk || (noFile && explicit)) {
		_, err := ParseArgs(orig, io.Discard) // the usage error, as without the setup
		if err == nil {
			err = errors.New("-cpc and -kiosk are required")
		}
		if missingCPC || missingKiosk {
			err = fmt.Errorf("%w\n(or set a setup PIN with kioskctl setup-pin to configure this kiosk on its touch screen)", err)
		}
		return Config{}, "", false, err
	}
	return cfg, configPath, setup, nil
}

// flagArg is one flag on kioskd's command line: args[at : at+n].
type flagArg struct {
	name, value string
	at, n       int
}

// scanFlags reads kioskd's command line as the flag package does, knowing
// that every kioskd flag takes a value (-name value, -name=value, --name…).
// The flags end at "--", at the first argument that is not one and at -h.
func scanFlags(args []string) []flagArg {
	var out []flagArg
	for i := 0; i < len(args); {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		name := strings.TrimPrefix(a[1:], "-")
		if name == "" || name[0] == '-' || name[0] == '=' {
			break
		}
		if n, v, ok := strings.Cut(name, "="); ok {
			out = append(out, flagArg{name: n, value: v, at: i, n: 1})
			i++
			continue
		}
		if name == "h" || name == "help" || i+1 == len(args) {
			break
		}
		out = append(out, flagArg{name: name, value: args[i+1], at: i, n: 2})
		i += 2
	}
	return out
}

// flagValue is the value of the last flag called name; the flag package
// keeps the last too.
func flagValue(flags []flagArg, name string) (string, bool) {
	v, ok := "", false
	for _, f := range flags {
		if f.name == name {
			v, ok = f.value, true
		}
	}
	return v, ok
}

// withoutFlag returns args without the flags called name.
func withoutFlag(args []string, flags []flagArg, name string) []string {
	var out []string
	next := 0
	for _, f := range flags {
		if f.name == name {
			out = append(out, args[next:f.at]...)
			next = f.at + f.n
		}
	}
	return append(out, args[next:]...)
}

// setupDevices are the printer devices the setup offers besides sim and
// none: the udev link of the kiosk's printer and the usual serial lines.
var setupDevices = []string{"/dev/cpc-printer", "/dev/ttyUSB0", "/dev/ttyS0"}

// writeSetupConfig writes f into the configuration file at path: the keys
// the form sets replace the file's, the others stay. The data dir is
// recorded when the file names none, so that -config alone finds the
// enrolled kiosk. The enrolment token is never written.
func writeSetupConfig(path, dataDir string, f ui.SetupForm) error {
	m := map[string]json.RawMessage{}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("write config %s: the file is not a JSON object: %w", path, err)
		}
		if m == nil {
			m = map[string]json.RawMessage{}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write config: %w", err)
	}
	set := func(k string, v any) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // a file for people: <, > and & as they are
		enc.Encode(v)
		m[k] = bytes.TrimSpace(b.Bytes())
	}
	set("cpc", f.CPC)
	set("kiosk", f.Kiosk)
	set("central", f.Central)
	set("printer", f.Printer)
	set("baud", f.Baud)
	set("printer_profile", f.Profile)
	set("a4_queue", f.A4Queue)
	set("centre_name", f.CentreName)
	if _, ok := m["data"]; !ok {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return fmt.Errorf("write config: %w", err)
		}
		set("data", abs)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	// What kioskd will read must parse as its configuration.
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(new(Config)); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := extract.WriteFileAtomic(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	return nil
}

// installer does what the setup pages ask: test prints, the configuration
// file and the enrolment.
type installer struct {
	cfg        Config
	configPath string
	log        *slog.Logger
	http       *http.Client
	enrolled   chan struct{} // closed after a successful enrolment
	once       sync.Once
}

var _ ui.Enroller = (*installer)(nil)

func (in *installer) SaveConfig(f ui.SetupForm) error {
	if err := writeSetupConfig(in.configPath, in.cfg.Data, f); err != nil {
		return err
	}
	in.log.Info("setup: configuration written", "file", in.configPath)
	return nil
}

// Enroll enrolls the data dir with the central, making the central's
// sequence marks durable in the store first (opened for that only), and
// checks that the token was for the centre and kiosk of the form.
func (in *installer) Enroll(ctx context.Context, f ui.SetupForm) (ui.Enrolled, error) {
	raise := func(k int, years map[int]int) error {
		st, err := store.Open(in.cfg.Data, store.Options{Log: in.log})
		if err != nil {
			return explainOpen(in.cfg.Data, err)
		}
		defer st.Close()
		return st.RaiseSequences(ctx, k, years)
	}
	e, err := relay.Enroll(ctx, in.cfg.Data, f.Central, f.Token, in.http, raise)
	if err != nil {
		return ui.Enrolled{}, classifyEnrollError(err)
	}
	if e.CPC != f.CPC || e.Kiosk != f.Kiosk {
		// Not this kiosk: take the enrolment back so the kiosk stays in setup.
		if rerr := os.Remove(filepath.Join(in.cfg.Data, relay.EnrollmentFile)); rerr != nil {
			in.log.Error("setup: undo an enrolment for another kiosk", "err", rerr)
		}
		return ui.Enrolled{}, &ui.WrongKioskError{CPC: e.CPC, Kiosk: e.Kiosk}
	}
	in.once.Do(func() { close(in.enrolled) })
	return ui.Enrolled{CPC: e.CPC, Kiosk: e.Kiosk, DeviceID: e.DeviceID}, nil
}

// classifyEnrollError says what went wrong in the setup pages' terms,
// keeping the cause.
func classifyEnrollError(err error) error {
	var ce *relay.CentralError
	var ne net.Error
	switch {
	case errors.As(err, &ce) && ce.Code == relay.CodeToken:
		return fmt.Errorf("%w: %w", ui.ErrTokenRefused, err)
	case errors.As(err, &ce):
		return err
	case errors.Is(err, relay.ErrReply):
		return fmt.Errorf("%w: %w", ui.ErrNotCentral, err)
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ui.ErrCentralUnreachable, err)
	}
	return err
}

// testPrint prints the printer test page (kioskctl printer-test's) on the
// form's printer: the simulator writes it to DATA/printer.
func (in *installer) testPrint(ctx context.Context, f ui.SetupForm) error {
	prof, err := escpos.LookupProfile(f.Profile)
	if err != nil {
		return fmt.Errorf("test print: %w", err)
	}
	data, err := escpos.Encode(serial.TestPage(prof), prof)
	if err != nil {
		return fmt.Errorf("test print: %w", err)
	}
	if f.Printer == "sim" {
		name := "setup-test-" + strconv.FormatInt(time.Now().Unix(), 10)
		if _, err := emulator.SaveJob(filepath.Join(in.cfg.Data, "printer"), name, prof, data); err != nil {
			return &kiosk.PrinterError{State: kiosk.PrinterOffline, Err: err}
		}
		return nil
	}
	p := serial.Open(serial.Config{Device: f.Printer, Baud: f.Baud, ReadTimeout: 500 * time.Millisecond, Logger: in.log})
	defer p.Close()
	if err := p.Print(ctx, data); err != nil {
		state := kiosk.PrinterOffline
		switch {
		case errors.Is(err, serial.ErrPaperOut):
			state = kiosk.PrinterPaperOut
		case errors.Is(err, serial.ErrCoverOpen):
			state = kiosk.PrinterCoverOpen
		}
		return &kiosk.PrinterError{State: state, Err: err}
	}
	return nil
}

// setupForm is what the setup form starts with: the configuration as it is.
func setupForm(cfg Config) ui.SetupForm {
	return ui.SetupForm{CPC: cfg.CPC, Kiosk: cfg.Kiosk, Central: cfg.Central, Printer: cfg.Printer,
		Baud: cfg.Baud, Profile: cfg.PrinterProfile, A4Queue: cfg.A4Queue, CentreName: cfg.CentreName}
}

// setupExitDelay is how long kioskd keeps serving after the "starting"
// page went out, for the page's style and pictures.
const setupExitDelay = 500 * time.Millisecond

// setupFallback is how long RunSetup waits, after a successful enrolment,
// for the browser to fetch the "starting" page before it exits anyway.
const setupFallback = 10 * time.Second

// RunSetup serves the first-boot setup on cfg.Listen until the kiosk is
// enrolled (it then returns nil: kioskd exits and is started again in
// kiosk mode) or ctx ends (nil too). The configuration is written to
// configPath. ready, if not nil, is called with the listening address.
// The store is opened only for a moment during the enrolment.
func RunSetup(ctx context.Context, cfg Config, configPath string, log *slog.Logger, ready func(addr net.Addr)) error {
	in := &installer{cfg: cfg, configPath: configPath, log: log, enrolled: make(chan struct{}),
		http: &http.Client{Timeout: 30 * time.Second}}
	done := make(chan ui.Enrolled, 1)
	profiles := escpos.ProfileNames()
	handler := ui.NewSetupRouter(ui.SetupDeps{
		Form:     setupForm(cfg),
		DataDir:  cfg.Data,
		Devices:  setupDevices,
		Profiles: profiles,
		PINSet:   func() bool { return setupPINPresent(cfg.Data) },
		CheckPIN: func(pin string) bool {
			ok, err := CheckSetupPIN(cfg.Data, pin)
			if err != nil {
				log.Warn("setup: check the PIN", "err", err)
			}
			return ok
		},
		TestPrint: in.testPrint,
		Enroller:  in,
		Done: func(e ui.Enrolled) {
			select {
			case done <- e:
			default:
			}
		},
		Version: Version,
		Log:     log,
	})
	if !setupPINPresent(cfg.Data) {
		log.Warn("setup: no setup PIN: the screen only says how to set one", "file", filepath.Join(cfg.Data, SetupPINFile))
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("setup: listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      120 * time.Second, // a test print at 9600 baud, an enrolment
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("kioskd setup serving", "addr", ln.Addr().String(), "data", cfg.Data, "config", configPath,
		"pin_set", setupPINPresent(cfg.Data), "version", Version)
	if ready != nil {
		ready(ln.Addr())
	}
	if _, err := watchdog.Notify("READY=1"); err != nil {
		log.Warn("tell systemd we are ready", "err", err)
	}
	defer watchdog.Notify("STOPPING=1")
	if every := watchdog.Interval() / 2; every > 0 || cfg.HWWatchdog != "" {
		if every <= 0 {
			every = 10 * time.Second
		}
		p := &watchdog.Pinger{Every: every, Log: log, Device: cfg.HWWatchdog,
			Checks: []watchdog.Check{httpCheck(ln.Addr().String())}}
		wdCtx, stopWD := context.WithCancel(context.Background())
		wdDone := make(chan struct{})
		go func() { p.Run(wdCtx); close(wdDone) }()
		defer func() { stopWD(); <-wdDone }()
	}

	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("shutdown: requests still running were cut off", "err", err)
		}
	}
	var fallback <-chan time.Time
	enrolled := in.enrolled
	for {
		select {
		case err := <-served:
			return fmt.Errorf("setup: serve: %w", err)
		case <-enrolled:
			enrolled = nil // a nil channel: this case is done
			fallback = time.After(setupFallback)
		case <-fallback:
			log.Info("kioskd setup complete: restarting in kiosk mode")
			stop()
			return nil
		case e := <-done:
			log.Info("kioskd setup complete: restarting in kiosk mode", "cpc", e.CPC, "kiosk", e.Kiosk)
			// The browser still loads what the "starting" page shows.
			select {
			case <-time.After(setupExitDelay):
			case <-ctx.Done():
			}
			stop()
			return nil
		case <-ctx.Done():
			log.Info("kioskd setup stopping")
			stop()
			return nil
		}
	}
}

// httpCheck is the watchdog's check of the setup's HTTP server.
func httpCheck(addr string) watchdog.Check {
	hc := &http.Client{Timeout: 5 * time.Second}
	return watchdog.Check{Name: "http", Fn: func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz answered %d", resp.StatusCode)
		}
		return nil
	}}
}
