
/*
 * Small shared pieces of the engine: the malloc allocator, the field
 * array, decisions.
 */


#include <stdlib.h>
#include <string.h>

#include "cm_util.h"


static void *cm_malloc(void *data, size_t size);
static void cm_free(void *data, void *p);


const cm_alloc_t  cm_alloc_malloc = { cm_malloc, cm_free, NULL };


static void *
cm_malloc(void *data, size_t size)
{
    return malloc(size);
}


static void
cm_free(void *data, void *p)
{
    free(p);
}


int
cm_fields_add(const cm_alloc_t *a, cm_fields_t *fields,
    const unsigned char *name, size_t name_len,
    const unsigned char *value, size_t value_len)
{
    size_t       n;
    cm_field_t  *f, *elts;

    if (fields->nelts == fields->nalloc) {
        n = fields->nalloc ? fields->nalloc * 2 : 8;

        elts = a->alloc(a->data, n * sizeof(cm_field_t));
        if (elts == NULL) {
            return CM_ERROR;
        }

        if (fields->nelts) {
            memcpy(elts, fields->elts, fields->nelts * sizeof(cm_field_t));
        }

        if (a->free && fields->elts) {
            a->free(a->data, fields->elts);
        }

        fields->elts = elts;
        fields->nalloc = n;
    }

    f = &fields->elts[fields->nelts++];

    f->name = name;
    f->name_len = name_len;
    f->value = value;
    f->value_len = value_len;
    f->flags = 0;

    return CM_OK;
}


cm_decision_e
cm_decide(const cm_result_t *res, int hold, int reject)
{
    if (res->score >= reject && res->score - res->capped >= reject) {
        return CM_REJECT;
    }

    if (res->score >= hold) {
        return CM_HOLD;
    }

    return CM_PASS;
}


const char *
cm_decision_name(cm_decision_e d)
{
    static const char  *names[] = { "pass", "hold", "reject" };

    return names[d];
}


/*
 * The length of the valid UTF-8 sequence at p, 0 if it is not one; the
 * code point goes to *cp.
 */

size_t
cm_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    size_t    n, i;
    uint32_t  c, min;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2; c &= 0x1f; min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; c &= 0x0f; min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; c &= 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    *cp = c;

    return n;
}


void *
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


size_t
cm_utf8_len(unsigned char c)
{
    if (c >= 0xf0) {
        return 4;
    }

    if (c >= 0xe0) {
        return 3;
    }

    if (c >= 0xc0) {
        return 2;
    }

    return 1;
}


uint32_t
cm_fnv(uint32_t h, const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 16777619u;
    }

    return h;
}
