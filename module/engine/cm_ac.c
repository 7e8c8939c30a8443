
/*
 * Aho-Corasick automaton, see cm_ac.h.
 *
 * The builder keeps a trie with child lists; cm_ac_build sorts the edges,
 * links every state to its longest proper suffix that is also a state
 * (the failure link) and to the nearest such suffix that ends a key (the
 * output link), with the states numbered breadth first.  Small automata
 * then get a full table, whose entries are row offsets with the top bit
 * set where a key ends at the target or at one of its suffixes; large
 * ones get rows for their shallow states, where a text spends most of
 * its bytes, and keep sparse edges for the deeper ones.
 */


#include <string.h>

#include "cm_ac.h"
#include "cm_util.h"


/* full tables up to this many entries (16 MB); sparse edges above */
#define CM_AC_DFA_MAX      (4 * 1024 * 1024)

/* above, rows for the shallow states in this many (1 MB) */
#define CM_AC_NEAR_MAX     (256 * 1024)

#define CM_AC_OUT          0x80000000u
#define CM_AC_MASK         0x7fffffffu
#define CM_AC_STATES_MAX   0x7ffffff0u


typedef struct {
    uint32_t              child;     /* first child, 0: none */
    uint32_t              next;      /* next sibling */
    uint32_t              out;       /* first output + 1, 0: none */
    uint32_t              parent;
    unsigned char         byte;
} cm_ac_node_t;


typedef struct {
    uint32_t              value;
    uint16_t              len;
    uint16_t              tag;
    uint32_t              next;      /* next output of the node + 1 */
} cm_ac_bout_t;


struct cm_ac_builder_s {
    cm_alloc_t            alloc;
    unsigned char         same[256];  /* each byte as the key's byte */
    uint32_t              root[256];  /* the root's children */
    cm_ac_node_t         *nodes;
    size_t                nnodes;
    size_t                nalloc;
    uint32_t             *hash;      /* (parent, byte) to child, open */
    size_t                hsize;     /* a power of two */
    cm_ac_bout_t         *outs;
    size_t                nouts;
    size_t                oalloc;
    unsigned char         used[256];
};


typedef struct {
    uint32_t              value;
    uint16_t              len;
    uint16_t              tag;
} cm_ac_out_t;


typedef struct {
    uint32_t              to;        /* CM_AC_OUT where keys end there */
    uint32_t              cls;
} cm_ac_edge_t;


struct cm_ac_s {
    cm_alloc_t            alloc;
    unsigned char         cls[256];
    uint32_t              nclasses;
    uint32_t              nstates;
    uint32_t              nnear;     /* the states with a row in delta */
    size_t                memory;

    /*
     * States are numbered breadth first.  The first nnear, the shallow
     * ones a text keeps coming back to, have a full row of nclasses in
     * delta; when that is all of them, the entries are row offsets and
     * the edges below are freed.  Deeper states have sparse edges, those
     * of state s edges[edge_first[s] .. edge_first[s + 1]], and failure
     * links.
     */
    uint32_t             *delta;
    uint32_t             *edge_first;
    cm_ac_edge_t         *edges;
    uint32_t             *fail;

    /* keys ending at state s: out[out_first[s] .. out_first[s + 1]] */
    uint32_t             *out_first;
    cm_ac_out_t          *out;
    uint32_t             *dict;      /* next suffix state with keys */
};


static uint32_t cm_ac_child(cm_ac_builder_t *b, uint32_t s,
    unsigned char ch);
static int cm_ac_hash_add(cm_ac_builder_t *b, uint32_t c);
static void cm_ac_hash_put(cm_ac_builder_t *b, uint32_t c);
static size_t cm_ac_hash(uint32_t s, unsigned char ch);
static void *cm_ac_alloc(cm_ac_t *ac, size_t size);
static void cm_ac_release(cm_ac_t *ac, void *p, size_t size);
static void cm_ac_number(cm_ac_builder_t *b, uint32_t *order,
    uint32_t *rank);
static int cm_ac_edges(cm_ac_t *ac, cm_ac_builder_t *b, uint32_t *order,
    uint32_t *rank);
