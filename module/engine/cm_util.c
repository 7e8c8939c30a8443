
/*
 * Small shared pieces of the engine: the malloc allocator, the field
 * array, decisions.
 */


#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"


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

    return CM_OK;
}


cm_decision_e
cm_decide(int score, int hold, int reject)
{
    if (score >= reject) {
        return CM_REJECT;
    }

    if (score >= hold) {
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
