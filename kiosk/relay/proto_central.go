package relay

// HeaderPending is an optional, unsigned request header: the number of
// records waiting in the kiosk's outbox. The central shows it to operators
// as the device's backlog; it is advisory and never trusted for anything
// else.
const HeaderPending = "X-Cpc-Pending"
