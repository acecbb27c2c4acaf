/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared main() tail of the Check test programs. */
#ifndef CK_RUN_H
#define CK_RUN_H

#include <check.h>

/* Run @s (the runner takes ownership); exit status 0 if every test passed. */
static inline int ck_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
