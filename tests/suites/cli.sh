#!/usr/bin/env bash
# mwctl as a user drives it: check, check --risk, compile, explain; text and
# JSON; exit codes; every invalid fixture rejected with its located message.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/suite.sh
O=${O:-build}
MWCTL=$O/mwctl
[ -x "$MWCTL" ] || cannot_run "$MWCTL not built"
command -v python3 >/dev/null || cannot_run "python3 missing"
tmp=$(mktemp -d)
PINS=/sys/fs/bpf/meterwall-cli-$$	# block and reconnect, as root only
trap 'rm -rf "$tmp" "$PINS"' EXIT
NOW=1795000000		# 2026-11-18, fixed so expiry findings do not drift

is_json() { python3 -c 'import json,sys; json.load(sys.stdin)'; }

# --- check ------------------------------------------------------------
expect_rc "check accepts the examples" 0 "$MWCTL" check examples/gateway.yaml examples/minimal.yaml
for f in tests/fixtures/valid/*.yaml; do
	expect_rc "check accepts $f" 0 "$MWCTL" check "$f"
done
n=0
for f in tests/fixtures/invalid/*.yaml; do
	want=$(sed -n '1s/^# expect: \([0-9]*:[0-9]*\): .*/\1/p' "$f")
	err=$("$MWCTL" check "$f" 2>&1 >/dev/null)
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq 1 ] && grep -q "^$f:$want: error: " <<<"$err"; then
		ok "rejects $f at $want"
	else
		fail "rejects $f at $want (exit $rc: $err)"
	fi
done
[ "$n" -ge 45 ] && ok "at least 45 invalid fixtures ($n)" || fail "only $n invalid fixtures"
expect_rc "check: missing file is an error" 1 "$MWCTL" check "$tmp/nope.yaml"
err=$("$MWCTL" check "$tmp/nope.yaml" 2>&1)
grep -q "$tmp/nope.yaml" <<<"$err" && ok "missing file named in the error" || fail "missing file named: $err"
expect_rc "check: one bad file fails the run" 1 "$MWCTL" check examples/minimal.yaml tests/fixtures/invalid/"$(ls tests/fixtures/invalid | head -n 1)"
expect_rc "check: no arguments is a usage error" 1 "$MWCTL" check
expect_rc "unknown command" 1 "$MWCTL" chek examples/minimal.yaml
expect_rc "no prefix abbreviation" 1 "$MWCTL" chec examples/minimal.yaml
"$MWCTL" check --help | grep -q "Usage: mwctl check" && ok "check --help to stdout" || fail "check --help"
"$MWCTL" -j check examples/gateway.yaml | is_json && ok "check -j is JSON" || fail "check -j is JSON"

# --- check --risk -----------------------------------------------------
out=$("$MWCTL" check --risk --now $NOW examples/gateway.yaml)
rc=$?
[ "$rc" -eq 2 ] && ok "risk: example's highest finding is medium (exit 2)" || fail "risk exit $rc"
grep -q "MW-R011" <<<"$out" && ok "risk: wide IPv6 device prefix reported" || fail "risk R011: $out"
grep -q "^  low      MW-R080 examples/gateway.yaml:141:9 dr-aggregator/outbound-1: outbound conduit dr-aggregator/outbound-1 opens a stateless inbound path in XDP-only deployments: its devices may send tcp with ACK to zone head-end (from port 443 to ports 1024-65535), unasked$" <<<"$out" &&
	ok "risk: the outbound conduit's stateless reply path reported (low)" || fail "risk R080: $out"
cat >"$tmp/telnet.yaml" <<'Y'
meterwall: 1
serial: 3
interfaces:
  - { name: ext0, zone: external }
  - { name: sm0, zone: smart-meter }
zones:
  - { name: meters, prefixes: [192.0.2.128/25] }
systems:
  - name: vendor
    entity: "Vendor K.K."
    contact: "noc@vendor.example"
    agreement: "V-1"
    interface: ext0
    auto_block: { drops_per_min: 100 }
    limits: { pps: 100 }
    devices:
      - { name: v1, addresses: [198.51.100.5], mac: "02:00:5e:00:00:05" }
    conduits:
      - { name: telnet, direction: inbound, zone: meters, proto: tcp, ports: [23] }
      - { name: wide-open, direction: inbound, zone: any, proto: any }
      - { name: pull, direction: outbound, zone: meters, proto: udp }
Y
out=$("$MWCTL" -j check --risk --now $NOW "$tmp/telnet.yaml")
rc=$?
[ "$rc" -eq 4 ] && ok "risk: any-to-any is critical (exit 4)" || fail "risk critical exit $rc"
is_json <<<"$out" && ok "risk -j is JSON" || fail "risk -j is JSON"
python3 - "$out" <<'P' && ok "risk JSON: telnet high at 19:9, any-any critical" || fail "risk JSON content: $out"
import json, sys
r = json.loads(sys.argv[1])[0]
f = {(x["id"], x["subject"]): x for x in r["findings"]}
t = f[("MW-R020", "telnet")]
assert t["severity"] == "high" and (t["line"], t["column"]) == (19, 9), t
assert f[("MW-R001", "wide-open")]["severity"] == "critical"
assert ("MW-R001", "telnet") not in f
p = f[("MW-R081", "pull")]
assert p["severity"] == "medium" and p["system"] == "vendor", p
assert "vendor/pull" in p["message"] and "from any port" in p["message"], p
assert ("MW-R080", "pull") not in f
assert r["highest"] == "critical"
P

sed -e 's/^serial: 3/serial: 3\nexpires: 2026-12-01/' "$tmp/telnet.yaml" >"$tmp/expiring.yaml"
out=$("$MWCTL" check --risk --now $NOW "$tmp/expiring.yaml")
grep -q "MW-R034 $tmp/expiring.yaml:3:10 policy: policy serial 3 expires" <<<"$out" &&
	ok "risk: policy expiring in 14 days reported at its line" || fail "risk R034: $out"

