// Package serial drives an ESC/POS receipt printer on an RS-232 line (or a
// USB serial adapter) through github.com/tarm/serial.
//
// # Status
//
// Before a job, between whole commands (never inside image or
// user-defined-character data) and after the job, the driver sends DLE EOT 1,
// 2 and 4 and reads the three replies (see escpos.ParseStatus). A printer
// that does not answer within the read timeout is "unknown": the job prints
// anyway, without further polls (paced at line speed instead), except one
// final poll that also detects a vanished line.
//
// # Errors
//
// Print returns errors wrapping ErrPaperOut, ErrCoverOpen, ErrOffline or
// ErrDisconnected; a job stopped by one of them was not (completely)
// printed and should be queued again whole. After ErrDisconnected the port
// is closed; the next call opens the device path again, so a USB adapter
// that was unplugged and plugged back (same path, e.g. a udev symlink) is
// picked up without a restart.
//
// # Limits
//
// tarm/serial has no flow control: a printer whose buffer overflows drops
// bytes. The chunk size (a quarter second of line time by default) and the
// polls between chunks keep the driver from running ahead of the line. A
// status reply that arrives after the read timeout is read by the next poll.
package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"cpckiosk/printer/escpos"

	tarm "github.com/tarm/serial"
)

// Status is the printer's state; see escpos.Status for the values.
type Status = escpos.Status

// Errors a job can end with, wrapped with what was being done.
var (
	ErrPaperOut     = errors.New("printer: paper out")
	ErrCoverOpen    = errors.New("printer: cover open")
	ErrOffline      = errors.New("printer: offline")
	ErrDisconnected = errors.New("printer: disconnected")
)

// Port is an open serial line. *tarm.Port satisfies it.
type Port interface {
	io.ReadWriteCloser
}

// Opener opens the device at path. A read on the returned port waits at
// most readTimeout and then returns (0, io.EOF) when nothing arrived, as
// tarm/serial does.
type Opener func(path string, baud int, readTimeout time.Duration) (Port, error)

// OpenTarm opens path with github.com/tarm/serial, 8N1, raw mode.
func OpenTarm(path string, baud int, readTimeout time.Duration) (Port, error) {
	p, err := tarm.OpenPort(&tarm.Config{Name: path, Baud: baud, ReadTimeout: readTimeout})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Config configures a Printer.
type Config struct {
	// Device is the serial device path, e.g. /dev/ttyUSB0.
	Device string
	// Baud is the line speed; 0 means 9600.
	Baud int
	// ReadTimeout bounds the wait for a status reply (tarm/serial rounds
	// it to 0.1 s steps); 0 means 300 ms.
	ReadTimeout time.Duration
	// ChunkBytes is the largest write between status polls (a single
	// command longer than that is written whole); 0 means a quarter second
	// of line time, at least 64 bytes.
	ChunkBytes int
	// Open opens the device; nil means OpenTarm.
	Open Opener
	// Sleep waits for d or until ctx ends (used to pace jobs on a printer
	// that does not answer); nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger
}

// Printer is a receipt printer on a serial line. Methods are safe for
// concurrent use; jobs run one at a time.
type Printer struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex
	port Port
}

// Open returns a Printer for cfg. The device is opened lazily, on the
// first Print or Status.
func Open(cfg Config) *Printer {
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 300 * time.Millisecond
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = max(64, cfg.Baud/40)
	}
	if cfg.Open == nil {
		cfg.Open = OpenTarm
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Printer{cfg: cfg, log: log.With("device", cfg.Device)}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// LineTime is how long n bytes take on the line at baud (8N1).
func LineTime(n, baud int) time.Duration {
	return time.Duration(n) * 10 * time.Second / time.Duration(baud)
}

func (p *Printer) ensure() error {
	if p.port != nil {
		return nil
	}
	port, err := p.cfg.Open(p.cfg.Device, p.cfg.Baud, p.cfg.ReadTimeout)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrDisconnected, p.cfg.Device, err)
	}
	p.log.Debug("printer port opened", "baud", p.cfg.Baud)
	p.port = port
	return nil
}

// drop closes the port after a line failure.
func (p *Printer) drop(op string, err error) error {
	if p.port != nil {
		_ = p.port.Close()
		p.port = nil
	}
	p.log.Warn("printer line lost", "op", op, "err", err)
	return fmt.Errorf("%w: %s: %v", ErrDisconnected, op, err)
}

func (p *Printer) write(b []byte) error {
	for len(b) > 0 {
		n, err := p.port.Write(b)
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		b = b[n:]
	}
	return nil
}

