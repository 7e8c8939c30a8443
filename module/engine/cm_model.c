
/*
 * The learned scorer: hashed n-gram features of a normalised view and a
 * logistic regression's probability over them; the model file that holds
 * the regression's weights and the tokens it keeps sums of.
 *
 * A model owns nothing but its own memory (from the caller's
 * allocator): a table of 2^bits weights of 16 bits and a table of
 * tokens, read-only once loaded.  Scoring a field is one pass over its
 * normalised view: each token is found and hashed, and the first time
 * it comes up in the field its sum is looked up in the table of tokens,
 * or, for a token the table lacks, its n-grams and words are walked and
 * their weights added, each as often as it comes up in the token; each
 * pair of neighbouring tokens adds its bucket's weight the first time it
 * comes up in the field.  The set of what came up is a table stamped
 * with the field's number in the caller's scratch, so that the next
 * empties it by counting one up; no memory, in integers.  The
 * walk is one inline function, expanded into that pass, into
 * cm_model_features, which comment-check train counts with, and into
 * the loading of the tokens' sums: what the model learns from and what
 * it scores are the same features by construction.
 *
 * The file: a text header, then the weights and the tokens as bytes.
 *
 *   cm-model 4
 *   # any comment
 *   features char2-5 word1-2 by token, runs of 2
 *   bits 18
 *   bias -2.75
 *   threshold 0.62
 *   scale 0.00031                 a weight step
 *   rates 0.01 0.62 0.03 0.41     optional: thresholds by share of ham
 *   tokens TOKENS BYTES           optional
 *   data RECORDS BYTES CHECKSUM   FNV-1a of the bytes that follow
 *   <records><tokens>
 *
 * One record a bucket with a weight, in bucket order: the gap from the
 * bucket after the previous record (LEB128), then the weight in steps
 * (int16, little-endian).  Then the tokens, each ended by "\n".
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
#define CM_MODEL_FEATURES     "char2-5 word1-2 by token, runs of 2"

#define CM_MODEL_STEPS        32767


/*
 * Hashing: a character's code is its UTF-8 bytes; an n-gram's hash is
 * the polynomial of its codes in CM_HASH_P, a word's too, from its own
 * seed; a pair's, the first's times CM_HASH_Q (CM_HASH_P for a pair of
 * tokens) plus the second's; a feature's key is the hash times a
 * multiplier of its kind, its bucket the key's top bits (Fibonacci
 * hashing).  A token's hash is of its bytes, 8 at a time
 * (cm_model_hash).
 */
#define CM_HASH_P             0x2545f491u
#define CM_HASH_2             0x9e3779b1u
#define CM_HASH_3             0x85ebca6bu
#define CM_HASH_4             0xc2b2ae35u
#define CM_HASH_5             0x27d4eb2fu
#define CM_HASH_WORD          0x165667b1u
#define CM_HASH_PAIR          0xd3a2646du
#define CM_HASH_Q             0x7feb352du
#define CM_HASH_TOKEN         0x61c88647u
#define CM_HASH_SEED          0x3c6ef372u
#define CM_HASH_K64           0x9e3779b97f4a7c15ull

#define CM_ONES               0x0101010101010101ull
#define CM_HIGH               0x8080808080808080ull


/* the 64-bit words of a bit a bucket and a bit a token's key */
#define cm_model_nseen(bits)  (((size_t) 2 << (bits)) / 64)

#define CM_HDR_FEATURES       0x01
#define CM_HDR_BITS           0x02
#define CM_HDR_BIAS           0x04
#define CM_HDR_THRESHOLD      0x08
#define CM_HDR_SCALE          0x10
#define CM_HDR_ALL            0x1f
#define CM_HDR_TOKENS         0x20
#define CM_HDR_RATES          0x40


/* a token of the table: its sum and count; an empty slot is all 0 */

typedef struct {
    uint64_t              head;      /* its first 8 bytes, 0-padded */
    uint32_t              off;       /* its bytes in cm_model_t.pool */
    int32_t               dot;       /* in weight steps */
    uint16_t              len;
    uint16_t              n;
} cm_model_tok_t;


struct cm_model_s {
    unsigned              bits;
    double                bias;
    double                threshold;
    double                scale;     /* a weight step */
    size_t                weights;
    int16_t              *w;

    cm_model_tok_t       *tok;       /* 2^tbits slots, or NULL */
    unsigned              tbits;
    size_t                ntok;
    unsigned char        *pool;      /* the tokens' bytes */
    size_t                pool_len;

    double                rates[CM_MODEL_RATES];
    double                rate_thresholds[CM_MODEL_RATES];
    size_t                nrates;
};


/*
 * The set of a field's keys (its pairs' buckets, its tokens' keys).  Up
 * to CM_MODEL_SLOTS / 2 keys, an open-addressing table whose slots are
 * empty unless stamped with the field's number, so that the next field
 * empties it by counting one up; past that, a bit a key, and the words
 * of it made non-zero, to clear just those.  Both in the scratch,
 * the table at its start, the same for every model.
 */

#define CM_MODEL_SLOTS        4096

/*
 * A probe this long, rare at the loads of most fields (the 290 keys of a
 * 1 KB comment fill 7% of the table), most likely means keys made to
 * share slots: the field goes on in the bits, whose cost no key can
 * raise; either holds the same set
 */
