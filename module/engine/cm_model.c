
/*
 * The learned scorer: hashed n-gram features of a normalised view and a
 * logistic regression's probability over them; the model file that holds
 * the regression's weights.
 *
 * A model owns nothing but its own memory (from the caller's
 * allocator): a table of 2^bits weights of 16 bits, read-only once
 * loaded.  Scoring a field is one pass over its normalised view that
 * hashes each feature and, the first time its bucket comes up in the
 * field, adds the bucket's weight, in integers: the buckets seen are
 * bits in the caller's scratch, cleared afterwards through a list of
 * the 64-bit words that were set; no memory, a few nanoseconds a
 * feature.  The walk that finds the features is one inline function,
 * expanded both into that pass and into cm_model_features, which
 * comment-check train counts with: what the model learns from and what
 * it scores are the same features by construction.
 *
 * The file: a text header, then the weights as bytes.
 *
 *   cm-model 2
 *   # any comment
 *   features char2-5 word1-2
 *   bits 18
 *   bias -2.75
 *   threshold 0.62
 *   scale 0.00031                 a weight step
 *   data RECORDS BYTES CHECKSUM   FNV-1a of the bytes, in hex
 *   <bytes>
 *
 * One record a bucket with a weight, in bucket order: the gap from the
 * bucket after the previous record (LEB128), then the weight in steps
 * (int16, little-endian).
 */


#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cm_rules_int.h"
#include "cm_util.h"


#define CM_MODEL_MAGIC        "cm-model"
#define CM_MODEL_FEATURES     "char2-5 word1-2"

#define CM_MODEL_STEPS        32767

#define CM_FNV_BASIS          2166136261u
#define CM_FNV_PRIME          16777619u

/*
 * Hashing: a character's code is its UTF-8 bytes; an n-gram's hash is
 * the polynomial of its codes in CM_HASH_P, a word's too, from its own
 * seed; the bucket is the top bits of the hash times a multiplier of
 * the feature's kind (Fibonacci hashing).
 */
#define CM_HASH_P             0x2545f491u
#define CM_HASH_2             0x9e3779b1u
#define CM_HASH_3             0x85ebca6bu
#define CM_HASH_4             0xc2b2ae35u
#define CM_HASH_5             0x27d4eb2fu
#define CM_HASH_WORD          0x165667b1u
#define CM_HASH_PAIR          0xd3a2646du
#define CM_HASH_SEED          0x3c6ef372u

#define cm_model_space(c)     ((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))

/* the 64-bit words of a bit a bucket */
#define cm_model_nseen(bits)  (((size_t) 1 << (bits)) / 64)

#define CM_HDR_FEATURES       0x01
#define CM_HDR_BITS           0x02
#define CM_HDR_BIAS           0x04
#define CM_HDR_THRESHOLD      0x08
#define CM_HDR_SCALE          0x10
#define CM_HDR_ALL            0x1f


struct cm_model_s {
    unsigned              bits;
    double                bias;
    double                threshold;
    double                scale;     /* a weight step */
    size_t                weights;
    int16_t              *w;
};


/* cm_model_predict's sums over the buckets of a field */

typedef struct {
    const int16_t        *w;
    uint64_t             *seen;      /* a bit a bucket */
    uint32_t             *set;       /* the words of seen made non-zero */
    size_t                nset;
    int64_t               dot;       /* in weight steps */
    size_t                n;
} cm_model_sum_t;


/* one occurrence, for cm_model_explain */

typedef struct {
    uint32_t              bucket;
    uint32_t              kind;
    size_t                start;
    size_t                end;
} cm_model_occ_t;

typedef struct {
    const cm_alloc_t     *a;
    uint64_t             *seen;      /* a bit a bucket */
    cm_model_occ_t       *occ;       /* the first of each bucket */
    size_t                n;
    size_t                nalloc;
} cm_model_occs_t;


/* reading a file */

