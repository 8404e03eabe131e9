/* `loadgen hlog FILE`: reads an interval log back (our own reader) and prints
 * the merged percentile distribution per tag, as HistogramLogProcessor does. */
#include "cli.h"
#include "hdrfmt.h"
#include "hist.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TAGS 32

struct tag_hist {
    char name[64];
    struct hist *h;
    long intervals;
};

static struct tag_hist *tag_for(struct tag_hist *t, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    if (*n == MAX_TAGS) return NULL;
    struct tag_hist *x = &t[(*n)++];
    str_copy(x->name, sizeof x->name, name);
    x->h = hist_new_default();
    return x;
}

struct tags {
    struct tag_hist t[MAX_TAGS];
    int n;
};

/* Each row into its tag's histogram; a tag too many or a count past 2^53
 * stops the read at that row. */
static int add_row(void *ctx, const char *tag, double start_s, double length_s, const struct hist *h)
{
    (void)start_s, (void)length_s;
    struct tags *ts = ctx;
    struct tag_hist *t = tag_for(ts->t, &ts->n, tag);
    if (!t || h->total_count > HDRFMT_MAX_COUNT - t->h->total_count) return 1;
    hist_add(t->h, h);
    t->intervals++;
    return 0;
}

int cmd_hlog(int argc, char **argv)
{
    const char *want = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tag") && i + 1 < argc) want = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: loadgen hlog FILE.hlog [--tag TAG]\n"
                 "Reads an HdrHistogram interval log (V2 compressed rows, tagged or not),\n"
                 "merges the intervals per tag and prints each tag's percentile\n"
                 "distribution in .hgrm form (values in ms). --tag: only that tag, table only.");
            return EXIT_OK;
        } else if (!file) file = argv[i];
        else return log_err("hlog: unexpected argument '%s'", argv[i]), EXIT_USAGE;
    }
    if (!file) return log_err("hlog: give an interval log file (loadgen hlog --help)"), EXIT_USAGE;
    struct stat st;
    if (stat(file, &st) == 0 && !S_ISREG(st.st_mode))
        return log_err("hlog: %s is not a file (give the .hlog file, e.g. RUN_DIR/latency.hlog)", file),
               EXIT_USAGE;
    FILE *f = fopen(file, "re");
    if (!f) return log_err("hlog: cannot read %s: %s", file, strerror(errno)), EXIT_USAGE;
    struct tags ts;
    memset(&ts, 0, sizeof ts);
    struct tag_hist *tags = ts.t;
    int rc = EXIT_OK;
    long lineno = 0, bad = hdrfmt_log_read(f, add_row, &ts, &lineno);
    int ntags = ts.n;
    fclose(f);
    if (bad) {
        log_err("hlog: %s:%ld: not an interval row with a V2 histogram", file, bad > 0 ? bad : lineno);
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK && !ntags) {
        log_err("hlog: %s:%ld: no interval rows (an empty or header-only log)", file, lineno);
        rc = EXIT_USAGE;
    }
    bool found = false;
    for (int i = 0; rc == EXIT_OK && i < ntags; i++) {
        if (want && strcmp(tags[i].name, want)) continue;
        found = true;
        if (!want)
            printf("# tag %s: %ld intervals, %lld values\n", tags[i].name[0] ? tags[i].name : "(none)",
                   tags[i].intervals, (long long)tags[i].h->total_count);
        hdrfmt_percentiles(stdout, tags[i].h, 5, 1e6);
        if (!want) putchar('\n');
    }
    if (rc == EXIT_OK && want && !found) {
        log_err("hlog: %s has no tag '%s'", file, want);
        rc = EXIT_USAGE;
    }
    for (int i = 0; i < ntags; i++) hist_free(tags[i].h);
    return rc;
}
