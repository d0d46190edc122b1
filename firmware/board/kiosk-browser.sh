#!/bin/bash
# kiosk-browser.sh: the client cage runs on the kiosk's screen
# (cpc-kiosk-browser.service). Installed as /usr/local/lib/cpc-kiosk/kiosk-browser.sh.
#
# 1. Waits until kioskd answers GET /healthz. Any HTTP answer counts: kioskd
#    serves (the citizen's pages or the setup screen) and the page itself says
#    what is wrong. The probe uses bash's /dev/tcp, so the board needs neither
#    curl nor wget; it speaks plain HTTP to a loopback address only.
# 2. Wipes Chromium's profile, so nothing of the last citizen survives a
#    restart of the browser or of the board.
# 3. Execs Chromium in kiosk mode on the kiosk's URL, natively on Wayland.
#
# Environment (all optional; the defaults are the board's):
#   CPC_KIOSK_URL        the page to show (default http://127.0.0.1:8080/); plain http only
#   CPC_BROWSER_DIR      where the profile lives (default $RUNTIME_DIRECTORY, the unit's
#                        tmpfs /run/cpc-kiosk-browser, else $XDG_RUNTIME_DIR/cpc-kiosk-browser)
#   CPC_BROWSER_POLL     seconds between probes (default 1)
#   CPC_BROWSER_TIMEOUT  seconds a probe waits for an answer (default 3)
#   CHROMIUM             the browser (default chromium, else chromium-browser, from PATH)
set -eu

url=${CPC_KIOSK_URL:-http://127.0.0.1:8080/}
poll=${CPC_BROWSER_POLL:-1}
timeout=${CPC_BROWSER_TIMEOUT:-3}

log() { printf 'kiosk-browser: %s\n' "$*" >&2; }

# host and port of the URL: http://HOST[:PORT]/...
case $url in
http://*) ;;
*)
	log "CPC_KIOSK_URL must be an http:// URL, not $url"
	exit 2
	;;
esac
hostport=${url#http://}
hostport=${hostport%%/*}
host=${hostport%%:*}
port=80
if [ "$host" != "$hostport" ]; then
	port=${hostport#*:}
fi

# probe answers 0 when an HTTP server answers GET /healthz on host:port.
probe() {
	local status=""
	# A refused connection fails at once; on loopback nothing else can happen.
	if ! exec 3<>"/dev/tcp/$host/$port"; then
		return 1
	fi
	# One write (bash line-buffers printf); a server that hangs up early
	# makes it fail with EPIPE, not kill the script (SIGPIPE is ignored).
	printf '%s' "GET /healthz HTTP/1.0"$'\r\n'"Host: $hostport"$'\r\n'"Connection: close"$'\r\n\r\n' >&3 || true
	IFS= read -r -t "$timeout" status <&3 || true
	exec 3<&- 3>&-
	case $status in
	HTTP/1.[01]\ [1-5][0-9][0-9]*) return 0 ;;
	esac
	return 1
}

trap '' PIPE
waited=0
until probe 2>/dev/null; do
	if [ $((waited % 30)) -eq 0 ]; then
		log "waiting for kioskd at http://$hostport/healthz"
	fi
	waited=$((waited + 1))
	sleep "$poll"
done
log "kioskd answers; starting the browser on $url"

base=${CPC_BROWSER_DIR:-${RUNTIME_DIRECTORY:-${XDG_RUNTIME_DIR:-/tmp}/cpc-kiosk-browser}}
# Always a subdirectory: whatever the environment says, rm -rf never sees "/".
profile="$base/chromium"
rm -rf -- "$profile"
umask 077
mkdir -p -- "$profile/home"
# Chromium and the libraries under it write to $HOME and XDG directories too.
export HOME="$profile/home"
export XDG_CONFIG_HOME="$profile/home/.config"
export XDG_CACHE_HOME="$profile/home/.cache"

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
	for b in chromium chromium-browser; do
		if command -v "$b" >/dev/null; then
			browser=$b
			break
		fi
	done
fi
if [ -z "$browser" ]; then
	log "no chromium or chromium-browser in PATH ($PATH)"
	exit 127
fi

flags=(
	--kiosk
	--ozone-platform=wayland
	--user-data-dir="$profile/data"
	--disk-cache-size=16777216
	--noerrdialogs
	--disable-infobars
	--no-first-run
	--no-default-browser-check
	--disable-pinch
	--overscroll-history-navigation=0
	"--disable-features=TranslateUI,Translate"
	--check-for-update-interval=31536000
	--disable-background-networking
	--disable-component-update
	--disable-sync
	--password-store=basic
)
trap - PIPE
exec "$browser" "${flags[@]}" "$url"
