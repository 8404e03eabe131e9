/* junit: JUnit XML of a run for CI (Jenkins, GitLab, GitHub): one testcase
 * per gate, classname = guarantee, a <failure> with limit and actual value
 * when the gate failed. A run without gates has one testcase, "run", that
 * fails, with the verdict's reasons, when run.verdict did not pass. The
 * verdict is read, never decided here (gates.c decides it). */
#ifndef LOADGEN_JUNIT_H
#define LOADGEN_JUNIT_H

#include <jansson.h>
#include <stddef.h>

/* Returns 0, or -1 with the reason in err. */
int junit_write(const char *path, json_t *run, char *err, size_t cap);

#endif
