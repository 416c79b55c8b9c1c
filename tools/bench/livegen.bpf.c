// SPDX-License-Identifier: GPL-2.0
/*
 * Live-frame generator for tools/bench/xdp-live.c: run by
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES on one end of a veth
 * pair.  Each frame gets the next of n_src IPv4 source addresses
 * (src_base + i, i < n_src, n_src a power of two), a fixed IPv4 header
 * checksum, and is sent with XDP_TX out of that end, so it arrives at the
 * peer (which runs the program under test).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 src_base = 0x0a000001;	/* host order */
const volatile __u32 src_mask = 1023;		/* n_src - 1 */
__u32 next_src;

SEC("xdp")
int livegen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u16 *ip = data + 14;
	__u32 sum = 0, src;
	int i;

	if ((void *)(ip + 10) > data_end)
		return XDP_ABORTED;
	src = bpf_htonl(src_base + (next_src++ & src_mask));
	__builtin_memcpy(&ip[6], &src, 4);
	ip[5] = 0;
	for (i = 0; i < 10; i++)
		sum += ip[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip[5] = ~sum;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