typedef struct {
    const char           *path;
    char                 *err;
    size_t                errlen;
} cm_model_load_t;


static inline int cm_model_walk(const unsigned char *t, size_t len,
    unsigned shift, cm_model_feature_pt fn, void *ctx)
    __attribute__((always_inline));
static size_t cm_model_char(const unsigned char *p, size_t len,
    uint32_t *code, unsigned *word);
static inline int cm_model_add(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end) __attribute__((always_inline));
static void cm_model_clear(cm_model_sum_t *s);
static int cm_model_collect(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end);
static double cm_model_sigmoid(double z);
static int cm_model_header(cm_model_load_t *ld, cm_model_t *m,
    cm_lines_t *ls, size_t *nrec, size_t *nbytes, uint32_t *sum,
    double *scale);
static void cm_model_header_unknown(cm_model_load_t *ld, unsigned line,
    const unsigned char *key, size_t len);
static int cm_model_records(cm_model_load_t *ld, cm_model_t *m,
    const unsigned char *p, size_t len, size_t nrec);
static int cm_model_double(const unsigned char *p, size_t len, double *v);
static int cm_model_ulong(const unsigned char *p, size_t len,
    unsigned long max, unsigned long *v);
static uint32_t cm_model_fnv(const unsigned char *p, size_t len);
static void cm_model_error(cm_model_load_t *ld, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));


/* ASCII letters and digits, which make words */

static const unsigned char  cm_model_word_ascii[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0
};


/* features */

int
cm_model_features(const cm_view_t *view, unsigned bits,
    cm_model_feature_pt fn, void *ctx)
{
    return cm_model_walk(view->text, view->len, 32 - bits, fn, ctx);
}


/*
 * One pass over the view for every feature.
 *
 * Characters: each token between spaces is read as " TOKEN "; after each
 * of its characters (the padding spaces included), the 2- to 5-grams
 * that end there.  g2..g5 are their hashes, each the one before it times
 * CM_HASH_P plus the new code, and s2..s5 where they start; once a token
 * has started, gN is right from its Nth character on.
 *
 * Words: runs of letters, marks and digits (punctuation and symbols end
 * them, as spaces do), each alone and with the word before it.
 */

#define cm_model_emit(h, mul, shift, type, start, end)                        \
    if (fn(ctx, (uint32_t) ((h) * (mul)) >> (shift), type, start, end) != 0)  \
    {                                                                         \
        return CM_ERROR;                                                      \
    }

#define cm_model_push(code, at, end)                                          \
    g5 = g4 * CM_HASH_P + (code);                                            \
    g4 = g3 * CM_HASH_P + (code);                                            \
    g3 = g2 * CM_HASH_P + (code);                                            \
    g2 = g1 * CM_HASH_P + (code);                                            \
    g1 = (code);                                                              \
    s5 = s4;                                                                  \
    s4 = s3;                                                                  \
    s3 = s2;                                                                  \
    s2 = s1;                                                                  \
    s1 = (at);                                                                \
    cm_model_emit(g2, CM_HASH_2, shift, CM_MODEL_CHAR, s2, end);              \
    if (++n >= 3) {                                                           \
        cm_model_emit(g3, CM_HASH_3, shift, CM_MODEL_CHAR, s3, end);          \
        if (n >= 4) {                                                         \
            cm_model_emit(g4, CM_HASH_4, shift, CM_MODEL_CHAR, s4, end);      \
            if (n >= 5) {                                                     \
                cm_model_emit(g5, CM_HASH_5, shift, CM_MODEL_CHAR, s5, end);  \
            }                                                                 \
        }                                                                     \
    }

#define cm_model_word_end(end)                                                \
    cm_model_emit(hw, CM_HASH_WORD, shift, CM_MODEL_WORD, ws, end);           \
    if (prev) {                                                               \
        cm_model_emit(phw * CM_HASH_P + hw, CM_HASH_PAIR, shift,              \
                      CM_MODEL_PAIR, pws, end);                               \
    }                                                                         \
    prev = 1;                                                                 \
    phw = hw;                                                                 \
    pws = ws;                                                                 \
    inword = 0;

