
/*
 * comment-check train: a model for "model" rules from labelled comments.
 *
 *   comment-check train --out FILE [--target-fp RATE] CORPUS.tsv ...
 *
 * Each line of a corpus is LABEL<TAB>TEXT, LABEL one of ham, spam and
 * abuse; spam and abuse are what the model flags.  The features are the
 * engine's (cm_model_features over cm_view_norm), so the model scores in
 * nginx exactly what it learnt from.  LIBLINEAR fits an L2-regularised
 * logistic regression on their TF-IDF vectors: each bucket the comment
 * has, once however often, weighs its idf over cm_model_norm of the
 * comment's count of buckets, as cm_model_predict scales them; the file
 * keeps each weight times its idf, which is all scoring needs.  k-fold
 * cross-validation
 * gives every comment a probability from a model that did not see it,
 * and the threshold is the lowest at which at most RATE of that ham is
 * flagged.  The final model, fitted on everything, is written with that
 * threshold, then loaded back through the engine and checked against
 * what was fitted.
 *
 * Everything is deterministic: folds by label in input order, LIBLINEAR's
 * primal solver (no random draws), buckets in order, so the same corpora
 * give the same file, byte for byte.
 */


#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linear.h>

#include "cm_engine.h"
#include "cm_model.h"
#include "cm_train.h"


#define CM_TRAIN_BITS      18
#define CM_TRAIN_FOLDS     5
#define CM_TRAIN_C         4.0
#define CM_TRAIN_EPS       0.01
#define CM_TRAIN_FP        0.01
#define CM_TRAIN_TOKENS    65536

/*
 * The most seen words that the list also holds with each of these after
 * them ("kami." for "kami"), when the corpora do not: a comment's words
 * end its sentences and clauses more often than a corpus shows each
 */
#define CM_TRAIN_ENDED     3000
#define CM_TRAIN_ENDS      ".,!?"

/* the largest difference between the engine and the fit it may show */
#define CM_TRAIN_CHECK     1e-3

#define CM_HAM             0
#define CM_SPAM            1
#define CM_ABUSE           2
#define CM_NLABELS         3


typedef struct {
    const char           *out;
    const char           *oof;
    double                target_fp;
    double                c;
    unsigned              bits;
    unsigned              folds;
    unsigned long         tokens;    /* at most this many listed */
    unsigned              flag;      /* labels to flag, 1 << label */
    char                **files;
    size_t                nfiles;
} cm_train_opts_t;


/* one comment: its text, label, file and fold, and its buckets */

typedef struct {
    unsigned char        *text;
    size_t                len;
    unsigned              label;
    unsigned              file;
    unsigned              fold;
    size_t                feat;      /* first in cm_train_t.feats */
    size_t                nfeat;
    size_t                n;         /* the sum of its counts */
    double                p;         /* out of fold */
} cm_doc_t;


/* a token of the training views, and how often it came up */

typedef struct {
    uint64_t              hash;
    size_t                off;       /* in cm_train_t.pool */
    size_t                len;       /* 0: an empty slot */
    size_t                count;
} cm_token_t;

/* one to list, for sorting */

typedef struct {
    const unsigned char  *p;
    size_t                len;
    size_t                count;
    unsigned char         end;       /* a byte after p, or 0 */
} cm_listed_t;


typedef struct {
    cm_train_opts_t      *o;
    cm_doc_t             *docs;
    size_t                ndocs;
    size_t                docs_alloc;
    uint32_t             *feats;     /* each comment's buckets, in order */
    uint32_t             *counts;    /* and how often each came up */
    size_t                nfeat;
    size_t                feat_alloc;
    void                 *state;     /* cm_model_features' scratch */

    /* the tokens of the views, counted: open addressing on their hash */
    cm_token_t           *tok;
    size_t                ntok;
    size_t                tok_alloc; /* slots, a power of 2 */
    unsigned char        *pool;
    size_t                pool_len;
    size_t                pool_alloc;
    size_t                nlabel[CM_NLABELS];
    uint32_t             *occ;       /* one comment's, while counted */
    size_t                nocc;
    size_t                occ_alloc;

    /* one fit: */
    uint32_t             *df;
    double               *idf;
    double               *w;         /* weight x idf, as the file has it */
    double                bias;

    /* thresholds by share of ham, out of fold */
    double                rates[CM_MODEL_RATES];
    double                rate_thresholds[CM_MODEL_RATES];
    size_t                nrates;
} cm_train_t;


static int cm_train_args(int argc, char **argv, cm_train_opts_t *o);
static int cm_train_flag(const char *s, unsigned *flag);
static int cm_train_read(cm_train_t *t, unsigned file);
static int cm_train_add(cm_train_t *t, unsigned label, unsigned file,
    const char *text, size_t len);
static int cm_train_occ(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end);
static int cm_train_feature(cm_train_t *t, uint32_t bucket, uint32_t count);
static int cm_train_tokens(cm_train_t *t, const cm_view_t *v);
static cm_token_t *cm_train_token_find(cm_train_t *t, const unsigned char *p,
    size_t len, uint64_t *hash);
