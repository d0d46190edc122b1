package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

var (
	kUpdatesCursor = []byte("updates_cursor")
	kCheckpoint    = []byte("checkpoint_seq") // audit seq of the last checkpoint queued
)

// Rejected is an outbox entry the central refused for good.
type Rejected struct {
	Entry  kiosk.OutboxEntry `json:"entry"`
	Reason string            `json:"reason"`
	At     time.Time         `json:"at"`
}

// Delivered settles outbox entries after the central's answer, in one
// transaction: a delivered entry leaves the outbox and its report becomes
// "relayed" with the time of the acknowledgement; a refused one moves to the
// rejected list. Every settled report gets an audit entry. Entries no longer
// in the outbox (settled before a lost reply) are skipped.
func (s *Store) Delivered(ctx context.Context, ds []kiosk.Delivery, at time.Time, synced bool) error {
	err := s.updateReports(ctx, func(tx *bolt.Tx, batch *indexBatch) error {
		out := tx.Bucket(bOutbox)
		for _, d := range ds {
			key := seqKey(d.Entry.Seq)
			if out.Get(key) == nil {
				continue
			}
			if err := out.Delete(key); err != nil {
				return err
			}
			audit := kiosk.AuditEntry{At: at, Synced: synced, Actor: "central", Record: d.Entry.RecordID}
			if !d.Delivered {
				v, err := json.Marshal(Rejected{Entry: d.Entry, Reason: d.Reason, At: at})
				if err != nil {
					return err
				}
				if err := tx.Bucket(bRejects).Put(key, v); err != nil {
					return err
				}
				audit.Action, audit.Detail = "relay.rejected", d.Entry.Type
				if err := appendAudit(tx, audit); err != nil {
					return err
				}
				continue
			}
			if d.Entry.Type != kiosk.OutboxReport {
				continue
			}
			err := s.editRecord(tx, d.Entry.RecordID, func(r *kiosk.Report) error {
				r.AckedAt = at
				if r.Status == kiosk.StatusReceived {
					return r.Transition(kiosk.StatusRelayed, "", "", at)
				}
				return nil
			}, batch)
			if errors.Is(err, kiosk.ErrNotFound) {
				continue // nothing to mark; the central has it
			}
			if err != nil {
				return err
			}
			audit.Action, audit.Detail = "report.status", string(kiosk.StatusRelayed)
			if err := appendAudit(tx, audit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settle deliveries: %w", err)
	}
	return nil
}

// editRecord applies fn to the public part of a stored report, leaving its
// sealed personal fields and staff texts as they are (no decryption), and
// keeps its index entry in step (into batch).
func (s *Store) editRecord(tx *bolt.Tx, id string, fn func(*kiosk.Report) error, batch *indexBatch) error {
	num := tx.Bucket(bIDs).Get([]byte(id))
	if num == nil {
		return kiosk.ErrNotFound
	}
	reports := tx.Bucket(bReports)
	v := reports.Get(num)
	if v == nil {
		return fmt.Errorf("index points at missing %s: %w", num, ErrCorrupt)
	}
	rec, err := unmarshalRecord(v)
	if err != nil {
		return err
	}
	r := rec.report()
	if err := fn(r); err != nil {
		return err
	}
	r.ID, r.Number, r.CreatedAt = rec.ID, rec.number(), rec.CreatedAt
	sealed, staff := rec.Sealed, rec.Staff
	if r.Purged {
		sealed = nil
		if !rec.Purged && len(rec.Checks) > 0 {
			// The numbers of the documents checked are personal data too.
			if staff, err = s.dropDocumentNumbers(rec); err != nil {
				return err
			}
		}
	}
	nrec := recordOf(r, sealed, staff)
	return putRecord(tx, &nrec, batch)
}

// UpdatesCursor returns the cursor of the last status update applied.
func (s *Store) UpdatesCursor(ctx context.Context) (uint64, error) {
	var c uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kUpdatesCursor); v != nil {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("updates cursor %q: %w", v, ErrCorrupt)
			}
			c = n
		}
		return nil
	})
	return c, err
}

