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
// The officers' work on a report (kiosk/officer.go) follows the same rule:
// who and when of each note, information request and identity check, and
// who reviewed the report, stay in clear; the texts of the notes and
// requests and the numbers of the documents checked are sealed together,
// with "staff:<UUID>" as additional data. The retention purge deletes the
// document numbers with the reporter's details; the notes stay.
//
// The partnership team's records follow the same rule, more strictly: of an
// issue the raiser (name, phone) and every free text (description,
// analysis, action texts, assessment, history notes) are sealed, of a
// meeting the attendees and decisions, with "cppt:<UUID>" and
// "meeting:<UUID>" as additional data. Category, settlement, landmark,
// status, priority, times and the responsible members' names stay in
// clear.
//
// # Layout
//
//	meta             schema, time floor, audit head, key check
//	reports          registration number -> record (sequential keys, dense pages)
//	ids              record UUID -> registration number
//	seq              "<kiosk>-<YY>" -> last sequence issued
//	outbox           big-endian sequence -> kiosk.OutboxEntry
//	audit            big-endian sequence -> kiosk.AuditEntry
//	report_weeks     "<YYYY-Www>/<category>" -> big-endian count of reports
//	report_index     creation time (8 bytes big-endian, sign flipped) + registration
//	                 number -> binary kiosk.ReportSummary (the officer's list)
//	cppt_issues      big-endian insertion sequence -> issue record
//	cppt_index       same key -> binary kiosk.IssueSummary (lists, charts, board)
//	cppt_keys        "i/<UUID>" and "n/<issue number>" -> issue key,
//	                 "m/<UUID>" -> meeting key, "o/<UUID>" -> pending CPPT outbox key
//	cppt_seq         "<CPC>-<YY>" -> last issue sequence issued
//	cppt_meetings    meeting date (big-endian, sign flipped) + UUID -> meeting record
//	cppt_outbox      big-endian sequence -> kiosk.OutboxEntry (cppt_issue, cppt_meeting)
//
// Buckets added after the first release of schema 1 (outbox_rejected,
// users, report_weeks, report_index and the cppt_ ones) are created by Open
// in a file that lacks them; report_weeks and report_index are then filled
// from the stored reports in the same transaction.
//
// # Queries
//
// Lists of CPPT issues, their charts and the public board read only the
// summary index, which the store also keeps decoded in memory (dropped by
// every issue write, reloaded by the next read), so they never decode or
// decrypt a record. Reports per category per week come from the
// report_weeks counters, which CreateReport (and a category correction in
// UpdateReport) keeps in the report's own transaction.
//
// The officer's list of reports reads only report_index, whose entry every
// write of a report (create, update, the relay's marks and the purge) puts
// in its own transaction. The store keeps it decoded in memory as well, 32
// bytes a report with the small strings (centre, category, status,
// decision, language) interned, and patches that copy right after each
// commit, in the committer and in commit order, rather than dropping it, so
// that a list of 50,000 reports is a walk of a slice, newest first, bounded
// by binary search on the creation days.
//
// # CPPT outbox
//
// Every issue or meeting write leaves one pending entry for its record in
// cppt_outbox, replacing the entry of an earlier change not yet delivered.
// It is apart from the reports' outbox. The relay reads it with
// CPPTPending (each entry with its record, in one transaction: the entry's
// sequence is the version of the record it sends) and settles the
// central's answers with SettleCPPT; the sequence of cppt_outbox must
// therefore only ever grow (docs/relay.md "CPPT records").
package store
