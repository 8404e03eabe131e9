#include "svg.h"

#include <math.h>
#include <string.h>

#define PAD_L 70
#define PAD_R 20
#define PAD_T 34
#define PAD_B 62

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

const char *svg_color(int i)
{
    return palette[(unsigned)i % (sizeof palette / sizeof palette[0])];
}

void svg_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* The percentile axis: 1/(1-p) on a log scale, as HdrHistogram plots it. */
static double px_of(double p, double right)
{
    return p >= 1.0 ? right : log10(1.0 / (1.0 - p));
}

static double nice_step(double range)
{
    if (!(range > 0)) return 1;
    double raw = range / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

struct frame {
    double x0, x1, y0, y1;
    int w, h;
};

static double sx(const struct frame *fr, double x)
{
    return PAD_L + (x - fr->x0) / (fr->x1 - fr->x0) * (fr->w - PAD_L - PAD_R);
}

static double sy(const struct frame *fr, double y)
{
    return fr->h - PAD_B - (y - fr->y0) / (fr->y1 - fr->y0) * (fr->h - PAD_T - PAD_B);
}

static void fmt_num(char *buf, size_t cap, double v)
{
    if (fabs(v) >= 1e6) snprintf(buf, cap, "%.3gM", v / 1e6);
    else if (fabs(v) >= 1e4) snprintf(buf, cap, "%.3gk", v / 1e3);
    else snprintf(buf, cap, "%g", v);
}

/* Data extent; for the percentile axis the right edge is the largest finite
 * 1/(1-p) decade, so the 100% point lands there. */
static bool extent(const struct svg_chart *c, struct frame *fr)
{
    bool any = false;
    fr->x0 = c->percentile_x ? 0 : INFINITY;
    fr->x1 = -INFINITY;
    fr->y0 = 0;
    fr->y1 = -INFINITY;
    for (int s = 0; s < c->nseries; s++) {
        for (size_t i = 0; i < c->series[s].n; i++) {
            double x = c->series[s].x[i], y = c->series[s].y[i];
            if (isnan(y) || isnan(x)) continue;
            if (c->percentile_x) {
                if (x >= 1.0) x = 0; /* placed later */
                else x = px_of(x, 0);
            }
            any = true;
            if (x < fr->x0) fr->x0 = x;
            if (x > fr->x1) fr->x1 = x;
            if (y > fr->y1) fr->y1 = y;
            if (y < fr->y0) fr->y0 = y;
        }
    }
    for (int b = 0; b < c->nbands && !c->percentile_x; b++) {
        if (c->bands[b].x0 < fr->x0) fr->x0 = c->bands[b].x0;
        if (c->bands[b].x1 > fr->x1) fr->x1 = c->bands[b].x1;
    }
    if (c->percentile_x) fr->x1 = fr->x1 < 1 ? 1 : ceil(fr->x1 + 1e-9);
    if (!any) fr->x0 = 0, fr->x1 = 1, fr->y1 = 1;
    if (!(fr->x1 > fr->x0)) fr->x1 = fr->x0 + 1;
    if (!(fr->y1 > fr->y0)) fr->y1 = fr->y0 + 1;
    double step = nice_step(fr->y1 - fr->y0);
    fr->y1 = ceil(fr->y1 / step) * step;
    return any;
}

static void axes(FILE *f, const struct svg_chart *c, const struct frame *fr)
{
    char num[32];
    double step = nice_step(fr->y1 - fr->y0);
    for (double y = fr->y0; y <= fr->y1 + step / 1e6; y += step) {
        fmt_num(num, sizeof num, y);
        fprintf(f, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#e3e3e3'/>", PAD_L,
                fr->w - PAD_R, sy(fr, y), sy(fr, y));
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' font-size='11'>%s</text>", PAD_L - 6,
                sy(fr, y) + 4, num);
    }
    if (c->percentile_x) {
        static const char *const lab[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%",
                                          "99.9999%", "99.99999%"};
        for (int d = 0; d <= (int)fr->x1 && d < 8; d++) {
            fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#e3e3e3'/>", sx(fr, d),
                    sx(fr, d), PAD_T, fr->h - PAD_B);
            fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle' font-size='11'>%s</text>",
                    sx(fr, d), fr->h - PAD_B + 16, lab[d]);
        }
    } else {
        double xs = nice_step(fr->x1 - fr->x0);
        for (double x = ceil(fr->x0 / xs) * xs; x <= fr->x1 + xs / 1e6; x += xs) {
            fmt_num(num, sizeof num, x);
            fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle' font-size='11'>%s</text>",
                    sx(fr, x), fr->h - PAD_B + 16, num);
        }
    }
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>", PAD_L,
            PAD_T, fr->w - PAD_L - PAD_R, fr->h - PAD_T - PAD_B);
    fprintf(f, "<text x='%d' y='18' font-size='14' font-weight='bold'>", PAD_L);
    svg_escape(f, c->title);
    fprintf(f, "</text><text x='%.1f' y='%d' text-anchor='middle' font-size='12'>",
            (double)(PAD_L + fr->w - PAD_R) / 2, fr->h - PAD_B + 32);
    svg_escape(f, c->xlabel);
    fprintf(f, "</text><text transform='translate(14,%.1f) rotate(-90)' text-anchor='middle' "
               "font-size='12'>",
            (double)(PAD_T + fr->h - PAD_B) / 2);
    svg_escape(f, c->ylabel);
    fputs("</text>", f);
}

