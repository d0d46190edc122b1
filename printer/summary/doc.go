// Package summary makes the one-page A4 PDF the Community Policing
// Partnership Team (CPPT) takes to its meeting: the centre, the period, four
// key numbers (open issues, issues resolved this quarter, overdue actions,
// median days to resolution), four charts and the table of open issues.
//
// # Input
//
// [Summary] is a plain struct, in the words the page prints: the caller maps
// its domain data (and translates category, status and priority names) into
// it. The page's own words are in four languages (tg, ru, uz, en; texts.go);
// they follow shared/GLOSSARY.md where it has the term and are a careful
// first version elsewhere, for a native speaker to check.
//
// # Charts
//
// The charts are those of the touch screens: package ui/chart lays each out
// once ([chart.Layout]) and drawChart (draw.go) draws the display list with gofpdf's
// own rectangles, lines, polygons and text, so they are vectors, print
// sharply, and their words are text a PDF reader can search and copy.
// Hatchings are drawn as lines clipped to their bar.
//
// # One page
//
// The page always has one page. The table shows the open issues whose next
// action is due first (overdue first, issues without a date last) until the
// page is full, then a line "and N more". Texts too long for their cell are
// cut with "…". The font is DejaVu Sans from printer/font, cut once per
// process to the same characters as the extracts' fonts (Latin, Cyrillic,
// punctuation, U+FFFD); characters outside it print as U+FFFD, control and
// bidi characters are dropped. The output is deterministic: the same
// summary gives the same bytes.
package summary