static int cm_ac_keys(cm_ac_t *ac, cm_ac_builder_t *b, uint32_t *order);
static uint32_t cm_ac_goto(const cm_ac_t *ac, uint32_t s, unsigned c);
static int cm_ac_links(cm_ac_t *ac);
static int cm_ac_dict(cm_ac_t *ac, unsigned char *hasout);
static int cm_ac_table(cm_ac_t *ac, const unsigned char *hasout);
static int cm_ac_report(const cm_ac_t *ac, uint32_t s, size_t end,
    cm_ac_hit_pt hit, void *ctx);


cm_ac_builder_t *
cm_ac_builder_create(const cm_alloc_t *a, unsigned fold,
    const unsigned char *same)
{
    unsigned          i;
    cm_ac_builder_t  *b;

    b = a->alloc(a->data, sizeof(cm_ac_builder_t));
    if (b == NULL) {
        return NULL;
    }

    memset(b, 0, sizeof(cm_ac_builder_t));

    b->alloc = *a;

    for (i = 0; i < 256; i++) {
        b->same[i] = same ? same[i] : (unsigned char) i;
    }

    /* after the loop above: a lower case letter's byte is set by now */

    for (i = 'A'; fold && i <= 'Z'; i++) {
        b->same[i] = b->same[i | 0x20];
    }

    b->nodes = cm_grow(a, NULL, 0, &b->nalloc, sizeof(cm_ac_node_t));
    if (b->nodes == NULL) {
        a->free(a->data, b);
        return NULL;
    }

    memset(&b->nodes[0], 0, sizeof(cm_ac_node_t));
    b->nnodes = 1;

    return b;
}


int
cm_ac_add(cm_ac_builder_t *b, const unsigned char *key, size_t len,
    uint32_t value)
{
    return cm_ac_add_tag(b, key, len, value, 0);
}


int
cm_ac_add_tag(cm_ac_builder_t *b, const unsigned char *key, size_t len,
    uint32_t value, unsigned tag)
{
    size_t           i;
    uint32_t         s, c;
    cm_ac_node_t    *n, *nodes;
    cm_ac_bout_t    *o, *outs;
    unsigned char    ch;

    if (len == 0 || len > 65535) {
        return CM_ERROR;
    }

    s = 0;

    for (i = 0; i < len; i++) {
        ch = b->same[key[i]];

        b->used[ch] = 1;

        /* the root's children in a table, the others in a hash */

        c = (s == 0) ? b->root[ch] : cm_ac_child(b, s, ch);

        if (c) {
            s = c;
            continue;
        }

        if (b->nnodes >= CM_AC_STATES_MAX) {
            return CM_ERROR;
        }

        nodes = cm_grow(&b->alloc, b->nodes, b->nnodes, &b->nalloc,
                           sizeof(cm_ac_node_t));
        if (nodes == NULL) {
            return CM_ERROR;
        }

        b->nodes = nodes;

        c = (uint32_t) b->nnodes++;
        n = &b->nodes[c];

        n->child = 0;
        n->out = 0;
        n->byte = ch;
        n->next = b->nodes[s].child;
        b->nodes[s].child = c;

        n->parent = s;

        if (s == 0) {
            b->root[ch] = c;

        } else if (cm_ac_hash_add(b, c) != CM_OK) {
            return CM_ERROR;
        }

        s = c;
    }

    outs = cm_grow(&b->alloc, b->outs, b->nouts, &b->oalloc,
                      sizeof(cm_ac_bout_t));
    if (outs == NULL) {
        return CM_ERROR;
    }

    b->outs = outs;

    o = &b->outs[b->nouts];
    o->value = value;
    o->len = (uint16_t) len;
    o->tag = (uint16_t) tag;
    o->next = b->nodes[s].out;

    b->nodes[s].out = (uint32_t) ++b->nouts;

    return CM_OK;
}


/* the child of node s by byte ch, 0 when there is none */

