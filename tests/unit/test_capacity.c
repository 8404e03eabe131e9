/* capacity: the SLO's parsing, the search (ramp, ramp down, bisection, a
 * failed hold reopening the bracket), a step's judgement from run.json
 * (an unmeasured SLO term fails, never passes) and the capacity gate. */
#include "capacity.h"
#include "gates.h"
#include "unit.h"

#include <math.h>
#include <string.h>

static void slo(void)
{
    struct cap_slo s;
    char err[256];
    CHECK(cap_slo_parse("e2e_p99=20ms,confirm_p99.9=1s,backlog_growth=50", &s, err, sizeof err) == 0);
    CHECK(s.n == 2 && s.t[0].metric == RK_LAT_E2E && s.t[0].pct == RK_LAT_P99 && s.t[0].limit_ms == 20);
    CHECK(s.t[1].metric == RK_LAT_CONFIRM && s.t[1].pct == RK_LAT_P999 && s.t[1].limit_ms == 1000);
    CHECK(s.backlog_growth == 50);
    char text[200];
    cap_slo_text(&s, text, sizeof text);
    CHECK(!strcmp(text, "e2e p99 <= 20 ms, confirm p99.9 <= 1000 ms"));
    CHECK(cap_slo_parse("backlog_growth=0", &s, err, sizeof err) == -1 && strstr(err, "needs a latency term"));
    CHECK(cap_slo_parse("e2e_p99=0ms", &s, err, sizeof err) == -1);
    CHECK(cap_slo_parse("e2e_p99=-5ms", &s, err, sizeof err) == -1);
    CHECK(cap_slo_parse("e2e_p99", &s, err, sizeof err) == -1 && strstr(err, "NAME=VALUE"));
    CHECK(cap_slo_parse("e2e_p99=1ms,e2e_p99=1ms,e2e_p99=1ms,e2e_p99=1ms,e2e_p99=1ms,e2e_p99=1ms,e2e_p99=1ms,"
                        "e2e_p99=1ms,e2e_p99=1ms",
                        &s, err, sizeof err) == -1 &&
          strstr(err, "at most"));
    CHECK(cap_slo_parse("backlog_growth=nan,e2e_p99=1ms", &s, err, sizeof err) == -1);
}

/* The search against a known capacity: every rate up to cap passes. */
static double search(double cap, double start, double *tried, int *n)
{
    struct cap_search s;
    cap_search_init(&s, start, 2, 0.05, 1, 1e6);
    *n = 0;
    for (double r; (r = cap_search_next(&s)) > 0 && *n < 64;) {
        tried[(*n)++] = r;
        cap_search_record(&s, r, r <= cap);
    }
    return s.lo;
}

static void search_cases(void)
{
    double tried[64];
    int n;
    double lo = search(12345, 1000, tried, &n);
    CHECK(lo <= 12345 && lo >= 12345 * 0.95);
    CHECK(tried[0] == 1000 && tried[1] == 2000 && tried[4] == 16000); /* the ramp, then the bisection */
    CHECK(n <= 10);
    lo = search(300, 1000, tried, &n); /* the start fails: ramp down */
    CHECK(tried[1] == 500 && tried[2] == 250 && lo >= 285 && lo <= 300);
    lo = search(0.5, 10, tried, &n); /* nothing holds */
    CHECK(lo == 0);
    struct cap_search s;
    cap_search_init(&s, 100, 2, 0.05, 1, 150);
    cap_search_record(&s, cap_search_next(&s), true);
    CHECK(cap_search_next(&s) == 150); /* capped at --max-rate */
    cap_search_record(&s, 150, true);
    CHECK(cap_search_next(&s) == 0 && !strcmp(s.end, "passed at --max-rate"));
    /* a failed hold at lo reopens the bracket below it */
    cap_search_init(&s, 100, 2, 0.05, 1, 1e6);
    cap_search_record(&s, 100, true);
    cap_search_record(&s, 200, false);
    cap_search_record(&s, 150, true);
    cap_search_record(&s, 175, false);
    cap_search_record(&s, 162, true);
    cap_search_record(&s, 168, false);
    CHECK(cap_search_next(&s) == 0 && s.lo == 162);
    cap_search_record(&s, 162, false); /* the hold failed */
    CHECK(s.lo == 150 && s.hi == 162 && cap_search_next(&s) == 156);
}

static json_t *step_run(double p99, long count, double pub, double blocked, const char *extra)
{
    char text[2048];
    snprintf(
        text, sizeof text,
        "{\"latency\": {\"e2e\": {\"count\": %ld, \"p99\": %g}, \"confirm\": {\"count\": 0}},"
        " \"rates\": {\"published\": %g, \"consumed\": %g}, \"errors\": {\"reconnects\": 0},"
        " \"totals\": {\"nacked\": 0, \"blocked\": %g, \"lost\": 0}, \"health\": {\"pass\": true, \"reasons\": []},"
        " \"interrupted\": false, \"config\": {\"warmup_s\": 1, \"duration_s\": 6, \"consumers\": 1},"
        " \"broker_resources\": [%s]}",
        count, p99, pub, pub, blocked, extra);
    return json_loads(text, 0, NULL);
}

