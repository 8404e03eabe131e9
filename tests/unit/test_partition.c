/* The partition shapes as cut pairs (fault_cut_matrix): groups, isolate,
 * halves (the smaller half first), random halves by a given order, bridge. */
#include "scenario.h"
#include "unit.h"

#include <string.h>

/* Every pair cut both ways, none cut from itself. */
static int symmetric(bool cut[][CONFIG_MAX_NODES], int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (cut[i][j] != cut[j][i] || (i == j && cut[i][j])) return 0;
    return 1;
}

void test_partition(void)
{
    bool cut[CONFIG_MAX_NODES][CONFIG_MAX_NODES];
    char desc[96];
    int id[CONFIG_MAX_NODES] = {0, 1, 2, 3, 4};
    struct fault f;

    memset(&f, 0, sizeof f);
    f.shape = PART_ISOLATE;
    fault_cut_matrix(&f, 3, 2, id, cut, desc, sizeof desc);
    CHECK(cut[0][1] && cut[1][2] && !cut[0][2] && symmetric(cut, 3));
    CHECK(!strcmp(desc, "n1 n3 / n2"));

    f.shape = PART_GROUPS;
    f.groups[0] = 0, f.groups[1] = 1, f.groups[2] = 1, f.groups[3] = 2, f.groups[4] = 2;
    fault_cut_matrix(&f, 5, 0, id, cut, desc, sizeof desc);
    CHECK(!cut[1][2] && !cut[3][4] && cut[0][1] && cut[2][3] && symmetric(cut, 5));
    CHECK(!strcmp(desc, "n1 / n2 n3 / n4 n5"));

    f.shape = PART_HALVES; /* Jepsen's bisect: [[n1 n2] [n3 n4 n5]] */
    fault_cut_matrix(&f, 5, 0, id, cut, desc, sizeof desc);
    CHECK(!cut[0][1] && cut[1][2] && !cut[2][4] && symmetric(cut, 5));
    CHECK(!strcmp(desc, "n1 n2 / n3 n4 n5"));
    fault_cut_matrix(&f, 3, 0, id, cut, desc, sizeof desc);
    CHECK(!strcmp(desc, "n1 / n2 n3"));

    f.shape = PART_RANDOM_HALVES; /* the halves of a shuffled order */
    int order[CONFIG_MAX_NODES] = {2, 0, 1};
    fault_cut_matrix(&f, 3, 0, order, cut, desc, sizeof desc);
    CHECK(cut[2][0] && cut[2][1] && !cut[0][1] && symmetric(cut, 3));
    CHECK(!strcmp(desc, "n3 / n1 n2"));

    f.shape = PART_BRIDGE; /* n2 sees both; n1 and n3 not each other */
    fault_cut_matrix(&f, 3, 0, id, cut, desc, sizeof desc);
    CHECK(cut[0][2] && !cut[0][1] && !cut[1][2] && symmetric(cut, 3));
    CHECK(!strcmp(desc, "bridge n2"));
    fault_cut_matrix(&f, 5, 0, id, cut, desc, sizeof desc); /* n1 n2 | n3 | n4 n5 */
    CHECK(cut[0][3] && cut[1][4] && !cut[0][1] && !cut[2][0] && !cut[2][4] && !cut[3][4] && symmetric(cut, 5));
}