static uint32_t
cm_ac_child(cm_ac_builder_t *b, uint32_t s, unsigned char ch)
{
    size_t    h;
    uint32_t  c;

    if (b->hsize == 0) {
        return 0;
    }

    for (h = cm_ac_hash(s, ch) & (b->hsize - 1); (c = b->hash[h]) != 0;
         h = (h + 1) & (b->hsize - 1))
    {
        if (b->nodes[c].parent == s && b->nodes[c].byte == ch) {
            return c;
        }
    }

    return 0;
}


/* node c into the hash, which is kept at most half full */

static int
cm_ac_hash_add(cm_ac_builder_t *b, uint32_t c)
{
    size_t     i, size;
    uint32_t  *hash, *old;

    if ((b->nnodes + 1) * 2 > b->hsize) {
        size = b->hsize ? b->hsize * 2 : 1024;

        while ((b->nnodes + 1) * 2 > size) {
            size *= 2;
        }

        hash = b->alloc.alloc(b->alloc.data, size * sizeof(uint32_t));
        if (hash == NULL) {
            return CM_ERROR;
        }

        memset(hash, 0, size * sizeof(uint32_t));

        old = b->hash;
        b->hash = hash;
        b->hsize = size;

        /* every node but the root's children, which the table holds */

        for (i = 1; i < b->nnodes; i++) {
            if (b->nodes[i].parent != 0 && i != c) {
                cm_ac_hash_put(b, (uint32_t) i);
            }
        }

        if (old) {
            b->alloc.free(b->alloc.data, old);
        }
    }

    cm_ac_hash_put(b, c);

    return CM_OK;
}


static void
cm_ac_hash_put(cm_ac_builder_t *b, uint32_t c)
{
    size_t  h;

    for (h = cm_ac_hash(b->nodes[c].parent, b->nodes[c].byte)
             & (b->hsize - 1);
         b->hash[h] != 0; h = (h + 1) & (b->hsize - 1))
    {
        /* void */
    }

    b->hash[h] = c;
}


static size_t
cm_ac_hash(uint32_t s, unsigned char ch)
{
    uint64_t  x;

    x = ((uint64_t) s << 8 | ch) * 0x9e3779b97f4a7c15ULL;

    return (size_t) (x >> 32);
}


cm_ac_t *
cm_ac_build(cm_ac_builder_t *b)
{
    int             rc;
    unsigned        i, n;
    cm_ac_t        *ac;
    uint32_t       *order, *rank;
    unsigned char  *hasout;

    ac = b->alloc.alloc(b->alloc.data, sizeof(cm_ac_t));
    if (ac == NULL) {
        cm_ac_builder_free(b);
        return NULL;
    }

    memset(ac, 0, sizeof(cm_ac_t));

    ac->alloc = b->alloc;
    ac->memory = sizeof(cm_ac_t);

    /* class 0 is every byte no key holds: it leads back to the root */

    n = 1;

    for (i = 0; i < 256; i++) {
        if (b->used[i]) {
            ac->cls[i] = (unsigned char) n++;
        }
    }

    /* the bytes that stand for another share its class */

    for (i = 0; i < 256; i++) {
        ac->cls[i] = ac->cls[b->same[i]];
    }

    ac->nclasses = n;
    ac->nstates = (uint32_t) b->nnodes;

    order = b->alloc.alloc(b->alloc.data, b->nnodes * sizeof(uint32_t));
    rank = b->alloc.alloc(b->alloc.data, b->nnodes * sizeof(uint32_t));
    hasout = NULL;

    rc = (order == NULL || rank == NULL) ? CM_ERROR : CM_OK;

    if (rc == CM_OK) {
        cm_ac_number(b, order, rank);
        rc = cm_ac_edges(ac, b, order, rank);
    }

    if (rc == CM_OK) {
        rc = cm_ac_keys(ac, b, order);
    }

    if (order) {
        b->alloc.free(b->alloc.data, order);
    }

    if (rank) {
        b->alloc.free(b->alloc.data, rank);
    }

    cm_ac_builder_free(b);

    if (rc == CM_OK) {
        rc = cm_ac_links(ac);
    }

    if (rc == CM_OK) {
        hasout = ac->alloc.alloc(ac->alloc.data, ac->nstates);
        rc = (hasout == NULL) ? CM_ERROR : cm_ac_dict(ac, hasout);
    }

    if (rc == CM_OK) {
        rc = cm_ac_table(ac, hasout);
    }

    if (hasout) {
        ac->alloc.free(ac->alloc.data, hasout);
    }

    if (rc != CM_OK) {
        cm_ac_free(ac);
        return NULL;
    }

    return ac;
}