// ApplyUpdates applies status changes pulled from the central and moves the
// updates cursor to cursor, in one transaction, so a crash repeats a pull
// rather than losing one. Updates for reports this kiosk does not hold (a
// replaced board) and updates that do not move a report forward are
// skipped. It returns how many reports changed.
func (s *Store) ApplyUpdates(ctx context.Context, us []kiosk.StatusUpdate, cursor uint64, at time.Time, synced bool) (int, error) {
	var changed int
	err := s.updateReports(ctx, func(tx *bolt.Tx, batch *indexBatch) error {
		changed = 0
		for _, u := range us {
			moved := false
			err := s.editRecord(tx, u.RecordID, func(r *kiosk.Report) error {
				var err error
				moved, err = r.Apply(u)
				return err
			}, batch)
			if errors.Is(err, kiosk.ErrNotFound) || errors.Is(err, kiosk.ErrTransition) {
				s.log.Warn("status update skipped", "record", u.RecordID, "status", string(u.Status), "err", err)
				continue
			}
			if err != nil {
				return err
			}
			if !moved {
				continue
			}
			changed++
			err = appendAudit(tx, kiosk.AuditEntry{At: at, Synced: synced, Actor: "central",
				Action: "report.status", Record: u.RecordID, Detail: string(u.Status)})
			if err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		if v := m.Get(kUpdatesCursor); v != nil {
			if old, err := strconv.ParseUint(string(v), 10, 64); err == nil && old >= cursor {
				return nil
			}
		}
		return m.Put(kUpdatesCursor, []byte(strconv.FormatUint(cursor, 10)))
	})
	if err != nil {
		return 0, fmt.Errorf("apply status updates: %w", err)
	}
	return changed, nil
}

// RaiseSequences makes sure this kiosk never issues a number at or below
// the central's high-water marks: seqs maps a two-digit year to the highest
// sequence the central holds from this kiosk number. Counters already
// higher are left alone.
func (s *Store) RaiseSequences(ctx context.Context, kioskNo int, seqs map[int]int) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSeq)
		for year, high := range seqs {
			if year < 0 || year > 99 || high < 0 || high > kiosk.MaxSeq {
				return fmt.Errorf("sequence %d for year %d out of range", high, year)
			}
			sk := []byte(fmt.Sprintf("%d-%02d", kioskNo, year))
			if v := b.Get(sk); v != nil {
				n, err := strconv.Atoi(string(v))
				if err != nil {
					return fmt.Errorf("sequence %s: %q: %w", sk, v, ErrCorrupt)
				}
				if n >= high {
					continue
				}
			}
			if err := b.Put(sk, []byte(strconv.Itoa(high))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("raise sequences: %w", err)
	}
	return nil
}

// PurgePersonal deletes the personal fields of reports the central
// acknowledged before ackedBefore, with one audit entry per report. It
// returns how many were purged.
func (s *Store) PurgePersonal(ctx context.Context, ackedBefore, at time.Time, synced bool) (int, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bReports).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("read report %s: %w", k, err)
			}
			if !rec.Purged && rec.AckedAt != nil && rec.AckedAt.Before(ackedBefore) {
				ids = append(ids, rec.ID)
			}
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	err = s.updateReports(ctx, func(tx *bolt.Tx, batch *indexBatch) error {
		for _, id := range ids {
			err := s.editRecord(tx, id, func(r *kiosk.Report) error {
				r.Purged, r.Reporter, r.Incident.Description = true, kiosk.Reporter{}, ""
				return nil
			}, batch)
			if err != nil {
				return err
			}
			err = appendAudit(tx, kiosk.AuditEntry{At: at, Synced: synced, Actor: "system",
				Action: "report.purge_personal", Record: id})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge personal data: %w", err)
	}
	return len(ids), nil
}

// QueueCheckpoint puts the audit chain's head in the outbox when it moved
// since the last checkpoint, and reports whether it did.
func (s *Store) QueueCheckpoint(ctx context.Context, at time.Time) (bool, error) {
	queued := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		queued = false
		m := tx.Bucket(bMeta)
		var head kiosk.AuditHead
		if v := m.Get(kAuditHead); v != nil {
			if err := json.Unmarshal(v, &head); err != nil {
				return fmt.Errorf("audit head: %v: %w", err, ErrCorrupt)
			}
		}
		last, _ := strconv.ParseUint(string(m.Get(kCheckpoint)), 10, 64)
		if head.Seq == 0 || head.Seq == last {
			return nil
		}
		e := kiosk.OutboxEntry{Type: kiosk.OutboxCheckpoint, RecordID: fmt.Sprintf("audit-%d-%s", head.Seq, head.Hash[:16]),
			Queued: at, Audit: &head}
		if err := putOutbox(tx, e); err != nil {
			return err
		}
		queued = true
		return m.Put(kCheckpoint, []byte(strconv.FormatUint(head.Seq, 10)))
	})
	if err != nil {
		return false, fmt.Errorf("queue audit checkpoint: %w", err)
	}
	return queued, nil
}

// RejectedLen returns how many outbox entries the central refused for good.
func (s *Store) RejectedLen(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bRejects).Stats().KeyN
		return nil
	})
	return n, err
}

// Ping runs an empty write through the group commit: it returns once a
// transaction has been committed and synced, proving the store still
// commits (for the watchdog).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.update(ctx, func(tx *bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("store ping: %w", err)
	}
	return nil
}
