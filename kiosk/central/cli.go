package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"cpckiosk/firmware/update"
)

// Defaults of the centrald command.
const (
	DefaultData   = "./var/central"
	DefaultListen = "127.0.0.1:8090"
	// TokenEnv is read when -operator-token is empty.
	TokenEnv = "CENTRAL_OPERATOR_TOKEN"
	// ShutdownGrace bounds the wait for in-flight requests on shutdown.
	ShutdownGrace = 4 * time.Second
)

// Config is what centrald runs with.
type Config struct {
	Data          string
	Listen        string
	OperatorToken string
	// UpdateTrust is the update root public key file: published bundles
	// must verify against it. "" checks only their form.
	UpdateTrust string
	// ClockOffset shifts the central's clock; for drills and tests only.
	ClockOffset time.Duration
	Log         *slog.Logger
	// Stderr receives the line "centrald listening on http://ADDR".
	Stderr io.Writer
}

// Run serves the central until ctx ends, then stops within ShutdownGrace
// and closes the database. Cancellation is not an error.
func Run(ctx context.Context, cfg Config) error {
	if cfg.OperatorToken == "" {
		return errors.New("centrald: no operator token: give -operator-token or set " + TokenEnv)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	now := time.Now
	var err error
	if off := cfg.ClockOffset; off != 0 {
		now = func() time.Time { return time.Now().Add(off) }
		cfg.Log.Warn("centrald: clock offset in effect (drill)", "offset", off.String())
	}
	opt := Options{Now: now, Log: cfg.Log, OperatorToken: cfg.OperatorToken}
	if cfg.UpdateTrust != "" {
		if opt.UpdateTrust, err = update.LoadTrust(cfg.UpdateTrust); err != nil {
			return fmt.Errorf("centrald: -update-trust: %w", err)
		}
	}
	srv, err := Open(cfg.Data, opt)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("centrald: listen on %s: %w", cfg.Listen, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(&slogWriter{cfg.Log}, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(cfg.Stderr, "centrald listening on http://%s\n", ln.Addr())
	cfg.Log.Info("centrald: serving", "addr", ln.Addr().String(), "data", cfg.Data)
	select {
	case err := <-served:
		return fmt.Errorf("centrald: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		cfg.Log.Warn("centrald: shutdown: in-flight requests cut", "err", err)
		hs.Close()
	}
	if err := srv.Close(); err != nil {
		return err
	}
	cfg.Log.Info("centrald: stopped")
	return nil
}

type slogWriter struct{ l *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	w.l.Warn("centrald: http server", "msg", string(p))
	return len(p), nil
}

// Main is the centrald command line; it returns the exit code: 0 done,
// 1 failure, 2 usage. ctx ends on SIGTERM or SIGINT.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "token" {
		return tokenMain(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "release" {
		return releaseMain(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("centrald", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: centrald [-data DIR] [-listen ADDR] [-operator-token TOKEN] [-update-trust FILE] [-log text|json] [-clock-offset D]\n"+
			"       centrald token -data DIR -cpc CODE -kiosk K\n"+
			"       centrald release -data DIR [-update-trust FILE] BUNDLE\n\n")
		fs.PrintDefaults()
	}
	cfg := Config{Stderr: stderr}
	fs.StringVar(&cfg.Data, "data", DefaultData, "data directory")
	fs.StringVar(&cfg.Listen, "listen", DefaultListen, "address to serve on")
	fs.StringVar(&cfg.OperatorToken, "operator-token", "", "bearer token of the operator API and page (default $"+TokenEnv+")")
	fs.StringVar(&cfg.UpdateTrust, "update-trust", "", "update root public key `file`: published bundles must verify against it (default: only their form is checked; boards verify)")
	fs.DurationVar(&cfg.ClockOffset, "clock-offset", 0, "for drills and tests only: run the central's clock this far off (e.g. -10m, 2h)")
	logFormat := fs.String("log", "text", "log format: text or json (to stderr)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "centrald: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	switch *logFormat {
	case "text":
		cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		cfg.Log = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		fmt.Fprintf(stderr, "centrald: -log must be text or json, not %q\n", *logFormat)
		return 2
	}
	if cfg.OperatorToken == "" {
		cfg.OperatorToken = os.Getenv(TokenEnv)
	}
	if cfg.OperatorToken == "" {
		fmt.Fprintf(stderr, "centrald: refusing to start without an operator token: give -operator-token TOKEN or set %s\n", TokenEnv)
		return 2
	}
	if err := Run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	return 0
}

func tokenMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("centrald token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", DefaultData, "data directory of the central")
	cpc := fs.String("cpc", "", "centre code: three capital Latin letters")
	k := fs.Int("kiosk", 0, "kiosk number 1-9")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpc == "" || *k == 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: centrald token -data DIR -cpc CODE -kiosk K")
		return 2
	}
	srv, err := Open(*data, Options{})
	if errors.Is(err, ErrLocked) {
		fmt.Fprintf(stderr, "centrald is already running on %s: ask it for a token with POST /api/v1/tokens (operator API) or on its /operator page\n", *data)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "centrald token: %v\n", err)
		return 1
	}
	defer srv.Close()
	tok, err := srv.NewToken(*cpc, *k)
	if errors.Is(err, ErrInvalid) {
		fmt.Fprintf(stderr, "centrald token: %v\n", err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "centrald token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintf(stderr, "one-time enrolment token for %s%d, valid for %s\n", *cpc, *k, srv.tokenTTL)
	return 0
}

// releaseMain publishes a bundle while the server is stopped (running, it
// takes POST /api/v1/releases).
func releaseMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("centrald release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", DefaultData, "data directory of the central")
	trust := fs.String("update-trust", "", "update root public key `file` the bundle must verify against")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: centrald release -data DIR [-update-trust FILE] BUNDLE")
		return 2
	}
	var opt Options
	if *trust != "" {
		var err error
		if opt.UpdateTrust, err = update.LoadTrust(*trust); err != nil {
			fmt.Fprintf(stderr, "centrald release: %v\n", err)
			return 1
		}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "centrald release: %v\n", err)
		return 1
	}
	defer f.Close()
	srv, err := Open(*data, opt)
	if errors.Is(err, ErrLocked) {
		fmt.Fprintf(stderr, "centrald is already running on %s: publish with POST /api/v1/releases (operator API)\n", *data)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "centrald release: %v\n", err)
		return 1
	}
	defer srv.Close()
	rel, created, err := srv.Publish(f)
	if err != nil {
		fmt.Fprintf(stderr, "centrald release: %s\n", strings.TrimPrefix(err.Error(), "central: publish: "))
		return 1
	}
	what := "published"
	if !created {
		what = "already published"
	}
	sig := "not checked here (no -update-trust; the boards check it)"
	if rel.Verified {
		sig = "verified, release key " + rel.SignedBy
	}
	fmt.Fprintf(stdout, "%s: %s for %s, %d bytes, sha256 %s, signature %s\n", what, rel.Version, rel.Arch, rel.Size, rel.SHA256, sig)
	return 0
}
