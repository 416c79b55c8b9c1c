/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What code shared by userspace and the kernel module (common/) may use:
 * fixed-width integers, bool, size_t, offsetof, the mem* and str*n
 * functions, errno values, AF_INET/AF_INET6 -- from the kernel's headers
 * in the module, from libc elsewhere.
 */
#ifndef MW_FREESTANDING_H
#define MW_FREESTANDING_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/socket.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#endif

#include <linux/meterwall.h>

#endif /* MW_FREESTANDING_H */
