package extract

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// maxPDF bounds the size of a file RunVerify reads.
const maxPDF = 32 << 20

// RunVerify implements
//
//	kioskctl verify [-data DIR | -key FILE] FILE.pdf
//	kioskctl verify [-data DIR | -key FILE] -payload STRING
//
// args are the arguments after the verb. Flags may come before or after the
// file. It prints the document's facts and exits 0 when valid, prints the
// reason and exits 1 when not, and exits 2 on a usage error (including
// anchors that cannot be loaded). Without -data or -key it uses the anchors
// in ./var/kiosk, kioskd's default data dir.
func RunVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "take the trust anchors from this kiosk or central data `DIR` (keys/central.pub, keys/device.pub)")
	keyFile := fs.String("key", "", "take the trust anchors from this public key `FILE` (PEM, or base64 ed25519)")
	payload := fs.String("payload", "", "verify this QR code content instead of a file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kioskctl verify [-data DIR | -key FILE] FILE.pdf")
		fmt.Fprintln(stderr, "       kioskctl verify [-data DIR | -key FILE] -payload STRING")
		fs.PrintDefaults()
	}
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return 2 // flag has printed the error and the usage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "verify:", msg)
		fs.Usage()
		return 2
	}
	switch {
	case *dataDir != "" && *keyFile != "":
		return usage("give -data or -key, not both")
	case *payload != "" && len(files) > 0:
		return usage("give a file or -payload, not both")
	case *payload == "" && len(files) != 1:
		return usage("give one file, or -payload")
	}
	var anchors Anchors
	var err error
	switch {
	case *keyFile != "":
		anchors, err = LoadAnchorFile(*keyFile)
	case *dataDir != "":
		anchors, err = LoadAnchors(*dataDir)
	default:
		anchors, err = LoadAnchors("./var/kiosk")
	}
	if err != nil {
		fmt.Fprintln(stderr, "verify:", err)
		return 2
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintln(stderr, "verify:", err)
		return 1
	}

	var facts Facts
	var content *Extract
	if *payload != "" {
		facts, err = Verify(*payload, anchors)
	} else {
		var b []byte
		b, err = readLimited(files[0])
		if err != nil {
			fmt.Fprintln(stderr, "verify:", err)
			return 1
		}
		facts, content, err = VerifyPDF(b, anchors)
	}
	if err != nil {
		fmt.Fprintln(stdout, "INVALID:", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "verify file: "), "verify: "))
		return 1
	}
	printFacts(stdout, facts, content)
	return 0
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPDF+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxPDF {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxPDF)
	}
	return b, nil
}

// printFacts writes "key: value" lines; personal data of the content (the
// reporter) are not printed, only that the content matched.
func printFacts(w io.Writer, f Facts, e *Extract) {
	fmt.Fprintln(w, "VALID")
	if IsTrainingNumber(f.Number) {
		fmt.Fprintln(w, "TRAINING: a record of training mode, not a real report; it was never sent to the central system")
	}
	fmt.Fprintf(w, "number:            %s\n", f.Number)
	fmt.Fprintf(w, "document id:       %s\n", f.DocumentID)
	fmt.Fprintf(w, "issued:            %s\n", f.IssuedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "device:            %s\n", f.DeviceID)
	if c := f.Certificate; c != nil {
		fmt.Fprintf(w, "certificate:       CPC %s, kiosk %d, valid %s to %s, issued by %s\n", c.CPC, c.Kiosk,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), c.Issuer)
	} else {
		fmt.Fprintf(w, "certificate:       none (the device key is the anchor)\n")
	}
	fmt.Fprintf(w, "trust anchor:      %s\n", f.Anchor)
	fmt.Fprintf(w, "content sha256:    %s\n", f.ContentSHA256)
	fmt.Fprintf(w, "verification code: %s\n", f.Code)
	if e != nil {
		fmt.Fprintf(w, "content:           matches (category %s, status %s", e.Category, orNone(e.status()))
		if e.Decision != "" {
			fmt.Fprintf(w, ", decision %s", e.Decision)
		}
		if e.CaseNumber != "" {
			fmt.Fprintf(w, ", case %s", e.CaseNumber)
		}
		fmt.Fprintln(w, ")")
	} else {
		fmt.Fprintln(w, "content:           not checked (payload only: compare the content hash with the central's record)")
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
