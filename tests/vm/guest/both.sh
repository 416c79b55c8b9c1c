#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs INSIDE the test VM (tests/vm/run.sh both.sh; host side
# tests/suites/vm-both.sh): mwctl drives both enforcement points, the XDP
# program and meterwall.ko, with one command each: load (same serial and
# digest in both), block/unblock (in both), island (in both), status (both
# shown); meterwalld restoring into both, following wall-clock steps and
# restoring at a boot (the module first: nothing relayed until then);
# passing the module's drop events on;
# without the module, mwctl falls back to XDP alone.
set -u
cd "$(dirname "$0")/../../.." || exit 1
export SUITE=both
. tests/lib/suite.sh
O=${O:-build}
M=$PWD/$O/mwctl
GW=mwvm-both
export MW_STATE_DIR=/tmp/mw-state MW_LOG_DIR=/tmp/mw-log

gw() { nsenter --net=/run/netns/$GW "$M" "$@"; }
js() { gw -j status | tr -d ' \n\t'; }
# field OBJECT KEY: a scalar from `mwctl -j status` (xdp or kmod object)
field() { js | grep -o "\"$1\":{[^{}]*" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2 | tr -d '"'; }

cleanup() {
	gw detach ext0 >/dev/null 2>&1
	/sbin/ip netns del $GW 2>/dev/null
	rmmod meterwall 2>/dev/null
}
trap cleanup EXIT

check "modprobe meterwall" modprobe meterwall
check "network namespace with ext0 and sm0" sh -c "
	/sbin/ip netns add $GW &&
	/sbin/ip -n $GW link add ext0 type veth peer name ext0p &&
	/sbin/ip -n $GW link add sm0 type veth peer name sm0p &&
	/sbin/ip -n $GW link set ext0 up && /sbin/ip -n $GW link set sm0 up"
check "attach ext0" gw attach ext0 --mode native

out=$(gw -j load examples/gateway.yaml)
echo "$out"
case $out in *'"enforcement":"xdp+kmod"'*) ok "load applied to XDP and the module" ;;
	*) fail "load did not reach both enforcement points: $out" ;; esac
xs=$(field xdp serial) ks=$(field kmod serial)
[ -n "$xs" ] && [ "$xs" = "$ks" ] && ok "same serial in both ($xs)" || fail "serials differ: xdp $xs kmod $ks"
xd=$(field xdp digest) kd=$(field kmod digest)
[ -n "$xd" ] && [ "$xd" = "$kd" ] && ok "same image digest in both" || fail "digests differ: $xd / $kd"
kg0=$(field kmod generation)

check "block hems-aggregator" gw block hems-aggregator --reason "vm test"
[ "$(field kmod blocks)" = 1 ] && ok "module holds the block" || fail "module blocks: $(field kmod blocks)"
js | grep -q '"system":"hems-aggregator"[^]]*"block":{' && ok "XDP holds the block" || fail "XDP block missing"
sed 's/^serial: .*/serial: 2026112599/' examples/gateway.yaml >/tmp/p2.yaml
check "reload a newer serial" gw load /tmp/p2.yaml
[ "$(field kmod serial)" = 2026112599 ] && ok "module runs the new serial" || fail "module serial $(field kmod serial)"
kg1=$(field kmod generation)
[ "$kg1" -gt "$kg0" ] && ok "module generation advanced ($kg0 -> $kg1)" || fail "module generation $kg0 -> $kg1"
[ "$(field kmod blocks)" = 1 ] && ok "block kept in the module across the reload" || fail "module lost the block"
check "unblock with request and approver" gw unblock hems-aggregator --request R-1 --by vm
[ "$(field kmod blocks)" = 0 ] && ok "module block lifted" || fail "module still blocks: $(field kmod blocks)"

check "island on" gw island on
[ "$(field kmod island)" = true ] && [ "$(field xdp island)" = true ] && ok "island on in both" ||
	fail "island: xdp $(field xdp island) kmod $(field kmod island)"
check "island off" gw island off
[ "$(field kmod island)" = false ] && [ "$(field xdp island)" = false ] && ok "island off in both" ||
	fail "island off: xdp $(field xdp island) kmod $(field kmod island)"

