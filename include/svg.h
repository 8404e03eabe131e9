/* svg: inline SVG line charts for the HTML reports. No scripts, no fonts,
 * no external references: the page renders the same offline and in print. */
#ifndef LOADGEN_SVG_H
#define LOADGEN_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct svg_series {
    const char *label;
    const char *color;   /* CSS colour; NULL: from the palette by index */
    const double *x, *y; /* n points; NaN y values break the line */
    size_t n;
    bool dashed;
};

/* A shaded window [x0, x1] with a label (x1 == x0: a vertical marker). */
struct svg_band {
    double x0, x1;
    const char *label;
};

struct svg_chart {
    const char *title, *xlabel, *ylabel;
    int width, height;     /* 0: 1180 x 300 */
    bool percentile_x;     /* x values are percentiles 0..1 on HdrHistogram's
                            * log 1/(1-p) axis; p == 1 sits at the right edge */
    const struct svg_series *series;
    int nseries;
    const struct svg_band *bands;
    int nbands;
};

/* Writes one <svg> element (with a legend) to f. Empty series draw an empty
 * frame with "no data". */
void svg_chart_write(FILE *f, const struct svg_chart *c);

/* Palette colour i (cycles). */
const char *svg_color(int i);

/* Writes s with &, <, >, " and ' escaped for HTML/XML text and attributes. */
void svg_escape(FILE *f, const char *s);

#endif
