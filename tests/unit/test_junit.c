/* JUnit reads the verdict and never decides one: a fixture whose totals
 * would fail a check but whose verdict passed gives no failure, and the
 * reverse gives one with the verdict's reasons. */
#include "junit.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *junit_of(const char *run_text)
{
    char path[] = "/tmp/loadgen-unit-junit-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    close(fd);
    json_t *run = json_loads(run_text, 0, NULL);
    char *text = NULL;
    char err[256];
    if (run && junit_write(path, run, err, sizeof err) == 0) {
        FILE *f = fopen(path, "r");
        text = calloc(1, 8192);
        if (f && text) text[fread(text, 1, 8191, f)] = 0;
        if (f) fclose(f);
    }
    json_decref(run);
    unlink(path);
    return text;
}

void test_junit(void)
{
    char *x = junit_of("{\"totals\": {\"lost\": 5}, \"interrupted\": false,"
                       " \"verdict\": {\"pass\": true, \"status\": \"pass\", \"gates\": [], \"reasons\": []}}");
    CHECK(x && strstr(x, "failures=\"0\"") && strstr(x, "name=\"run\"") && !strstr(x, "<failure"));
    free(x);
    x = junit_of("{\"totals\": {\"lost\": 0}, \"interrupted\": false,"
                 " \"verdict\": {\"pass\": false, \"status\": \"fail\", \"gates\": [],"
                 " \"reasons\": [\"nothing was published\", \"a <b>\"]}}");
    CHECK(x && strstr(x, "failures=\"1\"") && strstr(x, "message=\"nothing was published; a &lt;b&gt;\""));
    free(x);
    /* No verdict at all is a failure, never a silent pass. */
    x = junit_of("{\"totals\": {\"lost\": 0}}");
    CHECK(x && strstr(x, "failures=\"1\"") && strstr(x, "no verdict in run.json"));
    free(x);
    /* A scenario: one testcase per gate, failures counted from the gates. */
    x = junit_of("{\"scenario\": {\"name\": \"s\"}, \"verdict\": {\"pass\": false, \"status\": \"fail\","
                 " \"gates\": [{\"guarantee\": \"durability\", \"gate\": \"lost\", \"pass\": false,"
                 " \"actual\": 3, \"max\": 0, \"unit\": \"\"}, {\"guarantee\": \"ordering\","
                 " \"gate\": \"order_violations\", \"pass\": true, \"actual\": 0, \"max\": 0, \"unit\": \"\"}],"
                 " \"reasons\": []}}");
    CHECK(x && strstr(x, "tests=\"2\" failures=\"1\"") && strstr(x, "classname=\"s.durability\" name=\"lost\""));
    CHECK(x && strstr(x, "message=\"lost: actual 3, max 0\""));
    free(x);
    /* One instance of a sharded run: its gates and run are skipped, not failed or passed. */
    x = junit_of("{\"scenario\": {\"name\": \"s\"}, \"verdict\": {\"pass\": false, \"status\": \"partial\","
                 " \"gates\": [{\"guarantee\": \"durability\", \"gate\": \"lost\", \"pass\": false,"
                 " \"status\": \"partial\", \"actual\": null, \"max\": 0, \"unit\": \"\"}], \"reasons\": []}}");
    CHECK(x && strstr(x, "tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\"") && strstr(x, "<skipped"));
    free(x);
    x = junit_of("{\"totals\": {\"lost\": null}, \"interrupted\": false,"
                 " \"verdict\": {\"pass\": false, \"status\": \"partial\", \"gates\": [], \"reasons\": []}}");
    CHECK(x && strstr(x, "failures=\"0\" errors=\"0\" skipped=\"1\"") && !strstr(x, "<failure"));
    free(x);
}