# --- one time base (review M1): mwctl clock gives both points the same
# offsets; a block ends by the boot clock; the expiry offset only rises ---
# cfield OBJECT KEY: an integer from `mwctl -j clock` (xdp or kmod object)
cfield() { gw -j clock | tr -d ' \n\t' | grep -o "\"$1\":{[^{}]*" | grep -o "\"$2\":[-0-9]*" | cut -d: -f2; }
near() { local d=$(( $1 - $2 )); [ "${d#-}" -le "$3" ]; }	# |a - b| <= c
check "clock sync" gw clock sync
xc=$(cfield xdp boot_to_unix_ns) kc=$(cfield kmod boot_to_unix_ns)
[ -n "$xc" ] && [ "$xc" = "$kc" ] && ok "XDP and the module hold the same clock offset" || fail "offsets: xdp $xc kmod $kc"
check "block hems-aggregator for 1h" gw block hems-aggregator --for 1h --reason "clock test"
step() { date -s "@$(( $(date +%s) + $1 ))" >/dev/null; }	# seconds
step 172800
check "clock sync after a step forward of 2 days" gw clock sync
xf=$(cfield xdp boot_to_unix_ns) kf=$(cfield kmod boot_to_unix_ns)
near $(( (xf - xc) / 1000000 )) 172800000 5000 && [ "$xf" = "$kf" ] &&
	ok "both took the stepped offset (+$(( (xf - xc) / 1000000 )) ms)" || fail "after the step: xdp $xf kmod $kf (before $xc)"
[ "$(field kmod blocks)" = 1 ] && ok "the module's 1h block outlives a 2-day clock step" || fail "module blocks after the step: $(field kmod blocks)"
js | grep -q '"system":"hems-aggregator"[^]]*"block":{' && ok "XDP's 1h block outlives it too" || fail "XDP block gone after the step"
xa=$(cfield xdp expiry_ahead_ms) ka=$(cfield kmod expiry_ahead_ms)
[ "$xa" = 0 ] && [ "$ka" = 0 ] && ok "stepped forward: the expiry offset rose with it" || fail "expiry ahead after forward step: xdp $xa kmod $ka"
step -172800
check "clock sync after stepping back" gw clock sync
xa=$(cfield xdp expiry_ahead_ms) ka=$(cfield kmod expiry_ahead_ms)
near "$xa" 172800000 5000 && near "$ka" 172800000 5000 &&
	ok "stepped back: the expiry offset stays 2 days ahead in both (xdp $xa ms, kmod $ka ms)" ||
	fail "expiry ahead after the step back: xdp $xa kmod $ka"
xb=$(cfield xdp behind_host_ms) kb=$(cfield kmod behind_host_ms)
near "$xb" 0 1000 && near "$kb" 0 1000 && ok "... while the wall offset follows the host" || fail "behind host: xdp $xb kmod $kb"
check "clock sync --reset-max" gw clock sync --reset-max
[ "$(cfield xdp expiry_ahead_ms)" = 0 ] && [ "$(cfield kmod expiry_ahead_ms)" = 0 ] &&
	ok "reset-max lowers the expiry offset in both" || fail "after reset: $(gw -j clock)"
grep -c '"action":"clock-sync"' "$MW_LOG_DIR/audit.log" | grep -qx 4 && ok "every clock sync is in the audit log" ||
	fail "audit: $(grep -c clock-sync "$MW_LOG_DIR/audit.log") clock-sync records"
check "unblock hems-aggregator" gw unblock hems-aggregator --request R-2 --by vm

# an image over the module's image_max: refused with the remedy named,
# both enforcement points unchanged
sed 's/^serial: .*/serial: 2026112600/' examples/gateway.yaml >/tmp/big.yaml
max0=$(cat /sys/module/meterwall/parameters/image_max)
echo 4096 >/sys/module/meterwall/parameters/image_max
err=$(gw load /tmp/big.yaml 2>&1 >/dev/null); rc=$?
echo "$max0" >/sys/module/meterwall/parameters/image_max
echo "$err"
[ "$rc" -ne 0 ] && [[ $err == *"more than the module's image_max"* ]] &&
	ok "image over image_max refused, the remedy named" || fail "image_max: rc $rc: $err"
[ "$(field kmod serial)" = 2026112599 ] && [ "$(field xdp serial)" = 2026112599 ] &&
	ok "both still run the serial before" || fail "serials moved: xdp $(field xdp serial) kmod $(field kmod serial)"

sed 's/^serial: .*/serial: 2026112500/' examples/gateway.yaml >/tmp/old.yaml
expect_rc "older serial refused" 1 gw load /tmp/old.yaml
[ "$(field kmod serial)" = 2026112599 ] && ok "module unchanged after a refused load" || fail "module serial moved"

