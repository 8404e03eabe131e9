#include "yamlsafe.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

static int fail(const char *path, const yaml_mark_t *m, const char *why)
{
    fprintf(stderr, "%s:%zu:%zu: %s\n", path, m->line + 1, m->column + 1, why);
    return 1;
}

int yamlsafe_scan(const char *path, FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > YAMLSAFE_MAX_BYTES) {
        fprintf(stderr, "%s:1:1: file too large (%lld bytes, at most %d)\n", path,
                (long long)st.st_size, YAMLSAFE_MAX_BYTES);
        return 1;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int errors = 0, depth = 0, docs = 0;
    for (long events = 0; !errors; events++) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) break; /* the loader reports syntax errors */
        yaml_event_type_t t = ev.type;
        if (t == YAML_ALIAS_EVENT)
            errors += fail(path, &ev.start_mark, "YAML aliases (*name) are not allowed in a scenario");
        else if ((t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) &&
                 ++depth > YAMLSAFE_MAX_DEPTH)
            errors += fail(path, &ev.start_mark, "nested too deep (at most 32 levels)");
        else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT)
            depth--;
        else if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1)
            errors += fail(path, &ev.start_mark, "a scenario is one YAML document (found a second '---')");
        else if (events > YAMLSAFE_MAX_EVENTS)
            errors += fail(path, &ev.start_mark, "too many YAML nodes");
        bool end = t == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (end) break;
    }
    yaml_parser_delete(&p);
    rewind(f);
    return errors;
}

static const char *key_of(yaml_document_t *doc, int id)
{
    yaml_node_t *n = yaml_document_get_node(doc, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yamlsafe_duplicates(const char *path, yaml_document_t *doc)
{
    int errors = 0;
    for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
        if (n->type != YAML_MAPPING_NODE) continue;
        yaml_node_pair_t *first = n->data.mapping.pairs.start, *top = n->data.mapping.pairs.top;
        if (top - first > YAMLSAFE_MAX_KEYS) {
            errors += fail(path, &n->start_mark, "a mapping with more than 1000 keys");
            continue;
        }
        for (yaml_node_pair_t *a = first; a < top; a++) {
            const char *ka = key_of(doc, a->key);
            for (yaml_node_pair_t *b = first; ka && b < a; b++) {
                const char *kb = key_of(doc, b->key);
                if (!kb || strcmp(ka, kb)) continue;
                char why[300];
                snprintf(why, sizeof why, "%.200s: duplicate key (first at line %zu)", ka,
                         yaml_document_get_node(doc, b->key)->start_mark.line + 1);
                errors += fail(path, &yaml_document_get_node(doc, a->key)->start_mark, why);
                break;
            }
        }
    }
    return errors;
}