static inline int
cm_model_walk(const unsigned char *t, size_t len, unsigned shift,
    cm_model_feature_pt fn, void *ctx)
{
    size_t    i, k, s1, s2, s3, s4, s5, ws, pws;
    uint32_t  c, g1, g2, g3, g4, g5, hw, phw, uc;
    unsigned  n, word, inword, prev, uw;

    g1 = g2 = g3 = g4 = g5 = 0;
    s1 = s2 = s3 = s4 = s5 = 0;
    hw = phw = 0;
    ws = pws = 0;
    inword = 0;
    prev = 0;
    i = 0;

    while (i < len) {

        if (cm_model_space(t[i])) {
            i++;
            continue;
        }

        /* a token, after its padding space */

        g1 = ' ';
        s1 = i;
        n = 1;

        do {
            c = t[i];

            if (c < 0x80) {
                word = cm_model_word_ascii[c];
                k = 1;

            } else {
                /* apart, so that c and word stay in registers */
                k = cm_model_char(t + i, len - i, &uc, &uw);
                c = uc;
                word = uw;
            }

            if (word) {
                if (!inword) {
                    inword = 1;
                    hw = CM_HASH_SEED;
                    ws = i;
                }

                hw = hw * CM_HASH_P + c;

            } else if (inword) {
                cm_model_word_end(i);
            }

            cm_model_push(c, i, i + k);

            i += k;

        } while (i < len && !cm_model_space(t[i]));

        if (inword) {
            cm_model_word_end(i);
        }

        cm_model_push(' ', i, i);
    }

    return CM_OK;
}


/*
 * A character past ASCII: its code (its bytes) and whether it belongs in
 * a word (a letter, a mark or a digit); an invalid byte, which a view
 * never holds, is a symbol of its own.
 */

static size_t
cm_model_char(const unsigned char *p, size_t len, uint32_t *code,
    unsigned *word)
{
    size_t               i, k;
    uint32_t             cp;
    utf8proc_category_t  cat;

    k = cm_utf8_decode(p, len, &cp);

    if (k == 0) {
        *code = p[0];
        *word = 0;
        return 1;
    }

    *code = 0;

    for (i = 0; i < k; i++) {
        *code |= (uint32_t) p[i] << (8 * i);
    }

    cat = utf8proc_category((utf8proc_int32_t) cp);

    *word = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;

    return k;
}


/* scoring */

double
cm_model_norm(size_t n)
{
    return sqrt((double) (n < CM_MODEL_NORM_MIN ? CM_MODEL_NORM_MIN : n));
}


size_t
cm_model_state_size(const cm_model_t *m)
{
    return cm_model_nseen(m->bits) * (sizeof(uint64_t) + sizeof(uint32_t));
}


double
cm_model_predict(const cm_model_t *m, void *state, const cm_view_t *view)
{
    cm_model_sum_t  s;

    s.w = m->w;
    s.seen = state;
    s.set = (uint32_t *) (s.seen + cm_model_nseen(m->bits));
    s.nset = 0;
    s.dot = 0;
    s.n = 0;

    (void) cm_model_walk(view->text, view->len, 32 - m->bits, cm_model_add,
                         &s);

    cm_model_clear(&s);

    if (s.n == 0) {
        return 0;
    }

    return cm_model_sigmoid(m->bias + s.dot * m->scale / cm_model_norm(s.n));
}


/* a bucket's weight, the first time it comes up */

static inline int
cm_model_add(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    uint64_t         bit, *word;
    cm_model_sum_t  *s = ctx;

    word = &s->seen[bucket >> 6];
    bit = (uint64_t) 1 << (bucket & 63);

    if (*word & bit) {
        return 0;
    }

    if (*word == 0) {
        s->set[s->nset++] = bucket >> 6;
    }

    *word |= bit;

    s->dot += s->w[bucket];
    s->n++;

    return 0;
}


