
/*
 * Aho-Corasick automaton: every key found in one pass over a text, in
 * time linear in the text (plus the hits), whatever the number of keys.
 * Internal to the engine: the regex prefilter (cm_prefilter.c) finds its
 * atoms with one, the word lists (cm_words.c) their entries with another.
 *
 * Bytes are mapped to classes first (only bytes that occur in some key
 * get a class of their own), so the automaton is as wide as the keys'
 * alphabet.  A small automaton becomes a full transition table (one load
 * per byte); a large one has such rows for its shallow states and sparse
 * edges and failure links for the deeper ones.
 */


#ifndef _CM_AC_H_INCLUDED_
#define _CM_AC_H_INCLUDED_


#include "cm_engine.h"


typedef struct cm_ac_s          cm_ac_t;
typedef struct cm_ac_builder_s  cm_ac_builder_t;

/* one hit: the key's value, length and tag, the offset after its end */
typedef int (*cm_ac_hit_pt)(void *ctx, uint32_t value, uint32_t len,
    size_t end, unsigned tag);


/*
 * "fold": ASCII upper case scans as lower case (keys are given in lower
 * case).  "same", when not NULL, maps each byte to the byte it matches as
 * (keys and text alike): "l" and "1" as "i", say.  Memory comes from "a",
 * which must have a free hook; the automaton is freed with cm_ac_free.
 */
cm_ac_builder_t *cm_ac_builder_create(const cm_alloc_t *a, unsigned fold,
    const unsigned char *same);

/*
 * A key of 1 to 65535 bytes; the same key may be added with many values.
 * The tag, 16 bits, comes with each hit: what the caller can check about
 * the hit before it looks the value up.
 */
int cm_ac_add(cm_ac_builder_t *b, const unsigned char *key, size_t len,
    uint32_t value);
int cm_ac_add_tag(cm_ac_builder_t *b, const unsigned char *key, size_t len,
    uint32_t value, unsigned tag);

/* the automaton; the builder is freed either way (NULL: out of memory) */
cm_ac_t *cm_ac_build(cm_ac_builder_t *b);

void cm_ac_builder_free(cm_ac_builder_t *b);
void cm_ac_free(cm_ac_t *ac);

size_t cm_ac_states(const cm_ac_t *ac);
size_t cm_ac_memory(const cm_ac_t *ac);

/*
 * Calls "hit" for every occurrence of every key, in order of their end;
 * a non-zero return stops the scan and is returned.
 */
int cm_ac_scan(const cm_ac_t *ac, const unsigned char *p, size_t len,
    cm_ac_hit_pt hit, void *ctx);


#endif /* _CM_AC_H_INCLUDED_ */
