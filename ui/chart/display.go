package chart

// Display is a laid-out chart: what to draw, in order, in abstract units
// with the origin at the top left and y growing downwards. [Layout] makes
// it; [Display.WriteSVG] and printer/summary draw it.
type Display struct {
	W, H  float64
	Kind  Kind
	Title string // the chart's title, cleaned
	Desc  string // text alternative
	Ops   []Op
}

// Op is one drawing operation: a [Rect], [Line], [Marker] or [Text].
type Op interface{ op() }

// Color is an sRGB colour.
type Color struct{ R, G, B uint8 }

// Hex is the colour as #rrggbb.
func (c Color) Hex() string {
	const digits = "0123456789abcdef"
	return string([]byte{'#', digits[c.R>>4], digits[c.R&15], digits[c.G>>4], digits[c.G&15], digits[c.B>>4], digits[c.B&15]})
}

// light reports whether dark ink reads better than white on c.
func (c Color) light() bool {
	return 0.299*float64(c.R)+0.587*float64(c.G)+0.114*float64(c.B) > 150
}

// Pattern is a hatching drawn over a rectangle's fill.
type Pattern uint8

// Patterns, in the order series take them after Solid.
const (
	Solid Pattern = iota
	Diagonal
	Horizontal
	BackDiagonal
	Vertical
	Cross
	Dots
	numPatterns
)

// Shape is a line chart's point marker.
type Shape uint8

// Marker shapes, in the order series take them.
const (
	Circle Shape = iota
	Square
	Triangle
	Diamond
	numShapes
)

// Anchor is where a text's x is: at its start, middle or end.
type Anchor uint8

// Anchors.
const (
	Start Anchor = iota
	Middle
	End
)

// Rect is a filled rectangle, optionally hatched with Pattern in Ink
// (lines Spacing apart) and outlined.
type Rect struct {
	X, Y, W, H  float64
	Fill        Color
	Pattern     Pattern
	Ink         Color
	Spacing     float64
	Stroke      Color
	StrokeWidth float64 // 0: no outline
	Class       string
	Tip         string // the value it shows, for a tooltip
}

// Line is a polyline; Dash > 0 draws it dashed (dash and gap of that
// length).
type Line struct {
	Points []Point
	Stroke Color
	Width  float64
	Dash   float64
	Class  string
}

// Point is a position.
type Point struct{ X, Y float64 }

// Marker is a point of a line chart: a shape of Size (the circle's
// diameter) centred on X, Y, outlined in Stroke.
type Marker struct {
	X, Y, Size  float64
	Shape       Shape
	Fill        Color
	Stroke      Color
	StrokeWidth float64
	Class       string
	Tip         string
}

// Text is one line of text; Y is its baseline.
type Text struct {
	X, Y   float64
	S      string
	Size   float64
	Anchor Anchor
	Bold   bool
	Fill   Color
	Class  string
}

// Outline is the polygon of a square, triangle or diamond marker, sized so
// the shapes look equally big; nil for a circle (of diameter Size).
func (m *Marker) Outline() []Point {
	r := m.Size / 2
	switch m.Shape {
	case Square:
		r *= 0.9
		return []Point{{m.X - r, m.Y - r}, {m.X + r, m.Y - r}, {m.X + r, m.Y + r}, {m.X - r, m.Y + r}}
	case Triangle:
		r *= 1.2
		return []Point{{m.X, m.Y - r}, {m.X + r*0.866, m.Y + r*0.5}, {m.X - r*0.866, m.Y + r*0.5}}
	case Diamond:
		r *= 1.2
		return []Point{{m.X, m.Y - r}, {m.X + r, m.Y}, {m.X, m.Y + r}, {m.X - r, m.Y}}
	}
	return nil
}

func (*Rect) op()   {}
func (*Line) op()   {}
func (*Marker) op() {}
func (*Text) op()   {}

// Left is the x where the text starts.
func (t *Text) Left() float64 {
	switch t.Anchor {
	case Middle:
		return t.X - TextWidth(t.S, t.Size, t.Bold)/2
	case End:
		return t.X - TextWidth(t.S, t.Size, t.Bold)
	}
	return t.X
}

// Palette is Okabe and Ito's colour-blind-safe palette (with grey): series
// i is drawn in Palette[i%len(Palette)].
var Palette = []Color{
	{0x00, 0x72, 0xB2}, // blue
	{0xE6, 0x9F, 0x00}, // orange
	{0x00, 0x9E, 0x73}, // bluish green
	{0xCC, 0x79, 0xA7}, // reddish purple
	{0x56, 0xB4, 0xE9}, // sky blue
	{0xD5, 0x5E, 0x00}, // vermillion
	{0xF0, 0xE4, 0x42}, // yellow
	{0x66, 0x66, 0x66}, // grey
	{0x00, 0x00, 0x00}, // black
}

var (
	white    = Color{0xFF, 0xFF, 0xFF}
	ink      = Color{0x11, 0x11, 0x11}
	softInk  = Color{0x44, 0x44, 0x44}
	gridGrey = Color{0xD0, 0xD4, 0xDA}
	axisGrey = Color{0x33, 0x33, 0x33}
)

// seriesStyle is how series i is told apart.
func seriesStyle(i int) (fill Color, p Pattern, ink Color, shape Shape, dashed bool) {
	fill = Palette[i%len(Palette)]
	p = Pattern(i % int(numPatterns))
	ink = white
	if fill.light() {
		ink = Color{0x22, 0x22, 0x22}
	}
	return fill, p, ink, Shape(i % int(numShapes)), i%2 == 1
}
