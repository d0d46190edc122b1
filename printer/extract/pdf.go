package extract

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/text/unicode/norm"
)

// Options are the printing choices that are not part of the signed content.
type Options struct {
	// StampRing is the text set around the stamp; "" means the centre's name
	// in capitals followed by " • ".
	StampRing string
	// StampWord is the word above the date in the middle of the stamp; ""
	// means the localised word for "extract".
	StampWord string
}

// Attachment names inside the PDF. VerifyPDF finds them by content, not by
// name, but people looking at the file see these.
const (
	AttachmentContent = "extract.json"
	AttachmentPayload = "payload.txt"
)

// page geometry, mm
const (
	pageW, pageH = 210.0, 297.0
	margin       = 18.0
	bottomLimit  = pageH - 22 // content stops here; the footer sits below
	lineH        = 4.6
	labelW       = 62.0
	trustH       = 50.0 // height of the stamp / code / QR block
	qrSize       = 48.0
	stampR       = 21.0
)

var (
	trainingRed = [3]int{190, 0, 30}
	ink         = [3]int{0, 0, 0}
	grey        = [3]int{90, 90, 90}
	fillGrey    = [3]int{236, 236, 236}
	stampInk    = [3]int{38, 56, 150}
)

// Render signs e with s and lays it out as an A4 PDF in e.Lang. The output
// is deterministic: the same extract, key and options give the same bytes
// (ed25519 signatures are deterministic, dates come from e.IssuedAt).
func Render(e *Extract, s Signer, opt Options) ([]byte, *Signed, error) {
	signed, err := Sign(e, s)
	if err != nil {
		return nil, nil, fmt.Errorf("extract: render: %w", err)
	}
	pdf, err := RenderSigned(e, signed, opt)
	if err != nil {
		return nil, nil, err
	}
	return pdf, signed, nil
}

// RenderSigned lays out an extract that Sign has already signed.
func RenderSigned(e *Extract, signed *Signed, opt Options) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("extract: render: %w", err)
	}
	canon, err := Canonical(e)
	if err != nil {
		return nil, fmt.Errorf("extract: render: %w", err)
	}
	if !bytes.Equal(canon, signed.Canonical) {
		return nil, fmt.Errorf("extract: render: %w: the signature is for other content", ErrContent)
	}
	r := &renderer{e: e, s: signed, l: lang[e.Lang], opt: opt, qrc: make(chan qrResult, 1)}
	// The QR code does not depend on the layout: encode it while gofpdf
	// parses the fonts.
	go func() {
		q, err := encodeQR(signed.Payload)
		r.qrc <- qrResult{q, err}
	}()
	out, err := r.render()
	if err != nil {
		return nil, fmt.Errorf("extract: render %s: %w", e.Number, err)
	}
	return out, nil
}

type renderer struct {
	e   *Extract
	s   *Signed
	l   *texts
	opt Options
	f   *gofpdf.Fpdf
	qrc chan qrResult
}

type qrResult struct {
	q   *qrCode
	err error
}

func (r *renderer) color(c [3]int) {
	r.f.SetTextColor(c[0], c[1], c[2])
	r.f.SetDrawColor(c[0], c[1], c[2])
}

