// Package emulator is a software ESC/POS printer: it interprets the command
// subset that package escpos emits, draws the paper as a PNG (text with the
// selected code page and the downloaded user-defined glyphs, so a wrong byte
// shows as a wrong glyph; QR codes from the stored data; cuts as dashed
// lines), decodes the printed text back to Unicode, and answers DLE EOT
// status queries according to a settable state.
//
// It is used by tests (on the far side of a pty, see Serve) and by kioskd
// -printer sim (see SaveJob).
//
// User-defined characters are decoded by comparing their dots with the
// glyphs escpos would send for each letter of escpos.UDCLetters; a glyph
// that matches none decodes as U+FFFD.
package emulator

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"

	"cpckiosk/printer/escpos"
)

// Kind classifies a printed Line.
type Kind int

// Line kinds.
const (
	KindText  Kind = iota // a line of characters
	KindImage             // a GS v 0 raster band
	KindQR                // a native QR code
	KindCut               // a paper cut
)

func (k Kind) String() string {
	return [...]string{"text", "image", "qr", "cut"}[k]
}

// Line is one thing printed on the paper, in order.
type Line struct {
	Kind Kind
	// Text is the decoded text (KindText) or the QR data (KindQR).
	Text string
	// Width and Height are the character multipliers of the line's
	// largest character (KindText) or the size in dots (KindImage, KindQR).
	Width, Height int
	Bold          bool
	Align         escpos.Align
	// Partial is true for a partial cut.
	Partial bool
}

type cell struct {
	r    rune
	g    *escpos.Bitmap
	w, h int
	bold bool
}

// Emulator is one printer. It is safe for concurrent use.
type Emulator struct {
	mu sync.Mutex
	p  escpos.Profile

	status    escpos.Status
	silent    bool
	paperLeft int // printed lines until the paper ends; <0 = endless

	pending  []byte
	replies  []byte
	received int64

	table     [128]rune
	kanji     bool
	kanjiLead bool
	udcOn     bool
	udc       map[byte]*escpos.Bitmap
	w, h      int
	bold      bool
	align     escpos.Align
	spacing   int
	cells     []cell
	qrData    string
	qrModule  int
	qrECC     escpos.ECC

	rows   [][]byte // the paper, one byte per dot
	lines  []Line
	errs   []string
	refUDC map[string]rune
}

// New returns an emulator of a printer with profile p, with paper, status ok.
func New(p escpos.Profile) *Emulator {
	e := &Emulator{p: p, status: escpos.StatusOK, paperLeft: -1}
	e.refUDC = map[string]rune{}
	for _, r := range escpos.UDCLetters() {
		e.refUDC[string(escpos.Glyph(r).Columns24())] = r
	}
	e.reset()
	return e
}

func (e *Emulator) reset() {
	e.table, _ = escpos.CodePageTable("pc437")
	e.kanji = e.p.CancelKanji // clones needing FS . start in Kanji mode
	e.kanjiLead = false
	e.udcOn = false
	e.udc = map[byte]*escpos.Bitmap{}
	e.w, e.h, e.bold, e.align = 1, 1, false, escpos.Left
	e.spacing = 30
	e.qrModule, e.qrECC = 3, escpos.ECCL
}

// SetStatus sets what the printer reports (and, for paper out, cover open
// and offline, that it stops printing).
func (e *Emulator) SetStatus(s escpos.Status) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status = s
}

// SetSilent makes the printer never answer status queries, as many cheap
// printers do.
func (e *Emulator) SetSilent(silent bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.silent = silent
}

// SetPaperLines makes the paper run out after n more printed lines or
// bands; then the status becomes paper_out and printing stops. n < 0 means
// endless paper.
func (e *Emulator) SetPaperLines(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.paperLeft = n
}

// Status returns the current state.
func (e *Emulator) Status() escpos.Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

