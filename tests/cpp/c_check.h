/* SPDX-License-Identifier: Apache-2.0 */
/* CHECK for the plain C tests: report a failed condition with its location and go on; the test
 * exits non-zero when `failures` is non-zero. */
#ifndef SYNTHFX_TESTS_C_CHECK_H
#define SYNTHFX_TESTS_C_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

#endif