static int cm_train_token(cm_train_t *t, const unsigned char *p, size_t len);
static int cm_train_token_cmp(const void *a, const void *b);
static unsigned char *cm_train_token_list(cm_train_t *t, size_t *len);
static int cm_train_bucket_cmp(const void *a, const void *b);
static void cm_train_folds(cm_train_t *t);
static int cm_train_fit(cm_train_t *t, unsigned fold);
static double cm_train_score(cm_train_t *t, const cm_doc_t *d);
static double cm_train_threshold(cm_train_t *t, double rate);
static double cm_train_ham_threshold(cm_train_t *t, size_t file,
    double rate, double *ham);
static void cm_train_rates(cm_train_t *t);
static void cm_train_table(cm_train_t *t, double threshold);
static int cm_train_oof(cm_train_t *t);
static int cm_train_write(cm_train_t *t, double threshold);
static int cm_train_check(cm_train_t *t, double threshold);
static int cm_train_view(const cm_doc_t *d, cm_view_t *v);
static int cm_train_double_cmp(const void *a, const void *b);
static void cm_train_quiet(const char *s);
static void cm_train_usage(FILE *f);


static const char  *cm_labels[CM_NLABELS] = { "ham", "spam", "abuse" };


int
cm_train(int argc, char **argv)
{
    int               rc;
    size_t            i;
    double            threshold;
    unsigned          f;
    cm_train_t        t;
    cm_train_opts_t   o;

    rc = cm_train_args(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }

    memset(&t, 0, sizeof(cm_train_t));

    t.o = &o;
    rc = 1;

    t.df = malloc(((size_t) 1 << o.bits) * sizeof(uint32_t));
    t.idf = malloc(((size_t) 1 << o.bits) * sizeof(double));
    t.w = malloc((((size_t) 1 << o.bits) + 1) * sizeof(double));
    t.state = calloc(1, cm_model_scratch_size(o.bits));

    if (t.df == NULL || t.idf == NULL || t.w == NULL || t.state == NULL) {
        fprintf(stderr, "comment-check train: out of memory\n");
        goto done;
    }

    for (f = 0; f < o.nfiles; f++) {
        if (cm_train_read(&t, f) != 0) {
            goto done;
        }
    }

    if (t.nlabel[CM_HAM] < o.folds
        || t.nlabel[CM_SPAM] + t.nlabel[CM_ABUSE] < o.folds)
    {
        fprintf(stderr, "comment-check train: %zu ham and %zu spam or "
                "abuse comments: at least %u of each are needed for %u "
                "folds\n", t.nlabel[CM_HAM],
                t.nlabel[CM_SPAM] + t.nlabel[CM_ABUSE], o.folds, o.folds);
        goto done;
    }

    printf("%zu comments (%zu ham, %zu spam, %zu abuse) from %zu file%s, "
           "2^%u buckets, C=%g\n", t.ndocs, t.nlabel[CM_HAM],
           t.nlabel[CM_SPAM], t.nlabel[CM_ABUSE], o.nfiles,
           o.nfiles == 1 ? "" : "s", o.bits, o.c);

    set_print_string_function(cm_train_quiet);

    cm_train_folds(&t);

    for (f = 0; f < o.folds; f++) {
        if (cm_train_fit(&t, f) != 0) {
            goto done;
        }

        for (i = 0; i < t.ndocs; i++) {
            if (t.docs[i].fold == f) {
                t.docs[i].p = 1.0 / (1.0 + exp(-cm_train_score(&t,
                                                               &t.docs[i])));
            }
        }
    }

    threshold = cm_train_threshold(&t, o.target_fp);

    cm_train_table(&t, threshold);
    cm_train_rates(&t);

    if (o.oof && cm_train_oof(&t) != 0) {
        goto done;
    }

    /* the model itself, on everything */

    if (cm_train_fit(&t, (unsigned) -1) != 0
        || cm_train_write(&t, threshold) != 0
        || cm_train_check(&t, threshold) != 0)
    {
        goto done;
    }

    rc = 0;

done:

    for (i = 0; i < t.ndocs; i++) {
        free(t.docs[i].text);
    }

    free(t.docs);
    free(t.feats);
    free(t.counts);
    free(t.state);
    free(t.tok);
    free(t.pool);
    free(t.occ);
    free(t.df);
    free(t.idf);
    free(t.w);

    return rc;
}


/* -1 to go on, else the exit status */

