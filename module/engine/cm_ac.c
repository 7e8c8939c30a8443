
/*
 * Aho-Corasick automaton, see cm_ac.h.
 *
 * The builder keeps a trie with child lists; cm_ac_build sorts the edges,
 * links every state to its longest proper suffix that is also a state
 * (the failure link, breadth first) and to the nearest such suffix that
 * ends a key (the output link).  Small automata then get a full table,
 * whose entries are row offsets with the top bit set where a key ends
 * at the target or at one of its suffixes.
 */


#include <string.h>

#include "cm_ac.h"
#include "cm_util.h"


/* full tables up to this many entries (16 MB); sparse edges above */
#define CM_AC_DFA_MAX      (4 * 1024 * 1024)

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
    uint32_t              len;
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
    uint32_t              len;
} cm_ac_out_t;


struct cm_ac_s {
    cm_alloc_t            alloc;
    unsigned char         cls[256];
    uint32_t              nclasses;
    uint32_t              nstates;
    size_t                memory;

    /* full table: nstates rows of nclasses row offsets, or NULL */
    uint32_t             *delta;

    /* sparse: edges of state s are edge_first[s] .. edge_first[s + 1] */
    uint32_t             *root;      /* nclasses: the root's own table */
    uint32_t             *edge_first;
    unsigned char        *edge_cls;
    uint32_t             *edge_to;
    uint32_t             *fail;
    unsigned char        *hasout;

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
static int cm_ac_edges(cm_ac_t *ac, cm_ac_builder_t *b);
static uint32_t cm_ac_goto(const cm_ac_t *ac, uint32_t s, unsigned c);
static int cm_ac_links(cm_ac_t *ac, uint32_t *queue);
static int cm_ac_outputs(cm_ac_t *ac, cm_ac_builder_t *b, uint32_t *queue);
static int cm_ac_table(cm_ac_t *ac, uint32_t *queue);
static void cm_ac_sparse_free(cm_ac_t *ac);
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

        if (fold && i >= 'A' && i <= 'Z') {
            b->same[i] = b->same[i | 0x20];
        }
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
    o->len = (uint32_t) len;
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
    int        rc;
    unsigned   i, n;
    cm_ac_t   *ac;
    uint32_t  *queue;

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

    queue = b->alloc.alloc(b->alloc.data, b->nnodes * sizeof(uint32_t));

    rc = (queue == NULL) ? CM_ERROR : CM_OK;

    if (rc == CM_OK) {
        rc = cm_ac_edges(ac, b);
    }

    if (rc == CM_OK) {
        rc = cm_ac_links(ac, queue);
    }

    if (rc == CM_OK) {
        rc = cm_ac_outputs(ac, b, queue);
    }

    if (rc == CM_OK
        && (size_t) ac->nstates * ac->nclasses <= CM_AC_DFA_MAX)
    {
        rc = cm_ac_table(ac, queue);
    }

    if (rc == CM_OK && ac->delta) {
        cm_ac_sparse_free(ac);
    }

    if (queue) {
        b->alloc.free(b->alloc.data, queue);
    }

    cm_ac_builder_free(b);

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
    void    *arrays[10];

    if (ac == NULL) {
        return;
    }

    arrays[0] = ac->delta;
    arrays[1] = ac->root;
    arrays[2] = ac->edge_first;
    arrays[3] = ac->edge_cls;
    arrays[4] = ac->edge_to;
    arrays[5] = ac->fail;
    arrays[6] = ac->hasout;
    arrays[7] = ac->out_first;
    arrays[8] = ac->out;
    arrays[9] = ac->dict;

