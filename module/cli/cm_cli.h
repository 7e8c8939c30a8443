
/*
 * comment-check's parts: the command line (comment-check.c), and the
 * moderators' reports (cm_tools.c: --explain, --corpus, --diff).
 */


#ifndef _CM_CLI_H_INCLUDED_
#define _CM_CLI_H_INCLUDED_


#include <stdio.h>

#include "cm_engine.h"


#define CM_EXIT_PASS       0
#define CM_EXIT_ERROR      1
#define CM_EXIT_HOLD       2
#define CM_EXIT_REJECT     3

#define CM_HOLD_DEFAULT    5
#define CM_REJECT_DEFAULT  10

#define CM_BENCH_N         2000
#define CM_BENCH_LEN       1024

#define CM_CHUNK_SIZE      (64 * 1024)
#define CM_CHUNK_HDR       ((sizeof(cm_chunk_t) + 15) & ~(size_t) 15)
#define CM_SHOW_MAX        120


/* per-comment memory: allocation bumps a pointer, reset frees it all */

typedef struct cm_chunk_s  cm_chunk_t;

struct cm_chunk_s {
    cm_chunk_t           *next;
    size_t                size;
    size_t                used;
    unsigned char        *data;
};

typedef struct {
    cm_chunk_t           *chunks;
} cm_arena_t;


typedef struct {
    const char          **rules;
    size_t                nrules;
    const char           *field;
    int                   hold;
    int                   reject;
    unsigned              lint;
    unsigned              batch;
    unsigned              list;
    unsigned              bench;
    long                  bench_n;
    const char           *bench_file;
    unsigned              reference;
    unsigned              atoms;
    unsigned              stats;
    unsigned              explain;
    const char           *corpus;
    const char          **old;       /* --diff: the rule set to compare */
    size_t                nold;
    const char           *body;      /* --body: a request body's file */
    const char           *content_type;
    const char           *content_encoding;
    const char           *query;
    const char          **fields;    /* --field given with --body */
    size_t                nfields;
} cm_opts_t;


cm_ruleset_t *cm_load_rules(const char **files, size_t n,
    unsigned reference);
int cm_run(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len,
    cm_result_t *res);
void cm_print_text(const unsigned char *p, size_t len);
void *cm_arena_alloc(void *data, size_t size);
void cm_arena_reset(cm_arena_t *ar);

int cm_explain(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len);
int cm_corpus(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar);
int cm_check_body(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar);
int cm_read_file(FILE *f, unsigned char **text, size_t *len);
void cm_print_model(cm_ruleset_t *rs, const cm_hit_t *h,
    const unsigned char *text, size_t len);
int cm_explain_models(cm_ruleset_t *rs, const unsigned char *text,
    size_t len);
int cm_rule_is_model(cm_ruleset_t *rs, unsigned id);
int cm_print_result(cm_ruleset_t *rs, const cm_result_t *res,
    cm_decision_e d, const cm_field_t *fields, unsigned named);
int cm_exit_code(cm_decision_e d);


#endif /* _CM_CLI_H_INCLUDED_ */