/* the words the field set, each listed once: zero again, list too */

static void
cm_model_clear(cm_model_sum_t *s)
{
    size_t  i;

    for (i = 0; i < s->nset; i++) {
        s->seen[s->set[i]] = 0;
        s->set[i] = 0;
    }
}


static double
cm_model_sigmoid(double z)
{
    if (z >= 0) {
        return 1.0 / (1.0 + exp(-z));
    }

    return exp(z) / (1.0 + exp(z));
}


/* the shares of bias + w . x, one bucket at a time */

int
cm_model_explain(const cm_model_t *m, const cm_alloc_t *a,
    const cm_view_t *view, cm_model_explain_pt fn, void *ctx, double *p)
{
    int              rc;
    size_t           i, size;
    double           norm;
    int64_t          dot;
    cm_model_occ_t  *occ;
    cm_model_occs_t  o;

    size = cm_model_nseen(m->bits) * sizeof(uint64_t);

    o.a = a;
    o.occ = NULL;
    o.n = 0;
    o.nalloc = 0;

    *p = 0;
    rc = CM_OK;

    o.seen = a->alloc(a->data, size);
    if (o.seen == NULL) {
        return CM_ERROR;
    }

    memset(o.seen, 0, size);

    if (cm_model_features(view, m->bits, cm_model_collect, &o) != CM_OK) {
        rc = CM_ERROR;
        goto done;
    }

    if (o.n == 0) {
        goto done;
    }

    norm = cm_model_norm(o.n);
    dot = 0;

    for (i = 0; i < o.n; i++) {
        occ = &o.occ[i];
        dot += m->w[occ->bucket];

        if (fn(ctx, occ->bucket, occ->kind, occ->start, occ->end,
               m->w[occ->bucket] * m->scale / norm)
            != 0)
        {
            break;
        }
    }

    *p = cm_model_sigmoid(m->bias + dot * m->scale / norm);

done:

    if (a->free) {
        if (o.occ) {
            a->free(a->data, o.occ);
        }

        a->free(a->data, o.seen);
    }

    return rc;
}


/* the first occurrence of each bucket */

static int
cm_model_collect(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    uint64_t          bit;
    cm_model_occs_t  *o = ctx;
    cm_model_occ_t   *occ;

    bit = (uint64_t) 1 << (bucket & 63);

    if (o->seen[bucket >> 6] & bit) {
        return 0;
    }

    o->seen[bucket >> 6] |= bit;

    occ = cm_grow(o->a, o->occ, o->n, &o->nalloc, sizeof(cm_model_occ_t));
    if (occ == NULL) {
        return -1;
    }

    o->occ = occ;

    occ = &o->occ[o->n++];
    occ->bucket = bucket;
    occ->kind = kind;
    occ->start = start;
    occ->end = end;

    return 0;
}


void
cm_model_info(const cm_model_t *m, cm_model_info_t *info)
{
    info->bits = m->bits;
    info->bias = m->bias;
    info->threshold = m->threshold;
    info->weights = m->weights;
    info->memory = sizeof(cm_model_t)
                   + ((size_t) 1 << m->bits) * sizeof(int16_t);
}


double
cm_model_weight(const cm_model_t *m, uint32_t bucket)
{
    return m->w[bucket & (((uint32_t) 1 << m->bits) - 1)] * m->scale;
}


/* the file */

