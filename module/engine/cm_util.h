
/*
 * Small helpers shared inside the engine (cm_util.c).  Not for callers.
 */


#ifndef _CM_UTIL_H_INCLUDED_
#define _CM_UTIL_H_INCLUDED_


#include "cm_engine.h"


/*
 * Room for one more element in an array of n, doubling from 8; the old
 * array is freed when "a" can free.  NULL when out of memory (the old
 * array is kept).
 */
void *cm_grow(const cm_alloc_t *a, void *p, size_t n, size_t *nalloc,
    size_t size);

/* the length of the UTF-8 sequence a lead byte starts, 1 to 4 */
size_t cm_utf8_len(unsigned char c);

/* FNV-1a, 32 bits, of len bytes, going on from h (CM_FNV_BASIS to start) */
#define CM_FNV_BASIS          2166136261u
uint32_t cm_fnv(uint32_t h, const unsigned char *p, size_t len);


#endif /* _CM_UTIL_H_INCLUDED_ */
