package extract

import (
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// qrPNG writes q with a 4-module quiet zone, scale pixels per module.
func qrPNG(t *testing.T, q *qrCode, scale int, path string) {
	t.Helper()
	n := (q.size + 8) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			mx, my := x/scale-4, y/scale-4
			c := color.Gray{255}
			if mx >= 0 && my >= 0 && mx < q.size && my < q.size && q.at(mx, my) {
				c = color.Gray{0}
			}
			img.SetGray(x, y, c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// alnumCapacity is the longest alphanumeric text of version v at level Q.
func alnumCapacity(v int) int {
	bits := qrDataCodewords(v)*8 - 4 - [3]int{9, 11, 13}[(v+7)/17]
	return bits/11*2 + map[bool]int{true: 1, false: 0}[bits%11 >= 6]
}

// TestQRScans encodes texts that fill every version from 1 to 40, and a
// few in byte mode, and decodes each with zbarimg.
func TestQRScans(t *testing.T) {
	zbarimg := needTool(t, "zbarimg")
	rng := rand.New(rand.NewPCG(1, 2))
	type tc struct {
		text    string
		version int
	}
	var cases []tc
	for v := 1; v <= 40; v++ {
		var sb strings.Builder
		for range alnumCapacity(v) {
			sb.WriteByte(qrAlnum[rng.IntN(len(qrAlnum))])
		}
		cases = append(cases, tc{sb.String(), v})
	}
	for _, s := range []string{"hello, world", "https://example.org/verify?x=1", strings.Repeat("abc;", 60)} {
		cases = append(cases, tc{s, 0})
	}
	dir := t.TempDir()
	for i, c := range cases {
		q, err := encodeQR(c.text)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if c.version != 0 && q.version != c.version {
			t.Errorf("version %d capacity text got version %d", c.version, q.version)
		}
		if q.size != 17+4*q.version {
			t.Fatalf("size %d for version %d", q.size, q.version)
		}
		path := filepath.Join(dir, "qr.png")
		qrPNG(t, q, 3, path)
		out, err := exec.Command(zbarimg, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
		if err != nil {
			t.Errorf("version %d (%d chars): zbarimg found no code: %v", q.version, len(c.text), err)
			continue
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != c.text {
			t.Errorf("version %d: decoded %q, want %q", q.version, got, c.text)
		}
	}
	// One character more than version 40 holds.
	if _, err := encodeQR(strings.Repeat("A", alnumCapacity(40)+1)); err == nil {
		t.Error("encodeQR accepted text longer than version 40")
	}
}

// TestQRPayloadVersion pins the version of a real payload: an enrolled
// kiosk's payload must stay within the size doc.go promises.
func TestQRPayloadVersion(t *testing.T) {
	s, err := Sign(sample("tg"), deviceSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	q, err := encodeQR(s.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if q.version != 16 {
		t.Errorf("payload of %d characters is QR version %d, want 16", len(s.Payload), q.version)
	}
}

func BenchmarkQR(b *testing.B) {
	s, err := Sign(sample("tg"), deviceSigner(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := encodeQR(s.Payload); err != nil {
			b.Fatal(err)
		}
	}
}