int
cm_model_encode(const cm_alloc_t *a, const cm_model_spec_t *spec,
    unsigned char **out, size_t *len, char *err, size_t errlen)
{
    int             n;
    long            q;
    size_t          nb, b, prev, nrec, size, hlen, dlen, k;
    double          maxw, scale;
    unsigned char  *buf, *d;
    char            hdr[1024];

    if (spec->bits < CM_MODEL_BITS_MIN || spec->bits > CM_MODEL_BITS_MAX) {
        snprintf(err, errlen, "bits must be %d to %d", CM_MODEL_BITS_MIN,
                 CM_MODEL_BITS_MAX);
        return CM_ERROR;
    }

    if (!(spec->threshold > 0 && spec->threshold <= 1)
        || !isfinite(spec->bias))
    {
        snprintf(err, errlen, "bad threshold or bias");
        return CM_ERROR;
    }

    nb = (size_t) 1 << spec->bits;
    maxw = 0;

    for (b = 0; b < nb; b++) {
        if (!isfinite(spec->w[b])) {
            snprintf(err, errlen, "weight of bucket %zu is not a number", b);
            return CM_ERROR;
        }

        if (fabs(spec->w[b]) > maxw) {
            maxw = fabs(spec->w[b]);
        }
    }

    scale = maxw > 0 ? maxw / CM_MODEL_STEPS : 1.0;

    /* at most 4 bytes of gap and 2 of weight a bucket */

    size = sizeof(hdr) + nb * 6;

    buf = a->alloc(a->data, size);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return CM_ERROR;
    }

    d = buf + sizeof(hdr);
    dlen = 0;
    nrec = 0;
    prev = 0;

    for (b = 0; b < nb; b++) {
        q = lround(spec->w[b] / scale);

        if (q == 0) {
            continue;
        }

        k = b - prev;

        do {
            d[dlen++] = (unsigned char) ((k & 0x7f) | (k > 0x7f ? 0x80 : 0));
            k >>= 7;
        } while (k);

        d[dlen++] = (unsigned char) ((uint16_t) (int16_t) q & 0xff);
        d[dlen++] = (unsigned char) ((uint16_t) (int16_t) q >> 8);

        prev = b + 1;
        nrec++;
    }

    n = snprintf(hdr, sizeof(hdr),
                 CM_MODEL_MAGIC " %d\n"
                 "%s%s%s"
                 "features " CM_MODEL_FEATURES "\n"
                 "bits %u\n"
                 "bias %.17g\n"
                 "threshold %.17g\n"
                 "scale %.17g\n"
                 "data %zu %zu %08x\n",
                 CM_MODEL_VERSION,
                 spec->comment ? "# " : "",
                 spec->comment ? spec->comment : "",
                 spec->comment ? "\n" : "",
                 spec->bits, spec->bias, spec->threshold, scale, nrec, dlen,
                 cm_model_fnv(d, dlen));

    if (n < 0 || (size_t) n >= sizeof(hdr)) {
        if (a->free) {
            a->free(a->data, buf);
        }

        snprintf(err, errlen, "header too long");
        return CM_ERROR;
    }

    hlen = n;

    memmove(buf + hlen, d, dlen);
    memcpy(buf, hdr, hlen);

    *out = buf;
    *len = hlen + dlen;

    return CM_OK;
}


cm_model_t *
cm_model_load(const cm_alloc_t *a, const char *path, char *err,
    size_t errlen)
{
    return cm_model_load_at(a, path, NULL, 0, err, errlen);
}


