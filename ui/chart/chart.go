package chart

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Kind is the way a chart shows its data.
type Kind int

const (
	// Stacked draws one bar per label, one segment per series: issues by
	// category per month. The total is written above each bar.
	Stacked Kind = iota
	// Grouped draws the series' bars side by side for each label: opened
	// and resolved per month as paired bars.
	Grouped
	// Lines draws one line per series through the labels: opened versus
	// resolved per month.
	Lines
	// Histogram draws one series as touching bars over buckets: days to
	// resolution (see [Resolution]).
	Histogram
)

var kindNames = [...]string{"stacked", "grouped", "lines", "histogram"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Series is one named row of values, one value per label of its chart: the
// issues of one category per month, say. Missing values count as 0;
// negative, NaN and infinite values are drawn (and exported) as 0.
type Series struct {
	Name   string
	Values []float64
}

// Chart is what to draw. Labels are the categories of the horizontal axis
// (months, weeks or buckets), in order.
type Chart struct {
	Kind   Kind
	Title  string
	Labels []string
	Series []Series
	// XTitle and YTitle name the axes ("days", "issues"); both optional.
	XTitle, YTitle string
	// Note is a line under the title, such as the median of a
	// distribution; optional.
	Note string
	// Desc is the text alternative for screen readers; "" means one made
	// from the data (label: series value, …).
	Desc  string
	Texts Texts
}

// Texts are the chart's own words and number format in one language. The
// zero value is English with a decimal point; [TextsFor] gives the kiosk's
// four languages.
type Texts struct {
	NoData  string // shown instead of an empty chart
	Median  string // "median", before the median of a distribution
	Days    string // unit of days to resolution
	Total   string // the word for a stack's total, in descriptions
	Count   string // heading of an unnamed series in the CSV
	Decimal string // decimal separator; "" is "."
}

var texts = map[string]Texts{
	"tg": {NoData: "Маълумот нест", Median: "Медиана", Days: "рӯз", Total: "ҳамагӣ", Count: "шумора", Decimal: ","},
	"ru": {NoData: "Нет данных", Median: "Медиана", Days: "дн.", Total: "всего", Count: "количество", Decimal: ","},
	"uz": {NoData: "Маълумот йўқ", Median: "Медиана", Days: "кун", Total: "жами", Count: "сони", Decimal: ","},
	"en": {NoData: "No data", Median: "Median", Days: "days", Total: "total", Count: "count", Decimal: "."},
}

// TextsFor returns the texts for lang (tg, ru, uz or en); English for any
// other code.
func TextsFor(lang string) Texts {
	if t, ok := texts[lang]; ok {
		return t
	}
	return texts["en"]
}

func (t Texts) or() Texts {
	en := texts["en"]
	if t.NoData == "" {
		t.NoData = en.NoData
	}
	if t.Median == "" {
		t.Median = en.Median
	}
	if t.Days == "" {
		t.Days = en.Days
	}
	if t.Total == "" {
		t.Total = en.Total
	}
	if t.Count == "" {
		t.Count = en.Count
	}
	if t.Decimal == "" {
		t.Decimal = "."
	}
	return t
}

// Ints converts counts to values.
func Ints(n []int) []float64 {
	out := make([]float64, len(n))
	for i, v := range n {
		out[i] = float64(v)
	}
	return out
}

// value is series s's value at label i, made drawable.
func (c *Chart) value(s, i int) float64 {
	v := c.Series[s].Values
	if i >= len(v) {
		return 0
	}
	return sane(v[i])
}

func sane(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// empty reports whether there is nothing to draw: no labels, no series, or
// no value at all (every series shorter than one value).
func (c *Chart) empty() bool {
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		return true
	}
	for _, s := range c.Series {
		if len(s.Values) > 0 {
			return false
		}
	}
	return true
}

// Number formats v as the charts write values: whole numbers as they are,
// others with at most one decimal, with dec as the separator.
func Number(v float64, dec string) string {
	r := math.Round(v*10) / 10
	if r == math.Trunc(r) {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	s := strconv.FormatFloat(r, 'f', 1, 64)
	if dec != "" && dec != "." {
		s = strings.Replace(s, ".", dec, 1)
	}
	return s
}

// Clean makes s safe and tidy to draw: invalid UTF-8 becomes U+FFFD, the
// text is put in NFC (и + U+0304 becomes ӣ), line breaks, tabs and other
// spaces become one space, control and format characters (bidi overrides,
// zero-width joiners, BOM) and noncharacters are dropped, and spaces at
// the ends are trimmed. The result is valid in XML 1.0.
func Clean(s string) string {
	if isPlain(s) {
		return strings.TrimSpace(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFC.String(s)
	var sb strings.Builder
	sb.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Zs, r):
			space = true
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Noncharacter_Code_Point, r) || unicode.Is(unicode.Co, r):
			continue
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		space = false
		sb.WriteRune(r)
	}
	return sb.String()
}

// isPlain reports whether s needs no cleaning but trimming: printable
// ASCII with single spaces.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == 0x7f || (c == ' ' && i > 0 && s[i-1] == ' ') {
			return false
		}
	}
	return true
}
