package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

var bUsers = []byte("users")

var _ kiosk.UserStore = (*Store)(nil)

// User implements kiosk.UserStore.
func (s *Store) User(ctx context.Context, username string) (*kiosk.User, error) {
	var u *kiosk.User
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bUsers).Get([]byte(username))
		if v == nil {
			return kiosk.ErrNotFound
		}
		u = new(kiosk.User)
		if err := json.Unmarshal(v, u); err != nil {
			return fmt.Errorf("user %s: %v: %w", username, err, ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}

// Users implements kiosk.UserStore.
func (s *Store) Users(ctx context.Context) ([]kiosk.User, error) {
	var out []kiosk.User
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
			var u kiosk.User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("user %s: %v: %w", k, err, ErrCorrupt)
			}
			out = append(out, u)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// PutUser implements kiosk.UserStore.
func (s *Store) PutUser(ctx context.Context, u *kiosk.User, create bool, audit kiosk.AuditEntry) error {
	v, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("put user: %w", err)
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		if create && b.Get([]byte(u.Username)) != nil {
			return fmt.Errorf("user %s: %w", u.Username, kiosk.ErrExists)
		}
		if err := b.Put([]byte(u.Username), v); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("put user: %w", err)
	}
	return nil
}