cm_model_t *
cm_model_load_at(const cm_alloc_t *a, const char *path, const char *at,
    unsigned line, char *err, size_t errlen)
{
    size_t            nrec, nbytes, hlen, nb;
    uint32_t          sum;
    cm_file_t         f;
    cm_lines_t        ls;
    cm_model_t       *m;
    const char       *what;
    cm_model_load_t   ld;
    char              reason[256];

    ld.path = path;
    ld.err = err;
    ld.errlen = errlen;

    if (cm_file_read(a, path, &f, &what, reason, sizeof(reason)) != CM_OK) {
        if (at) {
            snprintf(err, errlen, "%s:%u: %s \"%s\": %s", at, line, what,
                     path, reason);

        } else {
            snprintf(err, errlen, "%s: %s: %s", path, what, reason);
        }

        return NULL;
    }

    m = a->alloc(a->data, sizeof(cm_model_t));
    if (m == NULL) {
        cm_model_error(&ld, 0, "out of memory");
        goto failed;
    }

    memset(m, 0, sizeof(cm_model_t));

    cm_lines_init(&ls, f.data, f.len);

    if (cm_model_header(&ld, m, &ls, &nrec, &nbytes, &sum, &m->scale)
        != CM_OK)
    {
        goto failed;
    }

    hlen = ls.p - f.data;

    if (hlen > f.len || f.len - hlen != nbytes) {
        cm_model_error(&ld, 0, "%zu bytes of data where the header says "
                       "%zu: the file is cut short or damaged",
                       hlen > f.len ? 0 : f.len - hlen, nbytes);
        goto failed;
    }

    if (cm_model_fnv(f.data + hlen, nbytes) != sum) {
        cm_model_error(&ld, 0, "checksum mismatch: the data is damaged");
        goto failed;
    }

    nb = (size_t) 1 << m->bits;

    m->w = a->alloc(a->data, nb * sizeof(int16_t));
    if (m->w == NULL) {
        cm_model_error(&ld, 0, "out of memory");
        goto failed;
    }

    memset(m->w, 0, nb * sizeof(int16_t));

    if (cm_model_records(&ld, m, f.data + hlen, nbytes, nrec) != CM_OK) {
        goto failed;
    }

    if (a->free) {
        a->free(a->data, f.data);
    }

    return m;

failed:

    if (a->free) {
        a->free(a->data, f.data);
    }

    cm_model_free(a, m);

    return NULL;
}


void
cm_model_free(const cm_alloc_t *a, cm_model_t *m)
{
    if (m == NULL || a->free == NULL) {
        return;
    }

    if (m->w) {
        a->free(a->data, m->w);
    }

    a->free(a->data, m);
}


