#!/usr/bin/env bash
# XDP enforcement, live: real TCP/UDP through network namespaces joined by
# veth (see tools/lib/topo.sh for the drawing), the example policy loaded
# with mwctl, XDP native on the gateway's external interfaces.
#
#   external hosts ── lan bridge ── ext0 [gateway] sm0 ── head-end
#   partner ──────────────────────── ext1 [       ]
#
# Checks: allowed conduits end to end (v4, v6, TCP, UDP, replies to an
# outbound conduit); drops counted with their reasons; block on the next
# packet, unblock restores; reload under continuous traffic misjudges no
# packet; a system's rate limit on a live stream; SIGKILLed controller
# leaves enforcement and counters running;
# block durations and the blocks file (bad lines, symlinks, modes); with a
# second set of pins: policies of another flow-table size, policy expiry,
# 20 concurrent block/unblock runs, blocks re-applied onto new maps;
# meterwalld recording a timed block's end once (event and history).
# Receive VLAN offloads: attach turns them off, refuses (attaching nothing)
# where that fails, status shows them.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/suite.sh
O=${O:-build}
M=$PWD/$O/mwctl
PROBE="python3 $PWD/tests/lib/probe.py"
[ "$(id -u)" -eq 0 ] || cannot_run "needs root"
[ -x "$M" ] || cannot_run "$M not built"
for t in ip nsenter python3 ethtool setpriv; do
	command -v $t >/dev/null || cannot_run "$t missing"
done
[ -e /sys/kernel/btf/vmlinux ] || cannot_run "no BTF"

TOPO_ID=${TOPO_ID:-lv$$}	# unique per run
. tools/lib/topo.sh
export MW_PIN_DIR=/sys/fs/bpf/meterwall-$TOPO_ID
export MW_STATE_DIR=$(mktemp -d) MW_LOG_DIR=$(mktemp -d)
tmp=$(mktemp -d)
PIN2=$MW_PIN_DIR-2 ST2=$(mktemp -d)	# a second controller's pins and state
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	in_ns "$NS_GW" "$M" detach ext0 >/dev/null 2>&1
	in_ns "$NS_GW" "$M" detach ext1 >/dev/null 2>&1
	in_ns "$NS_GW" env MW_PIN_DIR="$PIN2" MW_STATE_DIR="$ST2" "$M" detach ext0 >/dev/null 2>&1
	rm -rf "$MW_PIN_DIR" "$MW_STATE_DIR" "$MW_LOG_DIR" "$tmp" "$PIN2" "$ST2"
	topo_down
}
trap cleanup EXIT

gw() { in_ns "$NS_GW" "$M" "$@"; }
host() { local h=$1; shift; in_ns "$(ns_of "$h")" "$@"; }
# nsenter execs the server, so $! is the server itself (a function put in
# the background would leave it orphaned when killed)
serve() { nsenter --net=/run/netns/"$1" $PROBE serve "$2" "$3" >/dev/null 2>&1 & pids+=($!); }

# reason_count REASON: packets counted with that reason (pass or drop)
reason_count() {
	gw -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["reasons"].get(sys.argv[1], 0))' "$1"
}
# flow_packets SRC DPORT: packets of flows from SRC to DPORT, and verdict
flow_packets() {
	gw -j flows | python3 -c '
import json, sys
n, v = 0, set()
for f in json.load(sys.stdin):
    if f["src"] == sys.argv[1] and f["dport"] == int(sys.argv[2]):
        n += f["packets"]; v.add(f["verdict"])
print(n, ",".join(sorted(v)))' "$1" "$2"
}

pr topo_up >/dev/null || cannot_run "cannot build the namespaces"
serve "$NS_HE" 192.0.2.10 3610
serve "$NS_HE" 192.0.2.10 9999
serve "$NS_HE" 2001:db8:10::10 3610
serve "$NS_HE" 192.0.2.20 443
serve "$NS_PARTNER" 203.0.113.80 443
sleep 1.5	# IPv6 link-local addresses settle