// poll asks DLE EOT 1, 2, 4 and reads the replies.
func (p *Printer) poll() (Status, error) {
	q := make([]byte, 0, 9)
	for _, s := range escpos.StatusQueries {
		q = append(q, s[:]...)
	}
	if err := p.write(q); err != nil {
		return escpos.StatusUnknown, p.drop("status query", err)
	}
	var got [3]byte
	n := 0
	buf := make([]byte, 8)
	for n < 3 {
		m, err := p.port.Read(buf[:3-n])
		for _, b := range buf[:m] {
			if escpos.ValidStatusByte(b) {
				got[n] = b
				n++
			} else {
				p.log.Debug("printer: ignoring non-status byte", "byte", b)
			}
		}
		if err == io.EOF || (m == 0 && err == nil) {
			// tarm/serial: a read timeout is (0, io.EOF).
			break
		}
		if err != nil {
			return escpos.StatusUnknown, p.drop("status read", err)
		}
	}
	if n < 3 {
		return escpos.StatusUnknown, nil
	}
	return escpos.ParseStatus(got[0], got[1], got[2]), nil
}

// statusErr maps a blocking status to its error (nil for ok, near end and
// unknown).
func statusErr(s Status) error {
	switch s {
	case escpos.StatusPaperOut:
		return ErrPaperOut
	case escpos.StatusCoverOpen:
		return ErrCoverOpen
	case escpos.StatusOffline:
		return ErrOffline
	}
	return nil
}

// Status reads the printer's state. A line that cannot be opened or fails
// gives StatusOffline and an error wrapping ErrDisconnected.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return escpos.StatusUnknown, fmt.Errorf("printer: status: %w", err)
	}
	if err := p.ensure(); err != nil {
		return escpos.StatusOffline, fmt.Errorf("printer: status: %w", err)
	}
	s, err := p.poll()
	if err != nil {
		return escpos.StatusOffline, fmt.Errorf("printer: status: %w", err)
	}
	return s, nil
}

// chunks splits data at command boundaries into writes of about size bytes.
func chunks(data []byte, size int) [][]byte {
	var out [][]byte
	start, i := 0, 0
	for i < len(data) {
		_, n := escpos.Next(data[i:])
		if n == 0 { // truncated final command: send the rest as is
			i = len(data)
			break
		}
		if i > start && i+n-start > size {
			out = append(out, data[start:i])
			start = i
		}
		i += n
	}
	if i > start {
		out = append(out, data[start:i])
	}
	return out
}

// Print sends one job. It returns nil when all bytes were written and the
// printer did not report a problem (or does not answer at all).
func (p *Printer) Print(ctx context.Context, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("printer: print: %w", err)
	}
	if err := p.ensure(); err != nil {
		return fmt.Errorf("printer: print: %w", err)
	}
	st, err := p.poll()
	if err != nil {
		return fmt.Errorf("printer: print: %w", err)
	}
	if err := statusErr(st); err != nil {
		return fmt.Errorf("printer: print: before job: %w", err)
	}
	silent := st == escpos.StatusUnknown
	if silent {
		p.log.Debug("printer does not answer status queries; printing blind")
	}
	sent := 0
	for _, c := range chunks(data, p.cfg.ChunkBytes) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("printer: print: after %d of %d bytes: %w", sent, len(data), err)
		}
		if err := p.write(c); err != nil {
			return fmt.Errorf("printer: print: after %d of %d bytes: %w", sent, len(data), p.drop("write", err))
		}
		sent += len(c)
		if sent == len(data) {
			break // the final poll follows
		}
		if silent {
			if err := p.cfg.Sleep(ctx, LineTime(len(c), p.cfg.Baud)); err != nil {
				return fmt.Errorf("printer: print: after %d of %d bytes: %w", sent, len(data), err)
			}
			continue
		}
		st, err := p.poll()
		if err != nil {
			return fmt.Errorf("printer: print: after %d of %d bytes: %w", sent, len(data), err)
		}
		if err := statusErr(st); err != nil {
			return fmt.Errorf("printer: print: after %d of %d bytes: %w", sent, len(data), err)
		}
		if st == escpos.StatusUnknown {
			p.log.Warn("printer stopped answering status queries mid-job")
			silent = true
		}
	}
	st, err = p.poll()
	if err != nil {
		return fmt.Errorf("printer: print: final status: %w", err)
	}
	if err := statusErr(st); err != nil {
		return fmt.Errorf("printer: print: final status: %w", err)
	}
	return nil
}

// Close closes the line. The Printer may be used again (it reopens).
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.port == nil {
		return nil
	}
	err := p.port.Close()
	p.port = nil
	if err != nil {
		return fmt.Errorf("printer: close %s: %w", p.cfg.Device, err)
	}
	return nil
}
