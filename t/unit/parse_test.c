
/*
 * Unit tests for cm_parse.c: content types, form, multipart and JSON
 * bodies, malformed input.
 */


#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "tap.h"


/* an allocator that remembers its blocks, and can be told to fail */

typedef struct {
    void    **blocks;
    size_t    n;
    size_t    size;
    long      fail_after;            /* -1: never */
} test_pool_t;


static void *test_alloc(void *data, size_t size);
static void test_pool_free(test_pool_t *pool);
static int parse(const char *ct, const char *body, size_t len);
static int field_is(size_t i, const char *name, const char *value);
static void test_types(void);
static void test_form(void);
static void test_multipart(void);
static void test_json(void);
static void test_json_invalid(void);
static void test_raw(void);
static void test_nomem(void);


static test_pool_t   pool = { NULL, 0, 0, -1 };
static cm_alloc_t    alloc = { test_alloc, NULL, &pool };
static cm_fields_t   fields;
static char          err[CM_ERRLEN];


static void *
test_alloc(void *data, size_t size)
{
    void         *p, **b;
    test_pool_t  *tp;

    tp = data;

    if (tp->fail_after == 0) {
        return NULL;
    }

    if (tp->fail_after > 0) {
        tp->fail_after--;
    }

    if (tp->n == tp->size) {
        tp->size = tp->size ? tp->size * 2 : 64;

        b = realloc(tp->blocks, tp->size * sizeof(void *));
        if (b == NULL) {
            return NULL;
        }

        tp->blocks = b;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    tp->blocks[tp->n++] = p;

    return p;
}


static void
test_pool_free(test_pool_t *tp)
{
    size_t  i;

    for (i = 0; i < tp->n; i++) {
        free(tp->blocks[i]);
    }

    free(tp->blocks);

    tp->blocks = NULL;
    tp->n = 0;
    tp->size = 0;
    tp->fail_after = -1;
}


/* parses into the fresh "fields"; "len" 0 means strlen(body) */

static int
parse(const char *ct, const char *body, size_t len)
{
    test_pool_free(&pool);
    memset(&fields, 0, sizeof(cm_fields_t));
    strcpy(err, "untouched");

    if (len == 0 && body != NULL) {
        len = strlen(body);
    }

    return cm_parse_body(&alloc, (const unsigned char *) ct,
                         ct ? strlen(ct) : 0, (const unsigned char *) body,
                         len, &fields, err, sizeof(err));
}


static int
field_is(size_t i, const char *name, const char *value)
{
    cm_field_t  *f;

    if (i >= fields.nelts) {
        printf("# no field %zu (%zu fields)\n", i, fields.nelts);
        return 0;
    }

    f = &fields.elts[i];

    if (f->name_len != strlen(name)
        || memcmp(f->name, name, f->name_len) != 0
        || f->value_len != strlen(value)
        || memcmp(f->value, value, f->value_len) != 0)
    {
        printf("# field %zu: '%.*s' = '%.*s'\n", i, (int) f->name_len,
               f->name, (int) f->value_len, f->value);
        return 0;
    }

    return 1;
}


int
main(void)
{
    test_types();
    test_form();
    test_multipart();
    test_json();
    test_json_invalid();
    test_raw();
    test_nomem();

    test_pool_free(&pool);

    return tap_done();
}


static void
test_types(void)
{
    size_t  i;

    static const struct {
        const char      *ct;
        cm_body_type_e   type;
    } types[] = {
        { "application/x-www-form-urlencoded", CM_BODY_FORM },
        { "Application/X-WWW-Form-URLEncoded; charset=UTF-8", CM_BODY_FORM },
        { "  multipart/form-data ; boundary=x", CM_BODY_MULTIPART },
        { "application/json", CM_BODY_JSON },
        { "application/json;charset=utf-8", CM_BODY_JSON },
        { "application/ld+json", CM_BODY_JSON },
        { "APPLICATION/VND.API+JSON; x=1", CM_BODY_JSON },
        { "+json", CM_BODY_RAW },
        { "text/plain", CM_BODY_RAW },
        { "application/jsonx", CM_BODY_RAW },
        { "", CM_BODY_RAW },
    };

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        is_int(cm_body_type((const unsigned char *) types[i].ct,
                            strlen(types[i].ct)),
               types[i].type, "content type");
        printf("#   '%s'\n", types[i].ct);
    }

    is_int(cm_body_type(NULL, 0), CM_BODY_RAW, "no content type is raw");
}


