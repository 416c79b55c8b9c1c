/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MWCTL_H
#define MWCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl.h"
#include "json.h"

extern const char *prog_name;
extern bool json_out;		/* -j given */
/* The controller (ctl.h): its messages go to stderr as "SUBJECT: text",
 * SUBJECT being a file, file:line, or the program's name. */
extern struct mw_ctl *ctl;

/* One command: mwctl NAME ARGS...  argv[0] is the command name. */
struct mwctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int check_main(int argc, char **argv);
int compile_main(int argc, char **argv);
int explain_main(int argc, char **argv);
int attach_main(int argc, char **argv);
int detach_main(int argc, char **argv);
int load_main(int argc, char **argv);
int status_main(int argc, char **argv);
int flows_main(int argc, char **argv);
int events_main(int argc, char **argv);
int block_main(int argc, char **argv);
int blocks_main(int argc, char **argv);
int reconnect_main(int argc, char **argv);
int unblock_main(int argc, char **argv);
int island_main(int argc, char **argv);
int clock_main(int argc, char **argv);
int audit_main(int argc, char **argv);
int evidence_main(int argc, char **argv);

/* Shared helpers for commands (common.c). */
bool want_help(int argc, char **argv);
int take_json_flag(int argc, char **argv);	/* returns the new argc */
int parse_u32(const char *s, unsigned long max, unsigned long *out);
/* The time zone of the policy in force (seconds east of UTC), 0 without
 * one: every time in text output is shown in it. */
int32_t policy_tz(void);
/* A block's end: "until" in RFC 3339 at tz (JSON: until_ns beside it), or
 * "indefinite" (until reconnected; JSON: until_ns 0). */
void print_until(uint64_t until_ns, int32_t tz);
/* 2.1.4: whose system it is, whom to call, where the line is drawn.
 * The system of a device in v (NULL: none); its system, entity, contact
 * and demarcation as keys ("" each without one); the same as one text
 * "SYSTEM: ENTITY <CONTACT> at IFACE" ("-" without one). */
const struct mw_img_system *device_system(const struct mw_image_view *v,
					  uint32_t device);
void print_owner(const struct mw_image_view *v, const struct mw_img_system *s);
const char *owner_text(const struct mw_image_view *v,
		       const struct mw_img_system *s, char *buf, size_t len);
/* Load a policy file and compile it; prints located errors. 0 or -errno. */
struct mw_policy;
struct mw_image;
int load_and_compile(const char *path, struct mw_policy **pol,
		     struct mw_image *img);

#endif
