/*
 * Internal to the engine: the compiled rule set shared by cm_rules.c
 * (rule files), cm_words.c (word lists), cm_words_re.c (word lists as
 * regexes, the reference), cm_model.c (models), cm_lines.c (reading
 * files) and cm_match.c (matching).  Not for callers.
 */


#ifndef _CM_RULES_INT_H_INCLUDED_
#define _CM_RULES_INT_H_INCLUDED_


#include <sys/types.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "cm_engine.h"
#include "cm_model.h"
#include "cm_prefilter.h"


#define CM_VIEW_NORM       0
#define CM_VIEW_RAW        1
#define CM_NVIEWS          2

#define CM_RULE_RE         0
#define CM_RULE_WORDS      1
#define CM_RULE_MODEL      2

#define CM_INCLUDE_MAX     16

#define CM_NO_TWIN         ((uint32_t) -1)

/* the largest rule file or word list read, see README.md */
#define CM_FILE_MAX        (64 * 1024 * 1024)


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


typedef struct cm_words_s  cm_words_t;


typedef struct {
    unsigned              id;
    int                   score;
    unsigned              count;     /* fires at this many matches */
    unsigned              type;      /* CM_RULE_RE, CM_RULE_WORDS */
    unsigned              view;      /* CM_VIEW_NORM, CM_VIEW_RAW */
    const char           *tag;       /* "" when none */
    const char           *msg;       /* "" when none */
    const char           *file;
    unsigned              line;
    cm_str_t             *fields;    /* NULL: every field */
    size_t                nfields;
    cm_str_t             *against;   /* a negative score cancels only */
    size_t                nagainst;  /* hits with these tags */
    unsigned              hold_only; /* max=hold: never makes a reject */

    /*
     * The regex of an "re" rule.  In a reference rule set, word lists are
     * regexes too: one, or several when one would be too large for PCRE2,
     * any of which is a match.
     */
    pcre2_code          **codes;
    size_t                ncodes;

    /*
     * An "re" rule's pattern and options, kept to find the rules of the
     * same regex (pattern, flags, view and count): twin is the first of
     * them, by index, whose match of a field's view serves them all
     * (cm_match.c), or CM_NO_TWIN when no other rule has its regex
     */
    cm_str_t              pattern;
    uint32_t              options;
    uint32_t              twin;

    /*
     * a "model" rule: fires at this probability or above, given or the
     * file's for the share of ham "rate"; rules naming one file share it
     */
    cm_model_t           *model;
    const char           *model_path;
    double                threshold;
    double                rate;
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
    unsigned                reference;  /* every rule one PCRE2 scan */

    /* per view: the regex prefilter and the word lists' automaton */
    cm_pf_t                *pf[CM_NVIEWS];
    cm_words_t             *words[CM_NVIEWS];

    /* matching state in the scratch: cm_match.c */
    size_t                  pf_state[CM_NVIEWS];
    size_t                  words_state[CM_NVIEWS];

    /* the "model" rules, by index, and the scratch the largest needs */
    uint32_t               *models;
    size_t                  nmodels;
    size_t                  model_state;
};


/* a whole file in memory: cm_lines.c */

typedef struct {
    unsigned char        *data;
    size_t                len;
    dev_t                 dev;
    ino_t                 ino;
} cm_file_t;

typedef struct {
    const unsigned char  *p;
    const unsigned char  *last;
    unsigned              line;      /* of the line last returned */
} cm_lines_t;


/* cm_rules.c */
void *cm_rs_alloc(cm_ruleset_t *rs, size_t size);
void cm_rs_free(cm_ruleset_t *rs, void *p);
char *cm_rs_strdup(cm_ruleset_t *rs, const void *p, size_t len);
void cm_rs_allocator(cm_ruleset_t *rs, cm_alloc_t *a);

/* PCRE2 memory hooks over a cm_alloc_t ("data" is the cm_alloc_t) */
void *cm_pcre2_malloc(PCRE2_SIZE size, void *data);
void cm_pcre2_free(void *p, void *data);


/*
 * cm_lines.c: "path" must be a regular file of at most CM_FILE_MAX bytes.
 * On an error *what is "cannot open" or "cannot read", and "reason" says
 * why ("No such file or directory", "not a regular file").
 */
int cm_file_read(const cm_alloc_t *a, const char *path, cm_file_t *f,
    const char **what, char *reason, size_t len);
void cm_lines_init(cm_lines_t *ls, const unsigned char *buf, size_t len);
int cm_lines_next(cm_lines_t *ls, const unsigned char **start,
    const unsigned char **end);
size_t cm_utf8_check(const unsigned char *p, size_t len);


/*
 * cm_words.c: reads the list of a words rule and compiles it into the
 * rule set (into rs->words, or as regexes into r->codes in a reference
 * rule set).  Errors about the list as a whole are placed at "at:line",
 * errors of one of its lines at that line of the list.
 */
int cm_words_load(cm_ruleset_t *rs, cm_rule_t *r, const char *path,
    const char *at, unsigned line, char *err, size_t errlen);

int cm_words_build(cm_words_t *w);
void cm_words_free(cm_words_t *w);
size_t cm_words_nentries(const cm_words_t *w);
size_t cm_words_nkeys(const cm_words_t *w);
size_t cm_words_memory(const cm_words_t *w);

/* scratch bytes cm_words_scan needs, zeroed once; it leaves them zeroed */
size_t cm_words_state_size(const cm_words_t *w);

/* a rule's first match: rule index, offsets in the view's text */
typedef int (*cm_words_hit_pt)(void *ctx, uint32_t rule, size_t start,
    size_t end);

/*
 * Every list of "w" against one view of a field, through its skeleton:
 * "hit" once per rule that matches, with its leftmost match.  Memory for
 * the matches kept while exceptions are checked comes from "a".
 */
int cm_words_scan(const cm_words_t *w, void *state, const cm_alloc_t *a,
    const cm_view_t *view, const cm_skel_t *sk, cm_words_hit_pt hit,
    void *ctx);


/*
 * cm_model.c: a model file named by a rule; "at" and "line" place the
 * errors about the file as a whole (cannot open) at that rule.
 */
cm_model_t *cm_model_load_at(const cm_alloc_t *a, const char *path,
    const char *at, unsigned line, char *err, size_t errlen);


/*
 * cm_words_re.c: a word list as PCRE2 regexes into r->codes, the way
 * every list was matched before cm_words.c (comment-check --reference).
 * "words" are the list's lines, trimmed; the message has no place.
 */
int cm_words_re_compile(cm_ruleset_t *rs, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t n, char *err, size_t errlen);


#endif /* _CM_RULES_INT_H_INCLUDED_ */
