package escpos_test

import (
	"bytes"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
)

func profile(t testing.TB, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfiles(t *testing.T) {
	want := map[string][3]int{ // dots, columns, dpi
		"generic-58": {384, 32, 203},
		"generic-80": {576, 48, 203},
		"tm-t20":     {576, 48, 203},
		"tm-t88":     {512, 42, 180},
	}
	if got := escpos.ProfileNames(); !slices.Equal(got, []string{"generic-58", "generic-80", "tm-t20", "tm-t88"}) {
		t.Fatalf("ProfileNames = %v", got)
	}
	for name, w := range want {
		p := profile(t, name)
		if p.Dots != w[0] || p.Columns != w[1] || p.DPI != w[2] {
			t.Errorf("%s: %d dots %d cols %d dpi, want %v", name, p.Dots, p.Columns, p.DPI, w)
		}
		if p.CodePages[0].Name != "pc866" || p.CodePages[0].N != 17 {
			t.Errorf("%s: first code page %+v, want pc866 = 17", name, p.CodePages[0])
		}
	}
	if _, err := escpos.LookupProfile("tm-u220"); err == nil {
		t.Error("unknown profile accepted")
	}
	bad := `{"name":"x","dots":384,"columns":40,"code_pages":[{"name":"koi8","n":1}],"qr_module":0}`
	if _, err := escpos.ParseProfile(strings.NewReader(bad)); err == nil {
		t.Error("invalid profile accepted")
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"plain", "Салом", []string{"Салом"}},
		{"newline splits", "a\nb", []string{"a", "b"}},
		{"tab", "a\tb", []string{"a b"}},
		{"C0 and ESC dropped", "a\x1b@b\x1dV\x00c\x10\x04\x01", []string{"a@bVc"}},
		{"DEL and C1", "a\x7fb\u0085c\u009bd", []string{"abcd"}},
		{"NFC composes Tajik", "\u0438\u0304 \u0443\u0304", []string{"ӣ ӯ"}},
		{"bidi and zero width", "a\u202eb\u200bc\ufeff", []string{"abc"}},
		{"nbsp", "a\u00a0b", []string{"a b"}},
		{"stress mark dropped", "е\u0301", []string{"е"}},
		{"no glyph anywhere", "x中y", []string{"x[U+4E2D]y"}},
		{"kept: latin accents", "é ß", []string{"é ß"}},
		{"crlf", "a\r\nb", []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := escpos.Sanitize(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"Агар ҳоло дар хатар бошед", 10, []string{"Агар ҳоло", "дар хатар", "бошед"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"ab cdefghij", 4, []string{"ab c", "defg", "hij"}},
		{"  indented text", 20, []string{"  indented text"}},
		{"a  b", 3, []string{"a", "b"}},
		{"", 5, []string{""}},
		{"trailing   ", 20, []string{"trailing"}},
	} {
		if got := escpos.Wrap(tc.in, tc.width); !slices.Equal(got, tc.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("Хабари шумо ба милитсия фиристода шуда, баррасӣ мегардад.", 16)
	f.Add("a bb ccc dddd eeeee", 3)
	f.Fuzz(func(t *testing.T, s string, width int) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\t") {
			return
		}
		width = 1 + abs(width)%60
		lines := escpos.Wrap(s, width)
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > width {
				t.Fatalf("line %q has %d runes > %d", l, n, width)
			}
		}
		strip := func(s string) string { return strings.ReplaceAll(s, " ", "") }
		if got := strip(strings.Join(lines, "")); got != strip(s) {
			t.Fatalf("characters lost or reordered: %q -> %q", s, lines)
		}
	})
}

func abs(v int) int {
	if v < 0 {
		if v == -v { // MinInt
			return 0
		}
		return -v
	}
	return v
}

// roundTrip encodes lines of text and decodes them with the emulator.
func roundTrip(t *testing.T, p escpos.Profile, text string, st escpos.Style) ([]byte, *emulator.Emulator) {
	t.Helper()
	var d escpos.Document
	d.Line(text, st)
	b, err := escpos.Encode(d, p)
	if err != nil {
		t.Fatal(err)
	}
	e := emulator.Render(p, b)
	if errs := e.Errors(); len(errs) > 0 {
		t.Fatalf("emulator errors: %q", errs)
	}
	return b, e
}

func TestTajikRoundTrip(t *testing.T) {
	all := "Ғ ғ Ӣ ӣ Қ қ Ӯ ӯ Ҳ ҳ Ҷ ҷ Ў ў Ёё Щщ"
	for _, name := range escpos.ProfileNames() {
		for _, st := range []escpos.Style{{}, {Width: 2, Height: 2, Bold: true, Align: escpos.Center}, {Width: 1, Height: 4, Align: escpos.Right}} {
			p := profile(t, name)
			_, e := roundTrip(t, p, all, st)
			want := escpos.Wrap(all, p.Columns/max(st.Width, 1))
			if got := e.Text(); !slices.Equal(got, want) {
				t.Errorf("%s %+v: decoded %q, want %q", name, st, got, want)
			}
		}
	}
}

// TestASCIINeverTajik prints every printable ASCII character next to every
// Tajik letter, so the user-defined window must collide with real text.
func TestASCIINeverTajik(t *testing.T) {
	var ascii strings.Builder
	for c := byte(0x20); c < 0x7F; c++ {
		ascii.WriteByte(c)
	}
	text := ascii.String() + " ҒғӢӣҚқӮӯҲҳҶҷ" + ascii.String() + "қ~}|{zq"
	p := profile(t, "tm-t20")
	p.Columns = 42 // keep some lines long
	b, e := roundTrip(t, p, text, escpos.Style{})
	want := escpos.Wrap(text, p.Columns)
	if got := e.Text(); !slices.Equal(got, want) {
		t.Errorf("decoded\n %q\nwant\n %q", got, want)
	}
	if !bytes.Contains(b, []byte{0x1B, '%', 0}) {
		t.Error("no ESC % 0 although ASCII text uses the user-defined codes")
	}
}

func TestUDCOnlyForUsedLetters(t *testing.T) {
	p := profile(t, "generic-58")
	b, _ := roundTrip(t, p, "Ҷ қ", escpos.Style{})
	var defs []escpos.Token
	for _, tk := range escpos.Tokens(b) {
		if tk.Name == "ESC &" {
			defs = append(defs, tk)
		}
	}
	if len(defs) != 1 {
		t.Fatalf("%d ESC & commands, want 1", len(defs))
	}
	if a := defs[0].Args(); a[2]-a[1] != 1 || len(defs[0].Raw) != 5+2*37 {
		t.Errorf("ESC & defines %d codes in %d bytes, want 2 in %d", a[2]-a[1]+1, len(defs[0].Raw), 5+2*37)
	}
	// Russian-only text needs no user-defined characters at all.
	b, _ = roundTrip(t, p, "Принято", escpos.Style{})
	if bytes.Contains(b, []byte{0x1B, '&'}) || bytes.Contains(b, []byte{0x1B, '%'}) {
		t.Error("user-defined characters sent for Russian text")
	}
}

func TestInitSequence(t *testing.T) {
	for _, tc := range []struct {
		profile string
		want    []byte
	}{
		{"tm-t20", []byte{0x1B, '@', 0x1B, 't', 17}},
		{"generic-58", []byte{0x1B, '@', 0x1C, '.', 0x1B, 't', 17}},
	} {
		b, _ := roundTrip(t, profile(t, tc.profile), "Салом", escpos.Style{})
		if !bytes.HasPrefix(b, tc.want) {
			t.Errorf("%s: starts % X, want % X", tc.profile, b[:min(len(b), 8)], tc.want)
		}
	}
	// A profile with only WPC1251 uses ESC t 46 and still decodes.
	p := profile(t, "tm-t88")
	p.CodePages = []escpos.CodePage{{Name: "wpc1251", N: 46}}
	b, e := roundTrip(t, p, "Ҷумҳурии Тоҷикистон, Ўзбекистон", escpos.Style{})
	if !bytes.HasPrefix(b, []byte{0x1B, '@', 0x1B, 't', 46}) {
		t.Errorf("wpc1251 profile starts % X", b[:5])
	}
	if got := e.Text(); !slices.Equal(got, []string{"Ҷумҳурии Тоҷикистон, Ўзбекистон"}) {
		t.Errorf("wpc1251: decoded %q", got)
	}
}

func TestRasterFallback(t *testing.T) {
	p := profile(t, "generic-58")
	p.UserDefinedChars = false
	b, e := roundTrip(t, p, "Салом\nҶумҳурӣ\nΑθήνα", escpos.Style{Bold: true})
	lines := e.Lines()
	kinds := []emulator.Kind{}
	for _, l := range lines {
		kinds = append(kinds, l.Kind)
	}
	if want := []emulator.Kind{emulator.KindText, emulator.KindImage, emulator.KindImage}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for _, tk := range escpos.Tokens(b) {
		if tk.Kind == escpos.KindText && bytes.Contains(tk.Raw, []byte("?")) || tk.Name == "ESC &" {
			t.Errorf("fallback emitted %v", tk)
		}
	}
	for _, l := range lines[1:] {
		if l.Height != 24 || l.Width%8 != 0 || l.Width > p.Dots {
			t.Errorf("raster band %dx%d", l.Width, l.Height)
		}
	}
	// Greek needs raster even with user-defined characters.
	_, e = roundTrip(t, profile(t, "tm-t20"), "Αθήνα Ҷ", escpos.Style{Width: 8, Height: 8})
	ls := e.Lines()
	if len(ls) != 2 || ls[0].Kind != emulator.KindImage || ls[0].Height != 192 || ls[1].Text != "Ҷ" || ls[1].Width != 8 {
		t.Errorf("8x Greek + Tajik: %+v, want a 192-row raster band and a text line", ls)
	}
}

func TestForceRasterBands(t *testing.T) {
	p := profile(t, "generic-80")
	var d escpos.Document
	d.Line("Ҷ", escpos.Style{Height: 8})
	d.Add(escpos.QR{Data: strings.Repeat("x", 300), Module: 8})
	b, err := escpos.EncodeWith(d, p, escpos.Options{ForceRaster: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range escpos.Tokens(b) {
		if tk.Name == "GS ( k" {
			t.Error("native QR sent in forced raster mode")
		}
		if tk.Name == "GS v 0" {
			if h := int(tk.Raw[6]) | int(tk.Raw[7])<<8; h > 255 {
				t.Errorf("raster band of %d rows", h)
			}
		}
	}
	if e := emulator.Render(p, b); len(e.Errors()) > 0 {
		t.Fatal(e.Errors())
	}
}

func TestScrubRealtime(t *testing.T) {
	// A bitmap whose packed rows would contain 10 04.
	bm := escpos.NewBitmap(16, 1)
	bm.Set(3, 0)  // 0x10
	bm.Set(13, 0) // 0x04
	if got := bm.Rows(); got[0] == 0x10 && got[1] == 0x04 {
		t.Fatalf("rows % X contain DLE EOT", got)
	}
	for _, r := range escpos.UDCLetters() {
		if bytes.Contains(escpos.Glyph(r).Columns24(), []byte{0x10, 0x04}) {
			t.Errorf("glyph %c contains DLE EOT", r)
		}
	}
}

func TestImageAndErrors(t *testing.T) {
	p := profile(t, "generic-58")
	img := image.NewGray(image.Rect(0, 0, 100, 300))
	for y := range 300 {
		img.SetGray(y%100, y, color.Gray{})
	}
	var d escpos.Document
	d.Add(escpos.Image{Image: img, Align: escpos.Center})
	b, err := escpos.Encode(d, p)
	if err != nil {
		t.Fatal(err)
	}
	e := emulator.Render(p, b)
	var rows int
	for _, l := range e.Lines() {
		rows += l.Height
	}
	if rows != 300 || len(e.Lines()) != 2 {
		t.Errorf("image printed as %d bands, %d rows; want 2 bands, 300 rows", len(e.Lines()), rows)
	}
	for name, blk := range map[string]escpos.Block{
		"wide image": escpos.Image{Image: image.NewGray(image.Rect(0, 0, 400, 10))},
		"empty QR":   escpos.QR{Data: "\x00\x01"},
		"long QR":    escpos.QR{Data: strings.Repeat("a", escpos.MaxQRData+1)},
		"nil image":  escpos.Image{},
	} {
		var d escpos.Document
		d.Add(blk)
		if _, err := escpos.Encode(d, p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzEncode: any Unicode text gives a well-formed stream in which every
// command is one the encoder emits, and text decodes back to the sanitised
// input.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"Салом, ҷаҳон!", "\x1b@\x1dV\x00\x10\x04\x01", "ҒғӢӣҚқӮӯҲҳҶҷЎў ~}|{", "\u202e\u0085\x7f", "Αθήνα 😀", "a\nb\tc"} {
		f.Add(s, uint8(0))
	}
	p58 := profile(f, "generic-58")
	p80 := profile(f, "tm-t20")
	allowed := map[string]bool{"ESC @": true, "FS .": true, "ESC t": true, "ESC &": true, "ESC %": true,
		"GS !": true, "ESC E": true, "ESC a": true, "LF": true, "GS v 0": true, "ESC J": true}
	f.Fuzz(func(t *testing.T, s string, style uint8) {
		if len(s) > 2048 { // a receipt field; keeps minimisation fast
			return
		}
		p := p80
		if style&1 != 0 {
			p = p58
		}
		st := escpos.Style{Width: int(style>>1&3) + 1, Height: int(style>>3&3) + 1, Bold: style&0x20 != 0, Align: escpos.Align(style >> 6 % 3)}
		var d escpos.Document
		d.Line(s, st)
		b, err := escpos.Encode(d, p)
		if err != nil {
			t.Fatalf("Encode(%q): %v", s, err)
		}
		raster := false
		for _, tk := range escpos.Tokens(b) {
			switch {
			case tk.Kind == escpos.KindText:
				for _, c := range tk.Raw {
					if !escpos.IsTextByte(c) {
						t.Fatalf("control byte %#x in text", c)
					}
				}
			case tk.Kind != escpos.KindCommand || !allowed[tk.Name]:
				t.Fatalf("unexpected %v in stream for %q", tk, s)
			case tk.Name == "GS v 0":
				raster = true
			}
		}
		e := emulator.Render(p, b)
		if errs := e.Errors(); len(errs) > 0 {
			t.Fatalf("emulator errors for %q: %q", s, errs)
		}
		if raster {
			return
		}
		var want []string
		for _, l := range escpos.Sanitize(s) {
			want = append(want, escpos.Wrap(l, p.Columns/st.Width)...)
		}
		if got := e.Text(); !slices.Equal(got, want) {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	})
}
