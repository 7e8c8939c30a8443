/*
 * Matching a compiled rule set against the fields of one comment, and the
 * per-worker scratch space that matching needs.
 *
 * Each view of each field is scanned once for all rules: the prefilter's
 * automaton finds the atoms of every regex (cm_prefilter.c), the word
 * lists' automaton every entry on the field's skeleton (cm_words.c).
 * Where a word of the field holds leetspeak ("jua| $@bu"), the regexes
 * of the normalised view are also found in its letters view, the text
 * with the skeleton's letters in their place ("jual sabu").
 * PCRE2 then runs only for the regexes whose atoms are there, and for the
 * few that have none; it confirms, counts and locates their matches.
 * The rule set's size does not change what a comment costs, and every
 * step is linear in the field.
 *
 * Every PCRE2 match runs under the scratch's limits, raised with the
 * field's length: a rule that reaches one counts as not matched and is
 * reported in res->limited, for the caller to decide more strictly.
 *
 * A reference rule set (cm_ruleset_set_reference) runs every rule on
 * every field instead, with word lists as regexes: the old way, kept to
 * compare with.
 *
 * Models (cm_model.c) come last, both ways: each scores the normalised
 * view of the fields it applies to, with the set of its buckets in the
 * scratch, and its hit follows the rules'.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_rules_int.h"
#include "cm_util.h"


#define CM_MATCH_LIMIT     100000
#define CM_DEPTH_LIMIT     1000

/* more match steps for each KB of a field, see cm_engine.h */
#define CM_MATCH_LIMIT_KB  20000

/*
 * An anchored regex is tried at each place one of its anchors is, up to
 * this many places; beyond, one scan from the first place, so that the
 * match limit bounds the work as for any regex.
 */
#define CM_ANCHORS_MAX     64

/* the views of a field in one match: CM_NVIEWS, and the letters view */
#define CM_MVIEWS          3
#define CM_VIEW_LETTERS    2

#define CM_JIT_STACK_MIN   (32 * 1024)
#define CM_JIT_STACK_MAX   (512 * 1024)


struct cm_scratch_s {
    cm_alloc_t              alloc;
    pcre2_general_context  *gctx;
    pcre2_match_context    *mctx;
    pcre2_jit_stack        *jit_stack;
    pcre2_match_data       *md;
    uint32_t                match_limit;

    /*
     * zeroed counters for the automata and bits for the models, left
     * zeroed after each scan
     */
    unsigned char          *state;
    size_t                  state_size;

    /*
     * the models' stamped tables, which are not left zeroed: apart, so
     * that no rule set's zeroed state ever lies on them
     */
    unsigned char          *model_tables;
};


/* something to do for a rule in a field: run its regex, or a list's hit */

typedef struct {
    uint32_t                rule;
    uint32_t                field;
    uint32_t                view;
    uint32_t                hit;       /* a word list matched here */
    uint32_t                start;
    uint32_t                end;
} cm_task_t;


/* where an anchored regex may match in a field */

typedef struct {
    uint32_t                rule;
    uint32_t                field;     /* field * CM_MVIEWS + view */
    uint32_t                pos;
} cm_anchor_t;


/*
 * The last matches of regexes that several rules share (cm_rule_t.twin),
 * each of one view: a rule of the same regex takes it instead of matching
 * again.  Rules are confirmed in order, so the few last are enough.
 */

#define CM_TWINS           8

typedef struct {
    uint32_t                twin;
    int                     rc;
    const cm_view_t        *view;
    size_t                  start;
    size_t                  end;
    unsigned                count;
} cm_twin_match_t;


/* one cm_match call */

typedef struct {
    const cm_ruleset_t     *rs;
    cm_scratch_t           *s;
    const cm_alloc_t       *a;
    const cm_field_t       *fields;
    size_t                  nfields;   /* the caller's, then reversed ones */
    size_t                  norig;     /* the caller's */
    uint32_t               *reversed;  /* field i >= norig reverses this */
    cm_field_t             *own_fields;
    cm_view_t              *views;     /* CM_MVIEWS per field */
    cm_result_t            *res;
    const cm_rule_t       **hit_rules; /* the rule of each hit */
    size_t                  hit_rules_alloc;
    size_t                  hits_alloc;
    size_t                  limited_alloc;
    cm_task_t              *tasks;
    size_t                  ntasks;
    size_t                  tasks_alloc;
    cm_anchor_t            *anchors;
    size_t                  nanchors;
    size_t                  anchors_alloc;
    size_t                  field;     /* being scanned */
    unsigned                view;
    cm_twin_match_t         twins[CM_TWINS];
    unsigned                ntwins;    /* the next to replace */
    char                   *err;
    size_t                  errlen;
} cm_match_t;


#define CM_MATCHED         1
#define CM_NOT_MATCHED     0
#define CM_LIMITED         2


static int cm_match_reversed(cm_match_t *m);
static unsigned cm_rtl(const cm_field_t *f);
static void cm_free_reversed(cm_match_t *m);
static int cm_match_fields(cm_match_t *m);
static int cm_match_field(cm_match_t *m, size_t f, unsigned v);
static int cm_match_candidate(void *ctx, uint32_t index);
static int cm_match_anchor(void *ctx, uint32_t index, size_t start);
static int cm_anchor_cmp(const void *a, const void *b);
static int cm_match_listed(void *ctx, uint32_t rule, size_t start,
    size_t end);
static int cm_add_task(cm_match_t *m, uint32_t rule, uint32_t hit,
    size_t start, size_t end);
