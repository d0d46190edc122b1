package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"cpckiosk/printer/escpos"
)

// Serve runs the printer on the far side of a line (a pty master, a pipe):
// it reads bytes from rw, interprets them and writes status replies back,
// until ctx ends (returning nil) or rw fails (returning the error; EOF gives
// nil). If rw has SetReadDeadline (an *os.File pty master does), ctx
// cancellation interrupts a blocked read.
func (e *Emulator) Serve(ctx context.Context, rw io.ReadWriter) error {
	stop := context.AfterFunc(ctx, func() {
		if d, ok := rw.(interface{ SetReadDeadline(time.Time) error }); ok {
			_ = d.SetReadDeadline(time.Unix(1, 0))
		}
	})
	defer stop()
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			_, _ = e.Write(buf[:n])
			if r := e.TakeReplies(); len(r) > 0 {
				if _, werr := rw.Write(r); werr != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("emulator: write reply: %w", werr)
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("emulator: read: %w", err)
		}
	}
}

// Render interprets a whole job on a fresh printer with profile p.
func Render(p escpos.Profile, job []byte) *Emulator {
	e := New(p)
	_, _ = e.Write(job)
	return e
}

// SaveJob writes job to dir/name.bin and its rendering to dir/name.png
// (each written to a temporary file, synced and renamed), as kioskd
// -printer sim does. It returns the decoded lines.
func SaveJob(dir, name string, p escpos.Profile, job []byte) ([]Line, error) {
	if name == "" || filepath.Base(name) != name || name[0] == '.' {
		return nil, fmt.Errorf("emulator: save job %q: bad name", name)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("emulator: save job %s: %w", name, err)
	}
	e := Render(p, job)
	pic, err := e.PNG()
	if err != nil {
		return nil, fmt.Errorf("emulator: save job %s: %w", name, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, name+".bin"), job); err != nil {
		return nil, fmt.Errorf("emulator: save job %s: %w", name, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, name+".png"), pic); err != nil {
		return nil, fmt.Errorf("emulator: save job %s: %w", name, err)
	}
	return e.Lines(), nil
}

func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
