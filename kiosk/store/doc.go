// Package store keeps the kiosk's records in a bbolt file. It is the only
// package that imports bbolt.
//
// # Durability
//
// Every write is one bbolt transaction that is fsynced before the caller is
// told it succeeded. Concurrent writes are grouped by a committer goroutine:
// whatever queued while the previous commit was syncing goes into the next
// transaction, so eight clients share one fsync instead of waiting for eight,
// and a lone client never waits for a timer. A write that fails in a group is
// retried alone, so one bad write never fails its neighbours.
//
// A new database is initialised under a temporary name, synced and renamed
// into place, because bbolt's own first initialisation is not power-cut safe.
// A file that is not a valid database (or of an unknown or newer schema) is
// never modified: Open refuses with an error that names the file and says
// what to do.
//
// # Personal data
//
// The reporter's name, phone, ID number and address and the incident
// description are sealed with AES-256-GCM under a key kept in its own 0600
// file (keys/data.key), with the record's UUID as additional data. Everything
// else (number, category, status, history, times) stays in clear so that it
// can be queried and relayed.
//
// # Layout
//
//	meta     schema, time floor, audit head, key check
//	reports  registration number -> record (sequential keys, dense pages)
//	ids      record UUID -> registration number
//	seq      "<kiosk>-<YY>" -> last sequence issued
//	outbox   big-endian sequence -> kiosk.OutboxEntry
//	audit    big-endian sequence -> kiosk.AuditEntry
package store
