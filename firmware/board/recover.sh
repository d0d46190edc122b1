#!/bin/bash
# recover.sh: the updater's boot-time recovery, run as root by cpc-kioskd.service
# (ExecStartPre=+) before every start of kioskd. Installed as
# /usr/local/lib/cpc-kiosk/recover.sh.
#
# `kioskctl update recover` rolls back an update cut off on probation and, when
# the `current` link is missing, dangling or names a torn slot, points it at a
# slot that verifies. Running it as /opt/cpc-kiosk/current/kioskctl would fail
# in exactly that last case, so this tries the kioskctl of `current`, then of
# slot a, then of slot b, and stops at the first that succeeds.
#
# It always exits 0: when nothing could recover the root, kioskd still gets
# its chance to start (and the journal says why it may not).
#
# Environment (for tests): CPC_KIOSK_ROOT (default /opt/cpc-kiosk).
set -u

root=${CPC_KIOSK_ROOT:-/opt/cpc-kiosk}

for slot in current a b; do
	kioskctl="$root/$slot/kioskctl"
	if [ ! -x "$kioskctl" ]; then
		continue
	fi
	if "$kioskctl" update recover -root "$root"; then
		exit 0
	fi
	echo "recover.sh: $kioskctl update recover failed (exit $?); trying the next slot" >&2
done
echo "recover.sh: no kioskctl in $root could recover it; starting kioskd anyway" >&2
exit 0
