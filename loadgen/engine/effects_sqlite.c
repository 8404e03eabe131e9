/* Effects a service keeps in a database (the idempotent-consumer and
 * outbox patterns): `effects: {sqlite: {file, query}}`. The query's first
 * column names each effect's input; it runs once, after the services have
 * stopped, read-only. A row is an effect: a table without a unique key
 * shows a duplicate as two rows. No latency: the rows carry no time. */
#include "effects.h"
#include "util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define BUSY_MS 5000

/* file with {run} replaced by the run id, relative to dir unless absolute */
static void db_path(const struct effects_spec *sp, const char *dir, uint32_t run_id, char *out, size_t cap)
{
    char run[16], name[1024];
    snprintf(run, sizeof run, "%08x", run_id);
    const char *at = strstr(sp->sqlite_file, "{run}");
    if (at) snprintf(name, sizeof name, "%.*s%s%s", (int)(at - sp->sqlite_file), sp->sqlite_file, run, at + 5);
    else snprintf(name, sizeof name, "%s", sp->sqlite_file);
    if (name[0] == '/') snprintf(out, cap, "%s", name);
    else snprintf(out, cap, "%s/%s", dir, name);
}

int effects_read_sqlite(struct effects *e, const char *dir, char *err, size_t cap)
{
    char path[2200];
    db_path(e->spec, dir, e->ledger.run_id, path, sizeof path);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, cap, "effects.sqlite: %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, BUSY_MS);
    if (sqlite3_prepare_v2(db, e->spec->sqlite_query, -1, &st, NULL) != SQLITE_OK || !st) {
        snprintf(err, cap, "effects.sqlite.query: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    uint64_t now = clock_ns();
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        effect_ledger_add(&e->ledger, id, id ? (size_t)len : 0, id ? NULL : "a NULL id", "NULL", 4, false, now);
    }
    if (rc != SQLITE_DONE) snprintf(err, cap, "effects.sqlite: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE ? 0 : -1;
}
