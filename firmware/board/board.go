// Package board holds the files that turn a Raspberry-Pi-class board with
// Debian 12 or Raspberry Pi OS Lite into a CPC kiosk: the systemd units of
// kioskd (sandboxed, watchdog, restarted forever) and of the kiosk screen
// (cage and Chromium on tty1), the browser launcher, the updater's
// boot-time recovery script, the path unit, service and script that install
// as root the updates kioskd downloads from the central, Chromium's managed
// policy, the receipt
// printer's udev rule, journald's limits, an example kioskd.json, and
// install.sh, which puts them all in place and can be run again safely.
// README.md in this directory says where each file goes.
//
// Files embeds them, so that a Go program (an installer, the updater) can
// ship them. The tests check them with the real tools: systemd-analyze,
// shellcheck, a dry run of install.sh into a temporary root, and the
// launcher against a fake kioskd.
package board

import "embed"

// Files are the board files, by their paths in this directory.
//
//go:embed README.md install.sh kiosk-browser.sh recover.sh apply-update.sh kioskd.json.example systemd udev journald chromium
var Files embed.FS

// Names and places on the board that the files agree on (the tests check).
const (
	KioskdUnit  = "cpc-kioskd.service"
	BrowserUnit = "cpc-kiosk-browser.service"
	// UpdatePath starts UpdateService, which installs as root what kioskd
	// downloaded from the central, when ReadyFile appears.
	UpdatePath    = "cpc-kiosk-update.path"
	UpdateService = "cpc-kiosk-update.service"
	ReadyFile     = DataDir + "/updates/ready"
	// KioskdAlias is the name the updater's default restart command
	// (`systemctl restart kioskd`) and the README use.
	KioskdAlias = "kioskd.service"
	// URL is the page Chromium shows: kioskd's default -listen.
	URL = "http://127.0.0.1:8080/"
	// DataDir is kioskd's data directory, which holds kioskd.json too.
	DataDir = "/var/lib/cpc-kiosk"
	// SlotRoot holds the release slots a and b and the current link
	// (firmware/update DefaultRoot).
	SlotRoot = "/opt/cpc-kiosk"
	// LibDir holds kiosk-browser.sh, recover.sh and apply-update.sh.
	LibDir = "/usr/local/lib/cpc-kiosk"
	// PrinterDevice is the receipt printer's stable name (udev rule).
	PrinterDevice = "/dev/cpc-printer"
	// ServiceUser runs kioskd; DisplayUser runs cage and Chromium.
	ServiceUser = "cpc-kiosk"
	DisplayUser = "cpc-display"
)
