// SPDX-License-Identifier: GPL-2.0
/*
 * meterwall.ko -- stateful netfilter enforcement point.
 *
 * This is the module's entry point.  The hooks, the generic netlink family
 * and the policy tables are added by the kernel-module work; until then the
 * module only proves that the shared ABI header builds in kernel context
 * with the layout userspace and BPF see.
 */
#include <linux/module.h>
#include <linux/build_bug.h>
#include <linux/meterwall.h>

static int __init mw_init(void)
{
	BUILD_BUG_ON(sizeof(struct mw_image_hdr) != 88 + 16 * MW_SEC_MAX);
	BUILD_BUG_ON(MW_R_MAX > 255);
	return 0;
}

static void __exit mw_exit(void)
{
}

module_init(mw_init);
module_exit(mw_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("meterwall: external-connection enforcement for smart meter gateways");