# --- receive VLAN offloads (H3) -------------------------------------------
# rxvlan IFACE: "rx-vlan-offload=on rx-vlan-stag-hw-parse=on" as ethtool -k
# shows them (veth: both on and changeable when created)
rxvlan() {
	in_ns "$NS_GW" ethtool -k "$1" | awk -F': ' '
		$1 == "rx-vlan-offload" || $1 == "rx-vlan-stag-hw-parse" { o = o " " $1 "=" $2 }
		END { print substr(o, 2) }'
}
# status_rxvlan IFACE: the interface's rx_vlan_offload in mwctl -j status
status_rxvlan() {
	gw -j status | python3 -c '
import json, sys
f = {i["interface"]: i for i in json.load(sys.stdin)["interfaces"]}[sys.argv[1]]
print(f.get("rx_vlan_offload", "-"), ",".join(f.get("rx_vlan_offload_on", [])))' "$1"
}
RX_ON="rx-vlan-offload=on rx-vlan-stag-hw-parse=on"
RX_OFF="rx-vlan-offload=off rx-vlan-stag-hw-parse=off"
[ "$(rxvlan ext1)" = "$RX_ON" ] && ok "veth ext1 starts with both receive VLAN offloads on" ||
	fail "ext1 offloads before attach: $(rxvlan ext1)"
# a set the kernel refuses (no CAP_NET_ADMIN) is a refusal: nothing attached
err=$(in_ns "$NS_GW" setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$M" attach ext1 --mode native 2>&1)
[ $? -eq 1 ] && grep -q "^mwctl: refusing to attach to \`ext1': cannot turn off rx-vlan-hw-parse and rx-vlan-stag-hw-parse on ext1: Operation not permitted; .* VLAN tags would be invisible to the filter$" <<<"$err" &&
	ok "offloads that cannot be turned off: attach refused, naming interface, features and why" ||
	fail "attach without CAP_NET_ADMIN: $err"
! ip -n "$NS_GW" link show ext1 | grep -q "xdp" && [ ! -e "$MW_PIN_DIR/link_ext1" ] &&
	[ "$(rxvlan ext1)" = "$RX_ON" ] && ok "... and nothing attached or changed" ||
	fail "refused attach left: $(ip -n "$NS_GW" link show ext1 | head -n 2) / $(ls "$MW_PIN_DIR" 2>&1) / $(rxvlan ext1)"
err=$(gw attach nosuch0 2>&1)
[ $? -eq 1 ] && [ "$err" = "mwctl: cannot attach to \`nosuch0': no interface \`nosuch0'" ] &&
	ok "attach to a missing interface: a clear error" || fail "attach nosuch0: $err"

# --- fail closed before a policy -----------------------------------------
check "attach ext0 (native)" gw attach ext0 --mode native
check "attach ext1 (native)" gw attach ext1 --mode native
[ "$(rxvlan ext0)" = "$RX_OFF" ] && [ "$(rxvlan ext1)" = "$RX_OFF" ] &&
	ok "attach turned both receive VLAN offloads off on ext0 and ext1" ||
	fail "offloads after attach: ext0 $(rxvlan ext0), ext1 $(rxvlan ext1)"
grep -q '"action":"attach","object":"ext1","reason":"","result":"ok","mode":"native","rx_vlan_offload":"turned off"' "$MW_LOG_DIR/audit.log" &&
	ok "the audit log records the offloads turned off" || fail "audit log: $(grep attach "$MW_LOG_DIR/audit.log")"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 0 ] && ok "no policy: everything dropped" || fail "no policy: $out echoes"
[ "$(reason_count NO_POLICY)" -gt 0 ] && ok "counted as NO_POLICY" || fail "NO_POLICY not counted"

# --- policy in force -------------------------------------------------------
check "load the example policy" gw load examples/gateway.yaml
[ "$(status_rxvlan ext0)" = "off " ] && [ "$(status_rxvlan ext1)" = "off " ] &&
	ok "status: receive VLAN offloads off on ext0 and ext1" || fail "status offloads: $(status_rxvlan ext0) / $(status_rxvlan ext1)"
# turned on again behind mwctl's back: status shows it, attach turns it off
in_ns "$NS_GW" ethtool -K ext0 rxvlan on
[ "$(status_rxvlan ext0)" = "on rx-vlan-hw-parse" ] && ok "status: rx-vlan-hw-parse turned on again is shown" ||
	fail "status after ethtool -K ext0 rxvlan on: $(status_rxvlan ext0)"
err=$(gw attach ext0 --mode native 2>&1)
[ $? -eq 0 ] && grep -q "^mwctl: note: turned off the receive VLAN offloads of \`ext0'" <<<"$err" &&
	[ "$(rxvlan ext0)" = "$RX_OFF" ] && [ "$(status_rxvlan ext0)" = "off " ] &&
	ok "re-attach turns it off again, with a note" || fail "re-attach: $err / $(rxvlan ext0)"
