#!/bin/bash
# install.sh: turns a fresh Debian 12 or Raspberry Pi OS Lite (bookworm) into
# a CPC kiosk: packages, users, the release in slot a, systemd units (with
# the watch that installs updates kioskd downloads from the central), the
# Chromium policy, the printer's udev rule, journald limits, the data
# directory. See README.md next to this script.
#
# Idempotent: a second run changes nothing and says so. It never overwrites
# an installed release (new releases come as signed bundles through
# `kioskctl update apply`), the kiosk's configuration, nor a trust file.
#
# Usage: install.sh [--root DIR] [--arch arm64|armv7|amd64] [--bin DIR]
#                   [--version V] [--config FILE] [--trust FILE]
#                   [--no-apt] [--no-systemctl]
#
#   --root DIR      install into DIR instead of / (an SD card image mounted at
#                   DIR, or a test): only places files. Implies --no-apt and
#                   --no-systemctl, creates no users and chowns nothing; systemd
#                   gives /var/lib/cpc-kiosk to cpc-kiosk at kioskd's first start
#                   (StateDirectory=), and the users must be made on the board
#                   (run install.sh there again, which then only adds them).
#   --arch A        the board's architecture (default from uname -m)
#   --bin DIR       where kioskd and kioskctl are (default: dist/linux-ARCH of the
#                   source tree this script is in, as `make cross` leaves them)
#   --version V     the version recorded for the first release in slot a
#                   (default 0, so that any signed release is newer)
#   --config FILE   kioskd's configuration, copied to /var/lib/cpc-kiosk/kioskd.json
#                   when that file does not exist yet (kioskd.json.example).
#                   Without it, the technician configures the kiosk on its
#                   screen (setup PIN) or puts the file there later.
#   --trust FILE    the update root public key, copied to
#                   /etc/cpc-kiosk/update-root.pub when that does not exist yet
#   --no-apt        install no packages (cage, chromium, fonts-dejavu-core)
#   --no-systemctl  do not reload, enable or restart anything
set -eu
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}
note() { printf 'install.sh: %s\n' "$*"; }
usage() {
	sed -n '/^# Usage:/,/^set -eu/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

root=""
arch=""
bin=""
version=0
config=""
trust=""
apt=1
sysctl=1
while [ $# -gt 0 ]; do
	case $1 in
	--root | --arch | --bin | --version | --config | --trust)
		[ $# -ge 2 ] || usage
		case $1 in
		--root) root=$2 ;;
		--arch) arch=$2 ;;
		--bin) bin=$2 ;;
		--version) version=$2 ;;
		--config) config=$2 ;;
		--trust) trust=$2 ;;
		esac
		shift 2
		;;
	--no-apt)
		apt=0
		shift
		;;
	--no-systemctl)
		sysctl=0
		shift
		;;
	-h | --help) usage ;;
	*)
		printf 'install.sh: unknown argument %s\n' "$1" >&2
		usage
		;;
	esac
done

users=1
if [ -n "$root" ]; then
	[ -d "$root" ] || die "--root $root: no such directory"
	root=$(cd "$root" && pwd)
	[ "$root" != / ] || root=""
fi
if [ -n "$root" ]; then
	apt=0
	sysctl=0
	users=0
elif [ "$(id -u)" -ne 0 ]; then
	die "run me as root (sudo), or with --root DIR to only place files"
fi

if [ -z "$arch" ]; then
	case $(uname -m) in
	aarch64 | arm64) arch=arm64 ;;
	armv7l | armv8l | armhf) arch=armv7 ;;
	x86_64) arch=amd64 ;;
	*) die "unknown machine $(uname -m): give --arch arm64, armv7 or amd64" ;;
	esac
