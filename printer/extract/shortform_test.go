package extract

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
)

// TestShortForm encodes the short extract for an 80 mm and a 58 mm printer,
// runs the bytes through the emulator and checks the decoded text, the QR
// code (its data is the payload) and the printed picture against a golden
// PNG (go test -update rewrites it; look at it when it changes).
func TestShortForm(t *testing.T) {
	e := sample("tg")
	signed, err := Sign(e, deviceSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tm-t20", "generic-58"} {
		t.Run(name, func(t *testing.T) {
			p, err := escpos.LookupProfile(name)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ShortForm(e, signed, p)
			if err != nil {
				t.Fatal(err)
			}
			var qr *escpos.QR
			for _, b := range doc.Blocks {
				if q, ok := b.(escpos.QR); ok {
					qr = &q
				}
			}
			if qr == nil || qr.Data != signed.Payload || qr.ECC != escpos.ECCQ {
				t.Fatalf("QR block %+v, want the payload at level Q", qr)
			}
			if n := 81 + 8; qr.Module*n > p.Dots {
				t.Errorf("QR of %d modules x %d dots is wider than the paper (%d)", n, qr.Module, p.Dots)
			}
			raw, err := escpos.Encode(doc, p)
			if err != nil {
				t.Fatal(err)
			}
			em := emulator.New(p)
			if _, err := em.Write(raw); err != nil {
				t.Fatal(err)
			}
			if errs := em.Errors(); len(errs) > 0 {
				t.Errorf("emulator: %v", errs)
			}
			text := strings.Join(em.Text(), "\n")
			flat := strings.Join(strings.Fields(text), " ")
			for _, w := range []string{"ISF1-26-000123-4", "ИҚТИБОС", "Рақами бақайдгирӣ", "дуздӣ",
				"парвандаи ҷиноятӣ оғоз шуд", "ПҶ-2026/0412", "Раҳимова", "қарор қабул шуд", signed.Code} {
				if !strings.Contains(flat, w) {
					t.Errorf("printed text lacks %q", w)
				}
			}
			if strings.Contains(flat, "850 сомонӣ") {
				t.Error("the short form prints the description")
			}
			img, err := em.PNG()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "shortform-"+name+".png", img)
			if _, err := png.Decode(bytes.NewReader(img)); err != nil {
				t.Fatal(err)
			}
			scanPNG(t, img, signed.Payload)
		})
	}
}

// scanPNG decodes the QR code in a printed receipt with zbarimg.
func scanPNG(t *testing.T, img []byte, want string) {
	t.Helper()
	zbarimg := needTool(t, "zbarimg")
	path := filepath.Join(t.TempDir(), "r.png")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := execOutput(zbarimg, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path)
	if err != nil {
		t.Fatalf("zbarimg found no QR code in the receipt: %v", err)
	}
	if got := strings.TrimSpace(out); got != want {
		t.Fatalf("receipt QR decodes to %q, want the payload", got)
	}
}

func TestShortFormWithoutReporter(t *testing.T) {
	e := sample("ru")
	e.Anonymous, e.Reporter = true, nil
	signed, err := Sign(e, deviceSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := escpos.LookupProfile("tm-t20")
	doc, err := ShortForm(e, signed, p)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, b := range doc.Blocks {
		if tx, ok := b.(escpos.Text); ok {
			all.WriteString(tx.Text + "\n")
		}
	}
	if strings.Contains(all.String(), lang["ru"].Reporter) || strings.Contains(all.String(), "Раҳимова") {
		t.Errorf("reporter printed for an anonymous report:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "ВЫПИСКА") {
		t.Error("not in Russian")
	}
	other := sample("ru")
	other.CaseNumber = "X"
	if _, err := ShortForm(other, signed, p); err == nil {
		t.Error("ShortForm accepted content the signature does not cover")
	}
}

func TestStampImage(t *testing.T) {
	e := sample("tg")
	img, err := StampImage(e, Options{}, 288)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	golden(t, "stamp-tg.png", b.Bytes())
	dark := func(x0, y0, x1, y1 int) int {
		n := 0
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if img.GrayAt(x, y).Y == 0 {
					n++
				}
			}
		}
		return n
	}
	if n := dark(100, 34, 190, 50); n == 0 {
		t.Error("no ring text at the top of the stamp")
	}
	long := *e
	long.Centre = strings.Repeat("Маркази ҳамкории полис ва ҷомеа ", 4)
	img2, err := StampImage(&long, Options{}, 288)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(img.Pix, img2.Pix) {
		t.Error("a centre name too long to be legible changed nothing")
	}
}