static int cm_task_cmp(const void *a, const void *b);
static int cm_match_tasks(cm_match_t *m);
static int cm_match_reference(cm_match_t *m);
static int cm_match_rule(cm_match_t *m, const cm_rule_t *r);
static int cm_confirm(cm_match_t *m, const cm_rule_t *r, uint32_t index,
    size_t f, cm_view_t *v, unsigned *limited, unsigned *matched);
static void cm_anchors_find(cm_match_t *m, uint32_t rule, size_t f,
    size_t *lo, size_t *n);
static int cm_match_result(cm_match_t *m, const cm_rule_t *r, int rc);
static int cm_match_regex(cm_match_t *m, const cm_rule_t *r, uint32_t index,
    cm_view_t *v, size_t *start, size_t *end, unsigned *count);
static int cm_match_anchored(cm_match_t *m, const cm_rule_t *r,
    cm_view_t *v, const cm_anchor_t *an, size_t n, size_t *start,
    size_t *end, unsigned *count);
static int cm_rule_applies(const cm_rule_t *r, const cm_field_t *f);
static cm_view_t *cm_field_view(cm_match_t *m, size_t f, unsigned view);
static int cm_match_view(cm_match_t *m, const cm_rule_t *r, cm_view_t *v,
    size_t from, size_t *start, size_t *end, unsigned *count);
static void cm_match_limit(cm_match_t *m, const cm_view_t *v);
static int cm_add_hit(cm_match_t *m, const cm_rule_t *r, size_t f,
    const cm_view_t *v, size_t start, size_t end, unsigned count);
static int cm_add_limited(cm_match_t *m, const cm_rule_t *r);
static int cm_match_against(cm_match_t *m);
static int cm_match_models(cm_match_t *m);
static int cm_match_letters(cm_match_t *m, size_t f, const cm_view_t *view,
    const cm_skel_t *sk);
static cm_view_t *cm_field_letters(cm_match_t *m, size_t f);
static int cm_scratch_state(cm_match_t *m);
static size_t cm_scratch_layout(const cm_ruleset_t *rs, size_t *model);
static void cm_free_views(cm_match_t *m);
static void cm_free_skel(const cm_alloc_t *a, cm_skel_t *sk);


cm_scratch_t *
cm_scratch_create(const cm_alloc_t *a, uint32_t match_limit,
    uint32_t depth_limit)
{
    uint32_t       jit;
    cm_scratch_t  *s;

    s = a->alloc(a->data, sizeof(cm_scratch_t));
    if (s == NULL) {
        return NULL;
    }

    memset(s, 0, sizeof(cm_scratch_t));

    s->alloc = *a;
    s->match_limit = match_limit ? match_limit : CM_MATCH_LIMIT;

    s->gctx = pcre2_general_context_create(cm_pcre2_malloc, cm_pcre2_free,
                                           &s->alloc);
    if (s->gctx == NULL) {
        goto failed;
    }

    s->mctx = pcre2_match_context_create(s->gctx);
    if (s->mctx == NULL) {
        goto failed;
    }

    pcre2_set_match_limit(s->mctx, s->match_limit);
    pcre2_set_depth_limit(s->mctx, depth_limit ? depth_limit
                                               : CM_DEPTH_LIMIT);

    if (pcre2_config(PCRE2_CONFIG_JIT, &jit) == 0 && jit) {
        s->jit_stack = pcre2_jit_stack_create(CM_JIT_STACK_MIN,
                                              CM_JIT_STACK_MAX, s->gctx);
        if (s->jit_stack == NULL) {
            goto failed;
        }

        pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
    }

    /* only the overall match is ever looked at */

    s->md = pcre2_match_data_create(1, s->gctx);
    if (s->md == NULL) {
        goto failed;
    }

    return s;

failed:

    cm_scratch_free(s);

    return NULL;
}


void
cm_scratch_free(cm_scratch_t *s)
{
    if (s == NULL) {
        return;
    }

    pcre2_match_data_free(s->md);
    pcre2_jit_stack_free(s->jit_stack);
    pcre2_match_context_free(s->mctx);
    pcre2_general_context_free(s->gctx);

    if (s->alloc.free) {
        if (s->state) {
            s->alloc.free(s->alloc.data, s->state);
        }

        if (s->model_tables) {
            s->alloc.free(s->alloc.data, s->model_tables);
        }

        s->alloc.free(s->alloc.data, s);
    }
}