fi
case $arch in
arm64) elf_machine=183 ;;
armv7) elf_machine=40 ;;
amd64) elf_machine=62 ;;
*) die "--arch $arch: want arm64, armv7 or amd64" ;;
esac
# The updater's version syntax (firmware/update FORMAT.md): 1 to 4 numbers.
[[ $version =~ ^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$ ]] || die "--version $version: want 1 to 4 dot-separated numbers, e.g. 1.4.2"
[ -n "$bin" ] || bin="$here/../../dist/linux-$arch"
[ -z "$config" ] || [ -f "$config" ] || die "--config $config: no such file"
[ -z "$trust" ] || [ -f "$trust" ] || die "--trust $trust: no such file"

changed=()     # files this run wrote, for the summary and the reloads
slots=$root/opt/cpc-kiosk
data=$root/var/lib/cpc-kiosk
libexec=$root/usr/local/lib/cpc-kiosk
units=$root/etc/systemd/system

# place SRC DST MODE: copy SRC to DST unless DST already has that content and
# mode. Written to a temporary name and renamed: a power cut leaves the old
# file or the new one.
place() {
	local src=$1 dst=$2 mode=$3
	if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst" && [ "$(stat -c %a "$dst")" = "${mode#0}" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$dst")"
	cp "$src" "$dst.tmp-install"
	chmod "$mode" "$dst.tmp-install"
	mv -f "$dst.tmp-install" "$dst"
	changed+=("${dst#"$root"}")
}

# place_once SRC DST MODE: copy SRC to DST only when DST does not exist.
place_once() {
	local src=$1 dst=$2 mode=$3
	if [ -e "$dst" ] || [ -L "$dst" ]; then
		if ! cmp -s "$src" "$dst"; then
			note "kept the existing ${dst#"$root"} (not replaced by $src)"
		fi
		return 0
	fi
	place "$src" "$dst" "$mode"
}

# link TARGET NAME: make NAME a symlink to TARGET unless it is one already.
link() {
	local target=$1 name=$2
	if [ -L "$name" ] && [ "$(readlink "$name")" = "$target" ]; then
		return 0
	fi
	[ ! -e "$name" ] || [ -L "$name" ] || die "${name#"$root"} exists and is not a symlink; move it away"
	mkdir -p "$(dirname "$name")"
	ln -sfn "$target" "$name.tmp-install"
	mv -Tf "$name.tmp-install" "$name"
	changed+=("${name#"$root"}")
}

# 1. Packages: the compositor, the browser and a font with every Tajik letter.
if [ "$apt" = 1 ]; then
	installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
	need=()
	for p in cage fonts-dejavu-core; do
		installed "$p" || need+=("$p")
	done
	# Debian calls it chromium; Raspberry Pi OS ships its build as chromium-browser
	# on some releases. Either will do (kiosk-browser.sh looks for both).
	if ! installed chromium && ! installed chromium-browser; then
		if apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
			need+=(chromium)
		else
			need+=(chromium-browser)
		fi
	fi
	if [ ${#need[@]} -gt 0 ]; then
		note "installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${need[@]}"
		changed+=("packages ${need[*]}")
	fi
fi

# 2. Users: cpc-kiosk runs kioskd, cpc-display runs cage and Chromium. System
# users without a password or a shell.
if [ "$users" = 1 ]; then
	for u in cpc-kiosk cpc-display; do
		if ! getent passwd "$u" >/dev/null; then
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin --comment "CPC Kiosk ($u)" "$u"
			changed+=("user $u")
		fi
	done
	# The display user opens the GPU and the touchscreen.
	for g in video render input; do
		if getent group "$g" >/dev/null && ! id -nG cpc-display | tr ' ' '\n' | grep -qx "$g"; then
			usermod -a -G "$g" cpc-display
			changed+=("cpc-display in group $g")
		fi
	done
fi

# 3. The release: slot a and the current link, only on a board that has none.
mkdir -p "$slots"
if [ -L "$slots/current" ] || [ -e "$slots/current" ]; then
	note "a release is installed ($(readlink "$slots/current" || echo "?")): left as it is; new releases: kioskctl update apply"
elif [ -e "$slots/a" ] || [ -e "$slots/b" ]; then
	note "$slots holds a slot but no current link: left as it is; kioskd's ExecStartPre (kioskctl update recover) picks the slot that verifies"
else
	for f in kioskd kioskctl; do
		[ -f "$bin/$f" ] || die "$bin/$f: not found (make cross, then --bin dist/linux-$arch)"
		if [ "$(head -c 4 "$bin/$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			m=$(od -An -tu2 -j18 -N2 "$bin/$f" | tr -d ' ')
			[ "$m" = "$elf_machine" ] || die "$bin/$f is not a $arch program (ELF machine $m)"
		fi
	done
	# While an updater runs it holds an flock on the root (firmware/update).
	exec 9<"$slots"
	flock -n 9 || die "$slots is locked: an update is running"
	tmp=$slots/a.tmp-install # a name `kioskctl update recover` deletes if we are cut off
	rm -rf "$tmp"
	mkdir "$tmp"
	entries=""
	for f in kioskd kioskctl; do
		cp "$bin/$f" "$tmp/$f"
		chmod 0755 "$tmp/$f"
		sum=$(sha256sum "$tmp/$f")
		entries="$entries${entries:+,
}    {\"name\": \"$f\", \"sha256\": \"${sum%% *}\", \"size\": $(stat -c %s "$tmp/$f"), \"mode\": \"0755\"}"
	done
	# The slot's manifest.json (FORMAT.md): what VerifySlot checks at every
	# boot. Unsigned: this release came with the board, not through an update.
	cat >"$tmp/manifest.json" <<-EOF
		{
		  "format": 1,
		  "version": "$version",
		  "arch": "$arch",
		  "created": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
		  "files": [
		$entries
		  ]
		}
	EOF
	chmod 0644 "$tmp/manifest.json"
	sync
	mv -T "$tmp" "$slots/a"
	link a "$slots/current"
	sync
	exec 9<&-
	changed+=("/opt/cpc-kiosk/a (version $version)")
fi

# 4. Board files.
place "$here/kiosk-browser.sh" "$libexec/kiosk-browser.sh" 0755
place "$here/recover.sh" "$libexec/recover.sh" 0755
place "$here/apply-update.sh" "$libexec/apply-update.sh" 0755
place "$here/systemd/cpc-kioskd.service" "$units/cpc-kioskd.service" 0644
place "$here/systemd/cpc-kiosk-browser.service" "$units/cpc-kiosk-browser.service" 0644
# Updates from the central: kioskd downloads, this path unit and service install.
place "$here/systemd/cpc-kiosk-update.service" "$units/cpc-kiosk-update.service" 0644
place "$here/systemd/cpc-kiosk-update.path" "$units/cpc-kiosk-update.path" 0644
# The alias `systemctl enable` makes too (Alias=), the same link: the updater
# restarts "kioskd", and so must a board whose units are not enabled yet.
link /etc/systemd/system/cpc-kioskd.service "$units/kioskd.service"
place "$here/chromium/policies/managed/cpc-kiosk.json" "$root/etc/chromium/policies/managed/cpc-kiosk.json" 0644
place "$here/udev/60-cpc-printer.rules" "$root/etc/udev/rules.d/60-cpc-printer.rules" 0644
place "$here/journald/cpc-kiosk.conf" "$root/etc/systemd/journald.conf.d/cpc-kiosk.conf" 0644
place "$here/README.md" "$root/usr/local/share/doc/cpc-kiosk/README.md" 0644
place "$here/kioskd.json.example" "$root/usr/local/share/doc/cpc-kiosk/kioskd.json.example" 0644
if [ -n "$trust" ]; then
	place_once "$trust" "$root/etc/cpc-kiosk/update-root.pub" 0644
fi

# 5. The data directory: 0700, kioskd's alone.
if [ ! -d "$data" ]; then
	mkdir -p "$(dirname "$data")"
	mkdir -m 0700 "$data"
	changed+=("/var/lib/cpc-kiosk")
fi
if [ "$(stat -c %a "$data")" != 700 ]; then
	chmod 0700 "$data"
	changed+=("/var/lib/cpc-kiosk mode 0700")
fi
# Recursively, as systemd's StateDirectory= does when the top is not kioskd's:
# a data directory made by hand for another user works after this.
if [ "$users" = 1 ] && [ "$(stat -c %U:%G "$data")" != cpc-kiosk:cpc-kiosk ]; then
	chown -R cpc-kiosk:cpc-kiosk "$data"
	changed+=("/var/lib/cpc-kiosk owner cpc-kiosk")
fi
if [ -n "$config" ]; then
	had=${#changed[@]}
	place_once "$config" "$data/kioskd.json" 0600
	if [ "$users" = 1 ] && [ ${#changed[@]} -gt "$had" ]; then
		chown cpc-kiosk:cpc-kiosk "$data/kioskd.json"
	fi
fi

# 6. systemd: reload what changed, enable the kiosk.
has() {
	local c
	for c in "${changed[@]}"; do
		case $c in "$1"*) return 0 ;; esac
	done
	return 1
}
if [ "$sysctl" = 1 ]; then
	if has /etc/systemd/system/; then
		systemctl daemon-reload
	fi
	for u in cpc-kioskd.service cpc-kiosk-browser.service cpc-kiosk-update.path; do
		if ! systemctl is-enabled -q "$u" 2>/dev/null; then
			systemctl enable "$u"
			changed+=("enabled $u")
		fi
	done
	# tty1 belongs to the kiosk screen (Conflicts= in its unit does it at run
	# time; this keeps getty from racing cage at boot).
	if systemctl is-enabled -q getty@tty1.service 2>/dev/null; then
		systemctl disable getty@tty1.service
		changed+=("disabled getty@tty1.service")
	fi
	if has /etc/systemd/journald.conf.d/; then
		systemctl restart systemd-journald.service
	fi
	if has /etc/udev/rules.d/; then
		udevadm control --reload
		udevadm trigger --subsystem-match=tty --action=add
	fi
	# Running services pick up what changed under them.
	if has /etc/systemd/system/cpc-kioskd.service || has /usr/local/lib/cpc-kiosk/recover.sh; then
		systemctl try-restart cpc-kioskd.service
	fi
	if has /etc/systemd/system/cpc-kiosk-browser.service || has /usr/local/lib/cpc-kiosk/kiosk-browser.sh || has /etc/chromium/; then
		systemctl try-restart cpc-kiosk-browser.service
	fi
	# The watch needs no reboot: it starts now (a running update is left alone).
	if has /etc/systemd/system/cpc-kiosk-update.path || has "enabled cpc-kiosk-update.path"; then
		systemctl restart cpc-kiosk-update.path
	fi
fi

if [ ${#changed[@]} -eq 0 ]; then
	note "nothing to change: ${root:-/} is a CPC kiosk already"
else
	note "changed:"
	printf '  %s\n' "${changed[@]}"
fi
if [ ! -e "$data/kioskd.json" ]; then
	note "not configured yet: put kioskd's configuration in /var/lib/cpc-kiosk/kioskd.json (see /usr/local/share/doc/cpc-kiosk/kioskd.json.example; owner cpc-kiosk), or set a setup PIN (DATA/setup.pin) to configure the kiosk on its screen"
fi
if [ "$sysctl" = 1 ] && [ ${#changed[@]} -gt 0 ]; then
	note "reboot to start the kiosk (systemctl reboot)"
elif [ -n "$root" ]; then
	note "files placed under $root only: no users, no packages, nothing enabled; run install.sh on the board (or systemctl --root $root enable cpc-kioskd.service cpc-kiosk-browser.service cpc-kiosk-update.path)"
fi
