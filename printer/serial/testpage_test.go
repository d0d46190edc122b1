package serial

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
)

func TestRunPrinterTestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-device"}, {"-device", "/dev/null", "-profile", "nope"}, {"-device", "x", "extra"}} {
		var out, errb bytes.Buffer
		if code := RunPrinterTest(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := RunPrinterTest(context.Background(), []string{"-device", filepath.Join(t.TempDir(), "none")}, &out, &errb); code != 1 {
		t.Errorf("missing device: exit %d, want 1", code)
	}
}

func TestRunPrinterTestOnPty(t *testing.T) {
	p := profile(t, "generic-58")
	link := filepath.Join(t.TempDir(), "printer")
	l := newLine(t, p, link, 0)
	var out, errb bytes.Buffer
	code := RunPrinterTest(testCtx(t), []string{"-device", link, "-baud", "115200", "-profile", "generic-58"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "status after: ok") {
		t.Errorf("stdout %q", out.String())
	}
	text := strings.Join(l.emu.Text(), "\n")
	for _, want := range []string{"Ғ ғ Ӣ ӣ Қ қ Ӯ ӯ Ҳ ҳ Ҷ ҷ", "Ў ў", "4x4 ҒӢҚ"} {
		if !strings.Contains(text, want) {
			t.Errorf("test page lacks %q:\n%s", want, text)
		}
	}
	if errs := l.emu.Errors(); len(errs) > 0 {
		t.Errorf("emulator errors: %q", errs)
	}
	lines := l.emu.Lines()
	if lines[len(lines)-1].Kind != emulator.KindCut {
		t.Error("test page not cut")
	}
	if *update {
		pic, err := l.emu.PNG()
		if err != nil {
			t.Fatal(err)
		}
		_ = os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile("testdata/testpage-generic-58.png", pic, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = escpos.StatusOK
}