#define CM_MODEL_PROBES       16

typedef struct {
    uint32_t              stamp;
    uint32_t              key;
} cm_model_slot_t;

typedef struct {
    uint32_t              gen;
    uint32_t              pad;
    cm_model_slot_t       slot[CM_MODEL_SLOTS];
} cm_model_table_t;

typedef struct {
    uint64_t             *seen;
    uint32_t             *set;
    size_t                nset;
    unsigned              bits;
} cm_model_set_t;

/*
 * A token's key in the field's set: its hash with the top bit set, which
 * no bucket has, so that a token and a pair never share a key; in the
 * bits, the buckets' bits come first, then the tokens', by the hash's
 * top bits
 */
#define cm_model_token_key(h)  ((h) | 0x80000000u)


/* the table of tokens, as cm_model_find reads it */

typedef struct {
    const cm_model_tok_t *tok;       /* NULL: none */
    const unsigned char  *pool;
    unsigned              shift;     /* 32 - tbits */
    size_t                mask;
} cm_model_list_t;


/* cm_model_predict's sums over a field */

typedef struct {
    const int16_t        *w;
    int64_t               dot;       /* in weight steps */
    size_t                n;
} cm_model_sum_t;


/* reading a file */

typedef struct {
    const char           *path;
    char                 *err;
    size_t                errlen;
} cm_model_load_t;


/* the walk of a token the table lacks */
typedef int (*cm_model_token_pt)(const unsigned char *t, size_t ts,
    size_t te, unsigned shift, cm_model_feature_pt fn, void *ctx);

static inline int cm_model_walk(const unsigned char *t, size_t len,
    unsigned shift, void *tables, void *bits, const cm_model_t *known,
    cm_model_sum_t *sum, cm_model_token_pt token, cm_model_feature_pt fn,
    void *ctx) __attribute__((always_inline));
static inline int cm_model_token(const unsigned char *t, size_t ts,
    size_t te, unsigned shift, cm_model_feature_pt fn, void *ctx)
    __attribute__((always_inline));
static int cm_model_token_sum(const unsigned char *t, size_t ts, size_t te,
    unsigned shift, cm_model_feature_pt fn, void *ctx);
static int cm_model_token_out(const unsigned char *t, size_t ts, size_t te,
    unsigned shift, cm_model_feature_pt fn, void *ctx);
static inline int cm_model_seen(cm_model_table_t *tab, uint32_t gen,
    size_t *nkeys, cm_model_set_t *set, uint32_t key)
    __attribute__((always_inline));
static int cm_model_seen_bits(cm_model_table_t *tab, uint32_t gen,
    size_t *nkeys, cm_model_set_t *set, uint32_t key)
    __attribute__((cold, noinline));
static void cm_model_spill(cm_model_set_t *set, cm_model_table_t *tab,
    uint32_t gen);
static int cm_model_test_bits(cm_model_set_t *set, uint32_t bucket);
static void cm_model_clear(cm_model_set_t *set, cm_model_table_t *tab);
static uint32_t cm_model_set(cm_model_table_t *tab, void *state,
    unsigned bits, cm_model_set_t *set);
static void cm_model_list(const cm_model_t *m, cm_model_list_t *list);
static inline const cm_model_tok_t *cm_model_find(
    const cm_model_list_t *list, const unsigned char *p, size_t len,
    uint32_t hash, uint64_t head) __attribute__((always_inline));
static inline uint32_t cm_model_hash(const unsigned char *p, size_t len,
    const unsigned char *end, uint64_t *head) __attribute__((always_inline));
static inline uint32_t cm_model_hash8(uint64_t x, size_t len)
    __attribute__((always_inline));
static inline uint64_t cm_model_spaces(uint64_t x)
    __attribute__((always_inline));
static size_t cm_model_char(const unsigned char *p, size_t len,
    uint32_t *code, unsigned *cls) __attribute__((noinline));
static inline const unsigned char *cm_model_run(const unsigned char *p,
    const unsigned char *end) __attribute__((always_inline));
static size_t cm_model_code(const unsigned char *p, size_t len,
    uint32_t *code);
static inline int cm_model_add(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end) __attribute__((always_inline));
static int cm_model_add_out(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end);
static double cm_model_sigmoid(double z);
static int cm_model_header(cm_model_load_t *ld, cm_model_t *m,
    cm_lines_t *ls, size_t *nrec, size_t *nbytes, size_t *tbytes,
    uint32_t *sum, double *scale);
static void cm_model_header_unknown(cm_model_load_t *ld, unsigned line,
    const unsigned char *key, size_t len);
static int cm_model_records(cm_model_load_t *ld, cm_model_t *m,
    const unsigned char *p, size_t len, size_t nrec);
static int cm_model_tokens(cm_model_load_t *ld, const cm_alloc_t *a,
    cm_model_t *m, const unsigned char *p, size_t len);
static int cm_model_rates(cm_model_t *m, const unsigned char *p,
    size_t len);
static int cm_model_double(const unsigned char *p, size_t len, double *v);
static int cm_model_ulong(const unsigned char *p, size_t len,
    unsigned long max, unsigned long *v);
static void cm_model_error(cm_model_load_t *ld, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));


/*
 * ASCII in a token: letters and digits (which make words), the rest; no
 * token holds a byte up to the space (cm_model_space)
 */

