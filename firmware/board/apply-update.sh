#!/bin/bash
# apply-update.sh: installs the update bundle kioskd downloaded from the
# central. Run as root by cpc-kiosk-update.service, which cpc-kiosk-update.path
# starts when kioskd writes /var/lib/cpc-kiosk/updates/ready. Installed as
# /usr/local/lib/cpc-kiosk/apply-update.sh.
#
# kioskd (sandboxed: it cannot write /opt) downloads the release the central
# offers into /var/lib/cpc-kiosk/updates, checks it against the signed offer
# and the update root key, and writes `ready`: the bundle's file name, one line.
# This script runs, in that directory,
#
#   /opt/cpc-kiosk/current/kioskctl update apply -refuse-failed -root /opt/cpc-kiosk \
#     -trust /etc/cpc-kiosk/update-root.pub -data /var/lib/cpc-kiosk BUNDLE
#
# which verifies the bundle again, waits while a citizen uses the kiosk, writes
# the inactive slot, restarts kioskd on probation and rolls back when the new
# version does not report healthy; with -refuse-failed it never tries a version
# that failed on this board before. The outcome is in /opt/cpc-kiosk/state.json.
# Afterwards, whatever the result, this script removes `ready` and the bundle
# (kioskd decides whether to hand it over again) and writes
# /opt/cpc-kiosk/apply-result: one line with the time, the bundle, kioskctl's
# exit code and its last line of output, which kioskd reports to the central.
#
# The updates directory belongs to kioskd's user, so nothing in it is trusted:
# the directory must not be a symlink, the bundle name must start with a letter
# or digit, go on with letters, digits and . _ + -, hold no "..", and name a
# regular file.
# Files there are removed relative to the directory this script entered, and
# root writes nothing there.
#
# Environment (for tests): CPC_KIOSK_ROOT (default /opt/cpc-kiosk),
# CPC_KIOSK_DATA (/var/lib/cpc-kiosk), CPC_KIOSK_TRUST
# (/etc/cpc-kiosk/update-root.pub), CPC_KIOSK_KIOSKCTL (ROOT/current/kioskctl),
# CPC_KIOSK_APPLY_FLAGS (more flags for kioskctl update apply, split at spaces,
# e.g. "-restart CMD -health URL").
set -u

root=${CPC_KIOSK_ROOT:-/opt/cpc-kiosk}
data=${CPC_KIOSK_DATA:-/var/lib/cpc-kiosk}
trust=${CPC_KIOSK_TRUST:-/etc/cpc-kiosk/update-root.pub}
kioskctl=${CPC_KIOSK_KIOSKCTL:-$root/current/kioskctl}
read -r -a extra <<<"${CPC_KIOSK_APPLY_FLAGS:-}"
updates=$data/updates

say() { printf 'apply-update.sh: %s\n' "$*" >&2; }

name=""    # the bundle, once its name passed the checks
code=""    # kioskctl's exit code, or "refused"
last=""    # the last line of kioskctl's output, or why nothing was tried
entered="" # set once the working directory is the updates directory

# finish removes `ready` and the bundle and records the result. It runs at
# the end, and at every other exit (the traps below): a `ready` left behind
# would start this service again at once.
finish() {
	if [ -n "$entered" ]; then
		rm -f -- ready
		[ -z "$name" ] || rm -f -- "$name"
	fi
	[ -n "$code" ] || return 0
	local tmp
	tmp=$(mktemp "$root/.apply-result.tmp-XXXXXX") || return 0
	last=$(printf '%s' "$last" | tr -d '\000-\037' | cut -c1-300)
	printf '%s %s exit %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${name:-?}" "$code" "$last" >"$tmp"
	chmod 0644 "$tmp"
	mv -f -- "$tmp" "$root/apply-result"
}
trap finish EXIT
trap 'exit 143' TERM INT HUP

refuse() {
	code=refused
	last=$*
	say "$*"
	exit 1
}

if [ -L "$updates" ] || [ ! -d "$updates" ]; then
	say "$updates is not a directory: nothing to do"
	exit 0
fi
cd -P -- "$updates" || exit 1
want=$(cd -P -- "$data" && pwd -P)/updates
[ "$(pwd -P)" = "$want" ] || refuse "$updates moved while this script entered it"
entered=1
if [ ! -e ready ] && [ ! -L ready ]; then
	say "no $updates/ready: nothing to do"
	exit 0
fi
if [ ! -f ready ] || [ -L ready ]; then
	refuse "$updates/ready is not a regular file"
fi
given=$(head -c 256 ready | head -n 1)
# A letter or digit first (no ".", no "-" that kioskctl would read as a flag),
# then letters, digits and . _ + -, never "..": no slash, nothing outside.
if [[ ! $given =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || [[ $given == *..* ]]; then
	refuse "bundle name \"$given\" refused"
fi
name=$given
if [ ! -f "$name" ] || [ -L "$name" ]; then
	refuse "$updates/$name is not a regular file"
fi

say "applying $updates/$name"
log=$(mktemp) || refuse "no temporary file"
code=interrupted
last="the update service was stopped while kioskctl ran"
"$kioskctl" update apply -refuse-failed -root "$root" -trust "$trust" -data "$data" "${extra[@]}" "$name" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
last=$(tail -n 1 "$log")
rm -f -- "$log"
say "kioskctl update apply exited $code"
trap - EXIT
finish
exit "$code"
