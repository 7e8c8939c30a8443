
/*
 * Allocators for the engine's C unit tests: an arena (memory handed out
 * in order, never freed, reset by setting "used" to 0) and malloc that
 * counts, to check that everything allocated is freed.
 */


#ifndef _CM_TEST_ALLOC_H_INCLUDED_
#define _CM_TEST_ALLOC_H_INCLUDED_


#include <stdlib.h>


typedef struct {
    unsigned char        *buf;
    size_t                size;
    size_t                used;
} arena_t;

typedef struct {
    long                  allocs;
    long                  frees;
} counter_t;


static void *arena_alloc(void *data, size_t size) __attribute__((unused));
static void *count_alloc(void *data, size_t size) __attribute__((unused));
static void count_free(void *data, void *p) __attribute__((unused));


/* 16-byte aligned, NULL when the arena is full */

static void *
arena_alloc(void *data, size_t size)
{
    void     *p;
    arena_t  *a = data;

    a->used = (a->used + 15) & ~(size_t) 15;

    if (size > a->size - a->used) {
        return NULL;
    }

    p = a->buf + a->used;
    a->used += size;

    return p;
}


static void *
count_alloc(void *data, size_t size)
{
    counter_t  *c = data;

    c->allocs++;

    return malloc(size);
}


static void
count_free(void *data, void *p)
{
    counter_t  *c = data;

    if (p) {
        c->frees++;
    }

    free(p);
}


#endif /* _CM_TEST_ALLOC_H_INCLUDED_ */
