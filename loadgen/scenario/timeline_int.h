/* Private to loadgen/scenario/: timeline.c's cluster side (timeline_cluster.c). */
#ifndef LOADGEN_TIMELINE_INT_H
#define LOADGEN_TIMELINE_INT_H

#include "timeline.h"

#include <stddef.h>

/* What a step acted on and what it verified, for the fault log. */
struct step_note {
    char target[96];
    char detail[200];
};

/* A fault step on the embedded cluster (node faults, wait, partition,
 * heal, loss): resolves the node (random, leader-of), applies, verifies;
 * a revert acts on the node its fault resolved. 0, or -1 with err. */
int tl_cluster_apply(struct timeline *tl, int fault, bool revert, struct step_note *note, char *err, size_t cap);
/* The final heal: no partition, no loss, every node resumed and running
 * again and serving AMQP (a node stuck in its boot after a partition is
 * restarted once). 0, or -1 with err. */
int tl_cluster_heal(struct timeline *tl, struct step_note *note, char *err, size_t cap);

#endif
