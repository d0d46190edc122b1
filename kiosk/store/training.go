package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// Training mode. The records of training mode live in a database of their
// own (kioskd opens DATA/training/kiosk.db with Options.Training), made by
// this same code, so they can never mix with the real ones:
//
//   - a training database is marked in its meta bucket when it is created,
//     and Open refuses a file whose mark does not match Options.Training;
//   - CreateReport of a training store takes only T-series numbers
//     (kiosk.Number.Training) and that of the real store never takes one;
//   - the relay worker is only ever given the real store.
//
// The real store keeps whether training mode is on (TrainingState), so a
// restart comes back in the same mode.

var (
	kTrainingMark  = []byte("training")       // in meta of a training database
	kTrainingState = []byte("training_state") // in meta of the real database
)

// ErrWrongKind: a training database opened as the real one or the reverse,
// or a record of one series given to the store of the other.
var ErrWrongKind = errors.New("training and real records may not be mixed")

func (s *Store) checkTrainingMark(marked bool) error {
	switch {
	case marked && !s.training:
		return fmt.Errorf("open store %s: this is a training database, not the kiosk's real one: %w", s.path, ErrWrongKind)
	case !marked && s.training:
		return fmt.Errorf("open store %s: this is not a training database: %w", s.path, ErrWrongKind)
	}
	return nil
}

func (s *Store) seriesError(n kiosk.Number) error {
	if s.training {
		return fmt.Errorf("the training database takes only training numbers, not %s: %w", n, ErrWrongKind)
	}
	return fmt.Errorf("the real database takes no training number (%s): %w", n, ErrWrongKind)
}

// number is the record's registration number.
func (rec *record) number() kiosk.Number {
	return kiosk.Number{CPC: rec.CPC, Kiosk: rec.Kiosk, Year: rec.Year, Seq: rec.Seq, Training: rec.Training}
}

// Training reports whether this is the database of training mode.
func (s *Store) Training() bool { return s.training }

// TrainingState returns whether training mode is on, as the real store
// recorded it (off when never set).
func (s *Store) TrainingState(ctx context.Context) (kiosk.TrainingState, error) {
	var st kiosk.TrainingState
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(kTrainingState)
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &st); err != nil {
			return fmt.Errorf("%v: %w", err, ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return kiosk.TrainingState{}, fmt.Errorf("read training state: %w", err)
	}
	return st, nil
}

// SetTrainingState records st with its audit entry in one durable
// transaction of the real store.
func (s *Store) SetTrainingState(ctx context.Context, st kiosk.TrainingState, audit kiosk.AuditEntry) error {
	if s.training {
		return fmt.Errorf("set training state: in the training database: %w", ErrWrongKind)
	}
	v, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("set training state: %w", err)
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if err := tx.Bucket(bMeta).Put(kTrainingState, v); err != nil {
			return err
		}
		if err := raiseFloor(tx, audit.At); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("set training state: %w", err)
	}
	return nil
}

// RecordCounts returns how many reports, CPPT issues and CPPT meetings the
// store holds (what ending training mode wipes).
func (s *Store) RecordCounts(ctx context.Context) (reports, issues, meetings int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		reports = tx.Bucket(bReports).Stats().KeyN
		issues = tx.Bucket(bCPPTIssues).Stats().KeyN
		meetings = tx.Bucket(bCPPTMeetings).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count records: %w", err)
	}
	return reports, issues, meetings, nil
}
