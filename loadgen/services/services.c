/* services: the supervisor (services.h). Every fork happens on its
 * thread, which lives until services_free: PDEATHSIG follows the forking
 * thread, so an instance restarted mid-run still dies with loadgen. */
#include "proc.h"
#include "proxy.h"
#include "services_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TICK_NS (20 * NS_PER_MS)
#define RESTART_BACKOFF_NS (1 * NS_PER_SEC)
#define ACT_WAIT_NS (10 * NS_PER_SEC)

void service_spec_free(struct service_spec *s)
{
    free(s->name), free(s->ready_arg), free(s->dir);
    for (int i = 0; i < s->argc; i++)
        free(s->argv[i]);
    for (int i = 0; i < s->nenv; i++)
        free(s->env[i]);
    memset(s, 0, sizeof *s);
}

int service_resolve(const struct service_spec *s, char *buf, size_t cap, char *why, size_t wcap)
{
    const char *a = s->argv[0];
    if (strchr(a, '/')) {
        if (a[0] == '/')
            snprintf(buf, cap, "%s", a);
        else
            snprintf(buf, cap, "%s/%s", s->dir ? s->dir : ".", a);
        struct stat st;
        if (stat(buf, &st) || !S_ISREG(st.st_mode)) return snprintf(why, wcap, "%s: no such file", buf), -1;
        if (access(buf, X_OK)) return snprintf(why, wcap, "%s: not executable", buf), -1;
        return 0;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(buf, cap, "%.*s/%s", (int)len, p, a);
        if (len && !access(buf, X_OK)) return 0;
        p += len + (e != NULL);
    }
    return snprintf(why, wcap, "%s: not found in PATH", a), -1;
}

static void child(const struct svc_service *sv, const struct svc_instance *in, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127); /* loadgen died before the prctl */
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = in->log[0] ? open(in->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644)
                         : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (nul >= 0) dup2(nul, 0);
    if (out >= 0) dup2(out, 1), dup2(out, 2);
    close_range(3, ~0U, 0);
    if (sv->spec->dir && chdir(sv->spec->dir)) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGPIPE, SIG_DFL);
    execve(sv->path, sv->spec->argv, in->envp);
    _exit(127);
}

static void event(struct svc_event *ev, int *n, long value, bool expected)
{
    int k = *n < SVC_EVENTS ? (*n)++ : SVC_EVENTS - 1; /* the last slot keeps the latest */
    ev[k] = (struct svc_event){clock_ns(), value, expected};
}

/* The supervisor's thread, with mu held. */
static void spawn(struct services *s, struct svc_service *sv, struct svc_instance *in)
{
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) child(sv, in, parent);
    in->start_at_ns = 0;
    if (pid < 0) {
        log_err("service %s-%d: fork: %s", sv->spec->name, in->index, strerror(errno));
        return;
    }
    setpgid(pid, pid); /* both sides: whichever runs first */
    in->pid = pid;
    in->paused = in->expect_exit = false;
    event(in->starts, &in->nstarts, (long)pid, false);
    (void)s;
}

static void reap(struct services *s, struct svc_service *sv, struct svc_instance *in)
{
    int st;
    if (in->pid <= 0 || waitpid(in->pid, &st, WNOHANG) != in->pid) return;
    /* the group too: a worker's own children go with it */
    kill(-in->pid, SIGKILL);
    in->pid = 0;
    event(in->exits, &in->nexits, st, in->expect_exit || s->stopping);
    if (in->expect_exit || s->stopping) return;
    in->unexpected_exits++;
    log_note("service %s-%d exited by itself (%s %d)", sv->spec->name, in->index, WIFSIGNALED(st) ? "signal" : "status",
             WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    if (sv->spec->restart_on_failure) in->start_at_ns = clock_ns() + RESTART_BACKOFF_NS;
}

static void *supervise(void *arg)
{
    struct services *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool quit = s->quit;
        uint64_t now = clock_ns();
        for (int i = 0; i < s->n; i++)
            for (int k = 0; k < s->svc[i].spec->instances; k++) {
                struct svc_instance *in = &s->svc[i].inst[k];
                reap(s, &s->svc[i], in);
                if (!in->pid && in->start_at_ns && now >= in->start_at_ns && !s->stopping) spawn(s, &s->svc[i], in);
            }
        pthread_mutex_unlock(&s->mu);
        if (quit) return NULL;
        sleep_ns(TICK_NS);
    }
}

struct services *services_new(const struct service_spec *specs, int n)
{
    struct services *s = xcalloc(1, sizeof *s);
    s->n = n < SERVICES_MAX ? n : SERVICES_MAX;
    pthread_mutex_init(&s->mu, NULL);
    s->rng = clock_ns() | 1;
    for (int i = 0; i < s->n; i++) {
        s->svc[i].spec = &specs[i];
        for (int k = 0; k < SERVICE_MAX_INSTANCES; k++)
            s->svc[i].inst[k].index = k;
    }
    return s;
}

int services_count_instances(const struct services *s, int svc)
{
    return svc >= 0 && svc < s->n ? s->svc[svc].spec->instances : 0;
}

