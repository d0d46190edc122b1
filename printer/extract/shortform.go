package extract

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"strings"
	"sync"

	"cpckiosk/printer/escpos"
	"cpckiosk/printer/font"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	xvector "golang.org/x/image/vector"
)

// ShortForm lays out the short extract for the receipt printer, used when no
// A4 printer is configured: the same facts as the PDF (centre, number,
// dates, category, current status and history, decision, case number, the
// reporter when e carries one), the stamp as a small raster image, the
// verification code, and a native QR code (level Q) with the signed
// payload, sized to the paper. The incident's place and description are
// not printed: the QR code leads to the full extract. Text goes through
// escpos's own sanitising (see escpos.Sanitize).
func ShortForm(e *Extract, signed *Signed, p escpos.Profile) (escpos.Document, error) {
	if err := e.Validate(); err != nil {
		return escpos.Document{}, fmt.Errorf("extract: short form: %w", err)
	}
	if signed == nil {
		return escpos.Document{}, fmt.Errorf("extract: short form %s: not signed", e.Number)
	}
	canon, err := Canonical(e)
	if err != nil {
		return escpos.Document{}, fmt.Errorf("extract: short form: %w", err)
	}
	if !bytes.Equal(canon, signed.Canonical) {
		return escpos.Document{}, fmt.Errorf("extract: short form: %w: the signature is for other content", ErrContent)
	}
	if err := p.Validate(); err != nil {
		return escpos.Document{}, fmt.Errorf("extract: short form: %w", err)
	}
	if len(signed.Payload) > escpos.MaxQRData {
		return escpos.Document{}, fmt.Errorf("extract: short form %s: payload of %d bytes exceeds the printer's QR limit %d",
			e.Number, len(signed.Payload), escpos.MaxQRData)
	}
	q, err := encodeQR(signed.Payload)
	if err != nil {
		return escpos.Document{}, fmt.Errorf("extract: short form %s: %w", e.Number, err)
	}
	// The module size that fits the code and a 4-module quiet zone on the
	// paper; the printer picks the same version for the same data and level.
	module := min(p.QRModule, p.Dots/(q.size+8))
	if module < 2 {
		return escpos.Document{}, fmt.Errorf("extract: short form %s: a QR code of %d modules does not fit %d dots",
			e.Number, q.size, p.Dots)
	}
	stamp, err := StampImage(e, Options{}, min(p.Dots, 288))
	if err != nil {
		return escpos.Document{}, fmt.Errorf("extract: short form %s: %w", e.Number, err)
	}

	l := lang[e.Lang]
	var (
		center = escpos.Style{Align: escpos.Center}
		bold   = escpos.Style{Bold: true}
		title  = escpos.Style{Height: 2, Bold: true, Align: escpos.Center}
		plain  = escpos.Style{}
	)
	var doc escpos.Document
	field := func(label, value string) {
		doc.Line(label+": "+value, plain)
	}
	if strings.TrimSpace(e.Ministry) != "" {
		doc.Line(e.Ministry, escpos.Style{Bold: true, Align: escpos.Center})
	}
	if strings.TrimSpace(e.Centre) != "" {
		doc.Line(e.Centre, center)
	}
	if e.Training() {
		doc.Line("*** "+TrainingMark+" ***", escpos.Style{Bold: true, Align: escpos.Center})
	}
	doc.Line(l.Title, title)
	doc.Line(l.Subtitle, center)
	doc.Add(escpos.Separator{})
	doc.Line(l.Number, bold)
	doc.Line(e.Number, escpos.Style{Width: 2, Bold: true, Align: escpos.Center})
	field(l.IssuedAt, dateTime(e.IssuedAt))
	created := dateTime(e.CreatedAt)
	if !e.ClockSynced {
		created += " (" + l.ClockUnsync + ")"
	}
	field(l.CreatedAt, created)
	field(l.Category, l.Categories[e.Category])
	if st := e.status(); st != "" {
		field(l.Status, l.Statuses[st])
	}
	if e.Decision != "" {
		field(l.Decision, l.Decisions[e.Decision])
	}
	if e.CaseNumber != "" {
		field(l.CaseNumber, e.CaseNumber)
	}
	if r := e.Reporter; r != nil {
		doc.Add(escpos.Separator{})
		doc.Line(l.Reporter, bold)
		field(l.FullName, orDash(r.FullName))
		field(l.Phone, orDash(r.Phone))
		field(l.IDNumber, orDash(r.IDNumber))
		field(l.Address, orDash(r.Address))
	}
	if len(e.History) > 0 {
		doc.Add(escpos.Separator{})
		doc.Line(l.History, bold)
		for _, h := range e.History {
			s := dateTime(h.At) + " " + l.Statuses[h.Status]
			if strings.TrimSpace(h.Note) != "" {
				s += " (" + h.Note + ")"
			}
			doc.Line(s, plain)
		}
	}
	doc.Add(escpos.Separator{})
	doc.Add(escpos.Image{Image: stamp, Align: escpos.Center})
	doc.Line(l.Code, escpos.Style{Bold: true, Align: escpos.Center})
	doc.Line(signed.Code, escpos.Style{Width: 2, Height: 2, Bold: true, Align: escpos.Center})
	doc.Line(l.Device+": "+signed.DeviceID, center)
	doc.Add(escpos.QR{Data: signed.Payload, Module: module, ECC: escpos.ECCQ, Align: escpos.Center})
	doc.Line(l.VerifyNote, plain)
	doc.Add(escpos.Feed{Lines: 2}, escpos.Cut{})
	return doc, nil
}