int
cm_match(const cm_ruleset_t *rs, cm_scratch_t *s, const cm_alloc_t *a,
    const cm_field_t *fields, size_t nfields, cm_result_t *res,
    char *err, size_t errlen)
{
    int         rc;
    cm_match_t  m;

    memset(res, 0, sizeof(cm_result_t));

    if (!rs->compiled) {
        snprintf(err, errlen, "rule set not compiled");
        return CM_ERROR;
    }

    memset(&m, 0, sizeof(cm_match_t));

    m.rs = rs;
    m.s = s;
    m.a = a;
    m.fields = fields;
    m.nfields = nfields;
    m.norig = nfields;
    m.res = res;
    m.err = err;
    m.errlen = errlen;

    if (errlen) {
        err[0] = '\0';
    }

    if (cm_match_reversed(&m) != CM_OK) {
        cm_free_reversed(&m);
        snprintf(err, errlen, "out of memory");
        return CM_ERROR;
    }

    nfields = m.nfields;

    if (cm_scratch_state(&m) != CM_OK) {
        cm_free_reversed(&m);
        return CM_ERROR;
    }

    if (nfields) {
        m.views = a->alloc(a->data, nfields * CM_MVIEWS * sizeof(cm_view_t));
        if (m.views == NULL) {
            cm_free_reversed(&m);
            snprintf(err, errlen, "out of memory");
            return CM_ERROR;
        }

        memset(m.views, 0, nfields * CM_MVIEWS * sizeof(cm_view_t));
    }

    if (rs->reference) {
        rc = cm_match_reference(&m);

    } else {
        rc = cm_match_fields(&m);

        if (rc == CM_OK) {
            rc = cm_match_tasks(&m);
        }
    }

    if (rc == CM_OK && rs->nmodels) {
        rc = cm_match_models(&m);
    }

    if (rc == CM_OK) {
        rc = cm_match_against(&m);
    }

    cm_free_views(&m);
    cm_free_reversed(&m);

    if (a->free) {
        if (m.tasks) {
            a->free(a->data, m.tasks);
        }

        if (m.anchors) {
            a->free(a->data, m.anchors);
        }

        if (m.hit_rules) {
            a->free(a->data, m.hit_rules);
        }
    }

    if (rc != CM_OK) {
        /* no half results: the caller has nothing to free after an error */

        if (a->free) {
            if (res->hits) {
                a->free(a->data, res->hits);
            }

            if (res->limited) {
                a->free(a->data, res->limited);
            }
        }

        memset(res, 0, sizeof(cm_result_t));
    }

    return rc;
}


/*
 * A field with a right-to-left override (U+202E, also embedding U+202B
 * and isolate U+2067) is shown reversed: "rocag tols" reads "slot gacor"
 * on screen.  Such a field is matched reversed as well, as one more
 * field after the caller's.
 */

static int
cm_match_reversed(cm_match_t *m)
{
    size_t              i, j, k, n, len;
    uint32_t            cp;
    cm_field_t         *fields;
    unsigned char      *rev;
    const cm_field_t   *f;
    const cm_alloc_t   *a;

    a = m->a;
    n = 0;

    for (i = 0; i < m->norig; i++) {
        n += cm_rtl(&m->fields[i]);
    }

    if (n == 0) {
        return CM_OK;
    }

    fields = a->alloc(a->data, (m->norig + n) * sizeof(cm_field_t));
    m->own_fields = fields;
    m->reversed = a->alloc(a->data, n * sizeof(uint32_t));

    if (fields == NULL || m->reversed == NULL) {
        return CM_ERROR;
    }

    memcpy(fields, m->fields, m->norig * sizeof(cm_field_t));

    m->fields = fields;

    for (i = 0, n = m->norig; i < m->norig; i++) {
        f = &fields[i];

        if (!cm_rtl(f)) {
            continue;
        }

        len = f->value_len;

        rev = a->alloc(a->data, len ? len : 1);
        if (rev == NULL) {
            return CM_ERROR;
        }

        /* by characters: an invalid byte is one character */

        for (j = 0; j < len; j += k) {
            k = cm_utf8_decode(f->value + j, len - j, &cp);
            if (k == 0) {
                k = 1;
            }

            memcpy(rev + len - j - k, f->value + j, k);
        }

        fields[n] = *f;
        fields[n].value = rev;
        m->reversed[n - m->norig] = (uint32_t) i;
        n++;
        m->nfields = n;
    }

    return CM_OK;
}


static unsigned
cm_rtl(const cm_field_t *f)
{
    size_t                i;
    const unsigned char  *p;

    p = f->value;

    for (i = 0; i + 2 < f->value_len; i++) {
        if (p[i] == 0xe2
            && ((p[i + 1] == 0x80 && (p[i + 2] == 0xae || p[i + 2] == 0xab))
                || (p[i + 1] == 0x81 && p[i + 2] == 0xa7)))
        {
            return 1;
        }
    }

    return 0;
}


static void
cm_free_reversed(cm_match_t *m)
{
    size_t  i;

    if (m->a->free == NULL) {
        return;
    }

    if (m->own_fields) {
        for (i = m->norig; i < m->nfields; i++) {
            m->a->free(m->a->data, (void *) m->own_fields[i].value);
        }

        m->a->free(m->a->data, m->own_fields);
    }

    if (m->reversed) {
        m->a->free(m->a->data, m->reversed);
    }
}


/* one scan of each view of each field: the tasks for PCRE2 and the hits */

static int
cm_match_fields(cm_match_t *m)
{
    int       rc;
    size_t    f;
    unsigned  v;

    for (f = 0; f < m->nfields; f++) {
        for (v = 0; v < CM_NVIEWS; v++) {
            if (m->rs->pf[v] == NULL && m->rs->words[v] == NULL) {
                continue;
            }

            rc = cm_match_field(m, f, v);
            if (rc != CM_OK) {
                return rc;
            }
        }
    }

    return CM_OK;
}


