/* `loadgen capacity`: the highest total rate at which a load holds an SLO.
 * One broker serves every step (bench_broker_open); each step is a bench
 * run at a constant rate, judged by cap_judge; the answer is held once
 * more for --confirm-hold before it is stated. run.json is the confirm
 * hold's, with the search in its capacity block. */
#include "bench.h"
#include "capacity.h"
#include "cli.h"
#include "config.h"
#include "gates.h"
#include "metrics.h"
#include "preflight.h"
#include "report.h"
#include "run_schema.h"
#include "scenario.h"
#include "units.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cap_opts {
    const char *slo, *scenario;
    uint64_t step_ns, warmup_ns, hold_ns;
    double precision, require, start, max, factor;
};

static void usage(FILE *f)
{
    fputs("usage: loadgen capacity --slo SLO [capacity options] [bench load options]\n"
          "\n"
          "Finds the highest total rate (msg/s) at which the load holds the SLO: a geometric\n"
          "ramp to the first failing rate, a bisection of the bracket, then the answer held\n"
          "once more. A step fails on the SLO, a growing backlog, a publish rate below the\n"
          "asked one, errors, nacks, connection.blocked or a broker alarm.\n"
          "\n"
          "  --slo SLO              e2e_p99=20ms[,confirm_p99=50ms][,backlog_growth=0]: latency\n"
          "                         terms (e2e or confirm, p50 ... p99.99; corrected, from the\n"
          "                         intended send time) and the queue growth allowed (msg/s)\n"
          "  --step DUR             each step's length (default 10s)\n"
          "  --step-warmup DUR      discarded at the start of each step (default 2s)\n"
          "  --precision PCT        stop when the bracket is this narrow (default 5%)\n"
          "  --confirm-hold DUR     hold the answer this long to confirm it (default 30s)\n"
          "  --start-rate N         the first step's rate (default 1000)\n"
          "  --ramp-factor F        the ramp multiplies the rate by F (default 2)\n"
          "  --max-rate N           never offer more (default 1000000)\n"
          "  --require N            exit 1 when the capacity is below N msg/s (a CI gate)\n"
          "  --scenario FILE        the load and broker of a scenario file (its faults are not run)\n"
          "\n"
          "Every `loadgen bench` option sets the load (except --rate, --duration, --messages\n"
          "and --warmup, which the search sets); --report-dir, --json and --metrics-listen\n"
          "apply to the whole search.\n",
          f);
}

