/*
 * libFuzzer target for cm_view_raw() and cm_view_norm():
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I module/engine \
 *       t/fuzz/fuzz_norm.c module/engine/cm_norm.c module/engine/cm_util.c \
 *       -lutf8proc -o fuzz_norm
 *
 * Every view must be valid UTF-8 without NUL, its map non-decreasing and
 * inside the input, and every block allocated must be freed.
 */


#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"


typedef struct {
    size_t                live;
} fz_mem_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void *fz_alloc(void *data, size_t size);
static void fz_free(void *data, void *p);
static void fz_check(const cm_view_t *v, size_t len);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_mem_t    mem;
    cm_view_t   v;
    cm_alloc_t  a;

    mem.live = 0;

    a.alloc = fz_alloc;
    a.free = fz_free;
    a.data = &mem;

    if (cm_view_raw(&a, data, size, &v) != CM_OK) {
        abort();
    }

    fz_check(&v, size);

    if (v.len > size) {
        abort();
    }

    fz_free(&mem, v.text);
    fz_free(&mem, v.map);

    if (cm_view_norm(&a, data, size, &v) != CM_OK) {
        abort();
    }

    fz_check(&v, size);

    fz_free(&mem, v.text);
    fz_free(&mem, v.map);

    if (mem.live != 0) {
        abort();
    }

    return 0;
}


static void *
fz_alloc(void *data, size_t size)
{
    fz_mem_t  *mem = data;
    void      *p;

    p = malloc(size);

    if (p) {
        mem->live++;
    }

    return p;
}


static void
fz_free(void *data, void *p)
{
    fz_mem_t  *mem = data;

    mem->live--;
    free(p);
}


static void
fz_check(const cm_view_t *v, size_t len)
{
    size_t          i, k, n;
    uint32_t        c;
    const uint8_t  *t;

    t = v->text;

    if (t[v->len] != '\0' || v->map[v->len] != len) {
        abort();
    }

    for (i = 0; i < v->len; i++) {
        if (v->map[i] >= len || (i && v->map[i] < v->map[i - 1])) {
            abort();
        }
    }

    for (i = 0; i < v->len; i += n) {
        c = t[i];

        if (c == 0) {
            abort();
        }

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 2; c &= 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3; c &= 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4; c &= 0x07;

        } else {
            abort();
        }

        if (v->len - i < n) {
            abort();
        }

        for (k = 1; k < n; k++) {
            if ((t[i + k] & 0xc0) != 0x80) {
                abort();
            }

            c = (c << 6) | (t[i + k] & 0x3f);
        }

        if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000)
            || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        {
            abort();
        }
    }
}
