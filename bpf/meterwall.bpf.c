// SPDX-License-Identifier: GPL-2.0
/* meterwall XDP entry point (placeholder until the XDP enforcement work). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <linux/meterwall.h>

SEC("xdp")
int mw_xdp(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
