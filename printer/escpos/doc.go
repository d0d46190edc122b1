// Package escpos turns a receipt document into ESC/POS bytes for a printer
// profile, and parses such bytes back into commands. It does no I/O.
//
// # Documents and profiles
//
// A [Document] is a list of blocks: text ([Text], with width and height
// multipliers 1-8, bold and alignment), [Separator], [QR], [Image], [Feed]
// and [Cut]. A [Profile] describes one printer model as data (paper width in
// dots and columns, code pages, user-defined characters, native QR); the
// shipped profiles are embedded JSON files, see [LookupProfile].
//
// # Text
//
// Text is sanitised before encoding (see [Sanitize]): C0 and C1 control
// characters and DEL are dropped, except that '\n' (and U+2028/U+2029) breaks
// the line and '\t' becomes a space; the text is put in Unicode NFC (so и +
// U+0304 becomes ӣ); format characters (bidi overrides, zero-width joiners)
// and combining marks that have no precomposed form are dropped; other
// spaces become ' '; a rune that neither code page, user-defined set nor the
// embedded DejaVu fonts can draw is printed as its code point, "[U+1F600]".
// Nothing else is ever dropped and '?' is never substituted.
//
// Cyrillic is printed with the profile's code page (PC866 = ESC t 17, or
// WPC1251 = ESC t 46). The Tajik letters Ғ ғ Ӣ ӣ Қ қ Ӯ ӯ Ҳ ҳ Ҷ ҷ (and Uzbek
// Ў ў where a code page lacks them) are printed as user-defined characters
// (ESC & 3, 12x24 glyphs rasterised from DejaVu Sans Mono), defined right
// after ESC @, only for the letters the document uses.
//
// # Which codes the Tajik letters borrow
//
// User-defined characters live on printable ASCII codes. The encoder picks,
// per document, the contiguous window of ASCII codes that the document's own
// text uses least (usually not at all), defines the letters there, and
// switches the set on (ESC % 1) in front of a Tajik letter. Because ESC % 1
// affects only codes that have a definition, bytes 0x80-0xFF and ASCII
// codes outside the window keep printing normally; before an ASCII character
// that falls inside the window the set is switched off (ESC % 0). So a real
// ASCII character in user text never prints as a Tajik glyph, and a receipt
// pays 3 bytes per switch instead of 6 per run of Tajik letters.
//
// # Raster fallback
//
// A line with a character that the code page and user-defined set cannot
// print (any line containing Tajik letters on a profile without
// user-defined characters, or Greek, Armenian, ... anywhere) is rendered
// with the embedded fonts into a GS v 0 raster band of at most 255 rows,
// cell by cell exactly like a text line. QR codes on profiles without native
// QR are rasterised the same way.
//
// # Real-time commands inside data
//
// Printers execute DLE EOT/ENQ/DC4 (10 04, 10 05, 10 14) even inside image
// data. Raster and user-defined-character data are scrubbed so that these
// sequences never occur (the 0x10 byte loses its single dot), and QR data is
// limited to 512 printable bytes, so a status poll between commands can trust
// every reply byte it reads.
package escpos