// Write feeds bytes sent to the printer. It never fails; commands split
// across writes are kept until complete. Replies to DLE EOT are queued for
// TakeReplies.
func (e *Emulator) Write(b []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.received += int64(len(b))
	e.pending = append(e.pending, b...)
	for len(e.pending) > 0 {
		t, n := escpos.Next(e.pending)
		if n == 0 {
			break
		}
		e.exec(t)
		e.pending = e.pending[n:]
	}
	if len(e.pending) == 0 {
		e.pending = nil
	}
	return len(b), nil
}

// Received returns how many bytes were written to the printer.
func (e *Emulator) Received() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.received
}

// TakeReplies returns and clears the bytes the printer has sent back.
func (e *Emulator) TakeReplies() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.replies
	e.replies = nil
	return r
}

// Lines returns everything printed so far, in order (a pending, unfinished
// line is not included).
func (e *Emulator) Lines() []Line {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Line(nil), e.lines...)
}

// Text returns the decoded text lines printed so far.
func (e *Emulator) Text() []string {
	var out []string
	for _, l := range e.Lines() {
		if l.Kind == KindText {
			out = append(out, l.Text)
		}
	}
	return out
}

// Errors returns protocol problems seen: unknown commands, stray control
// bytes, bad definitions. A stream from package escpos produces none.
func (e *Emulator) Errors() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.errs...)
}

func (e *Emulator) errorf(format string, a ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, a...))
}

// printing reports whether the mechanism prints (paper in, cover closed).
func (e *Emulator) printing() bool {
	return e.status == escpos.StatusOK || e.status == escpos.StatusPaperNearEnd
}

func (e *Emulator) exec(t escpos.Token) {
	if t.Kind == escpos.KindText {
		e.text(t.Raw)
		return
	}
	if t.Kind == escpos.KindUnknown {
		e.errorf("unknown bytes % X", t.Raw)
		return
	}
	a := t.Args()
	switch t.Name {
	case "DLE EOT":
		if !e.silent && (a[0] == 1 || a[0] == 2 || a[0] == 4) {
			e.replies = append(e.replies, escpos.StatusReply(e.status, a[0]))
		}
	case "ESC @":
		e.cells = nil // the print buffer is cleared, not printed
		e.reset()
	case "FS .":
		e.kanji = false
	case "ESC t":
		found := false
		for _, cp := range e.p.CodePages {
			if cp.N == a[0] {
				e.table, _ = escpos.CodePageTable(cp.Name)
				found = true
			}
		}
		if !found {
			e.errorf("ESC t %d: not a code page of %s", a[0], e.p.Name)
		}
	case "ESC !":
		e.bold = a[0]&0x08 != 0
		e.h, e.w = 1, 1
		if a[0]&0x10 != 0 {
			e.h = 2
		}
		if a[0]&0x20 != 0 {
			e.w = 2
		}
	case "GS !":
		e.w, e.h = int(a[0]>>4)+1, int(a[0]&7)+1
		if a[0]&0x88 != 0 {
			e.errorf("GS ! %#x: size out of range", a[0])
		}
	case "ESC E":
		e.bold = a[0]&1 != 0
	case "ESC a":
		switch a[0] {
		case 0, 1, 2, '0', '1', '2':
			e.align = escpos.Align(a[0] % 48)
		default:
			e.errorf("ESC a %d", a[0])
		}
	case "ESC 2":
		e.spacing = 30
	case "ESC 3":
		e.spacing = int(a[0])
	case "ESC d":
		e.flushLine(false)
		e.feed(int(a[0]) * e.spacing)
	case "ESC J":
		e.flushLine(true)
		e.feed(int(a[0]))
	case "LF":
		e.flushLine(false)
	case "CR":
	case "ESC %":
		e.udcOn = a[0]&1 != 0
	case "ESC ?":
		delete(e.udc, a[0])
	case "ESC &":
		e.defineUDC(a)
	case "GS v 0":
		e.rasterImage(a)
	case "GS ( k":
		e.qr(a)
	case "GS V":
		e.cut(a)
	case "ESC -", "ESC M", "GS B":
		// underline, font, reverse: accepted, not drawn.
	default:
		e.errorf("unhandled %s", t.Name)
	}
}