static int
cm_train_args(int argc, char **argv, cm_train_opts_t *o)
{
    int                         c;
    char                       *end;
    double                      v;
    static const struct option  opts[] = {
        { "out",       required_argument, NULL, 'o' },
        { "oof",       required_argument, NULL, 'p' },
        { "target-fp", required_argument, NULL, 'f' },
        { "folds",     required_argument, NULL, 'k' },
        { "bits",      required_argument, NULL, 'b' },
        { "c",         required_argument, NULL, 'c' },
        { "flag",      required_argument, NULL, 'l' },
        { "tokens",    required_argument, NULL, 't' },
        { "help",      no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(o, 0, sizeof(cm_train_opts_t));

    o->target_fp = CM_TRAIN_FP;
    o->c = CM_TRAIN_C;
    o->bits = CM_TRAIN_BITS;
    o->folds = CM_TRAIN_FOLDS;
    o->tokens = CM_TRAIN_TOKENS;
    o->flag = (1 << CM_SPAM) | (1 << CM_ABUSE);

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {

        if (c == 'h') {
            cm_train_usage(stdout);
            return 0;
        }

        if (c == '?' || optarg == NULL) {
            cm_train_usage(stderr);
            return 1;
        }

        if (c == 'o' || c == 'p') {
            *(c == 'o' ? &o->out : &o->oof) = optarg;
            continue;
        }

        if (c == 'l') {
            if (cm_train_flag(optarg, &o->flag) != 0) {
                fprintf(stderr, "comment-check train: bad value \"%s\" for "
                        "--flag: spam, abuse or spam,abuse\n", optarg);
                return 1;
            }

            continue;
        }

        errno = 0;
        v = strtod(optarg, &end);

        /* a rate may be written "1%" */

        if (c == 'f' && end != optarg && *end == '%' && end[1] == '\0') {
            v /= 100;
            end++;
        }

        if (errno || end == optarg || *end != '\0'
            || (c == 'f' && !(v > 0 && v <= 0.5))
            || (c == 'k' && (v < 2 || v > 20 || v != floor(v)))
            || (c == 'b' && (v < CM_MODEL_BITS_MIN || v > CM_MODEL_BITS_MAX
                             || v != floor(v)))
            || (c == 'c' && !(v > 0 && v < 1e6))
            || (c == 't' && (v < 0 || v > 1 << 24 || v != floor(v))))
        {
            fprintf(stderr, "comment-check train: bad value \"%s\" for "
                    "--%s\n", optarg,
                    c == 'f' ? "target-fp" : c == 'k' ? "folds"
                    : c == 'b' ? "bits" : c == 't' ? "tokens" : "c");
            return 1;
        }

        switch (c) {

        case 'f':
            o->target_fp = v;
            break;

        case 'k':
            o->folds = (unsigned) v;
            break;

        case 'b':
            o->bits = (unsigned) v;
            break;

        case 't':
            o->tokens = (unsigned long) v;
            break;

        default:
            o->c = v;
            break;
        }
    }

    if (o->out == NULL) {
        fprintf(stderr, "comment-check train: no --out FILE\n");
        return 1;
    }

    if (optind == argc) {
        fprintf(stderr, "comment-check train: no corpus: CORPUS.tsv ...\n");
        return 1;
    }

    o->files = argv + optind;
    o->nfiles = argc - optind;

    return -1;
}


/* "spam", "abuse" or both, comma-separated */

static int
cm_train_flag(const char *s, unsigned *flag)
{
    size_t       len;
    unsigned     l;
    const char  *comma;

    *flag = 0;

    for ( ;; ) {
        comma = strchr(s, ',');
        len = comma ? (size_t) (comma - s) : strlen(s);

        for (l = CM_SPAM; l < CM_NLABELS; l++) {
            if (len == strlen(cm_labels[l])
                && memcmp(s, cm_labels[l], len) == 0)
            {
                break;
            }
        }

        if (l == CM_NLABELS) {
            return -1;
        }

        *flag |= 1 << l;

        if (comma == NULL) {
            return 0;
        }

        s = comma + 1;
    }
}


/*
 * LABEL<TAB>TEXT lines; blank lines and lines starting with # skipped,
 * and lines of a label that is neither ham nor flagged
 */

static int
cm_train_read(cm_train_t *t, unsigned file)
{
    int           rc;
    FILE         *fp;
    char         *line, *tab;
    size_t        size, lineno;
    ssize_t       n;
    unsigned      label;
    const char   *path;

    path = t->o->files[file];

    fp = fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "comment-check train: %s: cannot open: %s\n", path,
                strerror(errno));
        return -1;
    }

    line = NULL;
    size = 0;
    lineno = 0;
    rc = 0;

    while ((n = getline(&line, &size, fp)) != -1) {
        lineno++;

        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }

        if (n == 0 || line[0] == '#') {
            continue;
        }

        tab = memchr(line, '\t', n);

        for (label = 0; tab && label < CM_NLABELS; label++) {
            if ((size_t) (tab - line) == strlen(cm_labels[label])
                && memcmp(line, cm_labels[label], tab - line) == 0)
            {
                break;
            }
        }

        if (tab == NULL || label == CM_NLABELS) {
            fprintf(stderr, "comment-check train: %s:%zu: %s\n", path,
                    lineno, tab ? "the label must be ham, spam or abuse"
                                : "no tab: lines are LABEL<TAB>TEXT");
            rc = -1;
            break;
        }

        if (label != CM_HAM && !(t->o->flag & (1 << label))) {
            continue;
        }

        if (cm_train_add(t, label, file, tab + 1, line + n - tab - 1)
            != 0)
        {
            fprintf(stderr, "comment-check train: out of memory\n");
            rc = -1;
            break;
        }
    }

    if (rc == 0 && ferror(fp)) {
        fprintf(stderr, "comment-check train: %s: cannot read: %s\n", path,
                strerror(errno));
        rc = -1;
    }

    free(line);
    fclose(fp);

    return rc;
}


/* a comment and its features, counted by the engine */

