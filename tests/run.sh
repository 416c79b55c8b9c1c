#!/usr/bin/env bash
# Run every meterwall test suite and print one closing line:
#   check: N passed, N failed, N skipped
# Suites:
#   - cmocka unit binaries in $O/tests/, and the host-side suites of the
#     guest programs in $O/guest/ (run without arguments)
#   - executable scripts tests/suites/*.sh; each ends with a line
#     "<name>: N passed, N failed, N skipped"; exit 77 = cannot run here.
# Under CI=true a suite that cannot run counts as a failure.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
export O
pass=0 fail=0 skip=0
log_dir=$O/test-logs
mkdir -p "$log_dir"

count_line() {	# "<x>: N passed, N failed, N skipped" -> adds to totals
	local line=$1 p f s
	p=$(sed -n 's/.* \([0-9]\+\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.* \([0-9]\+\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.* \([0-9]\+\) skipped.*/\1/p' <<<"$line")
	pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0})) skip=$((skip + ${s:-0}))
}

cannot_run() {	# suite name, why
	if [ "${CI:-}" = true ]; then
		echo "FAIL  $1: cannot run under CI: $2"
		fail=$((fail + 1))
	else
		echo "SKIP  $1: $2"
		skip=$((skip + 1))
	fi
}

for t in "$O"/tests/test_* "$O"/guest/*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out=$log_dir/$name.log
	"$t" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$out" | tail -n 1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]\+\) test.*/\1/p' "$out" | tail -n 1)
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or died before its summary
	fi
	if [ "$s" -gt 0 ] && [ "${CI:-}" = true ]; then
		f=$((f + s)) s=0
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	status=ok; [ "$f" -eq 0 ] || status=FAIL
	printf '%-5s %s: %d passed, %d failed, %d skipped\n' "$status" "$name" "$p" "$f" "$s"
	[ "$f" -eq 0 ] || grep -E '^\[  (FAILED|ERROR) |Failure|error' "$out" | head -n 20 | sed 's/^/      /'
done

for s in tests/suites/*.sh; do
	[ -x "$s" ] || continue
	name=$(basename "$s" .sh)
	out=$log_dir/$name.log
	"$s" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 77 ]; then
		cannot_run "$name" "$(tail -n 1 "$out")"
		continue
	fi
	line=$(grep -E '^[A-Za-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL  $name: exited $rc without a summary (log: $out)"
		tail -n 20 "$out" | sed 's/^/      /'
		fail=$((fail + 1))
		continue
	fi
	before=$fail
	count_line "$line"
	if [ "$rc" -ne 0 ] && [ "$fail" -eq "$before" ]; then
		fail=$((fail + 1))
	fi
	status=ok; [ "$fail" -eq "$before" ] || status=FAIL
	echo "$status  $line"
	[ "$status" = ok ] || grep -E 'FAIL|not ok' "$out" | head -n 20 | sed 's/^/      /'
done

echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
