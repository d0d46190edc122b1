// Package ui is the kiosk's HTTP face: the JSON API of DESIGN 3.3 (and, in
// later work, the touch pages), served with gin. It is the only package that
// imports gin. Handlers translate requests into calls on the kiosk domain and
// domain errors into replies; they hold no business rules of their own.
//
// # Errors
//
// Every error reply is {"error":{"code":…,"message":…,"field":…}} with a
// stable code. Bad input is always a 4xx, never a 500: malformed JSON,
// unknown fields, wrong types, invalid UTF-8 and control characters are 400,
// a body over 64 KiB is 413, a body that is not JSON is 415, too many wrong
// access codes is 429 and a store that cannot commit is 503.
package ui