static int
cm_train_add(cm_train_t *t, unsigned label, unsigned file, const char *text,
    size_t len)
{
    int        rc;
    size_t     n, i, j;
    cm_doc_t  *d, *docs;
    cm_view_t  v;

    if (t->ndocs == t->docs_alloc) {
        n = t->docs_alloc ? t->docs_alloc * 2 : 1024;

        docs = realloc(t->docs, n * sizeof(cm_doc_t));
        if (docs == NULL) {
            return -1;
        }

        t->docs = docs;
        t->docs_alloc = n;
    }

    d = &t->docs[t->ndocs];

    memset(d, 0, sizeof(cm_doc_t));

    d->text = malloc(len ? len : 1);
    if (d->text == NULL) {
        return -1;
    }

    memcpy(d->text, text, len);
    d->len = len;
    d->label = label;
    d->file = file;
    d->feat = t->nfeat;

    t->ndocs++;
    t->nlabel[label]++;

    if (cm_train_view(d, &v) != 0) {
        return -1;
    }

    t->nocc = 0;

    rc = cm_model_features(&v, t->o->bits, t->state, cm_train_occ, t);

    if (rc == CM_OK && cm_train_tokens(t, &v) != 0) {
        rc = CM_ERROR;
    }

    free(v.text);
    free(v.map);

    if (rc != CM_OK) {
        return -1;
    }

    /* each bucket once with its count, in order: LIBLINEAR wants it so */

    qsort(t->occ, t->nocc, sizeof(uint32_t), cm_train_bucket_cmp);

    for (i = 0; i < t->nocc; i = j) {
        for (j = i + 1; j < t->nocc && t->occ[j] == t->occ[i]; j++) {
            /* void */
        }

        if (cm_train_feature(t, t->occ[i], (uint32_t) (j - i)) != 0) {
            return -1;
        }
    }

    d->nfeat = t->nfeat - d->feat;
    d->n = t->nocc;

    return 0;
}


static int
cm_train_occ(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    size_t       n;
    uint32_t    *occ;
    cm_train_t  *t = ctx;

    if (t->nocc == t->occ_alloc) {
        n = t->occ_alloc ? t->occ_alloc * 2 : 4096;

        occ = realloc(t->occ, n * sizeof(uint32_t));
        if (occ == NULL) {
            return -1;
        }

        t->occ = occ;
        t->occ_alloc = n;
    }

    t->occ[t->nocc++] = bucket;

    return 0;
}


/* the view's tokens, between spaces as cm_model_features reads them */