// stampFonts are DejaVu Sans and Sans Bold (the full fonts: the stamp may
// set any text the receipt printer can), parsed once.
var stampFonts = sync.OnceValues(func() ([2]*sfnt.Font, error) {
	sans, err := opentype.Parse(font.Sans)
	if err != nil {
		return [2]*sfnt.Font{}, err
	}
	bold, err := opentype.Parse(font.SansBold)
	return [2]*sfnt.Font{sans, bold}, err
})

// Stamp raster geometry, as fractions of the image size; the sizes of the
// text are in dots (pixels), chosen for a 203 dpi head.
const (
	minRingPx = 15.0 // smaller ring text is not legible at 203 dpi
	maxRingPx = 20.0
)

// StampImage draws the round stamp as a 1-bit image size dots square, for
// the receipt printer: two circles, the ring text along the ring when it is
// legible at that size (else the ring stays empty), the word for "extract"
// and the issue date in the middle. opt.StampRing and opt.StampWord work as
// in Render.
func StampImage(e *Extract, opt Options, size int) (*image.Gray, error) {
	fonts, err := stampFonts()
	if err != nil {
		return nil, fmt.Errorf("stamp: parse font: %w", err)
	}
	if size < 96 {
		return nil, fmt.Errorf("stamp: %d dots is too small", size)
	}
	l := lang[e.Lang]
	s := float64(size)
	c := s / 2
	outer := c - 3
	inner := outer * 0.64
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	ring := func(r, w float64) {
		for y := range size {
			for x := range size {
				d := math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c)
				if math.Abs(d-r) <= w/2 {
					img.Pix[y*img.Stride+x] = 0
				}
			}
		}
	}
	ring(outer-2, 4)
	ring(outer-7, 1.6)
	ring(inner, 2)

	z := &stampRaster{img: img, mask: image.NewAlpha(img.Rect), ras: xvector.NewRasterizer(size, size)}
	text := opt.StampRing
	if text == "" {
		text = strings.ToUpper(strings.TrimSpace(e.Centre)) + " • "
	}
	text = strings.ReplaceAll(clean(text), "\n", " ")
	textR := inner + 4 // baseline radius
	circ := 2 * math.Pi * textR
	for px := maxRingPx; px >= minRingPx; px-- {
		w := z.width(fonts[1], text, px)
		if w > circ*0.97 {
			continue
		}
		gap := (circ - w) / float64(len([]rune(text)))
		pos := 0.0
		for _, r := range text {
			gw := z.width(fonts[1], string(r), px)
			a := (pos + gw/2) / textR // clockwise from 12 o'clock
			x, y := c+textR*math.Sin(a), c-textR*math.Cos(a)
			z.glyph(fonts[1], r, px, x, y, a, gw)
			pos += gw + gap
		}
		break
	}
	word := clean(opt.StampWord)
	if strings.TrimSpace(word) == "" {
		word = l.Stamp
	}
	z.centred(fonts[1], word, 24, 2*inner-14, c, c-4)
	z.centred(fonts[0], l.longDate(e.IssuedAt), 19, 2*inner-14, c, c+20)
	return img, nil
}

type stampRaster struct {
	img  *image.Gray
	mask *image.Alpha
	ras  *xvector.Rasterizer
	buf  sfnt.Buffer
}

func (z *stampRaster) width(f *sfnt.Font, s string, px float64) float64 {
	w := fixed.Int26_6(0)
	for _, r := range s {
		g, err := f.GlyphIndex(&z.buf, r)
		if err != nil {
			continue
		}
		adv, err := f.GlyphAdvance(&z.buf, g, fixed.Int26_6(px*64), 0)
		if err == nil {
			w += adv
		}
	}
	return float64(w) / 64
}

// centred draws s on the baseline y centred on x, shrinking it from px until
// it fits maxW.
func (z *stampRaster) centred(f *sfnt.Font, s string, px, maxW, x, y float64) {
	for px > 9 && z.width(f, s, px) > maxW {
		px--
	}
	pos := x - z.width(f, s, px)/2
	for _, r := range s {
		w := z.width(f, string(r), px)
		z.glyph(f, r, px, pos+w/2, y, 0, w)
		pos += w
	}
}

// glyph draws r at px pixels per em, its baseline centred on (x, y), rotated
// clockwise by a radians.
func (z *stampRaster) glyph(f *sfnt.Font, r rune, px, x, y, a, w float64) {
	g, err := f.GlyphIndex(&z.buf, r)
	if err != nil || g == 0 {
		return
	}
	segs, err := f.LoadGlyph(&z.buf, g, fixed.Int26_6(px*64), nil)
	if err != nil || len(segs) == 0 {
		return
	}
	sin, cos := math.Sincos(a)
	pt := func(p fixed.Point26_6) (float32, float32) {
		gx, gy := float64(p.X)/64-w/2, float64(p.Y)/64 // y grows down
		return float32(x + gx*cos - gy*sin), float32(y + gx*sin + gy*cos)
	}
	z.ras.Reset(z.img.Rect.Dx(), z.img.Rect.Dy())
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			z.ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			z.ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			z.ras.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x3, y3 := pt(s.Args[2])
			z.ras.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	z.ras.ClosePath()
	clear(z.mask.Pix)
	z.ras.Draw(z.mask, z.mask.Rect, image.Opaque, image.Point{})
	for i, v := range z.mask.Pix {
		if v >= 0x80 {
			z.img.Pix[i] = 0
		}
	}
}