func (e *Emulator) defineUDC(a []byte) {
	y, c1, c2 := int(a[0]), int(a[1]), int(a[2])
	if y != 3 || c1 < 0x20 || c2 > 0x7E || c1 > c2 {
		e.errorf("ESC & y=%d c1=%#x c2=%#x: out of range", y, c1, c2)
		return
	}
	i := 3
	for c := c1; c <= c2; c++ {
		x := int(a[i])
		data := a[i+1 : i+1+y*x]
		i += 1 + y*x
		if x > 12 {
			e.errorf("ESC & %#x: %d columns", c, x)
			continue
		}
		g := escpos.FromColumns24(data, x)
		e.udc[byte(c)] = g
	}
}

func (e *Emulator) text(b []byte) {
	for _, c := range b {
		if e.kanjiLead {
			e.kanjiLead = false
			e.addCell(0xFFFD, escpos.Glyph(0xFFFD))
			continue
		}
		if e.kanji && c >= 0x80 {
			e.kanjiLead = true
			continue
		}
		if c < 0x80 {
			if g, ok := e.udc[c]; ok && e.udcOn {
				r, ok := e.refUDC[string(g.Columns24())]
				if !ok || g.W != 12 {
					r = 0xFFFD
				}
				e.addCell(r, g)
				continue
			}
			e.addCell(rune(c), escpos.Glyph(rune(c)))
			continue
		}
		r := e.table[c-0x80]
		e.addCell(r, escpos.Glyph(r))
	}
}

func (e *Emulator) addCell(r rune, g *escpos.Bitmap) {
	width := 0
	for _, c := range e.cells {
		width += c.g.W * c.w
	}
	if width+g.W*e.w > e.p.Dots {
		e.errorf("line overflow: printer wraps automatically")
		e.flushLine(false)
	}
	e.cells = append(e.cells, cell{r: r, g: g, w: e.w, h: e.h, bold: e.bold})
}

// feed advances the paper by n blank rows.
func (e *Emulator) feed(n int) {
	if !e.printing() {
		return
	}
	for range n {
		e.rows = append(e.rows, make([]byte, e.p.Dots))
	}
}

// consume uses up one line of paper; false when there is none.
func (e *Emulator) consume() bool {
	if !e.printing() {
		return false
	}
	if e.paperLeft == 0 {
		e.status = escpos.StatusPaperOut
		return false
	}
	if e.paperLeft > 0 {
		e.paperLeft--
	}
	return true
}

func (e *Emulator) alignOffset(w int) int {
	switch e.align {
	case escpos.Center:
		return max(0, (e.p.Dots-w)/2)
	case escpos.Right:
		return max(0, e.p.Dots-w)
	}
	return 0
}

// flushLine prints the line buffer. An empty buffer feeds one line unless
// onlyIfData.
func (e *Emulator) flushLine(onlyIfData bool) {
	cells := e.cells
	e.cells = nil
	if len(cells) == 0 && onlyIfData {
		return
	}
	if !e.consume() {
		return
	}
	width, height, line := 0, 24, Line{Kind: KindText, Width: 1, Height: 1, Align: e.align}
	var sb strings.Builder
	for _, c := range cells {
		width += c.g.W * c.w
		height = max(height, 24*c.h)
		line.Width, line.Height = max(line.Width, c.w), max(line.Height, c.h)
		line.Bold = line.Bold || c.bold
		sb.WriteRune(c.r)
	}
	line.Text = sb.String()
	band := escpos.NewBitmap(e.p.Dots, height)
	x := e.alignOffset(width)
	for _, c := range cells {
		band.Blit(c.g, x, height-24*c.h, c.w, c.h, c.bold)
		x += c.g.W * c.w
	}
	e.appendBand(band, max(height, e.spacing))
	e.lines = append(e.lines, line)
}

func (e *Emulator) appendBand(b *escpos.Bitmap, advance int) {
	for y := 0; y < advance; y++ {
		row := make([]byte, e.p.Dots)
		if y < b.H {
			copy(row, b.Pix[y*b.W:y*b.W+min(b.W, e.p.Dots)])
		}
		e.rows = append(e.rows, row)
	}
}

