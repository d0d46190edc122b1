package escpos

import (
	"image"
	"image/draw"
	"sync"

	"cpckiosk/printer/font"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Font A cell: every character the encoder prints occupies one 12x24 cell.
const (
	cellW = 12
	cellH = 24
	// baseline of the glyphs inside the cell, from the top.
	baseline = 19
	// pxSize is the DejaVu Sans Mono pixel size whose advance is 12 dots.
	pxSize = 20.0
)

// Bitmap is a 1-bit picture, one byte per dot (1 = black).
type Bitmap struct {
	W, H int
	Pix  []byte
}

// NewBitmap returns a white bitmap.
func NewBitmap(w, h int) *Bitmap {
	return &Bitmap{W: w, H: h, Pix: make([]byte, w*h)}
}

// At reports whether dot (x, y) is black; outside dots are white.
func (b *Bitmap) At(x, y int) bool {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return false
	}
	return b.Pix[y*b.W+x] != 0
}

// Set blackens dot (x, y); outside dots are ignored.
func (b *Bitmap) Set(x, y int) {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return
	}
	b.Pix[y*b.W+x] = 1
}

// Blit ORs src onto b at (x0, y0), each dot scaled by sx, sy; bold adds a
// copy one dot to the right, as emphasised mode does on the head.
func (b *Bitmap) Blit(src *Bitmap, x0, y0, sx, sy int, bold bool) {
	for y := 0; y < src.H; y++ {
		for x := 0; x < src.W; x++ {
			if !src.At(x, y) {
				continue
			}
			for dy := 0; dy < sy; dy++ {
				for dx := 0; dx < sx; dx++ {
					b.Set(x0+x*sx+dx, y0+y*sy+dy)
					if bold {
						b.Set(x0+x*sx+dx+1, y0+y*sy+dy)
					}
				}
			}
		}
	}
}

// Columns24 returns the ESC & (y = 3) data of a 24-dot-high bitmap: column by
// column, 3 bytes per column, top dot in the MSB. Real-time sequences are
// scrubbed (see the package doc).
func (b *Bitmap) Columns24() []byte {
	out := make([]byte, 0, b.W*3)
	for x := 0; x < b.W; x++ {
		for k := 0; k < 3; k++ {
			var v byte
			for bit := 0; bit < 8; bit++ {
				if b.At(x, k*8+bit) {
					v |= 0x80 >> bit
				}
			}
			out = append(out, v)
		}
	}
	return scrubRealtime(out)
}

// Rows returns the GS v 0 data of the bitmap: row by row, (W+7)/8 bytes per
// row, leftmost dot in the MSB; real-time sequences are scrubbed.
func (b *Bitmap) Rows() []byte {
	bw := (b.W + 7) / 8
	out := make([]byte, bw*b.H)
	for y := 0; y < b.H; y++ {
		for x := 0; x < b.W; x++ {
			if b.Pix[y*b.W+x] != 0 {
				out[y*bw+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return scrubRealtime(out)
}

// scrubRealtime breaks every 10 04, 10 05 and 10 14 sequence by clearing
// the single dot of the 0x10 byte, so a printer never takes data for a
// real-time command.
func scrubRealtime(b []byte) []byte {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0x10 && (b[i+1] == 0x04 || b[i+1] == 0x05 || b[i+1] == 0x14) {
			b[i] = 0
		}
	}
	return b
}

// FromColumns24 is the inverse of Columns24 for x columns.
func FromColumns24(data []byte, x int) *Bitmap {
	b := NewBitmap(x, 24)
	for col := 0; col < x && col*3+2 < len(data); col++ {
		for k := 0; k < 3; k++ {
			v := data[col*3+k]
			for bit := 0; bit < 8; bit++ {
				if v&(0x80>>bit) != 0 {
					b.Set(col, k*8+bit)
				}
			}
		}
	}
	return b
}

type rasterizer struct {
	mu    sync.Mutex
	mono  *sfnt.Font
	sans  *sfnt.Font
	buf   sfnt.Buffer
	cache map[rune]*Bitmap
}

var glyphs = func() *rasterizer {
	mono, err := opentype.Parse(font.Mono)
	if err != nil {
		panic("escpos: parse DejaVu Sans Mono: " + err.Error())
	}
	sans, err := opentype.Parse(font.Sans)
	if err != nil {
		panic("escpos: parse DejaVu Sans: " + err.Error())
	}
	return &rasterizer{mono: mono, sans: sans, cache: map[rune]*Bitmap{}}
}()

// hasGlyph reports whether the embedded fonts can draw r.
func (z *rasterizer) hasGlyph(r rune) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.has(z.mono, r) || z.has(z.sans, r)
}

func (z *rasterizer) has(f *sfnt.Font, r rune) bool {
	i, err := f.GlyphIndex(&z.buf, r)
	return err == nil && i != 0
}

// Glyph returns the 12x24 cell bitmap of r as this package prints it: a
// user-defined character's design, and what the emulator draws for code
// page characters. Runes the fonts lack give a hollow box. The result is
// shared: do not modify it.
func Glyph(r rune) *Bitmap { return glyphs.glyph(r) }

func (z *rasterizer) glyph(r rune) *Bitmap {
	z.mu.Lock()
	defer z.mu.Unlock()
	if g, ok := z.cache[r]; ok {
		return g
	}
	g := z.render(r)
	z.cache[r] = g
	return g
}

func (z *rasterizer) render(r rune) *Bitmap {
	out := NewBitmap(cellW, cellH)
	if r == ' ' {
		return out
	}
	f := z.mono
	if !z.has(f, r) {
		f = z.sans
	}
	if !z.has(f, r) {
		for x := 2; x < 10; x++ {
			out.Set(x, 4)
			out.Set(x, 19)
		}
		for y := 4; y < 20; y++ {
			out.Set(2, y)
			out.Set(9, y)
		}
		return out
	}
	size := pxSize
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: xfont.HintingNone})
	if err != nil {
		return out
	}
	adv, _ := face.GlyphAdvance(r)
	if a := float64(adv) / 64; a > cellW+0.5 {
		// A wide Sans glyph: shrink it into the cell.
		size = pxSize * cellW / a
		face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: xfont.HintingNone})
		if err != nil {
			return out
		}
		adv, _ = face.GlyphAdvance(r)
	}
	x0 := (fixed.I(cellW) - adv) / 2
	dr, mask, mp, _, ok := face.Glyph(fixed.Point26_6{X: x0, Y: fixed.I(baseline)}, r)
	if !ok {
		return out
	}
	alpha := image.NewAlpha(image.Rect(0, 0, cellW, cellH))
	draw.DrawMask(alpha, dr, image.Opaque, image.Point{}, mask, mp, draw.Over)
	for y := 0; y < cellH; y++ {
		for x := 0; x < cellW; x++ {
			if alpha.AlphaAt(x, y).A >= 0x70 {
				out.Set(x, y)
			}
		}
	}
	return out
}
