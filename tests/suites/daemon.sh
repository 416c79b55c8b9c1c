#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# meterwalld (XDP, on the host): make install / uninstall and the systemd
# unit (systemd-analyze verify, exposure); configuration errors; sd_notify READY;
# the policy loaded by mwctl while it runs is attached; an external
# interface deleted and re-created under traffic is attached again with
# the policy's tables reloaded for its new ifindex (latency measured, no
# forbidden datagram through, allowed traffic back); SIGKILL leaves
# enforcement in force; a restart adopts it and keeps a block; SIGTERM
# audits the stop.  Traffic: UDP from an allowed device (198.51.100.10)
# and from an unknown source (203.0.113.66) to 192.0.2.10:3610, every
# 2 ms each, from a peer namespace through the veth pair ext0/p0; flow
# records written for active and idle flows; auto_block; events to a
# real rsyslog, metrics to a real Prometheus; the log disk filling up;
# a burst of link events of other interfaces answered without reading the
# policy again (strace counts), and a policy's new external interface
# attached as it is created.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/suite.sh
O=${O:-build}
M=$PWD/$O/mwctl
D=$PWD/$O/meterwalld
FLOW="python3 $PWD/tests/lib/udpflow.py"
[ "$(id -u)" -eq 0 ] || cannot_run "needs root"
[ -x "$M" ] && [ -x "$D" ] || cannot_run "$M or $D not built"
for t in ip nsenter python3 rsyslogd prometheus strace; do
	command -v $t >/dev/null || cannot_run "$t missing"
done
[ -e /sys/kernel/btf/vmlinux ] || cannot_run "no BTF"

GW=mwd$$gw PEER=mwd$$p
tmp=$(mktemp -d)
export MW_PIN_DIR=/sys/fs/bpf/meterwall-mwd$$
export MW_STATE_DIR=$tmp/state MW_LOG_DIR=$tmp/log
pids=() dpid=

cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	# a pid of `gw cmd &' is the subshell of the function: its child
	# (nsenter, become the command) goes first, or it outlives the suite
	for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	nsenter --net=/run/netns/$GW "$M" detach ext0 >/dev/null 2>&1
	umount "$MW_LOG_DIR" 2>/dev/null
	ip netns del $GW 2>/dev/null
	ip netns del $PEER 2>/dev/null
	rm -rf "$MW_PIN_DIR" "$tmp"
}
trap cleanup EXIT

gw() { nsenter --net=/run/netns/$GW "$@"; }
mw() { gw "$M" "$@"; }

# ext0 in the gateway, p0 in the peer, fixed MACs and permanent
# neighbours (no ARP through the filter), left down
mk_link() {
	ip -n $GW link add ext0 address 02:00:00:00:01:01 type veth \
		peer name p0 address 02:00:00:00:01:02 netns $PEER &&
	ip -n $GW addr add 198.51.100.1/24 dev ext0 &&
	ip -n $GW addr add 203.0.113.1/24 dev ext0 &&
	ip -n $PEER addr add 198.51.100.10/24 dev p0 &&
	ip -n $PEER addr add 203.0.113.66/24 dev p0 &&
	ip -n $PEER addr add 198.51.100.11/24 dev p0
}
link_up() {
	ip -n $PEER link set p0 up && ip -n $GW link set ext0 up &&
	ip -n $GW neigh replace 198.51.100.10 lladdr 02:00:00:00:01:02 dev ext0 nud permanent &&
	ip -n $GW neigh replace 203.0.113.66 lladdr 02:00:00:00:01:02 dev ext0 nud permanent &&
	ip -n $GW neigh replace 198.51.100.11 lladdr 02:00:00:00:01:02 dev ext0 nud permanent &&
	ip -n $PEER neigh replace 198.51.100.1 lladdr 02:00:00:00:01:01 dev p0 nud permanent &&
	ip -n $PEER route replace 192.0.2.0/24 via 198.51.100.1 dev p0
}
xdp_on() { ip -n $GW -d link show ext0 2>/dev/null | grep -q "prog/xdp"; }
count() { grep -c "^$1\$" "$tmp/rx.log" 2>/dev/null || true; }
# wait up to $1 ms for CMD...; prints the ms it took; 1 if it never held
within_ms() {
	local max=$1 t0 now
	shift
	t0=$(date +%s%N)
	while :; do
		if "$@"; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		[ $(((now - t0) / 1000000)) -ge "$max" ] && return 1
		sleep 0.005
	done
}
start_daemon() {	# log [VAR=VALUE...]
	local log=$1
	shift
	env NOTIFY_SOCKET="$tmp/notify" "$@" nsenter --net=/run/netns/$GW "$D" \
		-c "$tmp/meterwalld.yaml" >>"$log" 2>&1 &
	dpid=$!
}
ready_count() { grep -c '^READY=1$' "$tmp/notify.log" 2>/dev/null || true; }
ready_more() { [ "$(ready_count)" -gt "$1" ]; }	# READY=1 more than $1 times

cat >"$tmp/pol.yaml" <<'EOF'
meterwall: 1
serial: 1
flow_entries: 1024
interfaces:
  - name: ext0
    zone: external
  - name: sm0
    zone: smart-meter
zones:
  - name: head-end
    prefixes: [192.0.2.10]
systems:
  - name: partner
    entity: "Example K.K."
    contact: "ops@example.net"
    agreement: "AGR-1"
    interface: ext0
    devices:
      - name: partner-gw
        addresses: [198.51.100.10]
    conduits:
      - direction: inbound
        zone: head-end
        proto: udp
        ports: [3610]
EOF

# the agreement ends in 10 days; a maintenance conduit's window is open now
# (from a minute ago, for 5 minutes, every day)
sed -i "s/^    agreement: \"AGR-1\"\$/&\n    expires: $(date -u -d '+10 days' +%Y-%m-%d)/" "$tmp/pol.yaml"
cat >>"$tmp/pol.yaml" <<EOF
      - name: maint
        direction: inbound
        zone: head-end
        proto: tcp
        ports: [22]
        window: { days: [mon, tue, wed, thu, fri, sat, sun], from: "$(date -u -d '-1 min' +%H:%M)", to: "$(date -u -d '+4 min' +%H:%M)" }
