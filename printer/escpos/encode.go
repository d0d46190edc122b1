package escpos

import (
	"errors"
	"fmt"
	"image/color"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// udcLetters are the letters the encoder can print as user-defined
// characters: the twelve Tajik letters and Uzbek Ў ў.
var udcLetters = []rune("ҒғӢӣҚқӮӯҲҳҶҷЎў")

// UDCLetters returns the letters that may be sent as user-defined characters.
func UDCLetters() []rune { return append([]rune(nil), udcLetters...) }

func isUDCLetter(r rune) bool {
	for _, l := range udcLetters {
		if l == r {
			return true
		}
	}
	return false
}

// Command bytes.
const (
	ESC = 0x1B
	GS  = 0x1D
	FS  = 0x1C
	DLE = 0x10
	EOT = 0x04
	LF  = 0x0A
)

// lineDots is the default line spacing (ESC 2) in dots.
const lineDots = 30

// Options changes how Encode works.
type Options struct {
	// ForceRaster renders every text line and QR code as raster images,
	// as a printer without code pages would need (for comparison).
	ForceRaster bool
}

// Encode returns the ESC/POS bytes of doc for profile p.
func Encode(doc Document, p Profile) ([]byte, error) {
	return EncodeWith(doc, p, Options{})
}

// line is a laid-out text line.
type line struct {
	runes  []rune
	style  Style
	raster bool
}

type encoder struct {
	p    Profile
	o    Options
	page CodePage
	cm   interface{ EncodeRune(rune) (byte, bool) }
	udc  map[rune]byte // letter -> ASCII code
	lo   byte          // window of defined codes [lo, hi]
	hi   byte
	out  []byte

	// printer state as sent
	size   [2]int
	bold   bool
	align  Align
	udcOn  bool
	inited bool
}

// EncodeWith is Encode with options.
func EncodeWith(doc Document, p Profile, o Options) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e := &encoder{p: p, o: o}
	// Lay out text into lines, per block.
	laid := make([][]line, len(doc.Blocks))
	for i, b := range doc.Blocks {
		switch b := b.(type) {
		case Text:
			st := b.Style.norm()
			for _, l := range Sanitize(b.Text) {
				for _, w := range Wrap(l, p.Columns/st.Width) {
					laid[i] = append(laid[i], line{runes: []rune(w), style: st})
				}
			}
		case Separator:
			c := b.Char
			if s := Sanitize(string(c)); c == 0 || len(s) != 1 || len([]rune(s[0])) != 1 {
				c = '-'
			}
			laid[i] = []line{{runes: []rune(strings.Repeat(string(c), p.Columns)), style: Style{}.norm()}}
		case nil:
			return nil, fmt.Errorf("escpos: encode block %d: nil block", i)
		}
	}
	e.choosePage(laid)
	e.markRaster(laid)
	e.chooseUDC(laid)

	e.init()
	for i, b := range doc.Blocks {
		var err error
		switch b := b.(type) {
		case Text, Separator:
			for _, l := range laid[i] {
				e.line(l)
			}
		case QR:
			err = e.qr(b)
		case Image:
			err = e.image(b)
		case Feed:
			e.emit(ESC, 'd', byte(clamp(b.Lines, 0, 255)))
		case Cut:
			fn := byte(0x41)
			if b.Partial {
				fn = 0x42
			}
			e.emit(GS, 'V', fn, p.CutFeed)
		default:
			err = fmt.Errorf("unsupported block %T", b)
		}
		if err != nil {
			return nil, fmt.Errorf("escpos: encode block %d: %w", i, err)
		}
	}
	return e.out, nil
}

func (e *encoder) emit(b ...byte) { e.out = append(e.out, b...) }

// encodable tells whether r prints as one byte of the chosen page or ASCII.
func (e *encoder) pageByte(r rune) (byte, bool) {
	if r >= 0x20 && r < 0x7F {
		return byte(r), true
	}
	b, ok := e.cm.EncodeRune(r)
	if !ok || b < 0x80 {
		return 0, false
	}
	return b, true
}

func (e *encoder) choosePage(laid [][]line) {
	best := -1
	for _, cp := range e.p.CodePages {
		cm := charmapFor(cp.Name)
		miss := 0
		for _, ls := range laid {
			for _, l := range ls {
				for _, r := range l.runes {
					if r < 0x7F || (e.p.UserDefinedChars && isUDCLetter(r)) {
						continue
					}
					if b, ok := cm.EncodeRune(r); !ok || b < 0x80 {
						miss++
					}
				}
			}
		}
		if best < 0 || miss < best {
			best, e.page, e.cm = miss, cp, cm
		}
	}
}

