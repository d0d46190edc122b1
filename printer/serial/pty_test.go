package serial

import (
	"context"
	"errors"
	"flag"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/receipt"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// line is a pseudo-terminal with the emulator on the master side and the
// tty side reachable at a symlink path, like /dev/serial/by-id/... on the
// board.
type line struct {
	emu    *emulator.Emulator
	master *os.File
	tty    *os.File
	cancel context.CancelFunc
	done   chan error
	// cutAfter closes the master once this many bytes arrived (0: never).
	cutAfter int
	once     sync.Once
}

// newLine creates a pty, points link at its tty and serves the emulator.
func newLine(t *testing.T, p escpos.Profile, link string, cutAfter int) *line {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	// Raw mode on the line, so 0x0A 0x0D 0x11 0x13 0x03 pass untouched
	// before and after tarm/serial sets its own raw termios.
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag = tio.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	// creack/pty leaves the master in blocking mode; a non-blocking
	// duplicate goes through the runtime poller, so Serve can be cancelled.
	fd, err := unix.Dup(int(master.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	_ = master.Close()
	master = os.NewFile(uintptr(fd), "ptmx")
	_ = os.Remove(link)
	if err := os.Symlink(tty.Name(), link); err != nil {
		t.Fatal(err)
	}
	l := &line{emu: emulator.New(p), master: master, tty: tty, done: make(chan error, 1), cutAfter: cutAfter}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() { l.done <- l.emu.Serve(ctx, &cutter{l: l}) }()
	t.Cleanup(l.close)
	return l
}

func (l *line) close() {
	l.once.Do(func() {
		l.cancel()
		<-l.done
		_ = l.master.Close()
		_ = l.tty.Close()
	})
}

// cutter is the master side; it hangs the line up after cutAfter bytes.
type cutter struct {
	l    *line
	seen int
}

func (c *cutter) Read(b []byte) (int, error) {
	n, err := c.l.master.Read(b)
	c.seen += n
	if c.l.cutAfter > 0 && c.seen >= c.l.cutAfter {
		_ = c.l.master.Close() // the adapter is pulled out
		return n, io.ErrClosedPipe
	}
	return n, err
}

func (c *cutter) Write(b []byte) (int, error) { return c.l.master.Write(b) }

func (c *cutter) SetReadDeadline(t time.Time) error { return c.l.master.SetReadDeadline(t) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func profile(t testing.TB, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func receiptBytes(t testing.TB, lang string, p escpos.Profile) ([]byte, escpos.Document) {
	t.Helper()
	d := receipt.Data{
		Lang: lang, CentreName: "МХҶ Исфара", Number: "ISF1-26-000123-4", AccessCode: "7KQ2-M9XD",
		Category: "theft", CreatedAt: time.Date(2026, 3, 21, 9, 5, 0, 0, time.UTC),
		Hotline: "1313", QR: "https://verify.cpc.tj/r/ISF1-26-000123-4",
	}
	doc, err := receipt.Build(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := escpos.Encode(doc, p)
	if err != nil {
		t.Fatal(err)
	}
	return b, doc
}

// expectedText is the text lines doc must print as on profile p.
func expectedText(doc escpos.Document, p escpos.Profile) []string {
	var out []string
	for _, b := range doc.Blocks {
		switch b := b.(type) {
		case escpos.Text:
			w := max(b.Style.Width, 1)
			for _, s := range escpos.Sanitize(b.Text) {
				out = append(out, escpos.Wrap(s, p.Columns/w)...)
			}
		case escpos.Separator:
			c := b.Char
			if c == 0 {
				c = '-'
			}
			out = append(out, strings.Repeat(string(c), p.Columns))
		}
	}
	return out
}

func newPrinter(t *testing.T, link string, readTimeout time.Duration) *Printer {
	p := Open(Config{Device: link, Baud: 115200, ReadTimeout: readTimeout, ChunkBytes: 256})
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestPtyReceiptAllLanguages(t *testing.T) {
	prof := profile(t, "tm-t20")
	link := filepath.Join(t.TempDir(), "printer")
	l := newLine(t, prof, link, 0)
	p := newPrinter(t, link, time.Second)
	ctx := testCtx(t)
	var want []string
	for _, lang := range receipt.Langs {
		b, doc := receiptBytes(t, lang, prof)
		if err := p.Print(ctx, b); err != nil {
			t.Fatalf("%s: Print: %v", lang, err)
		}
		want = append(want, expectedText(doc, prof)...)
	}
	if got := l.emu.Text(); !slices.Equal(got, want) {
		t.Errorf("decoded text differs:\n got %q\nwant %q", got, want)
	}
	if errs := l.emu.Errors(); len(errs) > 0 {
		t.Errorf("emulator saw protocol errors: %q", errs)
	}
	if st, err := p.Status(ctx); err != nil || st != escpos.StatusOK {
		t.Errorf("Status = %s, %v; want ok", st, err)
	}
}

func TestPtyStatus(t *testing.T) {
	prof := profile(t, "generic-58")
	for _, tc := range []struct {
		name   string
		set    escpos.Status
		silent bool
		paper  int // paper lines left; 0 = endless
		want   error
		status escpos.Status
		// printed is true if the whole receipt must come out.
		printed bool
	}{
		{name: "ok", set: escpos.StatusOK, status: escpos.StatusOK, printed: true},
		{name: "near end prints", set: escpos.StatusPaperNearEnd, status: escpos.StatusPaperNearEnd, printed: true},
		{name: "paper out before job", set: escpos.StatusPaperOut, want: ErrPaperOut, status: escpos.StatusPaperOut},
		{name: "paper out mid-job", set: escpos.StatusOK, paper: 12, want: ErrPaperOut, status: escpos.StatusPaperOut},
		{name: "cover open", set: escpos.StatusCoverOpen, want: ErrCoverOpen, status: escpos.StatusCoverOpen},
		{name: "offline", set: escpos.StatusOffline, want: ErrOffline, status: escpos.StatusOffline},
		{name: "silent printer", set: escpos.StatusOK, silent: true, status: escpos.StatusUnknown, printed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link := filepath.Join(t.TempDir(), "printer")
			l := newLine(t, prof, link, 0)
			l.emu.SetStatus(tc.set)
			l.emu.SetSilent(tc.silent)
			if tc.paper > 0 {
				l.emu.SetPaperLines(tc.paper)
			}
			timeout := time.Second
			if tc.silent {
				timeout = 200 * time.Millisecond // every poll waits this long
			}
			p := newPrinter(t, link, timeout)
			ctx := testCtx(t)
			b, doc := receiptBytes(t, "tg", prof)
			err := p.Print(ctx, b)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Print = %v, want %v", err, tc.want)
			}
			st, err := p.Status(ctx)
			if err != nil || st != tc.status {
				t.Fatalf("Status = %s, %v; want %s", st, err, tc.status)
			}
			got := l.emu.Text()
			want := expectedText(doc, prof)
			switch {
			case tc.printed && !slices.Equal(got, want):
				t.Errorf("printed text differs:\n got %q\nwant %q", got, want)
			case !tc.printed && tc.paper > 0 && len(got) != tc.paper:
				t.Errorf("printed %d lines before the paper ran out, want %d", len(got), tc.paper)
			case !tc.printed && tc.paper > 0 && l.emu.Received() >= int64(len(b)):
				t.Errorf("the whole job (%d bytes) was sent after the paper ran out", len(b))
			case !tc.printed && tc.paper == 0 && len(l.emu.Lines()) != 0:
				t.Errorf("printed %d lines on a printer that cannot print", len(l.emu.Lines()))
			}
			if tc.paper > 0 {
				// New roll: the re-queued job prints whole.
				l.emu.SetPaperLines(-1)
				l.emu.SetStatus(escpos.StatusOK)
				if err := p.Print(ctx, b); err != nil {
					t.Fatalf("reprint after new roll: %v", err)
				}
				if got := l.emu.Text()[tc.paper:]; !slices.Equal(got, want) {
					t.Errorf("reprint text differs:\n got %q\nwant %q", got, want)
				}
			}
		})
	}
}

func TestPtyDisconnectAndReconnect(t *testing.T) {
	prof := profile(t, "generic-80")
	link := filepath.Join(t.TempDir(), "ttyUSB-printer")
	b, doc := receiptBytes(t, "uz", prof)
	first := newLine(t, prof, link, len(b)/2) // unplugged halfway through
	p := newPrinter(t, link, time.Second)
	ctx := testCtx(t)

	err := p.Print(ctx, b)
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Print on a line that goes away = %v, want ErrDisconnected", err)
	}
	first.close()
	_ = os.Remove(link)
	if _, err := p.Status(ctx); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Status with the device gone = %v, want ErrDisconnected", err)
	}
	if err := p.Print(ctx, b); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Print with the device gone = %v, want ErrDisconnected", err)
	}

	second := newLine(t, prof, link, 0) // plugged back in, same path
	if err := p.Print(ctx, b); err != nil {
		t.Fatalf("Print after the device came back: %v", err)
	}
	if got, want := second.emu.Text(), expectedText(doc, prof); !slices.Equal(got, want) {
		t.Errorf("text after reconnect differs:\n got %q\nwant %q", got, want)
	}
}

// TestPtyRawBytes sends every byte value through the line inside a raster
// image and checks that the emulator received them unchanged.
func TestPtyRawBytes(t *testing.T) {
	prof := profile(t, "generic-80")
	link := filepath.Join(t.TempDir(), "printer")
	l := newLine(t, prof, link, 0)
	p := newPrinter(t, link, time.Second)
	// 32 bytes wide x 8 rows = 256 bytes: every value once.
	job := []byte{0x1B, '@', 0x1D, 'v', '0', 0, 32, 0, 8, 0}
	for i := range 256 {
		job = append(job, byte(i))
	}
	if err := p.Print(testCtx(t), job); err != nil {
		t.Fatal(err)
	}
	lines := l.emu.Lines()
	if len(lines) != 1 || lines[0].Kind != emulator.KindImage || lines[0].Width != 256 || lines[0].Height != 8 {
		t.Fatalf("got %+v, want one 256x8 image", lines)
	}
	if errs := l.emu.Errors(); len(errs) > 0 {
		t.Fatalf("emulator errors (bytes altered on the line?): %q", errs)
	}
	// Compare the printed dots with the bytes sent (the PNG has an
	// 8-dot margin).
	img := l.emu.Image().(*image.Gray)
	for i := range 256 {
		for bit := range 8 {
			x, y := 8+(i%32)*8+bit, 8+i/32
			black := img.GrayAt(x, y).Y == 0
			if want := i&(0x80>>bit) != 0; black != want {
				t.Fatalf("byte %#02x bit %d arrived as %v", i, bit, black)
			}
		}
	}
}

func TestChunksKeepCommandsWhole(t *testing.T) {
	prof := profile(t, "generic-58")
	b, _ := receiptBytes(t, "tg", prof)
	for _, size := range []int{1, 16, 64, 256, 100000} {
		cs := chunks(b, size)
		var joined []byte
		for i, c := range cs {
			joined = append(joined, c...)
			// A chunk is a sequence of whole tokens.
			rest := c
			for len(rest) > 0 {
				_, n := escpos.Next(rest)
				if n == 0 {
					t.Fatalf("size %d: chunk %d ends inside a command", size, i)
				}
				rest = rest[n:]
			}
		}
		if string(joined) != string(b) {
			t.Fatalf("size %d: chunks do not add up to the job", size)
		}
		if size == 100000 && len(cs) != 1 {
			t.Errorf("size %d: %d chunks, want 1", size, len(cs))
		}
		if size == 64 && len(cs) < len(b)/64/2 {
			t.Errorf("size 64: only %d chunks for %d bytes", len(cs), len(b))
		}
	}
}

var update = flag.Bool("update", false, "rewrite testdata files")