EOF

# --- configuration ---------------------------------------------------------
printf 'state_dir: %s\ncolour: blue\n' "$tmp/x" >"$tmp/bad1.yaml"
err=$("$D" -c "$tmp/bad1.yaml" 2>&1)
[ $? -eq 1 ] && grep -qF "$tmp/bad1.yaml:2:1: error: unknown key \`colour' (state_dir, log_dir, pin_dir, attach_mode, flow_idle, flow_active, flow_log_max_mb, flow_log_max_age, syslog_udp, metrics_listen, log_min_free_mb, notify_command, notify_severity)" <<<"$err" &&
	ok "config: an unknown key is named with file:line:col" || fail "config unknown key: $err"
printf 'attach_mode: turbo\n' >"$tmp/bad2.yaml"
err=$("$D" -c "$tmp/bad2.yaml" 2>&1)
[ $? -eq 1 ] && grep -qF "$tmp/bad2.yaml:1:14: error: attach_mode \`turbo': native or generic" <<<"$err" &&
	ok "config: a bad value is named" || fail "config bad value: $err"
printf 'state_dir: relative/dir\n' >"$tmp/bad3.yaml"
err=$("$D" -c "$tmp/bad3.yaml" 2>&1)
[ $? -eq 1 ] && grep -qF "\`relative/dir': an absolute path is required" <<<"$err" &&
	ok "config: a relative directory is refused" || fail "config relative: $err"
err=$("$D" -c "$tmp/missing.yaml" 2>&1)
[ $? -eq 1 ] && grep -qF "$tmp/missing.yaml: error: No such file or directory" <<<"$err" &&
	ok "config: a named file that is missing is an error" || fail "config missing: $err"
printf 'state_dir: %s\nlog_dir: %s\npin_dir: %s\nattach_mode: generic\nflow_idle: 1\nflow_active: 2\nsyslog_udp: 127.0.0.1:5514\nmetrics_listen: 127.0.0.1:9377\nlog_min_free_mb: 1\nnotify_command: sh %s/notify.sh\n' \
	"$MW_STATE_DIR" "$MW_LOG_DIR" "$MW_PIN_DIR" "$tmp" >"$tmp/meterwalld.yaml"
# the notification command: its first two runs fail, then each event's
# line is kept with MW_EVENT
cat >"$tmp/notify.sh" <<EOF
n=\$((\$(cat $tmp/notify.runs 2>/dev/null || echo 0) + 1))
echo \$n >$tmp/notify.runs
[ \$n -le 2 ] && exit 1
printf '%s ' "\$MW_EVENT" >>$tmp/notified
cat >>$tmp/notified
EOF
printf 'flow_idle: 0\n' >"$tmp/bad4.yaml"
err=$("$D" -c "$tmp/bad4.yaml" 2>&1)
[ $? -eq 1 ] && grep -qF "$tmp/bad4.yaml:1:12: error: flow_idle \`0': a whole number from 1 to 3600" <<<"$err" &&
	ok "config: a number out of range is named with its range" || fail "config range: $err"

# --- install, the unit ----------------------------------------------------------
make -s O="$O" install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/inst.log" 2>&1 ||
	fail "make install: $(cat "$tmp/inst.log")"
want="lib/systemd/system/meterwalld.service usr/sbin/meterwalld usr/sbin/mwctl usr/share/doc/meterwall/examples/gateway.yaml usr/share/doc/meterwall/examples/minimal.yaml usr/share/man/man5/meterwall-policy.5 usr/share/man/man8/meterwalld.8 usr/share/man/man8/mwctl.8"
got=$(cd "$tmp/root" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] && ok "make install DESTDIR PREFIX=/usr: programs, unit, man pages, examples" ||
	fail "installed: $got"
[ "$(stat -c %a "$tmp/root/usr/sbin/meterwalld")" = 755 ] &&
	grep -qx "ExecStart=/usr/sbin/meterwalld" "$tmp/root/lib/systemd/system/meterwalld.service" &&
	ok "the unit runs the installed program" || fail "unit ExecStart / mode"
make -s O="$O" uninstall DESTDIR="$tmp/root" PREFIX=/usr >/dev/null 2>&1
[ -z "$(find "$tmp/root" -type f)" ] && ok "make uninstall removes every installed file" ||
	fail "left after uninstall: $(find "$tmp/root" -type f)"