func (e *encoder) markRaster(laid [][]line) {
	for _, ls := range laid {
		for j := range ls {
			l := &ls[j]
			if e.o.ForceRaster {
				l.raster = true
				continue
			}
			for _, r := range l.runes {
				if _, ok := e.pageByte(r); ok {
					continue
				}
				if e.p.UserDefinedChars && isUDCLetter(r) {
					continue
				}
				l.raster = true
				break
			}
		}
	}
}

func (e *encoder) chooseUDC(laid [][]line) {
	var need []rune
	var use [128]int
	for _, ls := range laid {
		for _, l := range ls {
			if l.raster {
				continue
			}
			for _, r := range l.runes {
				if r < 0x7F {
					use[r]++
					continue
				}
				if _, ok := e.pageByte(r); ok || !isUDCLetter(r) {
					continue
				}
				seen := false
				for _, n := range need {
					seen = seen || n == r
				}
				if !seen {
					need = append(need, r)
				}
			}
		}
	}
	if len(need) == 0 {
		return
	}
	// Keep the order of udcLetters so that the layout is stable.
	ordered := make([]rune, 0, len(need))
	for _, l := range udcLetters {
		for _, n := range need {
			if n == l {
				ordered = append(ordered, l)
			}
		}
	}
	k := len(ordered)
	// The window of k codes in 0x21..0x7E that the text uses least;
	// ties go to the highest window (~}|{zyx... rarely appear in text).
	bestStart, bestUse := 0, -1
	for s := 0x7E - k + 1; s >= 0x21; s-- {
		u := 0
		for c := s; c < s+k; c++ {
			u += use[c]
		}
		if bestUse < 0 || u < bestUse {
			bestStart, bestUse = s, u
		}
	}
	e.lo, e.hi = byte(bestStart), byte(bestStart+k-1)
	e.udc = make(map[rune]byte, k)
	for i, r := range ordered {
		e.udc[r] = byte(bestStart + i)
	}
}

func (e *encoder) init() {
	e.emit(ESC, '@')
	if e.p.CancelKanji {
		e.emit(FS, '.')
	}
	e.emit(ESC, 't', e.page.N)
	e.size, e.bold, e.align, e.udcOn = [2]int{1, 1}, false, Left, false
	if len(e.udc) == 0 {
		return
	}
	e.emit(ESC, '&', 3, e.lo, e.hi)
	for c := e.lo; c <= e.hi; c++ {
		for r, code := range e.udc {
			if code == c {
				e.emit(cellW)
				e.emit(Glyph(r).Columns24()...)
			}
		}
	}
}

func (e *encoder) setAlign(a Align) {
	if e.align != a {
		e.emit(ESC, 'a', byte(a))
		e.align = a
	}
}

func (e *encoder) setStyle(st Style) {
	if e.size != [2]int{st.Width, st.Height} {
		e.emit(GS, '!', byte((st.Width-1)<<4|(st.Height-1)))
		e.size = [2]int{st.Width, st.Height}
	}
	if e.bold != st.Bold {
		b := byte(0)
		if st.Bold {
			b = 1
		}
		e.emit(ESC, 'E', b)
		e.bold = st.Bold
	}
}

func (e *encoder) line(l line) {
	if l.raster {
		e.rasterLine(l)
		return
	}
	e.setAlign(l.style.Align)
	e.setStyle(l.style)
	for _, r := range l.runes {
		if b, ok := e.pageByte(r); ok {
			if e.udcOn && b >= e.lo && b <= e.hi {
				e.emit(ESC, '%', 0)
				e.udcOn = false
			}
			e.emit(b)
			continue
		}
		code := e.udc[r] // markRaster guarantees presence
		if !e.udcOn {
			e.emit(ESC, '%', 1)
			e.udcOn = true
		}
		e.emit(code)
	}
	e.emit(LF)
}

// renderLine draws a line's cells as the printer would print them.
func (e *encoder) renderLine(l line) (*Bitmap, int) {
	st := l.style
	w := min(len(l.runes)*cellW*st.Width, e.p.Dots)
	off := 0
	switch st.Align {
	case Center:
		off = (e.p.Dots - w) / 2
	case Right:
		off = e.p.Dots - w
	}
	bm := NewBitmap(min(e.p.Dots, (off+w+7)/8*8), cellH*st.Height)
	for i, r := range l.runes {
		bm.Blit(Glyph(r), off+i*cellW*st.Width, 0, st.Width, st.Height, st.Bold)
	}
	return bm, cellH * st.Height
}

func (e *encoder) rasterLine(l line) {
	if len(l.runes) == 0 {
		e.emit(LF)
		return
	}
	bm, h := e.renderLine(l)
	e.setAlign(Left)
	e.raster(bm)
	if gap := lineDots - h; gap > 0 {
		e.emit(ESC, 'J', byte(gap))
	}
}

