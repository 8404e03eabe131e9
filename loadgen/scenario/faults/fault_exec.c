/* exec: a shell command of the user's at its time, in a process group of
 * its own (killed whole at timeout:, 60 s unless given); a non-zero exit
 * fails the step. */
#include "faults.h"
#include "../scenario_int.h"
#include "timeline.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int exec_(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    (void)note;
    pid_t pid = fork();
    if (pid < 0) return snprintf(err, cap, "fork failed"), -1;
    if (pid == 0) {
        setpgid(0, 0);
        close_range(3, ~0U, 0);
        execl("/bin/sh", "sh", "-c", f->command, (char *)NULL);
        _exit(127);
    }
    uint64_t deadline = clock_ns() + f->timeout_ns;
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (clock_ns() > deadline) {
            kill(-pid, SIGKILL); /* the group we made: the command and its children */
            waitpid(pid, &st, 0);
            snprintf(err, cap, "timed out after %.1fs", (double)f->timeout_ns / 1e9);
            return -1;
        }
        sleep_ns(20 * NS_PER_MS);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
        snprintf(err, cap, "exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return 0;
}

static const struct fault_ops actions[] = {
    {"exec", FN_SHARED | FN_STEP, exec_, NULL},
    {NULL, 0, NULL, NULL},
};

static bool parse_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    if (strcmp(k, "command")) return false;
    const char *s = sc_want_scalar(x, v, sub);
    if (s) free(f->command), f->command = xstrdup(s);
    return true;
}

static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    (void)needs_ok;
    if (f->ops == &actions[0] && !f->command) sc_err(x, n, field, "action exec needs 'command: <shell command>'");
}

const struct fault_family fault_family_exec = {
    .name = "exec", .actions = actions, .keys = "command", .parse_key = parse_key, .check = check,
};