func (r *renderer) render() ([]byte, error) {
	e, l := r.e, r.l
	f := gofpdf.New("P", "mm", "A4", "")
	r.f = f
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetCreationDate(e.IssuedAt.UTC())
	f.SetModificationDate(e.IssuedAt.UTC())
	f.SetTitle(l.Title+" "+e.Number, true)
	f.SetSubject(l.Title+" "+l.Subtitle+" "+e.Number, true)
	f.SetAuthor(e.Centre, true)
	f.SetCreator("CPC Kiosk", false)
	f.SetProducer("CPC Kiosk", false)
	f.SetKeywords(r.s.Payload, false)
	f.SetAttachments([]gofpdf.Attachment{
		{Content: r.s.Canonical, Filename: AttachmentContent, Description: "canonical content (JSON) covered by the signature"},
		{Content: []byte(r.s.Payload), Filename: AttachmentPayload, Description: "signed payload, as in the QR code"},
	})
	f.AddUTF8FontFromBytes("sans", "", subsetSans)
	f.AddUTF8FontFromBytes("sans", "B", subsetSansBold)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, 0)
	f.AliasNbPages("{nb}")
	f.SetCellMargin(1.2)
	f.SetLineWidth(0.2)
	f.SetHeaderFunc(r.header)
	f.SetFooterFunc(r.footer)
	f.AddPage()

	r.title()
	rows := [][2]string{
		{l.Number, e.Number},
		{l.DocumentID, e.DocumentID},
		{l.IssuedAt, dateTime(e.IssuedAt)},
		{l.CreatedAt, r.createdAt()},
		{l.Category, l.Categories[e.Category]},
	}
	if st := e.status(); st != "" {
		rows = append(rows, [2]string{l.Status, l.Statuses[st]})
	}
	if e.Decision != "" {
		rows = append(rows, [2]string{l.Decision, l.Decisions[e.Decision]})
	}
	if e.CaseNumber != "" {
		rows = append(rows, [2]string{l.CaseNumber, e.CaseNumber})
	}
	r.table(rows)

	r.heading(l.Reporter)
	switch {
	case e.Anonymous:
		r.paragraph(l.Anonymous)
	case e.Reporter == nil:
		r.paragraph(l.Withheld)
	default:
		p := e.Reporter
		r.table([][2]string{{l.FullName, orDash(p.FullName)}, {l.Phone, orDash(p.Phone)},
			{l.IDNumber, orDash(p.IDNumber)}, {l.Address, orDash(p.Address)}})
	}

	r.heading(l.Incident)
	when := l.NotStated
	if t := e.Incident.OccurredAt; t != nil {
		when = dateTime(*t)
	}
	place := e.Incident.Place
	if strings.TrimSpace(place) == "" {
		place = l.NotStated
	}
	desc := e.Incident.Description
	if strings.TrimSpace(desc) == "" {
		desc = l.NotStated
	}
	r.table([][2]string{{l.OccurredAt, when}, {l.Place, place}, {l.Description, desc}})

	if len(e.History) > 0 {
		r.heading(l.History)
		r.history()
	}
	r.trust()

	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// clean makes user text printable with the embedded fonts, the way the
// receipt printer's escpos.Sanitize does: the text is put in NFC (so и +
// U+0304 becomes ӣ); '\n', U+2028 and U+2029 break the line; '\t', '\r'
// and other spaces become ' '; control and format characters (bidi
// overrides and isolates, zero-width joiners, BOM) are dropped; any other
// rune the fonts lack (emoji, CJK, Arabic, a lone combining mark) becomes
// U+FFFD, which the fonts draw. The signed content keeps the text as given.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\u2028' || r == '\u2029':
			return '\n'
		case r == '\t' || r == '\r' || unicode.Is(unicode.Zs, r):
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		case !printable(r):
			return '\uFFFD'
		}
		return r
	}, norm.NFC.String(s))
}

func (r *renderer) createdAt() string {
	s := dateTime(r.e.CreatedAt)
	if !r.e.ClockSynced {
		s += " (" + r.l.ClockUnsync + ")"
	}
	return s
}

func (r *renderer) header() {
	f := r.f
	if r.e.Training() {
		r.trainingMark()
	}
	if f.PageNo() == 1 {
		return
	}
	r.color(grey)
	f.SetFont("sans", "", 8)
	f.SetXY(margin, 8)
	f.CellFormat(pageW-2*margin, 4, clean(r.l.Title+" "+r.l.Subtitle+" · "+r.e.Number), "", 0, "L", false, 0, "")
	f.Line(margin, 13, pageW-margin, 13)
	f.SetY(margin)
	r.color(ink)
}

