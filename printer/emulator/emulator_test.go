package emulator

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"cpckiosk/printer/escpos"
)

func prof(t *testing.T, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStatusReplies(t *testing.T) {
	q := []byte{0x10, 4, 1, 0x10, 4, 2, 0x10, 4, 4}
	for _, tc := range []struct {
		st   escpos.Status
		want []byte
	}{
		{escpos.StatusOK, []byte{0x12, 0x12, 0x12}},
		{escpos.StatusPaperOut, []byte{0x1A, 0x32, 0x72}},
		{escpos.StatusPaperNearEnd, []byte{0x12, 0x12, 0x1E}},
		{escpos.StatusCoverOpen, []byte{0x1A, 0x16, 0x12}},
		{escpos.StatusOffline, []byte{0x1A, 0x52, 0x12}},
	} {
		e := New(prof(t, "tm-t20"))
		e.SetStatus(tc.st)
		_, _ = e.Write(q)
		got := e.TakeReplies()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: replies % X, want % X", tc.st, got, tc.want)
		}
		if back := escpos.ParseStatus(got[0], got[1], got[2]); back != tc.st {
			t.Errorf("%s: parsed back as %s", tc.st, back)
		}
	}
	e := New(prof(t, "tm-t20"))
	e.SetSilent(true)
	_, _ = e.Write(q)
	if r := e.TakeReplies(); len(r) != 0 {
		t.Errorf("silent printer answered % X", r)
	}
}

// TestKanjiModeNeedsFS: a clone profile starts in a double-byte mode, so
// Cyrillic without FS . prints as garbage.
func TestKanjiModeNeedsFS(t *testing.T) {
	p := prof(t, "generic-58")
	job := []byte{0x1B, '@', 0x1B, 't', 17, 0x8F, 0xE0, '\n'} // "Пр" in PC866
	if got := Render(p, job).Text(); slices.Equal(got, []string{"Пр"}) {
		t.Errorf("Kanji mode not emulated: %q", got)
	}
	job = []byte{0x1B, '@', 0x1C, '.', 0x1B, 't', 17, 0x8F, 0xE0, '\n'}
	if got := Render(p, job).Text(); !slices.Equal(got, []string{"Пр"}) {
		t.Errorf("after FS .: %q", got)
	}
}

// TestWrongUDCDecodesAsReplacement: a user-defined glyph that is not one
// of the letters decodes as U+FFFD, and a lost ESC @ re-definition shows.
func TestWrongUDCDecodesAsReplacement(t *testing.T) {
	p := prof(t, "tm-t20")
	def := append([]byte{0x1B, '&', 3, 'A', 'A', 12}, escpos.Glyph('Ж').Columns24()...)
	job := append([]byte{0x1B, '@', 0x1B, 't', 17}, def...)
	job = append(job, 0x1B, '%', 1, 'A', 'B', '\n')
	if got := Render(p, job).Text(); !slices.Equal(got, []string{"\uFFFDB"}) {
		t.Errorf("got %q", got)
	}
	// ESC @ forgets definitions: 'A' is A again.
	job = append(job, 0x1B, '@', 0x1B, '%', 1, 'A', '\n')
	if got := Render(p, job).Text(); !slices.Equal(got, []string{"\uFFFDB", "A"}) {
		t.Errorf("after ESC @: %q", got)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	e := New(prof(t, "tm-t20"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, b) }()
	if _, err := a.Write([]byte{0x10, 4, 1}); err != nil {
		t.Fatal(err)
	}
	_ = a.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := make([]byte, 1)
	if _, err := a.Read(r); err != nil || r[0] != 0x12 {
		t.Fatalf("reply %X, %v", r, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestSaveJob(t *testing.T) {
	dir := t.TempDir()
	p := prof(t, "generic-80")
	var d escpos.Document
	d.Line("Салом, Ҷаҳон!", escpos.Style{})
	d.Add(escpos.Cut{})
	job, err := escpos.Encode(d, p)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := SaveJob(dir, "job-1", p, job)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Text != "Салом, Ҷаҳон!" || lines[1].Kind != KindCut {
		t.Errorf("lines %+v", lines)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "job-1.bin"))
	if err != nil || string(bin) != string(job) {
		t.Errorf("job-1.bin: %v", err)
	}
	if png, err := os.ReadFile(filepath.Join(dir, "job-1.png")); err != nil || string(png[1:4]) != "PNG" {
		t.Errorf("job-1.png: %v", err)
	}
	if _, err := SaveJob(dir, "../x", p, job); err == nil {
		t.Error("path in job name accepted")
	}
}
