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
    /* Routing keys by weight, one binding key per queue, behind an exchange. */
    config_init(&c);
    CHECK(config_apply(&c, "routing-keys", "a.b:3,c", err, sizeof err) == 0 && c.n_routing_keys == 2);
    CHECK(!strcmp(c.routing_keys[0], "a.b") && c.routing_weights[0] == 3 && c.routing_weights[1] == 1);
    CHECK(config_apply(&c, "routing-keys", "a:0", err, sizeof err) == -1 && strstr(err, "weights from 1"));
    CHECK(c.n_routing_keys == 2); /* a bad list leaves the good one */
    CHECK(config_validate(&c, err, sizeof err) == -1 && strstr(err, "need an --exchange"));
    CHECK(config_apply(&c, "exchange", "x", err, sizeof err) == 0);
    CHECK(config_apply(&c, "queues", "2", err, sizeof err) == 0);
    CHECK(config_apply(&c, "binding-keys", "a.*", err, sizeof err) == 0);
    CHECK(config_validate(&c, err, sizeof err) == -1 && strstr(err, "1 keys for 2 queues"));
    CHECK(config_apply(&c, "binding-keys", "a.*,#", err, sizeof err) == 0);
    CHECK(config_validate(&c, err, sizeof err) == 0);
    CHECK(!strcmp(config_binding_key(&c, 1, "q-2"), "#"));
    /* a republish (same producer, same seq) carries the same key */
    CHECK(!strcmp(config_message_key(&c, 1, 77, "q"), config_message_key(&c, 1, 77, "q")));
    config_free(&c);
    /* Defaults by size: a paced load on few connections runs on one
     * thread, more than 1,000 connections heartbeat every 60 s; an option
     * given is kept. */
    config_init(&c);
    CHECK(config_apply(&c, "rate", "10k", err, sizeof err) == 0 && config_validate(&c, err, sizeof err) == 0);
    CHECK(c.threads == 1 && c.heartbeat_s == 10);
    config_free(&c);
    config_init(&c);
    CHECK(config_apply(&c, "producers", "600", err, sizeof err) == 0);
    CHECK(config_apply(&c, "consumers", "600", err, sizeof err) == 0);
    CHECK(config_validate(&c, err, sizeof err) == 0 && c.heartbeat_s == 60 && c.threads == 2);
    config_free(&c);
    config_init(&c);
    CHECK(config_apply(&c, "producers", "600", err, sizeof err) == 0);
    CHECK(config_apply(&c, "consumers", "600", err, sizeof err) == 0);
    CHECK(config_apply(&c, "heartbeat", "10", err, sizeof err) == 0);
    CHECK(config_apply(&c, "rate", "10k", err, sizeof err) == 0);
    CHECK(config_apply(&c, "threads", "2", err, sizeof err) == 0);
    CHECK(config_validate(&c, err, sizeof err) == 0 && c.heartbeat_s == 10 && c.threads == 2);
    config_free(&c);
    /* Reads wait for the send tick only paced, and only while a tick's
     * messages fit twice in the confirm window and the prefetch. */
    static const struct { const char *opts[4]; bool batch; } rb[] = {
        {{"rate", "10k"}, true},
        {{"rate", "10k", "no-read-batch", "true"}, false},
        {{"rate", "0"}, false},
        {{"rate", "10k", "prefetch", "1"}, false},
        {{"rate", "10k", "prefetch", "0"}, true},
        {{"rate", "10k", "confirm", "19"}, false},
        {{"rate", "10k", "confirm", "20"}, true},
        {{"rate", "50k"}, true},
        {{"rate", "50k", "prefetch", "99"}, false},
        {{"rate", "10k", "send-tick", "0"}, false},
        {{"rate", "10k", "consumer-delay", "1ms"}, false},
        {{"rate", "1000:5s,0:5s"}, false},
        {{"rate", "1000", "producers", "2"}, false}, /* each due every 2 ms: never within a tick */
        {{"rate", "2000", "producers", "2"}, true},
    };
    for (size_t i = 0; i < sizeof rb / sizeof rb[0]; i++) {
        config_init(&c);
        for (int k = 0; k < 4 && rb[i].opts[k]; k += 2)
            CHECK(config_apply(&c, rb[i].opts[k], rb[i].opts[k + 1], err, sizeof err) == 0);
        CHECK(config_validate(&c, err, sizeof err) == 0);
        CHECK(c.read_batch == rb[i].batch);
        config_free(&c);
    }
}