static int
cm_model_header(cm_model_load_t *ld, cm_model_t *m, cm_lines_t *ls,
    size_t *nrec, size_t *nbytes, uint32_t *sum, double *scale)
{
    size_t                klen, vlen;
    unsigned              seen, key;
    unsigned long         n, k;
    const unsigned char  *s, *e, *v, *sp;

    if (!cm_lines_next(ls, &s, &e)
        || (size_t) (e - s) < sizeof(CM_MODEL_MAGIC)
        || memcmp(s, CM_MODEL_MAGIC " ", sizeof(CM_MODEL_MAGIC)) != 0)
    {
        cm_model_error(ld, 1, "not a model file (no \"" CM_MODEL_MAGIC
                       "\" line)");
        return CM_ERROR;
    }

    s += sizeof(CM_MODEL_MAGIC);

    if (cm_model_ulong(s, e - s, 1000000, &n) != CM_OK) {
        cm_model_error(ld, 1, "bad version \"%.*s\"", (int) (e - s), s);
        return CM_ERROR;
    }

    if (n != CM_MODEL_VERSION) {
        cm_model_error(ld, 1, "model version %lu, this engine reads "
                       "version %d: train it again", n, CM_MODEL_VERSION);
        return CM_ERROR;
    }

    seen = 0;

    while (cm_lines_next(ls, &s, &e)) {

        if (s == e || *s == '#') {
            continue;
        }

        sp = memchr(s, ' ', e - s);
        if (sp == NULL) {
            sp = e;
        }

        klen = sp - s;
        v = sp < e ? sp + 1 : e;
        vlen = e - v;

#define cm_key(name)  (klen == sizeof(name) - 1 && memcmp(s, name, klen) == 0)

        if (cm_key("data")) {
            if ((seen & CM_HDR_ALL) != CM_HDR_ALL) {
                cm_model_error(ld, ls->line, "header incomplete before "
                               "\"data\": it needs features, bits, bias, "
                               "threshold and scale");
                return CM_ERROR;
            }

            /* RECORDS BYTES CHECKSUM */

            sp = memchr(v, ' ', vlen);
            s = sp ? memchr(sp + 1, ' ', e - sp - 1) : NULL;

            if (sp == NULL || s == NULL
                || cm_model_ulong(v, sp - v, (unsigned long) 1 << m->bits,
                                  &n) != CM_OK
                || cm_model_ulong(sp + 1, s - sp - 1, CM_FILE_MAX, &k)
                   != CM_OK
                || e - s - 1 != 8)
            {
                cm_model_error(ld, ls->line, "bad data line, must be "
                               "\"data RECORDS BYTES CHECKSUM\"");
                return CM_ERROR;
            }

            *nrec = n;
            *nbytes = k;
            *sum = 0;

            for (s++; s < e; s++) {
                if (*s >= '0' && *s <= '9') {
                    *sum = (*sum << 4) | (*s - '0');

                } else if (*s >= 'a' && *s <= 'f') {
                    *sum = (*sum << 4) | (*s - 'a' + 10);

                } else {
                    cm_model_error(ld, ls->line, "bad checksum");
                    return CM_ERROR;
                }
            }

            return CM_OK;
        }

        if (cm_key("features")) {
            key = CM_HDR_FEATURES;

        } else if (cm_key("bits")) {
            key = CM_HDR_BITS;

        } else if (cm_key("bias")) {
            key = CM_HDR_BIAS;

        } else if (cm_key("threshold")) {
            key = CM_HDR_THRESHOLD;

        } else if (cm_key("scale")) {
            key = CM_HDR_SCALE;

        } else {
            cm_model_header_unknown(ld, ls->line, s, klen);
            return CM_ERROR;
        }

#undef cm_key

        if (seen & key) {
            cm_model_error(ld, ls->line, "\"%.*s\" given twice", (int) klen,
                           s);
            return CM_ERROR;
        }

        seen |= key;

        switch (key) {

        case CM_HDR_FEATURES:
            if (vlen != sizeof(CM_MODEL_FEATURES) - 1
                || memcmp(v, CM_MODEL_FEATURES, vlen) != 0)
            {
                cm_model_error(ld, ls->line, "features \"%.*s\" unknown, "
                               "this engine computes \"" CM_MODEL_FEATURES
                               "\"", (int) (vlen > 64 ? 64 : vlen), v);
                return CM_ERROR;
            }

            break;

        case CM_HDR_BITS:
            if (cm_model_ulong(v, vlen, CM_MODEL_BITS_MAX, &n) != CM_OK
                || n < CM_MODEL_BITS_MIN)
            {
                cm_model_error(ld, ls->line, "bits must be %d to %d",
                               CM_MODEL_BITS_MIN, CM_MODEL_BITS_MAX);
                return CM_ERROR;
            }

            m->bits = (unsigned) n;
            break;

        case CM_HDR_BIAS:
            if (cm_model_double(v, vlen, &m->bias) != CM_OK) {
                cm_model_error(ld, ls->line, "bad bias");
                return CM_ERROR;
            }

            break;

        case CM_HDR_THRESHOLD:
            if (cm_model_double(v, vlen, &m->threshold) != CM_OK
                || !(m->threshold > 0 && m->threshold <= 1))
            {
                cm_model_error(ld, ls->line, "threshold must be a number "
                               "above 0 and at most 1");
                return CM_ERROR;
            }

            break;

        default: /* CM_HDR_SCALE */
            if (cm_model_double(v, vlen, scale) != CM_OK || *scale <= 0) {
                cm_model_error(ld, ls->line, "scale must be a number "
                               "above 0");
                return CM_ERROR;
            }

            break;
        }
    }

    cm_model_error(ld, ls->line, "no \"data\" line: the file is cut short");

    return CM_ERROR;
}


