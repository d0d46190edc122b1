package receipt

import (
	"slices"
	"strings"
	"testing"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
)

// A receipt of training mode says so at the top and bottom of talon and
// stub, in every language and on every printer profile, and its longer
// T-series number stays whole on one line.
func TestTrainingReceipt(t *testing.T) {
	for _, prof := range escpos.ProfileNames() {
		for _, lang := range Langs {
			t.Run(prof+"/"+lang, func(t *testing.T) {
				p := mustProfile(t, prof)
				d := standard(lang)
				d.Number, d.QR, d.Training = "ISF1-26-T000001-5", "ISF1-26-T000001-5", true
				b, err := Encode(d, p)
				if err != nil {
					t.Fatal(err)
				}
				e := emulator.Render(p, b)
				if errs := e.Errors(); len(errs) > 0 {
					t.Fatalf("emulator errors: %q", errs)
				}
				lines := e.Lines()
				cut := slices.IndexFunc(lines, func(l emulator.Line) bool { return l.Kind == emulator.KindCut })
				for name, part := range map[string][]emulator.Line{"talon": lines[:cut], "stub": lines[cut+1:]} {
					var text []string
					whole := false
					for _, l := range part {
						if l.Kind == emulator.KindText {
							text = append(text, l.Text)
							whole = whole || l.Text == d.Number
						}
					}
					if n := strings.Count(strings.Join(text, "\n"), TrainingMark); n != 2 {
						t.Errorf("%s: training mark %d times, want 2:\n%s", name, n, strings.Join(text, "\n"))
					}
					if !whole {
						t.Errorf("%s: the number is not whole on one line:\n%s", name, strings.Join(text, "\n"))
					}
				}
			})
		}
	}
	// A real receipt carries no mark.
	b, err := Encode(standard("tg"), mustProfile(t, escpos.ProfileNames()[0]))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(joinText(emulator.Render(mustProfile(t, escpos.ProfileNames()[0]), b).Lines()), "TRAINING") {
		t.Fatal("a real receipt is marked as training")
	}
}
