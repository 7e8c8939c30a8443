/*
 * libFuzzer target for models (cm_model.c):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I module/engine \
 *       t/fuzz/fuzz_model.c (the engine's .c files) -lpcre2-8 \
 *       -lutf8proc -lm -o fuzz_model
 *
 * The input is read twice: as a model file, which cm_model_load must
 * refuse or load without leaving a block behind; and as a comment, whose
 * features must lie in the view and in 2^bits buckets, whose probability
 * must be in [0, 1], the same again from the same scratch, the same to
 * the bit from a model that lists some of its tokens, and equal to the
 * sum cm_model_explain reports.
 */


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cm_engine.h"
#include "cm_model.h"


#define FZ_BITS  10


typedef struct {
    long                  live;
} fz_mem_t;

typedef struct {
    size_t                len;
    double                sum;
} fz_walk_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fz_file(const uint8_t *data, size_t size);
static void fz_text(const uint8_t *data, size_t size);
static cm_model_t *fz_model(const char *tokens);
static int fz_feature(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end);
static int fz_share(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end, double share);
static void *fz_state(const cm_model_t *m);
static void *fz_alloc(void *data, size_t size);
static void fz_free(void *data, void *p);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_file(data, size);
    fz_text(data, size);

    return 0;
}


static void
fz_file(const uint8_t *data, size_t size)
{
    FILE        *f;
    char         path[64], err[CM_ERRLEN];
    void        *state;
    fz_mem_t     mem;
    cm_view_t    v;
    cm_alloc_t   a;
    cm_model_t  *m;

    snprintf(path, sizeof(path), "/tmp/fuzz_model.%d", (int) getpid());

    f = fopen(path, "w");
    if (f == NULL) {
        abort();
    }

    fwrite(data, 1, size, f);
    fclose(f);

    mem.live = 0;
    a.alloc = fz_alloc;
    a.free = fz_free;
    a.data = &mem;

    m = cm_model_load(&a, path, err, sizeof(err));

    if (m) {
        v.text = (unsigned char *) "slot gacor hari ini";
        v.len = strlen((char *) v.text);
        v.map = NULL;

        state = fz_state(m);

        if (!(cm_model_predict(m, state, &v) >= 0
              && cm_model_predict(m, state, &v) <= 1))
        {
            abort();
        }

        free(state);
        cm_model_free(&a, m);

    } else if (strncmp(err, path, strlen(path)) != 0) {
        /* every error names the file */
        abort();
    }

    if (mem.live != 0) {
        abort();
    }
}


static void
fz_text(const uint8_t *data, size_t size)
{
    double              p, q;
    fz_walk_t           w;
    cm_view_t           v;
    static void        *state, *fstate;
    static cm_model_t  *m, *listed;

    if (m == NULL) {
        m = fz_model("");
        listed = fz_model("slot\ngacor\n1\n11\n.\n!!\nwa.me/62\n"
                          "caf\xc3\xa9\n\xf0\x9f\x94\xa5\n");
        state = fz_state(m);
        fstate = calloc(1, cm_model_scratch_size(FZ_BITS));
    }

    if (cm_view_norm(&cm_alloc_malloc, data, size, &v) != CM_OK) {
        abort();
    }

    w.len = v.len;
    w.sum = 0;

    if (cm_model_features(&v, FZ_BITS, fstate, fz_feature, &w) != CM_OK) {
        abort();
    }

    p = cm_model_predict(m, state, &v);

    if (!(p >= 0 && p <= 1)) {
        abort();
    }

    if (cm_model_predict(m, state, &v) != p
        || cm_model_predict(listed, state, &v) != p)
    {
        abort();
    }

    if (cm_model_explain(m, &cm_alloc_malloc, &v, fz_share, &w, &q)
        != CM_OK
        || fabs(p - q) > 1e-9)
    {
        abort();
    }

    free(v.text);
    free(v.map);
}


/* a model of 2^FZ_BITS buckets with weights from -1 to 1 */

static cm_model_t *
fz_model(const char *tokens)
{
    FILE             *f;
    char              path[64], err[CM_ERRLEN];
    size_t            i, len;
    double            w[1 << FZ_BITS];
    unsigned char    *buf;
    cm_model_t       *m;
    cm_model_spec_t   spec;

    for (i = 0; i < (1 << FZ_BITS); i++) {
        w[i] = (double) ((i * 2654435761u) % 2001) / 1000 - 1;
    }

    memset(&spec, 0, sizeof(cm_model_spec_t));
    spec.bits = FZ_BITS;
    spec.bias = -1;
    spec.threshold = 0.5;
    spec.w = w;
    spec.comment = NULL;
    spec.tokens = (const unsigned char *) tokens;
    spec.tokens_len = strlen(tokens);

    if (cm_model_encode(&cm_alloc_malloc, &spec, &buf, &len, err,
                        sizeof(err))
        != CM_OK)
    {
        abort();
    }

    snprintf(path, sizeof(path), "/tmp/fuzz_model_w.%d", (int) getpid());

    f = fopen(path, "w");
    if (f == NULL) {
        abort();
    }

    fwrite(buf, 1, len, f);
    fclose(f);
    free(buf);

    m = cm_model_load(&cm_alloc_malloc, path, err, sizeof(err));
    unlink(path);

    if (m == NULL) {
        abort();
    }

    return m;
}


static void *
fz_state(const cm_model_t *m)
{
    void  *state;

    state = calloc(1, cm_model_state_size(m));
    if (state == NULL) {
        abort();
    }

    return state;
}


static int
fz_feature(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end)
{
    fz_walk_t  *w = ctx;

    if (bucket >= (1u << FZ_BITS) || kind > CM_MODEL_PAIR || start > end
        || end > w->len)
    {
        abort();
    }

    return 0;
}


static int
fz_share(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end, double share)
{
    if (!isfinite(share)) {
        abort();
    }

    return fz_feature(ctx, bucket, kind, start, end);
}


static void *
fz_alloc(void *data, size_t size)
{
    fz_mem_t  *mem = data;

    mem->live++;

    return malloc(size);
}


static void
fz_free(void *data, void *p)
{
    fz_mem_t  *mem = data;

    if (p) {
        mem->live--;
    }

    free(p);
}
