/* The harness checking itself: mc_check.h without the library, the runner's environment,
 * exit codes and timeouts. Valid as C11 and as C++17 (c_selftest.rs builds it both ways).
 *   MC_SELFTEST_FAIL=1   three checks fail on purpose
 *   MC_SELFTEST_HANG=1   fork, then both processes sleep: the runner must kill them
 *   MC_SELFTEST_VALUE    echoed as "value=<v>" */
#define MC_CHECK_NO_LIBRARY
#include "mc_check.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { THREADS = 4, CHECKS_PER_THREAD = 250 };

static void *checker(void *arg) {
    int base = *(int *)arg;
    for (int i = 0; i < CHECKS_PER_THREAD; i++) CHECK_EQ_INT(base + i - i, base);
    return NULL;
}

int main(void) {
    const char *value = getenv("MC_SELFTEST_VALUE");
    printf("value=%s\n", value ? value : "(unset)");

    CHECK(1 + 1 == 2);
    CHECK(strcmp("abc", "abc") == 0);
    CHECK_EQ_INT(6 * 7, 42);
    CHECK_EQ_INT((unsigned long long)3000000000ULL, 3000000000LL);
    CHECK_STATUS(0, 0);
    CHECK_EQ_INT(CHECK(1), 1); /* a check is an expression worth 1 when it passes */

    /* Counters are atomic: checks may run on any thread. */
    pthread_t threads[THREADS];
    int bases[THREADS];
    for (int t = 0; t < THREADS; t++) {
        bases[t] = t * 10;
        CHECK_EQ_INT(pthread_create(&threads[t], NULL, checker, &bases[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) CHECK_EQ_INT(pthread_join(threads[t], NULL), 0);

    const char *fail = getenv("MC_SELFTEST_FAIL");
    if (fail && strcmp(fail, "1") == 0) {
        CHECK(1 == 2);
        CHECK_EQ_INT(1, 2);
        CHECK_STATUS(3, 0);
    }

    const char *hang = getenv("MC_SELFTEST_HANG");
    if (hang && strcmp(hang, "1") == 0) {
        fflush(stdout);
        (void)fork();
        for (;;) sleep(1);
    }
    return CHECK_DONE();
}