#define CM_MODEL_WORDCH       1
#define CM_MODEL_OTHER        2

static const unsigned char  cm_model_class_ascii[128] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2
};


/* features */

int
cm_model_features(const cm_view_t *view, unsigned bits, void *state,
    cm_model_feature_pt fn, void *ctx)
{
    return cm_model_walk(view->text, view->len, 32 - bits, state,
                         (unsigned char *) state + cm_model_tables_size(),
                         NULL, NULL, cm_model_token_out, fn, ctx);
}


size_t
cm_model_scratch_size(unsigned bits)
{
    return cm_model_tables_size() + cm_model_bits_size(bits);
}


size_t
cm_model_tables_size(void)
{
    return sizeof(cm_model_table_t);
}


size_t
cm_model_bits_size(unsigned bits)
{
    return cm_model_nseen(bits) * (sizeof(uint64_t) + sizeof(uint32_t));
}


/*
 * One pass over the view.  A token is a run of characters between
 * spaces: most end within their first 8 bytes, found and hashed at once;
 * the others 8 bytes at a time (cm_model_run, cm_model_hash).  Each pair
 * of neighbouring tokens counts the first time its bucket comes up; each
 * token, the first time its bucket comes up, brings its own features:
 * its sum from "known" (cm_model_predict), or its walk.
 */

static inline int
cm_model_walk(const unsigned char *t, size_t len, unsigned shift,
    void *tables, void *bits, const cm_model_t *known, cm_model_sum_t *sum,
    cm_model_token_pt token, cm_model_feature_pt fn, void *ctx)
{
    int                    rc;
    size_t                 k, nkeys;
    uint32_t               h, ph, bucket, gen;
    uint64_t               x, m, head;
    unsigned               prev;
    cm_model_set_t         field;
    cm_model_table_t      *tab;
    cm_model_list_t        list;
    const unsigned char   *p, *ts, *te, *pts, *end;
    const cm_model_tok_t  *e;

    cm_model_list(known, &list);

    tab = tables;
    gen = cm_model_set(tab, bits, 32 - shift, &field);
    nkeys = 0;

    ph = 0;
    pts = t;
    prev = 0;
    rc = CM_OK;
    p = t;
    end = t + len;

    for ( ;; ) {

        /* the spaces before it: a view has no two in a row */

        while (p < end && cm_model_space(*p)) {
            p++;
        }

        if (p == end) {
            break;
        }

        ts = p;

        if (end - p >= 8) {
            memcpy(&x, p, 8);
            m = cm_model_spaces(x);

            if (m) {

                /* it ends at a space: the next starts past it */

                k = __builtin_ctzll(m) >> 3;
                head = x & (((m & -m) >> 7) - 1);
                h = cm_model_hash8(head, k);
                te = p + k;
                p = te + 1;
                goto found;
            }

            te = cm_model_run(p + 8, end);

        } else {
            te = cm_model_run(p + 1, end);
        }

        p = te;
        h = cm_model_hash(ts, te - ts, end, &head);

    found:

        if (prev) {
            bucket = ((ph * CM_HASH_P + h) * CM_HASH_PAIR) >> shift;

            if (!cm_model_seen(tab, gen, &nkeys, &field, bucket)
                && fn(ctx, bucket, CM_MODEL_PAIR, pts - t, te - t) != 0)
            {
                rc = CM_ERROR;
                break;
            }
        }

        prev = 1;
        ph = h;
        pts = ts;

        if (cm_model_seen(tab, gen, &nkeys, &field, cm_model_token_key(h)))
        {
            continue;
        }

        if (list.tok) {
            e = cm_model_find(&list, ts, te - ts, h, head);

            if (e) {
                sum->dot += e->dot;
                sum->n += e->n;
                continue;
            }
        }

        if (token(t, ts - t, te - t, shift, fn, ctx) != CM_OK) {
            rc = CM_ERROR;
            break;
        }
    }

    cm_model_clear(&field, tab);

    return rc;
}


/*
 * The bytes of x that end a token (cm_model_space), flagged by their top
 * bit: the borrow of subtracting 0x21 from each byte, in one that is
 * 0x20 or less.  The lowest byte flagged is a true one; those above it
 * may not be.
 */

static inline uint64_t
cm_model_spaces(uint64_t x)
{
    return (x - 0x21 * CM_ONES) & ~x & CM_HIGH;
}


/*
 * Where a token that goes on at p ends: at the first space; 8 bytes at a
 * time, then one by one.
 */

static inline const unsigned char *
cm_model_run(const unsigned char *p, const unsigned char *end)
{
    uint64_t  x, m;

    while (end - p >= 8) {
        memcpy(&x, p, 8);

        m = cm_model_spaces(x);

        if (m) {
            return p + (__builtin_ctzll(m) >> 3);
        }

        p += 8;
    }

    while (p < end && !cm_model_space(*p)) {
        p++;
    }

    return p;
}


/*
 * A token's hash: its bytes 8 at a time, little-endian, the last 0-padded,
 * each xored into the sum and multiplied (64 bits), then its length; the
 * top 32 bits.  "head" gets the first 8.  The bytes past the token are
 * read at once when the view goes on 8 more, else one by one.
 */

