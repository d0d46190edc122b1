package extract

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func render(t testing.TB, e *Extract, s Signer) ([]byte, *Signed) {
	t.Helper()
	pdf, signed, err := Render(e, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pdf, signed
}

func TestRenderDeterministic(t *testing.T) {
	a, _ := render(t, sample("tg"), deviceSigner(t))
	b, _ := render(t, sample("tg"), deviceSigner(t))
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same extract differ")
	}
	c, _ := render(t, sample("ru"), deviceSigner(t))
	if bytes.Equal(a, c) {
		t.Fatal("Tajik and Russian renderings are equal")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20260314101542)")) {
		t.Fatal("creation date is not the issue time")
	}
}

func TestRenderTextPerLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"tg", []string{"иқтибос", "рақами бақайдгирӣ", "дуздӣ", "қарор қабул шуд", "парвандаи ҷиноятӣ оғоз шуд",
			"таърихи ҳолатҳо", "рамзи санҷиш", "саҳифаи 1 аз 1", "14.03.2026 15:15", "раҳимова гулчеҳра қурбоновна",
			"ба низоми марказӣ фиристода шуд", "вазорати корҳои дохилии ҷумҳурии тоҷикистон"}},
		{"ru", []string{"выписка", "регистрационный номер", "кража", "возбуждено уголовное дело", "история статусов",
			"код проверки", "страница 1 из 1", "передано в центральную систему"}},
		{"uz", []string{"кўчирма", "рўйхатга олиш рақами", "ўғирлик", "жиноят иши қўзғатилди", "текшириш коди",
			"1-саҳифа, жами 1", "марказий тизимга юборилди"}},
		{"en", []string{"extract", "registration number", "theft", "criminal case opened", "status history",
			"verification code", "page 1 of 1", "sent to the central system"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			pdf, s := render(t, sample(tc.lang), deviceSigner(t))
			text := strings.ToLower(pdfText(t, pdf))
			for _, w := range append(tc.want, "isf1-26-000123-4", strings.ToLower(s.Code)) {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext output lacks %q", w)
				}
			}
			if tc.lang == "tg" {
				golden(t, "extract-tg.txt", []byte(pdfText(t, pdf)))
			}
		})
	}
}

func TestRenderPrivacy(t *testing.T) {
	anon := sample("tg")
	anon.Anonymous, anon.Reporter = true, nil
	withheld := sample("tg")
	withheld.Reporter = nil
	for name, tc := range map[string]struct {
		e    *Extract
		note string
	}{
		"anonymous": {anon, lang["tg"].Anonymous},
		"withheld":  {withheld, lang["tg"].Withheld},
	} {
		t.Run(name, func(t *testing.T) {
			pdf, _ := render(t, tc.e, deviceSigner(t))
			text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
			if !strings.Contains(text, strings.Fields(tc.note)[0]) || !strings.Contains(text, "аризадиҳанда") {
				t.Errorf("note %q missing", tc.note)
			}
			for _, secret := range []string{"Раҳимова", "123 45 67", "01234567", "Ҳофизи"} {
				if strings.Contains(text, secret) || bytes.Contains(pdf, []byte(secret)) {
					t.Errorf("personal data %q printed", secret)
				}
			}
		})
	}
}

func TestRenderLongDescriptionPages(t *testing.T) {
	e := sample("tg")
	e.Incident.Description = strings.Repeat("Ҳодиса дар назди бозор рух дод ва шоҳидон буданд. ", 100) // 5000 characters
	e.ClockSynced = false
	pdf, _ := render(t, e, deviceSigner(t))
	text := pdfText(t, pdf)
	flat := strings.Join(strings.Fields(text), " ")
	pages := strings.Count(text, "\f")
	if pages < 2 {
		t.Fatalf("%d pages, want the description to run over", pages)
	}
	want := []string{strings.Join(strings.Fields(lang["tg"].ClockUnsync), " ")}
	for p := 1; p <= pages; p++ {
		want = append(want, fmt.Sprintf("Саҳифаи %d аз %d", p, pages))
	}
	for _, w := range want {
		if !strings.Contains(flat, w) {
			t.Errorf("text lacks %q", w)
		}
	}
	if n := strings.Count(text, "шоҳидон"); n != 100 {
		t.Errorf("description printed %d of 100 sentences", n)
	}
	if _, _, err := VerifyPDF(pdf, Anchors{pub(testKey("central"))}); err != nil {
		t.Fatal(err)
	}
}