# --- compile ----------------------------------------------------------
expect_rc "compile writes an image" 0 "$MWCTL" compile examples/gateway.yaml -o "$tmp/gw.img"
[ -s "$tmp/gw.img" ] && ok "image is not empty" || fail "image empty"
head -c 4 "$tmp/gw.img" | grep -q "MWPI" && ok "image starts with the magic" || fail "image magic"
expect_rc "compile with --prev keeps working" 0 "$MWCTL" compile examples/gateway.yaml -o "$tmp/gw2.img" --prev "$tmp/gw.img"
printf 'garbage' >"$tmp/bad.img"
expect_rc "compile rejects a corrupt --prev image" 1 "$MWCTL" compile examples/gateway.yaml -o "$tmp/x.img" --prev "$tmp/bad.img"
expect_rc "compile of an invalid policy fails" 1 "$MWCTL" compile "$tmp/nope.yaml" -o "$tmp/y.img"
[ ! -e "$tmp/y.img" ] && ok "failed compile writes nothing" || fail "failed compile wrote $tmp/y.img"
"$MWCTL" -j compile examples/gateway.yaml -o "$tmp/gw3.img" | is_json && ok "compile -j is JSON" || fail "compile -j JSON"

# --- explain ----------------------------------------------------------
# explain VERDICT REASON ARGS...: exit 0 for PASS, 2 for DROP, JSON fields
explain() {
	local want_v=$1 want_r=$2 out rc
	shift 2
	out=$("$MWCTL" -j explain examples/gateway.yaml --at $NOW "$@")
	rc=$?
	local want_rc=2
	[ "$want_v" = PASS ] && want_rc=0
	if python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert (r["verdict"], r["reason"]) == (sys.argv[2], sys.argv[3]), r' \
		"$out" "$want_v" "$want_r" 2>/dev/null && [ "$rc" -eq "$want_rc" ]; then
		ok "explain $* -> $want_v $want_r"
	else
		fail "explain $* -> want $want_v $want_r, got (exit $rc) $out"
	fi
}
explain PASS ALLOWED --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610
explain PASS ALLOWED --from 2001:db8:100::11 --to 2001:db8:10::10 --proto tcp --dport 3610
explain DROP NO_CONDUIT --from 198.51.100.10 --to 192.0.2.10 --proto tcp --dport 22
explain DROP NO_CONDUIT --from 198.51.100.10 --to 192.0.2.130 --proto udp --dport 3610
explain DROP UNKNOWN_SOURCE --from 198.51.100.99 --to 192.0.2.10 --proto udp --dport 3610
explain DROP SPOOFED --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610 --mac 02:00:5e:66:00:11
explain DROP WRONG_IFACE --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610 --iface ext1
explain DROP ISLAND --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610 --island
explain DROP VLAN --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610 --vlan 7
explain DROP FRAGMENT --from 198.51.100.10 --to 192.0.2.10 --proto udp --fragment
explain DROP AGREEMENT --from 198.51.100.65 --to 192.0.2.10 --proto tcp --dport 8883
explain PASS ALLOWED --from 203.0.113.20 --to 192.0.2.20 --proto tcp --dport 8444
explain PASS ALLOWED --from 203.0.113.30 --to 192.0.2.20 --proto icmp
explain DROP NO_CONDUIT --from 203.0.113.30 --to 192.0.2.20 --proto tcp --dport 443
explain PASS ALLOWED --from 192.0.2.10 --to 203.0.113.80 --proto tcp --dport 443
explain PASS REPLY --from 203.0.113.80 --to 192.0.2.10 --proto tcp --sport 443 --dport 40000 --tcp-flags ack
explain DROP NO_CONDUIT --from 203.0.113.80 --to 192.0.2.10 --proto tcp --sport 443 --dport 40000 --tcp-flags syn
explain DROP UNKNOWN_DEST --from 192.0.2.10 --to 198.51.100.200 --proto tcp --dport 443
# stateless replies: to an ephemeral port, with the flags of a reply
explain DROP NO_CONDUIT --from 203.0.113.80 --to 192.0.2.10 --proto tcp --sport 443 --dport 22 --tcp-flags ack
explain DROP NO_CONDUIT --from 203.0.113.80 --to 192.0.2.10 --proto tcp --sport 443 --dport 1023 --tcp-flags synack
explain PASS REPLY --from 203.0.113.80 --to 192.0.2.10 --proto tcp --sport 443 --dport 1024 --tcp-flags synack
# routing control and ICMP errors
explain DROP ICMP_CONTROL --from 198.51.100.10 --to 192.0.2.10 --proto icmp --icmp-type 5
explain DROP ICMP_CONTROL --from 2001:db8:100::11 --to 2001:db8:10::10 --proto icmpv6 --icmp-type 134
# reply_ports narrows what a stateless reply may go to
sed 's/^serial: .*/&\nreply_ports: "30000-39999"/' examples/gateway.yaml >"$tmp/reply.yaml"
rp() { "$MWCTL" -j explain "$tmp/reply.yaml" --at $NOW --from 203.0.113.80 --to 192.0.2.10 --proto tcp --sport 443 --tcp-flags ack --dport "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reason"])'; }
[ "$(rp 30000)" = REPLY ] && [ "$(rp 39999)" = REPLY ] && [ "$(rp 40000)" = NO_CONDUIT ] &&
	[ "$(rp 29999)" = NO_CONDUIT ] && ok "reply_ports 30000-39999 bounds stateless replies" ||
	fail "reply_ports: $(rp 30000) $(rp 39999) $(rp 40000) $(rp 29999)"
