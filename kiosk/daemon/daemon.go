package daemon

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"cpckiosk/firmware/health"
	"cpckiosk/firmware/update"
	"cpckiosk/firmware/watchdog"
	"cpckiosk/kiosk"
	"cpckiosk/kiosk/admin"
	"cpckiosk/kiosk/relay"
	"cpckiosk/kiosk/store"
	"cpckiosk/printer/cups"
	"cpckiosk/printer/device"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/extract"
	"cpckiosk/ui"
)

// Version is set by the build (-ldflags "-X cpckiosk/kiosk/daemon.Version=…").
var Version = "dev"

// ShutdownGrace bounds how long in-flight requests may take after SIGTERM
// (DESIGN 3.2 allows 5 s for the whole exit).
const ShutdownGrace = 4 * time.Second

// floorEvery is how often the time floor is persisted between reports.
const floorEvery = time.Minute

// genericCentre is printed on receipts and extracts when -centre-name is not
// set; the touch pages then show the same in the citizen's language.
const genericCentre = "Маркази милитсияи ҷамъиятӣ"

// printedCentre is the centre name for paper.
func (c Config) printedCentre() string {
	if c.CentreName == "" {
		return genericCentre
	}
	return c.CentreName
}

// Run opens the store in cfg.Data, serves the kiosk on cfg.Listen and returns
// nil once ctx ends and everything is closed. ready, if not nil, is called
// with the listening address once requests are served.
func Run(ctx context.Context, cfg Config, log *slog.Logger, ready func(addr net.Addr)) error {
	st, err := store.Open(cfg.Data, store.Options{Log: log})
	if err != nil {
		return explainOpen(cfg.Data, err)
	}
	defer st.Close()

	floor, err := st.TimeFloor()
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	clock := kiosk.NewTrustedClock(kiosk.SystemClock{}, floor, health.ClockSynced)
	svc, err := kiosk.NewService(st, clock, kiosk.Config{CPC: cfg.CPC, Kiosk: cfg.Kiosk}, log)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}

	reserve := health.Reserve{Percent: cfg.DiskReservePercent, Bytes: uint64(cfg.DiskReserveMB) << 20}
	spaceGuard := func() error {
		if err := reserve.Check(cfg.Data); errors.Is(err, health.ErrLowDisk) {
			return err
		}
		return nil // a disk that cannot be measured does not stop reports; the store still refuses to half-write
	}
	svc.UseSpaceGuard(spaceGuard)

	key, deviceID, err := extract.LoadOrCreateDeviceKey(filepath.Join(cfg.Data, "keys"))
	if err != nil {
		return fmt.Errorf("start: device key: %w", err)
	}
	cert, err := extract.LoadCertificate(filepath.Join(cfg.Data, "keys"))
	if err != nil {
		return fmt.Errorf("start: device certificate: %w", err)
	}
	renderer := &extract.KioskRenderer{
		Signer:   extract.Signer{Key: key, DeviceID: deviceID, Certificate: cert},
		Ministry: cfg.Ministry, Centre: cfg.printedCentre(),
	}
	svc.UseExtracts(renderer)

	var prints *kiosk.PrintQueue
	var prn kiosk.Printer
	if cfg.Printer != "none" {
		prn, err = openPrinter(cfg, log)
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		prints = kiosk.NewPrintQueue(st, prn, log)
		svc.UsePrintQueue(prints)
		printCtx, stopPrints := context.WithCancel(context.Background())
		printsDone := make(chan struct{})
		go func() { prints.Run(printCtx); close(printsDone) }()
		defer func() { stopPrints(); <-printsDone }()
	}
	var receipt func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus
	var picture func(r *kiosk.Report, code string) ([]byte, error)
	if lp, ok := prn.(interface {
		Picture(*kiosk.Report, string) ([]byte, error)
	}); ok {
		picture = lp.Picture
	}
	if prints != nil {
		receipt = func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus {
			return prints.Wait(ctx, c.ReceiptJob, cfg.ReceiptWait)
		}
	}

	worker := &relay.Worker{Store: st, CPPT: st, DataDir: cfg.Data, CPC: cfg.CPC, Kiosk: cfg.Kiosk, CentralURL: cfg.Central,
		Clock: clock, SystemSynced: health.ClockSynced, Log: log, Retention: cfg.Retention, PollEvery: cfg.RelayPoll,
		IdleEvery: min(relay.DefaultIdleEvery, cfg.RelayPoll)}
	if err := raiseSequences(ctx, cfg, st); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	svc.UsePersonalSource(worker)
	fetcher, fetchOff := newFetcher(cfg, clock, reserve, log)
	updateHealth := func() *relay.UpdateHealth {
		status := fetchOff
		if fetcher != nil {
			status = fetcher.Status()
		}
		return relay.ReadUpdateHealth(cfg.UpdateRoot, status)
	}
	worker.Health = func() *relay.DeviceHealth {
		snap := health.Read(cfg.Data)
		h := &relay.DeviceHealth{Version: Version, Arch: update.DeviceArch(), Printer: kiosk.PrinterOffline, DiskFree: snap.DiskFree,
			DiskTotal: snap.DiskTotal, MemAvailable: snap.MemAvailable, CPUTempC: snap.CPUTempC,
			UptimeSeconds: snap.UptimeSeconds, At: snap.At, Update: updateHealth()}
		_, h.ClockSynced = clock.Now()
		if prints != nil {
			h.Printer = prints.PrinterState()
		}
		if n, err := st.OutboxLen(context.Background()); err == nil {
			h.Pending = n
		}
		return h
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	if fetcher != nil {
		worker.OnRelease = fetcher.Offer
		fetchDone := make(chan struct{})
		go func() { fetcher.Run(relayCtx); close(fetchDone) }()
		defer func() { stopRelay(); <-fetchDone }()
	}
	relayDone := make(chan struct{})
	go func() { worker.Run(relayCtx); close(relayDone) }()
	defer func() { stopRelay(); <-relayDone }()

	xprinter := &device.Extracts{A4Queue: cfg.A4Queue, Receipt: prn, Device: key.Public().(ed25519.PublicKey)}
	svc.UseExtractPrinter(xprinter)

	activity := &ui.Activity{}
	accounts := kiosk.NewAccounts(st, clock, log)
	cppt, err := kiosk.NewCPPT(st, clock, kiosk.CPPTConfig{CPC: cfg.CPC, Settlements: cfg.Places}, log)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	var printA4 func(ctx context.Context, title string, pdf []byte) (string, error)
	if cfg.A4Queue != "" {
		printA4 = func(ctx context.Context, title string, pdf []byte) (string, error) {
			return cups.Client{Title: title}.Send(ctx, cfg.A4Queue, pdf)
		}
	}
	var handler *training // the switch of training mode, made from deps below
	deps := ui.Deps{
		Activity:       activity,
		Accounts:       accounts,
		CPPT:           cppt,
		Officer:        kiosk.NewOfficer(st, clock, svc, log),
		PrintA4:        printA4,
		Site:           ui.Site{CentreName: cfg.CentreName, Hotline: cfg.Hotline},
		Service:        svc,
		Log:            log,
		Receipt:        receipt,
		ReceiptPicture: picture,
		Health: func(ctx context.Context) ui.Health {
			h := ui.Health{Status: "ok", Version: Version, Printer: kiosk.PrinterOffline}
			if prints != nil {
				h.Printer = prints.PrinterState()
			}
			n, err := st.OutboxLen(ctx)
			if err != nil {
				h.Status = "degraded"
			}
			h.Relay.Pending = n
			if c, err := st.CPPTOutboxLen(ctx); err == nil {
				h.Relay.PendingCPPT = c
			}
			rs := worker.Status()
			h.Relay.Enrolled, h.Relay.Rejected, h.Relay.LastError = rs.Enrolled, rs.Rejected, rs.LastError
			if !rs.LastSuccess.IsZero() {
				h.Relay.LastSuccess = &rs.LastSuccess
			}
			if jobs, err := st.PendingPrintJobs(ctx); err == nil {
				h.Receipts = len(jobs)
			}
			_, h.ClockSynced = clock.Now()
			h.System = health.Read(cfg.Data)
			if reserve.Check(cfg.Data) != nil {
				h.Status = "degraded"
			}
			if u := updateHealth(); u != nil {
				h.Update = u
			}
			h.Training = handler != nil && handler.On()
			return h
		},
	}
	// The handler serves the real records, or training mode's (training.go).
	handler, err = startTraining(ctx, st, svc, trainingParts{cfg: cfg, clock: clock, log: log, guard: spaceGuard,
		extracts: renderer, xprinter: xprinter, printer: prn}, deps)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer handler.Close()

	sockCtx, stopSock := context.WithCancel(context.Background())
	defer stopSock()
	go func() {
		busy := func(ctx context.Context) (bool, string) {
			if t := activity.Last(); time.Since(t) < citizenSession {
				return true, "a citizen is using the kiosk"
			}
			if jobs, err := st.PendingPrintJobs(ctx); err == nil && len(jobs) > 0 {
				return true, fmt.Sprintf("%d print jobs waiting", len(jobs))
			}
			return false, ""
		}
		if err := admin.Serve(sockCtx, cfg.Data, admin.Control{Store: st, Busy: busy, Accounts: accounts}); err != nil {
			log.Warn("control socket for kioskctl unavailable", "err", err)
		}
	}()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("start: listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("kioskd serving", "addr", ln.Addr().String(), "data", cfg.Data, "cpc", cfg.CPC,
		"kiosk", cfg.Kiosk, "version", Version)
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
		p := &watchdog.Pinger{Every: every, Log: log, Device: cfg.HWWatchdog, Checks: aliveChecks(st, ln.Addr().String(), worker)}
		wdCtx, stopWD := context.WithCancel(context.Background())
		wdDone := make(chan struct{})
		go func() { p.Run(wdCtx); close(wdDone) }()
		defer func() { stopWD(); <-wdDone }()
	}

	tick := time.NewTicker(floorEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-tick.C:
			if err := st.SaveTimeFloor(ctx, clock.Floor()); err != nil {
				log.Warn("persist time floor", "err", err)
			}
		case <-ctx.Done():
			log.Info("kioskd stopping")
			sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
			err := srv.Shutdown(sctx)
			cancel()
			if err != nil {
				log.Warn("shutdown: requests still running were cut off", "err", err)
			}
			if err := st.SaveTimeFloor(context.Background(), clock.Floor()); err != nil {
				log.Warn("persist time floor", "err", err)
			}
			return nil
		}
	}
}

