# shellcheck shell=bash
# Host side of a VM suite: boot the guest with tests/vm/run.sh, run
# tests/vm/guest/GUEST there, relay the guest's counts.  A boot failure,
# timeout, kernel oops/warning or missing result is one more failure.
# Usage (from a tests/suites/*.sh): vm_suite SUITE GUEST_SCRIPT GUEST_NAME
#   GUEST_NAME: the name the guest script prints its summary under.
# Env: MW_VM_TIMEOUT (seconds, default 600), and tests/vm/run.sh's.
vm_suite() {
	local guest=$2 gname=$3 start log rc line p f t
	O=${O:-build}
	export O
	command -v qemu-system-x86_64 >/dev/null || cannot_run "qemu-system-x86_64 missing (make deps)"
	ls /boot/vmlinuz-* >/dev/null 2>&1 || cannot_run "no /boot/vmlinuz-* (linux-image-amd64)"
	[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || cannot_run "busybox missing (busybox-static)"
	for t in cpio gzip depmod flock ldd; do
		command -v $t >/dev/null || cannot_run "$t missing (make deps)"
	done
	[ -x "$O/mwctl" ] || cannot_run "$O/mwctl not built (make)"

	start=$(date +%s)
	log=$(mktemp)
	tests/vm/run.sh "$guest" "${MW_VM_TIMEOUT:-600}" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 77 ]; then
		line=$(grep '^vm: cannot run' "$log" | tail -n 1)
		rm -f "$log"
		cannot_run "$line"
	fi
	line=$(grep -E "^$gname: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	p=$(sed -n "s/^$gname: \([0-9]*\) passed.*/\1/p" <<<"$line")
	f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ]; then
		# the guest's own failures already count; otherwise the VM
		# failed (no boot, timeout, oops/warning, no result token)
		[ -n "$line" ] && [ "$f" -gt 0 ] || {
			f=$((f + 1))
			echo "FAIL  VM run: $(grep '^vm: FAIL' "$log" | tail -n 1)"
		}
	fi
	rm -f "$log"
	echo "$SUITE: total $(($(date +%s) - start))s"
	echo "$SUITE: $p passed, $f failed, 0 skipped"
	[ "$f" -eq 0 ]
}