# DLMS contractor: weekdays 09:00-18:00 JST.  NOW is Wed 2026-11-18 20:06 JST.
explain DROP NO_CONDUIT --from 198.51.100.40 --to 192.0.2.130 --proto tcp --dport 4059
NOW=1794978400 explain PASS ALLOWED --from 198.51.100.40 --to 192.0.2.130 --proto tcp --dport 4059
NOW=1795237600 explain DROP NO_CONDUIT --from 198.51.100.40 --to 192.0.2.130 --proto tcp --dport 4059
expect_rc "explain: bad address is an error" 1 "$MWCTL" explain examples/gateway.yaml --from 198.51.100.300 --to 192.0.2.10 --proto udp
expect_rc "explain: mixed families is an error" 1 "$MWCTL" explain examples/gateway.yaml --from 198.51.100.10 --to 2001:db8::1 --proto udp
expect_rc "explain: port out of range" 1 "$MWCTL" explain examples/gateway.yaml --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 70000
expect_rc "explain: unknown interface" 1 "$MWCTL" explain examples/gateway.yaml --from 198.51.100.10 --to 192.0.2.10 --proto udp --iface eth9
"$MWCTL" explain examples/gateway.yaml --at $NOW --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610 |
	grep -q "^conduit:" && ok "explain text names the conduit" || fail "explain text"

# --- the text and JSON forms carry the same fields ----------------------------
# same CMD...: `mwctl CMD` and `mwctl -j CMD` name the same keys
same() {
	"$MWCTL" "$@" >"$tmp/t.out" 2>/dev/null && "$MWCTL" -j "$@" >"$tmp/j.out" 2>/dev/null &&
		python3 tests/lib/same_fields.py "$tmp/t.out" "$tmp/j.out" >"$tmp/diff" 2>&1
}
same compile examples/gateway.yaml -o "$tmp/s.img" && ok "compile: text and -j carry the same fields" || fail "compile fields: $(cat "$tmp/diff")"
same explain examples/gateway.yaml --from 198.51.100.10 --to 192.0.2.10 --proto udp --dport 3610 &&
	ok "explain (pass): text and -j carry the same fields" || fail "explain fields: $(cat "$tmp/diff")"
# a drop exits 2: both forms run whatever the status
"$MWCTL" explain examples/gateway.yaml --from 203.0.113.99 --to 192.0.2.10 --proto tcp --dport 22 >"$tmp/t.out"
"$MWCTL" -j explain examples/gateway.yaml --from 203.0.113.99 --to 192.0.2.10 --proto tcp --dport 22 >"$tmp/j.out"
grep -q "^verdict: DROP" "$tmp/t.out" && python3 tests/lib/same_fields.py "$tmp/t.out" "$tmp/j.out" >"$tmp/diff" 2>&1 &&
	ok "explain (drop): text and -j carry the same fields" || fail "explain drop fields: $(cat "$tmp/diff")"
printf 'verdict: PASS\nextra: 1\n' >"$tmp/t.out"; echo '{"verdict":"PASS"}' >"$tmp/j.out"
python3 tests/lib/same_fields.py "$tmp/t.out" "$tmp/j.out" >/dev/null && fail "same_fields.py misses a field" || ok "same_fields.py finds a field only one form has"
out=$("$MWCTL" -j check examples/minimal.yaml)
for k in serial interfaces zones systems devices conduits image_bytes; do
	case $out in *"\"$k\":"*) ;; *) fail "check -j lacks $k: $out"; k=x; break ;; esac
done
[ "$k" != x ] && ok "check -j has every count its text line has"

# --- state directory, block arguments (refused before any datapath) ---------
# never the machine's pins and log, even when a refusal is missing
export MW_PIN_DIR=$tmp/pins MW_LOG_DIR=$tmp/log
# bl ARGS...: `mwctl block' with the state directory $st; stderr in $tmp/err
bl() { MW_STATE_DIR=$st "$MWCTL" block "$@" 2>"$tmp/err" >/dev/null; }
st=$tmp/state/meterwall
bl gw --reason test --for 213504d
[ $? -eq 1 ] && grep -q "duration \`213504d' is too long: at most [0-9]*d (the datapaths' clock ends then)" "$tmp/err" &&
	ok "block --for 213504d refused (does not wrap to 25 minutes)" || fail "block --for 213504d: $(cat "$tmp/err")"
bl gw --reason test --for 99999999999999999999999s
[ $? -eq 1 ] && grep -q "\`99999999999999999999999s' is too long" "$tmp/err" &&
	ok "block: a duration beyond 64 bits is too long" || fail "block 1e23s: $(cat "$tmp/err")"
bl gw --reason test --for 3x
[ $? -eq 1 ] && grep -q "invalid duration \`3x'" "$tmp/err" && ok "block: invalid duration named" || fail "block 3x: $(cat "$tmp/err")"
long=device:$(printf 'd%.0s' $(seq 64))
bl "$long" --reason test
[ $? -eq 1 ] && grep -q "\`$long' is longer than any system or device name (at most 63 bytes)" "$tmp/err" &&
	ok "block: a 64-byte name refused, not truncated" || fail "block long name: $(cat "$tmp/err")"
[ ! -e "$st" ] && ok "rejected arguments touch no state" || fail "state created for rejected arguments"
(umask 022; bl gw --reason test)
[ $? -eq 1 ] && grep -q "no policy in force" "$tmp/err" && ok "block without a policy fails" || fail "block, no policy: $(cat "$tmp/err")"
[ "$(stat -c %a "$st")" = 750 ] && [ "$(stat -c %a "$st/lock")" = 600 ] &&
	ok "state directory created 0750, lock file 0600 (umask 022)" || fail "modes: $(stat -c '%a %n' "$st" "$st/lock")"
"$MWCTL" compile examples/minimal.yaml -o "$tmp/min.img" >/dev/null
ln -s "$tmp/min.img" "$st/policy.img"
bl gw --reason test
[ $? -eq 1 ] && grep -q "refusing $st/policy.img: it is a symbolic link" "$tmp/err" &&
	ok "a symlinked policy.img is refused" || fail "symlinked policy.img: $(cat "$tmp/err")"
