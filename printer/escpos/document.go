package escpos

import "image"

// Align is a horizontal alignment (the ESC a argument).
type Align byte

// Alignments.
const (
	Left   Align = 0
	Center Align = 1
	Right  Align = 2
)

// Style is how a text block prints. Zero Width/Height mean 1.
type Style struct {
	Width, Height int // character multipliers 1-8
	Bold          bool
	Align         Align
}

func (s Style) norm() Style {
	s.Width = clamp(s.Width, 1, 8)
	s.Height = clamp(s.Height, 1, 8)
	if s.Align > Right {
		s.Align = Left
	}
	return s
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// ECC is a QR error correction level.
type ECC byte

// QR error correction levels (the GS ( k 0x45 argument).
const (
	ECCL ECC = 0x30
	ECCM ECC = 0x31
	ECCQ ECC = 0x32
	ECCH ECC = 0x33
)

// MaxQRData is the longest QR payload the encoder accepts, in bytes.
const MaxQRData = 512

// Block is one element of a Document: Text, Separator, QR, Image, Feed or Cut.
type Block interface{ block() }

// Text is a paragraph, word-wrapped to the paper width. '\n' breaks lines.
type Text struct {
	Text  string
	Style Style
}

// Separator is a full-width rule drawn with Char ('-' if zero).
type Separator struct{ Char rune }

// QR is a QR code (model 2) holding Data (printable text, at most MaxQRData
// bytes). Module 0 takes the profile's size; ECC 0 means M.
type QR struct {
	Data   string
	Module int
	ECC    ECC
	Align  Align
}

// Image is a picture printed as a raster image, dark pixels black.
type Image struct {
	Image image.Image
	Align Align
}

// Feed advances the paper by Lines empty lines.
type Feed struct{ Lines int }

// Cut cuts the paper after feeding it to the cutter.
type Cut struct{ Partial bool }

func (Text) block()      {}
func (Separator) block() {}
func (QR) block()        {}
func (Image) block()     {}
func (Feed) block()      {}
func (Cut) block()       {}

// Document is a receipt as a list of blocks.
type Document struct {
	Blocks []Block
}

// Add appends blocks and returns d, for chaining.
func (d *Document) Add(b ...Block) *Document {
	d.Blocks = append(d.Blocks, b...)
	return d
}

// Line appends a Text block.
func (d *Document) Line(s string, st Style) *Document {
	return d.Add(Text{Text: s, Style: st})
}
