
/*
 * libFuzzer target comparing the engine with its reference: the input is
 * one comment, matched against the shipped rules by the engine (atoms
 * prefilter, word lists on the skeleton) and by a reference rule set
 * (every rule one PCRE2 scan, cm_ruleset_set_reference).  Every "re"
 * rule must give the same hit, at the same place, in both: the
 * prefilter may only skip a regex that cannot match.  Word lists differ
 * on purpose (see t/differential.t) and are not compared.
 *
 * Inputs over 4 KB are skipped: the reference's word-list regexes are
 * quadratic on some texts, which is why they were replaced.
 *
 * CM_FUZZ_RULES names the rule file (default rules/main.rules).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "fuzz_pool.h"


#define FUZZ_DIFF_MAX  4096


static cm_ruleset_t *fuzz_load(const char *path, unsigned reference);
static void fuzz_init(void);
static const cm_hit_t *fuzz_find(const cm_result_t *res, unsigned id);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static cm_ruleset_t   *rules;
static cm_ruleset_t   *reference;
static cm_scratch_t   *scratch;
static unsigned char  *is_words;    /* by rule index */


static cm_ruleset_t *
fuzz_load(const char *path, unsigned ref)
{
    char           err[CM_ERRLEN];
    cm_ruleset_t  *rs;

    rs = cm_ruleset_create(&cm_alloc_malloc);

    if (rs == NULL
        || (ref && cm_ruleset_set_reference(rs) != CM_OK)
        || cm_ruleset_add_file(rs, path, err, sizeof(err)) != CM_OK
        || cm_ruleset_compile(rs, err, sizeof(err)) != CM_OK)
    {
        fprintf(stderr, "fuzz_diff: %s\n", err);
        abort();
    }

    return rs;
}


static void
fuzz_init(void)
{
    char         needs[16];
    size_t       i, n;
    const char  *path;

    path = getenv("CM_FUZZ_RULES");
    if (path == NULL) {
        path = "rules/main.rules";
    }

    rules = fuzz_load(path, 0);
    reference = fuzz_load(path, 1);

    n = cm_ruleset_nrules(rules);

    is_words = calloc(n + 1, 1);
    if (is_words == NULL) {
        abort();
    }

    for (i = 0; i < n; i++) {
        cm_ruleset_rule_needs(rules, i, needs, sizeof(needs));
        is_words[i] = (strcmp(needs, "list") == 0);
    }

    scratch = cm_scratch_create(&cm_alloc_malloc, 0, 0);
    if (scratch == NULL) {
        abort();
    }
}


static const cm_hit_t *
fuzz_find(const cm_result_t *res, unsigned id)
{
    size_t  i;

    for (i = 0; i < res->nhits; i++) {
        if (res->hits[i].id == id) {
            return &res->hits[i];
        }
    }

    return NULL;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char                  err[CM_ERRLEN];
    size_t                i, n;
    cm_alloc_t            a;
    cm_field_t            field;
    cm_result_t           res, ref;
    cm_rule_info_t        info;
    const cm_hit_t       *h, *r;
    static fuzz_pool_t    pool;

    if (rules == NULL) {
        fuzz_init();
    }

    if (size > FUZZ_DIFF_MAX) {
        return 0;
    }

    a.alloc = fuzz_alloc;
    a.free = NULL;
    a.data = &pool;

    field.name = (const unsigned char *) "comment";
    field.name_len = 7;
    field.value = data;
    field.value_len = size;
    field.flags = 0;

    if (cm_match(rules, scratch, &a, &field, 1, &res, err, sizeof(err))
        != CM_OK
        || cm_match(reference, scratch, &a, &field, 1, &ref, err,
                    sizeof(err))
           != CM_OK)
    {
        fprintf(stderr, "fuzz_diff: %s\n", err);
        abort();
    }

    n = cm_ruleset_nrules(rules);

    for (i = 0; i < n; i++) {
        if (is_words[i]) {
            continue;
        }

        cm_ruleset_rule(rules, i, &info);

        h = fuzz_find(&res, info.id);
        r = fuzz_find(&ref, info.id);

        if ((h == NULL) != (r == NULL)
            || (h && (h->start != r->start || h->end != r->end
                      || h->count != r->count)))
        {
            fprintf(stderr, "fuzz_diff: rule %u: engine %s, reference %s\n",
                    info.id, h ? "matched" : "did not match",
                    r ? "matched" : "did not match");
            abort();
        }
    }

    fuzz_pool_free(&pool);

    return 0;
}