static inline uint32_t
cm_model_hash(const unsigned char *p, size_t len, const unsigned char *end,
    uint64_t *head)
{
    size_t    i, n;
    uint64_t  h, x;

    if (len <= 8 && end - p >= 8) {

        /* most tokens */

        memcpy(&x, p, 8);
        x &= ~(uint64_t) 0 >> (64 - 8 * len);
        *head = x;

        return cm_model_hash8(x, len);
    }

    h = CM_HASH_SEED;
    *head = 0;

    for (n = 0; n < len; n += 8) {
        if (len - n >= 8) {
            memcpy(&x, p + n, 8);

        } else {
            x = 0;

            for (i = 0; i < len - n; i++) {
                x |= (uint64_t) p[n + i] << (8 * i);
            }
        }

        if (n == 0) {
            *head = x;
        }

        h = (h ^ x) * CM_HASH_K64;
    }

    h = (h ^ len) * CM_HASH_K64;

    return (uint32_t) (h >> 32);
}


/* the same of a token of len <= 8 bytes, x, 0-padded */

static inline uint32_t
cm_model_hash8(uint64_t x, size_t len)
{
    return (uint32_t) ((((CM_HASH_SEED ^ x) * CM_HASH_K64 ^ len)
                        * CM_HASH_K64) >> 32);
}


/*
 * A token's features, in one pass over its first CM_MODEL_TOKEN_CHARS
 * characters, read as " TOKEN ": a character that repeats the two before
 * it is left out (a run is cut to 2: "wowwww" reads as "woww"); at each
 * position (the padding spaces too) the 2- to 5-grams that end there,
 * and its words (runs of letters, marks and digits), each alone and with
 * the word before it in the token; each as often as it comes up.  g2..g5
 * are the n-grams' hashes, each the one before it times CM_HASH_P plus
 * the new code, and s2..s5 where they start; gN is right from the
 * (N-1)th position on.
 */

#define cm_model_emit(key, kind, start, end)                                  \
    if (fn(ctx, (key) >> shift, kind, start, end) != 0) {                     \
        return CM_ERROR;                                                      \
    }

#define cm_model_word_end(end)                                                \
    cm_model_emit(hw * CM_HASH_WORD, CM_MODEL_WORD, ws, end);                 \
    if (prev) {                                                               \
        cm_model_emit((phw * CM_HASH_Q + hw) * CM_HASH_PAIR, CM_MODEL_PAIR,   \
                      pws, end);                                              \
    }                                                                         \
    prev = 1;                                                                 \
    phw = hw;                                                                 \
    pws = ws;                                                                 \
    inword = 0;

#define cm_model_grams(c, start, end)                                         \
    g5 = g4 * CM_HASH_P + (c);                                                \
    g4 = g3 * CM_HASH_P + (c);                                                \
    g3 = g2 * CM_HASH_P + (c);                                                \
    g2 = g1 * CM_HASH_P + (c);                                                \
    g1 = (c);                                                                 \
    s5 = s4;                                                                  \
    s4 = s3;                                                                  \
    s3 = s2;                                                                  \
    s2 = s1;                                                                  \
    s1 = (start);                                                             \
    cm_model_emit(g2 * CM_HASH_2, CM_MODEL_CHAR, s2, end);                    \
    if (pos >= 4) {                                                           \
        cm_model_emit(g3 * CM_HASH_3, CM_MODEL_CHAR, s3, end);                \
        cm_model_emit(g4 * CM_HASH_4, CM_MODEL_CHAR, s4, end);                \
        cm_model_emit(g5 * CM_HASH_5, CM_MODEL_CHAR, s5, end);                \
    } else if (pos >= 2) {                                                    \
        cm_model_emit(g3 * CM_HASH_3, CM_MODEL_CHAR, s3, end);                \
        if (pos == 3) {                                                       \
            cm_model_emit(g4 * CM_HASH_4, CM_MODEL_CHAR, s4, end);            \
        }                                                                     \
    }

static inline int
cm_model_token(const unsigned char *t, size_t ts, size_t te, unsigned shift,
    cm_model_feature_pt fn, void *ctx)
{
    size_t     i, k, n, ws, pws, s1, s2, s3, s4, s5;
    uint32_t   c, cc, c1, c2, g1, g2, g3, g4, g5, hw, phw;
    unsigned   pos, cls, ccls, inword, prev;

    hw = phw = 0;
    ws = pws = 0;
    inword = 0;
    prev = 0;

    /* no character is a space: the padding repeats none */

    c1 = c2 = ' ';
    g1 = ' ';
    g2 = g3 = g4 = 0;
    s1 = ts;
    s2 = s3 = s4 = 0;
    pos = 0;

    for (i = ts, n = 0; i < te && n < CM_MODEL_TOKEN_CHARS; i += k, n++) {
        c = t[i];

        if (c < 0x80) {
            cls = cm_model_class_ascii[c];
            k = 1;

        } else {
            k = cm_model_char(t + i, te - i, &cc, &ccls);
            c = cc;
            cls = ccls;
        }

        if (c == c1 && c == c2) {
            continue;
        }

        c2 = c1;
        c1 = c;
        pos++;

        if (cls == CM_MODEL_WORDCH) {
            if (!inword) {
                inword = 1;
                hw = CM_HASH_SEED;
                ws = i;
            }

            hw = hw * CM_HASH_P + c;

        } else if (inword) {
            cm_model_word_end(i);
        }

        cm_model_grams(c, i, i + k);
    }

    if (inword) {
        cm_model_word_end(i);
    }

    /* the padding space after it, which starts and ends there */

    pos++;

    cm_model_grams(' ', i, i);

    return CM_OK;
}