# a device without these offloads (macvlan: "off [fixed]") attaches
ip -n "$NS_GW" link add mvx link ext1 type macvlan
check "attach to a device without VLAN offloads (macvlan, generic)" gw attach mvx --mode generic
check "detach it" gw detach mvx
ip -n "$NS_GW" link del mvx
host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1 >/dev/null	# neighbours
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 5)
[ "$out" = 5 ] && ok "ECHONET Lite UDP 3610 passes (5/5 echoes)" || fail "UDP 3610: $out/5"
check "ECHONET Lite TCP 3610 connects" host hems $PROBE tcp 198.51.100.10 192.0.2.10 3610
check "IPv6 TCP 3610 connects" host hems $PROBE tcp 2001:db8:100::10 2001:db8:10::10 3610
check "gas/water collector TCP 443 to the IoT route (ext1)" in_ns "$NS_PARTNER" $PROBE tcp 203.0.113.20 192.0.2.20 443
check "outbound conduit: head-end opens TCP 443 to the DR aggregator, replies pass" \
	in_ns "$NS_HE" $PROBE tcp 192.0.2.10 203.0.113.80 443
r0=$(reason_count REPLY)
[ "$r0" -gt 0 ] && ok "replies counted as REPLY ($r0)" || fail "no REPLY counted"
n0=$(reason_count NO_CONDUIT)
out=$(host hems $PROBE tcp 198.51.100.10 192.0.2.10 9999)
[ "$out" != connected ] && ok "HEMS to an undeclared port is dropped" || fail "HEMS reached port 9999"
[ "$(reason_count NO_CONDUIT)" -gt "$n0" ] && ok "counted as NO_CONDUIT" || fail "NO_CONDUIT not counted"
out=$(in_ns "$NS_PARTNER" $PROBE tcp 203.0.113.80 192.0.2.10 3610)
[ "$out" != connected ] && ok "DR aggregator cannot open inbound (outbound-only conduit)" || fail "DR aggregator opened inbound"
n0=$(reason_count UNKNOWN_SOURCE)
out=$(host rogue $PROBE udp 198.51.100.99 192.0.2.10 3610 3)
[ "$out" = 0 ] && ok "rogue device dropped" || fail "rogue got $out echoes"
[ "$(reason_count UNKNOWN_SOURCE)" -gt "$n0" ] && ok "counted as UNKNOWN_SOURCE" || fail "UNKNOWN_SOURCE not counted"
n0=$(reason_count SPOOFED)
out=$(host spoof $PROBE udp 198.51.100.11 192.0.2.10 3610 3)
[ "$out" = 0 ] && ok "MAC-spoofed device address dropped" || fail "spoofer got $out echoes"
[ "$(reason_count SPOOFED)" -gt "$n0" ] && ok "counted as SPOOFED" || fail "SPOOFED not counted"
gw -j status | python3 -c '
import json, sys
s = {x["system"]: x for x in json.load(sys.stdin)["systems"]}
h = s["hems-aggregator"]
assert h["pass_packets"] > 0 and h["drop_packets"] > 0, h
d = {x["device"]: x for x in h["devices"]}
assert d["hems-gw-1"]["pass_bytes"] > 0, d
' && ok "per-system and per-device counters" || fail "status counters"
read -r n v <<<"$(flow_packets 198.51.100.10 3610)"
[ "$n" -ge 5 ] && [[ $v == *PASS* ]] && ok "flow records for the HEMS flows ($n packets)" || fail "flow records: $n $v"
gw flows | grep -Eq "^PASS .* hems-gw-1 +udp +198\.51\.100\.10 [0-9]+ -> 192\.0\.2\.10 3610 .* 20[0-9-]+T[0-9:.]+\+09:00 \.\. 20[0-9-]+T[0-9:.]+\+09:00$" &&
	ok "flows text: protocol by name, first and last seen in the policy's time zone" || fail "flows text: $(gw flows | head -n 3)"
out=$(gw events)
grep -Eq "^20[0-9-]+T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}\+09:00 DROP " <<<"$out" &&
	ok "events text: times in the policy's time zone" || fail "events text: $(head -n 3 <<<"$out")"
grep -Eq "^20.* DROP +[A-Z_]+ +hems-gw-1 .*  hems-aggregator: Kanto HEMS Services K\.K\. <soc@kanto-hems\.example> at ext0$" <<<"$out" &&
	ok "events text: a device's drop names its system, entity, contact and demarcation (2.1.4)" || fail "events owner: $(head -n 5 <<<"$out")"
gw flows | grep -Eq "^PASS .* hems-gw-1 .*  hems-aggregator: Kanto HEMS Services K\.K\. <soc@kanto-hems\.example> at ext0  20" &&
	gw -j flows | python3 -c '