static void
test_form(void)
{
    const char         *form = "application/x-www-form-urlencoded";
    static const char   plain[] = "k=plain";

    is_int(parse(form, "a=1&&comment=hello+world%21&flag&=x&", 0), CM_OK,
           "form parses");
    is_int(fields.nelts, 4, "form: empty pairs skipped");
    ok(field_is(0, "a", "1") && field_is(1, "comment", "hello world!")
       && field_is(2, "flag", "") && field_is(3, "", "x"),
       "form: pairs, '+', %XX, name without '='");
    is_str(err, strlen(err), "", "form: err cleared");

    is_int(parse(form, "na%6De=%zz%4%41%&b%2=%", 0), CM_OK,
           "form with malformed escapes parses");
    ok(field_is(0, "name", "%zz%4A%") && field_is(1, "b%2", "%"),
       "form: malformed escapes kept as they are");

    parse(form, "x=a%00b", 0);
    ok(fields.nelts == 1 && fields.elts[0].value_len == 3
       && memcmp(fields.elts[0].value, "a\0b", 3) == 0,
       "form: %00 decodes to a NUL byte");

    parse(form, plain, 0);
    ok(fields.nelts == 1
       && fields.elts[0].name == (const unsigned char *) plain
       && fields.elts[0].value == (const unsigned char *) plain + 2,
       "form: undecoded name and value point into the body");
}


static void
test_multipart(void)
{
    const char  *body;

    body = "preamble\r\n"
           "--XyZ\r\n"
           "Content-Disposition: form-data; name=\"comment\"\r\n"
           "\r\n"
           "hello\r\nworld\r\n"
           "--XyZ\r\n"
           "content-disposition: form-data; name=\"up\"; "
           "filename=\"a.txt\"\r\n"
           "Content-Type: text/plain\r\n"
           "\r\n"
           "file content\r\n"
           "--XyZ\r\n"
           "Content-Disposition: form-data; name=author\r\n"
           "\r\n"
           "bob\r\n"
           "--XyZ--\r\n"
           "epilogue\r\n";

    is_int(parse("multipart/form-data; BOUNDARY=\"XyZ\"", body, 0), CM_OK,
           "multipart with quoted boundary parses");
    is_int(fields.nelts, 2, "multipart: file part skipped");
    ok(field_is(0, "comment", "hello\r\nworld")
       && field_is(1, "author", "bob"), "multipart: fields");

    body = "--b\n"
           "Content-Disposition: form-data;\n"
           "\tname=\"a\\\"q\"\n"
           "\n"
           "one\n"
           "--b\n"
           "Content-Disposition: form-data; name=\"e\"\n"
           "\n"
           "\n"
           "--b--";

    is_int(parse("multipart/form-data; charset=x; boundary=b", body, 0),
           CM_OK, "LF-only multipart parses");
    ok(fields.nelts == 2 && field_is(0, "a\"q", "one") && field_is(1, "e", ""),
       "LF-only multipart: folded header, escaped name, empty value");

    body = "--b\r\n"
           "Content-Disposition: form-data; name=\"c\"\r\n"
           "\r\n"
           "--b-- not a boundary\r\n"
           "--bb\r\n"
           "--b--\r\n";

    is_int(parse("multipart/form-data; boundary=b", body, 0), CM_OK,
           "multipart: lines that only look like a boundary");
    ok(field_is(0, "c", "--b-- not a boundary\r\n--bb"),
       "multipart: such lines stay in the content");

    body = "--b\r\n"
           "Content-Disposition: form-data; name=\"c\"\r\n"
           "\r\n"
           "one\r\n"
           "--b\r\n"
           "Content-Disposition: form-data; name=\"d\"\r\n"
           "\r\n"
           "trunc";

    is_int(parse("multipart/form-data; boundary=b", body, 0), CM_DECLINED,
           "truncated multipart declined");
    ok(fields.nelts == 1 && field_is(0, "c", "one"),
       "truncated multipart: fields so far kept");
    ok(strstr(err, "closing boundary") != NULL, "truncated multipart: err");

    body = "--b\r\nContent-Disposition: form-data; name=\"c\"\r\n--b--\r\n";

    is_int(parse("multipart/form-data; boundary=b", body, 0), CM_DECLINED,
           "multipart: no end of headers declined");
    ok(strstr(err, "headers") != NULL, "multipart: no end of headers err");

    is_int(parse("multipart/form-data", "--b\r\n\r\nx\r\n--b--", 0),
           CM_DECLINED, "multipart without boundary declined");
    is_int(parse("multipart/form-data; boundary=\"b", "--b\r\n", 0),
           CM_DECLINED, "multipart with unterminated boundary declined");
    is_int(parse("multipart/form-data; boundary=b", "no parts", 0),
           CM_DECLINED, "multipart without boundary line declined");

    body = "--b\r\n"
           "Content-Disposition: form-data; name=\"c\"\r\n"
           "\r\n"
           "one\r\n"
           "--b--\r\n"
           "--b\r\n"
           "Content-Disposition: form-data; name=\"d\"\r\n"
           "\r\n"
           "hidden\r\n"
           "--b--\r\n";

    is_int(parse("multipart/form-data; boundary=b", body, 0), CM_DECLINED,
           "multipart: parts after the closing boundary declined");
}