void
cm_ac_builder_free(cm_ac_builder_t *b)
{
    if (b == NULL) {
        return;
    }

    if (b->nodes) {
        b->alloc.free(b->alloc.data, b->nodes);
    }

    if (b->outs) {
        b->alloc.free(b->alloc.data, b->outs);
    }

    if (b->hash) {
        b->alloc.free(b->alloc.data, b->hash);
    }

    b->alloc.free(b->alloc.data, b);
}


void
cm_ac_free(cm_ac_t *ac)
{
    void   **p;
    size_t   i;
    void    *arrays[7];

    if (ac == NULL) {
        return;
    }

    arrays[0] = ac->delta;
    arrays[1] = ac->edge_first;
    arrays[2] = ac->edges;
    arrays[3] = ac->fail;
    arrays[4] = ac->out_first;
    arrays[5] = ac->out;
    arrays[6] = ac->dict;

    for (i = 0, p = arrays; i < 7; i++, p++) {
        if (*p) {
            ac->alloc.free(ac->alloc.data, *p);
        }
    }

    ac->alloc.free(ac->alloc.data, ac);
}


size_t
cm_ac_states(const cm_ac_t *ac)
{
    return ac->nstates;
}


size_t
cm_ac_memory(const cm_ac_t *ac)
{
    return ac->memory;
}


int
cm_ac_scan(const cm_ac_t *ac, const unsigned char *p, size_t len,
    cm_ac_hit_pt hit, void *ctx)
{
    int              rc;
    size_t           i;
    uint32_t         s, t, c, near, ncl;
    const uint32_t  *delta;

    delta = ac->delta;
    ncl = ac->nclasses;

    if (ac->nnear == ac->nstates) {
        t = 0;

        for (i = 0; i < len; i++) {
            t = delta[(t & CM_AC_MASK) + ac->cls[p[i]]];

            if (t & CM_AC_OUT) {
                rc = cm_ac_report(ac, (t & CM_AC_MASK) / ncl, i + 1, hit,
                                  ctx);
                if (rc) {
                    return rc;
                }
            }
        }

        return 0;
    }

    /* the shallow states by their rows, the deep ones by their edges */

    near = ac->nnear;
    s = 0;

    for (i = 0; i < len; i++) {
        c = ac->cls[p[i]];

        for ( ;; ) {
            if (s < near) {
                t = delta[(size_t) s * ncl + c];
                break;
            }

            t = cm_ac_goto(ac, s, c);
            if (t) {
                break;
            }

            s = ac->fail[s];
        }

        s = t & CM_AC_MASK;

        if (t & CM_AC_OUT) {
            rc = cm_ac_report(ac, s, i + 1, hit, ctx);
            if (rc) {
                return rc;
            }
        }
    }

    return 0;
}


/* the keys that end at state s and at its suffix states */

static int
cm_ac_report(const cm_ac_t *ac, uint32_t s, size_t end, cm_ac_hit_pt hit,
    void *ctx)
{
    int       rc;
    uint32_t  k;

    if (ac->out_first[s] == ac->out_first[s + 1]) {
        s = ac->dict[s];
    }

    while (s) {
        for (k = ac->out_first[s]; k < ac->out_first[s + 1]; k++) {
            rc = hit(ctx, ac->out[k].value, ac->out[k].len, end,
                     ac->out[k].tag);
            if (rc) {
                return rc;
            }
        }

        s = ac->dict[s];
    }

    return 0;
}


static void *
cm_ac_alloc(cm_ac_t *ac, size_t size)
{
    void  *p;

    p = ac->alloc.alloc(ac->alloc.data, size ? size : 1);

    if (p) {
        ac->memory += size;
    }

    return p;
}


