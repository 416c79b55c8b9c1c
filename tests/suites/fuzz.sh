#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer harnesses (tests/fuzz, built by `make fuzz-build` with ASan and
# UBSan): first every input that once failed (tests/fuzz/regress/NAME) is
# replayed, then each harness runs FUZZ_SECONDS (default 30) from its
# committed seeds (tests/fuzz/corpus/NAME, plus the policy fixtures and
# examples for the parser, the compiled examples for the image reader).
# New inputs go to a scratch corpus, never into the tree; a crash is kept
# in $O/fuzz/artifacts and fails the suite: make it a regression input.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/suite.sh
O=${O:-build}
SECS=${FUZZ_SECONDS:-30}
ART=$O/fuzz/artifacts
work=$(mktemp -d /tmp/mw-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

names=$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
for n in $names; do
	[ -x "$O/fuzz/fuzz_$n" ] || cannot_run "$O/fuzz/fuzz_$n not built (make fuzz-build)"
done
[ -x "$O/mwctl" ] || cannot_run "$O/mwctl not built"
mkdir -p "$ART"

# seeds generated from the tree: the example policies compiled
mkdir -p "$work/images"
for p in examples/*.yaml; do
	"$O/mwctl" compile "$p" -o "$work/images/$(basename "$p" .yaml).img" >/dev/null ||
		fail "compile $p for the image seeds"
done

for n in $names; do
	bin=$O/fuzz/fuzz_$n
	seeds=()
	[ -d "tests/fuzz/corpus/$n" ] && seeds+=("tests/fuzz/corpus/$n")
	case $n in
	policy) seeds+=(examples tests/fixtures/valid tests/fixtures/invalid) ;;
	image) seeds+=("$work/images") ;;
	esac
	if [ -d "tests/fuzz/regress/$n" ] && [ -n "$(ls -A "tests/fuzz/regress/$n")" ]; then
		if "$bin" -runs=0 tests/fuzz/regress/"$n"/* >"$work/$n.regress" 2>&1; then
			ok "fuzz_$n: $(ls "tests/fuzz/regress/$n" | wc -l) regression inputs replayed"
		else
			fail "fuzz_$n: a regression input fails again"
			tail -n 30 "$work/$n.regress"
		fi
	fi
	mkdir -p "$work/$n"
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$ART/$n-" \
		"$work/$n" "${seeds[@]}" >"$work/$n.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$n.log")
	cov=$(grep -o 'cov: [0-9]*' "$work/$n.log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		ok "fuzz_$n: $execs executions in ${SECS}s, no crash, leak or UB ($cov)"
	else
		fail "fuzz_$n: exit $rc after ${execs:-?} executions; input kept in $ART/"
		pat='ERROR|SUMMARY|runtime error|deadly|#[0-9]+ 0x'
		if grep -qE "$pat" "$work/$n.log"; then
			grep -E "$pat" "$work/$n.log" | head -n 20
		else
			tail -n 10 "$work/$n.log"
		fi
	fi
done
suite_end
