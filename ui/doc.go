// Package ui is the kiosk's HTTP face, served with gin (the only package that
// imports it): the JSON API of DESIGN 3.3 (api.go) and the citizen's touch
// pages (pages.go: html/template, embedded assets, message catalogs in four
// languages, an on-screen keyboard of our own, server-side sessions with CSRF
// tokens and an idle wipe). Handlers translate requests into calls on the
// kiosk domain and domain errors into replies or sentences; they hold no
// business rules of their own.
//
// # Errors
//
// Every error reply is {"error":{"code":…,"message":…,"field":…}} with a
// stable code. Bad input is always a 4xx, never a 500: malformed JSON,
// unknown fields, wrong types, invalid UTF-8 and control characters are 400,
// a body over 64 KiB is 413, a body that is not JSON is 415, too many wrong
// access codes is 429 and a store that cannot commit is 503.
package ui
