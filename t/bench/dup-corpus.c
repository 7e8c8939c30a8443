
/*
 * What duplicate counting would see on a labelled corpus, offline: every
 * line is posted once, in the file's order, to one site within one
 * window, and counted as the module counts it in Redis (the same
 * signatures, from cm_dup_sign(); a counter per exact hash and per band
 * hash; a post's copies are the most of any of its counters).
 *
 *   dup-corpus FILE [MIN_CHARS...]
 *
 * prints, for each minimum length (default 10 20 30) and threshold (2,
 * 3: the post is at least the 2nd or 3rd copy), how many spam lines the
 * exact hash alone and the near-duplicate check (exact and bands)
 * recognise as copies, and how many ham lines each flags.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"


#define DC_MAX_LINES  200000
#define DC_THRESHOLDS 2


typedef struct {
    uint64_t             *keys;
    unsigned             *counts;
    size_t                size;      /* a power of two */
    size_t                n;
} dc_map_t;

typedef struct {
    int                   spam;
    size_t                chars;
    cm_dup_sig_t          sig;
} dc_line_t;


static unsigned dc_incr(dc_map_t *m, uint64_t key);
static void dc_run(dc_line_t *lines, size_t n, size_t min_chars);


int
main(int argc, char **argv)
{
    FILE       *f;
    char       *line, *tab;
    size_t      n, cap, len;
    ssize_t     got;
    dc_line_t  *lines;
    int         i;

    if (argc < 2) {
        fprintf(stderr, "usage: dup-corpus FILE [MIN_CHARS...]\n");
        return 2;
    }

    f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }

    lines = calloc(DC_MAX_LINES, sizeof(dc_line_t));
    if (lines == NULL) {
        return 1;
    }

    n = 0;
    line = NULL;
    cap = 0;

    while ((got = getline(&line, &cap, f)) > 0 && n < DC_MAX_LINES) {
        len = (size_t) got;

        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            len--;
        }

        tab = memchr(line, '\t', len);
        if (tab == NULL) {
            continue;
        }

        lines[n].spam = (tab - line != 3 || memcmp(line, "ham", 3) != 0);

        if (cm_dup_sign(&cm_alloc_malloc, (unsigned char *) tab + 1,
                        len - (size_t) (tab + 1 - line), &lines[n].sig)
            != CM_OK)
        {
            fprintf(stderr, "out of memory\n");
            return 1;
        }

        n++;
    }

    free(line);
    fclose(f);

    printf("%s: %zu lines\n\n", argv[1], n);
    printf("| min_length | threshold | spam counted | spam copies, exact "
           "| spam copies, near | ham counted | ham flagged, exact "
           "| ham flagged, near |\n");
    printf("|---|---|---|---|---|---|---|---|\n");

    if (argc == 2) {
        dc_run(lines, n, 10);
        dc_run(lines, n, 20);
        dc_run(lines, n, 30);

    } else {
        for (i = 2; i < argc; i++) {
            dc_run(lines, n, (size_t) atoi(argv[i]));
        }
    }

    free(lines);

    return 0;
}


static void
dc_run(dc_line_t *lines, size_t n, size_t min_chars)
{
    size_t     i, b, t;
    unsigned   exact, near, c;
    dc_map_t   m;
    size_t     counted[2], hit_exact[2][DC_THRESHOLDS],
               hit_near[2][DC_THRESHOLDS];

    memset(&m, 0, sizeof(dc_map_t));
    memset(counted, 0, sizeof(counted));
    memset(hit_exact, 0, sizeof(hit_exact));
    memset(hit_near, 0, sizeof(hit_near));

    m.size = 1;

    while (m.size < 4 * n * (CM_DUP_BANDS + 1)) {
        m.size <<= 1;
    }

    m.keys = calloc(m.size, sizeof(uint64_t));
    m.counts = calloc(m.size, sizeof(unsigned));

    if (m.keys == NULL || m.counts == NULL) {
        exit(1);
    }

    for (i = 0; i < n; i++) {
        if (lines[i].sig.chars < min_chars) {
            continue;
        }

        counted[lines[i].spam]++;

        /* the key names of the module: exact and band i are apart */

        exact = dc_incr(&m, lines[i].sig.exact * 31);
        near = exact;

        for (b = 0; b < CM_DUP_BANDS; b++) {
            c = dc_incr(&m, lines[i].sig.bands[b] * 31 + b + 1);

            if (c > near) {
                near = c;
            }
        }

        for (t = 0; t < DC_THRESHOLDS; t++) {
            hit_exact[lines[i].spam][t] += (exact >= t + 2);
            hit_near[lines[i].spam][t] += (near >= t + 2);
        }
    }

    for (t = 0; t < DC_THRESHOLDS; t++) {
        printf("| %zu | %zu | %zu | %zu (%.1f%%) | %zu (%.1f%%) | %zu "
               "| %zu (%.2f%%) | %zu (%.2f%%) |\n",
               min_chars, t + 2, counted[1],
               hit_exact[1][t], 100.0 * hit_exact[1][t] / (counted[1] ?: 1),
               hit_near[1][t], 100.0 * hit_near[1][t] / (counted[1] ?: 1),
               counted[0],
               hit_exact[0][t], 100.0 * hit_exact[0][t] / (counted[0] ?: 1),
               hit_near[0][t], 100.0 * hit_near[0][t] / (counted[0] ?: 1));
    }

    free(m.keys);
    free(m.counts);
}


static unsigned
dc_incr(dc_map_t *m, uint64_t key)
{
    size_t  i;

    /* 0 marks a free slot */
    key |= 1;

    for (i = key & (m->size - 1); m->keys[i]; i = (i + 1) & (m->size - 1)) {
        if (m->keys[i] == key) {
            return ++m->counts[i];
        }
    }

    m->keys[i] = key;
    m->counts[i] = 1;
    m->n++;

    return 1;
}
