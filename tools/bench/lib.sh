# SPDX-License-Identifier: GPL-2.0
# Shell helpers of the benchmark scripts (sourced; O is the build dir).

# quiet_wait: wait for a quiet machine ($O/bench/quiet: bench.h's
# bench_quiet, the one definition of quiet for the C benchmarks and the
# scripts); prints the share of the CPU time busy elsewhere last seen, in
# percent.
quiet_wait() {
	"${O:-build}/bench/quiet"
}

# veth_ns NS A B: network namespace NS with the veth pair A - B, both up,
# IPv6 off in it (no router solicitation or DAD frames among the ones
# measured).  The live benchmarks' one setup.
veth_ns() {
	ip netns add "$1" &&
		ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 &&
		ip -n "$1" link add "$2" type veth peer name "$3" &&
		ip -n "$1" link set "$2" up &&
		ip -n "$1" link set "$3" up
}

# guest_log NAME SCRIPT TIMEOUT KEPT [VAR...]: the output of a benchmark's
# qemu guest in $OUT/NAME.log.  KEPT, when not empty, is a guest's output
# kept from before, taken as it is (its summary only, no guest).  Else
# tests/vm/run.sh boots the guest to run tests/vm/guest/SCRIPT (2 GiB
# unless MW_VM_MEM says otherwise), with MW_BENCH_CLOCK=icount when
# MW_VM_ICOUNT is set and each VAR that is set on the kernel command line
# (the guest script's environment).  Fails as the guest run does.
guest_log() {
	local name=$1 script=$2 tmo=$3 kept=$4 append=${MW_VM_APPEND:-} v rc
	shift 4
	if [ -n "$kept" ]; then
		[ "$kept" -ef "$OUT/$name.log" ] || cp "$kept" "$OUT/$name.log"
		return
	fi
	[ -n "${MW_VM_ICOUNT:-}" ] && append+=" MW_BENCH_CLOCK=icount"
	for v in "$@"; do
		[ -n "${!v:-}" ] && append+=" $v=${!v}"
	done
	MW_VM_MEM=${MW_VM_MEM:-2048} MW_VM_APPEND=$append \
		tests/vm/run.sh "$script" "$tmo" | tr -d '\r' | tee "$OUT/$name.log"
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] || echo "$name: the guest run failed (rc $rc)" >&2
	return "$rc"
}