import json, sys
f = [x for x in json.load(sys.stdin) if x["device"] == "hems-gw-1"]
assert f and all((x["system"], x["entity"], x["contact"], x["demarcation"]) ==
                 ("hems-aggregator", "Kanto HEMS Services K.K.", "soc@kanto-hems.example", "ext0") for x in f), f
' && ok "flows text and -j: each flow names its system, entity, contact and demarcation (2.1.4)" || fail "flows owner: $(gw flows | head -n 3)"
# an evidence bundle with the pinned maps: XDP's counters of the system's
# devices and conduits in it (read only: the maps are not changed)
gw evidence hems-aggregator --since 1h -o "$tmp/ev.tgz" >/dev/null &&
	tar xzf "$tmp/ev.tgz" -O counters.json | python3 -c '
import json, sys
c = json.load(sys.stdin)
d = {x["device"]: x for x in c["devices"]}
k = {x["conduit"]: x for x in c["conduits"]}
assert c["available"] and d["hems-gw-1"]["pass_packets"] > 0, c
assert set(d) == {"hems-gw-1", "hems-gw-2"} and k["hems-aggregator/echonet-udp"]["pass_packets"] > 0, c
' && gw evidence verify "$tmp/ev.tgz" >/dev/null &&
	ok "evidence: XDP's counters of the system's devices and conduits in the bundle" || fail "evidence counters: $(tar xzf "$tmp/ev.tgz" -O counters.json 2>&1 | head -c 600)"

expect_rc "attach refuses the smart-meter interface" 1 gw attach sm0

# --- block and reconnect -------------------------------------------------
check "block hems-aggregator" gw block hems-aggregator --reason "test: high risk"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1)
[ "$out" = 0 ] && ok "block: the next packet is dropped" || fail "block: next packet passed"
[ "$(reason_count BLOCKED)" -gt 0 ] && ok "counted as BLOCKED" || fail "BLOCKED not counted"
check "block survives a policy reload" gw load examples/gateway.yaml
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 0 ] && ok "still blocked after reload" || fail "reload lifted the block"
expect_rc "unblock needs --request and --by" 1 gw unblock hems-aggregator
check "unblock with the owner's request" gw unblock hems-aggregator --request REQ-2026-1125 --by duty-officer
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
[ "$out" = 3 ] && ok "unblock restores traffic" || fail "after unblock: $out/3"
check "block one device for 2s" gw block device:hems-gw-1 --reason "timed" --for 2s
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1)
[ "$out" = 0 ] && ok "device block drops" || fail "device block: $out"
sleep 2.2
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "timed block expires in the datapath" || fail "timed block: $out/2"
grep -q '"action":"unblock".*"request":"REQ-2026-1125","approved_by":"duty-officer"' "$MW_LOG_DIR/audit.log" &&
	ok "audit log records the request and the approver" || fail "audit log"
gw blocks >/dev/null
gw blocks >/dev/null
n=$(grep -c '"event":"expired","kind":"device","target":"hems-gw-1"' "$MW_STATE_DIR/blocks.history")
[ "$n" = 1 ] && ok "the timed block's end is in the history, once" || fail "expired records: $n"
ev=$(gw -j blocks --history | python3 -c 'import json,sys; print(" ".join(r["event"] for r in json.load(sys.stdin)))')
[ "$ev" = "blocked reconnected blocked expired" ] && ok "blocks --history: blocked, reconnected, blocked, expired" ||
	fail "history: $ev"

# --- block durations, the blocks file, state file modes --------------------
err=$(gw block device:hems-gw-1 --reason test --for 213504d 2>&1)
[ $? -eq 1 ] && grep -q "duration \`213504d' is too long" <<<"$err" &&
	ok "block --for 213504d refused, naming the value" || fail "block --for 213504d: $err"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "refused duration: no 25-minute block in force" || fail "after refused duration: $out/2"
until=$(gw -j block device:hems-gw-1 --reason "long" --for 36500d | python3 -c 'import json,sys; print(json.load(sys.stdin)["until_ns"])')
python3 -c 'import sys, time; assert int(sys.argv[1]) > (time.time() + 36499 * 86400) * 1e9' "$until" &&
	ok "a 36500d block ends in 100 years ($until)" || fail "36500d block until $until"
modes=$(cd "$MW_STATE_DIR" && stat -c '%n %a' blocks lock policy.img; cd "$MW_LOG_DIR" && stat -c '%n %a' audit.log)
[ "$(echo $modes)" = "blocks 600 lock 600 policy.img 600 audit.log 600" ] &&
	ok "state files created 0600 (blocks, lock, policy.img, audit.log)" || fail "state file modes: $modes"
