
/*
 * The fuzz targets' allocator: every block is malloc()ed with exactly the
 * size asked for, so AddressSanitizer sees any overrun, and all are freed
 * together after each input, as an nginx request pool is.
 */


#ifndef _CM_FUZZ_POOL_H_INCLUDED_
#define _CM_FUZZ_POOL_H_INCLUDED_


#include <stdlib.h>
#include <string.h>


typedef struct {
    void    **blocks;
    size_t    n;
    size_t    size;
} fuzz_pool_t;


static void *fuzz_alloc(void *data, size_t size);
static void fuzz_pool_free(fuzz_pool_t *pool);


static void *
fuzz_alloc(void *data, size_t size)
{
    void         *p, **b;
    fuzz_pool_t  *pool;

    pool = data;

    if (pool->n == pool->size) {
        pool->size = pool->size ? pool->size * 2 : 64;

        b = realloc(pool->blocks, pool->size * sizeof(void *));
        if (b == NULL) {
            return NULL;
        }

        pool->blocks = b;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    pool->blocks[pool->n++] = p;

    return p;
}


static void
fuzz_pool_free(fuzz_pool_t *pool)
{
    size_t  i;

    for (i = 0; i < pool->n; i++) {
        free(pool->blocks[i]);
    }

    free(pool->blocks);
    memset(pool, 0, sizeof(fuzz_pool_t));
}


#endif /* _CM_FUZZ_POOL_H_INCLUDED_ */
