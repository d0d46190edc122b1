package chart

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SVGOptions are choices of the SVG writer that do not change the layout.
type SVGOptions struct {
	// ID prefixes the ids of the chart's title, description and patterns,
	// which must be unique in a page; "" derives one from the content.
	ID string
	// FontFamily is the font-family attribute; "" is
	// "'Kiosk Sans', 'DejaVu Sans', sans-serif" (the kiosk pages' font, and
	// the same font for an SVG shown on its own).
	FontFamily string
}

const defaultFontFamily = "'Kiosk Sans', 'DejaVu Sans', sans-serif"

// SVG lays c out in f and returns it as SVG.
func SVG(c Chart, f Frame, o SVGOptions) []byte {
	var b bytes.Buffer
	Layout(c, f).WriteSVG(&b, o) // a bytes.Buffer does not fail
	return b.Bytes()
}

type svgWriter struct {
	w        *bufio.Writer
	num      []byte
	patterns map[patternKey]string
}

type patternKey struct {
	fill, ink Color
	p         Pattern
	spacing   float64
}

// WriteSVG writes d as a standalone SVG element (no XML declaration, so
// it can also go inside HTML as it is).
func (d *Display) WriteSVG(w io.Writer, o SVGOptions) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 16<<10)
	}
	s := &svgWriter{w: bw, num: make([]byte, 0, 24), patterns: map[patternKey]string{}}
	id := o.ID
	if id == "" {
		id = d.defaultID()
	}
	id = idSafe(id)
	family := o.FontFamily
	if family == "" {
		family = defaultFontFamily
	}
	s.str(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	s.f(d.W)
	s.str(" ")
	s.f(d.H)
	s.str(`" role="img" aria-labelledby="` + id + `-title ` + id + `-desc" id="` + id + `" class="chart chart-` + d.Kind.String() + `" font-family="`)
	s.esc(family)
	s.str("\">\n<title id=\"" + id + "-title\">")
	s.esc(d.Title)
	s.str("</title>\n<desc id=\"" + id + "-desc\">")
	s.esc(d.Desc)
	s.str("</desc>\n")
	s.defs(d, id)
	for _, op := range d.Ops {
		switch op := op.(type) {
		case *Rect:
			s.rect(op)
		case *Line:
			s.line(op)
		case *Marker:
			s.marker(op)
		case *Text:
			s.text(op)
		}
	}
	s.str("</svg>\n")
	return bw.Flush()
}

// defaultID is "chart-" and a hash of the title and kind.
func (d *Display) defaultID() string {
	h := fnv.New32a()
	io.WriteString(h, d.Kind.String()+"\x00"+d.Title)
	return fmt.Sprintf("chart-%08x", h.Sum32())
}

// idSafe keeps letters, digits, '-' and '_' of an id (and starts it with
// a letter), so it needs no escaping and works in url(#…).
func idSafe(id string) string {
	b := []byte{}
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b = append(b, byte(r))
		}
	}
	if len(b) == 0 || !(b[0] >= 'a' && b[0] <= 'z' || b[0] >= 'A' && b[0] <= 'Z') {
		b = append([]byte("c"), b...)
	}
	return string(b)
}

// defs writes one <pattern> per hatched fill.
func (s *svgWriter) defs(d *Display, id string) {
	first := true
	for _, op := range d.Ops {
		r, ok := op.(*Rect)
		if !ok || r.Pattern == Solid || r.Pattern >= numPatterns || !(r.Spacing > 0) {
			continue
		}
		k := patternKey{r.Fill, r.Ink, r.Pattern, r.Spacing}
		if _, ok := s.patterns[k]; ok {
			continue
		}
		if first {
			s.str("<defs>")
			first = false
		}
		pid := id + "-p" + strconv.Itoa(len(s.patterns))
		s.patterns[k] = pid
		sp := r.Spacing
		lw := sp * 0.25
		s.str(`<pattern id="` + pid + `" patternUnits="userSpaceOnUse" width="`)
		s.f(sp)
		s.str(`" height="`)
		s.f(sp)
		switch r.Pattern {
		case Diagonal:
			s.str(`" patternTransform="rotate(45)`)
		case BackDiagonal:
			s.str(`" patternTransform="rotate(-45)`)
		}
		s.str(`"><rect width="`)
		s.f(sp)
		s.str(`" height="`)
		s.f(sp)
		s.str(`" fill="` + r.Fill.Hex() + `"/>`)
		ink := r.Ink.Hex()
		switch r.Pattern {
		case Diagonal, BackDiagonal, Vertical:
			s.str(`<rect x="0" y="0" width="`)
			s.f(lw)
			s.str(`" height="`)
			s.f(sp)
			s.str(`" fill="` + ink + `"/>`)
		case Horizontal:
			s.str(`<rect x="0" y="0" width="`)
			s.f(sp)
			s.str(`" height="`)
			s.f(lw)
			s.str(`" fill="` + ink + `"/>`)
		case Cross:
			s.str(`<rect x="0" y="0" width="`)
			s.f(lw)
			s.str(`" height="`)
			s.f(sp)
			s.str(`" fill="` + ink + `"/><rect x="0" y="0" width="`)
			s.f(sp)
			s.str(`" height="`)
			s.f(lw)
			s.str(`" fill="` + ink + `"/>`)
		case Dots:
			s.str(`<circle cx="`)
			s.f(sp / 2)
			s.str(`" cy="`)
			s.f(sp / 2)
			s.str(`" r="`)
			s.f(sp * 0.2)
			s.str(`" fill="` + ink + `"/>`)
		}
		s.str("</pattern>")
	}
	if !first {
		s.str("</defs>\n")
	}
}