rm "$st/policy.img"
mkdir "$tmp/gw-dir"
chmod 0770 "$tmp/gw-dir"
for cmd in "block gw --reason test" "unblock gw --request R --by B" "load examples/minimal.yaml" "island on" "attach ext0" "detach ext0"; do
	# shellcheck disable=SC2086
	MW_STATE_DIR=$tmp/gw-dir "$MWCTL" $cmd >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && [ ! -e "$tmp/gw-dir/lock" ] &&
		grep -q "^mwctl: error: refusing $tmp/gw-dir (MW_STATE_DIR): it is writable by group or others (uid [0-9]*, mode 0770)" "$tmp/err"; then
		ok "$cmd: group-writable state directory refused"
	else
		fail "$cmd: group-writable state directory (exit $rc): $(cat "$tmp/err")"
	fi
done
mkdir "$tmp/pins-gw"
chmod 0770 "$tmp/pins-gw"
MW_PIN_DIR=$tmp/pins-gw "$MWCTL" status >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "^mwctl: error: refusing $tmp/pins-gw (MW_PIN_DIR): it is writable by group or others" "$tmp/err" &&
	ok "group-writable pin directory refused" || fail "group-writable pin dir: $(cat "$tmp/err")"
ln -s "$st" "$tmp/st-link"
MW_STATE_DIR=$tmp/st-link "$MWCTL" block gw --reason test 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "refusing $tmp/st-link (MW_STATE_DIR): it is a symbolic link" "$tmp/err" &&
	ok "symlinked state directory refused" || fail "symlinked state dir: $(cat "$tmp/err")"
if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 0750 "$tmp/other"
	chown nobody "$tmp/other"
	MW_STATE_DIR=$tmp/other "$MWCTL" block gw --reason test 2>"$tmp/err"
	[ $? -eq 1 ] && grep -q "refusing $tmp/other (MW_STATE_DIR): it is not owned by root" "$tmp/err" &&
		ok "state directory of another user refused" || fail "other user's state dir: $(cat "$tmp/err")"
fi

# --- audit log: its chain, mwctl audit init / verify, refusals ----------------
# au ARGS...: mwctl with the audit test's own state and log; stderr in $tmp/err
au() { MW_STATE_DIR=$tmp/au/st MW_LOG_DIR=$tmp/au/log "$MWCTL" "$@" 2>"$tmp/err"; }
alog=$tmp/au/log/audit.log
au audit init -o "$tmp/au-k0" >/dev/null
[ $? -eq 0 ] && [ "$(stat -c %a "$tmp/au-k0")" = 600 ] && grep -qx '[0-9a-f]\{64\}' "$tmp/au-k0" &&
	[ ! -e "$tmp/au/st/audit.key0" ] && [ "$(stat -c %a "$alog")" = 600 ] &&
	[ "$(stat -c %a "$tmp/au/st/audit.key")" = 600 ] &&
	grep -q '^{"seq":0,"time":"[0-9T:.-]*Z","ts_ns":[0-9]*,"uid":'"$(id -u)"',"user":"[^"]*","action":"audit-init","object":"audit.log","reason":"a new chain","result":"ok","mac":"[0-9a-f]\{64\}"}$' "$alog" &&
	ok "audit init: the initial key to a new 0600 file, not kept; audit.log and audit.key 0600; the first record" ||
	fail "audit init: $(cat "$tmp/err") $(cat "$alog")"
au audit init -o "$tmp/au-k1" >/dev/null
[ $? -eq 1 ] && grep -q "initialised already .*--force starts a new chain" "$tmp/err" && [ ! -e "$tmp/au-k1" ] &&
	ok "audit init refused a second time" || fail "audit init twice: $(cat "$tmp/err")"
SUDO_USER=alice au block gw --reason test
grep -q '"uid":'"$(id -u)"',"user":"[^"]*","claimed":"alice","action":"block","object":"gw","reason":"no policy in force (load one first)","result":"refused"' "$alog" &&
	ok "a refused block is recorded with its reason; sudo's user only as claimed" || fail "refused block: $(tail -n 1 "$alog")"
bad=tests/fixtures/invalid/$(ls tests/fixtures/invalid | head -n 1)
au load "$bad"
grep -q '"action":"policy-load","object":"'"$bad"'","reason":"[^"]\+","result":"refused"' "$alog" &&
	ok "a rejected policy is recorded as refused, with its reason" || fail "refused load: $(tail -n 1 "$alog")"
au audit verify --key "$tmp/au-k0" >"$tmp/out"
[ $? -eq 0 ] && grep -q "^records: 3" "$tmp/out" && grep -q "^ok: yes" "$tmp/out" &&
	ok "audit verify: the log on the host is whole (3 records)" || fail "audit verify: $(cat "$tmp/out" "$tmp/err")"
cp "$alog" "$tmp/au-good"
sed -i '2s/"reason":"no policy/"reason":"No policy/' "$alog"
au audit verify --key "$tmp/au-k0" >/dev/null
[ $? -eq 1 ] && grep -q "^$alog:2: record 1: its mac is wrong" "$tmp/err" &&
	ok "audit verify: one changed byte, the record named (line 2)" || fail "changed byte: $(cat "$tmp/err")"
sed -i '2d' "$alog"
au audit verify --key "$tmp/au-k0" >/dev/null
[ $? -eq 1 ] && grep -q "^$alog:2: seq 2 where record 1 belongs" "$tmp/err" &&
	ok "audit verify: a deleted record named" || fail "deleted record: $(cat "$tmp/err")"
head -n 2 "$tmp/au-good" >"$alog"
au audit verify --key "$tmp/au-k0" >/dev/null
[ $? -eq 1 ] && grep -q "^$alog: the log ends after 2 records, but the key state is at record 3" "$tmp/err" &&
	ok "audit verify: the last record cut off, found through the key state" || fail "truncated: $(cat "$tmp/err")"
