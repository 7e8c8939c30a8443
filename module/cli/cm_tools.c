
/*
 * comment-check's reports for moderators: --explain shows how the engine
 * read one comment and why each rule matched; --corpus measures a rule
 * set on labelled lines, rule by rule, so a rule's false positives show
 * before it is deployed; --diff lists the lines whose decision a change
 * of rules moves.  All matching is the engine's.
 */


#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_cli.h"
#include "cm_model.h"


#define CM_LABELS          3         /* ham, spam, abuse */
#define CM_EXPLAIN_TOP     12
#define CM_LABEL_OTHER     3


typedef struct {
    unsigned              id;
    int                   score;
    const char           *tag;
    const char           *msg;
    unsigned long         n[CM_LABELS + 1];
} cm_rule_count_t;


/*
 * What a model's features added, for --explain: the character n-grams
 * of each token together, each word, each pair of words.
 */

typedef struct {
    unsigned              kind;
    size_t                start;
    size_t                end;
    double                share;
} cm_share_t;

typedef struct {
    const cm_view_t      *view;
    cm_share_t           *shares;
    size_t                n;
    size_t                nalloc;
} cm_shares_t;


static int cm_label(const char *s, size_t len);
static int cm_decide_line(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len,
    cm_result_t *res, cm_decision_e *d);
static void cm_print_skel(const cm_skel_t *sk);
static int cm_explain_share(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end, double share);
static size_t cm_explain_merge(cm_shares_t *sh);
static int cm_compare_places(const void *a, const void *b);
static int cm_compare_shares(const void *a, const void *b);


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
    cm_view_t        norm, letters;
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

            /* where a word holds leetspeak, what regexes also see */

            if (cm_view_leet(&norm)
                && cm_view_letters(&a, &norm, &sk, &letters) == CM_OK)
            {
                printf("letters:    \"");
                cm_print_text(letters.text, letters.len);
                printf("\"\n");
            }
        }
    }

    d = cm_decide(&res, o->hold, o->reject);

    printf("decision:   %s (score %d; hold at %d, reject at %d)\n",
           cm_decision_name(d), res.score, o->hold, o->reject);

    n = cm_ruleset_nrules(rs);

    for (i = 0; i < res.nhits; i++) {
        h = &res.hits[i];

        printf("rule %u  %+d  %s  \"%s\"\n", h->id, h->score,
               h->tag[0] ? h->tag : "-", h->msg);

        if (cm_rule_is_model(rs, h->id)) {
            printf("    ");
            cm_print_model(rs, h, text, len);
            printf("\n");
        }

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

    if (cm_explain_models(rs, text, len) != CM_OK) {
        return CM_EXIT_ERROR;
    }

    return cm_exit_code(d);
}


/* "p=0.93 >= 0.54" before what a model rule matched */

void
cm_print_model(cm_ruleset_t *rs, const cm_hit_t *h,
    const unsigned char *text, size_t len)
{
    void              *state;
    size_t             i, n;
    double             th;
    cm_view_t          v;
    cm_rule_info_t     info;
    const cm_model_t  *m;

    n = cm_ruleset_nrules(rs);

    for (i = 0; i < n; i++) {
        cm_ruleset_rule(rs, i, &info);

        if (info.id == h->id) {
            break;
        }
    }

    m = cm_ruleset_rule_model(rs, i, &th);

    if (m == NULL) {
        return;
    }

    state = calloc(1, cm_model_state_size(m));

    if (state == NULL
        || cm_view_norm(&cm_alloc_malloc, text, len, &v) != CM_OK)
    {
        free(state);
        return;
    }

    printf("p=%.3f >= %.3f  ", cm_model_predict(m, state, &v), th);

    free(state);
    free(v.text);
    free(v.map);
}


/*
 * Each model rule's probability for the comment and what weighs most in
 * it, either way: the letters of a token (its character n-grams), a
 * word, a pair of words; shown from the normalised text.
 */

int
cm_explain_models(cm_ruleset_t *rs, const unsigned char *text,
    size_t len)
{
    int                rc;
    size_t             i, k, n, nfeat;
    double             p, th;
    cm_view_t          v;
    cm_shares_t        sh;
    cm_rule_info_t     info;
    cm_model_info_t    mi;
    const cm_model_t  *m;
    static const char *kinds[] = { "letters of", "word", "words" };

    if (cm_view_norm(&cm_alloc_malloc, text, len, &v) != CM_OK) {
        fprintf(stderr, "comment-check: out of memory\n");
        return CM_ERROR;
    }

    rc = CM_OK;
    n = cm_ruleset_nrules(rs);

    for (i = 0; i < n; i++) {
        m = cm_ruleset_rule_model(rs, i, &th);
        if (m == NULL) {
            continue;
        }

        cm_ruleset_rule(rs, i, &info);
        cm_model_info(m, &mi);

        memset(&sh, 0, sizeof(cm_shares_t));
        sh.view = &v;

        if (cm_model_explain(m, &cm_alloc_malloc, &v, cm_explain_share, &sh,
                             &p)
            != CM_OK)
        {
            free(sh.shares);
            fprintf(stderr, "comment-check: out of memory\n");
            rc = CM_ERROR;
            break;
        }

        nfeat = sh.n;

        printf("model %u: p=%.3f, %s its threshold %.3f; bias %+.3f, "
               "%zu features\n", info.id, p,
               p >= th ? "at or above" : "below", th, mi.bias, nfeat);

        sh.n = cm_explain_merge(&sh);

        qsort(sh.shares, sh.n, sizeof(cm_share_t), cm_compare_shares);

        for (k = 0; k < sh.n && k < CM_EXPLAIN_TOP; k++) {
            printf("  %+.3f  %s \"", sh.shares[k].share,
                   kinds[sh.shares[k].kind]);
            cm_print_text(v.text + sh.shares[k].start,
                          sh.shares[k].end - sh.shares[k].start);
            printf("\"\n");
        }

        free(sh.shares);
    }

    free(v.text);
    free(v.map);

    return rc;
}