static int
cm_train_tokens(cm_train_t *t, const cm_view_t *v)
{
    size_t  i, s;

    for (i = 0; i < v->len; i = s + 1) {
        for (s = i; s < v->len && !cm_model_space(v->text[s]); s++) {
            /* void */
        }

        if (s > i && s - i <= CM_MODEL_TOKEN_MAX
            && cm_train_token(t, v->text + i, s - i) != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
cm_train_feature(cm_train_t *t, uint32_t bucket, uint32_t count)
{
    size_t     n;
    uint32_t  *feats;

    if (t->nfeat == t->feat_alloc) {
        n = t->feat_alloc ? t->feat_alloc * 2 : 65536;

        feats = realloc(t->feats, n * sizeof(uint32_t));
        if (feats == NULL) {
            return -1;
        }

        t->feats = feats;

        feats = realloc(t->counts, n * sizeof(uint32_t));
        if (feats == NULL) {
            return -1;
        }

        t->counts = feats;
        t->feat_alloc = n;
    }

    t->counts[t->nfeat] = count;
    t->feats[t->nfeat++] = bucket;

    return 0;
}


static int
cm_train_token(cm_train_t *t, const unsigned char *p, size_t len)
{
    size_t          i, k, n;
    uint64_t        h;
    cm_token_t     *tok, *e;
    unsigned char  *pool;

    /* at most half full */

    if (2 * (t->ntok + 1) > t->tok_alloc) {
        n = t->tok_alloc ? t->tok_alloc * 2 : 65536;

        tok = calloc(n, sizeof(cm_token_t));
        if (tok == NULL) {
            return -1;
        }

        for (k = 0; k < t->tok_alloc; k++) {
            if (t->tok[k].len) {
                for (i = t->tok[k].hash & (n - 1); tok[i].len;
                     i = (i + 1) & (n - 1))
                {
                    /* void */
                }

                tok[i] = t->tok[k];
            }
        }

        free(t->tok);
        t->tok = tok;
        t->tok_alloc = n;
    }

    e = cm_train_token_find(t, p, len, &h);

    if (e->len) {
        e->count++;
        return 0;
    }

    if (t->pool_len + len > t->pool_alloc) {
        n = t->pool_alloc ? t->pool_alloc * 2 : 1 << 20;

        while (n < t->pool_len + len) {
            n *= 2;
        }

        pool = realloc(t->pool, n);
        if (pool == NULL) {
            return -1;
        }

        t->pool = pool;
        t->pool_alloc = n;
    }

    e->hash = h;
    e->off = t->pool_len;
    e->len = len;
    e->count = 1;

    memcpy(t->pool + t->pool_len, p, len);
    t->pool_len += len;
    t->ntok++;

    return 0;
}


/* the token's slot in the counts, or the empty slot it would take */

static cm_token_t *
cm_train_token_find(cm_train_t *t, const unsigned char *p, size_t len,
    uint64_t *hash)
{
    size_t       i, mask;
    uint64_t     h;
    cm_token_t  *e;

    h = 14695981039346656037ULL;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }

    *hash = h;
    mask = t->tok_alloc - 1;

    for (i = h & mask; t->tok[i].len; i = (i + 1) & mask) {
        e = &t->tok[i];

        if (e->hash == h && e->len == len
            && memcmp(t->pool + e->off, p, len) == 0)
        {
            return e;
        }
    }

    return &t->tok[i];
}


/*
 * The tokens the file lists, each ended by "\n": the corpora's, the most
 * seen first (then in byte order), then the CM_TRAIN_ENDED most seen of
 * them that end with a letter or a digit, each with each of
 * CM_TRAIN_ENDS after it that the corpora lack; at most --tokens in all.
 * A token listed only makes scoring it cheaper (cm_model.c): the list
 * changes no probability.
 */

static unsigned char *
cm_train_token_list(cm_train_t *t, size_t *len)
{
    size_t          i, j, n, m, ended, size;
    uint64_t        h;
    const char     *c;
    cm_listed_t    *list;
    unsigned char  *out, *p, last, form[CM_MODEL_TOKEN_MAX];

    *len = 0;

    ended = t->ntok < CM_TRAIN_ENDED ? t->ntok : CM_TRAIN_ENDED;

    list = malloc((t->ntok + ended * (sizeof(CM_TRAIN_ENDS) - 1) + 1)
                  * sizeof(cm_listed_t));
    if (list == NULL) {
        return NULL;
    }

    n = 0;

    for (i = 0; i < t->tok_alloc; i++) {
        if (t->tok[i].len) {
            list[n].p = t->pool + t->tok[i].off;
            list[n].len = t->tok[i].len;
            list[n].count = t->tok[i].count;
            list[n].end = 0;
            n++;
        }
    }

    qsort(list, n, sizeof(cm_listed_t), cm_train_token_cmp);

    if (n > t->o->tokens) {
        n = t->o->tokens;
    }

    /* the forms, after the corpora's tokens; their bytes are the base's */

    m = n;

    for (i = 0, j = 0; i < m && j < ended; i++) {
        last = list[i].p[list[i].len - 1];

        if (!((last >= '0' && last <= '9') || (last >= 'a' && last <= 'z')
              || last >= 0x80)
            || list[i].len >= CM_MODEL_TOKEN_MAX)
        {
            continue;
        }

        j++;

        memcpy(form, list[i].p, list[i].len);

        for (c = CM_TRAIN_ENDS; *c && n < t->o->tokens; c++) {
            form[list[i].len] = (unsigned char) *c;

            if (cm_train_token_find(t, form, list[i].len + 1, &h)->len) {
                continue;
            }

            list[n].p = list[i].p;
            list[n].len = list[i].len;
            list[n].count = 0;
            list[n].end = (unsigned char) *c;
            n++;
        }
    }

    size = 0;

    for (i = 0; i < n; i++) {
        size += list[i].len + (list[i].end != 0) + 1;
    }

    out = malloc(size ? size : 1);

    if (out) {
        p = out;

        for (i = 0; i < n; i++) {
            memcpy(p, list[i].p, list[i].len);
            p += list[i].len;

            if (list[i].end) {
                *p++ = list[i].end;
            }

            *p++ = '\n';
        }

        *len = size;
    }

    free(list);

    return out;
}


static int
cm_train_token_cmp(const void *a, const void *b)
{
    int                 c;
    const cm_listed_t  *x = a, *y = b;

    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }

    c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

    if (c) {
        return c;
    }

    return (x->len > y->len) - (x->len < y->len);
}


static int
cm_train_bucket_cmp(const void *a, const void *b)
{
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


/* stratified: each label dealt round the folds in input order */

static void
cm_train_folds(cm_train_t *t)
{
    size_t  i, next[CM_NLABELS];

    memset(next, 0, sizeof(next));

    for (i = 0; i < t->ndocs; i++) {
        t->docs[i].fold = next[t->docs[i].label]++ % t->o->folds;
    }
}


/*
 * One logistic regression on every comment outside "fold" (all of them
 * for (unsigned) -1): idf from those comments, each comment's buckets
 * weighing their idf over cm_model_norm of their count, a constant 1
 * for the bias.  Leaves t->idf, t->w, t->bias.
 */

static int
cm_train_fit(cm_train_t *t, unsigned fold)
{
    int                    rc;
    size_t                 i, j, k, nb, n, nnodes;
    double                 norm, sign, *y;
    cm_doc_t              *d;
    uint32_t              *f;
    const char            *msg;
    struct model          *model;
    struct problem         prob;
    struct parameter       param;
    struct feature_node   *nodes, *node, **xs;

    nb = (size_t) 1 << t->o->bits;

    memset(t->df, 0, nb * sizeof(uint32_t));

    n = 0;
    nnodes = 0;

    for (i = 0; i < t->ndocs; i++) {
        d = &t->docs[i];

        if (d->fold == fold) {
            continue;
        }

        n++;
        nnodes += d->nfeat + 2;

        for (j = 0; j < d->nfeat; j++) {
            t->df[t->feats[d->feat + j]]++;
        }
    }

    /* smoothed, as scikit-learn's: ln((1 + n) / (1 + df)) + 1 */

    for (i = 0; i < nb; i++) {
        t->idf[i] = log((1.0 + n) / (1.0 + t->df[i])) + 1.0;
    }

    y = malloc(n * sizeof(double));
    xs = malloc(n * sizeof(struct feature_node *));
    nodes = malloc(nnodes * sizeof(struct feature_node));

    rc = -1;
    model = NULL;

    if (y == NULL || xs == NULL || nodes == NULL) {
        fprintf(stderr, "comment-check train: out of memory\n");
        goto done;
    }

    node = nodes;
    k = 0;

    for (i = 0; i < t->ndocs; i++) {
        d = &t->docs[i];

        if (d->fold == fold) {
            continue;
        }

        xs[k] = node;
        y[k] = d->label == CM_HAM ? -1 : 1;
        k++;

        f = t->feats + d->feat;
        norm = cm_model_norm(d->n);

        for (j = 0; j < d->nfeat; j++) {
            node->index = (int) f[j] + 1;
            node->value = t->counts[d->feat + j] * t->idf[f[j]] / norm;
            node++;
        }

        node->index = (int) nb + 1;
        node->value = 1;
        node++;

        node->index = -1;
        node->value = 0;
        node++;
    }

    memset(&prob, 0, sizeof(struct problem));
    memset(&param, 0, sizeof(struct parameter));

    prob.l = (int) n;
    prob.n = (int) nb + 1;
    prob.y = y;
    prob.x = xs;
    prob.bias = 1;

    param.solver_type = L2R_LR;
    param.eps = CM_TRAIN_EPS;
    param.C = t->o->c;
    param.p = 0.1;

    msg = check_parameter(&prob, &param);
    if (msg) {
        fprintf(stderr, "comment-check train: liblinear: %s\n", msg);
        goto done;
    }

    model = train(&prob, &param);
    if (model == NULL) {
        fprintf(stderr, "comment-check train: liblinear failed\n");
        goto done;
    }

    /* w . x > 0 picks the model's first label */

    sign = model->label[0] == 1 ? 1 : -1;

    for (i = 0; i < nb; i++) {
        t->w[i] = sign * model->w[i] * t->idf[i];
    }

    t->bias = sign * model->w[nb];

    rc = 0;

done:

    if (model) {
        free_and_destroy_model(&model);
    }

    free(y);
    free(xs);
    free(nodes);

    return rc;
}


/* bias + w . x under the last fit, as the engine computes it */

static double
cm_train_score(cm_train_t *t, const cm_doc_t *d)
{
    size_t           j;
    double           dot;
    const uint32_t  *f;

    f = t->feats + d->feat;
    dot = 0;

    for (j = 0; j < d->nfeat; j++) {
        dot += t->counts[d->feat + j] * t->w[f[j]];
    }

    if (d->nfeat == 0) {
        return -INFINITY;
    }

    return t->bias + dot / cm_model_norm(d->n);
}


/*
 * The lowest threshold at which at most target_fp of the ham is flagged
 * out of fold, in all files together and in each file with enough ham
 * for the rate to allow one comment: a small corpus of other comments
 * (another language, another site) is not drowned by a large one.
 */

static double
cm_train_threshold(cm_train_t *t, double rate)
{
    size_t    f;
    double   *ham, th, fth;

    ham = malloc(t->nlabel[CM_HAM] * sizeof(double));
    if (ham == NULL) {
        return 1.0;
    }

    th = cm_train_ham_threshold(t, (size_t) -1, rate, ham);

    for (f = 0; f < t->o->nfiles && t->o->nfiles > 1; f++) {
        fth = cm_train_ham_threshold(t, f, rate, ham);

        if (fth > th) {
            th = fth;
        }
    }

    free(ham);

    return th;
}


/*
 * Just above the probability of the ham comment of "file" (all files for
 * (size_t) -1) that would be one too many; 0 when the file has too few
 * ham comments for the rate to allow one.
 */

static double
cm_train_ham_threshold(cm_train_t *t, size_t file, double rate, double *ham)
{
    size_t  i, n, k;
    double  th;

    n = 0;

    for (i = 0; i < t->ndocs; i++) {
        if (t->docs[i].label == CM_HAM
            && (file == (size_t) -1 || t->docs[i].file == file))
        {
            ham[n++] = t->docs[i].p;
        }
    }

    k = (size_t) floor(rate * n + 1e-9);

    if (n == 0 || (k == 0 && file != (size_t) -1)) {
        return 0;
    }

    qsort(ham, n, sizeof(double), cm_train_double_cmp);

    th = k < n ? nextafter(ham[k], 2.0) : ham[n - 1];

    return th < 1e-6 ? 1e-6 : th > 1.0 ? 1.0 : th;
}


/*
 * The thresholds for other shares of ham, out of fold as the main one,
 * for rules that name one (threshold=3%): printed, and kept for the file
 */

static void
cm_train_rates(cm_train_t *t)
{
    size_t  i;

    static const double  rates[] = { 0.005, 0.01, 0.02, 0.03, 0.05, 0.1 };

    printf("thresholds for other shares of ham flagged, out of fold:\n ");

    for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        t->rates[i] = rates[i];
        t->rate_thresholds[i] = cm_train_threshold(t, rates[i]);
        printf(" %g%% %.4f", 100 * rates[i], t->rate_thresholds[i]);
    }

    t->nrates = i;

    printf("\n\n");
}


/* descending */

static int
cm_train_double_cmp(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x < y) - (x > y);
}