/*
 * The walk of a token, apart from the pass over the view, whose
 * registers it would take: one that adds each feature's weight (scoring,
 * and the table's sums: the same code), with a sum of its own, and one
 * that hands each feature to fn, with where it starts and ends.
 */

static int
cm_model_token_sum(const unsigned char *t, size_t ts, size_t te,
    unsigned shift, cm_model_feature_pt fn, void *ctx)
{
    int              rc;
    cm_model_sum_t  *sum, s;

    sum = ctx;
    s.w = sum->w;
    s.dot = 0;
    s.n = 0;

    rc = cm_model_token(t, ts, te, shift, cm_model_add, &s);

    sum->dot += s.dot;
    sum->n += s.n;

    return rc;
}


static int
cm_model_token_out(const unsigned char *t, size_t ts, size_t te,
    unsigned shift, cm_model_feature_pt fn, void *ctx)
{
    return cm_model_token(t, ts, te, shift, fn, ctx);
}


/*
 * Whether the key was in the field's set; it is now.  nkeys counts the
 * keys in the table, whose slots of this field hold the stamp gen; past
 * CM_MODEL_SLOTS / 2, they move into the bits.
 */

static inline int
cm_model_seen(cm_model_table_t *tab, uint32_t gen, size_t *nkeys,
    cm_model_set_t *set, uint32_t key)
{
    uint32_t  i, n;

    if (*nkeys >= CM_MODEL_SLOTS / 2) {
        return cm_model_seen_bits(tab, gen, nkeys, set, key);
    }

    for (i = key & (CM_MODEL_SLOTS - 1), n = 0; tab->slot[i].stamp == gen;
         i = (i + 1) & (CM_MODEL_SLOTS - 1))
    {
        if (tab->slot[i].key == key) {
            return 1;
        }

        if (++n == CM_MODEL_PROBES) {

            /* keys made to share slots: the bits from now on */

            *nkeys = CM_MODEL_SLOTS / 2;

            return cm_model_seen_bits(tab, gen, nkeys, set, key);
        }
    }

    tab->slot[i].stamp = gen;
    tab->slot[i].key = key;
    (*nkeys)++;

    return 0;
}


/* the same in the bits, the table's keys moved there the first time */

static int
cm_model_seen_bits(cm_model_table_t *tab, uint32_t gen, size_t *nkeys,
    cm_model_set_t *set, uint32_t key)
{
    if (*nkeys == CM_MODEL_SLOTS / 2) {
        cm_model_spill(set, tab, gen);
        (*nkeys)++;
    }

    return cm_model_test_bits(set, key);
}


/* the table's keys into the bits */

static void
cm_model_spill(cm_model_set_t *set, cm_model_table_t *tab, uint32_t gen)
{
    size_t  i;

    for (i = 0; i < CM_MODEL_SLOTS; i++) {
        if (tab->slot[i].stamp == gen) {
            (void) cm_model_test_bits(set, tab->slot[i].key);
        }
    }
}


/* whether the key's bit was set; it is now */

static int
cm_model_test_bits(cm_model_set_t *set, uint32_t key)
{
    uint64_t  bit, *word;

    if (key & 0x80000000u) {
        key = (1u << set->bits) + ((key << 1) >> (32 - set->bits));
    }

    word = &set->seen[key >> 6];
    bit = (uint64_t) 1 << (key & 63);

    if (*word & bit) {
        return 1;
    }

    if (*word == 0) {
        set->set[set->nset++] = key >> 6;
    }

    *word |= bit;

    return 0;
}


/*
 * The words the bits made non-zero, each listed once: zero again, list
 * too; and the next field's number, a zeroed scratch starting at 1
 */

static void
cm_model_clear(cm_model_set_t *set, cm_model_table_t *tab)
{
    size_t  i;

    for (i = 0; i < set->nset; i++) {
        set->seen[set->set[i]] = 0;
        set->set[i] = 0;
    }

    set->nset = 0;

    if (++tab->gen == 0) {
        memset(tab->slot, 0, sizeof(tab->slot));
        tab->gen = 1;
    }
}


/*
 * The scratch: the field's table, and apart the bits and their list; the
 * field's stamp, a zeroed table starting at 1
 */

static uint32_t
cm_model_set(cm_model_table_t *tab, void *state, unsigned bits,
    cm_model_set_t *set)
{
    set->seen = state;
    set->set = (uint32_t *) (set->seen + cm_model_nseen(bits));
    set->nset = 0;
    set->bits = bits;

    if (tab->gen == 0) {
        tab->gen = 1;
    }

    return tab->gen;
}


/* the table of a model's tokens, or of none */

static void
cm_model_list(const cm_model_t *m, cm_model_list_t *list)
{
    if (m == NULL || m->tok == NULL) {
        memset(list, 0, sizeof(cm_model_list_t));
        return;
    }

    list->tok = m->tok;
    list->pool = m->pool;
    list->shift = 32 - m->tbits;
    list->mask = ((size_t) 1 << m->tbits) - 1;
}