func (r *renderer) footer() {
	f := r.f
	r.color(grey)
	f.SetLineWidth(0.2)
	f.Line(margin, pageH-17, pageW-margin, pageH-17)
	f.SetFont("sans", "", 8)
	f.SetXY(margin, pageH-16)
	f.CellFormat(110, 4, r.e.Number+" · "+r.l.Code+": "+r.s.Code, "", 0, "L", false, 0, "")
	f.SetXY(pageW-margin-60, pageH-16)
	f.CellFormat(60, 4, fmt.Sprintf(r.l.Page, f.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
	r.color(ink)
}

// need starts a new page unless h mm fit above the footer.
func (r *renderer) need(h float64) {
	if r.f.GetY()+h > bottomLimit {
		r.f.AddPage()
	}
}

func (r *renderer) title() {
	f, e, l := r.f, r.e, r.l
	w := pageW - 2*margin
	r.color(ink)
	f.SetFont("sans", "B", 11)
	f.SetXY(margin, margin)
	for _, s := range f.SplitText(clean(e.Ministry), w) {
		f.CellFormat(w, 5.5, s, "", 2, "C", false, 0, "")
	}
	f.SetFont("sans", "", 10)
	for _, s := range f.SplitText(clean(e.Centre), w) {
		f.CellFormat(w, 5, s, "", 2, "C", false, 0, "")
	}
	y := f.GetY() + 2
	f.SetLineWidth(0.5)
	f.Line(margin, y, pageW-margin, y)
	f.SetLineWidth(0.2)
	f.SetXY(margin, y+3)
	f.SetFont("sans", "B", 17)
	f.CellFormat(w, 8, l.Title, "", 2, "C", false, 0, "")
	f.SetFont("sans", "", 11)
	f.CellFormat(w, 6, l.Subtitle+" № "+e.Number, "", 2, "C", false, 0, "")
	if e.Training() {
		f.SetFont("sans", "B", 14)
		f.SetTextColor(trainingRed[0], trainingRed[1], trainingRed[2])
		f.CellFormat(w, 8, TrainingMark, "", 2, "C", false, 0, "")
		r.color(ink)
	}
	f.Ln(3)
}

func (r *renderer) heading(s string) {
	f := r.f
	r.need(lineH*3 + 4)
	f.Ln(2)
	f.SetFont("sans", "B", 10.5)
	f.SetX(margin)
	f.CellFormat(pageW-2*margin, 6, s, "", 2, "L", false, 0, "")
	f.Ln(0.3)
}

func (r *renderer) paragraph(s string) {
	f := r.f
	f.SetFont("sans", "", 9.5)
	w := pageW - 2*margin
	for _, line := range f.SplitText(clean(s), w) {
		r.need(lineH)
		f.SetX(margin)
		f.CellFormat(w, lineH, line, "", 2, "L", false, 0, "")
	}
}

// table draws label/value rows; a value too long for the rest of the page
// continues on the next one.
func (r *renderer) table(rows [][2]string) {
	r.grid([]float64{labelW, pageW - 2*margin - labelW}, rows, -1)
}

func (r *renderer) history() {
	l := r.l
	w := pageW - 2*margin
	cols := []float64{34, 68, w - 34 - 68}
	cells := [][]string{{l.When, l.StatusCol, l.Note}}
	for _, h := range r.e.History {
		cells = append(cells, []string{dateTime(h.At), l.Statuses[h.Status], h.Note})
	}
	r.gridN(cols, cells, 0)
}

func (r *renderer) grid(cols []float64, rows [][2]string, headerRow int) {
	cells := make([][]string, len(rows))
	for i, row := range rows {
		cells[i] = []string{row[0], row[1]}
	}
	r.gridN(cols, cells, headerRow)
}

// gridN draws a bordered table. Column 0 of every row is shaded when the
// table is a label/value table (headerRow < 0); otherwise row headerRow is
// bold and shaded.
func (r *renderer) gridN(cols []float64, cells [][]string, headerRow int) {
	f := r.f
	const pad = 0.7
	for i, row := range cells {
		bold := i == headerRow
		lines := make([][]string, len(row))
		n := 1
		for c, text := range row {
			f.SetFont("sans", map[bool]string{true: "B", false: ""}[bold], 9)
			lines[c] = f.SplitText(clean(text), cols[c])
			if len(lines[c]) == 0 {
				lines[c] = []string{""}
			}
			n = max(n, len(lines[c]))
		}
		for start := 0; start < n; {
			r.need(lineH + 2*pad)
			fit := int((bottomLimit - f.GetY() - 2*pad) / lineH)
			end := min(n, start+fit)
			h := float64(end-start)*lineH + 2*pad
			x, y := margin, f.GetY()
			for c := range row {
				shade := bold || (headerRow < 0 && c == 0)
				if shade {
					f.SetFillColor(fillGrey[0], fillGrey[1], fillGrey[2])
					f.Rect(x, y, cols[c], h, "FD")
				} else {
					f.Rect(x, y, cols[c], h, "D")
				}
				f.SetFont("sans", map[bool]string{true: "B", false: ""}[bold], 9)
				for k := start; k < end && k < len(lines[c]); k++ {
					f.SetXY(x, y+pad+float64(k-start)*lineH)
					f.CellFormat(cols[c], lineH, lines[c][k], "", 0, "L", false, 0, "")
				}
				x += cols[c]
			}
			f.SetXY(margin, y+h)
			start = end
		}
	}
}

// trust draws the stamp, the verification code and the QR code.
func (r *renderer) trust() {
	f, l := r.f, r.l
	r.need(trustH + 4)
	f.Ln(4)
	y0 := f.GetY()
	r.stamp(margin+stampR+1, y0+trustH/2)

	qx := pageW - margin - qrSize
	r.qr(qx, y0+(trustH-qrSize)/2, qrSize)

	mx := margin + 2*stampR + 8
	mw := qx - 4 - mx
	r.color(ink)
	f.SetXY(mx, y0+4)
	f.SetFont("sans", "B", 9)
	f.CellFormat(mw, 5, l.Code, "", 2, "L", false, 0, "")
	f.SetX(mx)
	f.SetFont("sans", "B", 15)
	f.CellFormat(mw, 8, r.s.Code, "", 2, "L", false, 0, "")
	f.SetX(mx)
	f.SetFont("sans", "", 7.5)
	f.CellFormat(mw, 4, l.Device+": "+r.s.DeviceID, "", 2, "L", false, 0, "")
	f.Ln(1.5)
	f.SetFont("sans", "", 8)
	for _, line := range f.SplitText(l.VerifyNote, mw) {
		f.SetX(mx)
		f.CellFormat(mw, 3.8, line, "", 2, "L", false, 0, "")
	}
	f.SetXY(margin, y0+trustH)
}

// qr draws the payload as a QR code (error correction Q, 4-module quiet
// zone) of vector squares: one rectangle per run of dark modules in a row.
func (r *renderer) qr(x, y, size float64) {
	f := r.f
	res := <-r.qrc
	q, err := res.q, res.err
	if err != nil {
		f.SetError(fmt.Errorf("qr code: %w", err))
		return
	}
	const quiet = 4
	m := size / float64(q.size+2*quiet)
	x, y = x+quiet*m, y+quiet*m
	f.SetFillColor(0, 0, 0)
	for row := range q.size {
		for col := 0; col < q.size; {
			if !q.at(col, row) {
				col++
				continue
			}
			end := col
			for end < q.size && q.at(end, row) {
				end++
			}
			// A hair of overlap closes the seams some viewers draw between rows.
			f.Rect(x+float64(col)*m, y+float64(row)*m, float64(end-col)*m, m+0.02, "F")
			col = end
		}
	}
}

// stamp draws the round stamp: two concentric circles, the ring text set
// letter by letter along the circle, the stamp word and the issue date in
// the middle.
func (r *renderer) stamp(cx, cy float64) {
	f, e, l := r.f, r.e, r.l
	const (
		outer = stampR
		inner = stampR - 7.5
		textR = inner + 1.6 // baseline of the ring text
	)
	r.color(stampInk)
	f.SetLineWidth(0.9)
	f.Circle(cx, cy, outer, "D")
	f.SetLineWidth(0.35)
	f.Circle(cx, cy, outer-1.3, "D")
	f.Circle(cx, cy, inner, "D")

	ring := r.opt.StampRing
	if ring == "" {
		ring = strings.ToUpper(strings.TrimSpace(e.Centre)) + " • "
	}
	ring = strings.ReplaceAll(clean(ring), "\n", " ")
	runes := []rune(ring)
	// Choose the largest size (at most 8 pt) at which the text fills no more
	// than the circle; the slack is spread between the letters.
	circ := 2 * math.Pi * textR
	size := 8.0
	f.SetFont("sans", "B", size)
	for size > 3.5 && f.GetStringWidth(ring) > circ*0.97 {
		size -= 0.25
		f.SetFont("sans", "B", size)
	}
	if f.GetStringWidth(ring) > circ {
		// Still too long: cut it, so letters never overlap.
		for len(runes) > 1 && f.GetStringWidth(string(runes)+"…") > circ {
			runes = runes[:len(runes)-1]
		}
		runes = append(runes, '…')
	}
	widths := make([]float64, len(runes))
	total := 0.0
	for i, ch := range runes {
		widths[i] = f.GetStringWidth(string(ch))
		total += widths[i]
	}
	gap := (circ - total) / float64(len(runes))
	// Angles in degrees, counter-clockwise from 3 o'clock; the text starts at
	// the top and runs clockwise.
	pos := 0.0
	for i, ch := range runes {
		mid := pos + widths[i]/2
		theta := 90 + 0.5*(gap+widths[0])/textR*180/math.Pi - mid/textR*180/math.Pi
		rad := theta * math.Pi / 180
		px, py := cx+textR*math.Cos(rad), cy-textR*math.Sin(rad)
		f.TransformBegin()
		f.TransformRotate(theta-90, px, py)
		f.Text(px-widths[i]/2, py, string(ch))
		f.TransformEnd()
		pos += widths[i] + gap
	}

	word := clean(r.opt.StampWord)
	if strings.TrimSpace(word) == "" {
		word = l.Stamp
	}
	fit := func(s, style string, max float64) {
		size := max
		f.SetFont("sans", style, size)
		for size > 4 && f.GetStringWidth(s) > 2*inner-5 {
			size -= 0.25
			f.SetFont("sans", style, size)
		}
	}
	fit(word, "B", 9)
	w := f.GetStringWidth(word)
	f.Text(cx-w/2, cy-2.2, word)
	date := l.longDate(e.IssuedAt)
	fit(date, "", 8)
	w = f.GetStringWidth(date)
	f.Text(cx-w/2, cy+2.3, date)
	fit(e.Number, "", 6.5)
	w = f.GetStringWidth(e.Number)
	f.Text(cx-w/2, cy+6.3, e.Number)
	f.SetLineWidth(0.2)
	r.color(ink)
}

// trainingMark draws TrainingMark across the page, light, behind the text
// that follows, so no part of a training extract can pass for a real one.
func (r *renderer) trainingMark() {
	f := r.f
	x, y := f.GetXY()
	f.SetFont("sans", "B", 54)
	f.SetTextColor(245, 190, 195)
	w := f.GetStringWidth(TrainingMark)
	f.TransformBegin()
	f.TransformRotate(55, pageW/2, pageH/2)
	f.Text(pageW/2-w/2, pageH/2+8, TrainingMark)
	f.TransformEnd()
	r.color(ink)
	f.SetXY(x, y)
}
