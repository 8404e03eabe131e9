/* The routing model (route.h): what RabbitMQ's exchanges do with a message,
 * computed without a broker. */
#include "route.h"
#include "util.h"

#include <string.h>

int route_pick(const unsigned *w, int n, uint32_t producer, uint64_t seq)
{
    uint64_t total = 0, x = seq ^ ((uint64_t)producer << 40) ^ 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < n; i++) total += w[i];
    if (n <= 1 || !total) return 0;
    x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ULL; /* splitmix64's finalizer */
    x ^= x >> 27, x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    uint64_t r = x % total;
    for (int i = 0; i < n; i++) {
        if (r < w[i]) return i;
        r -= w[i];
    }
    return n - 1;
}

void route_init(struct route_model *m)
{
    memset(m, 0, sizeof *m);
}

int route_xtype_parse(const char *name)
{
    static const char *const names[RX_COUNT] = {"direct", "fanout", "topic", "headers"};
    for (int i = 0; i < RX_COUNT; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

int route_exchange(const struct route_model *m, const char *name)
{
    for (int i = 0; i < m->nexchanges; i++)
        if (!strcmp(m->exchanges[i].name, name)) return i;
    return -1;
}

int route_queue(const struct route_model *m, const char *name)
{
    for (int i = 0; i < m->nqueues; i++)
        if (!strcmp(m->queues[i], name)) return i;
    return -1;
}

int route_add_exchange(struct route_model *m, const char *name, enum route_xtype type, char *err, size_t cap)
{
    if (!*name || strlen(name) >= ROUTE_NAME || (unsigned)type >= RX_COUNT)
        return snprintf(err, cap, "exchange '%.64s': a name of 1 to %d bytes and a known type", name, ROUTE_NAME - 1),
               -1;
    if (route_exchange(m, name) >= 0) return snprintf(err, cap, "exchange '%s' declared twice", name), -1;
    if (m->nexchanges == ROUTE_MAX_EXCHANGES)
        return snprintf(err, cap, "more than %d exchanges", ROUTE_MAX_EXCHANGES), -1;
    struct route_exchange *x = &m->exchanges[m->nexchanges];
    str_copy(x->name, sizeof x->name, name);
    x->type = type;
    x->alternate = -1;
    return m->nexchanges++;
}

int route_add_queue(struct route_model *m, const char *name, char *err, size_t cap)
{
    if (!*name || strlen(name) >= ROUTE_NAME)
        return snprintf(err, cap, "queue '%.64s': a name of 1 to %d bytes", name, ROUTE_NAME - 1), -1;
    if (route_queue(m, name) >= 0) return snprintf(err, cap, "queue '%s' declared twice", name), -1;
    if (m->nqueues == ROUTE_MAX_QUEUES) return snprintf(err, cap, "more than %d queues", ROUTE_MAX_QUEUES), -1;
    str_copy(m->queues[m->nqueues], ROUTE_NAME, name);
    return m->nqueues++;
}

int route_set_alternate(struct route_model *m, const char *exchange, const char *alternate, char *err, size_t cap)
{
    int x = route_exchange(m, exchange), a = route_exchange(m, alternate);
    if (x < 0 || a < 0)
        return snprintf(err, cap, "alternate-exchange: '%s' is not a declared exchange", x < 0 ? exchange : alternate),
               -1;
    m->exchanges[x].alternate = a;
    return 0;
}

int route_bind(struct route_model *m, const char *source, const char *dest, bool to_exchange, const char *key,
               const struct route_header *args, int nargs, bool match_any, char *err, size_t cap)
{
    int s = route_exchange(m, source);
    int d = to_exchange ? route_exchange(m, dest) : route_queue(m, dest);
    if (s < 0) return snprintf(err, cap, "binding: source '%s' is not a declared exchange", source), -1;
    if (d < 0)
        return snprintf(err, cap, "binding: destination '%s' is not a declared %s", dest,
                        to_exchange ? "exchange" : "queue"), -1;
    if (strlen(key) >= ROUTE_KEY) return snprintf(err, cap, "binding key longer than %d bytes", ROUTE_KEY - 1), -1;
    if (nargs < 0 || nargs > ROUTE_MAX_ARGS)
        return snprintf(err, cap, "more than %d binding arguments", ROUTE_MAX_ARGS), -1;
    if (m->nbindings == ROUTE_MAX_BINDINGS) return snprintf(err, cap, "more than %d bindings", ROUTE_MAX_BINDINGS), -1;
    struct route_binding *b = &m->bindings[m->nbindings++];
    memset(b, 0, sizeof *b);
    b->source = s;
    b->to_exchange = to_exchange;
    b->dest = d;
    str_copy(b->key, sizeof b->key, key);
    b->match_any = match_any;
    b->nargs = nargs;
    for (int i = 0; i < nargs; i++) b->args[i] = args[i];
    return 0;
}

int route_unbind(struct route_model *m, const char *source, const char *dest, bool to_exchange, const char *key)
{
    int s = route_exchange(m, source);
    int d = to_exchange ? route_exchange(m, dest) : route_queue(m, dest);
    for (int i = 0; s >= 0 && d >= 0 && i < m->nbindings; i++) {
        struct route_binding *b = &m->bindings[i];
        if (b->source == s && b->dest == d && b->to_exchange == to_exchange && !strcmp(b->key, key)) {
            memmove(b, b + 1, (size_t)(m->nbindings - i - 1) * sizeof *b);
            m->nbindings--;
            return 0;
        }
    }
    return -1;
}

/* Words of a routing key or pattern: "" has none, "a..b" has an empty one. */
#define MAX_WORDS (ROUTE_KEY / 2 + 2)
static int split(const char *s, const char *w[MAX_WORDS], size_t len[MAX_WORDS])
{
    int n = 0;
    if (!*s) return 0;
    for (;;) {
        const char *dot = strchr(s, '.');
        if (n == MAX_WORDS) return -1;
        w[n] = s;
        len[n++] = dot ? (size_t)(dot - s) : strlen(s);
        if (!dot) return n;
        s = dot + 1;
    }
}

static bool word_is(const char *w, size_t len, const char *lit)
{
    return len == strlen(lit) && !memcmp(w, lit, len);
}

/* ok[i][j]: pattern words from i match key words from j. Filled backwards,
 * so a pattern of many '#' costs P*K steps, never an exponential search. */
bool route_topic_match(const char *pattern, const char *key)
{
    const char *pw[MAX_WORDS], *kw[MAX_WORDS];
    size_t pl[MAX_WORDS], kl[MAX_WORDS];
    int np = split(pattern, pw, pl), nk = split(key, kw, kl);
    if (np < 0 || nk < 0) return false;
    static _Thread_local bool ok[MAX_WORDS + 1][MAX_WORDS + 1];
    for (int i = np; i >= 0; i--)
        for (int j = nk; j >= 0; j--) {
            if (i == np) ok[i][j] = j == nk;
            else if (word_is(pw[i], pl[i], "#")) ok[i][j] = ok[i + 1][j] || (j < nk && ok[i][j + 1]);
            else if (j == nk) ok[i][j] = false;
            else if (word_is(pw[i], pl[i], "*")) ok[i][j] = ok[i + 1][j + 1];
            else ok[i][j] = pl[i] == kl[j] && !memcmp(pw[i], kw[j], pl[i]) && ok[i + 1][j + 1];
        }
    return ok[0][0];
}

static bool headers_match(const struct route_binding *b, const struct route_header *h, int nh)
{
    int wanted = 0, matched = 0;
    for (int i = 0; i < b->nargs; i++) {
        if (!strncmp(b->args[i].key, "x-", 2)) continue;
        wanted++;
        for (int k = 0; k < nh; k++)
            if (!strcmp(h[k].key, b->args[i].key) && !strcmp(h[k].value, b->args[i].value)) {
                matched++;
                break;
            }
    }
    /* all with no arguments matches everything; any with none matches nothing */
    return b->match_any ? matched > 0 : matched == wanted;
}

static bool binding_matches(const struct route_model *m, const struct route_binding *b, const char *key,
                            const struct route_header *h, int nh)
{
    switch (m->exchanges[b->source].type) {
    case RX_DIRECT: return !strcmp(b->key, key);
    case RX_FANOUT: return true;
    case RX_TOPIC: return route_topic_match(b->key, key);
    case RX_HEADERS: return headers_match(b, h, nh);
    case RX_COUNT: break;
    }
    return false;
}

int route_message(const struct route_model *m, const char *exchange, const char *key,
                  const struct route_header *headers, int nheaders, bool to_queue[ROUTE_MAX_QUEUES])
{
    memset(to_queue, 0, ROUTE_MAX_QUEUES * sizeof *to_queue);
    int n = 0;
    if (!*exchange) { /* the default exchange: the queue named by the key */
        int q = route_queue(m, key);
        if (q >= 0) to_queue[q] = true, n = 1;
        return n;
    }
    /* Each exchange is visited once (RabbitMQ's route/2 keeps a seen set):
     * a cycle of exchange bindings ends, and a queue reached twice counts once. */
    bool seen[ROUTE_MAX_EXCHANGES] = {0};
    int stack[ROUTE_MAX_EXCHANGES], top = 0, x = route_exchange(m, exchange);
    if (x < 0) return 0;
    stack[top++] = x;
    seen[x] = true;
    while (top) {
        x = stack[--top];
        bool any = false;
        for (int i = 0; i < m->nbindings; i++) {
            const struct route_binding *b = &m->bindings[i];
            if (b->source != x || !binding_matches(m, b, key, headers, nheaders)) continue;
            any = true;
            if (!b->to_exchange) {
                if (!to_queue[b->dest]) to_queue[b->dest] = true, n++;
            } else if (!seen[b->dest]) {
                seen[b->dest] = true;
                stack[top++] = b->dest;
            }
        }
        int alt = m->exchanges[x].alternate;
        if (!any && alt >= 0 && !seen[alt]) {
            seen[alt] = true;
            stack[top++] = alt;
        }
    }
    return n;
}

int route_set_dead_letter(struct route_model *m, const char *queue, const char *exchange, const char *key,
                          char *err, size_t cap)
{
    int q = route_queue(m, queue);
    if (q < 0) return snprintf(err, cap, "dead-letter: '%s' is not a declared queue", queue), -1;
    if (strlen(exchange) >= ROUTE_NAME || (key && strlen(key) >= ROUTE_KEY))
        return snprintf(err, cap, "queue '%s': dead-letter exchange or key too long", queue), -1;
    struct route_dead_letter *d = &m->dead_letter[q];
    d->set = true;
    str_copy(d->exchange, sizeof d->exchange, exchange);
    d->has_key = key != NULL;
    str_copy(d->key, sizeof d->key, key ? key : "");
    return 0;
}

int route_dead_letter_reach(const struct route_model *m, int q, const char *key, const struct route_header *headers,
                            int nheaders, bool to_queue[ROUTE_MAX_QUEUES])
{
    memset(to_queue, 0, ROUTE_MAX_QUEUES * sizeof *to_queue);
    if (q < 0 || q >= m->nqueues) return 0;
    /* breadth first over queues: each is expanded once, so a retry loop
     * (QUEUE -> QUEUE.retry -> QUEUE) ends */
    bool seen[ROUTE_MAX_QUEUES] = {0}, hop[ROUTE_MAX_QUEUES];
    int todo[ROUTE_MAX_QUEUES], head = 0, tail = 0, n = 0;
    todo[tail++] = q;
    seen[q] = true;
    while (head < tail) {
        int from = todo[head++];
        const struct route_dead_letter *d = &m->dead_letter[from];
        if (!d->set) continue;
        route_message(m, d->exchange, d->has_key ? d->key : key, headers, nheaders, hop);
        for (int r = 0; r < m->nqueues; r++) {
            if (!hop[r] || seen[r]) continue;
            seen[r] = true;
            todo[tail++] = r;
            to_queue[r] = true, n++;
        }
    }
    return n;
}