// raster sends bm as GS v 0 bands of at most 255 rows.
func (e *encoder) raster(bm *Bitmap) {
	bw := (bm.W + 7) / 8
	for y0 := 0; y0 < bm.H; y0 += 255 {
		h := min(255, bm.H-y0)
		band := &Bitmap{W: bm.W, H: h, Pix: bm.Pix[y0*bm.W : (y0+h)*bm.W]}
		e.emit(GS, 'v', '0', 0, byte(bw), byte(bw>>8), byte(h), byte(h>>8))
		e.emit(band.Rows()...)
	}
}

// ErrBadQR is returned for QR data that is empty, too long or not printable.
var ErrBadQR = errors.New("escpos: bad QR data")

func qrData(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == 0xFFFD {
			continue
		}
		b.WriteRune(r)
	}
	d := b.String()
	if d == "" || len(d) > MaxQRData {
		return "", fmt.Errorf("%w: %d bytes after dropping control characters (want 1..%d)", ErrBadQR, len(d), MaxQRData)
	}
	return d, nil
}

// QRLevel maps an ECC to go-qrcode's recovery level.
func QRLevel(ecc ECC) qrcode.RecoveryLevel {
	switch ecc {
	case ECCL:
		return qrcode.Low
	case ECCQ:
		return qrcode.High
	case ECCH:
		return qrcode.Highest
	}
	return qrcode.Medium
}

func (e *encoder) qr(q QR) error {
	data, err := qrData(q.Data)
	if err != nil {
		return err
	}
	mod := q.Module
	if mod == 0 {
		mod = e.p.QRModule
	}
	mod = clamp(mod, 1, 16)
	ecc := q.ECC
	if ecc < ECCL || ecc > ECCH {
		ecc = ECCM
	}
	if e.p.NativeQR && !e.o.ForceRaster {
		e.setAlign(q.Align)
		e.emit(GS, '(', 'k', 4, 0, 0x31, 0x41, 0x32, 0)
		e.emit(GS, '(', 'k', 3, 0, 0x31, 0x43, byte(mod))
		e.emit(GS, '(', 'k', 3, 0, 0x31, 0x45, byte(ecc))
		n := len(data) + 3
		e.emit(GS, '(', 'k', byte(n), byte(n>>8), 0x31, 0x50, 0x30)
		e.emit([]byte(data)...)
		e.emit(GS, '(', 'k', 3, 0, 0x31, 0x51, 0x30)
		return nil
	}
	bm, err := QRBitmap(data, ecc, mod, e.p.Dots, q.Align)
	if err != nil {
		return err
	}
	e.setAlign(Left)
	e.raster(bm)
	return nil
}

// QRBitmap draws data as a QR code with mod-dot modules and a 2-module
// quiet zone, aligned within a paper dots wide, as the printer prints it.
func QRBitmap(data string, ecc ECC, mod, dots int, a Align) (*Bitmap, error) {
	q, err := qrcode.New(data, QRLevel(ecc))
	if err != nil {
		return nil, fmt.Errorf("escpos: QR encode: %w", err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits)
	for mod > 1 && (n+4)*mod > dots {
		mod--
	}
	side := (n + 4) * mod
	off := 0
	switch a {
	case Center:
		off = (dots - side) / 2
	case Right:
		off = dots - side
	}
	off = max(off, 0)
	bm := NewBitmap(min(dots, (off+side+7)/8*8), side)
	for y, row := range bits {
		for x, on := range row {
			if !on {
				continue
			}
			for dy := 0; dy < mod; dy++ {
				for dx := 0; dx < mod; dx++ {
					bm.Set(off+(x+2)*mod+dx, (y+2)*mod+dy)
				}
			}
		}
	}
	return bm, nil
}

func (e *encoder) image(im Image) error {
	if im.Image == nil {
		return errors.New("image: nil")
	}
	r := im.Image.Bounds()
	if r.Dx() > e.p.Dots {
		return fmt.Errorf("image: %d dots wide, paper has %d", r.Dx(), e.p.Dots)
	}
	off := 0
	switch im.Align {
	case Center:
		off = (e.p.Dots - r.Dx()) / 2
	case Right:
		off = e.p.Dots - r.Dx()
	}
	bm := NewBitmap(min(e.p.Dots, (off+r.Dx()+7)/8*8), r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g := color.GrayModel.Convert(im.Image.At(x, y)).(color.Gray)
			_, _, _, a := im.Image.At(x, y).RGBA()
			if g.Y < 128 && a >= 0x8000 {
				bm.Set(off+x-r.Min.X, y-r.Min.Y)
			}
		}
	}
	e.setAlign(Left)
	e.raster(bm)
	return nil
}
