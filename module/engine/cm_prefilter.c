
/*
 * Regex prefilter, see cm_prefilter.h.
 *
 * Reading a pattern gives each piece an "info", as in RE2's prefilter:
 * either the exact set of strings the piece can match (while it is small:
 * "ab", "a[bc]" is {"ab", "ac"}, "x?" is {"", "x"}), or a formula that
 * any text it matches satisfies (a piece that repeats, a class too large
 * to spell out).  Concatenation multiplies exact sets and ANDs formulas,
 * alternation unites sets and ORs formulas.  An exact set becomes a
 * formula as the OR of its strings, unless one of them is too short to
 * be worth finding ("" or "a" would be everywhere): then it is "true".
 *
 * The formulas of all patterns become one table: atoms (found by one
 * Aho-Corasick automaton) point to the AND and OR nodes that use them,
 * each node to its parent, a root to its pattern.  A node fires when
 * enough of its children have: one for OR, all of them for AND.
 */


#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "cm_ac.h"
#include "cm_prefilter.h"
#include "cm_util.h"


#define CM_PF_CROSS_MAX    16       /* strings of a product kept exact */
#define CM_PF_UNION_MAX    64       /* strings of an alternation */
#define CM_PF_CLASS_MAX    8        /* characters of a class kept exact */
#define CM_PF_RANGES_MAX   80       /* ranges of a class read */
#define CM_PF_PREFIX_MAX   160      /* UTF-8 prefixes of a large class */
#define CM_PF_PRE_MAX      256      /* strings a match may start with */
#define CM_PF_DEPTH_MAX    200      /* nested groups read */
#define CM_PF_CHUNK        8192

#define CM_PF_ATOM         1
#define CM_PF_AND          2
#define CM_PF_OR           3

/* a node's parent is a node, or with this bit a pattern's index */
#define CM_PF_ROOT         0x80000000u


typedef struct {
    unsigned char        *data;
    size_t                len;
} cm_pf_str_t;


typedef struct cm_pf_node_s  cm_pf_node_t;

struct cm_pf_node_s {
    unsigned              op;
    unsigned              weak;      /* from a class: dropped beside others */
    cm_pf_str_t           atom;      /* CM_PF_ATOM */
    cm_pf_node_t         *first;     /* CM_PF_AND, CM_PF_OR: children */
    cm_pf_node_t         *next;      /* the next child of the parent */
};


/* what a piece of a pattern can match */

typedef struct {
    unsigned              exact;
    cm_pf_str_t          *strs;      /* exact: these strings and no other */
    size_t                n;
    cm_pf_node_t         *match;     /* not exact: NULL is "anything" */
    cm_pf_str_t          *pre;       /* not exact: every match starts */
    size_t                npre;      /* with one of these; NULL: unknown */
} cm_pf_info_t;


typedef struct cm_pf_chunk_s  cm_pf_chunk_t;

struct cm_pf_chunk_s {
    cm_pf_chunk_t        *next;
    size_t                used;
    size_t                size;
};


/* a character class being read: its ranges, or "many" */

typedef struct {
    uint32_t              lo[CM_PF_RANGES_MAX];
    uint32_t              hi[CM_PF_RANGES_MAX];
    size_t                n;
    unsigned              many;      /* not spelled out: anything */
} cm_pf_class_t;


/* reading one pattern; memory from chunks freed when it is read */

typedef struct {
    cm_pf_t              *pf;
    const unsigned char  *p;
    const unsigned char  *end;
    unsigned              caseless;
    unsigned              extended;
    unsigned              norm;
    unsigned              depth;
    unsigned              unknown;   /* a construct not understood */
    unsigned              nomem;
    cm_pf_chunk_t        *chunks;
} cm_pf_read_t;


/* an atom being collected: its string and the nodes that use it */

typedef struct {
    cm_pf_str_t           str;
    uint32_t              parent;
} cm_pf_use_t;


struct cm_pf_s {
    cm_alloc_t            alloc;

    /* while adding */
    cm_pf_use_t          *uses;
    size_t                nuses;
    size_t                uses_alloc;
    unsigned char        *op_b;      /* per node, grown as added */
    uint32_t             *need_b;
    uint32_t             *parent_b;
    size_t                nodes_alloc;
    uint32_t             *always_b;
    size_t                always_alloc;
    uint32_t              max_index;
    size_t                npatterns;

    /* built */
    cm_ac_t              *ac;
    size_t                natoms;
    unsigned char        *blob;         /* the atoms' strings */
    uint32_t             *atom_off;     /* natoms + 1 */
    uint32_t             *atom_first;   /* natoms + 1 */
    uint32_t             *atom_parent;
    size_t                nnodes;
    unsigned char        *op;
    uint32_t             *need;
    uint32_t             *parent;
    uint32_t             *always;
    size_t                nalways;
    unsigned char        *is_always;    /* max_index + 1 */
    unsigned char        *anchored;     /* max_index + 1 */
    unsigned char        *atom_anchor;  /* natoms: anchors a pattern */
    size_t                memory;
};


/* text being written by cm_pf_describe */

typedef struct {
    char                 *buf;
    size_t                len;
    size_t                n;
} cm_pf_w_t;


/* the scan's state, laid out in the caller's zeroed memory */

typedef struct {
    const cm_pf_t        *pf;
    unsigned char        *seen;      /* natoms */
    uint32_t             *count;     /* nnodes */
    uint32_t             *atoms;     /* atoms seen, to clear */
    uint32_t             *nodes;     /* nodes counted, to clear */
    size_t                natoms;
    size_t                nnodes;
    cm_pf_cand_pt         cand;
    cm_pf_anchor_pt       anchor;
    void                 *ctx;
} cm_pf_scan_t;


