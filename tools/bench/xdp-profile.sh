#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdp-profile: where the XDP program's time goes under live frames, by
# function and by source line, on this host's own kernel and CPU (root).
#   O=build tools/bench/xdp-profile.sh [MODE...]
# MODE: an xdp-live mode (default: mw-blocked mw-allowed-prog).  For each,
# xdp-live sends frames through a veth pair in a namespace of its own; once
# its program is attached, $O/bench/bpf-lines records the program's line
# table (the JIT address of every source line, from the kernel), perf
# samples every CPU's clock (cpu-clock, PROFILE_HZ) for PROFILE_SECONDS,
# and tools/bench/profile.py puts each sample that fell in the program on
# its function and source line.  The shares are of the program's own
# samples: what to make cheaper first, not a figure with a target.
# Environment: OUT (bench-results), PROFILE_SECONDS (4), PROFILE_HZ
# (10000), NSRC (1024 source addresses), DEVICES (10000 in the policy).
# Output: $OUT/xdp-profile.txt, $OUT/xdp-profile-MODE.csv (every line).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

O=${O:-build}
OUT=${OUT:-bench-results}
B=$O/bench
SECS=${PROFILE_SECONDS:-4}
HZ=${PROFILE_HZ:-10000}
NSRC=${NSRC:-1024}
DEVICES=${DEVICES:-10000}
MODES=${*:-mw-blocked mw-allowed-prog}

[ "$(id -u)" = 0 ] || { echo "xdp-profile: needs root" >&2; exit 1; }
command -v perf >/dev/null ||
	{ echo "xdp-profile: perf missing (make deps)" >&2; exit 1; }
for t in xdp-live bpf-lines; do
	[ -x "$B/$t" ] || { echo "xdp-profile: $B/$t missing: make bench-build" >&2; exit 1; }
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$OUT"

NS=mwprof$$
PIN=/sys/fs/bpf/mwprof-$$
W=$(mktemp -d)
LIVE=
cleanup() {
	[ -z "$LIVE" ] || kill "$LIVE" 2>/dev/null || true
	[ -z "$LIVE" ] || wait "$LIVE" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$PIN" "$W"
}
trap cleanup EXIT
veth_ns "$NS" mwpA mwpB

# The id of the program attached to mwpB (its pinned link), once there.
attached_prog() {
	local i id
	for ((i = 0; i < 600; i++)); do
		id=$(bpftool -j link show pinned "$PIN/link_mwpB" 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])' \
			2>/dev/null) && { echo "$id"; return; }
		kill -0 "$LIVE" 2>/dev/null || break
		sleep 0.1
	done
	echo "xdp-profile: no program attached to mwpB" >&2
	return 1
}

: >"$OUT/xdp-profile.txt"
for m in $MODES; do
	nsenter --net=/run/netns/"$NS" "$B/xdp-live" -m "$m" -a mwpA -b mwpB \
		-r 1 -t $((SECS + 4)) -s "$NSRC" -d "$DEVICES" -p "$PIN" \
		>"$W/live.out" 2>&1 &
	LIVE=$!
	id=$(attached_prog) || { cat "$W/live.out" >&2; exit 1; }
	"$B/bpf-lines" "$id" >"$W/lines.csv"
	sleep 1		# the frames are flowing
	perf record -q -a -e cpu-clock -F "$HZ" -o "$W/perf.data" \
		-- sleep "$SECS" 2>"$W/perf.err" ||
		{ cat "$W/perf.err" >&2; exit 1; }
	wait "$LIVE" || { cat "$W/live.out" >&2; exit 1; }
	LIVE=
	perf script -i "$W/perf.data" -F ip 2>/dev/null >"$W/ips.txt"
	python3 tools/bench/profile.py "$W/lines.csv" "$W/ips.txt" \
		"xdp-profile $m ($NSRC sources, $DEVICES devices, ${SECS} s at $HZ Hz on $(uname -r))" \
		"$OUT/xdp-profile-$m.csv" | tee -a "$OUT/xdp-profile.txt"
	rm -rf "$PIN"
done