static void bands(FILE *f, const struct svg_chart *c, const struct frame *fr)
{
    for (int b = 0; b < c->nbands; b++) {
        const struct svg_band *bd = &c->bands[b];
        double a = sx(fr, bd->x0), z = sx(fr, bd->x1);
        if (z - a < 2) fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#d62728' "
                                  "stroke-dasharray='4 3'/>", a, a, PAD_T, fr->h - PAD_B);
        else fprintf(f, "<rect class='fault' x='%.1f' y='%d' width='%.1f' height='%d' "
                        "fill='#f4a582' fill-opacity='0.35'/>", a, PAD_T, z - a, fr->h - PAD_T - PAD_B);
        fprintf(f, "<text x='%.1f' y='%d' font-size='10' fill='#b2182b'>", a + 2, PAD_T + 10 + 11 * (b % 3));
        svg_escape(f, bd->label);
        fputs("</text>", f);
    }
}

static void lines(FILE *f, const struct svg_chart *c, const struct frame *fr)
{
    for (int s = 0; s < c->nseries; s++) {
        const struct svg_series *se = &c->series[s];
        const char *col = se->color ? se->color : svg_color(s);
        bool open = false;
        for (size_t i = 0; i < se->n; i++) {
            double x = se->x[i], y = se->y[i];
            if (isnan(y) || isnan(x)) {
                if (open) fputs("'/>", f);
                open = false;
                continue;
            }
            if (c->percentile_x) x = px_of(x, fr->x1);
            if (!open)
                fprintf(f, "<path fill='none' stroke='%s' stroke-width='1.6'%s d='M", col,
                        se->dashed ? " stroke-dasharray='6 3'" : "");
            fprintf(f, "%s%.1f %.1f", open ? " L" : "", sx(fr, x), sy(fr, y));
            open = true;
        }
        if (open) fputs("'/>", f);
        /* legend, below the x label */
        int lx = PAD_L + 170 * (s % 6), ly = fr->h - 12 - 0 * (s / 6);
        fprintf(f, "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='%s' stroke-width='3'%s/>", lx,
                lx + 18, ly - 4, ly - 4, col, se->dashed ? " stroke-dasharray='6 3'" : "");
        fprintf(f, "<text x='%d' y='%d' font-size='11'>", lx + 22, ly);
        svg_escape(f, se->label);
        fputs("</text>", f);
    }
}

void svg_chart_write(FILE *f, const struct svg_chart *c)
{
    struct frame fr = {.w = c->width ? c->width : 1180, .h = c->height ? c->height : 300};
    bool any = extent(c, &fr);
    fprintf(f, "<svg class='chart' viewBox='0 0 %d %d' "
               "width='100%%' font-family='sans-serif' role='img'>", fr.w, fr.h);
    fprintf(f, "<rect width='%d' height='%d' fill='white'/>", fr.w, fr.h);
    axes(f, c, &fr);
    if (!c->percentile_x) bands(f, c, &fr);
    lines(f, c, &fr);
    if (!any)
        fprintf(f, "<text x='%d' y='%d' text-anchor='middle' fill='#888'>no data</text>", fr.w / 2,
                fr.h / 2);
    fputs("</svg>\n", f);
}
