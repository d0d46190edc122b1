package emulator

import (
	"context"
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"cpckiosk/printer/escpos"
)

// PTY is the emulator on the far side of a real serial line: a
// pseudo-terminal whose tty end a program opens with tarm/serial exactly as
// it would open /dev/ttyUSB0 on a board. Tests of whole programs use it.
type PTY struct {
	*Emulator
	// Path is a symlink to the tty end: what to give as -printer.
	Path   string
	master *os.File
	tty    *os.File
	cancel context.CancelFunc
	done   chan error
}

// NewPTY creates a pseudo-terminal in raw mode, points link at its tty end
// and serves a fresh emulator with profile p on the master end.
func NewPTY(p escpos.Profile, link string) (*PTY, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("emulator: open pty: %w", err)
	}
	fail := func(err error) (*PTY, error) {
		master.Close()
		tty.Close()
		return nil, fmt.Errorf("emulator: pty: %w", err)
	}
	// Raw mode, so 0x0A 0x0D 0x11 0x13 0x03 pass untouched both ways.
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		return fail(err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag = tio.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio); err != nil {
		return fail(err)
	}
	// A non-blocking duplicate of the master goes through the runtime
	// poller, so Serve can be cancelled.
	fd, err := unix.Dup(int(master.Fd()))
	if err != nil {
		return fail(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return fail(err)
	}
	master.Close()
	master = os.NewFile(uintptr(fd), "ptmx")
	os.Remove(link)
	if err := os.Symlink(tty.Name(), link); err != nil {
		master.Close()
		tty.Close()
		return nil, fmt.Errorf("emulator: pty: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &PTY{Emulator: New(p), Path: link, master: master, tty: tty, cancel: cancel, done: make(chan error, 1)}
	go func() { l.done <- l.Serve(ctx, master) }()
	return l, nil
}

// Close stops the emulator and hangs up the line.
func (l *PTY) Close() error {
	l.cancel()
	err := <-l.done
	l.master.Close()
	l.tty.Close()
	return err
}
