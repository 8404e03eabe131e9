/* config_apply is the one path for an option's value, from the command line
 * and from a scenario's load: keys: the same checks, errors as data. */
#include "config.h"
#include "unit.h"

#include <string.h>

void test_config(void)
{
    struct config c;
    char err[256];
    config_init(&c);
    CHECK(config_apply(&c, "producers", "4", err, sizeof err) == 0 && c.producers == 4);
    CHECK(config_apply(&c, "producers", "lots", err, sizeof err) == -1);
    CHECK(!strcmp(err, "'lots' is not a whole number from 0 to 100000"));
    CHECK(config_apply(&c, "rate", "10k", err, sizeof err) == 0);
    CHECK(config_apply(&c, "duration", "soon", err, sizeof err) == -1 && strstr(err, "a duration"));
    /* Flags: present (NULL) or true sets, false leaves the default, else refused. */
    CHECK(config_apply(&c, "durable", "false", err, sizeof err) == 0 && !c.durable);
    CHECK(config_apply(&c, "durable", "maybe", err, sizeof err) == -1 && !strcmp(err, "'maybe' is not true or false"));
    CHECK(config_apply(&c, "durable", "true", err, sizeof err) == 0 && c.durable);
    CHECK(config_apply(&c, "persistent", NULL, err, sizeof err) == 0 && c.persistent);
    CHECK(config_apply(&c, "queue", NULL, err, sizeof err) == -1 && !strcmp(err, "needs a value"));
    CHECK(config_apply(&c, "no-such", "1", err, sizeof err) == -1 && !strcmp(err, "unknown key"));
    CHECK(config_apply(&c, "help", NULL, err, sizeof err) == -1);
    CHECK(config_validate(&c, err, sizeof err) == 0);
    CHECK(config_apply(&c, "prefetch", "2", err, sizeof err) == 0);
    CHECK(config_apply(&c, "multi-ack", "4", err, sizeof err) == 0);
    CHECK(config_validate(&c, err, sizeof err) == -1 && strstr(err, "--multi-ack 4 exceeds --prefetch 2"));
    config_free(&c);
}