/* binary bytes in the header: most likely its "data" line is lost */

static void
cm_model_header_unknown(cm_model_load_t *ld, unsigned line,
    const unsigned char *key, size_t len)
{
    size_t  i;

    len = len > 64 ? 64 : len;

    for (i = 0; i < len; i++) {
        if (key[i] < 0x20 || key[i] >= 0x7f) {
            cm_model_error(ld, line, "binary bytes in the header: the "
                           "\"data\" line is missing or damaged");
            return;
        }
    }

    cm_model_error(ld, line, "unknown header line \"%.*s\"", (int) len,
                   key);
}


static int
cm_model_records(cm_model_load_t *ld, cm_model_t *m, const unsigned char *p,
    size_t len, size_t nrec)
{
    size_t    i, off, b, gap, nb;
    int16_t   q;
    unsigned  shift;

    nb = (size_t) 1 << m->bits;
    off = 0;
    b = 0;

    for (i = 0; i < nrec; i++) {
        gap = 0;
        shift = 0;

        do {
            if (off == len || shift > 28) {
                cm_model_error(ld, 0, "record %zu of %zu is malformed or "
                               "cut short", i + 1, nrec);
                return CM_ERROR;
            }

            gap |= (size_t) (p[off] & 0x7f) << shift;
            shift += 7;

        } while (p[off++] & 0x80);

        if (gap >= nb - b || len - off < 2) {
            cm_model_error(ld, 0, "record %zu of %zu: bucket past 2^%u",
                           i + 1, nrec, m->bits);
            return CM_ERROR;
        }

        b += gap;

        q = (int16_t) (uint16_t) (p[off] | (p[off + 1] << 8));

        m->w[b] = q;
        m->weights += (q != 0);

        off += 2;
        b++;
    }

    if (off != len) {
        cm_model_error(ld, 0, "%zu bytes after the last record", len - off);
        return CM_ERROR;
    }

    return CM_OK;
}


/* a finite decimal number, the whole of p */

static int
cm_model_double(const unsigned char *p, size_t len, double *v)
{
    char   buf[64], *end;

    if (len == 0 || len >= sizeof(buf)) {
        return CM_ERROR;
    }

    memcpy(buf, p, len);
    buf[len] = '\0';

    *v = strtod(buf, &end);

    if (*end != '\0' || !isfinite(*v)) {
        return CM_ERROR;
    }

    return CM_OK;
}


static int
cm_model_ulong(const unsigned char *p, size_t len, unsigned long max,
    unsigned long *v)
{
    size_t  i;

    if (len == 0) {
        return CM_ERROR;
    }

    *v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return CM_ERROR;
        }

        *v = *v * 10 + (p[i] - '0');

        if (*v > max) {
            return CM_ERROR;
        }
    }

    return CM_OK;
}


static uint32_t
cm_model_fnv(const unsigned char *p, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = CM_FNV_BASIS;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * CM_FNV_PRIME;
    }

    return h;
}


/* "FILE:LINE: message" for the header, "FILE: message" for the data */

static void
cm_model_error(cm_model_load_t *ld, unsigned line, const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (ld->errlen == 0) {
        return;
    }

    if (line) {
        n = snprintf(ld->err, ld->errlen, "%s:%u: ", ld->path, line);

    } else {
        n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
    }

    if (n < 0 || (size_t) n >= ld->errlen) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(ld->err + n, ld->errlen - n, fmt, args);
    va_end(args);
}


/* for comment-check: the model of a rule */

const cm_model_t *
cm_ruleset_rule_model(const cm_ruleset_t *rs, size_t i, double *threshold)
{
    const cm_rule_t  *r;

    if (i >= rs->nrules || rs->rules[i].type != CM_RULE_MODEL) {
        return NULL;
    }

    r = &rs->rules[i];

    if (threshold) {
        *threshold = r->threshold;
    }

    return r->model;
}
