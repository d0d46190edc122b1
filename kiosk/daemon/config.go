// Package daemon assembles kioskd: it reads the configuration, opens the
// store, wires the domain service, the HTTP router and the printer, and runs
// them until its context ends. cmd/kioskd only parses the command line
// (ParseForSetup) and calls Run, or RunSetup while the kiosk still needs its
// first-boot setup (setup.go).
package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/kiosk"
)

// Config is kioskd's configuration (DESIGN 3.2). A JSON file given with
// -config sets any of these fields by its json name; flags on the command
// line override the file.
type Config struct {
	Data           string `json:"data"`
	Listen         string `json:"listen"`
	Printer        string `json:"printer"`
	Baud           int    `json:"baud"`
	PrinterProfile string `json:"printer_profile"`
	Central        string `json:"central"`
	CPC            string `json:"cpc"`
	Kiosk          int    `json:"kiosk"`
	CentreName     string `json:"centre_name"`
	Ministry       string `json:"ministry"`
	A4Queue        string `json:"a4_queue"`
	// Places are the settlements of the centre's district, offered on the
	// touch screen's "where" step.
	Places    []string `json:"places"`
	Hotline   string   `json:"hotline"`
	LogFormat string   `json:"log_format"` // "json" (default) or "text"
	// ReceiptWait is how long a report's reply waits for its receipt to
	// print before it says "queued"; 0 answers at once after the commit.
	ReceiptWait time.Duration `json:"-"`
	// Retention is how long personal data stays on the kiosk after the
	// central acknowledged it (default 30 days).
	Retention time.Duration `json:"-"`
	// RelayPoll is how often an idle relay pulls status updates.
	RelayPoll time.Duration `json:"-"`
	// DiskReservePercent and DiskReserveMB: new reports are refused when
	// less than the smaller of the two is free on the data dir's disk.
	DiskReservePercent float64 `json:"disk_reserve_percent"`
	DiskReserveMB      int     `json:"disk_reserve_mb"`
	// HWWatchdog is a hardware watchdog device (/dev/watchdog) to feed
	// while healthy; "" for none.
	HWWatchdog string `json:"hw_watchdog"`
	// UpdateRoot holds the release slots and their state.json
	// (firmware/update); kioskd only reads it, for its health and so as
	// not to download a release that failed here.
	UpdateRoot string `json:"update_root"`
	// UpdateTrust is the update root public key file. Releases the central
	// offers are downloaded into DATA/updates and handed to the root
	// updater only when they verify against it; without it none are.
	UpdateTrust string `json:"update_trust"`
}

// Defaults returns the configuration of DESIGN 3.2 with nothing set.
func Defaults() Config {
	return Config{
		Data: "./var/kiosk", Listen: "127.0.0.1:8080", Printer: "sim", Baud: 9600,
		PrinterProfile: "generic-80", LogFormat: "json", ReceiptWait: 3 * time.Second,
		Retention: 30 * 24 * time.Hour, RelayPoll: 30 * time.Second,
		DiskReservePercent: 5, DiskReserveMB: 200,
		UpdateRoot: update.DefaultRoot, UpdateTrust: update.DefaultTrustFile,
		Ministry: "Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон",
	}
}

// ParseArgs reads kioskd's command line (and the -config file it names).
// Errors are usage errors: kioskd prints them and exits 2.
func ParseArgs(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "JSON configuration `file`; flags override it")
	var c Config
	fs.StringVar(&c.Data, "data", "", "data `dir` (default ./var/kiosk)")
	fs.StringVar(&c.Listen, "listen", "", "HTTP listen `addr` (default 127.0.0.1:8080)")
	fs.StringVar(&c.Printer, "printer", "", "receipt printer: sim, none or a serial `device` (default sim)")
	receiptWait := fs.Duration("receipt-wait", -1, "how long a report's reply waits for its receipt to print (default 3s)")
	retention := fs.Duration("retention", -1, "how long personal data stays here after the central acknowledged it (default 720h)")
	relayPoll := fs.Duration("relay-poll", -1, "how often an idle relay asks the central for status updates (default 30s)")
	reservePct := fs.Float64("disk-reserve-percent", -1, "refuse new reports below this share of free disk (default 5; the smaller of this and -disk-reserve-mb applies; 0 turns the reserve off)")
	reserveMB := fs.Int("disk-reserve-mb", -1, "refuse new reports below this many MB free (default 200)")
	fs.StringVar(&c.UpdateRoot, "update-root", "", "the release slots' `dir`, read for state.json (default "+update.DefaultRoot+")")
	fs.StringVar(&c.UpdateTrust, "update-trust", "", "update root public key `file`: releases the central offers are downloaded only when they verify against it (default "+update.DefaultTrustFile+")")
	fs.StringVar(&c.HWWatchdog, "hw-watchdog", "", "hardware watchdog `device` to feed while healthy, e.g. /dev/watchdog (default none)")
	fs.IntVar(&c.Baud, "baud", 0, "serial line speed (default 9600)")
	fs.StringVar(&c.PrinterProfile, "printer-profile", "", "printer profile `name` (default generic-80)")
	fs.StringVar(&c.Central, "central", "", "central system `URL` (default none: records wait in the outbox)")
	fs.StringVar(&c.CPC, "cpc", "", "centre `code`: three capital Latin letters, e.g. ISF")
	fs.IntVar(&c.Kiosk, "kiosk", 0, "kiosk `digit` 1-9 within the centre")
	fs.StringVar(&c.CentreName, "centre-name", "", "centre name printed on receipts, extracts and the stamp")
	fs.StringVar(&c.Ministry, "ministry", "", "ministry name in the header of extracts")
	fs.StringVar(&c.A4Queue, "a4-queue", "", "CUPS `queue` of the A4 printer for extracts (default none)")
	places := fs.String("places", "", "the district's settlements for the touch screen, comma-separated (`list`)")
	fs.StringVar(&c.Hotline, "hotline", "", "hotline number printed on receipts")
	fs.StringVar(&c.LogFormat, "log", "", "log format: json or text (default json)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	base := Defaults()
	if *cfgFile != "" {
		if err := readConfigFile(*cfgFile, &base); err != nil {
			return Config{}, err
		}
	}
	if *receiptWait >= 0 {
		c.ReceiptWait = *receiptWait
		base.ReceiptWait = *receiptWait
	}
	if *reservePct >= 0 {
		c.DiskReservePercent, base.DiskReservePercent = *reservePct, *reservePct
	}
	if *reserveMB >= 0 {
		c.DiskReserveMB, base.DiskReserveMB = *reserveMB, *reserveMB
	}
	if *retention >= 0 {
		c.Retention, base.Retention = *retention, *retention
	}
	if *relayPoll >= 0 {
		c.RelayPoll, base.RelayPoll = *relayPoll, *relayPoll
	}
	if *places != "" {
		c.Places = nil
		for _, p := range strings.Split(*places, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.Places = append(c.Places, p)
			}
		}
	}
	merge(&base, c)
	if err := base.Validate(); err != nil {
		return Config{}, err
	}
	return base, nil
}

func readConfigFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// merge copies the fields set in o over c.
func merge(c *Config, o Config) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Data, o.Data)
	set(&c.Listen, o.Listen)
	set(&c.Printer, o.Printer)
	set(&c.PrinterProfile, o.PrinterProfile)
	set(&c.Central, o.Central)
	set(&c.CPC, o.CPC)
	set(&c.CentreName, o.CentreName)
	set(&c.Ministry, o.Ministry)
	set(&c.A4Queue, o.A4Queue)
	if o.Places != nil {
		c.Places = o.Places
	}
	set(&c.Hotline, o.Hotline)
	set(&c.LogFormat, o.LogFormat)
	if o.Baud != 0 {
		c.Baud = o.Baud
	}
	if o.Kiosk != 0 {
		c.Kiosk = o.Kiosk
	}
	set(&c.HWWatchdog, o.HWWatchdog)
	set(&c.UpdateRoot, o.UpdateRoot)
	set(&c.UpdateTrust, o.UpdateTrust)
}

// Validate checks the configuration and says what to fix.
func (c Config) Validate() error {
	var errs []error
	if c.CPC == "" {
		errs = append(errs, errors.New("-cpc is required: the centre's three capital Latin letters, e.g. -cpc ISF"))
	} else if !kiosk.ValidCPC(c.CPC) {
		errs = append(errs, fmt.Errorf("-cpc %q: want three capital Latin letters, e.g. ISF", c.CPC))
	}
	if c.Kiosk < 1 || c.Kiosk > 9 {
		errs = append(errs, fmt.Errorf("-kiosk %d: want the kiosk's digit 1-9 within the centre", c.Kiosk))
	}
	switch c.Baud {
	case 9600, 19200, 38400, 57600, 115200:
	default:
		errs = append(errs, fmt.Errorf("-baud %d: want 9600, 19200, 38400, 57600 or 115200", c.Baud))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("-log %q: want json or text", c.LogFormat))
	}
	for _, p := range c.Places {
		if p == "" || len([]rune(p)) > 60 || strings.ContainsAny(p, "\x00\n\r\t") {
			errs = append(errs, fmt.Errorf("-places: %q is not a settlement name (1-60 characters, one line)", p))
		}
	}
	if c.DiskReservePercent < 0 || c.DiskReservePercent > 50 {
		errs = append(errs, fmt.Errorf("-disk-reserve-percent %v: want 0 to 50", c.DiskReservePercent))
	}
	if c.DiskReserveMB < 0 {
		errs = append(errs, fmt.Errorf("-disk-reserve-mb %d: want 0 or more", c.DiskReserveMB))
	}
	if c.Retention < time.Minute {
		errs = append(errs, fmt.Errorf("-retention %v: want at least 1m", c.Retention))
	}
	if c.RelayPoll < 100*time.Millisecond || c.RelayPoll > time.Hour {
		errs = append(errs, fmt.Errorf("-relay-poll %v: want 100ms to 1h", c.RelayPoll))
	}
	if c.ReceiptWait < 0 || c.ReceiptWait > time.Minute {
		errs = append(errs, fmt.Errorf("-receipt-wait %v: want 0 to 1m", c.ReceiptWait))
	}
	if c.Data == "" || c.Listen == "" || c.Printer == "" || c.UpdateRoot == "" || c.UpdateTrust == "" {
		errs = append(errs, errors.New("-data, -listen, -printer, -update-root and -update-trust must not be empty"))
	}
	return errors.Join(errs...)
}