sed -i '1i garbage, not a block' "$MW_STATE_DIR/blocks"
err=$(gw block system:gas-water-iot --reason test 2>&1)
[ $? -eq 0 ] && grep -qF "$MW_STATE_DIR/blocks:1: warning: not a block (system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID] [KEY=VALUE ...]): \`garbage, not a block'; kept, and skipped" <<<"$err" &&
	ok "a bad line in the blocks file is reported as file:line" || fail "bad line warning: $err"
grep -Eq "^device hems-gw-1 $until 0 [0-9]+ $(cat /proc/sys/kernel/random/boot_id) since=[0-9]+ uid=0( user=[^ ]+)? reason=long$" "$MW_STATE_DIR/blocks" &&
	grep -Eq "^system gas-water-iot 0 0 since=[0-9]+ uid=0( user=[^ ]+)? reason=test$" "$MW_STATE_DIR/blocks" &&
	grep -q "^garbage, not a block$" "$MW_STATE_DIR/blocks" &&
	ok "the blocks after a bad line are kept, and the bad line too" || fail "blocks file after a bad line: $(cat "$MW_STATE_DIR/blocks")"
check "unblock with a bad line in the file" gw unblock system:gas-water-iot --request R-1 --by test
sed -i '/^garbage/d' "$MW_STATE_DIR/blocks"
# a symlinked blocks file is neither followed nor replaced; the block stays
mv "$MW_STATE_DIR/blocks" "$tmp/blocks.saved"
ln -s "$tmp/blocks.grab" "$MW_STATE_DIR/blocks"
err=$(gw block system:hems-aggregator --reason test 2>&1)
[ $? -eq 1 ] && grep -q "error: system \`hems-aggregator' is blocked now, but the block could not be recorded in $MW_STATE_DIR/blocks (Too many levels of symbolic links): it will not survive a reboot" <<<"$err" &&
	ok "a block that cannot be recorded is an error" || fail "unrecorded block: $err"
[ ! -e "$tmp/blocks.grab" ] && [ -L "$MW_STATE_DIR/blocks" ] && ok "the symlinked blocks file was not followed" || fail "symlink followed"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1)
[ "$out" = 0 ] && ok "fail closed: the unrecorded block is in force" || fail "unrecorded block not in force: $out"
err=$(gw unblock system:hems-aggregator --request R-2 --by test 2>&1)
[ $? -eq 1 ] && grep -q "cannot update $MW_STATE_DIR/blocks (Too many levels of symbolic links): still blocked everywhere" <<<"$err" &&
	ok "unblock refused while the blocks file cannot be written" || fail "unblock, symlinked file: $err"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1)
[ "$out" = 0 ] && ok "... and still blocked" || fail "unblock half done: $out"
rm "$MW_STATE_DIR/blocks"
mv "$tmp/blocks.saved" "$MW_STATE_DIR/blocks"
check "unblock once the file is back" gw unblock system:hems-aggregator --request R-3 --by test
check "unblock the 100-year block" gw unblock device:hems-gw-1 --request R-4 --by test
[ ! -s "$MW_STATE_DIR/blocks" ] || ! grep -q "hems" "$MW_STATE_DIR/blocks" &&
	ok "blocks file has no hems block left" || fail "blocks file: $(cat "$MW_STATE_DIR/blocks")"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "traffic restored" || fail "after unblocks: $out/2"

# --- island ----------------------------------------------------------------
check "island on" gw island on
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 0 ] && ok "island drops everything" || fail "island: $out"
check "island off" gw island off
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "island off restores" || fail "island off: $out"
# the runtime commands' text and -j forms carry the same fields
samef() {
	gw "$@" >"$tmp/t.out" 2>/dev/null && gw -j "$@" >"$tmp/j.out" 2>/dev/null &&
		python3 tests/lib/same_fields.py "$tmp/t.out" "$tmp/j.out" >"$tmp/diff" 2>&1
}
for c in status clock "island off" "clock sync"; do
	samef $c && ok "$c: text and -j carry the same fields" || fail "$c fields: $(cat "$tmp/diff")"
