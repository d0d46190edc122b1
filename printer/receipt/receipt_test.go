package receipt

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// Standard returns the standard receipt of the golden files and benchmarks.
func standard(lang string) Data {
	centres := map[string]string{
		"tg": "МХҶ Исфара, кӯчаи Ҳофизи Шерозӣ 12",
		"ru": "ЦОП Исфара, ул. Хафизи Шерози 12",
		"uz": "Исфара ЖХМ, Ҳофизи Шерозий кўчаси 12",
		"en": "CPC Isfara, 12 Hofizi Sherozi St",
	}
	return Data{
		Lang:       lang,
		CentreName: centres[lang],
		Number:     "ISF1-26-000123-4",
		AccessCode: "7KQ2-M9XD",
		Category:   "domestic_violence",
		CreatedAt:  time.Date(2026, 3, 21, 9, 5, 0, 0, time.FixedZone("TJT", 5*3600)),
		Hotline:    "+992 44 600-00-00",
		QR:         "https://verify.cpc.tj/r/ISF1-26-000123-4",
	}
}

func mustProfile(t testing.TB, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (%d vs %d bytes); inspect and run go test -update", name, len(got), len(want))
	}
}

func TestGolden(t *testing.T) {
	for _, prof := range []string{"tm-t20", "generic-58"} {
		for _, lang := range Langs {
			t.Run(prof+"/"+lang, func(t *testing.T) {
				p := mustProfile(t, prof)
				b, err := Encode(standard(lang), p)
				if err != nil {
					t.Fatal(err)
				}
				e := emulator.Render(p, b)
				if errs := e.Errors(); len(errs) > 0 {
					t.Fatalf("emulator errors: %q", errs)
				}
				pic, err := e.PNG()
				if err != nil {
					t.Fatal(err)
				}
				golden(t, prof+"-"+lang+".bin", b)
				golden(t, prof+"-"+lang+".png", pic)
			})
		}
	}
}

// TestContent checks what each receipt says, decoded by the emulator.
func TestContent(t *testing.T) {
	for _, prof := range escpos.ProfileNames() {
		for _, lang := range Langs {
			for _, reprint := range []bool{false, true} {
				t.Run(prof+"/"+lang, func(t *testing.T) {
					p := mustProfile(t, prof)
					d := standard(lang)
					d.Reprint = reprint
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
					if cut < 0 || !lines[cut].Partial {
						t.Fatalf("no partial cut after the talon: %v", lines)
					}
					last := lines[len(lines)-1]
					if last.Kind != emulator.KindCut || last.Partial {
						t.Fatalf("stub does not end with a full cut: %+v", last)
					}
					talon, stub := joinText(lines[:cut]), joinText(lines[cut+1:])
					tx := texts[lang]
					cat := tx.categories[d.Category]
					for _, want := range []string{tx.title, d.Number, d.AccessCode, cat, "21.03.2026 09:05", d.Hotline, "102", d.CentreName} {
						if !strings.Contains(talon, want) {
							t.Errorf("talon lacks %q:\n%s", want, talon)
						}
					}
					for _, want := range []string{tx.stub, d.Number, cat, "21.03.2026 09:05"} {
						if !strings.Contains(stub, want) {
							t.Errorf("stub lacks %q:\n%s", want, stub)
						}
					}
					if strings.Contains(stub, d.AccessCode) || strings.Contains(stub, tx.accessCode) {
						t.Errorf("stub shows the access code:\n%s", stub)
					}
					if got := strings.Count(talon+stub, tx.reprint); reprint && got != 2 || !reprint && got != 0 {
						t.Errorf("reprint=%v: reprint marked %d times", reprint, got)
					}
					// The number prints large on the talon.
					big := false
					for _, l := range lines[:cut] {
						big = big || (l.Kind == emulator.KindText && l.Text == d.Number && l.Width == 2 && l.Height == 2 && l.Bold)
					}
					if !big {
						t.Error("number not printed double size and bold on the talon")
					}
					qr := slices.IndexFunc(lines[:cut], func(l emulator.Line) bool { return l.Kind == emulator.KindQR })
					if qr < 0 || lines[qr].Text != d.QR {
						t.Errorf("talon QR missing or wrong")
					}
				})
			}
		}
	}
}

func joinText(ls []emulator.Line) string {
	var b strings.Builder
	for _, l := range ls {
		if l.Kind == emulator.KindText {
			b.WriteString(l.Text)
			b.WriteByte('\n')
		}
	}
	// Paragraphs are word-wrapped: compare with line breaks as spaces.
	return strings.ReplaceAll(b.String(), "\n", " ")
}

func TestBuildRejects(t *testing.T) {
	ok := standard("tg")
	for name, mod := range map[string]func(*Data){
		"language":    func(d *Data) { d.Lang = "fr" },
		"category":    func(d *Data) { d.Category = "murder" },
		"number":      func(d *Data) { d.Number = " " },
		"access code": func(d *Data) { d.AccessCode = "" },
	} {
		t.Run(name, func(t *testing.T) {
			d := ok
			mod(&d)
			if _, err := Build(d); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Build = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLabelsComplete(t *testing.T) {
	for _, lang := range Langs {
		for _, c := range Categories {
			if l, ok := CategoryLabel(lang, c); !ok || l == "" {
				t.Errorf("%s: no label for %s", lang, c)
			}
		}
		if n := len(texts[lang].categories); n != len(Categories) {
			t.Errorf("%s: %d category labels, want %d", lang, n, len(Categories))
		}
	}
}