func (s *svgWriter) str(x string) { s.w.WriteString(x) }

// f writes a coordinate with at most two decimals.
func (s *svgWriter) f(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	s.num = strconv.AppendFloat(s.num[:0], v, 'f', -1, 64)
	s.w.Write(s.num)
}

// esc writes text escaped for XML content and attribute values. It also
// replaces invalid UTF-8 with U+FFFD and drops the characters XML 1.0
// forbids, so any string gives well-formed output.
func (s *svgWriter) esc(x string) {
	last := 0
	for i := 0; i < len(x); {
		c := x[i]
		var rep string
		size := 1
		switch {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '"':
			rep = "&quot;"
		case c == '\'':
			rep = "&#39;"
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			rep = ""
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(x[i:])
			size = n
			switch {
			case r == utf8.RuneError && n == 1:
				rep = "\uFFFD"
			case r == 0xFFFE || r == 0xFFFF:
				rep = ""
			default:
				i += n
				continue
			}
		default:
			i++
			continue
		}
		s.w.WriteString(x[last:i])
		s.w.WriteString(rep)
		i += size
		last = i
	}
	s.w.WriteString(x[last:])
}

func (s *svgWriter) class(c string) {
	if c != "" {
		s.str(` class="`)
		s.esc(c)
		s.str(`"`)
	}
}

func (s *svgWriter) closeTip(tip, tag string) {
	if tip == "" {
		s.str("/>\n")
		return
	}
	s.str("><title>")
	s.esc(tip)
	s.str("</title></" + tag + ">\n")
}

func (s *svgWriter) rect(r *Rect) {
	s.str(`<rect`)
	s.class(r.Class)
	if r.X != 0 {
		s.str(` x="`)
		s.f(r.X)
		s.str(`"`)
	}
	if r.Y != 0 {
		s.str(` y="`)
		s.f(r.Y)
		s.str(`"`)
	}
	s.str(` width="`)
	s.f(math.Max(r.W, 0))
	s.str(`" height="`)
	s.f(math.Max(r.H, 0))
	s.str(`" fill="`)
	if pid, ok := s.patterns[patternKey{r.Fill, r.Ink, r.Pattern, r.Spacing}]; ok && r.Pattern != Solid {
		s.str("url(#" + pid + ")")
	} else {
		s.str(r.Fill.Hex())
	}
	s.str(`"`)
	if r.StrokeWidth > 0 {
		s.str(` stroke="` + r.Stroke.Hex() + `" stroke-width="`)
		s.f(r.StrokeWidth)
		s.str(`"`)
	}
	s.closeTip(r.Tip, "rect")
}

func (s *svgWriter) line(l *Line) {
	if len(l.Points) < 2 {
		return
	}
	if len(l.Points) == 2 {
		s.str(`<line`)
		s.class(l.Class)
		s.str(` x1="`)
		s.f(l.Points[0].X)
		s.str(`" y1="`)
		s.f(l.Points[0].Y)
		s.str(`" x2="`)
		s.f(l.Points[1].X)
		s.str(`" y2="`)
		s.f(l.Points[1].Y)
	} else {
		s.str(`<polyline`)
		s.class(l.Class)
		s.str(` fill="none" points="`)
		for i, p := range l.Points {
			if i > 0 {
				s.str(" ")
			}
			s.f(p.X)
			s.str(",")
			s.f(p.Y)
		}
	}
	s.str(`" stroke="` + l.Stroke.Hex() + `" stroke-width="`)
	s.f(l.Width)
	s.str(`"`)
	if l.Dash > 0 {
		s.str(` stroke-dasharray="`)
		s.f(l.Dash)
		s.str(`"`)
	}
	if len(l.Points) > 2 {
		s.str(` stroke-linejoin="round"`)
	}
	s.str("/>\n")
}

func (s *svgWriter) marker(m *Marker) {
	tag := "polygon"
	if pts := m.Outline(); pts == nil {
		tag = "circle"
		s.str(`<circle`)
		s.class(m.Class)
		s.str(` cx="`)
		s.f(m.X)
		s.str(`" cy="`)
		s.f(m.Y)
		s.str(`" r="`)
		s.f(m.Size / 2)
		s.str(`"`)
	} else {
		s.str(`<polygon`)
		s.class(m.Class)
		s.str(` points="`)
		for i, p := range pts {
			if i > 0 {
				s.str(" ")
			}
			s.f(p.X)
			s.str(",")
			s.f(p.Y)
		}
		s.str(`"`)
	}
	s.str(` fill="` + m.Fill.Hex() + `"`)
	if m.StrokeWidth > 0 {
		s.str(` stroke="` + m.Stroke.Hex() + `" stroke-width="`)
		s.f(m.StrokeWidth)
		s.str(`"`)
	}
	s.closeTip(m.Tip, tag)
}

func (s *svgWriter) text(t *Text) {
	if strings.TrimSpace(t.S) == "" {
		return
	}
	s.str(`<text`)
	s.class(t.Class)
	s.str(` x="`)
	s.f(t.X)
	s.str(`" y="`)
	s.f(t.Y)
	s.str(`" font-size="`)
	s.f(t.Size)
	s.str(`"`)
	switch t.Anchor {
	case Middle:
		s.str(` text-anchor="middle"`)
	case End:
		s.str(` text-anchor="end"`)
	}
	if t.Bold {
		s.str(` font-weight="bold"`)
	}
	s.str(` fill="` + t.Fill.Hex() + `">`)
	s.esc(t.S)
	s.str("</text>\n")
}
