#!/bin/sh
# CUPS backend "cpcfile" for the printer/cups tests: writes each job to the
# file named by its device URI (cpcfile:/path/out.pdf), atomically, so a test
# polling the file never sees half a job. setup-cups.sh installs it as
# /usr/lib/cups/backend/cpcfile. (The scheduler's own file: device completes
# jobs on a raw queue without writing them on Debian 12's CUPS 2.4.2.)
if [ $# -eq 0 ]; then
	echo 'direct cpcfile "Unknown" "CPC Kiosk test file device"'
	exit 0
fi
out=${DEVICE_URI#cpcfile:}
tmp="$out.tmp.$$"
if [ -n "${6:-}" ]; then cat "$6" >"$tmp"; else cat >"$tmp"; fi || exit 1 # CUPS_BACKEND_FAILED
mv "$tmp" "$out" || exit 1
exit 0
