/* The registry of fault families: one line per family file. The order is
 * the order keys are offered, checks run and the final heal acts: the
 * broker's processes first (nothing else heals on a dead broker), then the
 * cluster's network, the proxy, and the bindings an unbind removed (which
 * need a broker that serves). */
#include "faults.h"

#include <stdio.h>
#include <string.h>

const struct fault_family *const fault_families[] = {
    &fault_family_broker, &fault_family_cluster_net, &fault_family_proxy, &fault_family_topology,
    &fault_family_consumers, &fault_family_forget, &fault_family_exec, &fault_family_wait, &fault_family_service, NULL,
};

const struct fault_ops *faults_lookup(const char *name)
{
    for (const struct fault_family *const *fam = fault_families; *fam; fam++)
        for (const struct fault_ops *a = (*fam)->actions; a->name; a++)
            if (!strcmp(a->name, name)) return a;
    return NULL;
}

/* Joins a name of each action (or the keys of each family) once, for
 * messages; the registry is constant, so the text is too. */
static const char *list(char *buf, size_t cap, bool keys)
{
    if (buf[0]) return buf;
    size_t len = 0;
    for (const struct fault_family *const *fam = fault_families; *fam; fam++) {
        if (keys) {
            if ((*fam)->keys && (*fam)->keys[0])
                len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", (*fam)->keys);
        } else
            for (const struct fault_ops *a = (*fam)->actions; a->name && len < cap; a++)
                len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", a->name);
        if (len >= cap) break;
    }
    return buf;
}

const char *faults_action_list(void)
{
    static char buf[1024];
    return list(buf, sizeof buf, false);
}

const char *faults_key_list(void)
{
    static char buf[1024];
    return list(buf, sizeof buf, true);
}