static cm_pf_info_t cm_pf_alt(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_seq(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_atom(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_quant(cm_pf_read_t *rd, cm_pf_info_t in);
static int cm_pf_bound(cm_pf_read_t *rd, const unsigned char **pp,
    unsigned *min, unsigned *max);
static cm_pf_info_t cm_pf_group(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_verb(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_flags(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_sub(cm_pf_read_t *rd, unsigned kind);
static cm_pf_info_t cm_pf_class(cm_pf_read_t *rd);
static void cm_pf_class_escape(cm_pf_read_t *rd, unsigned char c,
    cm_pf_class_t *cl);
static void cm_pf_class_add(cm_pf_read_t *rd, cm_pf_class_t *cl,
    uint32_t lo, uint32_t hi);
static cm_pf_info_t cm_pf_class_info(cm_pf_read_t *rd, cm_pf_class_t *cl);
static unsigned cm_pf_prefix_usable(const unsigned char *b, size_t len);
static size_t cm_pf_utf8(uint32_t c, unsigned char *b);
static cm_pf_info_t cm_pf_escape(cm_pf_read_t *rd);
static int cm_pf_escape_char(cm_pf_read_t *rd, uint32_t *cp);
static void cm_pf_skip_name(cm_pf_read_t *rd, unsigned char close);
static void cm_pf_skip_x(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_char(cm_pf_read_t *rd, uint32_t cp);
static cm_pf_info_t cm_pf_chars(cm_pf_read_t *rd, const uint32_t *cps,
    size_t n);
static cm_pf_info_t cm_pf_empty(cm_pf_read_t *rd);
static cm_pf_info_t cm_pf_any(void);
static cm_pf_info_t cm_pf_need(cm_pf_node_t *n);
static cm_pf_info_t cm_pf_concat(cm_pf_read_t *rd, cm_pf_info_t a,
    cm_pf_info_t b);
static cm_pf_info_t cm_pf_union(cm_pf_read_t *rd, cm_pf_info_t a,
    cm_pf_info_t b);
static cm_pf_info_t cm_pf_optional(cm_pf_read_t *rd, cm_pf_info_t a);
static cm_pf_info_t cm_pf_inexact(cm_pf_read_t *rd, cm_pf_info_t a);
static cm_pf_info_t cm_pf_repeat(cm_pf_read_t *rd, cm_pf_info_t a);
static cm_pf_str_t *cm_pf_pre(cm_pf_info_t *in, size_t *n);
static cm_pf_info_t cm_pf_alt_pre(cm_pf_read_t *rd, cm_pf_info_t a,
    cm_pf_info_t b, cm_pf_node_t *match);
static cm_pf_node_t *cm_pf_match(cm_pf_read_t *rd, cm_pf_info_t a);
static cm_pf_node_t *cm_pf_atoms(cm_pf_read_t *rd, cm_pf_str_t *strs,
    size_t n, unsigned weak);
static cm_pf_node_t *cm_pf_and(cm_pf_read_t *rd, cm_pf_node_t *a,
    cm_pf_node_t *b);
static cm_pf_node_t *cm_pf_or(cm_pf_read_t *rd, cm_pf_node_t *a,
    cm_pf_node_t *b);
static cm_pf_node_t *cm_pf_join(cm_pf_read_t *rd, unsigned op,
    cm_pf_node_t *a, cm_pf_node_t *b);
static int cm_pf_same(const cm_pf_node_t *a, const cm_pf_node_t *b);
static unsigned cm_pf_usable(const cm_pf_str_t *s);
static unsigned cm_pf_anchor_usable(const cm_pf_str_t *s);
static void *cm_pf_palloc(cm_pf_read_t *rd, size_t size);
static void cm_pf_pfree(cm_pf_read_t *rd);
static int cm_pf_store(cm_pf_t *pf, uint32_t index, cm_pf_node_t *root);
static int cm_pf_store_node(cm_pf_t *pf, cm_pf_node_t *n, uint32_t parent);
static int cm_pf_use(cm_pf_t *pf, const cm_pf_str_t *str,
    uint32_t parent);
static int cm_pf_new_node(cm_pf_t *pf, unsigned op, uint32_t need,
    uint32_t parent, uint32_t *id);
static int cm_pf_add_always(cm_pf_t *pf, uint32_t index);
static void *cm_pf_alloc(cm_pf_t *pf, size_t size);
static int cm_pf_use_cmp(const void *a, const void *b);
static int cm_pf_u32_cmp(const void *a, const void *b);
static int cm_pf_hit(void *ctx, uint32_t value, uint32_t len, size_t end,
    unsigned tag);
static void cm_pf_describe_node(const cm_pf_t *pf, uint32_t node,
    cm_pf_w_t *w);
static void cm_pf_put(cm_pf_w_t *w, const char *s, size_t n);


cm_pf_t *
cm_pf_create(const cm_alloc_t *a)
{
    cm_pf_t  *pf;

    pf = a->alloc(a->data, sizeof(cm_pf_t));
    if (pf == NULL) {
        return NULL;
    }

    memset(pf, 0, sizeof(cm_pf_t));

    pf->alloc = *a;

    return pf;
}


int
cm_pf_add(cm_pf_t *pf, uint32_t index, const unsigned char *pat,
    size_t len, uint32_t options, unsigned norm)
{
    int            rc;
    size_t         i, k, npre;
    cm_pf_str_t   *pre;
    cm_pf_info_t   in;
    cm_pf_node_t  *root;
    cm_pf_read_t   rd;

    if (index >= CM_PF_ROOT) {
        return CM_ERROR;
    }

    memset(&rd, 0, sizeof(cm_pf_read_t));

    rd.pf = pf;
    rd.p = pat;
    rd.end = pat + len;
    rd.caseless = (options & PCRE2_CASELESS) != 0;
    rd.extended = (options & PCRE2_EXTENDED) != 0;
    rd.norm = norm;

    in = cm_pf_alt(&rd);

    /* a ")" too many ends the reading early: what follows is unknown */

    if (rd.p < rd.end) {
        rd.unknown = 1;
    }

    pre = rd.unknown ? NULL : cm_pf_pre(&in, &npre);
    root = rd.unknown ? NULL : cm_pf_match(&rd, in);

    if (rd.nomem) {
        cm_pf_pfree(&rd);
        return CM_ERROR;
    }

    if (index > pf->max_index) {
        pf->max_index = index;
    }

    pf->npatterns++;

    rc = (root == NULL) ? cm_pf_add_always(pf, index)
                        : cm_pf_store(pf, index, root);

    /* every match starts with one of a few strings: PCRE2 tries there */

    if (rc == CM_OK && root && pre && npre <= CM_PF_PRE_MAX) {
        for (i = 0; i < npre && cm_pf_anchor_usable(&pre[i]); i++) {
            /* void */
        }

        for (k = 0; i == npre && k < npre && rc == CM_OK; k++) {
            rc = cm_pf_use(pf, &pre[k], index | CM_PF_ROOT);
        }
    }

    cm_pf_pfree(&rd);

    return rc;
}


int
cm_pf_build(cm_pf_t *pf)
{
    size_t            i, k, n, w, off;
    cm_ac_builder_t  *b;

    if (pf->nuses) {
        qsort(pf->uses, pf->nuses, sizeof(cm_pf_use_t), cm_pf_use_cmp);
    }

    /* atoms: the distinct strings; their parents in one array */

    pf->atom_first = cm_pf_alloc(pf, (pf->nuses + 1) * sizeof(uint32_t));
    pf->atom_parent = cm_pf_alloc(pf, (pf->nuses + 1) * sizeof(uint32_t));

    if (pf->atom_first == NULL || pf->atom_parent == NULL) {
        return CM_ERROR;
    }

    b = cm_ac_builder_create(&pf->alloc, 1, NULL);
    if (b == NULL) {
        return CM_ERROR;
    }

    /* the strings, kept to describe the formulas (cm_pf_describe) */

    for (i = 0, k = 0; i < pf->nuses; i++) {
        k += pf->uses[i].str.len;
    }

    pf->blob = cm_pf_alloc(pf, k);
    pf->atom_off = cm_pf_alloc(pf, (pf->nuses + 1) * sizeof(uint32_t));

    if (pf->blob == NULL || pf->atom_off == NULL) {
        cm_ac_builder_free(b);
        return CM_ERROR;
    }

    n = 0;
    w = 0;
    off = 0;

    for (i = 0; i < pf->nuses; i = k) {
        pf->atom_first[n] = (uint32_t) w;
        pf->atom_off[n] = (uint32_t) off;

        memcpy(pf->blob + off, pf->uses[i].str.data, pf->uses[i].str.len);
        off += pf->uses[i].str.len;

        for (k = i; k < pf->nuses; k++) {
            if (pf->uses[k].str.len != pf->uses[i].str.len
                || memcmp(pf->uses[k].str.data, pf->uses[i].str.data,
                          pf->uses[i].str.len) != 0)
            {
                break;
            }

            /* a node that has the atom twice has it once: an AND counts */

            if (k == i || pf->uses[k].parent != pf->uses[k - 1].parent) {
                pf->atom_parent[w++] = pf->uses[k].parent;
            }
        }

        if (cm_ac_add(b, pf->uses[i].str.data, pf->uses[i].str.len,
                      (uint32_t) n)
            != CM_OK)
        {
            cm_ac_builder_free(b);
            return CM_ERROR;
        }

        n++;
    }

    pf->atom_first[n] = (uint32_t) w;
    pf->atom_off[n] = (uint32_t) off;
    pf->natoms = n;

    pf->ac = cm_ac_build(b);
    if (pf->ac == NULL) {
        return CM_ERROR;
    }

    pf->memory += cm_ac_memory(pf->ac);

    for (i = 0; i < pf->nuses; i++) {
        pf->alloc.free(pf->alloc.data, pf->uses[i].str.data);
        pf->uses[i].str.data = NULL;
    }

    pf->alloc.free(pf->alloc.data, pf->uses);
    pf->uses = NULL;

    pf->op = pf->op_b;
    pf->need = pf->need_b;
    pf->parent = pf->parent_b;
    pf->always = pf->always_b;

    if (pf->nalways) {
        qsort(pf->always, pf->nalways, sizeof(uint32_t), cm_pf_u32_cmp);
    }

    pf->is_always = cm_pf_alloc(pf, pf->max_index + 1);
    if (pf->is_always == NULL) {
        return CM_ERROR;
    }

    memset(pf->is_always, 0, pf->max_index + 1);

    for (i = 0; i < pf->nalways; i++) {
        pf->is_always[pf->always[i]] = 1;
    }

    pf->anchored = cm_pf_alloc(pf, pf->max_index + 1);
    pf->atom_anchor = cm_pf_alloc(pf, n + 1);

    if (pf->anchored == NULL || pf->atom_anchor == NULL) {
        return CM_ERROR;
    }

    memset(pf->anchored, 0, pf->max_index + 1);
    memset(pf->atom_anchor, 0, n + 1);

    for (i = 0; i < n; i++) {
        for (k = pf->atom_first[i]; k < pf->atom_first[i + 1]; k++) {
            if (pf->atom_parent[k] & CM_PF_ROOT) {
                pf->atom_anchor[i] = 1;
                pf->anchored[pf->atom_parent[k] & ~CM_PF_ROOT] = 1;
            }
        }
    }

    return CM_OK;
}


void
cm_pf_free(cm_pf_t *pf)
{
    size_t  i;

    if (pf == NULL) {
        return;
    }

    if (pf->uses) {
        for (i = 0; i < pf->nuses; i++) {
            if (pf->uses[i].str.data) {
                pf->alloc.free(pf->alloc.data, pf->uses[i].str.data);
            }
        }

        pf->alloc.free(pf->alloc.data, pf->uses);
    }

    cm_ac_free(pf->ac);

    if (pf->atom_first) {
        pf->alloc.free(pf->alloc.data, pf->atom_first);
    }

    if (pf->atom_parent) {
        pf->alloc.free(pf->alloc.data, pf->atom_parent);
    }

    if (pf->op_b) {
        pf->alloc.free(pf->alloc.data, pf->op_b);
        pf->alloc.free(pf->alloc.data, pf->need_b);
        pf->alloc.free(pf->alloc.data, pf->parent_b);
    }

    if (pf->always_b) {
        pf->alloc.free(pf->alloc.data, pf->always_b);
    }

    if (pf->is_always) {
        pf->alloc.free(pf->alloc.data, pf->is_always);
    }

    if (pf->blob) {
        pf->alloc.free(pf->alloc.data, pf->blob);
    }

    if (pf->anchored) {
        pf->alloc.free(pf->alloc.data, pf->anchored);
    }

    if (pf->atom_anchor) {
        pf->alloc.free(pf->alloc.data, pf->atom_anchor);
    }

    if (pf->atom_off) {
        pf->alloc.free(pf->alloc.data, pf->atom_off);
    }

    pf->alloc.free(pf->alloc.data, pf);
}


size_t
cm_pf_npatterns(const cm_pf_t *pf)
{
    return pf->npatterns;
}


size_t
cm_pf_nalways(const cm_pf_t *pf)
{
    return pf->nalways;
}


size_t
cm_pf_natoms(const cm_pf_t *pf)
{
    return pf->natoms;
}


size_t
cm_pf_memory(const cm_pf_t *pf)
{
    return pf->memory;
}


const uint32_t *
cm_pf_always(const cm_pf_t *pf)
{
    return pf->always;
}


unsigned
cm_pf_is_anchored(const cm_pf_t *pf, uint32_t index)
{
    return index <= pf->max_index && pf->anchored[index];
}


unsigned
cm_pf_is_always(const cm_pf_t *pf, uint32_t index)
{
    return index <= pf->max_index && pf->is_always[index];
}


/*
 * The formula of a pattern as text, "AND(OR(\"slot\", \"judi\"), ...)",
 * cut to fit; for moderators (comment-check --list) and tests.  Walks
 * the tables: slow, but only ever asked for one pattern at a time.
 */

size_t
cm_pf_describe(const cm_pf_t *pf, uint32_t index, char *buf, size_t len)
{
    size_t     n, root;
    cm_pf_w_t  w;

    if (len == 0) {
        return 0;
    }

    buf[0] = '\0';

    if (index <= pf->max_index && pf->is_always && pf->is_always[index]) {
        return snprintf(buf, len, "always");
    }

    for (root = 0; root < pf->nnodes; root++) {
        if (pf->parent[root] == (index | CM_PF_ROOT)) {
            break;
        }
    }

    if (root == pf->nnodes) {
        return snprintf(buf, len, "none");
    }

    w.buf = buf;
    w.len = len;
    w.n = 0;

    cm_pf_describe_node(pf, (uint32_t) root, &w);

    n = w.n < len ? w.n : len - 1;
    buf[n] = '\0';

    return n;
}


static void
cm_pf_describe_node(const cm_pf_t *pf, uint32_t node, cm_pf_w_t *w)
{
    size_t    a, k, first;
    uint32_t  c;

    cm_pf_put(w, pf->op[node] == CM_PF_AND ? "AND(" : "OR(", 0);

    first = 1;

    for (a = 0; a < pf->natoms; a++) {
        for (k = pf->atom_first[a]; k < pf->atom_first[a + 1]; k++) {
            if (pf->atom_parent[k] != node) {
                continue;
            }

            if (!first) {
                cm_pf_put(w, ", ", 0);
            }

            first = 0;

            cm_pf_put(w, "\"", 0);
            cm_pf_put(w, (const char *) pf->blob + pf->atom_off[a],
                      pf->atom_off[a + 1] - pf->atom_off[a]);
            cm_pf_put(w, "\"", 0);
        }
    }

    for (c = 0; c < pf->nnodes; c++) {
        if (pf->parent[c] != node) {
            continue;
        }

        if (!first) {
            cm_pf_put(w, ", ", 0);
        }

        first = 0;

        cm_pf_describe_node(pf, c, w);
    }

    cm_pf_put(w, ")", 0);
}


static void
cm_pf_put(cm_pf_w_t *w, const char *s, size_t n)
{
    size_t  k;

    if (n == 0) {
        n = strlen(s);
    }

    for (k = 0; k < n; k++, w->n++) {
        if (w->n + 1 < w->len) {
            w->buf[w->n] = s[k];
        }
    }
}


size_t
cm_pf_state_size(const cm_pf_t *pf)
{
    return pf->natoms * (1 + sizeof(uint32_t))
           + pf->nnodes * 2 * sizeof(uint32_t) + 16;
}


int
cm_pf_scan(const cm_pf_t *pf, void *mem, const unsigned char *text,
    size_t len, cm_pf_cand_pt cand, cm_pf_anchor_pt anchor, void *ctx)
{
    int            rc;
    size_t         i;
    cm_pf_scan_t   sc;

    if (pf->natoms == 0) {
        return 0;
    }

    sc.pf = pf;
    sc.count = mem;
    sc.nodes = sc.count + pf->nnodes;
    sc.atoms = sc.nodes + pf->nnodes;
    sc.seen = (unsigned char *) (sc.atoms + pf->natoms);
    sc.natoms = 0;
    sc.nnodes = 0;
    sc.cand = cand;
    sc.anchor = anchor;
    sc.ctx = ctx;

    rc = cm_ac_scan(pf->ac, text, len, cm_pf_hit, &sc);

    /* the state is zero again for the next scan */

    for (i = 0; i < sc.natoms; i++) {
        sc.seen[sc.atoms[i]] = 0;
    }

    for (i = 0; i < sc.nnodes; i++) {
        sc.count[sc.nodes[i]] = 0;
    }

    /* the lists too: another rule set lays the same memory out otherwise */

    memset(sc.atoms, 0, sc.natoms * sizeof(uint32_t));
    memset(sc.nodes, 0, sc.nnodes * sizeof(uint32_t));

    return rc;
}


/* an atom found: the nodes above it that now fire, up to the patterns */

static int
cm_pf_hit(void *ctx, uint32_t value, uint32_t len, size_t end,
    unsigned tag)
{
    int             rc;
    uint32_t        k, n, p;
    cm_pf_scan_t   *sc = ctx;
    const cm_pf_t  *pf;

    pf = sc->pf;

    /* every occurrence of an anchor: where its patterns may match */

    if (pf->atom_anchor[value] && sc->anchor) {
        for (k = pf->atom_first[value]; k < pf->atom_first[value + 1]; k++) {
            n = pf->atom_parent[k];

            if (n & CM_PF_ROOT) {
                rc = sc->anchor(sc->ctx, n & ~CM_PF_ROOT, end - len);
                if (rc) {
                    return rc;
                }
            }
        }
    }

    if (sc->seen[value]) {
        return 0;
    }

    sc->seen[value] = 1;
    sc->atoms[sc->natoms++] = value;

    for (k = pf->atom_first[value]; k < pf->atom_first[value + 1]; k++) {
        n = pf->atom_parent[k];

        if (n & CM_PF_ROOT) {
            continue;
        }

        for ( ;; ) {
            if (sc->count[n]++ == 0) {
                sc->nodes[sc->nnodes++] = n;
            }

            if (sc->count[n] != pf->need[n]) {
                break;
            }

            p = pf->parent[n];

            if (p & CM_PF_ROOT) {
                rc = sc->cand(sc->ctx, p & ~CM_PF_ROOT);
                if (rc) {
                    return rc;
                }

                break;
            }

            n = p;
        }
    }

    return 0;
}


/* reading: alternatives | sequences | pieces with quantifiers */

static cm_pf_info_t
cm_pf_alt(cm_pf_read_t *rd)
{
    cm_pf_info_t  in, next;

    in = cm_pf_seq(rd);

    while (rd->p < rd->end && *rd->p == '|' && !rd->unknown) {
        rd->p++;
        next = cm_pf_seq(rd);
        in = cm_pf_union(rd, in, next);
    }

    return in;
}


/*
 * A sequence keeps the exact strings of consecutive exact pieces together
 * ("0", "\s?", "8" give "08", "0 8"); a piece that is not exact, or one
 * that would make the product too large, ends the run, which joins the
 * sequence's formula as the OR of its strings.
 */

static cm_pf_info_t
cm_pf_seq(cm_pf_read_t *rd)
{
    size_t         npre;
    unsigned       inexact;
    cm_pf_str_t   *pre;
    cm_pf_info_t   cur, piece, in;
    cm_pf_node_t  *acc;

    cur = cm_pf_empty(rd);
    acc = NULL;
    inexact = 0;
    pre = NULL;
    npre = 0;

    for ( ;; ) {
        cm_pf_skip_x(rd);

        if (rd->p == rd->end || *rd->p == '|' || *rd->p == ')'
            || rd->unknown || rd->nomem)
        {
            break;
        }

        piece = cm_pf_atom(rd);
        piece = cm_pf_quant(rd, piece);

        if (piece.exact && cur.exact && cur.n * piece.n <= CM_PF_CROSS_MAX) {
            cur = cm_pf_concat(rd, cur, piece);
            continue;
        }

        /* where the run ends first: what every match starts with */

        if (!inexact) {
            pre = (cur.n == 1 && cur.strs[0].len == 0)
                  ? cm_pf_pre(&piece, &npre) : cm_pf_pre(&cur, &npre);
        }

        inexact = 1;
        acc = cm_pf_and(rd, acc, cm_pf_match(rd, cur));

        if (piece.exact) {
            cur = piece;
            continue;
        }

        acc = cm_pf_and(rd, acc, piece.match);
        cur = cm_pf_empty(rd);
    }

    if (!inexact) {
        return cur;
    }

    in = cm_pf_need(cm_pf_and(rd, acc, cm_pf_match(rd, cur)));
    in.pre = pre;
    in.npre = npre;

    return in;
}


static cm_pf_info_t
cm_pf_atom(cm_pf_read_t *rd)
{
    size_t    k;
    uint32_t  cp;

    switch (*rd->p) {

    case '(':
        rd->p++;
        return cm_pf_group(rd);

    case '[':
        rd->p++;
        return cm_pf_class(rd);

    case '\\':
        rd->p++;
        return cm_pf_escape(rd);

    case '.':
        rd->p++;
        return cm_pf_any();

    case '^':
    case '$':
        rd->p++;
        return cm_pf_empty(rd);

    case '*':
    case '+':
    case '?':
        /* a quantifier with nothing before it: PCRE2 refuses it */
        rd->unknown = 1;
        return cm_pf_any();

    default:
        break;
    }

    k = cm_utf8_decode(rd->p, rd->end - rd->p, &cp);

    if (k == 0) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    rd->p += k;

    return cm_pf_char(rd, cp);
}


static cm_pf_info_t
cm_pf_quant(cm_pf_read_t *rd, cm_pf_info_t in)
{
    unsigned              min, max;
    cm_pf_info_t          rep;
    const unsigned char  *p;

    cm_pf_skip_x(rd);

    if (rd->p == rd->end) {
        return in;
    }

    p = rd->p;

    switch (*p) {

    case '*':
        min = 0;
        max = 2;
        p++;
        break;

    case '+':
        min = 1;
        max = 2;
        p++;
        break;

    case '?':
        min = 0;
        max = 1;
        p++;
        break;

    case '{':
        if (cm_pf_bound(rd, &p, &min, &max) != CM_OK) {
            return in;      /* a literal "{" */
        }

        break;

    default:
        return in;
    }

    /* lazy or possessive: the same strings */

    if (p < rd->end && (*p == '?' || *p == '+')) {
        p++;
    }

    rd->p = p;

    cm_pf_skip_x(rd);

    if (rd->p < rd->end
        && (*rd->p == '*' || *rd->p == '+' || *rd->p == '?'))
    {
        rd->unknown = 1;
        return cm_pf_any();
    }

    if (min == 1 && max == 1) {
        return in;
    }

    /* a few exact copies: "x{2}yz" needs "xxyz" */

    if (min == max && min <= 4 && in.exact) {
        rep = in;

        while (--min) {
            rep = cm_pf_concat(rd, rep, in);
        }

        return rep;
    }

    /* the normalised text has single spaces: \s+ is " ", \s* "" or " " */

    if (rd->norm && in.exact && in.n == 1 && in.strs[0].len == 1
        && in.strs[0].data[0] == ' ')
    {
        return min ? in : cm_pf_optional(rd, in);
    }

    if (min == 0 && max == 1) {
        return cm_pf_optional(rd, in);
    }

    if (min == 0) {
        return cm_pf_any();
    }

    /* once at least, perhaps more: needs, and starts, as one does */

    return cm_pf_repeat(rd, in);
}


/* {n}, {n,}, {n,m}, {,m}; no upper bound is 100000 */

static int
cm_pf_bound(cm_pf_read_t *rd, const unsigned char **pp, unsigned *min,
    unsigned *max)
{
    unsigned              n, m, digits, comma, mdigits;
    const unsigned char  *p;

    p = *pp + 1;
    n = 0;
    m = 0;
    digits = 0;
    mdigits = 0;
    comma = 0;

    while (p < rd->end && *p >= '0' && *p <= '9') {
        if (n < 100000) {
            n = n * 10 + (*p - '0');
        }

        digits++;
        p++;
    }

    if (p < rd->end && *p == ',') {
        comma = 1;
        p++;

        while (p < rd->end && *p >= '0' && *p <= '9') {
            if (m < 100000) {
                m = m * 10 + (*p - '0');
            }

            mdigits++;
            p++;
        }
    }

    if (p == rd->end || *p != '}' || (digits == 0 && mdigits == 0)) {
        return CM_ERROR;
    }

    *pp = p + 1;

    *min = n;

    if (!comma) {
        m = n;

    } else if (mdigits == 0) {
        m = 100000;
    }

    *max = m;

    return CM_OK;
}


/* after "(" */

static cm_pf_info_t
cm_pf_group(cm_pf_read_t *rd)
{
    const unsigned char  *p;

    if (rd->p == rd->end) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    if (*rd->p == '*') {
        rd->p++;
        return cm_pf_verb(rd);
    }

    if (*rd->p != '?') {
        return cm_pf_sub(rd, ':');
    }

    p = ++rd->p;

    if (p == rd->end) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    switch (*p) {

    case ':':
    case '|':
    case '>':
    case '=':
    case '!':
        rd->p++;
        return cm_pf_sub(rd, *p);

    case '<':
        if (p + 1 < rd->end && (p[1] == '=' || p[1] == '!')) {
            rd->p += 2;
            return cm_pf_sub(rd, p[1]);
        }

        rd->p++;
        cm_pf_skip_name(rd, '>');
        return cm_pf_sub(rd, ':');

    case '\'':
        rd->p++;
        cm_pf_skip_name(rd, '\'');
        return cm_pf_sub(rd, ':');

    case 'P':
        if (p + 1 < rd->end && p[1] == '<') {
            rd->p += 2;
            cm_pf_skip_name(rd, '>');
            return cm_pf_sub(rd, ':');
        }

        if (p + 1 < rd->end && p[1] == '=') {
            /* (?P=name): a back reference */
            rd->p += 2;
            cm_pf_skip_name(rd, ')');
            return cm_pf_any();
        }

        rd->unknown = 1;
        return cm_pf_any();

    case '#':
        while (rd->p < rd->end && *rd->p != ')') {
            rd->p++;
        }

        if (rd->p == rd->end) {
            rd->unknown = 1;
            return cm_pf_any();
        }

        rd->p++;
        return cm_pf_empty(rd);

    default:
        return cm_pf_flags(rd);
    }
}


/*
 * (*VERB) and (*VERB:NAME): backtracking control, no text.  (*ACCEPT)
 * ends a match early and the (*name:...) forms of assertions hold a
 * pattern: neither is understood.
 */

static cm_pf_info_t
cm_pf_verb(cm_pf_read_t *rd)
{
    size_t                len;
    const unsigned char  *name;

    name = rd->p;

    while (rd->p < rd->end && *rd->p != ')' && *rd->p != ':') {
        rd->p++;
    }

    len = rd->p - name;

    if (rd->p == rd->end) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    if (len == 6 && memcmp(name, "ACCEPT", 6) == 0) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    if (*rd->p == ':'
        && !(len == 0
             || (len == 4 && memcmp(name, "MARK", 4) == 0)
             || (len == 4 && memcmp(name, "SKIP", 4) == 0)
             || (len == 4 && memcmp(name, "THEN", 4) == 0)
             || (len == 5 && memcmp(name, "PRUNE", 5) == 0)
             || (len == 6 && memcmp(name, "COMMIT", 6) == 0)))
    {
        rd->unknown = 1;
        return cm_pf_any();
    }

    while (rd->p < rd->end && *rd->p != ')') {
        rd->p++;
    }

    if (rd->p == rd->end) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    rd->p++;

    return cm_pf_empty(rd);
}


/* (?i), (?x-s), (?i:...); anything else after "(?" is not understood */

static cm_pf_info_t
cm_pf_flags(cm_pf_read_t *rd)
{
    unsigned              on, off, caseless, extended;
    cm_pf_info_t          in;
    const unsigned char  *p;

    caseless = rd->caseless;
    extended = rd->extended;
    on = 1;

    for (p = rd->p; p < rd->end; p++) {

        switch (*p) {

        case 'i':
            caseless = on;
            continue;

        case 'x':
            extended = on;
            continue;

        case '-':
            on = 0;
            continue;

        case '^':
            caseless = 0;
            extended = 0;
            continue;

        case 's':
        case 'm':
        case 'n':
        case 'U':
        case 'J':
            continue;

        default:
            break;
        }

        break;
    }

    if (p == rd->end || (*p != ')' && *p != ':')) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    rd->p = p + 1;

    if (*p == ')') {
        /* to the end of the enclosing group: cm_pf_sub restores them */
        rd->caseless = caseless;
        rd->extended = extended;
        return cm_pf_empty(rd);
    }

    on = rd->caseless;
    off = rd->extended;

    rd->caseless = caseless;
    rd->extended = extended;

    in = cm_pf_sub(rd, ':');

    rd->caseless = on;
    rd->extended = off;

    return in;
}


/*
 * A group's content up to its ")": kind ':' (and '|', '>') is the group
 * itself, '=' a lookahead and 'L' ('=' after "<") a lookbehind: what
 * they need is needed, but they match no text of their own; '!' negative
 * assertions need nothing.
 */

static cm_pf_info_t
cm_pf_sub(cm_pf_read_t *rd, unsigned kind)
{
    unsigned      caseless, extended;
    cm_pf_info_t  in;

    if (++rd->depth > CM_PF_DEPTH_MAX) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    caseless = rd->caseless;
    extended = rd->extended;

    in = cm_pf_alt(rd);

    rd->caseless = caseless;
    rd->extended = extended;
    rd->depth--;

    if (rd->p == rd->end || *rd->p != ')') {
        rd->unknown = 1;
        return cm_pf_any();
    }

    rd->p++;

    switch (kind) {

    case '=':
        return cm_pf_inexact(rd, in);

    case '!':
        return cm_pf_empty(rd);

    default:
        return in;
    }
}


/*
 * [...]: a few characters are an exact set; more become the UTF-8
 * prefixes their matches start with ("\xF0\x9D\x90" for the bold
 * letters), which a text without them cannot match; a negated class, a
 * property or a class of letters is anything.
 */

static cm_pf_info_t
cm_pf_class(cm_pf_read_t *rd)
{
    size_t         k;
    uint32_t       cp, lo;
    unsigned       first;
    cm_pf_class_t  cl;

    cl.n = 0;
    cl.many = 0;
    first = 1;

    if (rd->p < rd->end && *rd->p == '^') {
        cl.many = 1;
        rd->p++;
    }

    for ( ;; ) {
        if (rd->p == rd->end) {
            rd->unknown = 1;
            return cm_pf_any();
        }

        if (*rd->p == ']' && !first) {
            rd->p++;
            break;
        }

        first = 0;

        if (*rd->p == '[' && rd->p + 1 < rd->end
            && (rd->p[1] == ':' || rd->p[1] == '.' || rd->p[1] == '='))
        {
            /* [:alpha:] */
            cl.many = 1;
            rd->p += 2;

            while (rd->p + 1 < rd->end
                   && !(rd->p[1] == ']'
                        && (*rd->p == ':' || *rd->p == '.'
                            || *rd->p == '=')))
            {
                rd->p++;
            }

            if (rd->p + 1 >= rd->end) {
                rd->unknown = 1;
                return cm_pf_any();
            }

            rd->p += 2;
            continue;
        }

        if (*rd->p == '\\') {
            rd->p++;

            if (rd->p == rd->end) {
                rd->unknown = 1;
                return cm_pf_any();
            }

            if (*rd->p == 'b') {
                cp = 0x08;
                rd->p++;

            } else if (*rd->p == 'Q' || *rd->p == 'E') {
                rd->unknown = 1;
                return cm_pf_any();

            } else if (cm_pf_escape_char(rd, &cp) != CM_OK) {
                if (rd->unknown) {
                    return cm_pf_any();
                }

                /* \d, \s, \p{..}: a set of its own */
                cm_pf_class_escape(rd, rd->p[-1], &cl);
                continue;
            }

        } else {
            k = cm_utf8_decode(rd->p, rd->end - rd->p, &cp);
            if (k == 0) {
                rd->unknown = 1;
                return cm_pf_any();
            }

            rd->p += k;
        }

        lo = cp;

        /* a range: "-" followed by anything but "]" */

        if (rd->p + 1 < rd->end && *rd->p == '-' && rd->p[1] != ']') {
            rd->p++;

            if (*rd->p == '\\') {
                rd->p++;

                if (rd->p == rd->end
                    || cm_pf_escape_char(rd, &cp) != CM_OK)
                {
                    rd->unknown = 1;
                    return cm_pf_any();
                }

            } else {
                k = cm_utf8_decode(rd->p, rd->end - rd->p, &cp);
                if (k == 0) {
                    rd->unknown = 1;
                    return cm_pf_any();
                }

                rd->p += k;
            }

            if (cp < lo) {
                rd->unknown = 1;
                return cm_pf_any();
            }
        }

        cm_pf_class_add(rd, &cl, lo, cp);
    }

    if (cl.many || cl.n == 0) {
        return cm_pf_any();
    }

    return cm_pf_class_info(rd, &cl);
}


/* Unicode's decimal digits (Nd) beyond ASCII: what \d matches in UCP */

static const uint32_t  cm_pf_nd[][2] = {
    { 0x00660, 0x00669 }, { 0x006f0, 0x006f9 }, { 0x007c0, 0x007c9 },
    { 0x00966, 0x0096f }, { 0x009e6, 0x009ef }, { 0x00a66, 0x00a6f },
    { 0x00ae6, 0x00aef }, { 0x00b66, 0x00b6f }, { 0x00be6, 0x00bef },
    { 0x00c66, 0x00c6f }, { 0x00ce6, 0x00cef }, { 0x00d66, 0x00d6f },
    { 0x00de6, 0x00def }, { 0x00e50, 0x00e59 }, { 0x00ed0, 0x00ed9 },
    { 0x00f20, 0x00f29 }, { 0x01040, 0x01049 }, { 0x01090, 0x01099 },
    { 0x017e0, 0x017e9 }, { 0x01810, 0x01819 }, { 0x01946, 0x0194f },
    { 0x019d0, 0x019d9 }, { 0x01a80, 0x01a89 }, { 0x01a90, 0x01a99 },
    { 0x01b50, 0x01b59 }, { 0x01bb0, 0x01bb9 }, { 0x01c40, 0x01c49 },
    { 0x01c50, 0x01c59 }, { 0x0a620, 0x0a629 }, { 0x0a8d0, 0x0a8d9 },
    { 0x0a900, 0x0a909 }, { 0x0a9d0, 0x0a9d9 }, { 0x0a9f0, 0x0a9f9 },
    { 0x0aa50, 0x0aa59 }, { 0x0abf0, 0x0abf9 }, { 0x0ff10, 0x0ff19 },
    { 0x104a0, 0x104a9 }, { 0x10d30, 0x10d39 }, { 0x11066, 0x1106f },
    { 0x110f0, 0x110f9 }, { 0x11136, 0x1113f }, { 0x111d0, 0x111d9 },
    { 0x112f0, 0x112f9 }, { 0x11450, 0x11459 }, { 0x114d0, 0x114d9 },
    { 0x11650, 0x11659 }, { 0x116c0, 0x116c9 }, { 0x11730, 0x11739 },
    { 0x118e0, 0x118e9 }, { 0x11950, 0x11959 }, { 0x11c50, 0x11c59 },
    { 0x11d50, 0x11d59 }, { 0x11da0, 0x11da9 }, { 0x11f50, 0x11f59 },
    { 0x16a60, 0x16a69 }, { 0x16ac0, 0x16ac9 }, { 0x16b50, 0x16b59 },
    { 0x1d7ce, 0x1d7ff }, { 0x1e140, 0x1e149 }, { 0x1e2f0, 0x1e2f9 },
    { 0x1e4f0, 0x1e4f9 }, { 0x1e950, 0x1e959 }, { 0x1fbf0, 0x1fbf9 }
};


/*
 * An escape for a set inside a class: \d is its ranges, \s in the
 * normalised text a space; anything else (\w, \p{L}) is too many.
 */

static void
cm_pf_class_escape(cm_pf_read_t *rd, unsigned char c, cm_pf_class_t *cl)
{
    size_t  i;

    if (c == 'd') {
        cm_pf_class_add(rd, cl, '0', '9');

        for (i = 0; i < sizeof(cm_pf_nd) / sizeof(cm_pf_nd[0]); i++) {
            cm_pf_class_add(rd, cl, cm_pf_nd[i][0], cm_pf_nd[i][1]);
        }

        return;
    }

    if (rd->norm && (c == 's' || c == 'h')) {
        cm_pf_class_add(rd, cl, ' ', ' ');
        return;
    }

    cl->many = 1;
}


/* a range of a class, lower case for ASCII letters */

static void
cm_pf_class_add(cm_pf_read_t *rd, cm_pf_class_t *cl, uint32_t lo,
    uint32_t hi)
{
    uint32_t  a, b;

    if (cl->many) {
        return;
    }

    /* ASCII letters of any case are one lower-case range */

    if (lo <= 'Z' && hi >= 'A') {
        a = lo > 'A' ? lo : 'A';
        b = hi < 'Z' ? hi : 'Z';

        cm_pf_class_add(rd, cl, a | 0x20, b | 0x20);

        if (lo < 'A') {
            cm_pf_class_add(rd, cl, lo, 'A' - 1);
        }

        if (hi > 'Z') {
            cm_pf_class_add(rd, cl, 'Z' + 1, hi);
        }

        return;
    }

    if (hi >= 0x80 && rd->caseless) {
        /* the cases of other letters are not worked out here */
        cl->many = 1;
        return;
    }

    if (cl->n == CM_PF_RANGES_MAX) {
        cl->many = 1;
        return;
    }

    cl->lo[cl->n] = lo;
    cl->hi[cl->n] = hi;
    cl->n++;
}


/*
 * A class read: up to CM_PF_CLASS_MAX characters exactly; more as the
 * UTF-8 prefixes of their characters, a weak formula (a class alone says
 * little: beside other atoms it is dropped), and what matches start with.
 */

static cm_pf_info_t
cm_pf_class_info(cm_pf_read_t *rd, cm_pf_class_t *cl)
{
    size_t          i, k, n, count, len, plen;
    uint32_t        c, chars[CM_PF_CLASS_MAX];
    cm_pf_str_t    *pre;
    cm_pf_info_t    in;
    cm_pf_node_t   *or;
    unsigned char   b[4];

    count = 0;

    for (i = 0; i < cl->n && count <= CM_PF_CLASS_MAX; i++) {
        count += cl->hi[i] - cl->lo[i] + 1;
    }

    if (count <= CM_PF_CLASS_MAX) {
        n = 0;

        for (i = 0; i < cl->n; i++) {
            for (c = cl->lo[i]; c <= cl->hi[i]; c++) {
                for (k = 0; k < n && chars[k] != c; k++) {
                    /* void */
                }

                if (k == n) {
                    chars[n++] = c;
                }
            }
        }

        return cm_pf_chars(rd, chars, n);
    }

    pre = cm_pf_palloc(rd, CM_PF_PREFIX_MAX * sizeof(cm_pf_str_t));
    if (pre == NULL) {
        return cm_pf_any();
    }

    n = 0;

    for (i = 0; i < cl->n; i++) {
        c = cl->lo[i];

        while (c <= cl->hi[i]) {
            len = cm_pf_utf8(c, b);

            /*
             * A whole character of up to 2 bytes; of a longer one all but
             * the last byte, which 64 characters in a row share.
             */

            plen = (len <= 2) ? len : len - 1;

            for (k = 0; k < n; k++) {
                if (pre[k].len == plen
                    && memcmp(pre[k].data, b, plen) == 0)
                {
                    break;
                }
            }

            if (k == n) {
                if (n == CM_PF_PREFIX_MAX || !cm_pf_prefix_usable(b, plen)) {
                    return cm_pf_any();
                }

                pre[n].data = cm_pf_palloc(rd, plen);
                if (pre[n].data == NULL) {
                    return cm_pf_any();
                }

                memcpy(pre[n].data, b, plen);
                pre[n].len = plen;
                n++;
            }

            /* on to the next character with another prefix */

            c = (len <= 2) ? c + 1 : (c | 0x3f) + 1;
        }
    }

    or = cm_pf_atoms(rd, pre, n, 1);

    in = cm_pf_need(or);
    in.pre = pre;
    in.npre = n;

    return in;
}


/* a prefix worth finding: a byte that is not a letter or a space */

static unsigned
cm_pf_prefix_usable(const unsigned char *b, size_t len)
{
    if (len > 1) {
        return 1;
    }

    return b[0] > ' ' && b[0] < 0x7f && !(b[0] >= 'a' && b[0] <= 'z');
}


static size_t
cm_pf_utf8(uint32_t c, unsigned char *b)
{
    if (c < 0x80) {
        b[0] = (unsigned char) c;
        return 1;
    }

    if (c < 0x800) {
        b[0] = (unsigned char) (0xc0 | (c >> 6));
        b[1] = (unsigned char) (0x80 | (c & 0x3f));
        return 2;
    }

    if (c < 0x10000) {
        b[0] = (unsigned char) (0xe0 | (c >> 12));
        b[1] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
        b[2] = (unsigned char) (0x80 | (c & 0x3f));
        return 3;
    }

    b[0] = (unsigned char) (0xf0 | (c >> 18));
    b[1] = (unsigned char) (0x80 | ((c >> 12) & 0x3f));
    b[2] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
    b[3] = (unsigned char) (0x80 | (c & 0x3f));

    return 4;
}


/* after "\" outside a class */

static cm_pf_info_t
cm_pf_escape(cm_pf_read_t *rd)
{
    size_t                k;
    uint32_t              cp;
    cm_pf_info_t          in, c;
    cm_pf_class_t         cl;
    const unsigned char  *q;

    if (rd->p == rd->end) {
        rd->unknown = 1;
        return cm_pf_any();
    }

    switch (*rd->p) {

    case 'b':
    case 'B':
    case 'A':
    case 'Z':
    case 'z':
    case 'G':
    case 'K':
    case 'E':
        rd->p++;
        return cm_pf_empty(rd);

    case 's':
    case 'h':
        rd->p++;
        return rd->norm ? cm_pf_char(rd, ' ') : cm_pf_any();

    case 'd':
        rd->p++;
        cl.n = 0;
        cl.many = 0;
        cm_pf_class_escape(rd, 'd', &cl);
        return cl.many ? cm_pf_any() : cm_pf_class_info(rd, &cl);

    case 'Q':
        rd->p++;
        in = cm_pf_empty(rd);

        for ( ;; ) {
            if (rd->p == rd->end) {
                return in;
            }

            if (*rd->p == '\\' && rd->p + 1 < rd->end && rd->p[1] == 'E') {
                rd->p += 2;
                return in;
            }

            k = cm_utf8_decode(rd->p, rd->end - rd->p, &cp);
            if (k == 0) {
                rd->unknown = 1;
                return cm_pf_any();
            }

            rd->p += k;

            c = cm_pf_char(rd, cp);
            in = cm_pf_concat(rd, in, c);
        }

    case 'g':
    case 'k':
        /* back references by number or name */
        rd->p++;

        if (rd->p < rd->end
            && (*rd->p == '{' || *rd->p == '<' || *rd->p == '\''))
        {
            q = rd->p++;
            cm_pf_skip_name(rd, *q == '{' ? '}' : (*q == '<' ? '>' : '\''));
            return cm_pf_any();
        }

        q = rd->p;

        if (q < rd->end && (*q == '-' || *q == '+')) {
            q++;
        }

        while (q < rd->end && *q >= '0' && *q <= '9') {
            q++;
        }

        rd->p = q;
        return cm_pf_any();

    default:
        break;
    }

    if (*rd->p >= '1' && *rd->p <= '9') {
        /* a back reference (or an octal escape): any text */
        while (rd->p < rd->end && *rd->p >= '0' && *rd->p <= '9') {
            rd->p++;
        }

        return cm_pf_any();
    }

    if (cm_pf_escape_char(rd, &cp) != CM_OK) {
        return cm_pf_any();
    }

    return cm_pf_char(rd, cp);
}


/*
 * An escape that stands for one character (rd->p after "\"): CM_OK and
 * the code point, or CM_ERROR for a class of characters (\d, \p{L}; then
 * rd->p is past it) or an escape not understood (rd->unknown is set).
 */

static int
cm_pf_escape_char(cm_pf_read_t *rd, uint32_t *cp)
{
    size_t         k;
    uint32_t       v;
    unsigned       d, base, braces, max;
    unsigned char  c;

    c = *rd->p++;

    switch (c) {

    case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
    case 'h': case 'H': case 'v': case 'V': case 'R': case 'X':
        return CM_ERROR;

    case 'N':
        if (rd->p < rd->end && *rd->p == '{') {
            /* \N{U+hh} */
            if (rd->end - rd->p < 4 || rd->p[1] != 'U' || rd->p[2] != '+') {
                rd->unknown = 1;
                return CM_ERROR;
            }

            rd->p += 3;
            base = 16;
            braces = 1;
            max = 8;
            goto number;
        }

        return CM_ERROR;

    case 'p':
    case 'P':
        if (rd->p < rd->end && *rd->p == '{') {
            while (rd->p < rd->end && *rd->p != '}') {
                rd->p++;
            }

            if (rd->p == rd->end) {
                rd->unknown = 1;
                return CM_ERROR;
            }
        }

        if (rd->p < rd->end) {
            rd->p++;
        }

        return CM_ERROR;

    case 'n':
        *cp = '\n';
        return CM_OK;

    case 't':
        *cp = '\t';
        return CM_OK;

    case 'r':
        *cp = '\r';
        return CM_OK;

    case 'f':
        *cp = '\f';
        return CM_OK;

    case 'e':
        *cp = 0x1b;
        return CM_OK;

    case 'a':
        *cp = 0x07;
        return CM_OK;

    case 'x':
        base = 16;
        braces = (rd->p < rd->end && *rd->p == '{');
        max = braces ? 8 : 2;
        rd->p += braces;
        goto number;

    case 'o':
        if (rd->p == rd->end || *rd->p != '{') {
            rd->unknown = 1;
            return CM_ERROR;
        }

        rd->p++;
        base = 8;
        braces = 1;
        max = 11;
        goto number;

    case '0':
        base = 8;
        braces = 0;
        max = 2;
        goto number;

    default:
        break;
    }

    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        rd->unknown = 1;
        return CM_ERROR;
    }

    /* an escaped punctuation or non-ASCII character is itself */

    rd->p--;

    k = cm_utf8_decode(rd->p, rd->end - rd->p, cp);
    if (k == 0) {
        rd->unknown = 1;
        return CM_ERROR;
    }

    rd->p += k;

    return CM_OK;

number:

    v = 0;
    k = 0;

    while (rd->p < rd->end && k < max) {
        c = *rd->p;

        if (c >= '0' && c <= '9') {
            d = c - '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            d = (c | 0x20) - 'a' + 10;

        } else {
            break;
        }

        if (d >= base) {
            break;
        }

        v = v * base + d;
        k++;
        rd->p++;
    }

    if (braces) {
        if (rd->p == rd->end || *rd->p != '}' || k == 0) {
            rd->unknown = 1;
            return CM_ERROR;
        }

        rd->p++;
    }

    if (v > 0x10ffff) {
        rd->unknown = 1;
        return CM_ERROR;
    }

    *cp = v;

    return CM_OK;
}


/* a group name or reference up to and past its closing character */

static void
cm_pf_skip_name(cm_pf_read_t *rd, unsigned char close)
{
    while (rd->p < rd->end && *rd->p != close) {
        rd->p++;
    }

    if (rd->p == rd->end) {
        rd->unknown = 1;
        return;
    }

    rd->p++;
}


/* extended mode: white space and # comments between pieces */

static void
cm_pf_skip_x(cm_pf_read_t *rd)
{
    if (!rd->extended) {
        return;
    }

    while (rd->p < rd->end) {
        if (*rd->p == ' ' || (*rd->p >= '\t' && *rd->p <= '\r')) {
            rd->p++;
            continue;
        }

        if (*rd->p == '#') {
            while (rd->p < rd->end && *rd->p != '\n') {
                rd->p++;
            }

            continue;
        }

        break;
    }
}


/* one literal character */

static cm_pf_info_t
cm_pf_char(cm_pf_read_t *rd, uint32_t cp)
{
    if (cp >= 0x80 && rd->caseless) {
        return cm_pf_any();
    }

    if (cp >= 'A' && cp <= 'Z') {
        cp |= 0x20;
    }

    return cm_pf_chars(rd, &cp, 1);
}


/* the exact set of these characters, as UTF-8 */

static cm_pf_info_t
cm_pf_chars(cm_pf_read_t *rd, const uint32_t *cps, size_t n)
{
    size_t          i;
    cm_pf_info_t    in;
    unsigned char  *b;

    in.exact = 1;
    in.match = NULL;
    in.pre = NULL;
    in.npre = 0;
    in.n = n;
    in.strs = cm_pf_palloc(rd, n * sizeof(cm_pf_str_t));

    if (in.strs == NULL) {
        return cm_pf_any();
    }

    for (i = 0; i < n; i++) {
        b = cm_pf_palloc(rd, 4);
        if (b == NULL) {
            return cm_pf_any();
        }

        in.strs[i].data = b;
        in.strs[i].len = cm_pf_utf8(cps[i], b);
    }

    return in;
}


static cm_pf_info_t
cm_pf_empty(cm_pf_read_t *rd)
{
    cm_pf_info_t  in;

    in.exact = 1;
    in.match = NULL;
    in.pre = NULL;
    in.npre = 0;
    in.n = 1;
    in.strs = cm_pf_palloc(rd, sizeof(cm_pf_str_t));

    if (in.strs == NULL) {
        return cm_pf_any();
    }

    in.strs[0].data = NULL;
    in.strs[0].len = 0;

    return in;
}


/* anything: no string is needed */

static cm_pf_info_t
cm_pf_any(void)
{
    return cm_pf_need(NULL);
}


/* not exact: what matches satisfies formula n (NULL: anything) */

static cm_pf_info_t
cm_pf_need(cm_pf_node_t *n)
{
    cm_pf_info_t  in;

    in.exact = 0;
    in.strs = NULL;
    in.n = 0;
    in.match = n;
    in.pre = NULL;
    in.npre = 0;

    return in;
}


static cm_pf_info_t
cm_pf_concat(cm_pf_read_t *rd, cm_pf_info_t a, cm_pf_info_t b)
{
    size_t          i, j, k;
    cm_pf_info_t    in;
    unsigned char  *s;

    if (a.exact && b.exact && a.n * b.n <= CM_PF_CROSS_MAX) {
        in.exact = 1;
        in.match = NULL;
        in.pre = NULL;
        in.npre = 0;
        in.n = 0;
        in.strs = cm_pf_palloc(rd, a.n * b.n * sizeof(cm_pf_str_t));

        if (in.strs == NULL) {
            return cm_pf_any();
        }

        for (i = 0; i < a.n; i++) {
            for (j = 0; j < b.n; j++) {
                s = cm_pf_palloc(rd, a.strs[i].len + b.strs[j].len + 1);
                if (s == NULL) {
                    return cm_pf_any();
                }

                if (a.strs[i].len) {
                    memcpy(s, a.strs[i].data, a.strs[i].len);
                }

                if (b.strs[j].len) {
                    memcpy(s + a.strs[i].len, b.strs[j].data,
                           b.strs[j].len);
                }

                k = a.strs[i].len + b.strs[j].len;

                in.strs[in.n].data = s;
                in.strs[in.n].len = k;
                in.n++;
            }
        }

        return in;
    }

    return cm_pf_need(cm_pf_and(rd, cm_pf_match(rd, a), cm_pf_match(rd, b)));
}


static cm_pf_info_t
cm_pf_union(cm_pf_read_t *rd, cm_pf_info_t a, cm_pf_info_t b)
{
    size_t        i, j;
    cm_pf_info_t  in;

    if (a.exact && b.exact && a.n + b.n <= CM_PF_UNION_MAX) {
        in.exact = 1;
        in.match = NULL;
        in.pre = NULL;
        in.npre = 0;
        in.n = 0;
        in.strs = cm_pf_palloc(rd, (a.n + b.n) * sizeof(cm_pf_str_t));

        if (in.strs == NULL) {
            return cm_pf_any();
        }

        memcpy(in.strs, a.strs, a.n * sizeof(cm_pf_str_t));
        in.n = a.n;

        for (j = 0; j < b.n; j++) {
            for (i = 0; i < a.n; i++) {
                if (a.strs[i].len == b.strs[j].len
                    && (b.strs[j].len == 0
                        || memcmp(a.strs[i].data, b.strs[j].data,
                                  b.strs[j].len) == 0))
                {
                    break;
                }
            }

            if (i == a.n) {
                in.strs[in.n++] = b.strs[j];
            }
        }

        return in;
    }

    return cm_pf_alt_pre(rd, a, b,
                         cm_pf_or(rd, cm_pf_match(rd, a),
                                  cm_pf_match(rd, b)));
}


/* "x?": x's strings and "" */

static cm_pf_info_t
cm_pf_optional(cm_pf_read_t *rd, cm_pf_info_t a)
{
    if (!a.exact) {
        return cm_pf_any();
    }

    return cm_pf_union(rd, a, cm_pf_empty(rd));
}


/* what "a" needs, no longer exact: "x+", a lookahead */

static cm_pf_info_t
cm_pf_inexact(cm_pf_read_t *rd, cm_pf_info_t a)
{
    return cm_pf_need(cm_pf_match(rd, a));
}


/* "x+", "x{2,}": needs what x needs, and starts as x does */

static cm_pf_info_t
cm_pf_repeat(cm_pf_read_t *rd, cm_pf_info_t a)
{
    cm_pf_info_t  in;

    in = cm_pf_need(cm_pf_match(rd, a));
    in.pre = cm_pf_pre(&a, &in.npre);

    return in;
}


/* the strings every match of "in" starts with; NULL when unknown */

static cm_pf_str_t *
cm_pf_pre(cm_pf_info_t *in, size_t *n)
{
    size_t  i;

    *n = 0;

    if (!in->exact) {
        *n = in->npre;
        return in->pre;
    }

    for (i = 0; i < in->n; i++) {
        if (in->strs[i].len == 0) {
            return NULL;
        }
    }

    *n = in->n;

    return in->strs;
}


/* an alternation that is no longer exact: it starts as either side */

static cm_pf_info_t
cm_pf_alt_pre(cm_pf_read_t *rd, cm_pf_info_t a, cm_pf_info_t b,
    cm_pf_node_t *match)
{
    size_t         na, nb;
    cm_pf_str_t   *pa, *pb;
    cm_pf_info_t   in;

    in = cm_pf_need(match);

    pa = cm_pf_pre(&a, &na);
    pb = cm_pf_pre(&b, &nb);

    if (pa == NULL || pb == NULL || na + nb > CM_PF_PRE_MAX) {
        return in;
    }

    in.pre = cm_pf_palloc(rd, (na + nb) * sizeof(cm_pf_str_t));
    if (in.pre == NULL) {
        return in;
    }

    memcpy(in.pre, pa, na * sizeof(cm_pf_str_t));
    memcpy(in.pre + na, pb, nb * sizeof(cm_pf_str_t));
    in.npre = na + nb;

    return in;
}


/* an info as a formula: an exact set is the OR of its strings */

static cm_pf_node_t *
cm_pf_match(cm_pf_read_t *rd, cm_pf_info_t a)
{
    size_t  i;

    if (!a.exact) {
        return a.match;
    }

    for (i = 0; i < a.n; i++) {
        if (!cm_pf_usable(&a.strs[i])) {
            return NULL;
        }
    }

    return cm_pf_atoms(rd, a.strs, a.n, 0);
}


/*
 * The OR of these strings as atoms, made at once: joining them one by
 * one would copy the list each time.  A string twice is harmless, the
 * tables keep one (cm_pf_build).
 */

static cm_pf_node_t *
cm_pf_atoms(cm_pf_read_t *rd, cm_pf_str_t *strs, size_t n, unsigned weak)
{
    size_t         i;
    cm_pf_node_t  *or, *atom, *last;

    if (n == 0) {
        return NULL;
    }

    or = cm_pf_palloc(rd, sizeof(cm_pf_node_t));
    if (or == NULL) {
        return NULL;
    }

    or->op = CM_PF_OR;
    or->weak = weak;
    or->first = NULL;
    or->next = NULL;

    last = NULL;

    for (i = 0; i < n; i++) {
        atom = cm_pf_palloc(rd, sizeof(cm_pf_node_t));
        if (atom == NULL) {
            return NULL;
        }

        atom->op = CM_PF_ATOM;
        atom->weak = weak;
        atom->atom = strs[i];
        atom->first = NULL;
        atom->next = NULL;

        if (last) {
            last->next = atom;

        } else {
            or->first = atom;
        }

        last = atom;
    }

    return (n == 1) ? or->first : or;
}


static cm_pf_node_t *
cm_pf_and(cm_pf_read_t *rd, cm_pf_node_t *a, cm_pf_node_t *b)
{
    /* "true" and x is x */

    if (a == NULL) {
        return b;
    }

    if (b == NULL) {
        return a;
    }

    /* a class's prefixes only where nothing better is needed */

    if (a->weak && !b->weak) {
        return b;
    }

    if (b->weak && !a->weak) {
        return a;
    }

    return cm_pf_join(rd, CM_PF_AND, a, b);
}


static cm_pf_node_t *
cm_pf_or(cm_pf_read_t *rd, cm_pf_node_t *a, cm_pf_node_t *b)
{
    cm_pf_node_t  *n;

    /* "true" or x is true */

    if (a == NULL || b == NULL) {
        return NULL;
    }

    n = cm_pf_join(rd, CM_PF_OR, a, b);

    if (n) {
        n->weak = a->weak && b->weak;
    }

    return n;
}


/*
 * A node of "op" over a and b, flattening nodes of the same op into it
 * and dropping a child equal to one already there (an AND counts each
 * child once).
 */

static cm_pf_node_t *
cm_pf_join(cm_pf_read_t *rd, unsigned op, cm_pf_node_t *a, cm_pf_node_t *b)
{
    unsigned       i;
    cm_pf_node_t  *n, *c, *next, *k, *last, *src[2];

    n = cm_pf_palloc(rd, sizeof(cm_pf_node_t));
    if (n == NULL) {
        return NULL;
    }

    n->op = op;
    n->weak = 0;
    n->first = NULL;
    n->next = NULL;

    last = NULL;
    src[0] = a;
    src[1] = b;

    for (i = 0; i < 2; i++) {

        if (src[i]->op == op) {
            c = src[i]->first;

        } else {
            c = src[i];
            c->next = NULL;
        }

        for ( /* void */ ; c; c = next) {
            next = c->next;

            for (k = n->first; k; k = k->next) {
                if (cm_pf_same(k, c)) {
                    break;
                }
            }

            if (k) {
                continue;
            }

            c->next = NULL;

            if (last) {
                last->next = c;

            } else {
                n->first = c;
            }

            last = c;
        }
    }

    return n;
}


static int
cm_pf_same(const cm_pf_node_t *a, const cm_pf_node_t *b)
{
    if (a == b) {
        return 1;
    }

    return a->op == CM_PF_ATOM && b->op == CM_PF_ATOM
           && a->atom.len == b->atom.len
           && memcmp(a->atom.data, b->atom.data, a->atom.len) == 0;
}


/*
 * An anchor is found at every place it occurs, for every field: as for
 * atoms, one that would be everywhere ("si") costs more than it saves.
 */

static unsigned
cm_pf_anchor_usable(const cm_pf_str_t *s)
{
    return cm_pf_usable(s);
}


/*
 * Worth finding: three bytes, or two that are not both letters or
 * spaces ("08", "%"), or one punctuation character ("*", "@").
 */

static unsigned
cm_pf_usable(const cm_pf_str_t *s)
{
    size_t         i;
    unsigned char  c;

    if (s->len >= 3) {
        return 1;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (s->len == 1) {
            return c > ' ' && c < 0x7f
                   && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9');
        }

        if (!(c >= 'a' && c <= 'z') && c != ' ') {
            return 1;
        }
    }

    return 0;
}


static void *
cm_pf_palloc(cm_pf_read_t *rd, size_t size)
{
    size_t          n;
    cm_pf_chunk_t  *c;
    unsigned char  *p;

    size = (size + 15) & ~(size_t) 15;

    c = rd->chunks;

    if (c == NULL || c->size - c->used < size) {
        n = size > CM_PF_CHUNK ? size : CM_PF_CHUNK;

        c = rd->pf->alloc.alloc(rd->pf->alloc.data,
                                sizeof(cm_pf_chunk_t) + 16 + n);
        if (c == NULL) {
            rd->nomem = 1;
            return NULL;
        }

        c->next = rd->chunks;
        c->used = 0;
        c->size = n;
        rd->chunks = c;
    }

    p = (unsigned char *) c + ((sizeof(cm_pf_chunk_t) + 15) & ~(size_t) 15);
    p += c->used;

    c->used += size;

    return p;
}


static void
cm_pf_pfree(cm_pf_read_t *rd)
{
    cm_pf_chunk_t  *c, *next;

    for (c = rd->chunks; c; c = next) {
        next = c->next;
        rd->pf->alloc.free(rd->pf->alloc.data, c);
    }

    rd->chunks = NULL;
}


/* a pattern's formula into the tables; a lone atom gets an OR above it */

static int
cm_pf_store(cm_pf_t *pf, uint32_t index, cm_pf_node_t *root)
{
    cm_pf_node_t  *n;
    cm_pf_node_t   wrap;

    n = root;

    if (n->op == CM_PF_ATOM) {
        wrap.op = CM_PF_OR;
        wrap.weak = n->weak;
        wrap.first = n;
        wrap.next = NULL;
        n->next = NULL;
        n = &wrap;
    }

    return cm_pf_store_node(pf, n, index | CM_PF_ROOT);
}


static int
cm_pf_store_node(cm_pf_t *pf, cm_pf_node_t *n, uint32_t parent)
{
    uint32_t        id, need;
    cm_pf_node_t   *c;

    need = 1;

    if (n->op == CM_PF_AND) {
        need = 0;

        for (c = n->first; c; c = c->next) {
            need++;
        }
    }

    if (cm_pf_new_node(pf, n->op, need, parent, &id) != CM_OK) {
        return CM_ERROR;
    }

    for (c = n->first; c; c = c->next) {

        if (c->op != CM_PF_ATOM) {
            if (cm_pf_store_node(pf, c, id) != CM_OK) {
                return CM_ERROR;
            }

            continue;
        }

        if (cm_pf_use(pf, &c->atom, id) != CM_OK) {
            return CM_ERROR;
        }
    }

    return CM_OK;
}


/* an atom used by node (or, with CM_PF_ROOT, anchoring pattern) "parent" */

static int
cm_pf_use(cm_pf_t *pf, const cm_pf_str_t *str, uint32_t parent)
{
    cm_pf_use_t    *u, *uses;
    unsigned char  *s;

    uses = cm_grow(&pf->alloc, pf->uses, pf->nuses, &pf->uses_alloc,
                   sizeof(cm_pf_use_t));
    if (uses == NULL) {
        return CM_ERROR;
    }

    pf->uses = uses;

    s = pf->alloc.alloc(pf->alloc.data, str->len);
    if (s == NULL) {
        return CM_ERROR;
    }

    memcpy(s, str->data, str->len);

    u = &pf->uses[pf->nuses++];
    u->str.data = s;
    u->str.len = str->len;
    u->parent = parent;
    pf->memory += str->len + sizeof(uint32_t);

    return CM_OK;
}


static int
cm_pf_new_node(cm_pf_t *pf, unsigned op, uint32_t need, uint32_t parent,
    uint32_t *id)
{
    size_t          na;
    uint32_t       *nb, *pb;
    unsigned char  *ob;

    if (pf->nnodes >= CM_PF_ROOT - 1) {
        return CM_ERROR;
    }

    if (pf->nnodes == pf->nodes_alloc) {
        na = pf->nodes_alloc ? pf->nodes_alloc * 2 : 64;

        ob = pf->alloc.alloc(pf->alloc.data, na);
        nb = pf->alloc.alloc(pf->alloc.data, na * sizeof(uint32_t));
        pb = pf->alloc.alloc(pf->alloc.data, na * sizeof(uint32_t));

        if (ob == NULL || nb == NULL || pb == NULL) {
            if (ob) {
                pf->alloc.free(pf->alloc.data, ob);
            }

            if (nb) {
                pf->alloc.free(pf->alloc.data, nb);
            }

            if (pb) {
                pf->alloc.free(pf->alloc.data, pb);
            }

            return CM_ERROR;
        }

        if (pf->nnodes) {
            memcpy(ob, pf->op_b, pf->nnodes);
            memcpy(nb, pf->need_b, pf->nnodes * sizeof(uint32_t));
            memcpy(pb, pf->parent_b, pf->nnodes * sizeof(uint32_t));

            pf->alloc.free(pf->alloc.data, pf->op_b);
            pf->alloc.free(pf->alloc.data, pf->need_b);
            pf->alloc.free(pf->alloc.data, pf->parent_b);
        }

        pf->op_b = ob;
        pf->need_b = nb;
        pf->parent_b = pb;
        pf->nodes_alloc = na;
    }

    *id = (uint32_t) pf->nnodes++;

    pf->op_b[*id] = (unsigned char) op;
    pf->need_b[*id] = need;
    pf->parent_b[*id] = parent;
    pf->memory += 1 + 2 * sizeof(uint32_t);

    return CM_OK;
}


static int
cm_pf_add_always(cm_pf_t *pf, uint32_t index)
{
    uint32_t  *always;

    always = cm_grow(&pf->alloc, pf->always_b, pf->nalways, &pf->always_alloc,
                        sizeof(uint32_t));
    if (always == NULL) {
        return CM_ERROR;
    }

    pf->always_b = always;
    pf->always_b[pf->nalways++] = index;

    pf->memory += sizeof(uint32_t);

    return CM_OK;
}


static void *
cm_pf_alloc(cm_pf_t *pf, size_t size)
{
    void  *p;

    p = pf->alloc.alloc(pf->alloc.data, size ? size : 1);

    if (p) {
        pf->memory += size;
    }

    return p;
}


static int
cm_pf_use_cmp(const void *a, const void *b)
{
    int                 rc;
    const cm_pf_use_t  *x = a, *y = b;

    rc = memcmp(x->str.data, y->str.data,
                x->str.len < y->str.len ? x->str.len : y->str.len);

    if (rc) {
        return rc;
    }

    if (x->str.len != y->str.len) {
        return (x->str.len > y->str.len) - (x->str.len < y->str.len);
    }

    return (x->parent > y->parent) - (x->parent < y->parent);
}


static int
cm_pf_u32_cmp(const void *a, const void *b)
{
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}