/* Waits (mu not held) until pred holds for the instance or the time is up. */
static bool wait_for(struct services *s, struct svc_instance *in, bool running, uint64_t ns)
{
    uint64_t until = clock_ns() + ns;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool ok = running ? in->pid > 0 : in->pid == 0;
        pthread_mutex_unlock(&s->mu);
        if (ok) return true;
        if (clock_ns() >= until) return false;
        sleep_ns(5 * NS_PER_MS);
    }
}

int services_start(struct services *s, const struct services_env *envp, char *err, size_t cap)
{
    /* the services run in the scenario's folder: the run directory's path
     * they are given (logs, LOADGEN_RUN_DIR) must not be relative */
    struct services_env e = *envp, *env = &e;
    char abs[PATH_MAX];
    if (e.run_dir && e.run_dir[0] && realpath(e.run_dir, abs)) e.run_dir = abs;
    if (!(s->proxy = proxy_server_new())) return snprintf(err, cap, "services: cannot start their proxy"), EXIT_BROKER;
    if (env->run_dir && env->run_dir[0]) {
        char d[1100];
        snprintf(d, sizeof d, "%s/services", env->run_dir);
        mkdir(d, 0755);
    }
    for (int i = 0; i < s->n; i++) {
        struct svc_service *sv = &s->svc[i];
        char why[1200];
        if (service_resolve(sv->spec, sv->path, sizeof sv->path, why, sizeof why))
            return snprintf(err, cap, "services.%s.command: %s", sv->spec->name, why), EXIT_USAGE;
        for (int k = 0; k < sv->spec->instances; k++)
            if (svc_build_env(s, sv, &sv->inst[k], env, err, cap)) return EXIT_BROKER;
    }
    if (pthread_create(&s->thread, NULL, supervise, s)) return snprintf(err, cap, "services: no thread"), EXIT_BROKER;
    s->thread_started = true;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->svc[i].spec->instances; k++)
            s->svc[i].inst[k].start_at_ns = clock_ns();
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n; i++) {
        for (int k = 0; k < s->svc[i].spec->instances; k++)
            if (!wait_for(s, &s->svc[i].inst[k], true, ACT_WAIT_NS))
                return snprintf(err, cap, "service %s-%d did not start", s->svc[i].spec->name, k), EXIT_BROKER;
        int rc = svc_wait_ready(s, &s->svc[i], env, err, cap);
        if (rc != EXIT_OK) return rc;
    }
    return EXIT_OK;
}

static int pick(struct services *s, struct svc_service *sv, int instance)
{
    if (instance != SVC_RANDOM) return instance;
    s->rng ^= s->rng << 13, s->rng ^= s->rng >> 7, s->rng ^= s->rng << 17;
    return (int)(s->rng % (uint64_t)sv->spec->instances);
}

/* One instance, mu not held. */
static int act_one(struct services *s, struct svc_service *sv, struct svc_instance *in, enum svc_act act, char *err,
                   size_t cap)
{
    pthread_mutex_lock(&s->mu);
    pid_t pid = in->pid;
    if (act == SVC_START) {
        if (!pid) in->start_at_ns = clock_ns();
        pthread_mutex_unlock(&s->mu);
        if (!wait_for(s, in, true, ACT_WAIT_NS)) return snprintf(err, cap, "it did not start"), -1;
        return 0;
    }
    if (!pid) {
        pthread_mutex_unlock(&s->mu);
        return snprintf(err, cap, "%s-%d is not running", sv->spec->name, in->index), -1;
    }
    if (act == SVC_PAUSE || act == SVC_RESUME) {
        kill(-pid, act == SVC_PAUSE ? SIGSTOP : SIGCONT);
        in->paused = act == SVC_PAUSE;
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    in->expect_exit = true;
    in->start_at_ns = 0;
    if (in->paused) kill(-pid, SIGCONT);
    kill(-pid, act == SVC_KILL ? SIGKILL : SIGTERM);
    pthread_mutex_unlock(&s->mu);
    if (act != SVC_KILL && !wait_for(s, in, false, sv->spec->stop_grace_ns)) kill(-pid, SIGKILL);
    if (!wait_for(s, in, false, ACT_WAIT_NS)) return snprintf(err, cap, "pid %ld did not end", (long)pid), -1;
    return act == SVC_RESTART ? act_one(s, sv, in, SVC_START, err, cap) : 0;
}

int services_act(struct services *s, int svc, int instance, enum svc_act act, char *note, size_t ncap, char *err,
                 size_t cap)
{
    if (svc < 0 || svc >= s->n) return snprintf(err, cap, "no such service"), -1;
    struct svc_service *sv = &s->svc[svc];
    int one = pick(s, sv, instance), done = 0;
    for (int k = 0; k < sv->spec->instances; k++) {
        if (one != SVC_ALL && k != one) continue;
        if (act_one(s, sv, &sv->inst[k], act, err, cap)) return -1;
        done++;
    }
    if (one == SVC_ALL)
        snprintf(note, ncap, "%s (all %d)", sv->spec->name, done);
    else
        snprintf(note, ncap, "%s-%d", sv->spec->name, one);
    return done ? 0 : (snprintf(err, cap, "no instance %d", one), -1);
}

int services_proxy(struct services *s, int svc, int instance, struct proxy_server **server, char *name, size_t cap)
{
    if (svc < 0 || svc >= s->n || instance < 0 || instance >= s->svc[svc].spec->instances || !s->proxy) return -1;
    *server = s->proxy;
    snprintf(name, cap, "%s", s->svc[svc].inst[instance].proxy);
    return 0;
}

int services_heal(struct services *s, char *note, size_t ncap, char *err, size_t cap)
{
    int started = 0, resumed = 0;
    if (s->proxy) proxy_reset(s->proxy);
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->svc[i].spec->instances; k++) {
            struct svc_instance *in = &s->svc[i].inst[k];
            pthread_mutex_lock(&s->mu);
            bool paused = in->pid && in->paused, down = !in->pid;
            pthread_mutex_unlock(&s->mu);
            if (paused && !act_one(s, &s->svc[i], in, SVC_RESUME, err, cap)) resumed++;
            if (down && act_one(s, &s->svc[i], in, SVC_START, err, cap)) return -1;
            started += down;
        }
    if (started || resumed) snprintf(note, ncap, "services: %d started, %d resumed", started, resumed);
    return 0;
}