# off the host: the seals that reached syslog
printf '<29>1 2026-12-02T14:05:03.123Z gw meterwalld 42 x [meterwall@32473 seq="2" mac="%s"] x\n' \
	"$(sed -n '3s/.*"mac":"\([0-9a-f]*\)"}$/\1/p' "$tmp/au-good")" >"$tmp/au-seals"
au audit verify --key "$tmp/au-k0" --seals "$tmp/au-seals" "$alog" >/dev/null
[ $? -eq 1 ] && grep -q "the log ends after 2 records, but a seal names record 2" "$tmp/err" &&
	au audit verify --key "$tmp/au-k0" --seals "$tmp/au-seals" "$tmp/au-good" >/dev/null &&
	ok "audit verify LOG --seals: the cut found off the host; the whole log passes" || fail "seals: $(cat "$tmp/err")"
cp "$tmp/au-good" "$alog"
mv "$tmp/au/st/audit.key" "$tmp/au-key"
au audit init >/dev/null
[ $? -eq 1 ] && grep -q "holds records but there is no key state" "$tmp/err" && [ ! -e "$tmp/au/st/audit.key" ] &&
	ok "audit init refused over a log without its key state" || fail "init, no key state: $(cat "$tmp/err")"
mv "$tmp/au-key" "$tmp/au/st/audit.key"
au audit init --force >"$tmp/out"
grep -x '[0-9a-f]\{64\}' "$tmp/out" >"$tmp/au-k2"
[ $? -eq 0 ] && grep -qx '[0-9a-f]\{64\}' "$tmp/out" && [ "$(ls "$tmp"/au/log/audit.log.* | wc -l)" -eq 1 ] &&
	grep -q '"action":"audit-init","object":"audit.log","reason":"forced: a new chain; the previous log ([^"]*, 3 records by its key state) is kept as [^"]*audit.log.[^"]*"' "$alog" &&
	ok "audit init --force: a new chain, the old log kept aside, the new key on stdout" || fail "init --force: $(cat "$tmp/err")"
mv "$alog" "$tmp/au-log2"
mkdir "$alog"
au load examples/minimal.yaml
[ $? -eq 1 ] && grep -q "refusing to load the policy: its audit record cannot be written first (.*: Is a directory)" "$tmp/err" &&
	[ ! -e "$tmp/au/st/policy.img" ] &&
	ok "load refused when its audit record cannot be written first" || fail "load, log unwritable: $(cat "$tmp/err")"
rmdir "$alog"
ln -s "$tmp/au-log2" "$alog"
au load examples/minimal.yaml
[ $? -eq 1 ] && grep -q "refusing to load the policy: .*Too many levels of symbolic links" "$tmp/err" &&
	ok "a symlinked audit.log is not followed: load refused" || fail "symlinked audit.log: $(cat "$tmp/err")"
rm "$alog"

# with the XDP maps (root, bpffs; a private pin directory, no interface)
apins=/sys/fs/bpf/mw-cli-audit-$$
if [ "$(id -u)" -eq 0 ] && mkdir "$apins" 2>/dev/null; then
	trap 'rm -rf "$tmp" "$PINS" "$apins"' EXIT
	ax() { MW_PIN_DIR=$apins au "$@"; }
	mv "$tmp/au-log2" "$alog"
	ax load examples/minimal.yaml >/dev/null || fail "load: $(cat "$tmp/err")"
	digest=$(MW_PIN_DIR=$apins au status | sed -n 's/^ *digest: //p')
	grep -q '"action":"policy-load","object":"examples/minimal.yaml","reason":"","result":"pending","serial":"1","digest":"'"$digest"'","mac"' "$alog" &&
		grep -q '"action":"policy-load","object":"examples/minimal.yaml","reason":"","result":"ok","serial":"1","digest":"'"$digest"'","generation":"[0-9]*","kmod":"no","mac"' "$alog" &&
		ok "load: recorded before (pending) and after (ok), with the image digest" || fail "load records: $(tail -n 2 "$alog")"
	ax block partner --reason test >/dev/null || fail "block: $(cat "$tmp/err")"
	mv "$alog" "$tmp/au-log3"
	mkdir "$alog"
	ax unblock partner --request R-1 --by ops >/dev/null
	[ $? -eq 1 ] && grep -q "refusing to unblock: its audit record cannot be written first" "$tmp/err" &&
		grep -q "^system partner " "$tmp/au/st/blocks" &&
		ok "unblock refused when its record cannot be written first: still blocked" || fail "unblock, log unwritable: $(cat "$tmp/err")"
	ax island on >/dev/null
	[ $? -eq 0 ] && grep -q "alert: island external interfaces (ok): its audit record could not be written" "$tmp/err" &&
		ok "island on goes on without its record, with an alert" || fail "island on, log unwritable: $(cat "$tmp/err")"
	ax island off >/dev/null
	[ $? -eq 1 ] && grep -q "refusing to turn island mode off" "$tmp/err" &&
		MW_PIN_DIR=$apins au status | grep -q "island: yes" &&
		ok "island off refused when its record cannot be written first: island stays on" || fail "island off: $(cat "$tmp/err")"
	ax block device:partner-gw --reason test >/dev/null
	[ $? -eq 0 ] && grep -q "alert: block device:partner-gw (ok): its audit record could not be written" "$tmp/err" &&
		ok "block goes on without its record, with an alert" || fail "block, log unwritable: $(cat "$tmp/err")"
	rmdir "$alog"
	mv "$tmp/au-log3" "$alog"
	ax island off >/dev/null && ax unblock partner --request R-1 --by ops >/dev/null &&
		grep -q '"action":"unblock","object":"system:partner","reason":"the owner.s request R-1, approved by ops","result":"pending"' "$alog" &&
		grep -q '"action":"unblock","object":"system:partner","reason":"the owner.s request R-1, approved by ops","result":"ok","kind":"system","target":"partner","request":"R-1","approved_by":"ops"' "$alog" &&
		ok "island off and unblock with the log back: recorded before and after" || fail "after: $(cat "$tmp/err")"
	au audit verify --key "$tmp/au-k2" >"$tmp/out"
	[ $? -eq 0 ] && grep -q "^records: $(grep -c . "$alog")$" "$tmp/out" &&
		ok "audit verify: the whole log verified, every record counted" || fail "verify: $(cat "$tmp/out" "$tmp/err")"
	au audit verify --key "$tmp/au-k0" >/dev/null
	[ $? -eq 1 ] && grep -q "record 0: its mac is wrong" "$tmp/err" &&
		ok "the forced chain is not verified with the old chain's key" || fail "old key on the new chain: $(cat "$tmp/err")"