// newFetcher makes the downloader of the releases the central offers, or
// says why there is none: without the update trust file nothing could be
// verified or installed.
func newFetcher(cfg Config, clock *kiosk.TrustedClock, reserve health.Reserve, log *slog.Logger) (*relay.Fetcher, string) {
	trust, err := update.LoadTrust(cfg.UpdateTrust)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			log.Info("updates from the central are off: no update trust file", "file", cfg.UpdateTrust)
		} else {
			log.Warn("updates from the central are off: the update trust file does not load", "file", cfg.UpdateTrust, "err", err)
		}
		return nil, "off: no update trust key (" + cfg.UpdateTrust + ")"
	}
	return &relay.Fetcher{Dir: filepath.Join(cfg.Data, relay.UpdatesDir), DataDir: cfg.Data, Root: cfg.UpdateRoot,
		Arch: update.DeviceArch(), Version: Version, Trust: trust, Reserve: reserve, Log: log,
		Now: func() time.Time { t, _ := clock.Now(); return t }}, ""
}

// citizenSession is how long after a person's last request the kiosk counts
// as in use: the pages wipe a session after 60 s idle and a 20 s warning.
const citizenSession = 90 * time.Second

// aliveChecks are what must work for the watchdog to be fed: the store
// commits, the HTTP server answers, the relay worker's loop turns.
func aliveChecks(st *store.Store, addr string, w *relay.Worker) []watchdog.Check {
	hc := &http.Client{Timeout: 5 * time.Second}
	return []watchdog.Check{
		{Name: "store", Fn: st.Ping},
		{Name: "http", Fn: func(ctx context.Context) error {
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
		}},
		{Name: "relay", Fn: func(context.Context) error {
			if !w.Alive(time.Minute) {
				return errors.New("the relay worker's loop stopped turning")
			}
			return nil
		}},
	}
}

