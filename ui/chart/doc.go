// Package chart draws the CPPT's charts on the server: bars by category and
// period, opened versus resolved, and the distribution of days to
// resolution. It needs no chart library and imports nothing of the project,
// so the touch pages (package ui) and the printed meeting summary
// (printer/summary) draw the very same picture.
//
// # Layout once, draw twice
//
// [Layout] turns a [Chart] and a [Frame] (width, height and base text size
// in abstract units) into a [Display]: a short list of rectangles, lines,
// markers and texts with their coordinates, sizes and colours. Every
// decision is taken there: the nice round axis ticks (1, 2 or 5 times a
// power of ten, whole numbers for counts, fewer when the plot is short),
// the legend above the plot or, when that leaves the bars more room
// without cutting more names, in a column beside it (stacked series listed
// top down as they pile up), which values fit on their bars, where labels
// wrap or are cut with "..." (and shown only every few slots when there
// are many), which texts would collide and are dropped. No two texts of a
// display overlap (TestTextsDoNotCollide, and TestBrowser in Chromium).
// [Display.WriteSVG] writes it as SVG; printer/summary draws it with
// native gofpdf rectangles, lines and text. Text widths come from the
// advance widths of DejaVu Sans (metrics.go, generated from printer/font
// by TestMetrics), the font of the kiosk's pages and of its PDFs.
//
// [Screen] is the frame for the touch screens in landscape; about one unit
// per pixel at 1024x600, so the values on the bars are 14 px. [Narrow] is
// for portrait: the same text size on a narrower, taller chart. A page can
// put both in and show one with a media query on orientation.
//
// Cut texts end in three full stops and day ranges use a hyphen ("8-14"):
// the kiosk pages' font (ui/static/font.ttf) maps U+2026 and U+2013 to
// empty glyphs, which Chromium draws as nothing instead of falling back.
//
// # Readable without colour
//
// The palette is Okabe and Ito's, safe for the common colour-vision
// deficiencies. Colour is never the only cue: each series of bars also has
// its own hatching (solid, diagonal, horizontal, …), each line its own
// marker shape and dash, the legend shows both, and the values are written
// on or next to the bars and points. Values that do not fit are left out of
// the picture but are in the bar's tooltip (an SVG <title>), in the chart's
// <desc> and in the CSV.
//
// # SVG
//
// The SVG has a viewBox and no fixed size, so it scales to its container;
// role="img", a <title> and a <desc> (a text version of the data) for
// screen readers. It uses presentation attributes (fill=, stroke=,
// font-size=, …) and never a style attribute or element, so it renders
// under the kiosk's Content-Security-Policy (default-src 'self'), which
// blocks inline styles; TestBrowser checks this in Chromium. All text is
// escaped; invalid UTF-8 becomes U+FFFD and control characters are
// dropped ([Clean]), so the output is well-formed XML for any input and
// safe to put inside an HTML page as it is. A stylesheet may restyle the
// classes it sets (chart, chart-<kind>, bg, bar, line, point, value, chip,
// label, legend, grid, axis, title, note, nodata): CSS rules win over
// presentation attributes.
//
// # CSV
//
// [WriteCSV] writes the same data as RFC 4180 CSV (CRLF line ends, fields
// with a comma, quote or line break quoted, quotes doubled). By default the
// file starts with a UTF-8 byte order mark: without it Excel on Windows
// reads UTF-8 as the ANSI code page and garbles Tajik and Russian, and
// LibreOffice and Python's "utf-8-sig" accept it. [CSVOptions] can leave
// it out, and can use ';' as the separator, which Excel expects under a
// Russian locale. Text cells that start with = + - @ are prefixed with '
// so that a spreadsheet does not run them as formulas.
package chart