# --- meterwalld: restores into both points, follows wall-clock steps -----
D=$PWD/$O/meterwalld
printf 'state_dir: %s\nlog_dir: %s\n' "$MW_STATE_DIR" "$MW_LOG_DIR" >/tmp/mwd.yaml
nsenter --net=/run/netns/$GW "$D" -c /tmp/mwd.yaml >/tmp/mwd.log 2>&1 &
dpid=$!
syncs() { grep -c '"action":"clock-sync"' "$MW_LOG_DIR/audit.log"; }
synced_after() { [ "$(syncs)" -gt "$1" ]; }
waitfor() {	# seconds, command...
	local i
	for ((i = 0; i < $1 * 20; i++)); do "${@:2}" && return 0; sleep 0.05; done
	return 1
}
waitfor 120 grep -q "^meterwalld: ready$" /tmp/mwd.log &&
	grep -q "policy serial 2026112599 in force (xdp+kmod)" /tmp/mwd.log &&
	ok "meterwalld restores the policy in force into both points" || fail "daemon start: $(cat /tmp/mwd.log)"
near_host() {	# both points' offsets within 1 s of the host's
	local x k
	x=$(cfield xdp behind_host_ms) k=$(cfield kmod behind_host_ms)
	[ -n "$x" ] && [ -n "$k" ] && [ "${x#-}" -le 1000 ] && [ "${k#-}" -le 1000 ]
}
n0=$(syncs)
step 3600
waitfor 5 synced_after "$n0" && waitfor 2 near_host &&
	ok "a 1-hour step forward: the daemon syncs both points' clocks" ||
	fail "after a step forward: $(syncs) syncs, $(gw -j clock | tr -d ' \n'); $(tail -n 3 /tmp/mwd.log)"
n0=$(syncs)
step -3600
waitfor 5 synced_after "$n0" && waitfor 2 near_host &&
	ok "and back: synced again" || fail "after a step back: $(syncs) syncs, $(gw -j clock | tr -d ' \n')"
# the module's drop events reach the daemon: XDP detached, so the
# module judges alone; an unknown source sent into ext0
T=$PWD/$O/guest/nl_kmod
check "detach XDP from ext0 (the module alone)" gw detach ext0
/sbin/ip -n $GW link set ext0p up
mac=$(/sbin/ip -n $GW link show ext0 | awk '/link\/ether/ { print $2 }')
frame=$("$T" frame udp4 02:00:00:00:09:09 "$mac" 203.0.113.66 192.0.2.10 40000 3610)
nsenter --net=/run/netns/$GW "$T" raw-send ext0p "$frame" 20 >/dev/null
waitfor 5 grep -q '"event":"drop","point":"kmod","iface":"ext0","verdict":"DROP","reason":"UNKNOWN_SOURCE","proto":"17","src":"203.0.113.66"' "$MW_LOG_DIR/events.jsonl" &&
	ok "the module's drop events reach meterwalld's events" ||
	fail "no kmod drop event: $(grep -c '"event":"drop"' "$MW_LOG_DIR/events.jsonl" 2>/dev/null) drop events; $(tail -n 3 /tmp/mwd.log)"
check "attach ext0 again" gw attach ext0 --mode native
kill -TERM $dpid
wait $dpid && ok "meterwalld stops on SIGTERM" || fail "daemon exit: $(tail -n 3 /tmp/mwd.log)"

check "block the retailer before a module restart" gw block retailer-api --reason "vm test 2"
check "rmmod meterwall" rmmod meterwall
# the genl family autoloads the module on the next request: a module that
# came back empty gets the policy and the blocks again from mwctl load
sed 's/^serial: .*/serial: 2026112600/' examples/gateway.yaml >/tmp/p3.yaml
out=$(gw -j load /tmp/p3.yaml)
case $out in *'"enforcement":"xdp+kmod"'*) ok "module autoloaded and given the policy" ;;
	*) fail "load after rmmod: $out" ;; esac
[ "$(field kmod serial)" = 2026112600 ] && [ "$(field kmod generation)" = 1 ] &&
	ok "fresh module runs the new serial" || fail "fresh module: $(js | grep -o '"kmod":{[^}]*')"
[ "$(field kmod blocks)" = 1 ] && ok "persisted block re-applied to the fresh module" ||
	fail "fresh module blocks: $(field kmod blocks)"
