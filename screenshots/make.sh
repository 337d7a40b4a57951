#!/usr/bin/env bash
# Regenerates the screenshots from the built binary: runs miscope on the demo tenant in a private tmux server at
# 120x36, drives it with keys, captures the pane with its colours and renders each capture to PNG with freeze (pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./miscope}
FREEZE="go run github.com/charmbracelet/freeze@v0.2.2"
command -v tmux >/dev/null || { echo "make screenshots needs tmux (apt-get install tmux)"; exit 1; }
[ -x "$BIN" ] || { echo "build miscope first (make build)"; exit 1; }

sock="miscope-shots-$$"
T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
work=$(mktemp -d)

# shot NAME KEY... : start a fresh explorer, type the keys, capture.
shot() {
	local name=$1; shift
	T kill-server 2>/dev/null || true
	T -f /dev/null new-session -d -s s -x 120 -y 36 \
		"env TERM=xterm-256color COLORTERM=truecolor $BIN --demo --export-dir $work; sleep 5"
	sleep 1.5
	for k in "$@"; do
		case "$k" in
			text:*) T send-keys -t s -l "${k#text:}" ;;
			sleep:*) sleep "${k#sleep:}" ;;
			*) T send-keys -t s "$k" ;;
		esac
		sleep 0.4
	done
	sleep 0.8
	T capture-pane -p -e -t s > "$work/$name.ansi"
	$FREEZE --language ansi --window=false --padding 20 --margin 0 --font.size 14 \
		--width 1240 -o "screenshots/$name.png" "$work/$name.ansi" >/dev/null
	echo "screenshots/$name.png"
}

shot list
shot filtered / text:prod Enter
shot detail G k k Enter sleep:1
shot findings f
shot help '?'
shot export e
