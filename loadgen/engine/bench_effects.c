/* A service run's effects in bench's steps (effects.h): the consumer of
 * the effects queue starts before publishing, the drain waits for the
 * effects, and the end read and the judgement go into run.json. */
#include "bench_int.h"
#include "effects.h"
#include "httpload.h"
#include "run_schema.h"
#include "hdrfmt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

#define EFFECTS_START_NS (15 * NS_PER_SEC)
#define EFFECTS_STOP_NS (10 * NS_PER_SEC)

int bench_effects_start(struct bench_state *b, char *err, size_t cap)
{
    const struct config *cfg = &b->cfg;
    if (!cfg->effects) return 0;
    /* the effects are read from the broker itself, never through a fault proxy */
    struct amqpc_target nodes[CONFIG_MAX_NODES];
    int n = b->run.ntargets ? b->run.ntargets : 1;
    for (int i = 0; i < n; i++)
        nodes[i] = i ? b->run.targets[i] : b->adm.target;
    /* load.http: each driver thread is one "producer" of the ids */
    uint32_t producers = cfg->http ? (uint32_t)cfg->http->threads : (uint32_t)cfg->producers_total;
    if (effects_start(&b->fx, cfg->effects, nodes, n, b->run.run_id, producers, EFFECTS_START_NS,
                      err, cap))
        return -1;
    b->run.fx = &b->fx;
    return 0;
}

/* Ready messages in the input queues and the service's pending queues (a
 * retry queue); -1 unknown. */
static int64_t depth(struct setupconn *adm, const struct config *cfg)
{
    int64_t d = cfg->http ? 0 : setupconn_queue_depth(adm, cfg); /* an API has no input queue */
    for (int i = 0; d >= 0 && i < cfg->effects->npending; i++) {
        amqp_connection_state_t c = setupconn_conn(adm);
        amqp_queue_declare_ok_t *ok =
            c ? amqp_queue_declare(c, 1, amqp_cstring_bytes(cfg->effects->pending[i]), 1, 0, 0, 0, amqp_empty_table)
              : NULL;
        if (!ok) {
            if (c) setupconn_drop(adm);
            return -1;
        }
        d += ok->message_count;
    }
    return d;
}

int bench_effects_phase(struct run_ctx *run, uint64_t now, uint64_t confirmed, struct drain *d, struct setupconn *adm,
                        bool timeout)
{
    const struct config *cfg = run->cfg;
    uint64_t matched = atomic_load_explicit(&run->fx->snap_matched, memory_order_relaxed);
    uint64_t last = atomic_load_explicit(&run->fx->snap_last_ns, memory_order_relaxed);
    if (last < d->since) last = d->since;
    if (timeout) {
        d->ended = "timeout";
        d->still_queued = depth(adm, cfg);
        return PHASE_STOP;
    }
    if ((cfg->confirm || cfg->http) && matched >= confirmed) {
        d->ended = "complete";
        d->still_queued = 0;
        return PHASE_STOP;
    }
    if (now - last < cfg->effects->quiet_ns) return PHASE_DRAIN;
    /* quiet: done only when the service has taken every input */
    int64_t n = depth(adm, cfg);
    d->still_queued = n;
    if (n != 0) return PHASE_DRAIN;
    d->ended = "idle";
    return PHASE_STOP;
}

void bench_effects_finish(struct bench_state *b, json_t *result, const char *dir)
{
    const struct config *cfg = &b->cfg;
    if (!b->run.fx) return;
    effects_stop(&b->fx, EFFECTS_STOP_NS);
    int np = b->http ? httpload_threads(b->http) : cfg->producers_total;
    struct effects_producer *prod = xcalloc((size_t)(np ? np : 1), sizeof *prod);
    for (int i = 0; b->http && i < np; i++) { /* a request accepted with a 2xx is a confirmed input */
        struct httpload_sent s;
        httpload_sent(b->http, i, &s);
        prod[i] = (struct effects_producer){s.ok, s.ok_nbits, s.last, s.times, s.ntimes};
    }
    for (int t = 0; t < b->nworkers; t++)
        for (int i = 0; i < b->ws[t].nagents; i++) {
            const struct agent *a = &b->ws[t].agents[i];
            if (!a->producer || a->id >= np) continue;
            prod[a->id] = (struct effects_producer){a->confirmed, a->confirmed_nbits, a->seq - 1, a->times, a->ntimes};
        }
    const char *inputs[CONFIG_MAX_ARGS];
    char names[CONFIG_MAX_ARGS][256];
    int ni = 0;
    for (int q = 0; !cfg->http && q < cfg->queues && ni < CONFIG_MAX_ARGS; q++, ni++)
        inputs[ni] = config_queue_name(cfg, q, names[ni], sizeof names[ni]);
    char prefix[1100], state[1100];
    snprintf(prefix, sizeof prefix, "%s/latency", dir);
    snprintf(state, sizeof state, "%s/services", dir); /* the services' LOADGEN_RUN_DIR */
    bool have_dir = dir && dir[0];
    json_t *o = effects_judge(&b->fx, prod, np, inputs, ni, b->run.start_ns, have_dir ? prefix : NULL,
                              have_dir ? state : "/tmp");
    free(prod);
    if (!result) {
        json_decref(o);
        return;
    }
    run_set(result, RK_EFFECTS, o);
    if (cfg->http) /* refused or unanswered, published all the same: allowed (docs/services.md) */
        run_set(result, RK_EF_REJECTED_PUBLISHED, json_integer((json_int_t)run_num(result, RK_EF_UNCONFIRMED)));
}

void bench_http_finish(struct bench_state *b, json_t *result, double secs, const char *dir)
{
    const struct config *cfg = &b->cfg;
    /* the load's time, not the drain's: the rate is what was asked for */
    double measured = cfg->messages ? secs : (double)cfg->duration_ns / 1e9;
    if (!cfg->silent) httpload_print(b->http, measured);
    if (dir && dir[0]) {
        char prefix[1100];
        snprintf(prefix, sizeof prefix, "%s/latency", dir);
        hdrfmt_write_hgrm(prefix, "http", httpload_latency(b->http, true));
        hdrfmt_write_hgrm(prefix, "http-uncorrected", httpload_latency(b->http, false));
    }
    if (!result) return;
    run_set(result, RK_HTTP, httpload_json(b->http, measured));
    uint64_t classes[HC_COUNT], sent;
    httpload_totals(b->http, classes, &sent);
    if (!classes[HC_2XX]) { /* the AMQP health checks know of no producer here */
        run_set(result, RK_HEALTH_PASS, json_false());
        json_array_append_new(run_get(result, RK_HEALTH_REASONS),
                              json_string(sent ? "the API accepted no request (no 2xx)" : "no request was sent"));
    }
}
