
/*
 * libFuzzer target for cm_parse_body().
 *
 * The first byte picks the Content-Type: form, multipart with boundary
 * "b", JSON, raw, or (4) a Content-Type read from the input up to the
 * first newline, to fuzz the type and boundary parsing too.  The rest is
 * the body.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I module/engine \
 *       t/fuzz/fuzz_parse.c module/engine/cm_parse.c \
 *       module/engine/cm_util.c -o build/fuzz_parse
 */


#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "fuzz_pool.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   rc;
    char                  err[CM_ERRLEN];
    size_t                i, k, ct_len, len;
    unsigned              sum;
    cm_alloc_t            a;
    fuzz_pool_t           pool;
    cm_fields_t           fields;
    const uint8_t        *body, *nl;
    const unsigned char  *ct;

    static const char  *types[] = {
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "application/json",
        "text/plain"
    };

    if (size == 0) {
        return 0;
    }

    body = data + 1;
    len = size - 1;

    if (data[0] % 5 < 4) {
        ct = (const unsigned char *) types[data[0] % 5];
        ct_len = strlen((const char *) ct);

    } else {
        nl = memchr(body, '\n', len);
        ct = body;
        ct_len = nl ? (size_t) (nl - body) : len;
        body = nl ? nl + 1 : body + len;
        len -= nl ? ct_len + 1 : ct_len;
    }

    memset(&pool, 0, sizeof(fuzz_pool_t));
    memset(&fields, 0, sizeof(cm_fields_t));

    a.alloc = fuzz_alloc;
    a.free = NULL;
    a.data = &pool;

    rc = cm_parse_body(&a, ct, ct_len, body, len, &fields, err, sizeof(err));

    if (rc != CM_OK && rc != CM_DECLINED) {
        abort();
    }

    if (rc == CM_DECLINED && (err[0] == '\0' || strlen(err) >= CM_ERRLEN)) {
        abort();
    }

    /* every byte of every field must be readable */

    sum = 0;

    for (i = 0; i < fields.nelts; i++) {
        for (k = 0; k < fields.elts[i].name_len; k++) {
            sum += fields.elts[i].name[k];
        }

        for (k = 0; k < fields.elts[i].value_len; k++) {
            sum += fields.elts[i].value[k];
        }
    }

    if (sum == 0xdeadbeef) {
        err[0] = '\0';
    }

    fuzz_pool_free(&pool);

    return 0;
}