/* out of fold, at the threshold: by file and label, then all files */

static void
cm_train_table(cm_train_t *t, double threshold)
{
    size_t       i, f, l, n, flagged, nf;
    const char  *name, *slash;

    printf("\nout of fold (%u folds), threshold %.4f for at most %.2f%% of "
           "ham flagged%s:\n\n", t->o->folds, threshold,
           100 * t->o->target_fp,
           t->o->nfiles > 1 ? ", all files and each" : "");
    printf("  %-36s %-6s %7s %9s\n", "file", "label", "lines", "flagged");

    nf = t->o->nfiles;

    for (f = 0; f <= nf; f++) {
        if (f == nf && nf == 1) {
            break;
        }

        if (f < nf) {
            name = t->o->files[f];
            slash = strrchr(name, '/');
            name = slash ? slash + 1 : name;

        } else {
            name = "all";
        }

        for (l = 0; l < CM_NLABELS; l++) {
            n = 0;
            flagged = 0;

            for (i = 0; i < t->ndocs; i++) {
                if ((f < nf && t->docs[i].file != f)
                    || t->docs[i].label != l)
                {
                    continue;
                }

                n++;
                flagged += t->docs[i].p >= threshold;
            }

            if (n) {
                printf("  %-36.36s %-6s %7zu %8.2f%%\n", name, cm_labels[l],
                       n, 100.0 * flagged / n);
            }
        }
    }

    printf("\n");
}