static void
test_json(void)
{
    const char  *json = "application/json";
    const char  *body;

    body = "{\"a\": {\"b\": \"x\", \"n\": 1.5e3, \"t\": true, \"z\": null},"
           " \"tags\": [\"p\", [\"q\"], {\"k\": \"r\"}, -0, false],"
           " \"c\": \"plain\"}";

    is_int(parse(json, body, 0), CM_OK, "json parses");
    is_int(fields.nelts, 5, "json: only string values are fields");
    ok(field_is(0, "a.b", "x") && field_is(1, "tags", "p")
       && field_is(2, "tags", "q") && field_is(3, "tags.k", "r")
       && field_is(4, "c", "plain"), "json: key paths and arrays");

    body = "{\"s\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\"}";
    parse("application/ld+json; charset=utf-8", body, 0);
    ok(field_is(0, "s", "q\"b\\s/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"),
       "json: escapes decoded");

    parse(json, "[\"\\ud83d\\ude00\", \"\\ud83dx\", \"\\ude00\","
          " \"\\ud83d\\u0041\"]", 0);
    ok(field_is(0, "body", "\xf0\x9f\x98\x80"), "json: surrogate pair");
    ok(field_is(1, "body", "\xef\xbf\xbdx")
       && field_is(2, "body", "\xef\xbf\xbd")
       && field_is(3, "body", "\xef\xbf\xbd" "A"),
       "json: lone surrogates become U+FFFD");

    parse(json, "\"top\"", 0);
    ok(fields.nelts == 1 && field_is(0, "body", "top"),
       "json: top-level string named body");

    parse(json, "{\"k\\u0041\": {\"\": \"v\"}, \"\": \"w\"}", 0);
    ok(field_is(0, "kA.", "v") && field_is(1, "", "w"),
       "json: escaped and empty keys");

    parse(json, "{\"raw\": \"\xff\xfe\x01\ttab\"}", 0);
    ok(field_is(0, "raw", "\xff\xfe\x01\ttab"),
       "json: raw bytes and control characters passed through");

    is_int(parse(json, " 42 ", 0), CM_OK, "json: top-level number");
    is_int(fields.nelts, 0, "json: no fields from a number");
}


static void
test_json_invalid(void)
{
    int          i;
    char         deep[256], *big, *p;
    const char  *json = "application/json";

    static const char  *bad[] = {
        "{\"a\":\"x\"} x",
        "{\"a\" \"x\"}",
        "{\"a\":\"x\",}",
        "[1,]",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"unterminated",
        "{\"a\":\"x\\",
        "[01]",
        "[1.]",
        "[1e]",
        "[tru]",
        "{a:1}",
        "[",
        "{",
        "-",
    };

    is_int(parse(json, "{\"a\": \"x\", \"b\" 1}", 0), CM_DECLINED,
           "invalid json declined");
    is_str(err, strlen(err), "invalid JSON at byte 15: expected ':'",
           "invalid json: err");
    ok(fields.nelts == 1 && field_is(0, "a", "x"),
       "invalid json: fields so far kept");

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        is_int(parse(json, bad[i], 0), CM_DECLINED, "invalid json declined");
        printf("#   %s: %s\n", bad[i], err);
    }

    for (i = 0; i < 64; i++) {
        deep[i] = '[';
        deep[64 + i] = ']';
    }

    deep[128] = '\0';

    is_int(parse(json, deep, 0), CM_OK, "json: depth 64 accepted");

    for (i = 0; i < 65; i++) {
        deep[i] = '[';
        deep[65 + i] = ']';
    }

    deep[130] = '\0';

    is_int(parse(json, deep, 0), CM_DECLINED, "json: depth 65 declined");
    ok(strstr(err, "deeper than 64") != NULL, "json: depth err");

    /* a long key above many members: names must not grow quadratically */

    big = malloc(20000 + 1000 * 7 + 16);
    if (big == NULL) {
        return;
    }

    p = big;
    p += sprintf(p, "{\"");
    memset(p, 'k', 20000);
    p += 20000;
    p += sprintf(p, "\":{");

    for (i = 0; i < 1000; i++) {
        p += sprintf(p, "%s\"a\":\"\"", i ? "," : "");
    }

    sprintf(p, "}}");

    is_int(parse(json, big, 0), CM_DECLINED, "json: name budget declined");
    ok(strstr(err, "field names too long") != NULL, "json: name budget err");

    free(big);
}


static void
test_raw(void)
{
    is_int(parse("text/plain", "some text", 0), CM_OK, "raw parses");
    ok(fields.nelts == 1 && field_is(0, "body", "some text"),
       "raw: one field named body");

    parse(NULL, "a=1&b=2", 0);
    ok(fields.nelts == 1 && field_is(0, "body", "a=1&b=2"),
       "no content type: raw");

    is_int(parse("application/json", "", 0), CM_OK, "empty json body");
    is_int(fields.nelts, 0, "empty body: no fields");
    is_int(parse("multipart/form-data; boundary=b", "", 0), CM_OK,
           "empty multipart body");
}


static void
test_nomem(void)
{
    int  rc;

    test_pool_free(&pool);
    memset(&fields, 0, sizeof(cm_fields_t));
    pool.fail_after = 1;

    rc = cm_parse_body(&alloc, (const unsigned char *) "application/json",
                       16, (const unsigned char *) "{\"a\":{\"b\":\"\\n\"}}",
                       16, &fields, err, sizeof(err));

    is_int(rc, CM_ERROR, "allocation failure is CM_ERROR");
}
