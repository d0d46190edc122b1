package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// The audit trail as the admin pages read it: pages newest first, filtered
// by actor and action, and every entry in order for an export.

var _ kiosk.AuditTrail = (*Store)(nil)

func readHead(tx *bolt.Tx) (kiosk.AuditHead, error) {
	var head kiosk.AuditHead
	if v := tx.Bucket(bMeta).Get(kAuditHead); v != nil {
		if err := json.Unmarshal(v, &head); err != nil {
			return head, fmt.Errorf("audit head: %v: %w", err, ErrCorrupt)
		}
	}
	return head, nil
}

// AuditEntries implements kiosk.AuditTrail. Next is set when a further
// matching entry exists. A filtered page reads at most kiosk.MaxAuditScan
// entries; when it stops there, Next says where to go on (and the next
// page may turn out empty).
func (s *Store) AuditEntries(ctx context.Context, q kiosk.AuditQuery) (*kiosk.AuditPage, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	page := &kiosk.AuditPage{Entries: []kiosk.AuditEntry{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		head, err := readHead(tx)
		if err != nil {
			return err
		}
		page.Head = head
		c := tx.Bucket(bAudit).Cursor()
		var k, v []byte
		if q.Before == 0 {
			k, v = c.Last()
		} else {
			k, v = c.Seek(seqKey(q.Before))
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		scanned := 0
		for ; k != nil; k, v = c.Prev() {
			var e kiosk.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit entry %x: %v: %w", k, err, ErrCorrupt)
			}
			if scanned == kiosk.MaxAuditScan { // go on from here on the next page
				page.Next = e.Seq + 1
				return nil
			}
			scanned++
			if !q.Match(&e) {
				continue
			}
			if len(page.Entries) == q.Limit { // there is a next page, and it starts here
				page.Next = e.Seq + 1
				return nil
			}
			page.Entries = append(page.Entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	return page, nil
}

// auditChunk is how many entries EachAudit reads per transaction, so an
// export never holds one read transaction open for the whole download.
const auditChunk = 1000

// EachAudit implements kiosk.AuditTrail.
func (s *Store) EachAudit(ctx context.Context, fn func(kiosk.AuditEntry) error) error {
	var from uint64 = 1
	for {
		var chunk []kiosk.AuditEntry
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bAudit).Cursor()
			for k, v := c.Seek(seqKey(from)); k != nil && len(chunk) < auditChunk; k, v = c.Next() {
				var e kiosk.AuditEntry
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("audit entry %x: %v: %w", k, err, ErrCorrupt)
				}
				chunk = append(chunk, e)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read audit trail: %w", err)
		}
		for _, e := range chunk {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(chunk) < auditChunk {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		from = chunk[len(chunk)-1].Seq + 1
	}
}

// VerifyAuditFrom checks the chain after from, the head of an earlier good
// check: the entry at from.Seq must still carry from.Hash, and every entry
// after it must link to the one before, up to the stored head. It returns
// the number of entries of the whole chain. It does not look at the links
// before from: an entry edited there since the earlier check is found only
// by a full VerifyAudit, which callers run now and then.
func (s *Store) VerifyAuditFrom(ctx context.Context, from kiosk.AuditHead) (uint64, error) {
	if from.Seq == 0 {
		return s.VerifyAudit(ctx)
	}
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		head, err := readHead(tx)
		if err != nil {
			return fmt.Errorf("%v: %w", err, kiosk.ErrAuditBroken)
		}
		c := tx.Bucket(bAudit).Cursor()
		k, v := c.Seek(seqKey(from.Seq))
		var e kiosk.AuditEntry
		if k == nil || json.Unmarshal(v, &e) != nil || e.Seq != from.Seq || e.Hash != from.Hash {
			return fmt.Errorf("audit entry %d changed since it was last checked: %w", from.Seq, kiosk.ErrAuditBroken)
		}
		ver := kiosk.ResumeAuditVerifier(kiosk.AuditHead{Seq: from.Seq - 1, Hash: e.Prev})
		if err := ver.Next(e); err != nil { // its content still matches its hash
			return err
		}
		for k, v = c.Next(); k != nil; k, v = c.Next() {
			var e kiosk.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit entry %x: %v: %w", k, err, kiosk.ErrAuditBroken)
			}
			if err := ver.Next(e); err != nil {
				return err
			}
		}
		n, err = ver.Done(head)
		return err
	})
	return n, err
}