check "rmmod meterwall again" rmmod meterwall
ko=$(modinfo -n meterwall)
mv "$ko" /tmp/meterwall.ko.away && depmod -a
sed 's/^serial: .*/serial: 2026112601/' examples/gateway.yaml >/tmp/p4.yaml
out=$(gw -j load /tmp/p4.yaml)
case $out in *'"enforcement":"xdp"'*) ok "without the module, load applies to XDP alone" ;;
	*) fail "load without module: $out" ;; esac
case $(js) in *'"kmod":{"loaded":false}'*) ok "status shows the module absent" ;;
	*) fail "status kmod: $(js | grep -o '"kmod":{[^}]*')" ;; esac
mv /tmp/meterwall.ko.away "$ko" && depmod -a

# --- a boot: the module before the network (no policy: it drops all that
# is external), then meterwalld puts the policy and blocks back -----------
# The XDP pins are gone as after a reboot; allowed (hems-gw-1) and
# forbidden (an unknown source) datagrams arrive every 10 ms throughout.
kr() {	# the module's count for reason $1 (0 if none)
	local n
	n=$(gw -j status 2>/dev/null | tr -d ' \n\t' | grep -o '"kmod":{.*' |
		grep -o '"reasons":{[^}]*}' | head -n 1 | grep -o "\"$1\":[0-9]*" | cut -d: -f2)
	echo "${n:-0}"
}
ms_now() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
gw detach ext0 >/dev/null 2>&1
rm -rf /sys/fs/bpf/meterwall
check "modprobe meterwall (boot: before the network)" modprobe meterwall
# the gateway relays: ext0 (external) -> sm0 (the head-end behind it)
check "the gateway namespace forwards ext0 -> sm0" sh -c "
	/sbin/ip netns exec $GW sysctl -qw net.ipv4.ip_forward=1 &&
	/sbin/ip -n $GW addr add 198.51.100.1/24 dev ext0 &&
	/sbin/ip -n $GW addr add 203.0.113.1/24 dev ext0 &&
	/sbin/ip -n $GW addr add 192.0.2.1/24 dev sm0 &&
	/sbin/ip -n $GW link set sm0p up &&
	/sbin/ip -n $GW neigh replace 192.0.2.10 lladdr 02:00:00:00:0a:0a dev sm0 nud permanent"
/sbin/ip -n $GW link set ext0p up
mac=$(/sbin/ip -n $GW link show ext0 | awk '/link\/ether/ { print $2 }')
good=$("$T" frame udp4 02:00:5e:10:00:01 "$mac" 198.51.100.10 192.0.2.10 40000 3610)
evil=$("$T" frame udp4 02:00:00:00:09:09 "$mac" 203.0.113.66 192.0.2.10 40000 3610)
( while :; do
	nsenter --net=/run/netns/$GW "$T" raw-send ext0p "$good" 1 >/dev/null
	nsenter --net=/run/netns/$GW "$T" raw-send ext0p "$evil" 1 >/dev/null
	sleep 0.01
done ) &
spid=$!
sleep 1
np=$(kr NO_POLICY) na=$(kr ALLOWED)
[ "$np" -gt 0 ] && [ "$na" -eq 0 ] &&
	ok "boot, before meterwalld: the module drops everything external ($np NO_POLICY, nothing allowed)" ||
	fail "boot without a policy: NO_POLICY $np, ALLOWED $na"
allowed() { [ "$(kr ALLOWED)" -gt 0 ]; }
t0=$(ms_now)
nsenter --net=/run/netns/$GW "$D" -c /tmp/mwd.yaml >/tmp/mwd2.log 2>&1 &
dpid=$!
waitfor 120 grep -q "^meterwalld: ready$" /tmp/mwd2.log && t1=$(ms_now) &&
	waitfor 10 allowed && t2=$(ms_now) &&
	ok "boot: meterwalld ready $((t1 - t0)) ms after its start, allowed traffic relayed after $((t2 - t0)) ms; nothing before" ||
	fail "boot restore: $(cat /tmp/mwd2.log); ALLOWED $(kr ALLOWED)"
sleep 0.5
kill $spid
wait $spid 2>/dev/null
nu=$(kr UNKNOWN_SOURCE)
[ "$nu" -gt 0 ] && grep -q "policy serial 2026112601 in force (xdp+kmod), 1 blocks" /tmp/mwd2.log &&
	ok "boot: the unknown source dropped as such once restored ($nu), the policy and its block back in both" ||
	fail "after boot: UNKNOWN_SOURCE $nu; $(head -n 3 /tmp/mwd2.log)"
kill -TERM $dpid
wait $dpid

suite_end
