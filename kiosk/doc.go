// Package kiosk is the domain of the CPC Kiosk appliance: citizens' reports,
// their categories and statuses, registration numbers and access codes, the
// trusted clock, the hash-chained audit trail and the outbox of records
// waiting for the central system.
//
// # Boundaries
//
// kiosk imports no project package, no gin and no bbolt. It declares the
// interfaces the edges implement (Store, Clock) and the sentinel errors they
// return; storage, the HTTP API, printers and the relay live in other packages
// and import this one, never the reverse.
//
// # Numbers
//
// A registration number is <CPC><K>-<YY>-<NNNNNN>-<C>, for example
// ISF1-26-000123-4: the centre's three letters, the kiosk digit, the year of
// creation from the trusted clock, a per-kiosk per-year sequence and a Damm
// check digit over the digits K, YY and NNNNNN. The sequence is allocated by
// the Store in the same transaction that commits the report, so a number is
// never issued twice.
//
// # Officer console
//
// Officer (officer.go) is what an officer of the CPC does with the reports:
// a list newest first with filters (ReportFilter, answered by the store's
// index without decoding a report), details without personal data, the
// reporter and description only after a stated reason (audited as
// report.view_personal with it), internal notes, "reviewed", requests to
// the citizen for more information (shown at their status check), reports
// filed for walk-in citizens, a receipt reissued with a new access code and
// an extract printed for a participant after an identity document was
// checked (its number sealed, never audited). Only the officer role may use
// it, and every write is audited with the officer's username in the
// transaction of the change.
//
// # Partnership team
//
// The Community Policing Partnership Team keeps an issue log (CPPTIssue)
// with a SARA record (analysis, actions with a responsible member and a due
// day, an assessment when it ends) and its meetings. The CPPT service lets
// only the cppt and admin roles write, audits every write in the same
// transaction and numbers issues <CPC>-P-<YY>-<NNNN> per centre and year.
// Statuses go open → in progress → resolved or closed; an ended issue is
// read-only until reopened (to in progress, with a reason). PublicView and
// PublicBoard are what may be shown without login.
//
// # Time
//
// The board has no real-time clock. TrustedClock never goes below a persisted
// time floor and marks what it stamps as unsynchronised until a trusted source
// (NTP or the central) confirms the time.
package kiosk
