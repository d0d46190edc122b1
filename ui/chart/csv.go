package chart

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// CSVOptions are the choices of [WriteCSV].
type CSVOptions struct {
	// NoBOM leaves out the UTF-8 byte order mark.
	NoBOM bool
	// Comma is the field separator; 0 is ','. Use ';' for Excel under a
	// Russian locale.
	Comma rune
	// Corner is the heading of the label column (say "Month"); "" leaves
	// it empty.
	Corner string
}

// WriteCSV writes the data of c as a table: a heading row (o.Corner, then
// the series' names), then one row per label with the values as drawn
// (negative, NaN and infinite values as 0, missing values as 0). Numbers
// use a decimal point whatever the language, so that programs read them.
// A histogram's label column is headed by its axis title ("days") unless
// o.Corner says otherwise; an unnamed series by c.Texts.Count ("count").
// See the package comment for the encoding.
func WriteCSV(w io.Writer, c Chart, o CSVOptions) error {
	c = clean(c)
	bw := bufio.NewWriter(w)
	if !o.NoBOM {
		bw.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if o.Comma != 0 {
		cw.Comma = o.Comma
	}
	t := c.Texts.or()
	corner := Clean(o.Corner)
	if corner == "" && c.Kind == Histogram {
		corner = c.XTitle
	}
	head := []string{cell(corner)}
	for _, s := range c.Series {
		name := s.Name
		if name == "" {
			name = t.Count
		}
		head = append(head, cell(name))
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("chart: csv: %w", err)
	}
	row := make([]string, len(c.Series)+1)
	for i, label := range c.Labels {
		row[0] = cell(label)
		for s := range c.Series {
			row[s+1] = strconv.FormatFloat(c.value(s, i), 'f', -1, 64)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("chart: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("chart: csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("chart: csv: %w", err)
	}
	return nil
}

// WriteTable writes a table of texts as CSV with the same encoding as
// [WriteCSV]: the byte order mark unless o.NoBOM, CRLF line ends, o.Comma,
// and every cell cleaned ([Clean]) and guarded against formula injection.
// head is the heading row; nil writes none. o.Corner is not used.
func WriteTable(w io.Writer, head []string, rows [][]string, o CSVOptions) error {
	bw := bufio.NewWriter(w)
	if !o.NoBOM {
		bw.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if o.Comma != 0 {
		cw.Comma = o.Comma
	}
	var out []string
	write := func(r []string) error {
		out = out[:0]
		for _, c := range r {
			out = append(out, cell(Clean(c)))
		}
		return cw.Write(out)
	}
	if head != nil {
		if err := write(head); err != nil {
			return fmt.Errorf("chart: csv: %w", err)
		}
	}
	for _, r := range rows {
		if err := write(r); err != nil {
			return fmt.Errorf("chart: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("chart: csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("chart: csv: %w", err)
	}
	return nil
}

// cell guards a text cell against formula injection: a spreadsheet runs a
// cell that starts with = + - or @ as a formula (and some also after a
// leading tab or carriage return), so such a cell gets a leading
// apostrophe (OWASP's advice).
func cell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
