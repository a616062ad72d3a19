/* mc_check.h: the checks of the C harness programs, in curl's unit-test style.
 *
 * Include media_collection.h first (CHECK_STATUS prints status names with mc_status_str), or
 * define MC_CHECK_NO_LIBRARY for a program that does not use the library. Each check prints a
 * line on failure and counts; main() ends with `return CHECK_DONE();`, which prints
 * "N passed, N failed" alone on a line and returns non-zero if anything failed.
 * Checks are expressions worth 1 (passed) or 0, and may run on any thread (atomic counters).
 * C11 and C++17; no dependency beyond stdio. Use it from one translation unit per program. */
#ifndef MC_CHECK_H
#define MC_CHECK_H

#include <stdio.h>

#if !defined(MC_CHECK_NO_LIBRARY) && !defined(MEDIA_COLLECTION_H)
#error "include media_collection.h before mc_check.h, or define MC_CHECK_NO_LIBRARY"
#endif

#ifdef MC_CHECK_NO_LIBRARY
#define MC_CHECK_NAME_(s) ((void)(s), "?")
#else
#define MC_CHECK_NAME_(s) mc_status_str((mc_status)(s))
#endif

/* [0] passed, [1] failed. Function-local so an unused header draws no warning. */
static inline int *mc_check_counts_(void) {
    static int counts[2];
    return counts;
}

static inline int mc_check_record_(int ok, const char *file, int line, const char *what) {
    /* GCC/Clang atomic builtins: the same in C and C++, and understood by TSan. */
    __atomic_fetch_add(&mc_check_counts_()[ok ? 0 : 1], 1, __ATOMIC_RELAXED);
    if (!ok && what) fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    return ok;
}

static inline int mc_check_eq_int_(long long a, long long b, const char *file, int line,
                                   const char *ta, const char *tb) {
    if (a == b) return mc_check_record_(1, file, line, NULL);
    fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", file, line, ta, tb, a, b);
    return mc_check_record_(0, file, line, NULL);
}

static inline int mc_check_status_(long long got, long long want, const char *file, int line,
                                   const char *call) {
    if (got == want) return mc_check_record_(1, file, line, NULL);
    fprintf(stderr, "%s:%d: CHECK failed: %s returned %s (%lld), expected %s (%lld)\n", file, line,
            call, MC_CHECK_NAME_(got), got, MC_CHECK_NAME_(want), want);
    return mc_check_record_(0, file, line, NULL);
}

#define CHECK(expr) mc_check_record_((expr) ? 1 : 0, __FILE__, __LINE__, #expr)
#define CHECK_EQ_INT(a, b) \
    mc_check_eq_int_((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_STATUS(call, expected) \
    mc_check_status_((long long)(call), (long long)(expected), __FILE__, __LINE__, #call)

static inline int mc_check_done_(void) {
    int passed = __atomic_load_n(&mc_check_counts_()[0], __ATOMIC_SEQ_CST);
    int failed = __atomic_load_n(&mc_check_counts_()[1], __ATOMIC_SEQ_CST);
    fflush(stderr);
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
#define CHECK_DONE() mc_check_done_()

#endif /* MC_CHECK_H */