static int num_arg(const char *name, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end != v && *end == '%' && !strcmp(name, "precision")) d /= 100, end++;
    else if (end != v && (*end == 'k' || *end == 'K') && end[1] == 0) d *= 1000, end++;
    if (end == v || *end || !(d >= lo && d <= hi)) {
        log_err("--%s: '%s' is not a number from %g to %g", name, v, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int dur_arg(const char *name, const char *v, uint64_t *out)
{
    if (units_duration(v, out) || *out < NS_PER_SEC || *out > 3600 * NS_PER_SEC) {
        log_err("--%s: '%s' is not a duration from 1s to 1h", name, v);
        return -1;
    }
    return 0;
}

/* Takes capacity's own options out of argv; the rest goes to rest[]. */
static int parse(int argc, char **argv, struct cap_opts *o, char **rest, int *nrest)
{
    static const char *const own[] = {"slo", "step", "step-warmup", "precision", "confirm-hold", "start-rate",
                                      "ramp-factor", "max-rate", "require", "scenario", NULL};
    *o = (struct cap_opts){.step_ns = 10 * NS_PER_SEC, .warmup_ns = 2 * NS_PER_SEC, .hold_ns = 30 * NS_PER_SEC,
                           .precision = 0.05, .start = 1000, .max = 1e6, .factor = 2};
    rest[(*nrest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        if (!strcmp(a, "--rate") || !strncmp(a, "--rate=", 7) || !strcmp(a, "-r") || !strcmp(a, "--duration") ||
            !strcmp(a, "-z") || !strcmp(a, "--messages") || !strcmp(a, "-C") || !strcmp(a, "--warmup")) {
            log_err("%s: capacity sets the rate and the step's length itself (--start-rate, --step, "
                    "--step-warmup)", a);
            return -1;
        }
        int k = -1;
        size_t len = 0;
        for (int j = 0; a[0] == '-' && a[1] == '-' && own[j]; j++) {
            len = strlen(own[j]);
            if (!strncmp(a + 2, own[j], len) && (a[2 + len] == 0 || a[2 + len] == '=')) {
                k = j;
                break;
            }
        }
        if (k < 0) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        const char *v = a[2 + len] == '=' ? a + 3 + len : i + 1 < argc ? argv[++i] : NULL;
        if (!v) return log_err("option %s needs a value", a), -1;
        int bad = 0;
        switch (k) {
        case 0: o->slo = v; break;
        case 1: bad = dur_arg(own[k], v, &o->step_ns); break;
        case 2:
            bad = units_duration(v, &o->warmup_ns);
            if (bad) log_err("--step-warmup: '%s' is not a duration", v);
            break;
        case 3: bad = num_arg(own[k], v, 0.001, 0.5, &o->precision); break;
        case 4: bad = dur_arg(own[k], v, &o->hold_ns); break;
        case 5: bad = num_arg(own[k], v, 1, 1e7, &o->start); break;
        case 6: bad = num_arg(own[k], v, 1.1, 10, &o->factor); break;
        case 7: bad = num_arg(own[k], v, 1, 1e7, &o->max); break;
        case 8: bad = num_arg(own[k], v, 1, 1e7, &o->require); break;
        case 9: o->scenario = v; break;
        }
        if (bad) return -1;
    }
    if (!o->slo) return log_err("capacity needs --slo (e.g. --slo e2e_p99=20ms)"), -1;
    if (o->warmup_ns >= o->step_ns || o->warmup_ns >= o->hold_ns)
        return log_err("--step-warmup must be shorter than --step and --confirm-hold"), -1;
    if (o->start > o->max) return log_err("--start-rate exceeds --max-rate"), -1;
    return 0;
}

/* One step: a bench run at rate for len_ns. Its run.json, or NULL. */
static int run_step(const struct config *base, struct bench_broker *bb, double rate, uint64_t len_ns,
                    uint64_t warmup_ns, const char *dir, json_t **out)
{
    struct config c = *base; /* shallow: base owns the strings */
    memset(&c.rate, 0, sizeof c.rate);
    c.rate.n = 1;
    c.rate.value[0] = (uint64_t)rate;
    c.duration_ns = len_ns;
    c.warmup_ns = warmup_ns;
    c.messages = 0;
    c.quiet = true;
    c.silent = true;
    /* a step's backlog is deleted with its queues: no need to drain it all */
    if (!c.drain_timeout_ns || c.drain_timeout_ns > 3 * NS_PER_SEC) c.drain_timeout_ns = 3 * NS_PER_SEC;
    c.no_report = dir == NULL;
    c.report_dir = (char *)dir;
    c.json_path = NULL;
    if (!dir) c.hlog_path = NULL, c.hgrm_prefix = NULL;
    char d[1024];
    metrics_set_offered(rate);
    return bench_execute_on(&c, NULL, bb, out, d, sizeof d);
}

/* 12400 as "12,400": the answer is read by people */
static const char *grouped(double v, char *buf, size_t cap)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%.0f", v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

static double cpu_s(json_t *run)
{
    return run_num(run, RK_PROC_USER_CPU) + run_num(run, RK_PROC_SYS_CPU);
}

static void print_step(json_t *st)
{
    char slo[200] = "";
    const char *k;
    json_t *v;
    json_object_foreach(run_get(st, RK_CS_SLO), k, v) {
        size_t n = strlen(slo);
        if (json_is_number(v)) snprintf(slo + n, sizeof slo - n, " %s %.2fms", k, json_number_value(v));
        else snprintf(slo + n, sizeof slo - n, " %s n/a", k);
    }
    json_t *cpu = run_get(st, RK_CS_BROKER_CPU);
    char cpus[32] = "n/a";
    if (json_is_number(cpu)) snprintf(cpus, sizeof cpus, "%.0f%%", json_number_value(cpu));
    printf("step %2.0f %-7s %9.0f msg/s  %s %s | pub %.0f/s cons %.0f/s | broker CPU %s\n", run_num(st, RK_CS_N),
           run_str(st, RK_CS_PHASE), run_num(st, RK_CS_RATE), run_true(st, RK_CS_PASS) ? "pass" : "FAIL", slo,
           run_num(st, RK_CS_PUBLISHED), run_num(st, RK_CS_CONSUMED), cpus);
    size_t i;
    json_array_foreach(run_get(st, RK_CS_REASONS), i, v) printf("         - %s\n", json_string_value(v));
    fflush(stdout);
}

/* One capacity search: its options, its load, the steps so far. */
struct capacity {
    struct cap_opts o;
    struct cap_slo slo;
    char slotext[400];
    struct scenario sc; /* its cfg is the load, scenario or not */
    char dir[1024];
    struct cap_search s;
    json_t *steps, *last, *first_fail, *confirmed_run;
    double answer, search_s;
    bool confirmed;
    const char *ended;
    char err[1200];
};

/* The load: a scenario's (its faults not run) or the options'; the rest of
 * the command line applies on top. EXIT_OK, or the exit code. */
static int load_config(struct capacity *c, int nrest, char **rest)
{
    struct config *cfg = &c->sc.cfg;
    if (c->o.scenario) {
        if (scenario_load(c->o.scenario, &c->sc)) return EXIT_USAGE;
        if (c->sc.nfaults)
            log_note("%s: its %d faults are not run: capacity measures the load alone", c->o.scenario, c->sc.nfaults);
    } else {
        config_init(cfg);
    }
    int r = config_parse_args(cfg, nrest, rest);
    if (r) return r > 0 ? EXIT_OK : EXIT_USAGE;
    if (cfg->topology_path && scenario_load_topology(cfg->topology_path, cfg)) return EXIT_USAGE;
    if (config_validate(cfg, c->err, sizeof c->err)) return log_err("%s", c->err), EXIT_USAGE;
    if (cfg->instances || cfg->ids_given[0][1] || cfg->ids_given[1][1])
        return log_err("capacity searches in one process: --instance and the id ranges are for bench and run"),
               EXIT_USAGE;
    if (preflight_config(cfg)) return EXIT_USAGE;
    if (!cfg->producers) return log_err("capacity needs producers (--producers 1 or more)"), EXIT_USAGE;
    free(cfg->name);
    cfg->name = xstrdup(c->o.scenario && c->sc.name ? c->sc.name : "capacity");
    if (!cfg->no_report && report_prepare_dir(cfg, c->dir, sizeof c->dir, c->err, sizeof c->err))
        return log_err("--report-dir: %s", c->err), EXIT_USAGE;
    if (cfg->metrics_listen && metrics_start(cfg->metrics_listen, cfg->allow_remote, c->err, sizeof c->err))
        return log_err("--metrics-listen: %s", c->err), EXIT_USAGE;
    return EXIT_OK;
}

/* A step's entry in capacity.steps, judged against the SLO; *pass. */
static json_t *step_entry(struct capacity *c, double rate, const char *phase, json_t *run, int erc, bool one_to_one,
                          double *prev_cpu, uint64_t t0, bool *pass)
{
    json_t *st = json_object(), *reasons = json_array();
    run_set(st, RK_CS_N, json_integer((json_int_t)json_array_size(c->steps) + 1));
    run_set(st, RK_CS_PHASE, json_string(phase));
    run_set(st, RK_CS_RATE, json_real(rate));
    run_set(st, RK_CS_STARTED, json_real(round((double)(clock_ns() - t0) / 1e8) / 10));
    *pass = false;
    if (!run) {
        json_array_append_new(reasons, json_string("the step did not run (see the messages above)"));
    } else {
        *pass = cap_judge(&c->slo, rate, run, one_to_one, reasons, st) && erc == EXIT_OK;
        double cpu = cpu_s(run), msgs = run_num(run, RK_T_PUBLISHED);
        run_set(st, RK_CS_CPU_PER_100K, msgs > 0 ? json_real(round((cpu - *prev_cpu) / msgs * 1e5 * 100) / 100)
                                                 : json_null());
        *prev_cpu = cpu;
    }
    run_set(st, RK_CS_PASS, json_boolean(*pass));
    run_set(st, RK_CS_REASONS, reasons);
    return st;
}

/* Steps up, then bisection, then holds of the answer. EXIT_OK or
 * EXIT_BROKER. */
static int search(struct capacity *c, struct bench_broker *bb)
{
    const struct cap_opts *o = &c->o;
    struct config *cfg = &c->sc.cfg;
    bool one_to_one = !config_routed(cfg) && cfg->queues == 1;
    cap_search_init(&c->s, o->start, o->factor, o->precision, 1, o->max);
    uint64_t t0 = clock_ns();
    double prev_cpu = 0;
    int holds = 0, rc = EXIT_OK;
    double hold_at = 0; /* after a failed hold: the next one, a precision lower */
    for (;;) {
        double rate = hold_at ? hold_at : cap_search_next(&c->s);
        bool hold = rate == 0 || hold_at > 0;
        if (hold) {
            if (c->s.end) c->ended = c->s.end;
            /* the bracket is narrow: hold the answer, at most 3 times. A
             * longer hold sees more of the tail than a step: near the knee
             * it may fail where the step passed, and the next hold goes a
             * precision lower (not through another bisection). */
            if (!hold_at && !c->s.lo) break;
            if (holds == 3) break;
            if (!hold_at) rate = c->s.lo;
            hold_at = 0;
            holds++;
        }
        json_t *run = NULL;
        const char *phase = hold ? "confirm" : cap_search_phase(&c->s);
        int erc = run_step(cfg, bb, rate, hold ? o->hold_ns : o->step_ns, o->warmup_ns,
                           hold ? (c->dir[0] ? c->dir : NULL) : NULL, &run);
        bool pass;
        json_t *st = step_entry(c, rate, phase, run, erc, one_to_one, &prev_cpu, t0, &pass);
        json_array_append_new(c->steps, st);
        print_step(st);
        if (run) {
            json_decref(c->last);
            c->last = run;
        }
        /* the lowest failing rate of the search (a hold's failure only when nothing else failed) */
        if (!pass && (!c->first_fail || (!hold && run_num(c->first_fail, RK_CS_RATE) > rate))) c->first_fail = st;
        if (erc == EXIT_INTERRUPTED || proc_stop || erc == EXIT_BROKER || json_array_size(c->steps) >= CAP_MAX_STEPS) {
            if (erc == EXIT_BROKER) rc = EXIT_BROKER;
            if (json_array_size(c->steps) >= CAP_MAX_STEPS)
                log_err("capacity: %d steps without an answer", CAP_MAX_STEPS);
            break;
        }
        cap_search_record(&c->s, rate, pass);
        if (hold && !pass) hold_at = floor(rate * (1 - o->precision));
        if (hold_at < 1) hold_at = 0;
        if (hold && pass) {
            c->answer = rate;
            c->confirmed = true;
            json_decref(c->confirmed_run);
            c->confirmed_run = json_incref(run);
            break;
        }
    }
    c->search_s = (double)(clock_ns() - t0) / 1e9;
    if (!c->confirmed) c->answer = c->s.lo;
    return rc;
}

/* run.json: the confirm hold's run (else the last step's), with the
 * search; NULL when no step ran. */
static json_t *result_of(struct capacity *c, bool interrupted)
{
    const struct cap_opts *o = &c->o;
    json_t *result = c->confirmed_run ? json_incref(c->confirmed_run) : c->last ? json_incref(c->last) : NULL;
    if (!result) return NULL;
    run_set(result, RK_CAP_SLO, json_string(c->slotext));
    run_set(result, RK_CAP_MSG_S, c->answer > 0 ? json_real(c->answer) : json_null());
    run_set(result, RK_CAP_CONFIRMED, json_boolean(c->confirmed));
    run_set(result, RK_CAP_REQUIRED, o->require > 0 ? json_real(o->require) : json_null());
    run_set(result, RK_CAP_FIRST_FAIL_RATE,
            c->first_fail ? json_real(run_num(c->first_fail, RK_CS_RATE)) : json_null());
    run_set(result, RK_CAP_FIRST_FAIL_REASONS,
            c->first_fail ? json_deep_copy(run_get(c->first_fail, RK_CS_REASONS)) : json_array());
    run_set(result, RK_CAP_SEARCH_END,
            json_string(interrupted ? "interrupted" : c->ended ? c->ended : c->s.end ? c->s.end : "stopped"));
    run_set(result, RK_CAP_SEARCH_S, json_real(round(c->search_s * 10) / 10));
    run_set(result, RK_CAP_PRECISION, json_real(o->precision));
    run_set(result, RK_CAP_STEP_S, json_real((double)o->step_ns / 1e9));
    run_set(result, RK_CAP_WARMUP_S, json_real((double)o->warmup_ns / 1e9));
    run_set(result, RK_CAP_HOLD_S, json_real((double)o->hold_ns / 1e9));
    run_set(result, RK_CAP_STEPS, c->steps);
    c->steps = NULL;
    if (interrupted) run_set(result, RK_INTERRUPTED, json_true());
    return result;
}

/* The answer printed, the reports written; the exit code. */
static int report_result(struct capacity *c, json_t *result, bool interrupted, int rc)
{
    const struct config *cfg = &c->sc.cfg;
    enum gate_status v = result ? gates_capacity_verdict(result) : GATE_UNKNOWN;
    char num[32];
    if (c->answer > 0)
        printf("capacity: %s msg/s at %s%s (search %.0f s)\n", grouped(c->answer, num, sizeof num), c->slotext,
               c->confirmed ? "" : " (NOT confirmed: the hold failed or the search stopped)", c->search_s);
    else
        printf("capacity: none found: the SLO (%s) failed at every rate tried (the lowest %.0f msg/s)\n", c->slotext,
               c->s.hi);
    metrics_set_capacity(c->answer);
    if (result) {
        size_t i;
        json_t *why;
        json_array_foreach(run_get(result, RK_VERDICT_REASONS), i, why)
            log_err("capacity FAILED: %s", json_string_value(why));
        if (cfg->json_path && report_write_json(cfg->json_path, result, JSON_INDENT(2) | JSON_REAL_PRECISION(10)))
            log_err("--json: cannot write %s", cfg->json_path);
        if (c->dir[0]) {
            if (report_write_dir(c->dir, result, c->err, sizeof c->err)) log_err("%s", c->err);
            else log_note("report in %s/report.html", c->dir);
        }
    } else if (c->dir[0]) {
        rmdir(c->dir);
    }
    if (rc == EXIT_OK) rc = interrupted ? EXIT_INTERRUPTED : v == GATE_PASS ? EXIT_OK : EXIT_FAILED;
    metrics_set_verdict(result ? run_str(result, RK_VERDICT_STATUS) : "incomplete");
    return rc;
}

int cmd_capacity(int argc, char **argv)
{
    struct capacity *c = xcalloc(1, sizeof *c);
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, prc = parse(argc, argv, &c->o, rest, &nrest);
    if (!prc && cap_slo_parse(c->o.slo, &c->slo, c->err, sizeof c->err)) log_err("%s", c->err), prc = -1;
    if (prc) {
        free(rest), free(c);
        return prc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    int rc = load_config(c, nrest, rest);
    free(rest);
    struct bench_broker *bb = NULL;
    if (rc == EXIT_OK && (rc = bench_broker_open(&c->sc.cfg, &bb)) != EXIT_OK) metrics_stop(0);
    if (rc != EXIT_OK) {
        scenario_free(&c->sc);
        free(c);
        return rc;
    }
    cap_slo_text(&c->slo, c->slotext, sizeof c->slotext);
    log_note("capacity: searching the highest rate at %s (steps of %.0f s, %.0f s warmup)", c->slotext,
             (double)c->o.step_ns / 1e9, (double)c->o.warmup_ns / 1e9);
    c->steps = json_array();
    rc = search(c, bb);
    bench_broker_close(bb);
    bool interrupted = proc_stop != 0;
    json_t *result = result_of(c, interrupted);
    json_decref(c->steps), json_decref(c->last), json_decref(c->confirmed_run);
    rc = report_result(c, result, interrupted, rc);
    metrics_stop(c->sc.cfg.metrics_linger_ns);
    json_decref(result);
    scenario_free(&c->sc);
    free(c);
    return rc;
}
