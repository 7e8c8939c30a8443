
/*
 * comment-check's reports for moderators: --explain shows how the engine
 * read one comment and why each rule matched; --corpus measures a rule
 * set on labelled lines, rule by rule, so a rule's false positives show
 * before it is deployed; --diff lists the lines whose decision a change
 * of rules moves.  All matching is the engine's.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_cli.h"


#define CM_LABELS          3         /* ham, spam, abuse */
#define CM_LABEL_OTHER     3


typedef struct {
    unsigned              id;
    int                   score;
    const char           *tag;
    const char           *msg;
    unsigned long         n[CM_LABELS + 1];
} cm_rule_count_t;


static int cm_label(const char *s, size_t len);
static int cm_decide_line(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len,
    cm_result_t *res, cm_decision_e *d);
static void cm_print_skel(const cm_skel_t *sk);


static const char  *cm_label_names[CM_LABELS + 1] = {
    "ham", "spam", "abuse", "other"
};


int
cm_explain(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s, cm_arena_t *ar,
    const unsigned char *text, size_t len)
{
    char             needs[1024];
    size_t           i, j, n;
    cm_hit_t        *h;
    cm_skel_t        sk;
    cm_view_t        norm;
    cm_alloc_t       a;
    cm_result_t      res;
    cm_rule_info_t   info;
    cm_decision_e    d;

    if (cm_run(o, rs, s, ar, text, len, &res) != CM_OK) {
        return CM_EXIT_ERROR;
    }

    a.alloc = cm_arena_alloc;
    a.free = NULL;
    a.data = ar;

    printf("original:   \"");
    cm_print_text(text, len);
    printf("\"\n");

    if (cm_view_norm(&a, text, len, &norm) == CM_OK) {
        printf("normalised: \"");
        cm_print_text(norm.text, norm.len);
        printf("\"\n");

        if (cm_view_skel(&a, &norm, 0, &sk) == CM_OK) {
            printf("skeleton:   ");
            cm_print_skel(&sk);
            printf("\n");
        }
    }

    d = cm_decide(res.score, o->hold, o->reject);

    printf("decision:   %s (score %d; hold at %d, reject at %d)\n",
           cm_decision_name(d), res.score, o->hold, o->reject);

    n = cm_ruleset_nrules(rs);

    for (i = 0; i < res.nhits; i++) {
        h = &res.hits[i];

        printf("rule %u  %+d  %s  \"%s\"\n", h->id, h->score,
               h->tag[0] ? h->tag : "-", h->msg);
        printf("    matched \"");
        cm_print_text(text + h->start, h->end - h->start);
        printf("\" at %zu-%zu", h->start, h->end);

        if (h->count > 1) {
            printf(", %u times", h->count);
        }

        printf("\n");

        for (j = 0; j < n; j++) {
            if (cm_ruleset_rule(rs, j, &info) == CM_OK && info.id == h->id) {
                cm_ruleset_rule_needs(rs, j, needs, sizeof(needs));
                printf("    %s:%u, needs: %s\n", info.file, info.line, needs);
                break;
            }
        }
    }

    for (i = 0; i < res.nlimited; i++) {
        printf("limited %u  match limit reached, not counted\n",
               res.limited[i]);
    }

    switch (d) {

    case CM_REJECT:
        return CM_EXIT_REJECT;

    case CM_HOLD:
        return CM_EXIT_HOLD;

    default:
        return CM_EXIT_PASS;
    }
}


/* the skeleton's letters, with "|" where a gap was dropped */

static void
cm_print_skel(const cm_skel_t *sk)
{
    size_t  i;

    printf("\"");

    for (i = 0; i < sk->len; i++) {
        if (i && sk->gap[i] && !(sk->flags[i] & CM_SK_CONT)) {
            putchar((sk->flags[i] & CM_SK_SPELL) ? '.' : ' ');
        }

        putchar(sk->text[i]);
    }

    printf("\"  (\".\" joins a word spelled out)");
}


/*
 * LABEL<TAB>TEXT lines through the rule set: decisions by label, and for
 * each rule the lines of each label it matched.  With --diff, the lines
 * whose decision differs between the old rule sets and these.
 */

