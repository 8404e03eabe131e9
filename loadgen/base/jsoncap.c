#include "jsoncap.h"

#include <stdbool.h>
#include <stdio.h>

int jsoncap_check(const char *text, size_t n, size_t max_values, int max_depth, char *why, size_t cap)
{
    size_t values = 1;
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"':
            in_str = true;
            break;
        case '{':
        case '[':
            if (++depth > max_depth) return snprintf(why, cap, "nested deeper than %d", max_depth), -1;
            values++;
            break;
        case '}':
        case ']':
            depth--;
            break;
        case ',':
        case ':':
            values++;
            break;
        default:
            continue;
        }
        if (values > max_values) return snprintf(why, cap, "more than %zu values", max_values), -1;
    }
    return 0;
}
