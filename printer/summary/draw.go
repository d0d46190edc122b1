package summary

import (
	"math"

	"cpckiosk/ui/chart"

	"github.com/jung-kurt/gofpdf"
)

// ptPerMM converts millimetres to points, gofpdf's unit of font size.
const ptPerMM = 72 / 25.4

// drawChart draws a laid-out chart at x, y (mm, top left), w mm wide (the
// height follows the display's proportions), with native gofpdf shapes
// and text: what the SVG shows, in the same places.
func drawChart(f *gofpdf.Fpdf, fs *fontSet, d *chart.Display, x, y, w float64) {
	k := w / d.W
	px := func(v float64) float64 { return x + v*k }
	py := func(v float64) float64 { return y + v*k }
	f.SetLineCapStyle("butt")
	f.SetLineJoinStyle("miter")
	for _, op := range d.Ops {
		switch op := op.(type) {
		case *chart.Rect:
			if op.W <= 0 || op.H <= 0 {
				continue
			}
			rx, ry, rw, rh := px(op.X), py(op.Y), op.W*k, op.H*k
			fill(f, op.Fill)
			f.Rect(rx, ry, rw, rh, "F")
			if op.Pattern != chart.Solid && op.Spacing > 0 {
				hatch(f, op, rx, ry, rw, rh, op.Spacing*k)
			}
			if op.StrokeWidth > 0 {
				stroke(f, op.Stroke, op.StrokeWidth*k)
				f.Rect(rx, ry, rw, rh, "D")
			}
		case *chart.Line:
			if len(op.Points) < 2 {
				continue
			}
			stroke(f, op.Stroke, op.Width*k)
			if op.Dash > 0 {
				f.SetDashPattern([]float64{op.Dash * k, op.Dash * k}, 0)
			}
			if len(op.Points) > 2 {
				f.SetLineJoinStyle("round")
			}
			f.MoveTo(px(op.Points[0].X), py(op.Points[0].Y))
			for _, p := range op.Points[1:] {
				f.LineTo(px(p.X), py(p.Y))
			}
			f.DrawPath("D")
			f.SetDashPattern([]float64{}, 0)
			f.SetLineJoinStyle("miter")
		case *chart.Marker:
			fill(f, op.Fill)
			style := "F"
			if op.StrokeWidth > 0 {
				stroke(f, op.Stroke, op.StrokeWidth*k)
				style = "FD"
			}
			if pts := op.Outline(); pts != nil {
				poly := make([]gofpdf.PointType, len(pts))
				for i, p := range pts {
					poly[i] = gofpdf.PointType{X: px(p.X), Y: py(p.Y)}
				}
				f.Polygon(poly, style)
			} else {
				f.Circle(px(op.X), py(op.Y), op.Size/2*k, style)
			}
		case *chart.Text:
			s := fs.clean(op.S)
			if s == "" {
				continue
			}
			style := ""
			if op.Bold {
				style = "B"
			}
			f.SetFont("sans", style, op.Size*k*ptPerMM)
			f.SetTextColor(int(op.Fill.R), int(op.Fill.G), int(op.Fill.B))
			tx := px(op.X)
			switch op.Anchor {
			case chart.Middle:
				tx -= f.GetStringWidth(s) / 2
			case chart.End:
				tx -= f.GetStringWidth(s)
			}
			f.Text(tx, py(op.Y), s)
		}
	}
	f.SetLineCapStyle("butt")
	f.SetTextColor(0, 0, 0)
}

func fill(f *gofpdf.Fpdf, c chart.Color) { f.SetFillColor(int(c.R), int(c.G), int(c.B)) }

func stroke(f *gofpdf.Fpdf, c chart.Color, w float64) {
	f.SetDrawColor(int(c.R), int(c.G), int(c.B))
	f.SetLineWidth(w)
}

// hatch draws a rectangle's pattern in its ink, clipped to it: lines sp
// apart (a quarter of sp wide), or dots.
func hatch(f *gofpdf.Fpdf, r *chart.Rect, x, y, w, h, sp float64) {
	f.ClipRect(x, y, w, h, false)
	defer f.ClipEnd()
	lw := sp * 0.25
	stroke(f, r.Ink, lw)
	fill(f, r.Ink)
	switch r.Pattern {
	case chart.Horizontal, chart.Cross:
		for yy := y + lw/2; yy < y+h; yy += sp {
			f.Line(x, yy, x+w, yy)
		}
		if r.Pattern == chart.Horizontal {
			return
		}
		fallthrough
	case chart.Vertical:
		for xx := x + lw/2; xx < x+w; xx += sp {
			f.Line(xx, y, xx, y+h)
		}
	case chart.Diagonal, chart.BackDiagonal:
		// Lines at 45°, sp apart across them: sp·√2 apart along x.
		step := sp * math.Sqrt2
		for off := -h; off < w+step; off += step {
			if r.Pattern == chart.Diagonal { // "/"
				f.Line(x+off, y+h, x+off+h, y)
			} else { // "\"
				f.Line(x+off, y, x+off+h, y+h)
			}
		}
	case chart.Dots:
		for yy := y + sp/2; yy < y+h+sp; yy += sp {
			for xx := x + sp/2; xx < x+w+sp; xx += sp {
				f.Circle(xx, yy, sp*0.2, "F")
			}
		}
	}
}
