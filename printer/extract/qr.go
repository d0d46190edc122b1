package extract

import (
	"errors"
	"strings"
)

// A small QR code encoder (ISO/IEC 18004, model 2) for the extract's
// payload: error correction level Q, one segment in alphanumeric mode (the
// base45 payload is made of exactly that alphabet) or, for other text, byte
// mode. It replaces github.com/skip2/go-qrcode on the hot path: that
// package took a fifth of Render's time. The construction follows Project
// Nayuki's reference encoder; TestQRScans decodes its output with zbarimg
// for every version.

// qrAlnum is the QR alphanumeric character set, in code order.
const qrAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// Level Q tables, indexed by version (index 0 unused).
var (
	qrECCPerBlock = [41]int{0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
		28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30}
	qrBlocks = [41]int{0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
		23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68}
)

// errQRTooLong is returned for text that does not fit a version 40 code.
var errQRTooLong = errors.New("qr: text too long for a QR code")

// qrCode is an encoded symbol without its quiet zone.
type qrCode struct {
	size    int
	version int
	mask    int
	dark    []bool // size*size, row-major
	fn      []bool // function modules (finders, timing, alignment, format, version)
}

func (q *qrCode) at(x, y int) bool { return q.dark[y*q.size+x] }

func (q *qrCode) setFn(x, y int, dark bool) {
	q.dark[y*q.size+x] = dark
	q.fn[y*q.size+x] = true
}

// qrBits is a big-endian bit buffer.
type qrBits struct {
	b []byte
	n int
}

