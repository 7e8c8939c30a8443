
/*
 * Regex prefilter, internal to the engine: what a PCRE2 pattern cannot
 * match without.
 *
 * Each pattern is read once at load time into a formula over literal
 * strings ("atoms"): AND and OR of atoms, as RE2's FilteredRE2 does.
 * `\bslot\s+(?:gacor|online)\b` needs "slot" and one of " gacor",
 * " online"... (the exact strings it can start with are kept together as
 * long as there are few).  At match time all atoms of all patterns are
 * found in one Aho-Corasick pass over the text, the formulas are
 * evaluated from the atoms found upwards, and PCRE2 runs only for the
 * patterns whose formula holds.  A pattern with no atom (a character
 * class alone, a construct the reader does not know) always runs.
 *
 * The formula is never stricter than the pattern: every construct that
 * is not understood counts as "anything", so a pattern can only be run
 * when it need not be, never skipped when it could match.
 */


#ifndef _CM_PREFILTER_H_INCLUDED_
#define _CM_PREFILTER_H_INCLUDED_


#include "cm_engine.h"


typedef struct cm_pf_s        cm_pf_t;

/* a pattern whose formula holds: its index as given to cm_pf_add */
typedef int (*cm_pf_cand_pt)(void *ctx, uint32_t index);

/*
 * An anchored pattern (every match starts with one of a few atoms) may
 * match at "start": called for every occurrence of its anchors.
 */
typedef int (*cm_pf_anchor_pt)(void *ctx, uint32_t index, size_t start);


cm_pf_t *cm_pf_create(const cm_alloc_t *a);

/*
 * Reads a pattern (PCRE2 syntax, UTF) into the prefilter.  "options" are
 * PCRE2_CASELESS and PCRE2_EXTENDED as compiled; "norm" says the text is
 * normalised (every white space is one " ", so \s is " ").  Returns CM_OK
 * or CM_ERROR (out of memory only: an unknown construct is "anything").
 */
int cm_pf_add(cm_pf_t *pf, uint32_t index, const unsigned char *pat,
    size_t len, uint32_t options, unsigned norm);

/* after the last cm_pf_add: the automaton and the formulas' tables */
int cm_pf_build(cm_pf_t *pf);

void cm_pf_free(cm_pf_t *pf);

size_t cm_pf_npatterns(const cm_pf_t *pf);
size_t cm_pf_nalways(const cm_pf_t *pf);     /* patterns with no atom */
size_t cm_pf_natoms(const cm_pf_t *pf);
size_t cm_pf_memory(const cm_pf_t *pf);

/* the indexes of the patterns that always run, ascending */
const uint32_t *cm_pf_always(const cm_pf_t *pf);

/* the pattern's formula as text: AND(OR("x", "y"), ...), or "always" */
size_t cm_pf_describe(const cm_pf_t *pf, uint32_t index, char *buf,
    size_t len);

/*
 * 1 when every match of the pattern starts with one of its anchors: PCRE2
 * need only try, anchored, where cm_pf_scan reported them.
 */
unsigned cm_pf_is_anchored(const cm_pf_t *pf, uint32_t index);

/* 0 when the pattern at "index" has atoms, 1 when it always runs */
unsigned cm_pf_is_always(const cm_pf_t *pf, uint32_t index);

/*
 * Match-time state: cm_pf_state_size bytes, zeroed by the caller once;
 * cm_pf_scan leaves them zeroed again, so one state serves every scan.
 */
size_t cm_pf_state_size(const cm_pf_t *pf);

/*
 * One pass over the text: "cand" is called once for each pattern with
 * atoms whose formula holds (not for the patterns that always run); a
 * non-zero return stops the scan and is returned.
 */
int cm_pf_scan(const cm_pf_t *pf, void *mem, const unsigned char *text,
    size_t len, cm_pf_cand_pt cand, cm_pf_anchor_pt anchor, void *ctx);


#endif /* _CM_PREFILTER_H_INCLUDED_ */
