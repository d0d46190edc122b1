// Command kioskctl is the technician's and operator's tool for a CPC kiosk
// (DESIGN 3.5). Each verb lives in a package; this file only dispatches.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"cpckiosk/firmware/update"
	"cpckiosk/kiosk/admin"
	"cpckiosk/kiosk/daemon"
	"cpckiosk/printer/extract"
	"cpckiosk/printer/serial"
)

type verb struct {
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) int
	help string
}

var verbs = map[string]verb{
	"audit":        {admin.RunAudit, "audit -data DIR: verify the hash-chained audit trail"},
	"enroll":       {admin.RunEnroll, "enroll -data DIR -central URL -token TOKEN: register this kiosk with the central"},
	"printer-test": {serial.RunPrinterTest, "printer-test -device DEV -baud N -profile P: print a test page (all Tajik letters, sizes, a QR code)"},
	"setup-pin":    {withStdin(daemon.RunSetupPIN), "setup-pin -data DIR: set the first-boot setup PIN (6-12 digits on stdin)"},
	"update":       {update.Run, "update keygen|sign|verify|apply|status|recover ...: signed A/B updates (kioskctl update help)"},
	"user":         {withStdin(admin.RunUser), "user add|list|reset|disable -data DIR ...: staff accounts (secret on stdin)"},
	"verify":       {extract.RunVerify, "verify [-data DIR | -key FILE] FILE.pdf | -payload STRING: check an extract"},
}

// withStdin adapts a verb that reads a secret from standard input.
func withStdin(run func(context.Context, []string, io.Reader, io.Writer, io.Writer) int) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return run(ctx, args, os.Stdin, stdout, stderr)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kioskctl VERB [flags]")
	for _, name := range []string{"audit", "enroll", "printer-test", "setup-pin", "update", "user", "verify"} {
		fmt.Fprintln(w, "  kioskctl", verbs[name].help)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	v, ok := verbs[os.Args[1]]
	if !ok {
		if os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
			usage(os.Stdout)
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "kioskctl: unknown verb %q\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(v.run(ctx, os.Args[2:], os.Stdout, os.Stderr))
}