func (w *qrBits) put(v, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 != 0 {
			w.b[w.n/8] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

func qrRawModules(ver int) int {
	n := (16*ver+128)*ver + 64
	if ver >= 2 {
		align := ver/7 + 2
		n -= (25*align-10)*align - 55
		if ver >= 7 {
			n -= 36
		}
	}
	return n
}

func qrDataCodewords(ver int) int {
	return qrRawModules(ver)/8 - qrECCPerBlock[ver]*qrBlocks[ver]
}

// encodeQR encodes text at error correction level Q in the smallest version.
func encodeQR(text string) (*qrCode, error) {
	alnum := true
	for i := 0; i < len(text); i++ {
		if strings.IndexByte(qrAlnum, text[i]) < 0 {
			alnum = false
			break
		}
	}
	ver := 0
	for v := 1; v <= 40; v++ {
		countBits := 8
		dataBits := 4 + len(text)*8
		if alnum {
			countBits = [3]int{9, 11, 13}[(v+7)/17]
			dataBits = 4 + len(text)/2*11 + len(text)%2*6
		} else if v >= 10 {
			countBits = 16
		}
		if len(text) < 1<<countBits && dataBits+countBits <= qrDataCodewords(v)*8 {
			ver = v
			break
		}
	}
	if ver == 0 {
		return nil, errQRTooLong
	}
	var w qrBits
	if alnum {
		w.put(0b0010, 4)
		w.put(len(text), [3]int{9, 11, 13}[(ver+7)/17])
		for i := 0; i+1 < len(text); i += 2 {
			w.put(strings.IndexByte(qrAlnum, text[i])*45+strings.IndexByte(qrAlnum, text[i+1]), 11)
		}
		if len(text)%2 == 1 {
			w.put(strings.IndexByte(qrAlnum, text[len(text)-1]), 6)
		}
	} else {
		w.put(0b0100, 4)
		w.put(len(text), map[bool]int{true: 8, false: 16}[ver < 10])
		for i := 0; i < len(text); i++ {
			w.put(int(text[i]), 8)
		}
	}
	capBits := qrDataCodewords(ver) * 8
	w.put(0, min(4, capBits-w.n))
	w.put(0, (8-w.n%8)%8)
	for pad := 0xEC; w.n < capBits; pad ^= 0xEC ^ 0x11 {
		w.put(pad, 8)
	}

	size := ver*4 + 17
	q := &qrCode{size: size, version: ver, dark: make([]bool, size*size), fn: make([]bool, size*size)}
	q.drawFunctions()
	q.drawCodewords(qrInterleave(w.b, ver))
	best, bestPenalty := 0, -1
	for m := range 8 {
		q.applyMask(m)
		q.drawFormat(m)
		if p := q.penalty(); bestPenalty < 0 || p < bestPenalty {
			best, bestPenalty = m, p
		}
		q.applyMask(m) // undo: XOR
	}
	q.mask = best
	q.applyMask(best)
	q.drawFormat(best)
	return q, nil
}

func (q *qrCode) drawFunctions() {
	n := q.size
	for i := range n {
		q.setFn(6, i, i%2 == 0)
		q.setFn(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {n - 4, 3}, {3, n - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < n && y >= 0 && y < n {
					d := max(abs(dx), abs(dy))
					q.setFn(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	pos := qrAlignment(q.version, n)
	for i, x := range pos {
		for j, y := range pos {
			last := len(pos) - 1
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.setFn(x+dx, y+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	q.drawFormat(0) // reserves the format areas; redrawn with the mask
	if q.version >= 7 {
		rem := q.version
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := q.version<<12 | rem
		for i := range 18 {
			dark := bits>>i&1 != 0
			a, b := n-11+i%3, i/3
			q.setFn(a, b, dark)
			q.setFn(b, a, dark)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func qrAlignment(ver, size int) []int {
	if ver == 1 {
		return nil
	}
	num := ver/7 + 2
	step := (ver*8 + num*3 + 5) / (num*4 - 4) * 2
	pos := make([]int, num)
	pos[0] = 6
	for i := 0; i < num-1; i++ {
		pos[num-1-i] = size - 7 - i*step
	}
	return pos
}

// drawFormat draws the two copies of the format information (level Q and
// mask m).
func (q *qrCode) drawFormat(m int) {
	data := 3<<3 | m // level Q has format bits 11
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 != 0 }
	n := q.size
	for i := 0; i <= 5; i++ {
		q.setFn(8, i, bit(i))
	}
	q.setFn(8, 7, bit(6))
	q.setFn(8, 8, bit(7))
	q.setFn(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.setFn(14-i, 8, bit(i))
	}
	for i := range 8 {
		q.setFn(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.setFn(8, n-15+i, bit(i))
	}
	q.setFn(8, n-8, true)
}

// qrInterleave splits the data codewords into blocks, appends each block's
// Reed-Solomon codewords and interleaves them.
func qrInterleave(data []byte, ver int) []byte {
	numBlocks, eccLen := qrBlocks[ver], qrECCPerBlock[ver]
	raw := qrRawModules(ver) / 8
	numShort := numBlocks - raw%numBlocks
	shortLen := raw / numBlocks
	div := rsDivisor(eccLen)
	blocks := make([][]byte, numBlocks)
	k := 0
	for i := range blocks {
		n := shortLen - eccLen
		if i >= numShort {
			n++
		}
		dat := data[k : k+n]
		k += n
		blk := make([]byte, 0, shortLen+1)
		blk = append(blk, dat...)
		if i < numShort {
			blk = append(blk, 0)
		}
		blocks[i] = append(blk, rsRemainder(dat, div)...)
	}
	out := make([]byte, 0, raw)
	for i := range blocks[0] {
		for j, blk := range blocks {
			if i != shortLen-eccLen || j >= numShort {
				out = append(out, blk[i])
			}
		}
	}
	return out
}

func gfMul(x, y byte) byte {
	var z int
	for i := 7; i >= 0; i-- {
		z = z<<1 ^ (z>>7)*0x11D
		z ^= int(y>>i&1) * int(x)
	}
	return byte(z)
}

func rsDivisor(degree int) []byte {
	res := make([]byte, degree)
	res[degree-1] = 1
	root := byte(1)
	for range degree {
		for j := range res {
			res[j] = gfMul(res[j], root)
			if j+1 < degree {
				res[j] ^= res[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return res
}

func rsRemainder(data, div []byte) []byte {
	res := make([]byte, len(div))
	for _, b := range data {
		factor := b ^ res[0]
		copy(res, res[1:])
		res[len(res)-1] = 0
		for i, c := range div {
			res[i] ^= gfMul(c, factor)
		}
	}
	return res
}

func (q *qrCode) drawCodewords(data []byte) {
	n := q.size
	i := 0
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range n {
			for j := range 2 {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if !q.fn[y*n+x] && i < len(data)*8 {
					q.dark[y*n+x] = data[i>>3]>>(7-i&7)&1 != 0
					i++
				}
			}
		}
	}
}

func (q *qrCode) applyMask(m int) {
	n := q.size
	for y := range n {
		for x := range n {
			var inv bool
			switch m {
			case 0:
				inv = (x+y)%2 == 0
			case 1:
				inv = y%2 == 0
			case 2:
				inv = x%3 == 0
			case 3:
				inv = (x+y)%3 == 0
			case 4:
				inv = (x/3+y/2)%2 == 0
			case 5:
				inv = x*y%2+x*y%3 == 0
			case 6:
				inv = (x*y%2+x*y%3)%2 == 0
			case 7:
				inv = ((x+y)%2+x*y%3)%2 == 0
			}
			if inv && !q.fn[y*n+x] {
				q.dark[y*n+x] = !q.dark[y*n+x]
			}
		}
	}
}

// penalty scores a masked symbol by the four rules of the standard (runs,
// 2x2 blocks, finder-like patterns, dark/light balance); lower is better.
func (q *qrCode) penalty() int {
	n := q.size
	p := 0
	for dir := range 2 {
		for a := range n {
			run, win := 0, 0
			var prev bool
			// The line is read with four light modules (the quiet zone) on
			// each side; win holds the last 11 modules, dark = 1.
			for b := -4; b < n+4; b++ {
				var c bool
				if b >= 0 && b < n {
					if dir == 0 {
						c = q.dark[a*n+b]
					} else {
						c = q.dark[b*n+a]
					}
				}
				win = (win<<1 | b2i(c)) & 0x7FF
				if b >= 7 && (win == 0b00001011101 || win == 0b10111010000) {
					p += 40
				}
				if b < 0 || b >= n {
					continue
				}
				if b > 0 && c == prev {
					run++
				} else {
					if run >= 5 {
						p += 3 + run - 5
					}
					run = 1
				}
				prev = c
			}
			if run >= 5 {
				p += 3 + run - 5
			}
		}
	}
	dark := 0
	for y := range n {
		row := q.dark[y*n : y*n+n]
		for x, c := range row {
			if c {
				dark++
			}
			if x+1 < n && y+1 < n && c == row[x+1] && c == q.dark[(y+1)*n+x] && c == q.dark[(y+1)*n+x+1] {
				p += 3
			}
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	return p + max(k, 0)*10
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
