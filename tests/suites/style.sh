#!/usr/bin/env bash
# Kernel coding style of the module: checkpatch.pl (from Debian's
# linux-source package; the headers package does not ship it) on every
# kmod/ source.  0 errors, 0 warnings; the one exception is the
# LINUX_VERSION_CODE warning in kmod/compat.h, the single file where
# version tests belong (STYLE: compat.h feature macros).
# Then the size limits of all product code (tests/lib/sizes.py: files at
# most 850 lines, functions 80, mwctl command files 400).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/suite.sh
O=${O:-build}
CP_DIR=$O/checkpatch
CP=$CP_DIR/scripts/checkpatch.pl

if [ ! -x "$CP" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
	[ -n "$tarball" ] || cannot_run "no /usr/src/linux-source-*.tar.xz (make deps)"
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$CP_DIR"
	tar -xJf "$tarball" -C "$CP_DIR" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" ||
		cannot_run "cannot extract checkpatch.pl from $tarball"
fi
command -v perl >/dev/null || cannot_run "perl missing"

n=0
# the module's sources and what it compiles in from common/ and
# include/meterwall/ (xdp_abi.h is the XDP program's, not the module's)
for f in kmod/*.c kmod/*.h common/*.c include/meterwall/*.h; do
	[ "$f" = include/meterwall/xdp_abi.h ] && continue
	case $f in *.mod.c) continue ;; esac
	extra=
	[ "$f" = kmod/compat.h ] && extra="--ignore LINUX_VERSION_CODE"
	# shellcheck disable=SC2086
	# exit 0 only without errors and warnings
	out=$("$CP" --no-tree --terse --show-types $extra -f "$f" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		ok "checkpatch $f"
	else
		fail "checkpatch $f"
		grep -v '^total' <<<"$out" | sed 's/^/      /'
	fi
done
[ "$n" -ge 8 ] && ok "$n module sources checked" || fail "only $n module sources found"
if out=$(python3 tests/lib/sizes.py 2>&1); then
	ok "size limits: $(tail -n 1 <<<"$out"), none over"
else
	fail "size limits"
	sed 's/^/      /' <<<"$out"
fi
suite_end