    for (i = 0, p = arrays; i < 10; i++, p++) {
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
    uint32_t         s, t, c, row;
    const uint32_t  *delta;

    if (ac->delta) {
        delta = ac->delta;
        row = 0;

        for (i = 0; i < len; i++) {
            row = delta[(row & CM_AC_MASK) + ac->cls[p[i]]];

            if (row & CM_AC_OUT) {
                rc = cm_ac_report(ac, (row & CM_AC_MASK) / ac->nclasses,
                                  i + 1, hit, ctx);
                if (rc) {
                    return rc;
                }
            }
        }

        return 0;
    }

    s = 0;

    for (i = 0; i < len; i++) {
        c = ac->cls[p[i]];

        if (c == 0) {
            s = 0;
            continue;
        }

        for ( ;; ) {
            if (s == 0) {
                s = ac->root[c];
                break;
            }

            t = cm_ac_goto(ac, s, c);
            if (t) {
                s = t;
                break;
            }

            s = ac->fail[s];
        }

        if (ac->hasout[s]) {
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
            rc = hit(ctx, ac->out[k].value, ac->out[k].len, end);
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


/* the trie's child lists as edges sorted by class, the root's as a table */

static int
cm_ac_edges(cm_ac_t *ac, cm_ac_builder_t *b)
{
    size_t         nedges, k, j;
    uint32_t       s, c;
    unsigned char  cls;

    nedges = b->nnodes - 1;

    ac->root = cm_ac_alloc(ac, ac->nclasses * sizeof(uint32_t));
    ac->edge_first = cm_ac_alloc(ac, (ac->nstates + 1) * sizeof(uint32_t));
    ac->edge_cls = cm_ac_alloc(ac, nedges);
    ac->edge_to = cm_ac_alloc(ac, nedges * sizeof(uint32_t));

    if (ac->root == NULL || ac->edge_first == NULL || ac->edge_cls == NULL
        || ac->edge_to == NULL)
    {
        return CM_ERROR;
    }

    memset(ac->root, 0, ac->nclasses * sizeof(uint32_t));

    k = 0;

    for (s = 0; s < ac->nstates; s++) {
        ac->edge_first[s] = (uint32_t) k;

        for (c = b->nodes[s].child; c; c = b->nodes[c].next) {
            cls = ac->cls[b->nodes[c].byte];

            /* insertion sort: a state has few children */

            for (j = k; j > ac->edge_first[s] && ac->edge_cls[j - 1] > cls;
                 j--)
            {
                ac->edge_cls[j] = ac->edge_cls[j - 1];
                ac->edge_to[j] = ac->edge_to[j - 1];
            }

            ac->edge_cls[j] = cls;
            ac->edge_to[j] = c;
            k++;

            if (s == 0) {
                ac->root[cls] = c;
            }
        }
    }

    ac->edge_first[ac->nstates] = (uint32_t) k;

    return CM_OK;
}


static uint32_t
cm_ac_goto(const cm_ac_t *ac, uint32_t s, unsigned c)
{
    uint32_t  lo, hi, mid;

    if (s == 0) {
        return ac->root[c];
    }

    lo = ac->edge_first[s];
    hi = ac->edge_first[s + 1];

    /* the first edge of class c or above */

    while (hi - lo > 4) {
        mid = lo + (hi - lo) / 2;

        if (ac->edge_cls[mid] < c) {
            lo = mid + 1;

        } else {
            hi = mid + 1;
        }
    }

    for ( /* void */ ; lo < hi; lo++) {
        if (ac->edge_cls[lo] == c) {
            return ac->edge_to[lo];
        }
    }

    return 0;
}


/* failure links, breadth first; queue[] gets the states in that order */

static int
cm_ac_links(cm_ac_t *ac, uint32_t *queue)
{
    size_t    head, tail;
    uint32_t  u, v, f, t, k;

    ac->fail = cm_ac_alloc(ac, ac->nstates * sizeof(uint32_t));
    if (ac->fail == NULL) {
        return CM_ERROR;
    }

    ac->fail[0] = 0;

    head = 0;
    tail = 0;
    queue[tail++] = 0;

    while (head < tail) {
        u = queue[head++];

        for (k = ac->edge_first[u]; k < ac->edge_first[u + 1]; k++) {
            v = ac->edge_to[k];

            if (u == 0) {
                ac->fail[v] = 0;

            } else {
                f = ac->fail[u];

                for ( ;; ) {
                    t = cm_ac_goto(ac, f, ac->edge_cls[k]);

                    if (t || f == 0) {
                        break;
                    }

                    f = ac->fail[f];
                }

                ac->fail[v] = t;
            }

            queue[tail++] = v;
        }
    }

    return CM_OK;
}


static int
cm_ac_outputs(cm_ac_t *ac, cm_ac_builder_t *b, uint32_t *queue)
{
    size_t    k;
    uint32_t  s, f, o, i;

    ac->out_first = cm_ac_alloc(ac, (ac->nstates + 1) * sizeof(uint32_t));
    ac->out = cm_ac_alloc(ac, b->nouts * sizeof(cm_ac_out_t));
    ac->dict = cm_ac_alloc(ac, ac->nstates * sizeof(uint32_t));
    ac->hasout = cm_ac_alloc(ac, ac->nstates);

    if (ac->out_first == NULL || ac->out == NULL || ac->dict == NULL
        || ac->hasout == NULL)
    {
        return CM_ERROR;
    }

    k = 0;

    for (s = 0; s < ac->nstates; s++) {
        ac->out_first[s] = (uint32_t) k;

        for (o = b->nodes[s].out; o; o = b->outs[o - 1].next) {
            ac->out[k].value = b->outs[o - 1].value;
            ac->out[k].len = b->outs[o - 1].len;
            k++;
        }
    }

    ac->out_first[ac->nstates] = (uint32_t) k;

    /* parents before children: a fail target is shallower */

    ac->dict[0] = 0;
    ac->hasout[0] = 0;

    for (i = 1; i < ac->nstates; i++) {
        s = queue[i];
        f = ac->fail[s];

        ac->dict[s] = (ac->out_first[f] != ac->out_first[f + 1])
                      ? f : ac->dict[f];

        ac->hasout[s] = ac->out_first[s] != ac->out_first[s + 1]
                        || ac->dict[s] != 0;
    }

    return CM_OK;
}


/* the full table, breadth first: a missing edge is the fail state's */

static int
cm_ac_table(cm_ac_t *ac, uint32_t *queue)
{
    size_t     n;
    uint32_t   s, c, t, i, *row, *frow;

    n = (size_t) ac->nstates * ac->nclasses;

    ac->delta = cm_ac_alloc(ac, n * sizeof(uint32_t));
    if (ac->delta == NULL) {
        return CM_ERROR;
    }

    for (i = 0; i < ac->nstates; i++) {
        s = queue[i];
        row = &ac->delta[(size_t) s * ac->nclasses];
        frow = &ac->delta[(size_t) ac->fail[s] * ac->nclasses];

        row[0] = 0;

        for (c = 1; c < ac->nclasses; c++) {
            t = cm_ac_goto(ac, s, c);

            if (t) {
                row[c] = t * ac->nclasses
                         | (ac->hasout[t] ? CM_AC_OUT : 0);

            } else {
                row[c] = (s == 0) ? 0 : frow[c];
            }
        }
    }

    return CM_OK;
}


/* with a full table, the sparse edges are no longer needed */

static void
cm_ac_sparse_free(cm_ac_t *ac)
{
    size_t  n;

    n = ac->nstates;

    ac->alloc.free(ac->alloc.data, ac->root);
    ac->alloc.free(ac->alloc.data, ac->edge_first);
    ac->alloc.free(ac->alloc.data, ac->edge_cls);
    ac->alloc.free(ac->alloc.data, ac->edge_to);
    ac->alloc.free(ac->alloc.data, ac->fail);
    ac->alloc.free(ac->alloc.data, ac->hasout);

    ac->memory -= ac->nclasses * sizeof(uint32_t)
                  + (n + 1) * sizeof(uint32_t) + (n - 1)
                  + (n - 1) * sizeof(uint32_t) + n * sizeof(uint32_t) + n;

    ac->root = NULL;
    ac->edge_first = NULL;
    ac->edge_cls = NULL;
    ac->edge_to = NULL;
    ac->fail = NULL;
    ac->hasout = NULL;
}
