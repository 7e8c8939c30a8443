/*
 * Internal to the engine: the compiled rule set shared by cm_rules.c
 * (loading, compiling) and cm_match.c (matching).  Not for callers.
 */


#ifndef _CM_RULES_INT_H_INCLUDED_
#define _CM_RULES_INT_H_INCLUDED_


#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "cm_engine.h"


#define CM_VIEW_NORM       0
#define CM_VIEW_RAW        1
#define CM_NVIEWS          2

#define CM_INCLUDE_MAX     16


typedef struct {
    const unsigned char  *data;
    size_t                len;
} cm_str_t;


typedef struct cm_block_s  cm_block_t;

/* every allocation of a rule set is linked, so cm_ruleset_free finds it */

struct cm_block_s {
    cm_block_t           *next;
    cm_block_t           *prev;
};

/* the header in front of each block, keeping the block's alignment */
#define CM_BLOCK_HDR       ((sizeof(cm_block_t) + 15) & ~(size_t) 15)


typedef struct {
    unsigned              id;
    int                   score;
    unsigned              count;     /* fires at this many matches */
    unsigned              view;      /* CM_VIEW_NORM, CM_VIEW_RAW */
    const char           *tag;       /* "" when none */
    const char           *msg;       /* "" when none */
    const char           *file;
    unsigned              line;
    cm_str_t             *fields;    /* NULL: every field */
    size_t                nfields;

    /*
     * One regex for "re" rules; a word list too large for one compiled
     * PCRE2 pattern is split into several, any of which is a match.
     */
    pcre2_code          **codes;
    size_t                ncodes;
} cm_rule_t;


struct cm_ruleset_s {
    cm_alloc_t              alloc;
    cm_block_t             *blocks;
    pcre2_general_context  *gctx;
    pcre2_compile_context  *cctx;
    cm_rule_t              *rules;
    size_t                  nrules;
    size_t                  nalloc;
    unsigned                failed;     /* a file did not load */
    unsigned                compiled;   /* immutable from now on */
};


/* PCRE2 memory hooks over a cm_alloc_t ("data" is the cm_alloc_t) */
void *cm_pcre2_malloc(PCRE2_SIZE size, void *data);
void cm_pcre2_free(void *p, void *data);


#endif /* _CM_RULES_INT_H_INCLUDED_ */
