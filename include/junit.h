/* junit: JUnit XML of a run for CI (Jenkins, GitLab, GitHub): one testcase
 * per gate, classname = guarantee, a <failure> with limit and actual value
 * when the gate failed. A bench run without gates has one testcase, "run",
 * that fails when the run was interrupted or lost confirmed messages. */
#ifndef LOADGEN_JUNIT_H
#define LOADGEN_JUNIT_H

#include <jansson.h>

/* Returns 0, or -1 after logging that path cannot be written. */
int junit_write(const char *path, json_t *run);

#endif