static void
cm_ac_release(cm_ac_t *ac, void *p, size_t size)
{
    ac->alloc.free(ac->alloc.data, p);
    ac->memory -= size;
}


/*
 * The trie's nodes breadth first: order[] the old numbers in that order,
 * rank[] each node's new number.  A state's failure link and the shallow
 * states a text keeps coming back to then come before it.
 */

static void
cm_ac_number(cm_ac_builder_t *b, uint32_t *order, uint32_t *rank)
{
    size_t    head, tail;
    uint32_t  c;

    order[0] = 0;
    tail = 1;

    for (head = 0; head < tail; head++) {
        for (c = b->nodes[order[head]].child; c; c = b->nodes[c].next) {
            order[tail++] = c;
        }
    }

    for (head = 0; head < tail; head++) {
        rank[order[head]] = (uint32_t) head;
    }
}


/* the trie's child lists as edges sorted by class, in the new numbers */

static int
cm_ac_edges(cm_ac_t *ac, cm_ac_builder_t *b, uint32_t *order,
    uint32_t *rank)
{
    size_t         nedges, k, j;
    uint32_t       s, c;
    unsigned char  cls;

    nedges = b->nnodes - 1;

    ac->edge_first = cm_ac_alloc(ac, (ac->nstates + 1) * sizeof(uint32_t));
    ac->edges = cm_ac_alloc(ac, nedges * sizeof(cm_ac_edge_t));

    if (ac->edge_first == NULL || ac->edges == NULL) {
        return CM_ERROR;
    }

    k = 0;

    for (s = 0; s < ac->nstates; s++) {
        ac->edge_first[s] = (uint32_t) k;

        for (c = b->nodes[order[s]].child; c; c = b->nodes[c].next) {
            cls = ac->cls[b->nodes[c].byte];

            /* insertion sort: a state has few children */

            for (j = k; j > ac->edge_first[s] && ac->edges[j - 1].cls > cls;
                 j--)
            {
                ac->edges[j] = ac->edges[j - 1];
            }

            ac->edges[j].cls = cls;
            ac->edges[j].to = rank[c];
            k++;
        }
    }

    ac->edge_first[ac->nstates] = (uint32_t) k;

    return CM_OK;
}


/* the keys ending at each state, in the new numbers */

static int
cm_ac_keys(cm_ac_t *ac, cm_ac_builder_t *b, uint32_t *order)
{
    size_t    k;
    uint32_t  s, o;

    ac->out_first = cm_ac_alloc(ac, (ac->nstates + 1) * sizeof(uint32_t));
    ac->out = cm_ac_alloc(ac, b->nouts * sizeof(cm_ac_out_t));

    if (ac->out_first == NULL || ac->out == NULL) {
        return CM_ERROR;
    }

    k = 0;

    for (s = 0; s < ac->nstates; s++) {
        ac->out_first[s] = (uint32_t) k;

        for (o = b->nodes[order[s]].out; o; o = b->outs[o - 1].next) {
            ac->out[k].value = b->outs[o - 1].value;
            ac->out[k].len = b->outs[o - 1].len;
            ac->out[k].tag = b->outs[o - 1].tag;
            k++;
        }
    }

    ac->out_first[ac->nstates] = (uint32_t) k;

    return CM_OK;
}


/* state s's edge of class c (with CM_AC_OUT), 0 when there is none */

static uint32_t
cm_ac_goto(const cm_ac_t *ac, uint32_t s, unsigned c)
{
    uint32_t             lo, hi, mid;
    const cm_ac_edge_t  *e;

    lo = ac->edge_first[s];
    hi = ac->edge_first[s + 1];
    e = ac->edges;

    /* the first edge of class c or above */

    while (hi - lo > 4) {
        mid = lo + (hi - lo) / 2;

        if (e[mid].cls < c) {
            lo = mid + 1;

        } else {
            hi = mid + 1;
        }
    }

    for ( /* void */ ; lo < hi; lo++) {
        if (e[lo].cls == c) {
            return e[lo].to;
        }
    }

    return 0;
}


