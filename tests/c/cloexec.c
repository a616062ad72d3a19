/*
 * Descriptors are close-on-exec: with a client running (its worker's wake-up descriptors, its
 * connections), a child started with fork + exec inherits no descriptor the library opened.
 * The program execs itself with "--list-fds <fd>...": the child prints every descriptor above 2
 * it has that is not in the list (those the parent had before its client), and exits with their
 * count.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

#define MAX_FD 1024

static int list_fds(int argc, char **argv) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 100;
    int leaked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == dirfd(d)) continue;
        int known = 0;
        for (int i = 2; i < argc; i++) known |= atoi(argv[i]) == fd;
        if (known) continue;
        char link[256], target[256];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        printf("inherited fd %d: %s\n", fd, target);
        leaked++;
    }
    closedir(d);
    fflush(stdout);
    return leaked;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--list-fds") == 0) return list_fds(argc, argv);

    /* Descriptors inheritable before the client: the child may have these. */
    char *args[MAX_FD + 3];
    char numbers[MAX_FD][12];
    int n = 0;
    args[n++] = argv[0];
    args[n++] = "--list-fds";
    for (int fd = 3; fd < MAX_FD; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) {
            snprintf(numbers[fd], sizeof numbers[fd], "%d", fd);
            args[n++] = numbers[fd];
        }
    }
    args[n] = NULL;

    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "cloexec");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK); /* a kept-alive connection exists now */

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execv("/proc/self/exe", args);
        _exit(127);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0); /* descriptors the exec'd child inherited */

    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