/* PROBABILITY<TAB>LABEL<TAB>TEXT, out of fold, for a look at the misses */

static int
cm_train_oof(cm_train_t *t)
{
    FILE      *fp;
    size_t     i;
    cm_doc_t  *d;

    fp = fopen(t->o->oof, "w");
    if (fp == NULL) {
        fprintf(stderr, "comment-check train: cannot write %s: %s\n",
                t->o->oof, strerror(errno));
        return -1;
    }

    for (i = 0; i < t->ndocs; i++) {
        d = &t->docs[i];

        fprintf(fp, "%.6f\t%s\t", d->p, cm_labels[d->label]);
        fwrite(d->text, 1, d->len, fp);
        fputc('\n', fp);
    }

    if (fclose(fp) != 0) {
        fprintf(stderr, "comment-check train: cannot write %s: %s\n",
                t->o->oof, strerror(errno));
        return -1;
    }

    return 0;
}


static int
cm_train_write(cm_train_t *t, double threshold)
{
    int               rc;
    FILE             *fp;
    char              err[CM_ERRLEN], comment[256], *tmp;
    size_t            len;
    unsigned char    *buf;
    cm_model_spec_t   spec;

    snprintf(comment, sizeof(comment), "comment-check train: %zu comments "
             "(%zu ham, %zu spam, %zu abuse), C=%g, %u folds, at most "
             "%g%% of ham flagged", t->ndocs, t->nlabel[CM_HAM],
             t->nlabel[CM_SPAM], t->nlabel[CM_ABUSE], t->o->c,
             t->o->folds, 100 * t->o->target_fp);

    memset(&spec, 0, sizeof(cm_model_spec_t));
    spec.bits = t->o->bits;
    spec.bias = t->bias;
    spec.threshold = threshold;
    spec.w = t->w;
    spec.comment = comment;
    spec.rates = t->rates;
    spec.rate_thresholds = t->rate_thresholds;
    spec.nrates = t->nrates;
    spec.tokens = cm_train_token_list(t, &spec.tokens_len);

    if (spec.tokens == NULL) {
        fprintf(stderr, "comment-check train: out of memory\n");
        return -1;
    }

    rc = cm_model_encode(&cm_alloc_malloc, &spec, &buf, &len, err,
                         sizeof(err));

    free((void *) spec.tokens);

    if (rc != CM_OK) {
        fprintf(stderr, "comment-check train: %s\n", err);
        return -1;
    }

    /* a new file renamed over the old: a reload never reads half */

    tmp = malloc(strlen(t->o->out) + 16);
    if (tmp == NULL) {
        free(buf);
        fprintf(stderr, "comment-check train: out of memory\n");
        return -1;
    }

    sprintf(tmp, "%s.tmp", t->o->out);

    rc = -1;

    fp = fopen(tmp, "w");

    if (fp == NULL
        || fwrite(buf, 1, len, fp) != len
        || fclose(fp) != 0
        || rename(tmp, t->o->out) != 0)
    {
        fprintf(stderr, "comment-check train: cannot write %s: %s\n",
                t->o->out, strerror(errno));

        if (fp) {
            unlink(tmp);
        }

    } else {
        printf("wrote %s: %zu bytes\n", t->o->out, len);
        rc = 0;
    }

    free(tmp);
    free(buf);

    return rc;
}