func (e *Emulator) rasterImage(a []byte) {
	if len(e.cells) > 0 {
		e.errorf("GS v 0 with characters in the line buffer: ignored")
		return
	}
	bw, h := int(a[1])|int(a[2])<<8, int(a[3])|int(a[4])<<8
	data := a[5:]
	if a[0] != 0 || bw*8 > e.p.Dots || h == 0 {
		e.errorf("GS v 0 m=%d %dx%d: out of range", a[0], bw*8, h)
		return
	}
	if !e.consume() {
		return
	}
	bm := escpos.NewBitmap(e.p.Dots, h)
	off := e.alignOffset(bw * 8)
	for y := range h {
		for x := range bw * 8 {
			if data[y*bw+x/8]&(0x80>>(x%8)) != 0 {
				bm.Set(off+x, y)
			}
		}
	}
	e.appendBand(bm, h)
	e.lines = append(e.lines, Line{Kind: KindImage, Width: bw * 8, Height: h, Align: e.align})
}

func (e *Emulator) qr(a []byte) {
	// a: pL pH cn fn params
	if len(a) < 4 || a[2] != 0x31 {
		e.errorf("GS ( k % X: not a QR function", a)
		return
	}
	fn, p := a[3], a[4:]
	switch fn {
	case 0x41:
	case 0x43:
		if len(p) == 1 && p[0] >= 1 && p[0] <= 16 {
			e.qrModule = int(p[0])
		}
	case 0x45:
		if len(p) == 1 {
			e.qrECC = escpos.ECC(p[0])
		}
	case 0x50:
		if len(p) < 1 || p[0] != 0x30 {
			e.errorf("QR store: bad m")
			return
		}
		e.qrData = string(p[1:])
	case 0x51:
		e.flushLine(true)
		if e.qrData == "" {
			e.errorf("QR print with no data")
			return
		}
		bm, err := escpos.QRBitmap(e.qrData, e.qrECC, e.qrModule, e.p.Dots, e.align)
		if err != nil {
			e.errorf("QR print: %v", err)
			return
		}
		if !e.consume() {
			return
		}
		e.appendBand(bm, bm.H)
		e.lines = append(e.lines, Line{Kind: KindQR, Text: e.qrData, Width: bm.H, Height: bm.H, Align: e.align})
	default:
		e.errorf("GS ( k fn %#x: unsupported", fn)
	}
}

func (e *Emulator) cut(a []byte) {
	e.flushLine(true)
	partial := a[0] == 1 || a[0] == '1' || a[0] == 0x42
	if !e.printing() {
		return
	}
	e.feed(48) // head to cutter
	row := make([]byte, e.p.Dots)
	for x := range row {
		dash := (x/8)%2 == 0
		if partial && x > e.p.Dots/2-16 && x < e.p.Dots/2+16 {
			dash = false // the uncut bridge
		}
		if dash {
			row[x] = 1
		}
	}
	e.rows = append(e.rows, row, row)
	e.feed(24)
	e.lines = append(e.lines, Line{Kind: KindCut, Partial: partial})
}

// Image returns the paper printed so far (white background, black dots).
func (e *Emulator) Image() image.Image {
	e.mu.Lock()
	defer e.mu.Unlock()
	const margin = 8
	h := max(len(e.rows), 1)
	img := image.NewGray(image.Rect(0, 0, e.p.Dots+2*margin, h+2*margin))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for y, row := range e.rows {
		for x, v := range row {
			if v != 0 {
				img.SetGray(x+margin, y+margin, color.Gray{})
			}
		}
	}
	return img
}

// PNG encodes Image as PNG.
func (e *Emulator) PNG() ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, e.Image()); err != nil {
		return nil, fmt.Errorf("emulator: encode png: %w", err)
	}
	return b.Bytes(), nil
}

var _ io.Writer = (*Emulator)(nil)
