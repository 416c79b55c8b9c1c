# shellcheck shell=bash
# Helpers for scripted suites: each check prints "ok"/"FAIL" with its name;
# suite_end prints "<suite>: N passed, N failed, 0 skipped" and sets the
# exit status.  cannot_run exits 77 (the runner decides: skip, or fail in CI).
SUITE=${SUITE:-$(basename "$0" .sh)}
_pass=0
_fail=0

ok() { _pass=$((_pass + 1)); echo "ok    $*"; }
fail() { _fail=$((_fail + 1)); echo "FAIL  $*"; }

# check NAME CMD...: passes when CMD exits 0
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# check_log NAME LOG LINES CMD...: check, CMD's output into LOG; on a
# failure the last LINES of it are shown
check_log() {
	local name=$1 log=$2 lines=$3
	shift 3
	if "$@" >"$log" 2>&1; then
		ok "$name"
	else
		fail "$name"
		tail -n "$lines" "$log"
	fi
}

# expect_rc NAME RC CMD...: passes when CMD exits with RC
expect_rc() {
	local name=$1 want=$2 got
	shift 2
	"$@" >/dev/null 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else fail "$name (exit $got, want $want)"; fi
}

# pr CMD...: print the command, then run it (visible steps in logs)
pr() {
	echo "+ $*"
	"$@"
}

cannot_run() {
	echo "$SUITE: cannot run: $*"
	exit 77
}

suite_end() {
	echo "$SUITE: $_pass passed, $_fail failed, 0 skipped"
	[ "$_fail" -eq 0 ]
}
