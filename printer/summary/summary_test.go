package summary

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func render(t testing.TB, s *Summary) []byte {
	t.Helper()
	pdf, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// TestText reads the page back with pdftotext: the Tajik words, the key
// numbers, the charts' labels and values (drawn as text, not pictures) and
// the table are there.
func TestText(t *testing.T) {
	s := sample(12)
	pdf := render(t, s)
	text := pdfText(t, pdf)
	flat := strings.Join(strings.Fields(pdfTool(t, "pdftotext", pdf, "-enc", "UTF-8", "-raw")), " ")
	for _, want := range []string{
		"Ҷамъбаст барои ҷаласаи CPPT", "Маркази милитсияи ҷамъиятии ноҳияи Ҳисор", "Давра: 01.01.2026 – 31.03.2026",
		"Масъалаҳои кушода", "Ҳалшуда дар ин семоҳа", "Чораҳои мӯҳлаташон гузашта", "Медианаи рӯзҳо то ҳалшавӣ",
		"Масъалаҳо аз рӯи навъ ва моҳ", "Кушодашуда ва ҳалшуда", "Рӯзҳо то ҳалшавӣ", "Хабарҳо аз рӯи навъ ва ҳафта",
		"Медиана: 19 рӯз", "0-7", "31-60", ">90", "Январ", "Феврал", "Ҳ13", "Зӯроварӣ дар оила", "Кушода шуд", "Ҳал шуд",
		"Рақам", "Навъ", "Маҳал", "Ҳолат", "Афзалият", "Мӯҳлати чораи навбатӣ",
		"CPT-26-0001", "Деҳаи Ғаллаорол", "Маҳаллаи Қаҳрамон", "Интизори ҷавоб", "! — мӯҳлат гузаштааст", "! 20.03.2026",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("pdftotext output lacks %q", want)
		}
	}
	// The key numbers: 12 open, 37 resolved, 4 overdue, median 19.
	if !regexp.MustCompile(`12\s+37\s+4\s+19`).MatchString(text) {
		t.Errorf("key numbers 12 37 4 19 not in a row:\n%s", text)
	}
	if n := pdfPages(t, pdf); n != 1 {
		t.Errorf("%d pages", n)
	}
	if bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Error("the PDF has an image: the charts must be vectors and text")
	}
	golden(t, "summary-tg.txt", []byte(text))
	savePNG(t, pdf, "summary-tg")
}

// savePNG renders the page with pdftoppm into the screenshots directory, to
// look at; it does nothing without pdftoppm.
func savePNG(t *testing.T, pdf []byte, name string) {
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		return
	}
	dir := os.Getenv("KIOSK_SCREENS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "cpckiosk-screens")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.pdf")
	os.WriteFile(in, pdf, 0o644)
	if out, err := exec.Command(bin, "-png", "-r", "110", "-singlefile", in, filepath.Join(dir, name)).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	t.Logf("page picture %s", filepath.Join(dir, name+".png"))
}

// TestOnePage: however many open issues, one page, the rest counted.
func TestOnePage(t *testing.T) {
	for _, tc := range []struct {
		n     int
		shown int // -1: all
	}{{0, -1}, {1, -1}, {14, -1}, {200, -2}} {
		s := sample(tc.n)
		pdf := render(t, s)
		if n := pdfPages(t, pdf); n != 1 {
			t.Errorf("%d issues: %d pages", tc.n, n)
		}
		text := pdfText(t, pdf)
		rows := len(regexp.MustCompile(`CPT-26-\d{4}`).FindAllString(text, -1))
		more := regexp.MustCompile(`ва боз (\d+) масъала`).FindStringSubmatch(text)
		switch {
		case tc.shown == -1:
			if rows != tc.n || more != nil {
				t.Errorf("%d issues: %d rows, more %q", tc.n, rows, more)
			}
		default:
			if rows < 10 || more == nil || more[1] != strconv.Itoa(tc.n-rows) {
				t.Errorf("%d issues: %d rows and %q, want the rest counted", tc.n, rows, more)
			}
		}
		if tc.n == 0 && !strings.Contains(text, "Масъалаи кушода нест.") {
			t.Error("no open issues: no sentence saying so")
		}
		if tc.n == 200 {
			savePNG(t, pdf, "summary-tg-200")
			// The earliest due come first: the first row is due 20.03.2026.
			if i, j := strings.Index(text, "CPT-26-0001"), strings.Index(text, "CPT-26-0004"); i < 0 || j >= 0 {
				t.Errorf("sorting: 0001 at %d, 0004 (no due date) at %d", i, j)
			}
		}
	}
}

func TestLanguages(t *testing.T) {
	for code, want := range map[string][]string{
		"ru": {"Сводка к заседанию CPPT", "Населённый пункт", "Медиана: 19 дн."},
		"uz": {"CPPT йиғилиши учун хулоса", "Муддати ўтган чоралар"},
		"en": {"CPPT meeting summary", "Next action due", "Median: 19 days"},
	} {
		t.Run(code, func(t *testing.T) {
			s := sample(3)
			s.Lang = code
			text := strings.Join(strings.Fields(pdfText(t, render(t, s))), " ")
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q", w)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	a, b := render(t, sample(30)), render(t, sample(30))
	if !bytes.Equal(a, b) {
		t.Fatal("the same summary gave different bytes")
	}
	s := sample(30)
	s.Prepared = s.Prepared.Add(time.Minute)
	if bytes.Equal(a, render(t, s)) {
		t.Fatal("the preparation time does not show")
	}
}

func TestInvalid(t *testing.T) {
	for name, edit := range map[string]func(*Summary){
		"language":      func(s *Summary) { s.Lang = "fr" },
		"no prepared":   func(s *Summary) { s.Prepared = time.Time{} },
		"period upside": func(s *Summary) { s.From, s.To = s.To, s.From },
	} {
		t.Run(name, func(t *testing.T) {
			s := sample(1)
			edit(s)
			if _, err := Render(s); !errors.Is(err, ErrInput) {
				t.Fatalf("err = %v, want ErrInput", err)
			}
		})
	}
}

// TestHostile: text the fonts lack, controls, bidi overrides, invalid
// UTF-8, very long names and empty data still give one clean page.
func TestHostile(t *testing.T) {
	long := strings.Repeat("Муҳоҷирати меҳнатӣ ва оилаҳои муҳоҷирон ", 6)
	s := sample(40)
	s.Centre = "Марказ\u202E 😀 中 \x00\xff" + long
	s.OpenIssues[0].Category = long
	s.OpenIssues[0].Settlement = "Ҳисор\n\tкӯча\u200B"
	s.ByCategory[0].Name = long
	s.Months = append(s.Months, "Апрел") // more labels than counts
	s.Weeks, s.ReportsByCategory = nil, nil
	s.ResolutionDays = nil
	s.Opened = []int{-5, 3}
	pdf := render(t, s)
	if n := pdfPages(t, pdf); n != 1 {
		t.Errorf("%d pages", n)
	}
	text := pdfText(t, pdf)
	for _, bad := range []string{"\u202E", "\u200B", "\x00", "😀"} {
		if strings.Contains(text, bad) {
			t.Errorf("text has %q", bad)
		}
	}
	flat := strings.Join(strings.Fields(text), " ")
	if !strings.Contains(text, "Ҳисор кӯча") {
		t.Error("line break and tab not one space")
	}
	for _, want := range []string{"Марказ", "\uFFFD", "…", "Маълумот нест"} {
		if !strings.Contains(flat, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	savePNG(t, pdf, "summary-hostile")
}