void services_stop(struct services *s)
{
    if (!s || !s->thread_started) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    uint64_t grace = 0;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->svc[i].spec->instances; k++) {
            struct svc_instance *in = &s->svc[i].inst[k];
            if (!in->pid) continue;
            if (in->paused) kill(-in->pid, SIGCONT);
            kill(-in->pid, SIGTERM);
            if (s->svc[i].spec->stop_grace_ns > grace) grace = s->svc[i].spec->stop_grace_ns;
        }
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->svc[i].spec->instances; k++)
            wait_for(s, &s->svc[i].inst[k], false, grace);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->svc[i].spec->instances; k++)
            if (s->svc[i].inst[k].pid) kill(-s->svc[i].inst[k].pid, SIGKILL);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->svc[i].spec->instances; k++)
            wait_for(s, &s->svc[i].inst[k], false, ACT_WAIT_NS);
}

static json_t *events_json(const struct svc_event *ev, int n, uint64_t start_ns, bool exits)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        double at = start_ns && ev[i].at_ns >= start_ns ? (double)(ev[i].at_ns - start_ns) / 1e9
                    : start_ns                          ? -(double)(start_ns - ev[i].at_ns) / 1e9
                                                        : 0;
        json_object_set_new(o, "at_s", json_real(at));
        if (!exits) {
            json_object_set_new(o, "pid", json_integer(ev[i].value));
        } else {
            int st = (int)ev[i].value;
            char how[64];
            if (WIFSIGNALED(st))
                snprintf(how, sizeof how, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
            else
                snprintf(how, sizeof how, "exit %d", WEXITSTATUS(st));
            json_object_set_new(o, "status", json_string(how));
            json_object_set_new(o, "expected", json_boolean(ev[i].expected));
        }
        json_array_append_new(a, o);
    }
    return a;
}

json_t *services_json(struct services *s, uint64_t start_ns)
{
    json_t *all = json_array();
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++) {
        const struct svc_service *sv = &s->svc[i];
        json_t *o = json_object(), *cmd = json_array(), *insts = json_array();
        uint64_t unexpected = 0;
        for (int a = 0; a < sv->spec->argc; a++)
            json_array_append_new(cmd, json_string(sv->spec->argv[a]));
        for (int k = 0; k < sv->spec->instances; k++) {
            const struct svc_instance *in = &sv->inst[k];
            json_t *j = json_object();
            json_object_set_new(j, "instance", json_integer(k));
            json_object_set_new(j, "log", json_string(in->log));
            json_object_set_new(j, "proxy", json_string(in->listen));
            json_object_set_new(j, "starts", events_json(in->starts, in->nstarts, start_ns, false));
            json_object_set_new(j, "exits", events_json(in->exits, in->nexits, start_ns, true));
            json_array_append_new(insts, j);
            unexpected += in->unexpected_exits;
        }
        json_object_set_new(o, "name", json_string(sv->spec->name));
        json_object_set_new(o, "command", cmd);
        json_object_set_new(o, "instances", insts);
        json_object_set_new(o, "unexpected_exits", json_integer((json_int_t)unexpected));
        json_array_append_new(all, o);
    }
    pthread_mutex_unlock(&s->mu);
    return all;
}

void services_free(struct services *s)
{
    if (!s) return;
    services_stop(s);
    if (s->thread_started) {
        pthread_mutex_lock(&s->mu);
        s->quit = true;
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    proxy_server_free(s->proxy);
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < SERVICE_MAX_INSTANCES; k++)
            for (int e = 0; e < s->svc[i].inst[k].nenv; e++)
                free(s->svc[i].inst[k].envp[e]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
