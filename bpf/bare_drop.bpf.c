// SPDX-License-Identifier: GPL-2.0
/* The floor for benchmarks: drop everything, count nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bare_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
