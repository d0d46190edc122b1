package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// job is a print job as stored: the access code sealed, and only while the
// receipt is not yet printed.
type job struct {
	kiosk.PrintJob
	Sealed []byte `json:"sealed,omitempty"`
}

func jobAD(id uint64) []byte { return append([]byte("print-job:"), seqKey(id)...) }

// putJob writes j (giving it an ID when it has none) and keeps the pending
// index in step with its state.
func (s *Store) putJob(tx *bolt.Tx, j *kiosk.PrintJob) error {
	b := tx.Bucket(bPrint)
	b.FillPercent = 0.9
	if j.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		j.ID = id
	}
	if j.State == "" {
		j.State = kiosk.JobQueued
	}
	rec := job{PrintJob: *j}
	if j.State != kiosk.JobPrinted && j.AccessCode != "" {
		sealed, err := s.seal.seal([]byte(j.AccessCode), jobAD(j.ID))
		if err != nil {
			return err
		}
		rec.Sealed = sealed
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := b.Put(seqKey(j.ID), v); err != nil {
		return err
	}
	pending := tx.Bucket(bPending)
	if j.State == kiosk.JobPrinted {
		return pending.Delete(seqKey(j.ID))
	}
	return pending.Put(seqKey(j.ID), nil)
}

func (s *Store) getJob(tx *bolt.Tx, id uint64) (kiosk.PrintJob, error) {
	v := tx.Bucket(bPrint).Get(seqKey(id))
	if v == nil {
		return kiosk.PrintJob{}, fmt.Errorf("print job %d: %w", id, kiosk.ErrNotFound)
	}
	var rec job
	if err := json.Unmarshal(v, &rec); err != nil {
		return kiosk.PrintJob{}, fmt.Errorf("print job %d: %v: %w", id, err, ErrCorrupt)
	}
	if len(rec.Sealed) > 0 {
		code, err := s.seal.open(rec.Sealed, jobAD(id))
		if err != nil {
			return kiosk.PrintJob{}, fmt.Errorf("print job %d: %w", id, err)
		}
		rec.AccessCode = string(code)
	}
	return rec.PrintJob, nil
}

// QueuePrintJob implements kiosk.Store.
func (s *Store) QueuePrintJob(ctx context.Context, j *kiosk.PrintJob, audit kiosk.AuditEntry) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bIDs).Get([]byte(j.ReportID)) == nil {
			return fmt.Errorf("report %s: %w", j.ReportID, kiosk.ErrNotFound)
		}
		j.ID = 0 // a rerun of this function must not reuse a rolled-back id
		if err := s.putJob(tx, j); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("queue print job: %w", err)
	}
	return nil
}

// PendingPrintJobs implements kiosk.PrintStore.
func (s *Store) PendingPrintJobs(ctx context.Context) ([]kiosk.PrintJob, error) {
	var out []kiosk.PrintJob
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bPending).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			j, err := s.getJob(tx, beUint(k))
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read print queue: %w", err)
	}
	return out, nil
}

// PrintJob returns one job.
func (s *Store) PrintJob(ctx context.Context, id uint64) (kiosk.PrintJob, error) {
	var j kiosk.PrintJob
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		j, err = s.getJob(tx, id)
		return err
	})
	return j, err
}

// UpdatePrintJob implements kiosk.PrintStore. A printed job's access code is
// wiped: from then on it exists nowhere in clear.
func (s *Store) UpdatePrintJob(ctx context.Context, j kiosk.PrintJob) error {
	if j.State == kiosk.JobPrinted {
		j.AccessCode = ""
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bPrint).Get(seqKey(j.ID)) == nil {
			return fmt.Errorf("print job %d: %w", j.ID, kiosk.ErrNotFound)
		}
		return s.putJob(tx, &j)
	})
	if err != nil {
		return fmt.Errorf("update print job %d: %w", j.ID, err)
	}
	return nil
}

func beUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}
