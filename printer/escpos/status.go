package escpos

// Status is a printer's state as read with DLE EOT 1, 2 and 4.
type Status string

// Statuses, as shown in /healthz.
const (
	StatusOK           Status = "ok"
	StatusPaperOut     Status = "paper_out"
	StatusPaperNearEnd Status = "paper_near_end"
	StatusCoverOpen    Status = "cover_open"
	StatusOffline      Status = "offline"
	// StatusUnknown: the printer did not answer (many never do).
	StatusUnknown Status = "unknown"
)

// StatusQueries are the three real-time status requests, in the order
// their replies are read.
var StatusQueries = [3][3]byte{{DLE, EOT, 1}, {DLE, EOT, 2}, {DLE, EOT, 4}}

// ValidStatusByte reports whether b has the fixed bits of a DLE EOT reply
// (bits 1 and 4 set, bits 0 and 7 clear).
func ValidStatusByte(b byte) bool { return b&0x93 == 0x12 }

// StatusReply returns what a printer in state s answers to DLE EOT n
// (n = 1, 2 or 4), as Epson TM printers do.
func StatusReply(s Status, n byte) byte {
	const base = 0x12
	switch s {
	case StatusPaperOut:
		return map[byte]byte{1: base | 0x08, 2: base | 0x20, 4: base | 0x60}[n] | base
	case StatusPaperNearEnd:
		if n == 4 {
			return base | 0x0C
		}
	case StatusCoverOpen:
		return map[byte]byte{1: base | 0x08, 2: base | 0x04, 4: base}[n] | base
	case StatusOffline:
		return map[byte]byte{1: base | 0x08, 2: base | 0x40, 4: base}[n] | base
	}
	return base
}

// ParseStatus maps the replies to DLE EOT 1, 2 and 4 to a Status. Cover
// open wins over paper out (an open cover also reads as no paper on some
// models), paper out over a plain offline, offline over near end.
func ParseStatus(n1, n2, n4 byte) Status {
	if !ValidStatusByte(n1) || !ValidStatusByte(n2) || !ValidStatusByte(n4) {
		return StatusUnknown
	}
	switch {
	case n2&0x04 != 0:
		return StatusCoverOpen
	case n4&0x60 != 0 || n2&0x20 != 0:
		return StatusPaperOut
	case n1&0x08 != 0 || n2&0x40 != 0:
		return StatusOffline
	case n4&0x0C != 0:
		return StatusPaperNearEnd
	}
	return StatusOK
}