/*
 * A token in the table: its first 8 bytes at once (an empty slot's are
 * 0, a token's never), the rest one by one
 */

static inline const cm_model_tok_t *
cm_model_find(const cm_model_list_t *list, const unsigned char *p,
    size_t len, uint32_t hash, uint64_t head)
{
    size_t                 i, j;
    const unsigned char   *q;
    const cm_model_tok_t  *e;

    i = (hash * CM_HASH_TOKEN) >> list->shift;

    for ( ;; ) {
        e = &list->tok[i];

        if (e->head == head && e->len == len) {
            q = list->pool + e->off;

            for (j = 8; j < len && q[j] == p[j]; j++) {
                /* void */
            }

            if (j >= len) {
                return e;
            }

        } else if (e->head == 0) {
            return NULL;
        }

        i = (i + 1) & list->mask;
    }
}


/*
 * A character past ASCII: its code (its bytes) and its class: a letter,
 * a mark or a digit makes words, the rest is other (Unicode's spaces
 * too: a view has none); an invalid byte, which a view never holds, is
 * other.
 */

static size_t
cm_model_char(const unsigned char *p, size_t len, uint32_t *code,
    unsigned *cls)
{
    size_t               k;
    uint32_t             cp;
    utf8proc_category_t  cat;

    k = cm_utf8_decode(p, len, &cp);

    if (k == 0) {
        *code = p[0];
        *cls = CM_MODEL_OTHER;
        return 1;
    }

    (void) cm_model_code(p, k, code);

    cat = utf8proc_category((utf8proc_int32_t) cp);

    *cls = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO)
           ? CM_MODEL_WORDCH : CM_MODEL_OTHER;

    return k;
}


/* the code of a character past ASCII: its bytes, as many as its lead says */

static size_t
cm_model_code(const unsigned char *p, size_t len, uint32_t *code)
{
    size_t  i, k;

    k = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 1;

    if (k > len) {
        k = 1;
    }

    *code = 0;

    for (i = 0; i < k; i++) {
        *code |= (uint32_t) p[i] << (8 * i);
    }

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
    return cm_model_scratch_size(m->bits);
}


double
cm_model_predict(const cm_model_t *m, void *state, const cm_view_t *view)
{
    return cm_model_predict_parts(m, state,
                                  (unsigned char *) state
                                  + cm_model_tables_size(), view);
}


double
cm_model_predict_parts(const cm_model_t *m, void *tables, void *bits,
    const cm_view_t *view)
{
    cm_model_sum_t  s;

    s.w = m->w;
    s.dot = 0;
    s.n = 0;

    (void) cm_model_walk(view->text, view->len, 32 - m->bits, tables, bits,
                         m, &s, cm_model_token_sum, cm_model_add, &s);

    if (s.n == 0) {
        return 0;
    }

    return cm_model_sigmoid(m->bias + s.dot * m->scale / cm_model_norm(s.n));
}


static inline int
cm_model_add(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    cm_model_sum_t  *s = ctx;

    s->dot += s->w[bucket];
    s->n++;

    return 0;
}


/* the same, not inline: for cm_model_explain's first pass */

static int
cm_model_add_out(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    return cm_model_add(ctx, bucket, kind, start, end);
}


static double
cm_model_sigmoid(double z)
{
    if (z >= 0) {
        return 1.0 / (1.0 + exp(-z));
    }

    return exp(z) / (1.0 + exp(z));
}


/*
 * The shares of bias + w . x, one feature at a time: a first walk sums
 * them, for the norm; a second hands each its share.
 */

typedef struct {
    const cm_model_t     *m;
    double                norm;
    cm_model_explain_pt   fn;
    void                 *ctx;
} cm_model_shares_t;

static int cm_model_share(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end);


int
cm_model_explain(const cm_model_t *m, const cm_alloc_t *a,
    const cm_view_t *view, cm_model_explain_pt fn, void *ctx, double *p)
{
    int                rc;
    void              *state;
    size_t             size;
    cm_model_sum_t     s;
    cm_model_shares_t  sh;

    *p = 0;

    size = cm_model_scratch_size(m->bits);

    state = a->alloc(a->data, size);
    if (state == NULL) {
        return CM_ERROR;
    }

    memset(state, 0, size);

    s.w = m->w;
    s.dot = 0;
    s.n = 0;

    rc = cm_model_features(view, m->bits, state, cm_model_add_out, &s);

    if (rc == CM_OK && s.n) {
        sh.m = m;
        sh.norm = cm_model_norm(s.n);
        sh.fn = fn;
        sh.ctx = ctx;

        rc = cm_model_features(view, m->bits, state, cm_model_share, &sh);

        if (rc == CM_OK) {
            *p = cm_model_sigmoid(m->bias + s.dot * m->scale / sh.norm);
        }
    }

    if (a->free) {
        a->free(a->data, state);
    }

    return rc;
}


static int
cm_model_share(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    cm_model_shares_t  *sh = ctx;

    return sh->fn(sh->ctx, bucket, kind, start, end,
                  sh->m->w[bucket] * sh->m->scale / sh->norm);
}


