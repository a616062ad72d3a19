/*
 * A forked child does not keep the parent's store locked: the parent forks a child that lives
 * on, frees its client, and a new client on the same store_dir opens (the child's copy of the
 * lock's descriptor was let go at fork). A client the child makes on that store while the parent
 * holds it is refused with MC_ERR_STORE_LOCKED: one writer per directory still holds.
 *   MC_STORE_DIR  the store directory (required)
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR");
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);

    int go[2], done[2];
    CHECK_EQ_INT(pipe(go), 0);
    CHECK_EQ_INT(pipe(done), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        mc_client_t c2 = 0;
        int bad = mc_client_new(&cfg, &c2) != MC_ERR_STORE_LOCKED; /* the parent holds it */
        char b = (char)bad;
        if (write(done[1], &b, 1) != 1) _exit(3);
        /* Live on until the parent has reopened the store. */
        if (read(go[0], &b, 1) != 1) _exit(2);
        _exit(bad);
    }
    CHECK(pid > 0);
    char b = 1;
    CHECK_EQ_INT(read(done[0], &b, 1), 1);
    CHECK_EQ_INT(b, 0);

    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK); /* the child still runs */
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);

    CHECK_EQ_INT(write(go[1], "x", 1), 1);
    int status = 0;
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return CHECK_DONE();
}