fi

# --- evidence bundles (2.1.1, 2.1.4): mwctl evidence, evidence verify ----------
# ev ARGS...: mwctl with the evidence test's own state and log (the example
# policy compiled into policy.img, no datapath); stderr in $tmp/err
ev() { MW_STATE_DIR=$tmp/ev/st MW_LOG_DIR=$tmp/ev/log MW_PIN_DIR=$tmp/ev/pins "$MWCTL" "$@" 2>"$tmp/err"; }
mkdir -p -m 0750 "$tmp/ev/st" "$tmp/ev/log"
"$MWCTL" compile examples/gateway.yaml -o "$tmp/ev/st/policy.img" >/dev/null
ev audit init -o "$tmp/ev-k0" >/dev/null
now=$(date +%s)
for t in $((now - 7200)) $((now - 60)); do
	for s in hems-aggregator retailer-api; do
		printf '{"time":"x","end":"idle","first_ns":%s000000000,"last_ns":%s000000000,"system":"%s","packets":1}\n' "$t" "$t" "$s"
	done
done >"$tmp/ev/log/flows.jsonl"
printf '{"time":"%s","event":"drop","system":"hems-aggregator"}\n' "$(date -u -d @$((now - 30)) +%FT%T.000Z)" >"$tmp/ev/log/events.jsonl"
out=$(ev evidence hems-aggregator --since 1h -o "$tmp/ev/b.tgz")
[ $? -eq 0 ] && grep -qx "flows: 1" <<<"$out" && grep -qx "events: 1" <<<"$out" && grep -qx "audit_check: structure" <<<"$out" &&
	grep -q "^since: 20.*+09:00$" <<<"$out" && [ "$(stat -c %a "$tmp/ev/b.tgz")" = 600 ] &&
	ok "evidence: a bundle (0600) of the system's window, times in the policy's time zone" || fail "evidence: $out $(cat "$tmp/err")"
[ "$(tar tzf "$tmp/ev/b.tgz" | tr '\n' ' ')" = "manifest.json policy-entry.json audit.jsonl blocks.json blocks-history.jsonl flows.jsonl events.jsonl counters.json " ] &&
	ok "evidence: the bundle is a tar.gz of the manifest and seven members" || fail "evidence members: $(tar tzf "$tmp/ev/b.tgz")"
grep -q '"action":"evidence","object":"system:hems-aggregator",.*"file":"'"$tmp/ev/b.tgz"'".*"manifest_sha256":"'"$(sed -n 's/^manifest_sha256: //p' <<<"$out")"'","bundle_sha256":"'"$(sha256sum "$tmp/ev/b.tgz" | cut -d' ' -f1)"'"' "$tmp/ev/log/audit.log" &&
	ok "evidence: its creation audited with the manifest's and the bundle's SHA-256" || fail "evidence audit record: $(tail -n 1 "$tmp/ev/log/audit.log")"
out=$(ev evidence verify "$tmp/ev/b.tgz")
[ $? -eq 0 ] && grep -qx "ok: yes" <<<"$out" && grep -qx "good: 7" <<<"$out" && grep -qx "anchored: yes" <<<"$out" &&
	ok "evidence verify: every member as listed, anchored in this host's audit log" || fail "evidence verify: $out $(cat "$tmp/err")"
ev -j evidence verify "$tmp/ev/b.tgz" | is_json && ok "evidence verify -j is JSON" || fail "evidence verify -j"
ev evidence hems-aggregator --since 1h -o "$tmp/ev/c.tgz" --key "$tmp/ev-k0" >"$tmp/t.out" &&
	ev -j evidence hems-aggregator --since 1h -o "$tmp/ev/c.tgz" --force --key "$tmp/ev-k0" >"$tmp/j.out" &&
	python3 tests/lib/same_fields.py "$tmp/t.out" "$tmp/j.out" >"$tmp/diff" 2>&1 &&
	grep -qx "audit_check: chain" "$tmp/t.out" &&
	ok "evidence: text and -j carry the same fields; --key checks the audit chain's macs" || fail "evidence fields: $(cat "$tmp/diff" "$tmp/err")"
MW_STATE_DIR=$tmp/ev/st MW_LOG_DIR=$tmp/ev/log same evidence verify "$tmp/ev/b.tgz" && grep -qx "anchored: yes" "$tmp/t.out" && ok "evidence verify: text and -j carry the same fields" || fail "evidence verify fields: $(cat "$tmp/diff")"
# a member changed, one removed, one added: each named, with the file
python3 - "$tmp/ev/b.tgz" "$tmp/ev/bad.tgz" <<'P'
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
dst = tarfile.open(sys.argv[2], "w:gz")
for m in src.getmembers():
    data = src.extractfile(m).read()
    if m.name == "events.jsonl":
        continue
    if m.name == "flows.jsonl":
        data = data.replace(b'"packets":1', b'"packets":2')
    m.size = len(data)
    dst.addfile(m, io.BytesIO(data))
