#!/usr/bin/env bash
# Regenerates the screenshots from the built binary: runs miscope on the demo tenant in a private tmux server at
# 120x36, drives it with keys, captures the pane with its colours and renders each capture to PNG with freeze (pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./miscope}
FREEZE="go run github.com/charmbracelet/freeze@v0.2.2"
command -v tmux >/dev/null || { echo "make screenshots needs tmux (apt-get install tmux)"; exit 1; }
[ -x "$BIN" ] || { echo "build miscope first (make build)"; exit 1; }

# Each shot has its own tmux server: reusing one socket right after kill-server races with its shutdown.
sock=""
T() { tmux -L "$sock" "$@"; }
trap 'if [ -n "$sock" ]; then T kill-server 2>/dev/null || true; fi; rm -rf "$work"' EXIT
work=$(mktemp -d)

# shot NAME KEY... : start a fresh explorer (with the flags in $ARGS), type the keys, capture. SHOTS="a b" makes
# only those.
ARGS=""
shot() {
	local name=$1; shift
	if [ -n "${SHOTS:-}" ] && [[ " $SHOTS " != *" $name "* ]]; then return; fi
	sock="miscope-shots-$$-$name"
	# tmux now and then fails to start a server right after another one stopped; try again.
	for try in 1 2 3; do
		T -f /dev/null new-session -d -s s -x 120 -y 36 \
			"env TERM=xterm-256color COLORTERM=truecolor $BIN --demo $ARGS; sleep 5" && break
		[ "$try" = 3 ] && { echo "tmux would not start"; exit 1; }
		sleep 1
	done
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
		--width 1060 -o "screenshots/$name.png" "$work/$name.ansi" >/dev/null
	T kill-server 2>/dev/null || true
	echo "screenshots/$name.png"
}

# The list opens sorted by severity once the assessment is done (the sleeps), so its first row is a critical identity.
shot list sleep:1
shot filtered sleep:1 / text:prod Enter
shot detail sleep:1 Enter sleep:1
# A privilege path, step by step: the identity whose group-writing permission reaches tenant admin.
shot path sleep:1 / text:crm-group Enter sleep:0.5 Enter sleep:1 G sleep:0.5 k k k
shot findings sleep:1 f
# Usage: an identity that uses its storage role but never its Contributor role, at its Usage section.
shot usage sleep:1 / text:adf-research Enter sleep:0.5 Enter sleep:1 j j j j j j
# The user accounts used as service accounts (tab).
shot candidates sleep:1 Tab
shot help '?'
# The prompt only: nothing is written.
shot export sleep:1 e
# Triage: accept one finding, mark the next a false positive, then show decided findings too. The decisions go to a
# file of the run's own, never to one in the repository.
ARGS="--triage $work/miscope-triage.yaml --as alice"
shot triage sleep:1 f a "text:break-glass runbook; owner: platform team" Enter sleep:0.5 \
	a Up Right Down "text:the group is empty since the March clean-up" Enter sleep:0.5 d
ARGS=""