int
cm_corpus(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s, cm_arena_t *ar)
{
    int               label, rc;
    FILE             *f;
    char             *line, *tab;
    size_t            size, i, j, nrules, nlines, ndiff;
    ssize_t           n;
    cm_result_t       res;
    cm_ruleset_t     *old;
    cm_decision_e     d, od;
    cm_rule_info_t    info;
    cm_rule_count_t  *counts;
    unsigned long     dec[CM_LABELS + 1][3];

    f = fopen(o->corpus, "r");
    if (f == NULL) {
        fprintf(stderr, "comment-check: cannot open \"%s\"\n", o->corpus);
        return CM_EXIT_ERROR;
    }

    old = NULL;

    if (o->nold) {
        old = cm_load_rules(o->old, o->nold, o->reference);
        if (old == NULL) {
            fclose(f);
            return CM_EXIT_ERROR;
        }
    }

    nrules = cm_ruleset_nrules(rs);

    counts = calloc(nrules + 1, sizeof(cm_rule_count_t));
    if (counts == NULL) {
        fprintf(stderr, "comment-check: out of memory\n");
        fclose(f);
        cm_ruleset_free(old);
        return CM_EXIT_ERROR;
    }

    for (i = 0; i < nrules; i++) {
        cm_ruleset_rule(rs, i, &info);
        counts[i].id = info.id;
        counts[i].score = info.score;
        counts[i].tag = info.tag;
        counts[i].msg = info.msg;
    }

    memset(dec, 0, sizeof(dec));

    line = NULL;
    size = 0;
    nlines = 0;
    ndiff = 0;
    od = CM_PASS;
    rc = CM_EXIT_PASS;

    while ((n = getline(&line, &size, f)) != -1) {
        nlines++;

        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }

        tab = memchr(line, '\t', n);
        if (tab == NULL) {
            fprintf(stderr, "comment-check: %s:%zu: no LABEL<TAB>TEXT\n",
                    o->corpus, nlines);
            rc = CM_EXIT_ERROR;
            break;
        }

        label = cm_label(line, tab - line);
        tab++;

        if (old) {
            if (cm_decide_line(o, old, s, ar, (unsigned char *) tab,
                               n - (tab - line), &res, &od)
                != CM_OK)
            {
                rc = CM_EXIT_ERROR;
                break;
            }
        }

        if (cm_decide_line(o, rs, s, ar, (unsigned char *) tab,
                           n - (tab - line), &res, &d)
            != CM_OK)
        {
            rc = CM_EXIT_ERROR;
            break;
        }

        dec[label][d]++;

        for (i = 0; i < res.nhits; i++) {
            for (j = 0; j < nrules; j++) {
                if (counts[j].id == res.hits[i].id) {
                    counts[j].n[label]++;
                    break;
                }
            }
        }

        if (old && od != d) {
            ndiff++;
            printf("%zu\t%s\t%s -> %s\t", nlines, cm_label_names[label],
                   cm_decision_name(od), cm_decision_name(d));
            cm_print_text((unsigned char *) tab, n - (tab - line));
            printf("\n");
        }
    }

    free(line);
    fclose(f);

    if (rc == CM_EXIT_PASS && old) {
        printf("%zu of %zu lines change their decision\n", ndiff, nlines);

    } else if (rc == CM_EXIT_PASS) {
        printf("label      lines     pass     hold   reject   flagged\n");

        for (i = 0; i <= CM_LABELS; i++) {
            j = dec[i][CM_PASS] + dec[i][CM_HOLD] + dec[i][CM_REJECT];

            if (j == 0) {
                continue;
            }

            printf("%-7s %8zu %8lu %8lu %8lu   %6.2f%%\n",
                   cm_label_names[i], j, dec[i][CM_PASS], dec[i][CM_HOLD],
                   dec[i][CM_REJECT],
                   100.0 * (dec[i][CM_HOLD] + dec[i][CM_REJECT]) / j);
        }

        printf("\nrule     score      ham     spam    abuse  tag\n");

        for (i = 0; i < nrules; i++) {
            printf("%-8u %+5d %8lu %8lu %8lu  %s  \"%s\"\n", counts[i].id,
                   counts[i].score, counts[i].n[0], counts[i].n[1],
                   counts[i].n[2], counts[i].tag[0] ? counts[i].tag : "-",
                   counts[i].msg);
        }
    }

    free(counts);
    cm_ruleset_free(old);

    return rc;
}


static int
cm_label(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < CM_LABELS; i++) {
        if (strlen(cm_label_names[i]) == len
            && memcmp(cm_label_names[i], s, len) == 0)
        {
            return (int) i;
        }
    }

    return CM_LABEL_OTHER;
}


static int
cm_decide_line(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len, cm_result_t *res,
    cm_decision_e *d)
{
    if (cm_run(o, rs, s, ar, text, len, res) != CM_OK) {
        return CM_ERROR;
    }

    *d = cm_decide(res->score, o->hold, o->reject);

    return CM_OK;
}