// TestRenderQRScans renders the page to pixels and decodes the QR code with
// zbarimg: the vector squares must make a readable code with the payload.
func TestRenderQRScans(t *testing.T) {
	pdftoppm := needTool(t, "pdftoppm")
	zbarimg := needTool(t, "zbarimg")
	for _, lang := range []string{"tg", "en"} {
		pdf, s := render(t, sample(lang), deviceSigner(t))
		dir := t.TempDir()
		in := filepath.Join(dir, "x.pdf")
		os.WriteFile(in, pdf, 0o644)
		if out, err := exec.Command(pdftoppm, "-png", "-r", "150", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		out, err := exec.Command(zbarimg, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", filepath.Join(dir, "page-1.png")).Output()
		if err != nil {
			t.Fatalf("zbarimg found no QR code: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != s.Payload {
			t.Fatalf("QR decodes to\n%q\nwant\n%q", got, s.Payload)
		}
	}
}

// rewriteEmbedded replaces the embedded file whose content starts with
// prefix, keeping the rest of the file, as a forger editing the PDF would.
func rewriteEmbedded(t *testing.T, pdf []byte, prefix string, edit func([]byte) []byte) []byte {
	t.Helper()
	for _, m := range embeddedRe.FindAllSubmatchIndex(pdf, -1) {
		n, _ := strconv.Atoi(string(pdf[m[2]:m[3]]))
		zr, err := zlib.NewReader(bytes.NewReader(pdf[m[1] : m[1]+n]))
		if err != nil {
			t.Fatal(err)
		}
		old, _ := io.ReadAll(zr)
		if !bytes.HasPrefix(old, []byte(prefix)) {
			continue
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(edit(bytes.Clone(old)))
		zw.Close()
		var out bytes.Buffer
		out.Write(pdf[:m[2]])
		fmt.Fprintf(&out, "%d", z.Len())
		out.Write(pdf[m[3]:m[1]])
		out.Write(z.Bytes())
		out.Write(pdf[m[1]+n:])
		return out.Bytes()
	}
	t.Fatalf("no embedded file starting %q", prefix)
	return nil
}

func TestVerifyPDF(t *testing.T) {
	central := Anchors{pub(testKey("central"))}
	good, signed := render(t, sample("tg"), deviceSigner(t))
	other, _ := render(t, sample("en"), deviceSigner(t))

	f, e, err := VerifyPDF(good, central)
	if err != nil {
		t.Fatalf("good file: %v", err)
	}
	if f.Number != "ISF1-26-000123-4" || f.Code != signed.Code || e.Reporter.FullName != "Раҳимова Гулчеҳра Қурбоновна" {
		t.Fatalf("facts %+v content %+v", f, e)
	}

	keywordsRe := regexp.MustCompile(`/Keywords \([^)]*\)`)
	for _, tc := range []struct {
		name    string
		pdf     []byte
		anchors Anchors
		want    error
	}{
		{"description altered", rewriteEmbedded(t, good, `{"v":`, func(b []byte) []byte {
			return bytes.Replace(b, []byte("850 сомонӣ"), []byte("8500 сомонӣ"), 1)
		}), central, ErrContent},
		{"case number removed, JSON still canonical", rewriteEmbedded(t, good, `{"v":`, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"case_number":"ПҶ-2026/0412"`), []byte(`"case_number":""`), 1)
		}), central, ErrContent},
		{"payload altered", rewriteEmbedded(t, good, "CPX1:", func(b []byte) []byte {
			if b[40] == '0' {
				b[40] = '1'
			} else {
				b[40] = '0'
			}
			return b
		}), central, nil},
		{"payload of another extract", rewriteEmbedded(t, good, "CPX1:", func([]byte) []byte {
			p, _, err := FilePayload(other)
			if err != nil {
				t.Fatal(err)
			}
			return []byte(p)
		}), central, ErrNoPayload},
		{"keywords differ from the payload", keywordsRe.ReplaceAll(good, []byte("/Keywords (CPX1:00000)")), central, ErrNoPayload},
		{"wrong anchor", good, Anchors{pub(testKey("other"))}, ErrUntrusted},
		{"no anchors", good, nil, ErrNoAnchors},
		{"truncated file", good[:len(good)/3], central, ErrNoPayload},
		{"not a PDF", []byte("hello"), central, ErrNoPayload},
		{"second content appended", append(bytes.Clone(good), good[bytes.Index(good, []byte("/Type /EmbeddedFile")):]...), central, ErrNoPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := VerifyPDF(tc.pdf, tc.anchors)
			if err == nil {
				t.Fatal("VerifyPDF accepted the file")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func BenchmarkVerifyPDF(b *testing.B) {
	pdf, _, err := Render(sample("tg"), deviceSigner(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	a := Anchors{pub(testKey("central"))}
	for b.Loop() {
		if _, _, err := VerifyPDF(pdf, a); err != nil {
			b.Fatal(err)
		}
	}
}
