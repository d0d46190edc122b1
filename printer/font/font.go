// Package font embeds the DejaVu fonts the appliance prints and renders with.
//
// DejaVu Sans covers Tajik (Ғ Ӣ Қ Ӯ Ҳ Ҷ) and Uzbek (Ў) Cyrillic, so receipts, the
// printer emulator and PDF extracts all draw from the same files and nothing is
// loaded from the machine or the network. The licence is in LICENSE-DejaVu.txt.
package font

import _ "embed"

// Sans is DejaVu Sans (regular), TrueType.
//
//go:embed DejaVuSans.ttf
var Sans []byte

// SansBold is DejaVu Sans Bold, TrueType.
//
//go:embed DejaVuSans-Bold.ttf
var SansBold []byte

// Mono is DejaVu Sans Mono, TrueType: one cell per character, as on a receipt.
//
//go:embed DejaVuSansMono.ttf
var Mono []byte
