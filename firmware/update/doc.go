// Package update installs signed releases of the kiosk software into one of
// two slots and keeps the board bootable through failed releases and power
// cuts. kioskctl's verb `update` (Run) is its command line. FORMAT.md
// describes the files byte by byte.
//
// # Keys
//
// A root key (kept offline) certifies release keys for a time: a release
// certificate is the root's ed25519 signature over the release public key,
// a name, not-before and not-after (Cert, IssueCert). Boards trust the root
// public key only (DefaultTrustFile; several keys while one is replaced).
//
// # Bundles
//
// A bundle is one tar file, gzipped or not: manifest.json (format, version,
// min_version, arch, created, and name, SHA-256, size and mode of each file),
// manifest.sig (the release key's signature over the manifest's exact bytes,
// domain-separated), release.cert, and the files under files/. Verify checks,
// before anything is written: the certificate against the roots and its
// validity at the injected clock's now, the signature, the manifest's names
// (no absolute paths, no "..", no duplicates), its size bounds (Limits), and
// every file's size and hash. The Updater then checks the architecture and
// the versions: dotted numbers (CompareVersions), strictly newer than the
// active one, and the active one at least min_version.
//
// # Slots
//
// The root (DefaultRoot, /opt/cpc-kiosk) holds two slots, a and b, each a
// directory of a release's files with its manifest.json; a symlink current
// names the active slot; state.json records the last update (State).
// Bootable means: every file of the slot matches its manifest (VerifySlot).
//
// # Applying
//
// Updater.Apply verifies the bundle, takes the root's lock (an flock on the
// root directory, released by the kernel when the updater dies), finishes any
// interrupted update (recover, below), checks versions and disk space, and
// waits while the kiosk is busy (BusyChecker: kioskd's GET /busy on its
// control socket). Then, in this order, each step durable before the next:
//
//  1. remove the inactive slot (rename to a *.tmp-* name, then delete);
//  2. write the files into DIR/<slot>.tmp-*, hashing every byte written,
//     fsync every file and directory, re-verify, rename to DIR/<slot>;
//  3. write state.json: phase "probation", the deadline, both versions;
//  4. point current at the new slot (a new symlink renamed over it);
//  5. restart kioskd (Restarter) and poll its health (HealthChecker) until
//     it reports the new version or the probation time ends;
//  6. on success, phase "confirmed"; on failure, point current back,
//     restart again and record phase "rolled_back" with the reason
//     (ErrProbation).
//
// The busy check is repeated just before step 3, since writing takes time.
//
// With RefuseFailed (kioskctl's -refuse-failed, which the unattended updater
// of firmware/board uses for the releases kioskd downloads from the central)
// a bundle whose version state.json records as the last failed one is
// refused with ErrFailedBefore, after recover has run, so that a probation
// cut off by a power cut counts too.
//
// # Power cuts and recover
//
// Updater.Recover runs at boot before kioskd (systemd ExecStartPre). With the
// lock free, no updater is running, so an update still on probation can never
// be confirmed: it is rolled back. Leftover *.tmp-* entries are deleted. If
// current is missing, dangling, or names a slot that does not verify (a torn
// write), current is pointed at a slot that does, the newest of them. While
// an updater holds the lock, Recover changes nothing (ErrInProgress), which
// is the case when the updater's own restart of kioskd runs ExecStartPre.
//
// # Seams
//
// The clock (Clock), the restart (Restarter), the health check
// (HealthChecker) and the busy check (BusyChecker) are fields of Updater;
// package updatetest has fakes. Updater.OnStep is called after every step
// that changes the root, which tests use to kill the updater at each one.
package update
