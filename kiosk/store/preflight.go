package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk constants (go.etcd.io/bbolt/internal/common).
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSumOffset  = 56 // the checksum follows 56 bytes of meta fields
)

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages the file must hold
	txid     uint64
}

// preflight reads the two meta pages of a bbolt file the way bbolt does and
// checks that the file is as long as the newest valid one says. bbolt
// trusts that length: a truncated file would otherwise crash the process
// with a fault in the mapped memory instead of returning an error.
func preflight(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	head = head[:n]
	m0, ok0 := readMeta(head, 0)
	var m1 boltMeta
	ok1 := false
	for _, ps := range []uint32{m0.pageSize, 4096} { // bbolt falls back to the default size
		if ps != 0 {
			if m1, ok1 = readMeta(head, int(ps)); ok1 {
				break
			}
		}
	}
	var m boltMeta
	switch {
	case ok0 && ok1 && m1.txid > m0.txid, !ok0 && ok1:
		m = m1
	case ok0:
		m = m0
	default:
		return fmt.Errorf("open store %s: no valid bbolt meta page: %w", path, ErrCorrupt)
	}
	if need := int64(m.pgid) * int64(m.pageSize); st.Size() < need {
		return fmt.Errorf("open store %s: file is %d bytes but its metadata needs %d (truncated): %w", path, st.Size(), need, ErrCorrupt)
	}
	if m.root >= m.pgid || (m.freelist >= m.pgid && m.freelist != ^uint64(0)) {
		return fmt.Errorf("open store %s: meta page points past the end of the file: %w", path, ErrCorrupt)
	}
	return nil
}

func readMeta(b []byte, off int) (boltMeta, bool) {
	p := off + pageHeaderSize
	if off < 0 || p+metaSumOffset+8 > len(b) {
		return boltMeta{}, false
	}
	le := binary.LittleEndian
	m := b[p : p+metaSumOffset+8]
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:metaSumOffset])
	if h.Sum64() != le.Uint64(m[metaSumOffset:]) {
		return boltMeta{}, false
	}
	meta := boltMeta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]),
		pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}
	if meta.pageSize < 512 || meta.pageSize > 1<<16 {
		return boltMeta{}, false
	}
	return meta, true
}