if command -v systemd-analyze >/dev/null; then
	make -s O="$O" install PREFIX="$tmp/p" UNITDIR="$tmp/p/unit" >/dev/null 2>&1
	out=$(systemd-analyze verify --man=no "$tmp/p/unit/meterwalld.service" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify: the unit is clean" || fail "unit verify: $out"
	lvl=$(systemd-analyze security --offline=yes "$tmp/p/unit/meterwalld.service" 2>&1 |
		sed -n 's/.*Overall exposure level for meterwalld.service: \([0-9.]*\).*/\1/p')
	awk "BEGIN { exit !(\"$lvl\" != \"\" && $lvl <= 4.0) }" 2>/dev/null &&
		ok "hardened unit: exposure $lvl (at most 4.0)" || fail "unit exposure: ${lvl:-?}"
	grep -q "^Before=network-pre.target" "$tmp/p/unit/meterwalld.service" &&
		grep -q "^Type=notify" "$tmp/p/unit/meterwalld.service" &&
		ok "ordered before network-pre.target, Type=notify" || fail "unit ordering"
else
	[ "${CI:-}" = true ] && fail "systemd-analyze missing" || echo "SKIP  systemd-analyze missing"
fi

# the log directory on a 4 MiB tmpfs, to be filled later
mkdir -p "$MW_LOG_DIR" && mount -t tmpfs -o size=4m,mode=0750 mwdlog "$MW_LOG_DIR" ||
	cannot_run "mount a tmpfs for the logs"

# --- topology and traffic ----------------------------------------------------
ip netns add $GW && ip netns add $PEER || cannot_run "ip netns add"
ip -n $GW link set lo up
ip -n $GW link add sm0 type veth peer name sm0p	# the meter side
ip -n $GW addr add 192.0.2.10/32 dev sm0
ip -n $GW link set sm0 up
gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
mk_link && link_up || cannot_run "veth pair"
gw $FLOW recv 3610 "$tmp/rx.log" &
pids+=($!)
# a real rsyslog in the gateway namespace, the daemon's RFC 5424 collector
mkdir -p "$tmp/rs"
cat >"$tmp/rsyslog.conf" <<RSYSLOG
global(workDirectory="$tmp/rs")
module(load="imudp")
template(name="mw" type="string" string="%app-name%|%msgid%|%structured-data%|%msg%\\n")
ruleset(name="mw") { action(type="omfile" file="$tmp/syslog.out" template="mw") }
input(type="imudp" address="127.0.0.1" port="5514" ruleset="mw")
RSYSLOG
gw rsyslogd -n -f "$tmp/rsyslog.conf" -i "$tmp/rs.pid" >"$tmp/rs.log" 2>&1 &
pids+=($!)
# a real Prometheus in the gateway namespace, scraping the daemon every second
cat >"$tmp/prom.yml" <<PROM
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: meterwall
    static_configs:
      - targets: ['127.0.0.1:9377']
PROM
gw prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/prom" \
	--web.listen-address=127.0.0.1:9090 >"$tmp/prom.log" 2>&1 &
pids+=($!)
$FLOW notify "$tmp/notify" "$tmp/notify.log" &
pids+=($!)
ip netns exec $PEER $FLOW send 192.0.2.10 3610 198.51.100.10 203.0.113.66 &
sender=$!
pids+=($sender)
sleep 0.5
[ "$(count 203.0.113.66)" -gt 0 ] && [ "$(count 198.51.100.10)" -gt 0 ] &&
	ok "traffic flows before enforcement (both sources)" || fail "no traffic: $(wc -l <"$tmp/rx.log")"

# --- start without a policy, then mwctl load while it runs ----------------
start_daemon "$tmp/d1.log"
ms=$(within_ms 5000 ready_more 0) &&
	ok "READY=1 without a policy ($ms ms)" || fail "no READY: $(cat "$tmp/d1.log")"
check "without a policy nothing is attached" bash -c "! ip -n $GW -d link show ext0 | grep -q prog/xdp"
mw load "$tmp/pol.yaml" >/dev/null 2>"$tmp/err" || fail "load: $(cat "$tmp/err")"
# (the first attach also loads the program: the verifier's time)
ms=$(within_ms 3000 xdp_on) &&
	ok "the daemon attaches ext0 within 3 s of mwctl load ($ms ms)" || fail "not attached after load: $(cat "$tmp/d1.log")"
sleep 0.3
f0=$(count 203.0.113.66) a0=$(count 198.51.100.10)
sleep 0.5
f1=$(count 203.0.113.66) a1=$(count 198.51.100.10)
[ "$f1" -eq "$f0" ] && [ "$a1" -gt "$a0" ] &&
	ok "enforced: unknown source dropped, the device passes ($((a1 - a0)) in 0.5 s)" ||
	fail "enforcement after load: forbidden $f0 -> $f1, allowed $a0 -> $a1"
cal_events() { python3 - "$MW_LOG_DIR/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
exp = [e for e in ev if e["event"] == "agreement-expiring"]
win = [e for e in ev if e["event"] == "window-open"]
sys.exit(not (len(exp) == 1 and exp[0]["system"] == "partner" and
              exp[0]["agreement"] == "AGR-1" and exp[0]["days_left"] in ("10", "11") and
              exp[0]["expires"].endswith("T00:00:00Z") and
              exp[0]["contact"] == "ops@example.net" and
              exp[0]["demarcation"] == win[0]["demarcation"] == "ext0" and
              len(win) == 1 and win[0]["conduit"] == "partner/maint" and
              win[0]["first"] == "yes"))
PY
}
ms=$(within_ms 3000 cal_events) &&
	ok "calendar: the agreement's 30-day warning (10 days left) and the open maintenance window, once each ($ms ms)" ||
	fail "calendar events: $(grep -E 'agreement|window' "$MW_LOG_DIR/events.jsonl")"

# --- metrics: the endpoint, and a real Prometheus scraping it --------------------
get() {	# URL: "STATUS CONTENT-TYPE" then the body
	gw python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    print(r.status, r.headers.get("Content-Type"))
    print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Content-Type"))
PY
}
m=$(get http://127.0.0.1:9377/metrics)
head -n 1 <<<"$m" | grep -qx "200 text/plain; version=0.0.4" &&
	grep -q '^meterwall_xdp_packets_total{verdict="pass",reason="ALLOWED"} [1-9]' <<<"$m" &&
	grep -q '^meterwall_xdp_packets_total{verdict="drop",reason="UNKNOWN_SOURCE"} [1-9]' <<<"$m" &&
	grep -q '^meterwall_device_packets_total{system="partner",device="partner-gw",verdict="pass"} [1-9]' <<<"$m" &&
	grep -q '^meterwall_policy_serial 1$' <<<"$m" && grep -q '^# TYPE meterwall_xdp_packets_total counter$' <<<"$m" &&
	grep -q '^meterwall_xdp_flow_evictions_total [0-9]*$' <<<"$m" &&
	ok "GET /metrics: Prometheus text with reasons, devices, the serial" || fail "metrics: $(head -n 20 <<<"$m")"
# the system's packets are its devices' (one device: the same number)
dp=$(sed -n 's/^meterwall_device_packets_total{system="partner",device="partner-gw",verdict="pass"} //p' <<<"$m")
grep -q "^meterwall_system_packets_total{system=\"partner\",verdict=\"pass\"} $dp\$" <<<"$m" &&
	grep -q '^meterwall_flow_table_rows [1-9][0-9]*$' <<<"$m" &&
	grep -q '^meterwall_flow_table_used_rows [1-9][0-9]*$' <<<"$m" &&
	grep -q '^meterwall_flow_poll_seconds 0\.[0-9]*$' <<<"$m" &&
	grep -q '^meterwall_policy_age_seconds [0-9]*$' <<<"$m" &&
	grep -q '^meterwall_events_lost_total 0$' <<<"$m" &&
	grep -q '^meterwall_audit_write_failures_total 0$' <<<"$m" &&
	ok "metrics: system totals (= its device's $dp), flow table rows and use, poll time, policy age, events lost, audit health" ||
	fail "metrics: $(grep -E 'system_|flow_table|flow_poll|policy_age|events_lost|audit_write' <<<"$m")"
get http://127.0.0.1:9377/other | head -n 1 | grep -q "^404 " && ok "any other path is 404" || fail "not 404"
promq() {	# QUERY: the first sample's value, or nothing
	gw python3 - "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(sys.argv[1])
try:
    r = json.load(urllib.request.urlopen(u, timeout=2))
    print(r["data"]["result"][0]["value"][1])
except Exception:
    pass
PY
}
prom_has() { v=$(promq "$1"); [ -n "$v" ] && python3 -c "import sys; sys.exit(not float(sys.argv[1]) > 0)" "$v"; }
ms=$(within_ms 20000 prom_has 'meterwall_device_packets_total{device="partner-gw",verdict="pass"}') &&
	prom_has 'meterwall_xdp_packets_total{reason="UNKNOWN_SOURCE"}' &&
	ok "Prometheus scraped the daemon: the device's packets and the drops by reason ($ms ms)" ||
	fail "Prometheus: $(promq up) $(tail -n 3 "$tmp/prom.log")"

# --- drop events: XDP's ring buffer read by the daemon ------------------------------
dsd='\[meterwall@32473 point="xdp" iface="ext0" verdict="DROP" reason="UNKNOWN_SOURCE" proto="17" src="203.0.113.66" sport="[0-9]*" dst="192.0.2.10" dport="3610" device="" system="" entity="" contact="" demarcation=""\]'
ms=$(within_ms 3000 grep -q "^meterwalld|drop|$dsd|DROP UNKNOWN_SOURCE from 203.0.113.66 on ext0" "$tmp/syslog.out") &&
	ok "drop events reach rsyslog with their fields ($ms ms)" || fail "no drop event: $(grep '|drop|' "$tmp/syslog.out" | tail -n 2)"
n0=$(grep -c '^meterwalld|drop|' "$tmp/syslog.out")
sleep 2
n1=$(grep -c '^meterwalld|drop|' "$tmp/syslog.out")
[ $((n1 - n0)) -ge 5 ] && [ $((n1 - n0)) -le 30 ] &&
	ok "drop events stay rate-limited: $((n1 - n0)) in 2 s for 1,000 drops (event_rate 10/s)" ||
	fail "drop events in 2 s: $((n1 - n0))"
mw -j status | tr -d ' \n' | grep -q '"meterwalld":{"running":true}' &&
	ok "mwctl status shows meterwalld running" || fail "status: $(mw -j status | tail -c 200)"
out=$(mw -j events 2>"$tmp/err")
grep -q "meterwalld reads the drop events" "$tmp/err" && grep -q '"event":"drop"' <<<"$out" &&
	ok "mwctl events, with the daemon reading them: its drop events from events.jsonl" ||
	fail "mwctl events: $(cat "$tmp/err") $(head -c 300 <<<"$out")"

# --- the log directory fills up: alert off the host, enforcement goes on ----------
free_kb=$(df -k --output=avail "$MW_LOG_DIR" | tail -n 1)
fallocate -l $(((free_kb - 512) * 1024)) "$MW_LOG_DIR/filler" || fail "fallocate"
ms=$(within_ms 3000 grep -q "^meterwalld|storage-low|\[meterwall@32473 log_dir=\"$MW_LOG_DIR\" free_bytes=\"[0-9]*\" min_bytes=\"1048576\"\]|" "$tmp/syslog.out") &&
	ok "log space under log_min_free_mb: a storage-low warning reaches rsyslog ($ms ms)" ||
	fail "no storage-low: $(tail -n 3 "$tmp/syslog.out")"
# the last page of flows.jsonl filled with a JSON line of its own, so
# the next record needs a page the disk no longer has
sz=$(stat -c %s "$MW_LOG_DIR/flows.jsonl" 2>/dev/null || echo 0)
pad=$((4096 - sz % 4096))
[ "$pad" -lt 16 ] && pad=$((pad + 4096))
python3 -c 'import sys; n = int(sys.argv[1]); open(sys.argv[2], "a").write("{\"pad\":\"" + "x" * (n - 11) + "\"}\n")' "$pad" "$MW_LOG_DIR/flows.jsonl"
dd if=/dev/zero of="$MW_LOG_DIR/filler2" bs=4k >/dev/null 2>&1	# until ENOSPC
f0=$(count 203.0.113.66) a0=$(count 198.51.100.10)
sleep 3
f1=$(count 203.0.113.66) a1=$(count 198.51.100.10)
werr=$(get http://127.0.0.1:9377/metrics | sed -n 's/^meterwall_flow_write_errors_total //p')
[ "$f1" -eq "$f0" ] && [ "$a1" -gt "$a0" ] && [ "${werr:-0}" -gt 0 ] &&
	ok "log disk full: records lost ($werr write errors), enforcement unchanged" ||
	fail "disk full: forbidden $f0 -> $f1, allowed $a0 -> $a1, write errors ${werr:-?}"
rm -f "$MW_LOG_DIR/filler" "$MW_LOG_DIR/filler2"
ms=$(within_ms 3000 grep -q "^meterwalld|storage-ok|" "$tmp/syslog.out") &&
	ok "space back: a storage-ok notice ($ms ms)" || fail "no storage-ok: $(tail -n 2 "$tmp/syslog.out")"
for f in events.jsonl flows.jsonl audit.log; do
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$MW_LOG_DIR/$f" ||
		{ fail "$f holds a line that is not JSON after the disk filled"; continue; }
	ok "$f: every line whole after the disk filled (no torn record)"
done

# --- ext0 deleted and re-created under traffic ------------------------------
ip -n $GW link del ext0
f0=$(count 203.0.113.66) a0=$(count 198.51.100.10)
mk_link || fail "re-create ext0"
ms=$(within_ms 1000 xdp_on) &&
	ok "re-created ext0 attached within 1 s ($ms ms)" || fail "re-created ext0 not attached: $(tail -n 5 "$tmp/d1.log")"
link_up || fail "ext0 up"
sleep 1
f1=$(count 203.0.113.66) a1=$(count 198.51.100.10)
[ "$f1" -eq "$f0" ] && ok "no forbidden datagram through the re-created ext0" ||
	fail "forbidden through the re-created ext0: $((f1 - f0))"
[ "$a1" -gt "$a0" ] && ok "the device passes again: the tables know the new ifindex ($((a1 - a0)) in 1 s)" ||
	fail "allowed traffic after re-creation: $a0 -> $a1 (tables still hold the old ifindex?)"
grep -q "ext0 (ifindex [0-9]*): attached" "$tmp/d1.log" &&
	ok "the daemon logs the attach with the ifindex" || fail "daemon log: $(cat "$tmp/d1.log")"

# --- SIGKILL: enforcement goes on; a restart adopts it ------------------------
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
f0=$(count 203.0.113.66) a0=$(count 198.51.100.10)
sleep 0.5
f1=$(count 203.0.113.66) a1=$(count 198.51.100.10)
xdp_on && [ "$f1" -eq "$f0" ] && [ "$a1" -gt "$a0" ] &&
	ok "after SIGKILL the program stays and still judges" ||
	fail "after SIGKILL: forbidden $f0 -> $f1, allowed $a0 -> $a1"
mw block partner --reason "daemon test" >/dev/null 2>"$tmp/err" || fail "block: $(cat "$tmp/err")"
sleep 0.2
r0=$(ready_count)
start_daemon "$tmp/d2.log" WATCHDOG_USEC=400000
ms=$(within_ms 10000 ready_more "$r0") &&
	ok "restarted: READY=1 ($ms ms)" || fail "restart not ready: $(cat "$tmp/d2.log")"
w0=$(grep -c '^WATCHDOG=1$' "$tmp/notify.log")
sleep 1
w1=$(grep -c '^WATCHDOG=1$' "$tmp/notify.log")
[ $((w1 - w0)) -ge 3 ] && ok "watchdog: WATCHDOG=1 at half the interval ($((w1 - w0)) in 1 s at 400 ms)" ||
	fail "watchdog pings: $((w1 - w0)) in 1 s"
grep -q "policy serial 1 in force (xdp), 1 blocks" "$tmp/d2.log" &&
	ok "restart restores the policy and the block" || fail "restart log: $(cat "$tmp/d2.log")"
sleep 0.3
a0=$(count 198.51.100.10)
sleep 0.5
a1=$(count 198.51.100.10)
[ "$a1" -eq "$a0" ] && ok "the block holds through the restart" || fail "block lifted by the restart: $a0 -> $a1"
mw unblock partner --request R-1 --by test >/dev/null 2>"$tmp/err" || fail "unblock: $(cat "$tmp/err")"

# --- flow records (flow_idle 1 s, flow_active 2 s) --------------------------------
F=$MW_LOG_DIR/flows.jsonl
# records of the allowed device's flows: END PASS/DROP count
frec() { python3 - "$F" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if (r.get("end") == sys.argv[2] and r["src"] == "198.51.100.10" and
            r["dst"] == "192.0.2.10" and r["dport"] == 3610 and
            r["proto"] == "udp" and r["verdict"] == "PASS" and
            r["reason"] == "ALLOWED" and r["system"] == "partner" and
            r["device"] == "partner-gw" and r["entity"] == "Example K.K." and
            r["contact"] == "ops@example.net" and r["demarcation"] == "ext0" and
            r["iface"] == "ext0" and r["conduit"] and r["packets"] > 0 and
            r["bytes"] >= r["packets"] * 28 and r["time"].endswith("Z") and
            r["first_ns"] <= r["last_ns"]):
        n += 1
print(n)
PY
}
sleep 3
[ "$(frec active)" -ge 1 ] && ok "flow records: an active flow is written every flow_active, with its system, entity, contact, demarcation" ||
	fail "no active record: $(tail -n 2 "$F" 2>/dev/null)"
kill "$sender"
sleep 2.5
[ "$(frec idle)" -ge 1 ] && ok "flow records: a flow that went idle is written once more" ||
	fail "no idle record: $(tail -n 2 "$F" 2>/dev/null)"
n0=$(wc -l <"$F")
sleep 2
[ "$(wc -l <"$F")" -eq "$n0" ] && ok "flow records: an idle flow is not written again" ||
	fail "records keep coming for idle flows: $n0 -> $(wc -l <"$F")"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$F" &&
	ok "flow records: every line is JSON ($(wc -l <"$F") records)" || fail "flows.jsonl is not JSON lines"

# --- auto_block: 100 drops a minute, blocked for 3 s -------------------------------
sed 's/^serial: 1$/serial: 2/; s/^    interface: ext0$/    interface: ext0\n    auto_block: { drops_per_min: 100, block_for: 3 }/' \
	"$tmp/pol.yaml" >"$tmp/pol2.yaml"
mw load "$tmp/pol2.yaml" >/dev/null 2>"$tmp/err" || fail "load auto_block policy: $(cat "$tmp/err")"
ip netns exec $PEER $FLOW send 192.0.2.10 3610 198.51.100.10 &
good=$!
pids+=($good)
ip netns exec $PEER $FLOW send 192.0.2.10 9999 198.51.100.10 &	# NO_CONDUIT
bad=$!
ab_record() { grep -q '"claimed":"meterwalld","action":"block","object":"system:partner","reason":"auto-block: [0-9]* drops in the last minute (threshold 100); top: udp 198.51.100.10:[0-9]* > 192.0.2.10:9999 [0-9]* pkts DROP NO_CONDUIT' "$MW_LOG_DIR/audit.log"; }
ms=$(within_ms 5000 ab_record) &&
	ok "auto-block: 100 drops in a minute block the system ($ms ms), audited with count, threshold and the top flow" ||
	fail "no auto-block: $(tail -n 3 "$tmp/d2.log")"
kill "$bad"
python3 - "$MW_LOG_DIR/events.jsonl" <<'PY' && ok "events.jsonl: the auto-block with system, entity, contact, demarcation, reason" || fail "events.jsonl: $(tail -n 2 "$MW_LOG_DIR/events.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not any(e["event"] == "auto-block" and e["system"] == "partner" and
                 e["entity"] == "Example K.K." and e["contact"] == "ops@example.net" and
                 e["demarcation"] == "ext0" and "threshold 100" in e["reason"] and
                 e["target"] == "system:partner" and int(e["drop_packets"]) >= 100 and
                 "> 192.0.2.10:9999" in e["top_flows"] and
                 e["time"].endswith("Z") for e in ev))
PY
sd='\[meterwall@32473 target="system:partner" system="partner" device="" entity="Example K.K." contact="ops@example.net" demarcation="ext0" reason="auto-block: [0-9]* drops in the last minute (threshold 100)" block_for="3" drop_packets="[0-9]*" pass_packets="[0-9]*" top_flows="udp 198.51.100.10:[0-9]* > 192.0.2.10:9999 [^"]*"\]'
ms=$(within_ms 2000 grep -q "^meterwalld|auto-block|$sd|system:partner blocked" "$tmp/syslog.out") &&
	ok "rsyslog received the auto-block as RFC 5424 with its structured data" ||
	fail "syslog: $(tail -n 3 "$tmp/syslog.out" 2>/dev/null) $(cat "$tmp/rs.log")"
# the audit records' fields (audit.h), their time fields aside; claimed only under sudo
actor='seq="[0-9]*" uid="0" user="[^"]*"\( claimed="[^"]*"\)\{0,1\}'
grep -q "^meterwalld|unblock|\[meterwall@32473 $actor object=\"system:partner\" reason=\"the owner's request R-1, approved by test\" result=\"ok\" kind=\"system\" target=\"partner\" request=\"R-1\" approved_by=\"test\" mac=\"[0-9a-f]\{64\}\"\]|unblock (audit record" "$tmp/syslog.out" &&
	grep -q "^meterwalld|policy-load|\[meterwall@32473 $actor object=\"$tmp/pol2.yaml\" reason=\"\" result=\"ok\" serial=\"2\" digest=\"[0-9a-f]\{64\}\" generation=\"[0-9]*\" kmod=\"no\" mac=\"[0-9a-f]\{64\}\"\]|" "$tmp/syslog.out" &&
	ok "mwctl's unblock and load, from the audit log, reach rsyslog with their fields" ||
	fail "audit records in syslog: $(grep -v '|attach|' "$tmp/syslog.out" | head -n 8)"
! grep -q '^meterwalld|block|.*claimed="meterwalld"' "$tmp/syslog.out" &&
	ok "the daemon's own audit records are not passed on twice" || fail "daemon audit record forwarded"
grep -q "^meterwalld|start|-|meterwalld started" "$tmp/syslog.out" &&
	grep -q '^meterwalld|attach|\[meterwall@32473 iface="ext0" ifindex="[0-9]*"\]|' "$tmp/syslog.out" &&
	ok "rsyslog received the start and the attaches" || fail "syslog start/attach: $(head -n 5 "$tmp/syslog.out")"
grep -q "^system partner [0-9]* 1 " "$MW_STATE_DIR/blocks" &&
	ok "auto-block: recorded with cause threshold and an end" || fail "blocks file: $(cat "$MW_STATE_DIR/blocks")"
sleep 0.3
a0=$(count 198.51.100.10)
sleep 0.5
a1=$(count 198.51.100.10)
[ "$a1" -eq "$a0" ] && ok "auto-block: the device's allowed traffic stops too" || fail "still passing while blocked: $a0 -> $a1"
sleep 3.5
a0=$(count 198.51.100.10)
sleep 0.5
a1=$(count 198.51.100.10)
[ "$a1" -gt "$a0" ] && [ "$(grep -c '"reason":"auto-block' "$MW_LOG_DIR/audit.log")" -eq 1 ] &&
	ok "auto-block: lifts itself after block_for, and its own drops do not block again" ||
	fail "after block_for: $a0 -> $a1, $(grep -c '"reason":"auto-block' "$MW_LOG_DIR/audit.log") auto-blocks"
# new_flows_per_sec: 50 (a new source port every 2 ms), blocked for 2 s
sed 's/^serial: 1$/serial: 3/; s/^    interface: ext0$/    interface: ext0\n    auto_block: { new_flows_per_sec: 50, block_for: 2 }/' \
	"$tmp/pol.yaml" >"$tmp/pol3.yaml"
mw load "$tmp/pol3.yaml" >/dev/null 2>"$tmp/err" || fail "load new_flows policy: $(cat "$tmp/err")"
sleep 1.5
[ "$(grep -c '"reason":"auto-block' "$MW_LOG_DIR/audit.log")" -eq 1 ] &&
	ok "auto-block: one steady flow stays under new_flows_per_sec" || fail "blocked by a steady flow"
ip netns exec $PEER $FLOW spray 192.0.2.10 3610 198.51.100.10 &
bad=$!
ab_flows() { grep -q '"action":"block","object":"system:partner","reason":"auto-block: [0-9]* new flows in a second (threshold 50); top: udp 198.51.100.10:' "$MW_LOG_DIR/audit.log"; }
ms=$(within_ms 5000 ab_flows) &&
	ok "auto-block: 50 new flows in a second block the system ($ms ms)" ||
	fail "no new-flows auto-block: $(tail -n 3 "$tmp/d2.log")"
kill "$bad"
kill "$good"
sleep 3	# the block ends, the flows go idle and are written

# --- notify_command: the first auto-block's event after two failed runs ----------
notified() { grep -q '^auto-block {.*"event":"auto-block".*"system":"partner".*"reason":"auto-block: [0-9]* drops in the last minute' "$tmp/notified" 2>/dev/null; }
ms=$(within_ms 8000 notified) &&
	[ "$(cat "$tmp/notify.runs")" -eq $(($(grep -c '^[a-z-]* {' "$tmp/notified") + 2)) ] &&
	ok "notify_command: the auto-block event on stdin with MW_EVENT; each event once, after the 2 failed runs were retried ($ms ms)" ||
	fail "notified: $(cat "$tmp/notified" 2>/dev/null) runs $(cat "$tmp/notify.runs" 2>/dev/null)"
m=$(get http://127.0.0.1:9377/metrics)
grep -q '^meterwall_notify_delivered_total [1-9]' <<<"$m" &&
	grep -q '^meterwall_notify_lost_total 0$' <<<"$m" &&
	grep -q "^meterwall_auto_blocks_total $(grep -c '"reason":"auto-block' "$MW_LOG_DIR/audit.log")\$" <<<"$m" &&
	ok "metrics: notifications delivered, none lost; auto-blocks as many as audited" ||
	fail "notify metrics: $(grep -E "notify|auto_blocks" <<<"$m" | grep -v "^#")"
! grep -q '"event":"drop"' "$tmp/notified" &&
	ok "notify_command: informational events (drops) are not sent" || fail "drop events notified"

# --- scope: device, scan_targets_per_min; over_limits_secs ------------------------------
# a second device; the scanner (partner-gw2) is blocked, its neighbour goes on
sed 's/^serial: 1$/serial: 4/; s/^    interface: ext0$/    interface: ext0\n    auto_block: { scan_targets_per_min: 30, block_for: 3, scope: device }/; s/^    devices:$/    devices:\n      - name: partner-gw2\n        addresses: [198.51.100.11]/' \
	"$tmp/pol.yaml" >"$tmp/pol4.yaml"
mw load "$tmp/pol4.yaml" >/dev/null 2>"$tmp/err" || fail "load scan policy: $(cat "$tmp/err")"
ip netns exec $PEER $FLOW send 192.0.2.10 3610 198.51.100.10 198.51.100.11 &
good=$!
pids+=($good)
sleep 1.2
[ "$(grep -c '"reason":"auto-block' "$MW_LOG_DIR/audit.log")" -eq 2 ] &&
	ok "auto-block: two steady flows to one port are no scan" || fail "blocked without a scan"
ip netns exec $PEER $FLOW scan 192.0.2.10 198.51.100.11 &
bad=$!
ab_scan() { grep -q '"action":"block","object":"device:partner-gw2","reason":"auto-block: [0-9]* distinct destinations in the last minute (threshold 30); top: udp 198.51.100.11:' "$MW_LOG_DIR/audit.log"; }
ms=$(within_ms 5000 ab_scan) &&
	ok "auto-block: a port scan (30 destinations) blocks the device, scope device ($ms ms)" ||
	fail "no scan auto-block: $(grep '"action":"block"' "$MW_LOG_DIR/audit.log" | tail -n 2) $(tail -n 3 "$tmp/d2.log")"
kill "$bad"
sleep 0.3
a0=$(count 198.51.100.10) b0=$(count 198.51.100.11)
sleep 0.6
a1=$(count 198.51.100.10) b1=$(count 198.51.100.11)
[ "$b1" -eq "$b0" ] && [ "$a1" -gt "$a0" ] &&
	ok "auto-block: the scanner's allowed traffic stops, its neighbour's goes on ($a0 -> $a1)" ||
	fail "scanner $b0 -> $b1, neighbour $a0 -> $a1"
! grep -q '"action":"block","object":"system:partner","reason":"[^"]*distinct' "$MW_LOG_DIR/audit.log" &&
	ok "auto-block: scope device does not block the system" || fail "the system was blocked"
kill "$good"
# over_limits_secs: 500 datagrams/s against limits of 100 pps for 2 seconds
sed 's/^serial: 1$/serial: 5/; s/^    interface: ext0$/    interface: ext0\n    limits: { pps: 100 }\n    auto_block: { over_limits_secs: 2, block_for: 2 }/' \
	"$tmp/pol.yaml" >"$tmp/pol5.yaml"
mw load "$tmp/pol5.yaml" >/dev/null 2>"$tmp/err" || fail "load limits policy: $(cat "$tmp/err")"
ip netns exec $PEER $FLOW send 192.0.2.10 3610 198.51.100.10 &
good=$!
pids+=($good)
ab_lim() { grep -q '"action":"block","object":"system:partner","reason":"auto-block: over the system.s limits in [0-9]* seconds of the last minute (threshold 2); top: .*udp 198.51.100.10:[0-9]* > 192.0.2.10:3610 [0-9]* pkts DROP RATE_LIMIT' "$MW_LOG_DIR/audit.log"; }
ms=$(within_ms 6000 ab_lim) &&
	ok "auto-block: 2 seconds over the system's limits block it ($ms ms)" ||
	fail "no limits auto-block: $(grep '"action":"block"' "$MW_LOG_DIR/audit.log" | tail -n 1) $(tail -n 3 "$tmp/d2.log")"
kill "$good"
sleep 2.5	# the block ends

# --- flow records of evicted flows: 2,500 one-datagram flows into 1,024 rows -------------
rec_sum() {	# packets in records of flows from .10 to 3610 with packets since $1 (ns;
		# what came before is written by then: the flows before went idle)
	python3 - "$MW_LOG_DIR/flows.jsonl" "$1" <<'PY'
import json, sys
n = e = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("src") == "198.51.100.10" and r.get("dport") == 3610 and r.get("last_ns", 0) >= int(sys.argv[2]):
        n += r["packets"]
        e += r["end"] == "evicted"
print(n, e)
PY
}
sed 's/^serial: 1$/serial: 6/' "$tmp/pol.yaml" >"$tmp/pol6.yaml"	# no limits, no auto_block
mw load "$tmp/pol6.yaml" >/dev/null 2>"$tmp/err" || fail "load pol6: $(cat "$tmp/err")"
# (the only sender now: every datagram it gets through is an ALLOWED pass)
devpass() { sed -n 's/^meterwall_xdp_packets_total{verdict="pass",reason="ALLOWED"} //p' <<<"$1"; }
m=$(get http://127.0.0.1:9377/metrics)
ev0=$(sed -n 's/^meterwall_xdp_flow_evictions_total //p' <<<"$m") p0=$(devpass "$m")
t0=$(date +%s%N)
ip netns exec $PEER $FLOW spray 192.0.2.10 3610 198.51.100.10 &
bad=$!
sleep 5
kill "$bad"
sleep 3.5	# idle (1 s), polled, written
m=$(get http://127.0.0.1:9377/metrics)
ev1=$(sed -n 's/^meterwall_xdp_flow_evictions_total //p' <<<"$m") p1=$(devpass "$m")
read -r got evicted <<<"$(rec_sum "$t0")"
[ "$got" -eq $((p1 - p0)) ] && [ "$evicted" -gt 0 ] && [ $((ev1 - ev0)) -gt 0 ] &&
	ok "flow records: $got packets recorded, as many as XDP passed, $evicted records written at eviction ($((ev1 - ev0)) evictions)" ||
	fail "flow records under eviction: $got recorded, $((p1 - p0)) passed, $evicted at eviction, evictions $ev0 -> $ev1"

# --- an operator's detach stands ------------------------------------------------------
mw detach ext0 >/dev/null 2>"$tmp/err" || fail "detach: $(cat "$tmp/err")"
ip -n $GW link set ext0 down && ip -n $GW link set ext0 up	# link events
sleep 1
! xdp_on && ok "after mwctl detach the daemon leaves ext0 alone, link events or not" ||
	fail "the daemon attached ext0 again after the operator's detach"
mw attach ext0 --mode generic >/dev/null 2>"$tmp/err" || fail "attach: $(cat "$tmp/err")"
ip -n $GW link set ext0 down && ip -n $GW link set ext0 up
sleep 0.5
xdp_on && ! grep -qx ext0 "$MW_STATE_DIR/detached" &&
	ok "mwctl attach ends it (ext0 no longer recorded as detached)" || fail "detached: $(cat "$MW_STATE_DIR/detached")"

# --- link events of interfaces of no concern (containers, VLANs) --------------
# Answered from the policy in force as last read: policy.img is read again
# only when it changed (a 10^6-device image costs 0.14 s to read and check;
# a burst of such events must not stall the loop and its watchdog).  strace
# counts the daemon's opens of policy.img and its lstat of it per event.
strace -f -qq -e trace=openat,newfstatat,statx -o "$tmp/st.log" -p "$dpid" 2>"$tmp/st.err" &
st=$!
traced() { grep -q 'policy\.img' "$tmp/st.log" 2>/dev/null; }	# flowlog's stat, each second
opens() { grep -c 'openat(.*/policy\.img"' "$tmp/st.log"; }
lstats() { grep -c '/policy\.img".*AT_SYMLINK_NOFOLLOW' "$tmp/st.log"; }
if within_ms 5000 traced >/dev/null; then
	o0=$(opens) l0=$(lstats)
	for i in $(seq 1 40); do ip -n $GW link add mwx$i type veth peer name mwy$i; done
	for i in $(seq 1 40); do ip -n $GW link del mwx$i; done
	sleep 1
	o1=$(opens) l1=$(lstats)
	[ $((l1 - l0)) -ge 40 ] && [ "$o1" -eq "$o0" ] &&
		ok "40 veth pairs of no concern created and deleted: policy.img not read again ($((l1 - l0)) link events looked at)" ||
		fail "link burst: policy.img opened $((o1 - o0)) times, $((l1 - l0)) events looked at"
else
	fail "strace could not follow the daemon: $(cat "$tmp/st.err")"
fi
kill -INT "$st" 2>/dev/null	# strace detaches
wait "$st" 2>/dev/null
# ... and a policy that names a new external interface is seen at once
sed 's/^serial: 1$/serial: 7/; s/^  - name: sm0$/  - name: ext1\n    zone: external\n  - name: sm0/' \
	"$tmp/pol.yaml" >"$tmp/pol7.yaml"
mw load "$tmp/pol7.yaml" >/dev/null 2>"$tmp/err" || fail "load pol7: $(cat "$tmp/err")"
sleep 0.3
ip -n $GW link add ext1 type veth peer name ext1p
ext1_on() { ip -n $GW -d link show ext1 2>/dev/null | grep -q "prog/xdp"; }
ms=$(within_ms 1000 ext1_on) &&
	ok "ext1, external in the policy loaded since, attached as it is created ($ms ms)" ||
	fail "ext1 not attached: $(tail -n 3 "$tmp/d2.log")"
ip -n $GW link del ext1

# --- SIGTERM --------------------------------------------------------------------
kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
[ "$rc" -eq 0 ] && grep -q '"action":"daemon-stop"' "$MW_LOG_DIR/audit.log" &&
	grep -q '"action":"daemon-start"' "$MW_LOG_DIR/audit.log" &&
	grep -q '^STOPPING=1$' "$tmp/notify.log" &&
	ok "SIGTERM: exit 0, STOPPING=1, start and stop audited" || fail "SIGTERM: rc $rc"
xdp_on && ok "enforcement stays after the daemon stops" || fail "program gone after stop"
mw -j status | tr -d ' \n' | grep -q '"meterwalld":{"running":false}' &&
	ok "mwctl status shows meterwalld stopped" || fail "status after stop: $(mw -j status | tail -c 200)"
n0=$(wc -l <"$F")
r0=$(ready_count)
start_daemon "$tmp/d3.log"
within_ms 10000 ready_more "$r0" >/dev/null || fail "third start not ready: $(cat "$tmp/d3.log")"
sleep 2.5
[ -s "$MW_STATE_DIR/flows.marks" ] && [ "$(wc -l <"$F")" -eq "$n0" ] &&
	ok "a restart after SIGTERM writes no flow again (flows.marks)" ||
	fail "records after the restart: $n0 -> $(wc -l <"$F")"
kill -TERM "$dpid"
wait "$dpid"
dpid=

# --- flows.jsonl rotated by age (flow_log_max_age) ------------------------------
echo 'flow_log_max_age: 2' >>"$tmp/meterwalld.yaml"
r0=$(ready_count)
start_daemon "$tmp/d4.log"
within_ms 10000 ready_more "$r0" >/dev/null || fail "fourth start not ready: $(cat "$tmp/d4.log")"
rm -f "$F.1"
ip netns exec $PEER $FLOW send 192.0.2.10 3610 198.51.100.10 &
good=$!
pids+=($good)
rotated() { [ -s "$F.1" ] && [ -s "$F" ]; }
ms=$(within_ms 20000 rotated) &&
	python3 -c 'import json,sys; [json.loads(l) for f in sys.argv[1:] for l in open(f)]' "$F" "$F.1" &&
	ok "flows.jsonl rotated to flows.jsonl.1 once flow_log_max_age old, records going on in a new one ($ms ms)" ||
	fail "no rotation by age: $(ls -l "$MW_LOG_DIR")"
kill "$good"
kill -TERM "$dpid"
wait "$dpid"
dpid=
suite_end