/*
 * The file back through the engine: every comment's probability from
 * cm_model_predict against the fit's, which differ only by the
 * weights' rounding to 16 bits.
 */

static int
cm_train_check(cm_train_t *t, double threshold)
{
    int               rc;
    char              err[CM_ERRLEN];
    void             *state;
    size_t            i, n[CM_NLABELS], flagged[CM_NLABELS];
    double            p, q, diff;
    cm_view_t         v;
    cm_model_t       *m;
    cm_model_info_t   info;

    m = cm_model_load(&cm_alloc_malloc, t->o->out, err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "comment-check train: %s\n", err);
        return -1;
    }

    cm_model_info(m, &info);

    state = calloc(1, cm_model_state_size(m));
    if (state == NULL) {
        cm_model_free(&cm_alloc_malloc, m);
        fprintf(stderr, "comment-check train: out of memory\n");
        return -1;
    }

    memset(n, 0, sizeof(n));
    memset(flagged, 0, sizeof(flagged));
    diff = 0;
    rc = 0;

    for (i = 0; i < t->ndocs; i++) {
        if (cm_train_view(&t->docs[i], &v) != 0) {
            rc = -1;
            break;
        }

        p = cm_model_predict(m, state, &v);

        free(v.text);
        free(v.map);

        q = t->docs[i].nfeat ? 1.0 / (1.0 + exp(-cm_train_score(t,
                                                       &t->docs[i])))
                             : 0;

        if (fabs(p - q) > diff) {
            diff = fabs(p - q);
        }

        n[t->docs[i].label]++;
        flagged[t->docs[i].label] += p >= threshold;
    }

    cm_model_free(&cm_alloc_malloc, m);
    free(state);

    if (rc != 0) {
        fprintf(stderr, "comment-check train: out of memory\n");
        return -1;
    }

    printf("%zu weights, %zu tokens listed; the engine reads it back within "
           "%.1e of the fit\n", info.weights, info.tokens, diff);
    printf("on its own training comments: ham flagged %.2f%%, spam %.2f%%, "
           "abuse %.2f%%\n",
           n[CM_HAM] ? 100.0 * flagged[CM_HAM] / n[CM_HAM] : 0.0,
           n[CM_SPAM] ? 100.0 * flagged[CM_SPAM] / n[CM_SPAM] : 0.0,
           n[CM_ABUSE] ? 100.0 * flagged[CM_ABUSE] / n[CM_ABUSE] : 0.0);

    if (diff > CM_TRAIN_CHECK) {
        fprintf(stderr, "comment-check train: the engine's probabilities "
                "differ from the fit's by %g: not the same features\n", diff);
        return -1;
    }

    return 0;
}


static int
cm_train_view(const cm_doc_t *d, cm_view_t *v)
{
    if (cm_view_norm(&cm_alloc_malloc, d->text, d->len, v) != CM_OK) {
        fprintf(stderr, "comment-check train: out of memory\n");
        return -1;
    }

    return 0;
}


static void
cm_train_quiet(const char *s)
{
    /* LIBLINEAR's progress is not for moderators */
}


static void
cm_train_usage(FILE *f)
{
    fprintf(f,
"usage: comment-check train --out FILE [--target-fp RATE] [--folds K]\n"
"                           [--bits N] [--c C] [--tokens N] CORPUS.tsv ...\n"
"\n"
"Trains a model for a \"model\" rule from labelled comments: one a line,\n"
"LABEL<TAB>TEXT, LABEL ham, spam or abuse (blank lines and lines starting\n"
"with # are skipped).  The model learns spam and abuse against ham.\n"
"\n"
"  --out FILE        the model file to write (replaced whole)\n"
"  --target-fp RATE  at most this share of ham flagged out of fold, in all\n"
"                    files and in each with 1/RATE ham lines or more;\n"
"                    sets the threshold stored in the file: 0.01 or 1%%\n"
"                    (default %g%%)\n"
"  --folds K         cross-validation folds (default %d)\n"
"  --bits N          2^N feature buckets (default %d)\n"
"  --flag LABELS     what the model learns to flag against ham: spam,\n"
"                    abuse or spam,abuse (default); lines of a label\n"
"                    left out are skipped\n"
"  --c C             LIBLINEAR's cost: higher fits the corpora closer\n"
"                    (default %g)\n"
"  --oof FILE        write PROBABILITY<TAB>LABEL<TAB>TEXT for every\n"
"                    comment, out of fold: what it would flag\n"
"  --tokens N        list at most N of the corpora's tokens, the most\n"
"                    seen first, then forms of the most seen words with\n"
"                    . , ! or ? after them; their sums make scoring\n"
"                    faster; 0 for none (default %d)\n"
"\n"
"Prints, out of fold, the share of each label flagged at the threshold,\n"
"for each file and for all of them.\n",
            100 * CM_TRAIN_FP, CM_TRAIN_FOLDS, CM_TRAIN_BITS, CM_TRAIN_C,
            CM_TRAIN_TOKENS);
}
