// SPDX-License-Identifier: GPL-2.0
/* Link events from rtnetlink: an interface created, re-created or renamed. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "meterwalld.h"

int mwd_links_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* IFLA_IFNAME of a link message, or NULL. */
static const char *link_name(struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	struct rtattr *a = IFLA_RTA(ifi);

	for (; len > 0 && RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME &&
		    RTA_PAYLOAD(a) > 0 && RTA_PAYLOAD(a) <= IFNAMSIZ &&
		    memchr(RTA_DATA(a), '\0', RTA_PAYLOAD(a)))
			return RTA_DATA(a);
	return NULL;
}

int mwd_links_read(int fd, void (*fn)(const char *name, unsigned int ifindex,
				      void *arg), void *arg)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h;
	const char *name;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;	/* ENOBUFS: events lost, caller rescans */
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != RTM_NEWLINK ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				continue;
			name = link_name(h);
			if (name)
				fn(name, (unsigned int)((struct ifinfomsg *)
					NLMSG_DATA(h))->ifi_index, arg);
		}
	}
}