// raiseSequences applies the central's sequence high-water marks of an
// enrolled kiosk before the first report is numbered (enrolment applied them
// too; this covers a store restored from an older backup).
func raiseSequences(ctx context.Context, cfg Config, st *store.Store) error {
	e, err := relay.LoadEnrollment(cfg.Data)
	if errors.Is(err, relay.ErrNotEnrolled) {
		return nil
	}
	if err != nil {
		return err
	}
	if e.CPC != cfg.CPC || e.Kiosk != cfg.Kiosk {
		return nil // the relay refuses to run and says why in /healthz
	}
	years, err := e.Years()
	if err != nil {
		return err
	}
	return st.RaiseSequences(ctx, cfg.Kiosk, years)
}

// explainOpen turns a store error into a message that says what to do.
func explainOpen(dir string, err error) error {
	db := filepath.Join(dir, store.DBFile)
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("another kioskd is already running on %s (its database %s is locked); stop it first (systemctl stop kioskd) or use another -data dir", dir, db)
	case errors.Is(err, store.ErrCorrupt):
		return fmt.Errorf("%w\nkioskd will not start and has not modified the file. Keep it: copy %s somewhere safe, then restore the last backup into %s, or move the file aside (mv %s %s.corrupt) to start with an empty database; records already sent to the central are safe there", err, db, dir, db, db)
	case errors.Is(err, store.ErrSchema):
		return fmt.Errorf("%w\nkioskd will not start and has not modified the file: install the kioskd version that wrote it, or restore a backup made by this version", err)
	}
	return fmt.Errorf("start: %w", err)
}

// openPrinter returns the receipt printer of cfg: the simulator or a serial
// ESC/POS printer.
func openPrinter(cfg Config, log *slog.Logger) (kiosk.Printer, error) {
	profile, err := escpos.LookupProfile(cfg.PrinterProfile)
	if err != nil {
		return nil, fmt.Errorf("-printer-profile %q: %w (known: %s)", cfg.PrinterProfile, err, strings.Join(escpos.ProfileNames(), ", "))
	}
	l := device.Layout{Profile: profile, CentreName: cfg.printedCentre(), Hotline: cfg.Hotline}
	if cfg.Printer == "sim" {
		return &device.Sim{Layout: l, Dir: filepath.Join(cfg.Data, "printer")}, nil
	}
	return device.OpenSerial(l, cfg.Printer, cfg.Baud, log), nil
}
