
/*
 * libFuzzer target for cm_body_fields(), the path from a request to its
 * fields, and cm_parse_body() under it.
 *
 * The first byte picks the Content-Type: form, multipart with boundary
 * "b", JSON, raw, or (4) a Content-Type read from the input up to the
 * first newline, to fuzz the type and boundary parsing too.  The second
 * picks the Content-Encoding (none, gzip, deflate, one not supported),
 * whether a field filter is given, and whether the input up to the next
 * newline is the query string.  The rest is the body.
 *
 * Besides memory errors, it checks that every field is readable, that
 * the return codes and messages are as documented, and that memory stays
 * linear in the body and the inflation bound.
 *
 *   ./build.sh fuzz            (all targets, FUZZ_SECONDS each)
 */


#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "fuzz_pool.h"


#define FUZZ_MAX_SIZE  65536


typedef struct {
    fuzz_pool_t   pool;
    size_t        total;
} fuzz_counted_t;


static void *fuzz_counted_alloc(void *data, size_t size);
static const uint8_t *fuzz_line(const uint8_t **p, size_t *len,
    size_t *line_len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void *
fuzz_counted_alloc(void *data, size_t size)
{
    fuzz_counted_t  *c;

    c = data;
    c->total += size;

    return fuzz_alloc(&c->pool, size);
}


/* the input up to the next newline, taken off the front */

static const uint8_t *
fuzz_line(const uint8_t **p, size_t *len, size_t *line_len)
{
    const uint8_t  *line, *nl;

    line = *p;
    nl = memchr(line, '\n', *len);

    *line_len = nl ? (size_t) (nl - line) : *len;
    *p = nl ? nl + 1 : line + *len;
    *len -= nl ? *line_len + 1 : *line_len;

    return line;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   rc;
    char                  err[CM_ERRLEN];
    size_t                i, k, len, n;
    unsigned              sum;
    cm_body_t             req;
    cm_alloc_t            a;
    cm_fields_t           fields;
    fuzz_counted_t        counted;
    const uint8_t        *body;

    static const char  *types[] = {
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "application/json",
        "text/plain"
    };

    static const char  *codings[] = { NULL, "gzip", "deflate", "br" };

    static const cm_name_t  filter[] = {
        { (const unsigned char *) "c", 1 },
        { (const unsigned char *) "a.b", 3 },
        { (const unsigned char *) "post_title", 10 }
    };

    if (size < 2) {
        return 0;
    }

    memset(&req, 0, sizeof(cm_body_t));

    body = data + 2;
    len = size - 2;

    if (data[0] % 5 < 4) {
        req.content_type = (const unsigned char *) types[data[0] % 5];
        req.content_type_len = strlen(types[data[0] % 5]);

    } else {
        req.content_type = fuzz_line(&body, &len, &req.content_type_len);
    }

    if (codings[data[1] & 3]) {
        req.content_encoding = (const unsigned char *) codings[data[1] & 3];
        req.content_encoding_len = strlen(codings[data[1] & 3]);
    }

    if (data[1] & 4) {
        req.filter = filter;
        req.nfilter = sizeof(filter) / sizeof(filter[0]);
    }

    if (data[1] & 8) {
        req.query = fuzz_line(&body, &len, &req.query_len);
    }

    req.max_size = FUZZ_MAX_SIZE;

    memset(&counted, 0, sizeof(fuzz_counted_t));
    memset(&fields, 0, sizeof(cm_fields_t));

    a.alloc = fuzz_counted_alloc;
    a.free = NULL;
    a.data = &counted;

    rc = cm_body_fields(&a, &req, body, len, &fields, err, sizeof(err));

    switch (rc) {

    case CM_OK:
        break;

    case CM_DECLINED:
    case CM_TOO_LARGE:
    case CM_UNSUPPORTED:
        if (err[0] == '\0' || strlen(err) >= CM_ERRLEN) {
            abort();
        }

        if (rc != CM_DECLINED) {
            fields.nelts = 0;
        }

        break;

    default:
        abort();
    }

    if (rc == CM_UNSUPPORTED && (data[1] & 3) != 3) {
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

    /* linear: a constant for each byte of the body, query and output */

    n = len + req.query_len + req.content_type_len;

    if (counted.total > 256 * n + 4 * FUZZ_MAX_SIZE + 1024 * 1024) {
        abort();
    }

    fuzz_pool_free(&counted.pool);

    /* the parser alone, as before */

    memset(&fields, 0, sizeof(cm_fields_t));

    a.alloc = fuzz_alloc;
    a.data = &counted.pool;

    rc = cm_parse_body(&a, req.content_type, req.content_type_len, body, len,
                       &fields, err, sizeof(err));

    if (rc != CM_OK && rc != CM_DECLINED) {
        abort();
    }

    if (rc == CM_DECLINED && (err[0] == '\0' || strlen(err) >= CM_ERRLEN)) {
        abort();
    }

    fuzz_pool_free(&counted.pool);

    return 0;
}