/* failure links: in breadth-first numbers a state's link comes first */

static int
cm_ac_links(cm_ac_t *ac)
{
    uint32_t  u, v, f, t, k;

    ac->fail = cm_ac_alloc(ac, ac->nstates * sizeof(uint32_t));
    if (ac->fail == NULL) {
        return CM_ERROR;
    }

    ac->fail[0] = 0;

    for (u = 0; u < ac->nstates; u++) {
        for (k = ac->edge_first[u]; k < ac->edge_first[u + 1]; k++) {
            v = ac->edges[k].to;

            if (u == 0) {
                ac->fail[v] = 0;
                continue;
            }

            f = ac->fail[u];

            for ( ;; ) {
                t = cm_ac_goto(ac, f, ac->edges[k].cls);

                if (t || f == 0) {
                    break;
                }

                f = ac->fail[f];
            }

            ac->fail[v] = t;
        }
    }

    return CM_OK;
}


/*
 * Output links, and hasout[s] where a key ends at s or at one of its
 * suffixes; the edges into such states get CM_AC_OUT.
 */

static int
cm_ac_dict(cm_ac_t *ac, unsigned char *hasout)
{
    size_t    k;
    uint32_t  s, f;

    ac->dict = cm_ac_alloc(ac, ac->nstates * sizeof(uint32_t));
    if (ac->dict == NULL) {
        return CM_ERROR;
    }

    ac->dict[0] = 0;
    hasout[0] = 0;

    for (s = 1; s < ac->nstates; s++) {
        f = ac->fail[s];

        ac->dict[s] = (ac->out_first[f] != ac->out_first[f + 1])
                      ? f : ac->dict[f];

        hasout[s] = ac->out_first[s] != ac->out_first[s + 1]
                    || ac->dict[s] != 0;
    }

    for (k = 0; k < ac->nstates - 1; k++) {
        if (hasout[ac->edges[k].to]) {
            ac->edges[k].to |= CM_AC_OUT;
        }
    }

    return CM_OK;
}


/*
 * The rows of the shallow states (of all when they fit in
 * CM_AC_DFA_MAX entries): a missing edge is the failure state's.  In a
 * full table the entries are row offsets, and the edges and links are no
 * longer needed; else state numbers.
 */

static int
cm_ac_table(cm_ac_t *ac, const unsigned char *hasout)
{
    size_t     n;
    uint32_t   s, c, t, v, near, full, *row, *frow;

    full = (size_t) ac->nstates * ac->nclasses <= CM_AC_DFA_MAX;

    if (full) {
        near = ac->nstates;

    } else {
        near = CM_AC_NEAR_MAX / ac->nclasses;
        near = near ? near : 1;
    }

    n = (size_t) near * ac->nclasses;

    ac->delta = cm_ac_alloc(ac, n * sizeof(uint32_t));
    if (ac->delta == NULL) {
        return CM_ERROR;
    }

    for (s = 0; s < near; s++) {
        row = &ac->delta[(size_t) s * ac->nclasses];
        frow = &ac->delta[(size_t) ac->fail[s] * ac->nclasses];

        row[0] = 0;

        for (c = 1; c < ac->nclasses; c++) {
            t = cm_ac_goto(ac, s, c);

            if (t == 0) {
                row[c] = (s == 0) ? 0 : frow[c];
                continue;
            }

            v = t & CM_AC_MASK;

            row[c] = (full ? v * ac->nclasses : v)
                     | (hasout[v] ? CM_AC_OUT : 0);
        }
    }

    ac->nnear = near;

    if (full) {
        cm_ac_release(ac, ac->edge_first,
                      (ac->nstates + 1) * sizeof(uint32_t));
        cm_ac_release(ac, ac->edges,
                      (ac->nstates - 1) * sizeof(cm_ac_edge_t));
        cm_ac_release(ac, ac->fail, ac->nstates * sizeof(uint32_t));

        ac->edge_first = NULL;
        ac->edges = NULL;
        ac->fail = NULL;
    }

    return CM_OK;
}
