package serial

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"cpckiosk/printer/escpos"
)

// TestPage is the page `kioskctl printer-test` prints: every Tajik and
// Uzbek letter, the Russian alphabet, sizes 1-4, bold, the three
// alignments and a QR code, then a full cut.
func TestPage(p escpos.Profile) escpos.Document {
	var d escpos.Document
	c := escpos.Style{Align: escpos.Center}
	d.Line("CPC Kiosk", escpos.Style{Width: 2, Height: 2, Bold: true, Align: escpos.Center})
	d.Line("Санҷиши чопгар / Printer test", c)
	d.Line(fmt.Sprintf("%s, %d dots, %d columns", p.Name, p.Dots, p.Columns), c)
	d.Add(escpos.Separator{Char: '='})
	d.Line("Тоҷикӣ: Ғ ғ Ӣ ӣ Қ қ Ӯ ӯ Ҳ ҳ Ҷ ҷ", escpos.Style{})
	d.Line("Ўзбекча: Ў ў Қ қ Ғ ғ Ҳ ҳ", escpos.Style{})
	d.Line("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ", escpos.Style{})
	d.Line("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", escpos.Style{})
	d.Line("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", escpos.Style{})
	d.Line("Ҷумҳурии Тоҷикистон — қонун, ҳуқуқ, ғамхорӣ, хӯрок", escpos.Style{Bold: true})
	d.Add(escpos.Separator{})
	for s := 1; s <= 4; s++ {
		d.Line(fmt.Sprintf("%dx%d ҒӢҚ", s, s), escpos.Style{Width: s, Height: s})
	}
	d.Line("1x2 Ӯӯ Ҳҳ Ҷҷ", escpos.Style{Height: 2})
	d.Line("2x1 Ӯӯ Ҳҳ Ҷҷ", escpos.Style{Width: 2})
	d.Add(escpos.Separator{})
	d.Line("Чап / Left", escpos.Style{Align: escpos.Left})
	d.Line("Марказ / Centre", escpos.Style{Align: escpos.Center})
	d.Line("Рост / Right", escpos.Style{Align: escpos.Right})
	d.Line("Ғафс / Bold", escpos.Style{Bold: true})
	d.Add(escpos.Separator{})
	d.Add(escpos.QR{Data: "https://cpc.tj/printer-test", Align: escpos.Center})
	d.Line("QR: https://cpc.tj/printer-test", c)
	d.Add(escpos.Cut{})
	return d
}

// RunPrinterTest implements `kioskctl printer-test -device DEV -baud N
// -profile P`: it reads the printer's status, prints TestPage and reports
// the outcome. Exit codes: 0 printed, 1 failure, 2 usage.
func RunPrinterTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("printer-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "serial device of the printer, e.g. /dev/ttyUSB0")
	baud := fs.Int("baud", 9600, "line speed")
	profile := fs.String("profile", "generic-80", "printer profile: "+fmt.Sprint(escpos.ProfileNames()))
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kioskctl printer-test -device DEV [-baud N] [-profile P]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *device == "" || *baud <= 0 {
		fs.Usage()
		return 2
	}
	prof, err := escpos.LookupProfile(*profile)
	if err != nil {
		fmt.Fprintln(stderr, "printer-test:", err)
		return 2
	}
	data, err := escpos.Encode(TestPage(prof), prof)
	if err != nil {
		fmt.Fprintln(stderr, "printer-test:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	p := Open(Config{Device: *device, Baud: *baud})
	defer p.Close()
	st, err := p.Status(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "printer-test:", err)
		return 1
	}
	fmt.Fprintf(stdout, "status before: %s\n", st)
	fmt.Fprintf(stdout, "sending %d bytes (%.1f s at %d baud)\n", len(data), LineTime(len(data), *baud).Seconds(), *baud)
	if err := p.Print(ctx, data); err != nil {
		fmt.Fprintln(stderr, "printer-test:", err)
		return 1
	}
	st, err = p.Status(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "printer-test:", err)
		return 1
	}
	fmt.Fprintf(stdout, "printed; status after: %s\n", st)
	return 0
}