/* an occurrence; a character n-gram counts for the whole of its token */

static int
cm_explain_share(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end, double share)
{
    size_t                n;
    cm_share_t           *s;
    cm_shares_t          *sh = ctx;
    const unsigned char  *t;

    if (sh->n == sh->nalloc) {
        n = sh->nalloc ? sh->nalloc * 2 : 256;

        s = realloc(sh->shares, n * sizeof(cm_share_t));
        if (s == NULL) {
            return -1;
        }

        sh->shares = s;
        sh->nalloc = n;
    }

    if (kind == CM_MODEL_CHAR) {
        t = sh->view->text;

        while (start > 0 && t[start - 1] != ' ') {
            start--;
        }

        while (end < sh->view->len && t[end] != ' ') {
            end++;
        }
    }

    s = &sh->shares[sh->n++];

    s->kind = kind;
    s->start = start;
    s->end = end;
    s->share = share;

    return 0;
}


/* one share for each kind and place: returns how many are left */

static size_t
cm_explain_merge(cm_shares_t *sh)
{
    size_t       i, n;
    cm_share_t  *s;

    if (sh->n == 0) {
        return 0;
    }

    qsort(sh->shares, sh->n, sizeof(cm_share_t), cm_compare_places);

    s = sh->shares;
    n = 1;

    for (i = 1; i < sh->n; i++) {
        if (s[i].kind == s[n - 1].kind && s[i].start == s[n - 1].start
            && s[i].end == s[n - 1].end)
        {
            s[n - 1].share += s[i].share;
            continue;
        }

        s[n++] = s[i];
    }

    return n;
}


static int
cm_compare_places(const void *a, const void *b)
{
    const cm_share_t  *s = a, *t = b;

    if (s->start != t->start) {
        return (s->start > t->start) - (s->start < t->start);
    }

    if (s->end != t->end) {
        return (s->end > t->end) - (s->end < t->end);
    }

    return (s->kind > t->kind) - (s->kind < t->kind);
}


/* the largest shares first, whatever their sign; then by place */

static int
cm_compare_shares(const void *a, const void *b)
{
    double             x, y;
    const cm_share_t  *s = a, *t = b;

    x = fabs(s->share);
    y = fabs(t->share);

    if (x != y) {
        return (x < y) - (x > y);
    }

    return cm_compare_places(a, b);
}


/* whether rule "id" is a model rule */

int
cm_rule_is_model(cm_ruleset_t *rs, unsigned id)
{
    size_t          i, n;
    double          th;
    cm_rule_info_t  info;

    n = cm_ruleset_nrules(rs);

    for (i = 0; i < n; i++) {
        if (cm_ruleset_rule(rs, i, &info) == CM_OK && info.id == id) {
            return cm_ruleset_rule_model(rs, i, &th) != NULL;
        }
    }

    return 0;
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

    *d = cm_decide(res, o->hold, o->reject);

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

    d = cm_decide(&res, o->hold, o->reject);

    rc = cm_print_result(rs, &res, d, fields.elts, 1);

    free(body);

    return rc;
}


/*
 * The decision, the score, each rule that matched with what it matched
 * (and in which field, with "named"), and each rule the match limit
 * stopped; returns the exit status of the decision.
 */

int
cm_print_result(cm_ruleset_t *rs, const cm_result_t *res, cm_decision_e d,
    const cm_field_t *fields, unsigned named)
{
    size_t             i;
    const cm_hit_t    *h;
    const cm_field_t  *f;

    printf("decision: %s\n", cm_decision_name(d));
    printf("score: %d", res->score);

    if (res->capped) {
        printf(" (%d of it from max=hold rules, which never reject)",
               res->capped);
    }

    printf("\n");

    for (i = 0; i < res->nhits; i++) {
        h = &res->hits[i];
        f = &fields[h->field];

        printf("rule %u  %+d  %s  \"%s\"  ", h->id, h->score,
               h->tag[0] ? h->tag : "-", h->msg);

        if (cm_rule_is_model(rs, h->id)) {
            cm_print_model(rs, h, f->value, f->value_len);
        }

        printf("matched \"");
        cm_print_text(f->value + h->start, h->end - h->start);

        if (named) {
            printf("\" in field \"");
            cm_print_text(f->name, f->name_len);
        }

        printf("\" at %zu\n", h->start);
    }

    for (i = 0; i < res->nlimited; i++) {
        printf("limited %u  match limit reached, not counted\n",
               res->limited[i]);
    }

    return cm_exit_code(d);
}


int
cm_exit_code(cm_decision_e d)
{
    switch (d) {

    case CM_REJECT:
        return CM_EXIT_REJECT;

    case CM_HOLD:
        return CM_EXIT_HOLD;

    default:
        return CM_EXIT_PASS;
    }
}
