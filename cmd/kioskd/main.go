// Command kioskd is the CPC Kiosk appliance daemon: the citizen's touch
// screen, the report API, the durable store, the receipt printer and the
// relay to the central system (DESIGN 3.2).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"cpckiosk/kiosk/daemon"
)

func main() {
	cfg, configPath, setup, err := daemon.ParseForSetup(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kioskd:", err)
		os.Exit(2)
	}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, nil)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(os.Stderr, nil)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(h)
	if setup { // not configured or not enrolled yet: the technician's setup screen
		err = daemon.RunSetup(ctx, cfg, configPath, log, nil)
	} else {
		err = daemon.Run(ctx, cfg, log, nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kioskd:", err)
		os.Exit(1)
	}
}
