
/*
 * libFuzzer target for the whole inspection path: the input is a body,
 * turned into fields by cm_body_fields() as JSON or form (first byte),
 * gzip-encoded or not (second bit), then every field is matched against
 * the shipped rules, as the module does.
 *
 *   ./build.sh fuzz            (all targets, FUZZ_SECONDS each)
 *
 * CM_FUZZ_RULES names the rule file (default rules/main.rules).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "fuzz_pool.h"


static void fuzz_init(void);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static cm_ruleset_t  *rules;
static cm_scratch_t  *scratch;


static void
fuzz_init(void)
{
    const char  *path;
    char         err[CM_ERRLEN];

    path = getenv("CM_FUZZ_RULES");
    if (path == NULL) {
        path = "rules/main.rules";
    }

    rules = cm_ruleset_create(&cm_alloc_malloc);

    if (rules == NULL
        || cm_ruleset_add_file(rules, path, err, sizeof(err)) != CM_OK
        || cm_ruleset_compile(rules, err, sizeof(err)) != CM_OK)
    {
        fprintf(stderr, "fuzz_match: %s\n", err);
        abort();
    }

    scratch = cm_scratch_create(&cm_alloc_malloc, 0, 0);
    if (scratch == NULL) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                   rc;
    size_t                i;
    cm_body_t             req;
    cm_alloc_t            a;
    cm_fields_t           fields;
    cm_result_t           res;
    const char           *ct;
    static fuzz_pool_t    pool;
    char                  err[CM_ERRLEN];

    if (rules == NULL) {
        fuzz_init();
    }

    if (size == 0) {
        return 0;
    }

    ct = (data[0] & 1) ? "application/json"
                       : "application/x-www-form-urlencoded";

    a.alloc = fuzz_alloc;
    a.free = NULL;
    a.data = &pool;

    memset(&fields, 0, sizeof(fields));
    memset(&req, 0, sizeof(req));

    req.content_type = (const unsigned char *) ct;
    req.content_type_len = strlen(ct);
    req.max_size = 65536;

    if (data[0] & 2) {
        req.content_encoding = (const unsigned char *) "gzip";
        req.content_encoding_len = 4;
    }

    rc = cm_body_fields(&a, &req, data + 1, size - 1, &fields, err,
                        sizeof(err));

    if (rc == CM_TOO_LARGE) {
        fuzz_pool_free(&pool);
        return 0;
    }

    if (rc != CM_OK && rc != CM_DECLINED) {
        abort();
    }

    memset(&res, 0, sizeof(res));

    if (cm_match(rules, scratch, &a, fields.elts, fields.nelts, &res, err,
                 sizeof(err))
        != CM_OK)
    {
        abort();
    }

    for (i = 0; i < res.nhits; i++) {
        if (res.hits[i].field >= fields.nelts
            || res.hits[i].start > res.hits[i].end
            || res.hits[i].end > fields.elts[res.hits[i].field].value_len)
        {
            abort();
        }
    }

    fuzz_pool_free(&pool);

    return 0;
}