extra = tarfile.TarInfo("notes.txt")
extra.size = 3
dst.addfile(extra, io.BytesIO(b"hi\n"))
dst.close()
P
ev evidence verify "$tmp/ev/bad.tgz" >/dev/null
[ $? -eq 1 ] && grep -qx "$tmp/ev/bad.tgz: flows.jsonl: changed: its SHA-256 is not the manifest's" "$tmp/err" &&
	grep -qx "$tmp/ev/bad.tgz: events.jsonl: missing: the manifest lists it, the bundle lacks it" "$tmp/err" &&
	grep -qx "$tmp/ev/bad.tgz: notes.txt: added: in the bundle, not in the manifest" "$tmp/err" &&
	ok "evidence verify: a changed, a removed and an added member named (exit 1)" || fail "evidence verify tampered: $(cat "$tmp/err")"
ev evidence hems-aggregator --since 1h -o "$tmp/ev/b.tgz"
[ $? -eq 1 ] && grep -q "^$tmp/ev/b.tgz: error: it exists (--force replaces it)$" "$tmp/err" &&
	ok "evidence: an existing file is not replaced without --force" || fail "evidence existing: $(cat "$tmp/err")"
ln -s "$tmp/ev/b.tgz" "$tmp/ev/l.tgz"
ev evidence hems-aggregator --since 1h -o "$tmp/ev/l.tgz" --force
[ $? -eq 1 ] && grep -q "^$tmp/ev/l.tgz: error: it is a symbolic link" "$tmp/err" &&
	ok "evidence: a symbolic link is never followed or replaced" || fail "evidence symlink: $(cat "$tmp/err")"
ev evidence hems-aggregator --since yesterday -o "$tmp/ev/d.tgz"
[ $? -eq 1 ] && grep -q "invalid --since \`yesterday'" "$tmp/err" && [ ! -e "$tmp/ev/d.tgz" ] &&
	ok "evidence: an invalid --since named" || fail "evidence --since: $(cat "$tmp/err")"
ev evidence hems-aggregator --since 2026-12-02T10:00:00+09:00 --until 2026-12-01T00:00:00Z -o "$tmp/ev/d.tgz"
[ $? -eq 1 ] && grep -q "is after --until" "$tmp/err" && ok "evidence: a window that ends before it starts refused" || fail "evidence window: $(cat "$tmp/err")"
expect_rc "evidence: -o FILE is required" 1 ev evidence hems-aggregator --since 1h
ev evidence verify "$tmp/ev/nope.tgz" >/dev/null
[ $? -eq 1 ] && grep -q "^$tmp/ev/nope.tgz: No such file or directory" "$tmp/err" &&
	ok "evidence verify: a missing file named" || fail "evidence verify missing: $(cat "$tmp/err")"
"$MWCTL" evidence --help | grep -q "Usage: mwctl evidence SYSTEM" && ok "evidence --help to stdout" || fail "evidence --help"

