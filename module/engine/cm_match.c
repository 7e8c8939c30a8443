/*
 * Matching a compiled rule set against the fields of one comment, and the
 * per-worker scratch space that matching needs.
 *
 * Each field's views (raw, normalised) are made only when a rule asks for
 * them, and at most once per call.  Every match runs under the scratch's
 * limits: a rule that reaches one counts as not matched and is reported in
 * res->limited, so a hostile comment costs bounded time.
 */


#include <stdio.h>
#include <string.h>

#include "cm_rules_int.h"


#define CM_MATCH_LIMIT     100000
#define CM_DEPTH_LIMIT     1000

#define CM_JIT_STACK_MIN   (32 * 1024)
#define CM_JIT_STACK_MAX   (512 * 1024)


struct cm_scratch_s {
    cm_alloc_t              alloc;
    pcre2_general_context  *gctx;
    pcre2_match_context    *mctx;
    pcre2_jit_stack        *jit_stack;
    pcre2_match_data       *md;
};


/* one cm_match call */

typedef struct {
    const cm_ruleset_t     *rs;
    cm_scratch_t           *s;
    const cm_alloc_t       *a;
    const cm_field_t       *fields;
    size_t                  nfields;
    cm_view_t              *views;     /* CM_NVIEWS per field */
    cm_result_t            *res;
    size_t                  hits_alloc;
    size_t                  limited_alloc;
    char                   *err;
    size_t                  errlen;
} cm_match_t;


#define CM_MATCHED         1
#define CM_NOT_MATCHED     0
#define CM_LIMITED         2


static int cm_match_rule(cm_match_t *m, const cm_rule_t *r);
static int cm_rule_applies(const cm_rule_t *r, const cm_field_t *f);
static cm_view_t *cm_field_view(cm_match_t *m, size_t f, unsigned view);
static int cm_match_view(cm_match_t *m, const cm_rule_t *r, cm_view_t *v,
    size_t *start, size_t *end, unsigned *count);
static int cm_add_hit(cm_match_t *m, const cm_rule_t *r, size_t f,
    const cm_view_t *v, size_t start, size_t end, unsigned count);
static int cm_add_limited(cm_match_t *m, const cm_rule_t *r);
static void *cm_grow(const cm_alloc_t *a, void *p, size_t n, size_t *nalloc,
    size_t size);
static void cm_free_views(cm_match_t *m);


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

    s->gctx = pcre2_general_context_create(cm_pcre2_malloc, cm_pcre2_free,
                                           &s->alloc);
    if (s->gctx == NULL) {
        goto failed;
    }

    s->mctx = pcre2_match_context_create(s->gctx);
    if (s->mctx == NULL) {
        goto failed;
    }

    pcre2_set_match_limit(s->mctx, match_limit ? match_limit
                                               : CM_MATCH_LIMIT);
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
        s->alloc.free(s->alloc.data, s);
    }
}


