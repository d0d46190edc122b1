#!/bin/sh
# Prepare a CUPS queue for the printer/cups tests, on Debian, as root.
# It installs no package: cups, cups-client and cups-bsd must be there
# already. It starts cupsd if it is not running and creates the raw queue
# cpc-test (override with CPC_CUPS_QUEUE) whose device is a file, by default
# /tmp/cpc-cups/out.pdf (override with CPC_CUPS_OUT). The file is written by
# the tiny backend cpcfile-backend.sh beside this script, copied to
# /usr/lib/cups/backend/cpcfile: on Debian 12 (CUPS 2.4.2) the scheduler's
# own file: device (FileDevice Yes) accepts and "completes" jobs on a raw
# queue without writing them. Safe to run again.
set -eu
QUEUE=${CPC_CUPS_QUEUE:-cpc-test}
OUT=${CPC_CUPS_OUT:-/tmp/cpc-cups/out.pdf}

[ "$(id -u)" = 0 ] || { echo "setup-cups.sh: run as root" >&2; exit 1; }
command -v cupsd >/dev/null || { echo "setup-cups.sh: cupsd missing (apt-get install -y cups cups-client cups-bsd)" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
BACKEND=/usr/lib/cups/backend/cpcfile
if ! cmp -s "$HERE/cpcfile-backend.sh" "$BACKEND"; then
	install -m 0755 "$HERE/cpcfile-backend.sh" "$BACKEND"
	RESTART=1 # cupsd lists backends at start
fi

mkdir -p "$(dirname "$OUT")"
# The scheduler writes the file as its unprivileged user (lp).
chmod 0777 "$(dirname "$OUT")"

if [ -n "${RESTART:-}" ] && pgrep -x cupsd >/dev/null; then
	kill "$(pgrep -x cupsd)"
	i=0
	while pgrep -x cupsd >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
if ! pgrep -x cupsd >/dev/null; then
	cupsd # daemonises; with systemd, "systemctl start cups" does the same
fi
i=0
until lpstat -r 2>/dev/null | grep -q 'is running'; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "setup-cups.sh: cupsd did not start" >&2; exit 1; }
	sleep 0.1
done

# A raw queue passes the PDF through unchanged (lpadmin warns that raw
# queues are deprecated; they still work in CUPS 2.4).
lpadmin -p "$QUEUE" -E -v "cpcfile:$OUT" -m raw 2>/dev/null || lpadmin -p "$QUEUE" -E -v "cpcfile:$OUT"
cupsenable "$QUEUE"
cupsaccept "$QUEUE"
echo "setup-cups.sh: queue $QUEUE prints to $OUT"
