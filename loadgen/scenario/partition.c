/* A partition's shape as the pairs of nodes it cuts (scenario.h): pure,
 * so the shapes are unit-tested; timeline_cluster.c applies the result. */
#include "scenario.h"

#include <stdio.h>
#include <string.h>

void fault_cut_matrix(const struct fault *f, int n, int node, const int *order, bool cut[][CONFIG_MAX_NODES],
                      char *desc, size_t cap)
{
    int side[CONFIG_MAX_NODES];
    memset(cut, 0, sizeof(bool) * CONFIG_MAX_NODES * CONFIG_MAX_NODES);
    if (f->shape == PART_BRIDGE) {
        /* the middle node sees both halves; the halves not each other */
        int mid = n / 2;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) cut[i][j] = i != mid && j != mid && (i < mid) != (j < mid);
        snprintf(desc, cap, "bridge n%d", mid + 1);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (f->shape == PART_GROUPS) side[i] = f->groups[i];
        else if (f->shape == PART_ISOLATE) side[i] = i + 1 == node;
        else side[order[i]] = i >= n / 2; /* halves: the smaller half first, as Jepsen's bisect */
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) cut[i][j] = side[i] != side[j];
    /* the sides, "n1 / n2 n3", in the order of their numbers */
    size_t len = 0;
    desc[0] = 0;
    for (int g = 0; g <= n; g++) {
        bool any = false;
        for (int i = 0; i < n; i++) {
            if (side[i] != g) continue;
            len += (size_t)snprintf(desc + len, len < cap ? cap - len : 0, "%s%sn%d", any || !len ? "" : " / ",
                                    any ? " " : "", i + 1);
            any = true;
        }
    }
}