static int
cm_match_field(cm_match_t *m, size_t f, unsigned v)
{
    int                   rc;
    unsigned              leet;
    size_t                i, n;
    cm_skel_t             sk, sk2;
    cm_view_t            *view;
    const uint32_t       *always;
    const cm_ruleset_t   *rs;

    rs = m->rs;

    view = cm_field_view(m, f, v);
    if (view == NULL) {
        return CM_ERROR;
    }

    m->field = f;
    m->view = v;

    if (rs->pf[v]) {
        rc = cm_pf_scan(rs->pf[v], m->s->state, view->text, view->len,
                        cm_match_candidate, cm_match_anchor, m);
        if (rc != 0) {
            return CM_ERROR;
        }

        always = cm_pf_always(rs->pf[v]);
        n = cm_pf_nalways(rs->pf[v]);

        for (i = 0; i < n; i++) {
            if (cm_match_candidate(m, always[i]) != 0) {
                return CM_ERROR;
            }
        }
    }

    leet = (v == CM_VIEW_NORM && rs->pf[v] && cm_view_leet(view));

    if (rs->words[v] == NULL && !leet) {
        return CM_OK;
    }

    if (cm_view_skel(m->a, view, CM_SKEL_MERGED, &sk) != CM_OK) {
        cm_free_skel(m->a, &sk);
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    if (leet && cm_match_letters(m, f, view, &sk) != CM_OK) {
        cm_free_skel(m->a, &sk);
        return CM_ERROR;
    }

    m->view = v;

    if (rs->words[v] == NULL) {
        cm_free_skel(m->a, &sk);
        return CM_OK;
    }

    rc = cm_words_scan(rs->words[v], m->s->state + rs->pf_state[v], m->a,
                       view, &sk, cm_match_listed, m);

    /* again without the h said after consonants, where there is one */

    if (rc == 0) {
        memset(&sk2, 0, sizeof(cm_skel_t));
        rc = cm_skel_unaspirated(m->a, &sk, &sk2);

        if (rc == CM_OK) {
            rc = cm_words_scan(rs->words[v], m->s->state + rs->pf_state[v],
                               m->a, view, &sk2, cm_match_listed, m);

        } else if (rc == CM_DECLINED) {
            rc = 0;
        }

        cm_free_skel(m->a, &sk2);
    }

    cm_free_skel(m->a, &sk);

    if (rc != 0) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    return CM_OK;
}


/*
 * The regexes of the normalised view in its letters view too, where the
 * field's words hold leetspeak (those that always run as well); their
 * matches there are the rules' hits like any, mapped back to the
 * original.
 */

static int
cm_match_letters(cm_match_t *m, size_t f, const cm_view_t *view,
    const cm_skel_t *sk)
{
    int              rc;
    size_t           i, n;
    cm_view_t       *lv;
    const uint32_t  *always;

    lv = &m->views[f * CM_MVIEWS + CM_VIEW_LETTERS];

    rc = cm_view_letters(m->a, view, sk, lv);

    if (rc == CM_DECLINED) {
        memset(lv, 0, sizeof(cm_view_t));
        return CM_OK;
    }

    if (rc != CM_OK) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    m->view = CM_VIEW_LETTERS;

    rc = cm_pf_scan(m->rs->pf[CM_VIEW_NORM], m->s->state, lv->text, lv->len,
                    cm_match_candidate, cm_match_anchor, m);

    if (rc != 0) {
        return CM_ERROR;
    }

    always = cm_pf_always(m->rs->pf[CM_VIEW_NORM]);
    n = cm_pf_nalways(m->rs->pf[CM_VIEW_NORM]);

    for (i = 0; i < n; i++) {
        if (cm_match_candidate(m, always[i]) != 0) {
            return CM_ERROR;
        }
    }

    return CM_OK;
}


/* a regex whose atoms are in the field, or one that always runs */

static int
cm_match_candidate(void *ctx, uint32_t index)
{
    cm_match_t       *m = ctx;
    const cm_rule_t  *r;

    r = &m->rs->rules[index];

    if (!cm_rule_applies(r, &m->fields[m->field])) {
        return 0;
    }

    return cm_add_task(m, index, 0, 0, 0);
}


/* a place where an anchored regex may match */

static int
cm_match_anchor(void *ctx, uint32_t index, size_t start)
{
    cm_match_t   *m = ctx;
    cm_anchor_t  *a;

    a = cm_grow(m->a, m->anchors, m->nanchors, &m->anchors_alloc,
                sizeof(cm_anchor_t));
    if (a == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    m->anchors = a;

    a = &m->anchors[m->nanchors++];

    a->rule = index;
    a->field = (uint32_t) (m->field * CM_MVIEWS + m->view);
    a->pos = (uint32_t) start;

    return 0;
}


static int
cm_anchor_cmp(const void *a, const void *b)
{
    const cm_anchor_t  *x = a, *y = b;

    if (x->rule != y->rule) {
        return (x->rule > y->rule) - (x->rule < y->rule);
    }

    if (x->field != y->field) {
        return (x->field > y->field) - (x->field < y->field);
    }

    return (x->pos > y->pos) - (x->pos < y->pos);
}


/* a word list's first match in the field */

static int
cm_match_listed(void *ctx, uint32_t rule, size_t start, size_t end)
{
    cm_match_t       *m = ctx;
    const cm_rule_t  *r;

    r = &m->rs->rules[rule];

    if (!cm_rule_applies(r, &m->fields[m->field])) {
        return 0;
    }

    return cm_add_task(m, rule, 1, start, end);
}


static int
cm_add_task(cm_match_t *m, uint32_t rule, uint32_t hit, size_t start,
    size_t end)
{
    cm_task_t  *t;

    t = cm_grow(m->a, m->tasks, m->ntasks, &m->tasks_alloc,
                sizeof(cm_task_t));
    if (t == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    m->tasks = t;

    t = &m->tasks[m->ntasks++];

    t->rule = rule;
    t->field = (uint32_t) m->field;
    t->view = m->view;
    t->hit = hit;
    t->start = (uint32_t) start;
    t->end = (uint32_t) end;

    return 0;
}


static int
cm_task_cmp(const void *a, const void *b)
{
    const cm_task_t  *x = a, *y = b;

    if (x->rule != y->rule) {
        return (x->rule > y->rule) - (x->rule < y->rule);
    }

    return (x->field > y->field) - (x->field < y->field);
}


/*
 * The tasks in rule order, and for a rule in field order: the first field
 * it matches makes its hit, as the reference's loop over rules and fields
 * would find it.
 */

static int
cm_match_tasks(cm_match_t *m)
{
    int               rc;
    size_t            i;
    unsigned          limited, matched;
    uint32_t          done;
    cm_view_t        *v;
    cm_task_t        *t;
    const cm_rule_t  *r;

    if (m->ntasks > 1) {
        qsort(m->tasks, m->ntasks, sizeof(cm_task_t), cm_task_cmp);
    }

    if (m->nanchors > 1) {
        qsort(m->anchors, m->nanchors, sizeof(cm_anchor_t), cm_anchor_cmp);
    }

    done = (uint32_t) -1;
    limited = 0;

    for (i = 0; i < m->ntasks; i++) {
        t = &m->tasks[i];

        if (t->rule == done) {
            continue;
        }

        if (i == 0 || t->rule != m->tasks[i - 1].rule) {
            limited = 0;
        }

        r = &m->rs->rules[t->rule];
        v = &m->views[t->field * CM_MVIEWS + t->view];

        if (t->hit) {
            /* the list's offsets are in the view: as a regex's would be */

            rc = cm_add_hit(m, r, t->field, v, t->start, t->end, 1);
            if (rc != CM_OK) {
                return rc;
            }

            done = t->rule;
            continue;
        }

        if (cm_confirm(m, r, t->rule, t->field, v, &limited, &matched)
            != CM_OK)
        {
            return CM_ERROR;
        }

        if (matched) {
            done = t->rule;
        }
    }

    return CM_OK;
}


/* the reference: every rule against every field it applies to */

static int
cm_match_reference(cm_match_t *m)
{
    int     rc;
    size_t  i;

    for (i = 0; i < m->rs->nrules; i++) {
        rc = cm_match_rule(m, &m->rs->rules[i]);
        if (rc != CM_OK) {
            return rc;
        }
    }

    return CM_OK;
}


/* a rule against its fields: the first field it matches makes the hit */

static int
cm_match_rule(cm_match_t *m, const cm_rule_t *r)
{
    size_t      f;
    unsigned    limited, matched;
    cm_view_t  *v;

    limited = 0;

    for (f = 0; f < m->nfields; f++) {

        if (!cm_rule_applies(r, &m->fields[f])) {
            continue;
        }

        v = cm_field_view(m, f, r->view);
        if (v == NULL) {
            return CM_ERROR;
        }

        if (cm_confirm(m, r, (uint32_t) -1, f, v, &limited, &matched)
            != CM_OK)
        {
            return CM_ERROR;
        }

        if (matched) {
            return CM_OK;
        }

        /* a regex of the normalised view: its letters view as well */

        if (r->type != CM_RULE_RE || r->view != CM_VIEW_NORM) {
            continue;
        }

        v = cm_field_letters(m, f);
        if (v == NULL) {
            if (m->err[0]) {
                return CM_ERROR;
            }

            continue;
        }

        if (cm_confirm(m, r, (uint32_t) -1, f, v, &limited, &matched)
            != CM_OK)
        {
            return CM_ERROR;
        }

        if (matched) {
            return CM_OK;
        }
    }

    return CM_OK;
}


/*
 * The reference's letters view of field f, made once: NULL when no word
 * of the field holds leetspeak (or, with m->err set, on an error).
 */

static cm_view_t *
cm_field_letters(cm_match_t *m, size_t f)
{
    int         rc;
    cm_skel_t   sk;
    cm_view_t  *norm, *lv;

    lv = &m->views[f * CM_MVIEWS + CM_VIEW_LETTERS];

    if (lv->text) {
        return lv;
    }

    if (lv->len == (size_t) -1) {
        return NULL;
    }

    norm = cm_field_view(m, f, CM_VIEW_NORM);
    if (norm == NULL) {
        return NULL;
    }

    lv->len = (size_t) -1;

    if (!cm_view_leet(norm)) {
        return NULL;
    }

    memset(&sk, 0, sizeof(cm_skel_t));

    rc = cm_view_skel(m->a, norm, CM_SKEL_MERGED, &sk);

    if (rc == CM_OK) {
        rc = cm_view_letters(m->a, norm, &sk, lv);
    }

    cm_free_skel(m->a, &sk);

    if (rc == CM_OK) {
        return lv;
    }

    memset(lv, 0, sizeof(cm_view_t));
    lv->len = (size_t) -1;

    if (rc != CM_DECLINED) {
        snprintf(m->err, m->errlen, "out of memory");
    }

    return NULL;
}


/*
 * PCRE2 on one field: a match is the rule's hit (*matched), a limit is
 * reported once per rule (*limited).
 */

static int
cm_confirm(cm_match_t *m, const cm_rule_t *r, uint32_t index, size_t f,
    cm_view_t *v, unsigned *limited, unsigned *matched)
{
    int       rc;
    size_t    start, end;
    unsigned  count;

    *matched = 0;

    rc = cm_match_regex(m, r, index, v, &start, &end, &count);

    switch (rc) {

    case CM_MATCHED:
        *matched = 1;
        return cm_add_hit(m, r, f, v, start, end, count);

    case CM_LIMITED:
        if (*limited) {
            return CM_OK;
        }

        *limited = 1;

        return cm_add_limited(m, r);

    case CM_NOT_MATCHED:
        return CM_OK;

    default:
        return CM_ERROR;
    }
}


/*
 * A rule's regex on a view: the match of a rule of the same regex on it,
 * when one was just made, or its own, kept for them
 */

static int
cm_match_regex(cm_match_t *m, const cm_rule_t *r, uint32_t index,
    cm_view_t *v, size_t *start, size_t *end, unsigned *count)
{
    int               rc;
    size_t            i, lo, n;
    cm_twin_match_t  *tm;

    *start = 0;
    *end = 0;
    *count = 0;

    if (r->twin != CM_NO_TWIN) {
        for (i = 0; i < CM_TWINS; i++) {
            tm = &m->twins[i];

            if (tm->view == v && tm->twin == r->twin) {
                *start = tm->start;
                *end = tm->end;
                *count = tm->count;
                return tm->rc;
            }
        }
    }

    if (index != (uint32_t) -1 && !m->rs->reference
        && cm_pf_is_anchored(m->rs->pf[r->view], index))
    {
        /* anchors are kept by field and view: the view's own index */

        cm_anchors_find(m, index, (size_t) (v - m->views), &lo, &n);

        if (n == 0) {
            /* none of its anchors in this field: it cannot match here */
            return CM_NOT_MATCHED;
        }

        rc = cm_match_anchored(m, r, v, &m->anchors[lo], n, start, end,
                               count);

    } else {
        rc = cm_match_view(m, r, v, 0, start, end, count);
    }

    if (r->twin != CM_NO_TWIN && rc != CM_ERROR) {
        tm = &m->twins[m->ntwins++ % CM_TWINS];
        tm->twin = r->twin;
        tm->rc = rc;
        tm->view = v;
        tm->start = *start;
        tm->end = *end;
        tm->count = *count;
    }

    return rc;
}


static int
cm_rule_applies(const cm_rule_t *r, const cm_field_t *f)
{
    size_t  i;

    if (r->fields == NULL) {
        return 1;
    }

    for (i = 0; i < r->nfields; i++) {
        if (r->fields[i].len == f->name_len
            && memcmp(r->fields[i].data, f->name, f->name_len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static cm_view_t *
cm_field_view(cm_match_t *m, size_t f, unsigned view)
{
    int                rc;
    cm_view_t         *v;
    const cm_field_t  *fld;

    v = &m->views[f * CM_MVIEWS + view];

    if (v->text) {
        return v;
    }

    fld = &m->fields[f];

    if (view == CM_VIEW_RAW) {
        rc = cm_view_raw(m->a, fld->value, fld->value_len, v);

    } else {
        rc = cm_view_norm(m->a, fld->value, fld->value_len, v);
    }

    if (rc != CM_OK) {
        v->text = NULL;
        snprintf(m->err, m->errlen, "cannot make the %s view of field "
                 "\"%.*s\"", view == CM_VIEW_RAW ? "raw" : "norm",
                 (int) fld->name_len, fld->name);
        return NULL;
    }

    return v;
}


/*
 * Counts non-overlapping matches until the rule's count is reached.
 * After an empty match the next one may not be empty at the same place
 * (PCRE2 then moves on by whole characters), as in Perl's //g.  The match
 * limit grows with the field, so that padding cannot stop a rule that
 * scans it once.
 */

static int
cm_match_view(cm_match_t *m, const cm_rule_t *r, cm_view_t *v,
    size_t from, size_t *start, size_t *end, unsigned *count)
{
    int             rc;
    size_t          k, off, ms, me;
    uint32_t        opts;
    unsigned        n;
    PCRE2_SIZE     *ov;

    n = 0;
    *start = 0;
    *end = 0;

    cm_match_limit(m, v);

    ov = pcre2_get_ovector_pointer(m->s->md);

    for (k = 0; k < r->ncodes && n < r->count; k++) {
        off = from;
        opts = PCRE2_NO_UTF_CHECK;

        while (n < r->count) {
            rc = cm_match_result(m, r,
                                 pcre2_match(r->codes[k], v->text, v->len,
                                             off, opts, m->s->md,
                                             m->s->mctx));

            if (rc == CM_NOT_MATCHED) {
                break;
            }

            if (rc != CM_MATCHED) {
                return rc;
            }

            ms = ov[0];
            me = ov[1] > ov[0] ? ov[1] : ov[0];

            if (n++ == 0) {
                *start = ms;
                *end = me;
            }

            if (me > ms) {
                off = me;
                opts = PCRE2_NO_UTF_CHECK;

            } else if (me < v->len) {
                off = me;
                opts = PCRE2_NO_UTF_CHECK | PCRE2_NOTEMPTY_ATSTART;

            } else {
                break;
            }
        }
    }

    if (n < r->count) {
        return CM_NOT_MATCHED;
    }

    *count = n;

    return CM_MATCHED;
}


/*
 * What pcre2_match() returned: CM_MATCHED, CM_NOT_MATCHED, CM_LIMITED
 * for any of its limits, or CM_ERROR with m->err saying why.
 */

static int
cm_match_result(cm_match_t *m, const cm_rule_t *r, int rc)
{
    unsigned char  msg[256];

    if (rc >= 0) {
        return CM_MATCHED;
    }

    switch (rc) {

    case PCRE2_ERROR_NOMATCH:
        return CM_NOT_MATCHED;

    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT:
        return CM_LIMITED;

    default:
        pcre2_get_error_message(rc, msg, sizeof(msg));
        snprintf(m->err, m->errlen, "rule %u: %s", r->id, msg);
        return CM_ERROR;
    }
}


/* the match limit for a field of this length */

static void
cm_match_limit(cm_match_t *m, const cm_view_t *v)
{
    uint64_t  limit;

    limit = m->s->match_limit + (uint64_t) (v->len / 1024) * CM_MATCH_LIMIT_KB;

    pcre2_set_match_limit(m->s->mctx,
                          limit > UINT32_MAX ? UINT32_MAX : (uint32_t) limit);
}


/* the anchors of a rule in a field, sorted: lo and n */

static void
cm_anchors_find(cm_match_t *m, uint32_t rule, size_t f, size_t *lo,
    size_t *n)
{
    size_t        l, h, mid;
    cm_anchor_t  *a;

    l = 0;
    h = m->nanchors;

    while (l < h) {
        mid = l + (h - l) / 2;
        a = &m->anchors[mid];

        if (a->rule < rule || (a->rule == rule && a->field < f)) {
            l = mid + 1;

        } else {
            h = mid;
        }
    }

    for (h = l; h < m->nanchors && m->anchors[h].rule == rule
                && m->anchors[h].field == f; h++)
    {
        /* void */
    }

    *lo = l;
    *n = h - l;
}


/*
 * An anchored regex: PCRE2 tries, anchored, only where an anchor is.
 * Every match starts at one, so trying them in order finds the matches
 * a scan would, left to right, without overlaps.  Too many places: one
 * scan from the first.
 */

static int
cm_match_anchored(cm_match_t *m, const cm_rule_t *r, cm_view_t *v,
    const cm_anchor_t *an, size_t n, size_t *start, size_t *end,
    unsigned *count)
{
    int             rc;
    size_t          i, next, empty, ms, me;
    uint32_t        opts;
    unsigned        found;
    PCRE2_SIZE     *ov;

    if (n > CM_ANCHORS_MAX || r->ncodes != 1) {
        return cm_match_view(m, r, v, an[0].pos, start, end, count);
    }

    cm_match_limit(m, v);

    ov = pcre2_get_ovector_pointer(m->s->md);

    found = 0;
    next = 0;
    empty = (size_t) -1;
    *start = 0;
    *end = 0;

    for (i = 0; i < n && found < r->count; i++) {
        if (an[i].pos < next || (i && an[i].pos == an[i - 1].pos)) {
            continue;
        }

        opts = PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED;

        if (an[i].pos == empty) {
            opts |= PCRE2_NOTEMPTY_ATSTART;
        }

        rc = cm_match_result(m, r,
                             pcre2_match(r->codes[0], v->text, v->len,
                                         an[i].pos, opts, m->s->md,
                                         m->s->mctx));

        if (rc == CM_NOT_MATCHED) {
            continue;
        }

        if (rc != CM_MATCHED) {
            return rc;
        }

        ms = ov[0];
        me = ov[1] > ov[0] ? ov[1] : ov[0];

        if (found++ == 0) {
            *start = ms;
            *end = me;
        }

        if (me > ms) {
            next = me;

        } else if (me < v->len) {
            next = me;
            empty = me;

        } else {
            break;
        }
    }

    if (found < r->count) {
        return CM_NOT_MATCHED;
    }

    *count = found;

    return CM_MATCHED;
}


static int
cm_add_hit(cm_match_t *m, const cm_rule_t *r, size_t f, const cm_view_t *v,
    size_t start, size_t end, unsigned count)
{
    size_t             len;
    cm_hit_t          *h, *hits;
    const cm_rule_t  **rules;
    cm_result_t  *res;

    res = m->res;

    hits = cm_grow(m->a, res->hits, res->nhits, &m->hits_alloc,
                   sizeof(cm_hit_t));
    if (hits == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    res->hits = hits;

    rules = cm_grow(m->a, m->hit_rules, res->nhits, &m->hit_rules_alloc,
                    sizeof(cm_rule_t *));
    if (rules == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    m->hit_rules = rules;
    m->hit_rules[res->nhits] = r;

    h = &res->hits[res->nhits++];

    h->id = r->id;
    h->score = r->score;
    h->tag = r->tag;
    h->msg = r->msg;
    h->field = f;
    h->count = count;

    /* back to the original value: map[len] is its length */

    h->start = v->map[start < v->len ? start : v->len];
    h->end = v->map[end < v->len ? end : v->len];

    if (h->end < h->start) {
        h->end = h->start;
    }

    /* a reversed copy's offsets, back in the field it reverses */

    if (f >= m->norig) {
        len = m->fields[f].value_len;
        start = h->start;

        h->field = m->reversed[f - m->norig];
        h->start = len - h->end;
        h->end = len - start;
    }

    res->score += r->score;

    if (r->hold_only) {
        res->capped += r->score;
    }

    return CM_OK;
}


/*
 * A negative rule "against" some tags cancels only what the hits with
 * those tags scored: news about gambling lowers the gambling words'
 * score, never the profanity beside them.  Rules against the same tags
 * share what those hits scored, each taking what is left of it in rule
 * order, so that together they cancel no more than it either.  What a
 * max=hold hit loses no longer counts towards holding (res->capped).
 * Each negative hit keeps the score it counted with.
 */

static int
cm_match_against(cm_match_t *m)
{
    int               want, take, done, *left;
    size_t            i, j, k;
    cm_hit_t         *h, *o;
    cm_result_t      *res;
    const cm_rule_t  *r;

    res = m->res;
    left = NULL;

    for (i = 0; i < res->nhits; i++) {
        r = m->hit_rules[i];

        if (r->nagainst == 0) {
            continue;
        }

        if (left == NULL) {

            /* what each positive hit has left to cancel */

            left = m->a->alloc(m->a->data, res->nhits * sizeof(int));
            if (left == NULL) {
                snprintf(m->err, m->errlen, "out of memory");
                return CM_ERROR;
            }

            for (j = 0; j < res->nhits; j++) {
                left[j] = res->hits[j].score > 0 ? res->hits[j].score : 0;
            }
        }

        h = &res->hits[i];
        want = -h->score;
        done = 0;

        for (j = 0; j < res->nhits && done < want; j++) {
            o = &res->hits[j];

            if (left[j] == 0) {
                continue;
            }

            for (k = 0; k < r->nagainst; k++) {
                if (strlen(o->tag) == r->against[k].len
                    && memcmp(o->tag, r->against[k].data, r->against[k].len)
                       == 0)
                {
                    break;
                }
            }

            if (k == r->nagainst) {
                continue;
            }

            take = left[j] < want - done ? left[j] : want - done;
            left[j] -= take;
            done += take;

            if (m->hit_rules[j]->hold_only) {
                res->capped -= take;
            }
        }

        res->score += want - done;
        h->score = -done;
    }

    if (left && m->a->free) {
        m->a->free(m->a->data, left);
    }

    return CM_OK;
}


/*
 * Each model on the normalised view of the caller's fields it applies
 * to (a reversed copy, or a field's name, is no text it was trained on):
 * the first field whose probability reaches the rule's threshold makes
 * its hit, over the whole field.
 */

static int
cm_match_models(cm_match_t *m)
{
    size_t            i, f, off;
    double            p;
    cm_view_t        *v;
    const cm_rule_t  *r;

    (void) cm_scratch_layout(m->rs, &off);

    for (i = 0; i < m->rs->nmodels; i++) {
        r = &m->rs->rules[m->rs->models[i]];

        for (f = 0; f < m->norig; f++) {
            if ((m->fields[f].flags & CM_FIELD_NAME)
                || !cm_rule_applies(r, &m->fields[f]))
            {
                continue;
            }

            v = cm_field_view(m, f, CM_VIEW_NORM);
            if (v == NULL) {
                return CM_ERROR;
            }

            p = cm_model_predict_parts(r->model, m->s->model_tables,
                                       m->s->state + off, v);

            if (p >= r->threshold) {
                if (cm_add_hit(m, r, f, v, 0, v->len, 1) != CM_OK) {
                    return CM_ERROR;
                }

                break;
            }
        }
    }

    return CM_OK;
}


static int
cm_add_limited(cm_match_t *m, const cm_rule_t *r)
{
    unsigned     *limited;
    cm_result_t  *res;

    res = m->res;

    limited = cm_grow(m->a, res->limited, res->nlimited, &m->limited_alloc,
                      sizeof(unsigned));
    if (limited == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    res->limited = limited;

    res->limited[res->nlimited++] = r->id;

    return CM_OK;
}


/*
 * The automata's counters and the models' bits, zeroed; grown when a
 * larger rule set comes along.
 */

static int
cm_scratch_state(cm_match_t *m)
{
    size_t           need, off;
    cm_scratch_t    *s;
    unsigned char   *state;

    s = m->s;

    if (m->rs->nmodels && s->model_tables == NULL) {
        s->model_tables = s->alloc.alloc(s->alloc.data,
                                         cm_model_tables_size());
        if (s->model_tables == NULL) {
            snprintf(m->err, m->errlen, "out of memory");
            return CM_ERROR;
        }

        memset(s->model_tables, 0, cm_model_tables_size());
    }

    need = cm_scratch_layout(m->rs, &off);

    if (need <= s->state_size) {
        return CM_OK;
    }

    state = s->alloc.alloc(s->alloc.data, need);
    if (state == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    memset(state, 0, need);

    if (s->state && s->alloc.free) {
        s->alloc.free(s->alloc.data, s->state);
    }

    s->state = state;
    s->state_size = need;

    return CM_OK;
}


/*
 * The state's bytes: the largest prefilter's counters, then the largest
 * word lists', then, at *model (16-byte aligned), the largest model's
 * bits.
 */

static size_t
cm_scratch_layout(const cm_ruleset_t *rs, size_t *model)
{
    size_t    pf, words;
    unsigned  v;

    pf = 0;
    words = 0;

    for (v = 0; v < CM_NVIEWS; v++) {
        if (rs->pf_state[v] > pf) {
            pf = rs->pf_state[v];
        }

        if (rs->words_state[v] > words) {
            words = rs->words_state[v];
        }
    }

    /* word lists' state starts at pf_state[v]: room for the largest */

    *model = (pf + words + 16 + 15) & ~(size_t) 15;

    return *model + rs->model_state;
}


static void
cm_free_views(cm_match_t *m)
{
    size_t  i;

    if (m->a->free == NULL || m->views == NULL) {
        return;
    }

    for (i = 0; i < m->nfields * CM_MVIEWS; i++) {
        if (m->views[i].text) {
            m->a->free(m->a->data, m->views[i].text);
            m->a->free(m->a->data, m->views[i].map);
        }
    }

    m->a->free(m->a->data, m->views);
}


static void
cm_free_skel(const cm_alloc_t *a, cm_skel_t *sk)
{
    if (a->free == NULL) {
        return;
    }

    if (sk->text) {
        a->free(a->data, sk->text);
    }

    if (sk->off) {
        a->free(a->data, sk->off);
    }

    if (sk->end) {
        a->free(a->data, sk->end);
    }

    if (sk->gap) {
        a->free(a->data, sk->gap);
    }

    if (sk->flags) {
        a->free(a->data, sk->flags);
    }

    if (sk->units) {
        a->free(a->data, sk->units);
    }

    if (sk->digits) {
        a->free(a->data, sk->digits);
    }

    if (sk->mtext) {
        a->free(a->data, sk->mtext);
    }

    if (sk->mfirst) {
        a->free(a->data, sk->mfirst);
    }
}