void
cm_model_info(const cm_model_t *m, cm_model_info_t *info)
{
    info->bits = m->bits;
    info->bias = m->bias;
    info->threshold = m->threshold;
    info->weights = m->weights;
    info->tokens = m->ntok;
    info->memory = sizeof(cm_model_t)
                   + ((size_t) 1 << m->bits) * sizeof(int16_t);

    if (m->tok) {
        info->memory += ((size_t) 1 << m->tbits) * sizeof(cm_model_tok_t)
                        + m->pool_len;
    }
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
    size_t          nb, b, prev, nrec, size, hlen, dlen, k, ntok;
    double          maxw, scale;
    uint32_t        sum;
    size_t          i, rlen;
    unsigned char  *buf, *d;
    char            hdr[1024], toks[64], rates[CM_MODEL_RATES * 48 + 16];

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

    ntok = 0;

    for (k = 0; k < spec->tokens_len; k++) {
        ntok += spec->tokens[k] == '\n';
    }

    if (spec->tokens_len && spec->tokens[spec->tokens_len - 1] != '\n') {
        snprintf(err, errlen, "the last token has no \"\\n\"");
        return CM_ERROR;
    }

    /* at most 4 bytes of gap and 2 of weight a bucket, then the tokens */

    size = sizeof(hdr) + nb * 6 + spec->tokens_len;

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

    sum = cm_fnv(CM_FNV_BASIS, d, dlen);

    if (spec->tokens_len) {
        memcpy(d + dlen, spec->tokens, spec->tokens_len);
        sum = cm_fnv(sum, d + dlen, spec->tokens_len);

        snprintf(toks, sizeof(toks), "tokens %zu %zu\n", ntok,
                 spec->tokens_len);

    } else {
        toks[0] = '\0';
    }

    rates[0] = '\0';
    rlen = 0;

    for (i = 0; i < spec->nrates && i < CM_MODEL_RATES; i++) {
        if (!(spec->rates[i] > 0 && spec->rates[i] < 1
              && spec->rate_thresholds[i] > 0
              && spec->rate_thresholds[i] <= 1))
        {
            if (a->free) {
                a->free(a->data, buf);
            }

            snprintf(err, errlen, "bad rate or threshold");
            return CM_ERROR;
        }

        rlen += snprintf(rates + rlen, sizeof(rates) - rlen, "%s %.17g %.17g",
                         i ? "" : "rates", spec->rates[i],
                         spec->rate_thresholds[i]);
    }

    if (rlen) {
        snprintf(rates + rlen, sizeof(rates) - rlen, "\n");
    }

    n = snprintf(hdr, sizeof(hdr),
                 CM_MODEL_MAGIC " %d\n"
                 "%s%s%s"
                 "features " CM_MODEL_FEATURES "\n"
                 "bits %u\n"
                 "bias %.17g\n"
                 "threshold %.17g\n"
                 "scale %.17g\n"
                 "%s%s"
                 "data %zu %zu %08x\n",
                 CM_MODEL_VERSION,
                 spec->comment ? "# " : "",
                 spec->comment ? spec->comment : "",
                 spec->comment ? "\n" : "",
                 spec->bits, spec->bias, spec->threshold, scale, rates, toks,
                 nrec, dlen, sum);

    if (n < 0 || (size_t) n >= sizeof(hdr)) {
        if (a->free) {
            a->free(a->data, buf);
        }

        snprintf(err, errlen, "header too long");
        return CM_ERROR;
    }

    hlen = n;

    dlen += spec->tokens_len;

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
    size_t            nrec, nbytes, tbytes, hlen, nb;
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

    if (cm_model_header(&ld, m, &ls, &nrec, &nbytes, &tbytes, &sum,
                        &m->scale)
        != CM_OK)
    {
        goto failed;
    }

    hlen = ls.p - f.data;

    if (hlen > f.len || f.len - hlen != nbytes + tbytes) {
        cm_model_error(&ld, 0, "%zu bytes of data where the header says "
                       "%zu: the file is cut short or damaged",
                       hlen > f.len ? 0 : f.len - hlen, nbytes + tbytes);
        goto failed;
    }

    if (cm_fnv(CM_FNV_BASIS, f.data + hlen, nbytes + tbytes) != sum) {
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

    if (m->ntok
        && cm_model_tokens(&ld, a, m, f.data + hlen + nbytes, tbytes)
           != CM_OK)
    {
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

    if (m->tok) {
        a->free(a->data, m->tok);
    }

    if (m->pool) {
        a->free(a->data, m->pool);
    }

    a->free(a->data, m);
}


static int
cm_model_header(cm_model_load_t *ld, cm_model_t *m, cm_lines_t *ls,
    size_t *nrec, size_t *nbytes, size_t *tbytes, uint32_t *sum,
    double *scale)
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
    *tbytes = 0;

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

        } else if (cm_key("tokens")) {
            key = CM_HDR_TOKENS;

        } else if (cm_key("rates")) {
            key = CM_HDR_RATES;

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

        case CM_HDR_TOKENS:

            /* TOKENS BYTES */

            sp = memchr(v, ' ', vlen);

            if (sp == NULL
                || cm_model_ulong(v, sp - v, CM_FILE_MAX, &n) != CM_OK
                || cm_model_ulong(sp + 1, e - sp - 1, CM_FILE_MAX, &k)
                   != CM_OK
                || (n == 0) != (k == 0) || k < 2 * n)
            {
                cm_model_error(ld, ls->line, "bad tokens line, must be "
                               "\"tokens TOKENS BYTES\"");
                return CM_ERROR;
            }

            m->ntok = n;
            *tbytes = k;
            break;

        case CM_HDR_RATES:
            if (cm_model_rates(m, v, vlen) != CM_OK) {
                cm_model_error(ld, ls->line, "bad rates line, must be "
                               "\"rates RATE THRESHOLD ...\", at most %d "
                               "pairs of numbers above 0 and at most 1",
                               CM_MODEL_RATES);
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


/*
 * The tokens, each ended by "\n": each one's sum and count, as
 * cm_model_token finds them, in a table at most three quarters full.
 * A token must be what a view's token can be: UTF-8 without a space, at
 * most CM_MODEL_TOKEN_MAX bytes, and listed once.
 */

static int
cm_model_tokens(cm_model_load_t *ld, const cm_alloc_t *a, cm_model_t *m,
    const unsigned char *p, size_t len)
{
    size_t                 i, k, size, ntok, mask;
    uint32_t               h;
    uint64_t               head;
    cm_model_sum_t         s;
    cm_model_list_t        list;
    cm_model_tok_t        *e;
    const unsigned char   *q, *nl;

    m->tbits = 4;

    while (((size_t) 1 << m->tbits) < m->ntok + m->ntok / 3) {
        m->tbits++;
    }

    size = ((size_t) 1 << m->tbits) * sizeof(cm_model_tok_t);
    mask = ((size_t) 1 << m->tbits) - 1;

    m->tok = a->alloc(a->data, size);
    m->pool = a->alloc(a->data, len);

    if (m->tok == NULL || m->pool == NULL) {
        cm_model_error(ld, 0, "out of memory");
        return CM_ERROR;
    }

    memset(m->tok, 0, size);
    cm_model_list(m, &list);
    memcpy(m->pool, p, len);
    m->pool_len = len;

    s.w = m->w;
    ntok = 0;

    for (q = m->pool; q < m->pool + len; q = nl + 1) {
        nl = memchr(q, '\n', m->pool + len - q);
        if (nl == NULL || ntok == m->ntok) {
            break;
        }

        ntok++;
        k = nl - q;

        if (k == 0 || k > CM_MODEL_TOKEN_MAX) {
            cm_model_error(ld, 0, "token %zu is empty or longer than %d "
                           "bytes", ntok, CM_MODEL_TOKEN_MAX);
            return CM_ERROR;
        }

        /* one token, as cm_model_walk reads them, and its hash */

        if (cm_utf8_check(q, k) != k || cm_model_run(q, nl) != nl) {
            cm_model_error(ld, 0, "token %zu is not UTF-8 or holds a "
                           "space", ntok);
            return CM_ERROR;
        }

        h = cm_model_hash(q, k, m->pool + len, &head);

        if (cm_model_find(&list, q, k, h, head) != NULL) {
            cm_model_error(ld, 0, "token %zu, \"%.*s\", is listed twice",
                           ntok, (int) k, q);
            return CM_ERROR;
        }

        s.dot = 0;
        s.n = 0;

        (void) cm_model_token_sum(q, 0, k, 32 - m->bits, NULL, &s);

        if (s.n > UINT16_MAX || s.dot > INT32_MAX || s.dot < INT32_MIN) {
            cm_model_error(ld, 0, "token %zu is out of range", ntok);
            return CM_ERROR;
        }

        i = (h * CM_HASH_TOKEN) >> (32 - m->tbits);

        while (m->tok[i].len) {
            i = (i + 1) & mask;
        }

        e = &m->tok[i];
        e->head = head;
        e->off = (uint32_t) (q - m->pool);
        e->len = (uint16_t) k;
        e->dot = (int32_t) s.dot;
        e->n = (uint16_t) s.n;
    }

    if (ntok != m->ntok || q != m->pool + len) {
        cm_model_error(ld, 0, "the tokens are not the %zu the header says",
                       m->ntok);
        return CM_ERROR;
    }

    return CM_OK;
}


/* "RATE THRESHOLD ..." */

static int
cm_model_rates(cm_model_t *m, const unsigned char *p, size_t len)
{
    size_t                i;
    double                v;
    const unsigned char  *e, *sp;

    e = p + len;
    i = 0;

    while (p < e) {
        sp = memchr(p, ' ', e - p);
        if (sp == NULL) {
            sp = e;
        }

        if (i == 2 * CM_MODEL_RATES || cm_model_double(p, sp - p, &v) != CM_OK
            || !(v > 0 && v <= 1))
        {
            return CM_ERROR;
        }

        if (i % 2) {
            m->rate_thresholds[i / 2] = v;

        } else {
            m->rates[i / 2] = v;
        }

        i++;
        p = sp < e ? sp + 1 : e;
    }

    if (i == 0 || i % 2) {
        return CM_ERROR;
    }

    m->nrates = i / 2;

    return CM_OK;
}


int
cm_model_rate_threshold(const cm_model_t *m, double rate, double *threshold)
{
    size_t  i;

    for (i = 0; i < m->nrates; i++) {
        if (fabs(m->rates[i] - rate) < 1e-9) {
            *threshold = m->rate_thresholds[i];
            return CM_OK;
        }
    }

    return CM_ERROR;
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
