// Command centrald is the reference central system the kiosks relay to
// (DESIGN 3.4): device enrolment and relay, the operator API and pages, and
// the public verification of extracts. The work lives in package
// cpckiosk/kiosk/central; this main only wires signals to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"cpckiosk/kiosk/central"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := central.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
