/*
 * fork() while another thread works the handle tables: a thread creates and frees trackers and
 * makes calls in a loop (each takes the tables' locks for an instant) while the main thread
 * forks children that create a client and a tracker of their own. A lock held by the busy
 * thread at the moment of a fork would be held forever in the child (that thread does not exist
 * there), and the child would hang. Every child must finish within 5 s.
 *   MC_FORKS    how many children (default 100)
 *   MC_FREE_MS  the parent's bound on mc_client_free (default 2000): the busy thread queues a
 *               tracker creation and removal per turn for the whole run, which an instrumented
 *               (ThreadSanitizer) worker drains several times slower
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static atomic_int stop;
static mc_client_t parent_client;

static void *busy(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        mc_tracker_t t = 0;
        if (mc_tracker_new(parent_client, NULL, &t) == MC_OK) {
            mc_update_playhead(t, 1.0);
            mc_tracker_free(t);
        }
    }
    return NULL;
}

static int child(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    mc_client_t c = 0;
    mc_tracker_t t = 0;
    mc_status s[4] = {mc_client_new(&cfg, &c), MC_OK, MC_OK, MC_OK};
    if (s[0] == MC_OK) {
        s[1] = mc_tracker_new(c, NULL, &t);
        s[2] = mc_tracker_free(t);
        s[3] = mc_client_free(c, 2000);
    }
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] != MC_OK) {
            printf("child: call %d returned %s\n", i, mc_status_str(s[i]));
            bad++;
        }
    }
    fflush(stdout);
    return bad;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.queue_capacity = 1 << 16;
    CHECK_STATUS(mc_client_new(&cfg, &parent_client), MC_OK);
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, busy, NULL), 0);
    harness_sleep_ms(20);

    int forks = (int)harness_env_long("MC_FORKS", 100), hung = 0, failed = 0;
    for (int i = 0; i < forks; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) _exit(child());
        CHECK(pid > 0);
        int status = 0, waited = 0;
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (++waited > 5000) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                hung++;
                break;
            }
            harness_sleep_ms(1);
        }
        if (waited <= 5000 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            printf("child %d: %s %d\n", i, WIFEXITED(status) ? "exit" : "signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            failed++;
        }
    }
    printf("%d children: %d hung, %d failed\n", forks, hung, failed);
    CHECK_EQ_INT(hung, 0);
    CHECK_EQ_INT(failed, 0);

    atomic_store(&stop, 1);
    CHECK_EQ_INT(pthread_join(th, NULL), 0);
    CHECK_STATUS(mc_client_free(parent_client, (uint32_t)harness_env_long("MC_FREE_MS", 2000)), MC_OK);
    return CHECK_DONE();
}
