// Package central is the reference central system (DESIGN 3.4): the server
// kiosks enrol with, relay their reports to and pull status changes from,
// with an operator API and pages, and the public verification of printed
// extracts.
//
// # Data directory
//
//	DIR/central.db        bbolt: devices, tokens, reports, the update feeds, conflicts
//	DIR/keys/central.key  ed25519 signing key, PEM "PRIVATE KEY" PKCS #8, 0600
//	DIR/keys/central.pub  its public key (extract.EncodePublicKey), the anchor for extracts
//	DIR/keys/box.key      X25519 key the kiosks seal personal data to (relay.LoadOrCreateBoxKey)
//	DIR/releases/         published update bundles, NAME.bundle and its record NAME.json
//
// Personal data stays sealed to the box key at rest: the central stores the
// sealed bytes as received and opens them only to reseal them for a kiosk.
//
// # Device API
//
// The central side of the protocol in package relay: every request is signed
// by the device key and checked in a fixed order (headers, known device,
// signature over the body bytes as received, revocation, time window and
// server start, nonce); every reply carries the central's time and is signed
// over the request's nonce, the status and the body. A batch is committed in
// one transaction before it is acknowledged, record by record.
//
// # Releases
//
// Operators publish signed update bundles (Publish; verified against
// Options.UpdateTrust when set). An updates reply offers a kiosk the newest
// release for its architecture that is newer than the version its health
// reports; relay.PathRelease serves the bundle's bytes from an offset, so a
// cut download resumes. Those bytes are the one device reply that is not
// signed: the signed offer's size and SHA-256 vouch for them.
//
// # Operator API and pages
//
// /api/v1/... with a bearer token, /operator for people (session cookie and
// CSRF token), and the public /api/v1/verify and /verify.
package central