int
cm_match(const cm_ruleset_t *rs, cm_scratch_t *s, const cm_alloc_t *a,
    const cm_field_t *fields, size_t nfields, cm_result_t *res,
    char *err, size_t errlen)
{
    int         rc;
    size_t      i;
    cm_match_t  m;

    memset(res, 0, sizeof(cm_result_t));

    if (!rs->compiled) {
        snprintf(err, errlen, "rule set not compiled");
        return CM_ERROR;
    }

    m.rs = rs;
    m.s = s;
    m.a = a;
    m.fields = fields;
    m.nfields = nfields;
    m.views = NULL;
    m.res = res;
    m.hits_alloc = 0;
    m.limited_alloc = 0;
    m.err = err;
    m.errlen = errlen;

    if (nfields) {
        m.views = a->alloc(a->data, nfields * CM_NVIEWS * sizeof(cm_view_t));
        if (m.views == NULL) {
            snprintf(err, errlen, "out of memory");
            return CM_ERROR;
        }

        memset(m.views, 0, nfields * CM_NVIEWS * sizeof(cm_view_t));
    }

    rc = CM_OK;

    for (i = 0; i < rs->nrules; i++) {
        rc = cm_match_rule(&m, &rs->rules[i]);
        if (rc != CM_OK) {
            break;
        }
    }

    cm_free_views(&m);

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


/* a rule against its fields: the first field it matches makes the hit */

static int
cm_match_rule(cm_match_t *m, const cm_rule_t *r)
{
    int         rc, limited;
    size_t      f, start, end;
    unsigned    count;
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

        rc = cm_match_view(m, r, v, &start, &end, &count);

        switch (rc) {

        case CM_MATCHED:
            return cm_add_hit(m, r, f, v, start, end, count);

        case CM_LIMITED:
            if (!limited) {
                limited = 1;

                if (cm_add_limited(m, r) != CM_OK) {
                    return CM_ERROR;
                }
            }

            break;

        case CM_NOT_MATCHED:
            break;

        default:
            return CM_ERROR;
        }
    }

    return CM_OK;
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

    v = &m->views[f * CM_NVIEWS + view];

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
 * (PCRE2 then moves on by whole characters), as in Perl's //g.
 */

static int
cm_match_view(cm_match_t *m, const cm_rule_t *r, cm_view_t *v,
    size_t *start, size_t *end, unsigned *count)
{
    int             rc;
    size_t          k, off, ms, me;
    uint32_t        opts;
    unsigned        n;
    PCRE2_SIZE     *ov;
    unsigned char   msg[256];

    n = 0;
    *start = 0;
    *end = 0;

    ov = pcre2_get_ovector_pointer(m->s->md);

    for (k = 0; k < r->ncodes && n < r->count; k++) {
        off = 0;
        opts = PCRE2_NO_UTF_CHECK;

        while (n < r->count) {
            rc = pcre2_match(r->codes[k], v->text, v->len, off, opts,
                             m->s->md, m->s->mctx);

            if (rc == PCRE2_ERROR_NOMATCH) {
                break;
            }

            if (rc == PCRE2_ERROR_MATCHLIMIT
                || rc == PCRE2_ERROR_DEPTHLIMIT
                || rc == PCRE2_ERROR_HEAPLIMIT
                || rc == PCRE2_ERROR_JIT_STACKLIMIT)
            {
                return CM_LIMITED;
            }

            if (rc < 0) {
                pcre2_get_error_message(rc, msg, sizeof(msg));
                snprintf(m->err, m->errlen, "rule %u: %s", r->id, msg);
                return CM_ERROR;
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


static int
cm_add_hit(cm_match_t *m, const cm_rule_t *r, size_t f, const cm_view_t *v,
    size_t start, size_t end, unsigned count)
{
    cm_hit_t     *h, *hits;
    cm_result_t  *res;

    res = m->res;

    hits = cm_grow(m->a, res->hits, res->nhits, &m->hits_alloc,
                   sizeof(cm_hit_t));
    if (hits == NULL) {
        snprintf(m->err, m->errlen, "out of memory");
        return CM_ERROR;
    }

    res->hits = hits;

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

    res->score += r->score;

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


/* room for one more element in an array of n; NULL when out of memory */

static void *
cm_grow(const cm_alloc_t *a, void *p, size_t n, size_t *nalloc, size_t size)
{
    void    *np;
    size_t   na;

    if (n < *nalloc) {
        return p;
    }

    na = *nalloc ? *nalloc * 2 : 8;

    np = a->alloc(a->data, na * size);
    if (np == NULL) {
        return NULL;
    }

    if (n) {
        memcpy(np, p, n * size);
    }

    if (p && a->free) {
        a->free(a->data, p);
    }

    *nalloc = na;

    return np;
}


static void
cm_free_views(cm_match_t *m)
{
    size_t  i;

    if (m->a->free == NULL || m->views == NULL) {
        return;
    }

    for (i = 0; i < m->nfields * CM_NVIEWS; i++) {
        if (m->views[i].text) {
            m->a->free(m->a->data, m->views[i].text);
            m->a->free(m->a->data, m->views[i].map);
        }
    }

    m->a->free(m->a->data, m->views);
}