static void judge(void)
{
    struct cap_slo s;
    char err[200];
    cap_slo_parse("e2e_p99=20ms", &s, err, sizeof err);
    json_t *reasons = json_array(), *st = json_object();
    json_t *ok = step_run(5, 1000, 1000, 0, "");
    CHECK(cap_judge(&s, 1000, ok, true, reasons, st) && json_array_size(reasons) == 0);
    json_t *slow = step_run(25, 1000, 1000, 0, "");
    CHECK(!cap_judge(&s, 1000, slow, true, reasons, st));
    json_t *none = step_run(0, 0, 1000, 0, ""); /* nothing measured: a fail */
    json_array_clear(reasons);
    CHECK(!cap_judge(&s, 1000, none, true, reasons, st) &&
          strstr(json_string_value(json_array_get(reasons, 0)), "nothing measured"));
    json_t *behind = step_run(5, 1000, 900, 0, ""); /* published below 95% of the offer */
    CHECK(!cap_judge(&s, 1000, behind, true, reasons, st));
    json_t *blocked = step_run(5, 1000, 1000, 2, "");
    CHECK(!cap_judge(&s, 1000, blocked, true, reasons, st));
    /* the queue grows 100 msg/s over the measured window */
    json_t *grows = step_run(5, 1000, 1000, 0,
                             "{\"t\": 1, \"ready\": 0}, {\"t\": 2, \"ready\": 100}, {\"t\": 3, \"ready\": 200},"
                             "{\"t\": 4, \"ready\": 300}, {\"t\": 5, \"ready\": 400}, {\"t\": 6, \"ready\": 500}");
    json_array_clear(reasons);
    CHECK(!cap_judge(&s, 1000, grows, true, reasons, st) &&
          strstr(json_string_value(json_array_get(reasons, 0)), "backlog grew 100"));
    CHECK(json_number_value(json_object_get(st, "backlog_growth")) == 100);
    json_t *alarm = step_run(5, 1000, 1000, 0, "{\"t\": 1, \"ready\": 0, \"alarms\": [\"memory\"]}");
    CHECK(!cap_judge(&s, 1000, alarm, true, reasons, st));
    /* flow control held in most of the window fails; a moment of it does not */
    json_t *flow = step_run(5, 1000, 1000, 0,
                            "{\"t\": 2, \"flow\": 1}, {\"t\": 3, \"flow\": 1}, {\"t\": 4, \"flow\": 0}");
    json_array_clear(reasons);
    CHECK(!cap_judge(&s, 1000, flow, true, reasons, st) &&
          strstr(json_string_value(json_array_get(reasons, 0)), "flow control"));
    json_t *blip = step_run(5, 1000, 1000, 0,
                            "{\"t\": 2, \"flow\": 1}, {\"t\": 3, \"flow\": 0}, {\"t\": 4, \"flow\": 0}");
    json_array_clear(reasons);
    CHECK(cap_judge(&s, 1000, blip, true, reasons, st));
    json_decref(flow), json_decref(blip);
    json_decref(ok), json_decref(slow), json_decref(none), json_decref(behind), json_decref(blocked);
    json_decref(grows), json_decref(alarm), json_decref(reasons), json_decref(st);
}

static json_t *cap_run(const char *cap)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"health\": {\"pass\": true, \"reasons\": []}, \"totals\": {\"lost\": 0}, \"interrupted\": false,"
             " \"capacity\": %s}",
             cap);
    return json_loads(text, 0, NULL);
}

static void verdict(void)
{
    json_t *r = cap_run("{\"msg_s\": 500, \"confirmed\": true, \"required\": 400}");
    CHECK(gates_capacity_verdict(r) == GATE_PASS);
    json_decref(r);
    r = cap_run("{\"msg_s\": 500, \"confirmed\": true, \"required\": 600}");
    CHECK(gates_capacity_verdict(r) == GATE_FAIL);
    json_decref(r);
    r = cap_run("{\"msg_s\": 500, \"confirmed\": false, \"required\": null}");
    CHECK(gates_capacity_verdict(r) == GATE_FAIL);
    json_decref(r);
    r = cap_run("{\"msg_s\": null, \"confirmed\": false, \"required\": null}");
    CHECK(gates_capacity_verdict(r) == GATE_FAIL);
    json_decref(r);
}

void test_capacity(void)
{
    slo();
    search_cases();
    judge();
    verdict();
}