# --- block and reconnect on real XDP maps (root, bpffs; no interface) --------
# The example policy (time zone +09:00; dlms-maintenance has two_person)
# in XDP maps of a private pin directory: block, the owner's request, the
# approval, two_person, expiry, mwctl blocks and its history.
if [ "$(id -u)" -eq 0 ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
	export MW_PIN_DIR=$PINS MW_STATE_DIR=$tmp/rc-state MW_LOG_DIR=$tmp/rc-log
	mw() { "$MWCTL" "$@"; }
	mw load examples/gateway.yaml >/dev/null 2>"$tmp/err" || fail "load for blocks: $(cat "$tmp/err")"
	out=$(SUDO_USER=alice mw block hems-aggregator --reason "600 drops a minute" --for 1h --by "duty officer")
	grep -q "^until: 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]+09:00$" <<<"$out" &&
		ok "block says until when, in the policy's time zone" || fail "block until: $out"
	out=$(mw -j block device:gw-collector-1 --reason "scan" --for 2h)
	python3 - "$out" <<'P' && ok "block -j: until (RFC 3339, +09:00) and until_ns are the same instant" || fail "block -j until: $out"
import datetime, json, sys
r = json.loads(sys.argv[1])
t = datetime.datetime.fromisoformat(r["until"])
assert t.utcoffset() == datetime.timedelta(hours=9), r
assert int(t.timestamp()) == r["until_ns"] // 10**9, r
P
	grep -q "^system hems-aggregator [0-9]* 0 [0-9]* $(cat /proc/sys/kernel/random/boot_id) since=[0-9]* uid=0 user=alice by=duty%20officer reason=600%20drops%20a%20minute$" "$MW_STATE_DIR/blocks" &&
		ok "blocks file: who and why beside the block, percent-encoded" || fail "blocks file: $(cat "$MW_STATE_DIR/blocks")"
	out=$(mw blocks hems-aggregator)
	for want in "state: blocked" "target: hems-aggregator" "system: hems-aggregator" "entity: Kanto HEMS Services K.K." \
		"contact: soc@kanto-hems.example" "demarcation: ext0" "cause: manual" "reason: 600 drops a minute" \
		"by: duty officer" "user: alice"; do
		grep -qxF "  $want" <<<"$out" || { fail "blocks: no \`$want': $out"; want=x; break; }
	done
	[ "$want" != x ] && ok "blocks: system, entity, contact, demarcation, cause, reason, who"
	grep -q "^  since: 20.*+09:00$" <<<"$out" && grep -q "^  until: 20.*+09:00$" <<<"$out" &&
		ok "blocks: since and until in the policy's time zone" || fail "blocks times: $out"
	grep -q "gw-collector-1" <<<"$out" && fail "blocks SYSTEM shows another system's device" || ok "blocks SYSTEM: that system's blocks only"
	same blocks && ok "blocks: text and -j carry the same fields" || fail "blocks fields: $(cat "$tmp/diff")"
	out=$(mw -j blocks gas-water-iot)
	python3 -c 'import json,sys; b=json.loads(sys.argv[1]); assert [x["target"] for x in b] == ["gw-collector-1"] and b[0]["system"] == "gas-water-iot" and b[0]["since_ns"] > 0, b' "$out" &&
		ok "blocks -j: a device's block names its system; exact since_ns" || fail "blocks -j: $out"
	long=$(head -c 1024 /dev/zero | tr '\0' r)
	err=$(mw block plain --reason "$long" 2>&1)
	[ $? -eq 1 ] && grep -q "block: --reason is too long (at most 1023 bytes)" <<<"$err" &&
		ok "block: a reason of 1024 bytes refused by mwctl" || fail "long reason: $err"
	# request, approve (no two_person: the one who asked may approve)
	err=$(mw reconnect approve hems-aggregator --by carol 2>&1)
	[ $? -eq 1 ] && grep -q "no reconnect request of system \`hems-aggregator' to approve" <<<"$err" &&
		ok "approve without a request refused" || fail "approve without request: $err"
	mw -j reconnect request hems-aggregator --ref REQ-2026-1202 --by "Tanaka (Kanto HEMS SOC)" | is_json &&
		ok "reconnect request -j is JSON" || fail "reconnect request -j"
	out=$(mw blocks hems-aggregator)
	grep -qx "  state: reconnect-requested" <<<"$out" && grep -qx "    ref: REQ-2026-1202" <<<"$out" &&
		grep -qx "    via: soc@kanto-hems.example" <<<"$out" && grep -q "^    requested: 20.*+09:00$" <<<"$out" &&
		ok "blocks: the request, its contact (the policy's), when" || fail "blocks after request: $out"
	same blocks && ok "blocks with a request: text and -j carry the same fields" || fail "blocks request fields: $(cat "$tmp/diff")"
	out=$(mw reconnect approve hems-aggregator --by "Tanaka (Kanto HEMS SOC)")
	grep -qx "approved_by: Tanaka (Kanto HEMS SOC)" <<<"$out" && grep -qx "request: REQ-2026-1202" <<<"$out" &&
		ok "reconnect approve lifts the block" || fail "approve: $out"
	[ -z "$(mw blocks hems-aggregator)" ] && ok "... and it is no longer listed" || fail "still listed: $(mw blocks hems-aggregator)"
	expect_rc "approve again: not blocked" 1 mw reconnect approve hems-aggregator --by x
	# two_person (dlms-maintenance)
	mw block maint-jump-1 --reason "odd logins" >/dev/null
	err=$(mw unblock maint-jump-1 --request R-9 --by carol 2>&1)
	[ $? -eq 1 ] && grep -q "system \`dlms-maintenance' needs two people (two_person)" <<<"$err" &&
		ok "unblock in one step refused with two_person" || fail "two_person unblock: $err"
	SUDO_USER=bob mw reconnect request maint-jump-1 --ref MNT-77 --by "Sato" --contact "+81-22-555-0147 (phone)" >/dev/null ||
		fail "request maint-jump-1"
	err=$(SUDO_USER=bob mw reconnect approve maint-jump-1 --by carol 2>&1)
	[ $? -eq 1 ] && grep -q "cannot approve it; another person must" <<<"$err" &&
		ok "two_person: who recorded the request cannot approve" || fail "two_person same recorder: $err"
	expect_rc "two_person: who asked cannot approve" 1 env SUDO_USER=carol "$MWCTL" reconnect approve maint-jump-1 --by sato
	out=$(SUDO_USER=carol mw -j reconnect approve maint-jump-1 --by carol)
	python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["reconnected"] == "maint-jump-1" and r["request"] == "MNT-77" and r["contact"] == "+81-22-555-0147 (phone)", r' "$out" &&
		ok "two_person: another person approves" || fail "two_person approve: $out"
	# the one-step unblock still works without two_person
	mw unblock device:gw-collector-1 --request R-10 --by carol >/dev/null && ok "unblock in one step" || fail "unblock in one step"
	# expiry: recorded once, by whichever command notices it
	mw block device:hems-gw-2 --reason timed --for 1s >/dev/null
	sleep 1.3
	mw blocks >/dev/null
	mw blocks >/dev/null
	n=$(grep -c '"event":"expired"' "$MW_STATE_DIR/blocks.history")
	[ "$n" = 1 ] && ok "a timed block's end is recorded once" || fail "expired records: $n"
	grep -q '"action":"block-expired".*"target":"hems-gw-2"' "$MW_LOG_DIR/audit.log" &&
		ok "... and audited" || fail "expiry not audited"
	[ "$(stat -c %a "$MW_STATE_DIR/blocks.history")" = 600 ] && ok "blocks.history is 0600" || fail "history mode"
	out=$(mw blocks --history)
	ev=$(grep "^  event:" <<<"$out" | awk '{print $2}' | tr '\n' ' ')
	[ "$ev" = "blocked blocked reconnect-requested reconnected blocked reconnect-requested reconnected reconnected blocked expired " ] &&
		ok "blocks --history: every transition, in order" || fail "history events: $ev"
	grep -q "^  time: 20.*\.[0-9][0-9][0-9]+09:00$" <<<"$out" && ! grep -q "_ns:" <<<"$out" &&
		ok "blocks --history: times in the policy's time zone, no raw ns in text" || fail "history text times: $out"
	same blocks --history && ok "blocks --history: text and -j carry the same fields" || fail "history fields: $(cat "$tmp/diff")"
	n=$(mw -j blocks --history dlms-maintenance | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$n" = 3 ] && ok "blocks --history SYSTEM: that system's transitions" || fail "history for dlms-maintenance: $n"
	unset MW_STATE_DIR
	export MW_PIN_DIR=$tmp/pins MW_LOG_DIR=$tmp/log
fi

suite_end