done
mv "$MW_LOG_DIR/audit.log" "$tmp/audit.saved"
ln -s "$tmp/audit.grab" "$MW_LOG_DIR/audit.log"
gw island on >/dev/null 2>&1
on=$?
gw island off >/dev/null 2>"$tmp/err"
off=$?
[ ! -e "$tmp/audit.grab" ] && ok "a symlinked audit.log is not followed" || fail "audit.log symlink followed"
# closing goes on with an alert; opening is refused without its record
[ "$on" -eq 0 ] && [ "$off" -eq 1 ] && grep -q "refusing to turn island mode off: its audit record cannot be written first" "$tmp/err" &&
	ok "island on without its audit record goes on, island off is refused" || fail "island on $on, off $off: $(cat "$tmp/err")"
rm "$MW_LOG_DIR/audit.log"
mv "$tmp/audit.saved" "$MW_LOG_DIR/audit.log"
check "island off with the audit log back" gw island off

# --- bad policy changes nothing ----------------------------------------------
g0=$(gw -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["xdp"]["generation"])')
sed 's/ports: \[3610\]/ports: [70000]/' examples/gateway.yaml >"$tmp/bad.yaml"
err=$(gw load "$tmp/bad.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "$tmp/bad.yaml:[0-9]*:[0-9]*: error: .*70000" <<<"$err" &&
	ok "bad policy rejected with its location" || fail "bad policy: $err"
sed 's/^serial: .*/serial: 1/' examples/gateway.yaml >"$tmp/old.yaml"
expect_rc "older serial refused (anti-rollback)" 1 gw load "$tmp/old.yaml"
g1=$(gw -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["xdp"]["generation"])')
[ "$g0" = "$g1" ] && ok "rejected loads left generation $g0 in force" || fail "generation moved $g0 -> $g1"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "traffic still judged by the old policy" || fail "after rejects: $out"

# --- reload under continuous traffic -------------------------------------------
serial=$(sed -n 's/^serial: //p' examples/gateway.yaml | cut -d' ' -f1)
host hems $PROBE stream 198.51.100.10 192.0.2.10 3610 4 500 >"$tmp/allowed" &
sa=$!
host hems $PROBE stream 198.51.100.10 192.0.2.10 9999 4 500 >"$tmp/denied" &
sd=$!
loads=0
end=$((SECONDS + 3))
while [ $SECONDS -lt $end ]; do
	serial=$((serial + 1))
	sed "s/^serial: .*/serial: $serial/" examples/gateway.yaml >"$tmp/p.yaml"
	gw load "$tmp/p.yaml" >/dev/null && loads=$((loads + 1))
done
wait $sa $sd
read -r _ sent _ got <"$tmp/allowed"
[ "$loads" -ge 5 ] && ok "$loads policy loads during the stream" || fail "only $loads loads"
[ "$sent" -gt 0 ] && [ "$sent" = "$got" ] && ok "allowed stream: $got of $sent echoed across $loads swaps" ||
	fail "allowed stream lost packets: $got of $sent"
read -r _ dsent _ dgot <"$tmp/denied"
read -r n v <<<"$(flow_packets 198.51.100.10 9999)"
[ "$dgot" = 0 ] && [ "$n" -ge "$dsent" ] && [ "$v" = DROP ] &&
	ok "denied stream: all $dsent dropped and recorded ($n packets in DROP flows)" ||
	fail "denied stream: $dgot echoed, flows $n $v of $dsent"

# --- rate limits (M7a) -----------------------------------------------------------
# hems-aggregator limited to 20 packets/s (a burst of 1 s worth): of a
# 2 s stream at 200/s, 20 at least pass and at most what the time earns;
# every other datagram is a RATE_LIMIT drop
serial=$((serial + 1))
sed -e "s/^serial: .*/serial: $serial/" \
	-e 's/limits: { pps: 2000, bps: 10000000 }/limits: { pps: 20, bps: 10000000 }/' \
	examples/gateway.yaml >"$tmp/rl.yaml"
check "load a policy limiting hems-aggregator to 20 packets/s" gw load "$tmp/rl.yaml"
rl0=$(reason_count RATE_LIMIT)
t0=$(date +%s.%N)
read -r _ sent _ got <<<"$(host hems $PROBE stream 198.51.100.10 192.0.2.10 3610 2 200)"
hi=$(python3 -c 'import sys, time; print(int(20 + (time.time() - float(sys.argv[1])) * 20) + 1)' "$t0")
rl1=$(reason_count RATE_LIMIT)
[ "$got" -ge 20 ] && [ "$got" -le "$hi" ] &&
	ok "rate limit: $got of $sent datagrams passed (at least the burst of 20, at most $hi)" ||
	fail "rate limit: $got of $sent passed (expected 20..$hi)"
[ $((rl1 - rl0)) -eq $((sent - got)) ] && ok "the $((sent - got)) others counted as RATE_LIMIT" ||
	fail "RATE_LIMIT counted $((rl1 - rl0)), not $((sent - got))"
serial=$((serial + 1))
sed "s/^serial: .*/serial: $serial/" examples/gateway.yaml >"$tmp/p.yaml"
check "load the policy without that limit" gw load "$tmp/p.yaml"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
[ "$out" = 3 ] && ok "traffic passes again under the example's limits" || fail "after the rate limit: $out/3"

# --- the controller dies -------------------------------------------------------
nsenter --net=/run/netns/"$NS_GW" "$M" events -f >/dev/null &
ev=$!
sleep 0.3
kill -9 "$ev"
wait "$ev" 2>/dev/null
c0=$(reason_count ALLOWED)
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
out2=$(host rogue $PROBE udp 198.51.100.99 192.0.2.10 3610 2)
[ "$out" = 3 ] && [ "$out2" = 0 ] && ok "SIGKILLed controller: enforcement continues" ||
	fail "after SIGKILL: allowed $out/3, rogue $out2"
[ "$(reason_count ALLOWED)" -ge $((c0 + 3)) ] && ok "counters keep counting" || fail "counters stopped"
serial=$((serial + 1))
sed "s/^serial: .*/serial: $serial/" examples/gateway.yaml >"$tmp/k.yaml"
nsenter --net=/run/netns/"$NS_GW" "$M" load "$tmp/k.yaml" >/dev/null 2>&1 &
kl=$!
sleep 0.05
kill -9 "$kl" 2>/dev/null
wait "$kl" 2>/dev/null
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
[ "$out" = 3 ] && ok "a load killed midway leaves a whole policy in force" || fail "after killed load: $out/3"

# --- detach -----------------------------------------------------------------------
check "detach ext0" gw detach ext0
out=$(host rogue $PROBE udp 198.51.100.99 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "detached: no enforcement left on ext0" || fail "after detach: $out"
expect_rc "detach twice is an error" 1 gw detach ext0

# --- a second set of pins on ext0: flow table size, expiry, concurrency ------
# Attached before any policy, the flow table gets the default size; policies
# asking for another size still load, onto the pinned table (L4).
gw2() { in_ns "$NS_GW" env MW_PIN_DIR="$PIN2" MW_STATE_DIR="$ST2" "$M" "$@"; }
check "attach ext0 with its own pins, no policy yet" gw2 attach ext0 --mode native
rows=$(gw2 -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["xdp"]["flow_entries"])')
err=$(gw2 load examples/minimal.yaml 2>&1)
[ $? -eq 0 ] && grep -q "note: the flow table keeps its $rows rows per CPU, not the 4096 of the policy's flow_entries" <<<"$err" &&
	ok "a policy without flow_entries loads onto the pinned table ($rows rows)" || fail "load without flow_entries: $err"
sed 's/^serial: 1/serial: 2\nflow_entries: 131072/' examples/minimal.yaml >"$tmp/fe.yaml"
err=$(gw2 load "$tmp/fe.yaml" 2>&1)
[ $? -eq 0 ] && grep -q "not the 131072 of the policy's flow_entries" <<<"$err" &&
	ok "a policy with another flow_entries loads, with a note" || fail "load flow_entries 131072: $err"
gw2 -j status | python3 -c '
import json, sys
x = json.load(sys.stdin)["xdp"]
assert x["serial"] == 2 and x["flow_entries"] == int(sys.argv[1]), x' "$rows" &&
	ok "serial 2 in force, flow table unchanged" || fail "status after flow_entries load"
# policy expiry is compared in seconds: 9999-12-31 is far from expired (L5)
sed 's/^serial: 1/serial: 3\nexpires: 9999-12-31/' examples/minimal.yaml >"$tmp/far.yaml"
check "a policy expiring 9999-12-31 loads" gw2 load "$tmp/far.yaml"
sed 's/^serial: 1/serial: 4\nexpires: 2020-01-01/' examples/minimal.yaml >"$tmp/past.yaml"
err=$(gw2 load "$tmp/past.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "^$tmp/past.yaml: error: the policy expired" <<<"$err" &&
	ok "an expired policy is refused" || fail "expired policy: $err"

# 20 concurrent block/unblock runs lose no update (M5)
{
	printf 'meterwall: 1\nserial: 5\ninterfaces:\n  - { name: ext0, zone: external }\n'
	printf '  - { name: sm0, zone: smart-meter }\nzones:\n  - { name: head-end, prefixes: [192.0.2.10] }\n'
	printf 'systems:\n  - name: fleet\n    entity: "Fleet K.K."\n    contact: "noc@fleet.example"\n'
	printf '    agreement: "F-1"\n    interface: ext0\n    devices:\n'
	for i in $(seq 0 19); do
		printf '      - { name: d%02d, addresses: [198.51.100.1%02d] }\n' "$i" "$i"
	done
	printf '    conduits:\n      - { direction: inbound, zone: head-end, proto: tcp, ports: [443] }\n'
} >"$tmp/fleet.yaml"
check "load a policy of 20 devices" gw2 load "$tmp/fleet.yaml"
for i in $(seq 10 19); do gw2 block "device:d$i" --reason before >/dev/null; done
cpids=()
for i in $(seq 0 19); do
	d=$(printf d%02d "$i")
	if [ "$i" -lt 10 ]; then
		gw2 block "device:$d" --reason concurrent >/dev/null 2>&1 &
	else
		gw2 unblock "device:$d" --request "R-$d" --by test >/dev/null 2>&1 &
	fi
	cpids+=($!)
done
nfail=0
for p in "${cpids[@]}"; do wait "$p" || nfail=$((nfail + 1)); done
[ "$nfail" = 0 ] && ok "20 concurrent block/unblock runs succeed" || fail "$nfail of 20 concurrent runs failed"
want=$(printf 'd%02d\n' $(seq 0 9))
got=$(awk '$1 == "device" { print $2 }' "$ST2/blocks" | sort)
[ "$got" = "$want" ] && ok "the blocks file holds exactly d00..d09 (no update lost)" ||
	fail "blocks file after concurrent runs: $(cat "$ST2/blocks")"
blocked() {
	gw2 -j status | python3 -c '
import json, sys
for s in json.load(sys.stdin)["systems"]:
    for d in s["devices"]:
        if "block" in d:
            print(d["device"])' | sort
}
got=$(blocked)
[ "$got" = "$want" ] && ok "the datapath blocks exactly d00..d09" || fail "datapath blocks: $got"
# new maps (a reboot): attach puts every recorded block back, also those
# after a line that is no block
sed -i '1i garbage, not a block' "$ST2/blocks"
check "detach ext0 (second pins)" gw2 detach ext0
rm -rf "$PIN2"
err=$(gw2 attach ext0 --mode native 2>&1)
[ $? -eq 0 ] && grep -q "^$ST2/blocks:1: warning: not a block" <<<"$err" &&
	ok "re-attach onto new maps reports the bad line" || fail "re-attach: $err"
got=$(blocked)
[ "$got" = "$want" ] && ok "... and re-applies every block after it" || fail "re-applied blocks: $got"
check "detach ext0 (second pins) again" gw2 detach ext0

# --- meterwalld records a timed block's end: once, with an event ------------
MWD=$PWD/$O/meterwalld
if [ -x "$MWD" ]; then
	printf 'state_dir: %s\nlog_dir: %s\npin_dir: %s\nmetrics_listen: "off"\n' \
		"$MW_STATE_DIR" "$MW_LOG_DIR" "$MW_PIN_DIR" >"$tmp/mwd.yaml"
	nsenter --net=/run/netns/"$NS_GW" "$MWD" -c "$tmp/mwd.yaml" >"$tmp/mwd.log" 2>&1 &
	mwd=$!
	pids+=($mwd)
	for _ in $(seq 50); do grep -q "meterwalld: ready" "$tmp/mwd.log" && break; sleep 0.1; done
	check "block a device for 1s under meterwalld" gw block device:hems-gw-2 --reason "timed, daemon" --for 1s
	sleep 2.5
	n=$(grep -c '"event":"block-expired","kind":"device","target":"hems-gw-2"' "$MW_LOG_DIR/events.jsonl")
	h=$(grep -c '"event":"expired","kind":"device","target":"hems-gw-2".*"user":"meterwalld"' "$MW_STATE_DIR/blocks.history")
	[ "$n" = 1 ] && [ "$h" = 1 ] && grep -q '"target":"hems-gw-2","system":"hems-aggregator","entity":"Kanto HEMS Services K.K.","contact":"soc@kanto-hems.example","demarcation":"ext0"' "$MW_LOG_DIR/events.jsonl" &&
		ok "meterwalld records the end once: a block-expired event (system, entity, contact, demarcation) and the history" ||
		fail "daemon expiry: $n events, $h history records; $(tail -n 3 "$tmp/mwd.log")"
	kill "$mwd"
	wait "$mwd" 2>/dev/null
fi

suite_end