/*
 * A request body decided as the module decides it: cm_body_fields() for
 * the fields (the same call the module makes), then the rules.
 */

int
cm_check_body(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar)
{
    int              rc;
    FILE            *f;
    char             err[CM_ERRLEN];
    size_t           i, len;
    cm_hit_t        *h;
    cm_body_t        b;
    cm_name_t       *names;
    cm_alloc_t       a;
    cm_fields_t      fields;
    cm_result_t      res;
    cm_decision_e    d;
    unsigned char   *body;

    f = fopen(o->body, "r");
    if (f == NULL) {
        fprintf(stderr, "comment-check: cannot open \"%s\"\n", o->body);
        return CM_EXIT_ERROR;
    }

    rc = cm_read_file(f, &body, &len);
    fclose(f);

    if (rc != 0) {
        fprintf(stderr, "comment-check: cannot read \"%s\"\n", o->body);
        return CM_EXIT_ERROR;
    }

    cm_arena_reset(ar);

    a.alloc = cm_arena_alloc;
    a.free = NULL;
    a.data = ar;

    names = NULL;

    if (o->nfields) {
        names = cm_arena_alloc(ar, o->nfields * sizeof(cm_name_t));
        if (names == NULL) {
            free(body);
            return CM_EXIT_ERROR;
        }

        for (i = 0; i < o->nfields; i++) {
            names[i].data = (const unsigned char *) o->fields[i];
            names[i].len = strlen(o->fields[i]);
        }
    }

    memset(&b, 0, sizeof(cm_body_t));

    b.content_type = (const unsigned char *) o->content_type;
    b.content_type_len = o->content_type ? strlen(o->content_type) : 0;
    b.content_encoding = (const unsigned char *) o->content_encoding;
    b.content_encoding_len = o->content_encoding
                             ? strlen(o->content_encoding) : 0;
    b.query = (const unsigned char *) o->query;
    b.query_len = o->query ? strlen(o->query) : 0;
    b.filter = names;
    b.nfilter = o->nfields;
    b.max_size = 1024 * 1024;

    memset(&fields, 0, sizeof(cm_fields_t));

    err[0] = '\0';
    rc = cm_body_fields(&a, &b, body, len, &fields, err, sizeof(err));

    switch (rc) {

    case CM_OK:
        break;

    case CM_DECLINED:
        printf("malformed: %s (the whole body is inspected too)\n", err);
        break;

    case CM_TOO_LARGE:
        printf("too large once inflated: the module answers 413\n");
        free(body);
        return CM_EXIT_REJECT;

    case CM_UNSUPPORTED:
        printf("content encoding not decoded: the module answers 415\n");
        free(body);
        return CM_EXIT_REJECT;

    default:
        fprintf(stderr, "comment-check: %s\n", err);
        free(body);
        return CM_EXIT_ERROR;
    }

    for (i = 0; i < fields.nelts; i++) {
        printf("field \"");
        cm_print_text(fields.elts[i].name, fields.elts[i].name_len);
        printf("\": \"");
        cm_print_text(fields.elts[i].value, fields.elts[i].value_len);
        printf("\"\n");
    }

    if (cm_match(rs, s, &a, fields.elts, fields.nelts, &res, err,
                 sizeof(err))
        != CM_OK)
    {
        fprintf(stderr, "comment-check: %s\n", err);
        free(body);
        return CM_EXIT_ERROR;
    }

    d = cm_decide(res.score, o->hold, o->reject);

    printf("decision: %s\n", cm_decision_name(d));
    printf("score: %d\n", res.score);

    for (i = 0; i < res.nhits; i++) {
        h = &res.hits[i];

        printf("rule %u  %+d  %s  \"%s\"  matched \"", h->id, h->score,
               h->tag[0] ? h->tag : "-", h->msg);
        cm_print_text(fields.elts[h->field].value + h->start,
                      h->end - h->start);
        printf("\" in field \"");
        cm_print_text(fields.elts[h->field].name,
                      fields.elts[h->field].name_len);
        printf("\" at %zu\n", h->start);
    }

    for (i = 0; i < res.nlimited; i++) {
        printf("limited %u  match limit reached, not counted\n",
               res.limited[i]);
    }

    free(body);

    return (d == CM_REJECT) ? CM_EXIT_REJECT
           : ((d == CM_HOLD) ? CM_EXIT_HOLD : CM_EXIT_PASS);
}
