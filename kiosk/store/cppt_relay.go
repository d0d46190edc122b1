package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
)

// CPPTPending returns up to limit pending CPPT outbox entries, oldest
// first, each with its record read in the same transaction: the state the
// change that queued the entry wrote (any later change would have replaced
// the entry). The relay sends that state as version Entry.Seq of the
// record, so one version always names one content. An entry whose record
// is missing comes back with a nil Issue and Meeting; an entry of an
// unknown type is returned as it is, for the relay to settle.
func (s *Store) CPPTPending(ctx context.Context, limit int) ([]kiosk.CPPTPending, error) {
	var out []kiosk.CPPTPending
	err := s.db.View(func(tx *bolt.Tx) error {
		keys, meetings := tx.Bucket(bCPPTKeys), tx.Bucket(bCPPTMeetings)
		c := tx.Bucket(bCPPTOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var p kiosk.CPPTPending
			if err := json.Unmarshal(v, &p.Entry); err != nil {
				return fmt.Errorf("cppt outbox entry %x: %v: %w", k, err, ErrCorrupt)
			}
			switch p.Entry.Type {
			case kiosk.OutboxCPPTIssue:
				if key := keys.Get(issueIDKey(p.Entry.RecordID)); key != nil {
					i, err := s.issueAt(tx, key)
					if err != nil {
						return err
					}
					p.Issue = i
				}
			case kiosk.OutboxCPPTMeeting:
				if key := keys.Get(meetingIDKey(p.Entry.RecordID)); key != nil {
					b := meetings.Get(key)
					if b == nil {
						return fmt.Errorf("meeting index points at missing %x: %w", key, ErrCorrupt)
					}
					m, err := s.decodeMeeting(b)
					if err != nil {
						return err
					}
					p.Meeting = m
				}
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cppt outbox: %w", err)
	}
	return out, nil
}
