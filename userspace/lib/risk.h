/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Risk assessment of a validated policy (control 1.1.2), behind
 * `mwctl check --risk POLICY`.
 *
 * mw_risk_assess() inspects the policy model and returns findings, each
 * with a stable id ("MW-R001"), a fixed severity per id, the system it
 * concerns, a subject (device, conduit or zone), the file location and a
 * message.  The rule table with every id is at the top of risk.c and is
 * also available at run time through mw_risk_rules().
 *
 * Findings are sorted deterministically: severity descending, then file
 * location (line, column), then id, system, subject and message.  The
 * result depends only on the policy and `now`, never on the clock.
 *
 * Exit codes for `mwctl check --risk` (mw_risk_exit_code()):
 *   0  no finding above low (none, info or low only)
 *   1  reserved: the policy could not be read or assessed
 *   2  highest finding is medium
 *   3  highest finding is high
 *   4  highest finding is critical
 */
#ifndef MW_RISK_H
#define MW_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum mw_severity {
	MW_SEV_NONE = 0,	/* only as "no findings" from mw_findings_max */
	MW_SEV_INFO = 1,
	MW_SEV_LOW,
	MW_SEV_MEDIUM,
	MW_SEV_HIGH,
	MW_SEV_CRITICAL,
};

#define MW_FINDING_ID_MAX	16

struct mw_finding {
	char id[MW_FINDING_ID_MAX];	/* stable, e.g. "MW-R001" */
	enum mw_severity sev;
	char system[MW_NAME_MAX];	/* empty for policy-wide findings */
	char subject[128];		/* device, conduit or zone name */
	struct mw_loc loc;		/* line 0: no location in the file */
	char msg[256];
};

struct mw_findings {
	struct mw_finding *v;
	size_t n, cap;
};

/* One entry of the rule table (for man pages and `--list-rules`). */
struct mw_risk_rule {
	const char *id;
	enum mw_severity sev;
	const char *summary;
};

/*
 * Assess @pol as of @now (unix seconds).  *out is (re)initialised: any
 * previous content is discarded without being freed, so pass a zeroed or
 * freed set.  Returns 0, -EINVAL for a NULL argument, or -ENOMEM; on error
 * *out is left empty.  Release with mw_findings_free() in every case.
 */
int mw_risk_assess(const struct mw_policy *pol, int64_t now,
		   struct mw_findings *out);
void mw_findings_free(struct mw_findings *f);

/* Highest severity in @f; MW_SEV_NONE when there are no findings. */
enum mw_severity mw_findings_max(const struct mw_findings *f);

/* "info", "low", "medium", "high", "critical"; "none"; "?" if unknown. */
const char *mw_severity_name(enum mw_severity sev);

/* Exit code for mwctl, see the table above. */
int mw_risk_exit_code(enum mw_severity max);

/* The rule table, in id order; *n receives its length. */
const struct mw_risk_rule *mw_risk_rules(size_t *n);

#endif /* MW_RISK_H */
