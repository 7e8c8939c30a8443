
/*
 * Unit tests for cm_parse.c: content types, form, multipart and JSON
 * bodies, malformed input; cm_body_fields(): names as text, PHP names,
 * the field filter, text decoded again, transfer encodings, file parts,
 * RFC 2231 names, the query string, gzip and deflate bodies.
 */


#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cm_engine.h"
#include "tap.h"


/* an allocator that remembers its blocks, and can be told to fail */

typedef struct {
    void    **blocks;
    size_t    n;
    size_t    size;
    long      fail_after;            /* -1: never */
    size_t    total;                 /* bytes handed out */
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
static int body(const char *ct, const char *ce, const char *query,
    const char *filter, const char *b, size_t len);
static int has_field(const char *name, const char *value);
static size_t zip(int wbits, const char *in, size_t len, unsigned char *out,
    size_t size);
static void test_names(void);
static void test_filter(void);
static void test_again(void);
static void test_parts(void);
static void test_rfc2231(void);
static void test_query(void);
static void test_encoding(void);


static test_pool_t   pool = { NULL, 0, 0, -1, 0 };
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
    tp->total += size;

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
    tp->total = 0;
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
    test_names();
    test_filter();
    test_again();
    test_parts();
    test_rfc2231();
    test_query();
    test_encoding();

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
       "form: pairs, '+', %%XX, name without '='");
    is_str(err, strlen(err), "", "form: err cleared");

    is_int(parse(form, "na%6De=%zz%4%41%&b%2=%", 0), CM_OK,
           "form with malformed escapes parses");
    ok(field_is(0, "name", "%zz%4A%") && field_is(1, "b%2", "%"),
       "form: malformed escapes kept as they are");

    parse(form, "x=a%00b", 0);
    ok(fields.nelts == 1 && fields.elts[0].value_len == 3
       && memcmp(fields.elts[0].value, "a\0b", 3) == 0,
       "form: %%00 decodes to a NUL byte");

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
           "filename=\"a.bin\"\r\n"
           "Content-Type: application/octet-stream\r\n"
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


/*
 * cm_body_fields() into the fresh "fields": "filter" is names apart by
 * spaces, NULL for none; "len" 0 means strlen(b)
 */

static int
body(const char *ct, const char *ce, const char *query, const char *filter,
    const char *b, size_t len)
{
    size_t            n;
    cm_body_t         req;
    const char       *p, *e;

    static cm_name_t  names[8];

    test_pool_free(&pool);
    memset(&fields, 0, sizeof(cm_fields_t));
    memset(&req, 0, sizeof(cm_body_t));
    strcpy(err, "untouched");

    if (len == 0 && b != NULL) {
        len = strlen(b);
    }

    req.content_type = (const unsigned char *) ct;
    req.content_type_len = ct ? strlen(ct) : 0;
    req.content_encoding = (const unsigned char *) ce;
    req.content_encoding_len = ce ? strlen(ce) : 0;
    req.query = (const unsigned char *) query;
    req.query_len = query ? strlen(query) : 0;
    req.max_size = 4096;

    for (n = 0, p = filter; p && *p && n < 8; n++) {
        e = strchr(p, ' ');
        e = e ? e : p + strlen(p);
        names[n].data = (const unsigned char *) p;
        names[n].len = e - p;
        p = *e ? e + 1 : e;
    }

    req.filter = filter ? names : NULL;
    req.nfilter = n;

    return cm_body_fields(&alloc, &req, (const unsigned char *) b, len,
                          &fields, err, sizeof(err));
}


static int
has_field(const char *name, const char *value)
{
    size_t       i;
    cm_field_t  *f;

    for (i = 0; i < fields.nelts; i++) {
        f = &fields.elts[i];

        if (f->name_len == strlen(name)
            && memcmp(f->name, name, f->name_len) == 0
            && f->value_len == strlen(value)
            && memcmp(f->value, value, f->value_len) == 0)
        {
            return 1;
        }
    }

    printf("# no field '%s' = '%s' among %zu:\n", name, value, fields.nelts);

    for (i = 0; i < fields.nelts; i++) {
        f = &fields.elts[i];
        printf("#   '%.*s' = '%.*s'\n", (int) f->name_len, f->name,
               (int) (f->value_len > 60 ? 60 : f->value_len), f->value);
    }

    return 0;
}


/* compressed with zlib: 31 gzip, 15 zlib, -15 raw deflate */

static size_t
zip(int wbits, const char *in, size_t len, unsigned char *out, size_t size)
{
    z_stream  zs;

    memset(&zs, 0, sizeof(z_stream));

    if (deflateInit2(&zs, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
    {
        return 0;
    }

    zs.next_in = (Bytef *) in;
    zs.avail_in = (uInt) len;
    zs.next_out = out;
    zs.avail_out = (uInt) size;

    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&zs);
        return 0;
    }

    deflateEnd(&zs);

    return size - zs.avail_out;
}


static void
test_names(void)
{
    const char  *form = "application/x-www-form-urlencoded";
    const char  *mp = "multipart/form-data; boundary=b";

    is_int(body(form, NULL, NULL, NULL, "judi+online=x&flag", 0), CM_OK,
           "names: form");
    is_int(fields.nelts, 4, "names: a field for each name and value");
    ok(has_field("judi online", "x")
       && has_field("judi online", "judi online")
       && has_field("flag", "") && has_field("flag", "flag"),
       "names: a name is text, in a field of its name");

    body(form, NULL, NULL, NULL, "a[b][]=1&a[=2&[x]=3&c[d]junk[e]=4", 0);
    ok(has_field("a.b", "1") && has_field("a.b", "a[b][]")
       && has_field("a[", "2") && has_field("[x]", "3")
       && has_field("c.d", "4"),
       "names: PHP's a[b][] is a.b, '[' alone and what follows ']' kept");

    is_int(body("application/json", NULL, NULL, NULL,
                "{\"judi online\": 1, \"a\": {\"k\": [{\"x\": true}]}}", 0),
           CM_OK, "names: json");
    ok(has_field("", "judi online") && has_field("", "a")
       && has_field("a", "k") && has_field("a.k", "x"),
       "names: a JSON key is text, named by its object");
    is_int(fields.nelts, 4, "names: json, keys only");

    is_int(body(mp, NULL, NULL, NULL,
                "--b\r\nContent-Disposition: form-data; name=\"judi\"; "
                "filename=\"online.png\"\r\nContent-Type: image/png\r\n\r\n"
                "\x89PNG\r\n--b--\r\n", 0),
           CM_OK, "names: multipart");
    ok(fields.nelts == 2 && has_field("judi", "judi")
       && has_field("judi", "online.png"),
       "names: a part's name and file name, not a binary file's content");
}


static void
test_filter(void)
{
    const char  *form = "application/x-www-form-urlencoded";

    body(form, NULL, NULL, "komentar",
         "komentar.x=1&komentar[y]=2&komentarx=3&komentar_=4&x=5"
         "&komentar=6&+komentar=7&Komentar=8", 0);
    ok(has_field("komentar.x", "1") && has_field("komentar.y", "2")
       && has_field("komentar", "6") && has_field(" komentar", "7"),
       "filter: the name, names below it, PHP's leading spaces");
    is_int(fields.nelts, 8, "filter: other names not selected");

    body(form, NULL, NULL, "post_title",
         "post.title=1&post+title=2&post[title]=3&post_title=4"
         "&posttitle=5&post_titles=6&post=7", 0);
    ok(has_field("post.title", "1") && has_field("post title", "2")
       && has_field("post_title", "4") && fields.nelts == 8,
       "filter: ' ', '.' and '[' are '_' to PHP");

    body("application/json", NULL, NULL, "a.b",
         "{\"a\": {\"b\": {\"c\": \"1\", \"d\": [\"2\"]}, \"bc\": \"3\"},"
         " \"a.b\": \"4\", \"b\": \"5\"}", 0);
    ok(has_field("a.b.c", "1") && has_field("a.b.d", "2")
       && has_field("a.b", "c") && has_field("a.b", "d")
       && has_field("a.b", "4"),
       "filter: json below the name, keys inside it");
    is_int(fields.nelts, 5, "filter: json, nothing else");

    is_int(body("application/json", NULL, NULL, "komentar",
                "{\"x\": \"judi online\"", 0),
           CM_DECLINED, "filter: malformed body declined");
    ok(fields.nelts == 1 && has_field("body", "{\"x\": \"judi online\""),
       "filter: a malformed body is inspected whole, whatever the filter");

    body("text/plain", NULL, NULL, "komentar", "judi online", 0);
    is_int(fields.nelts, 0, "filter: a raw body is field body");
}


static void
test_again(void)
{
    const char  *form = "application/x-www-form-urlencoded";

    is_int(body(form, NULL, NULL, NULL, "c=%2573lot", 0), CM_OK,
           "again: form");
    ok(has_field("c", "%73lot") && has_field("c", "slot")
       && fields.nelts == 3, "again: once decoded, and again");

    body(form, NULL, NULL, NULL, "c=%252573+x%252B", 0);
    ok(has_field("c", "%2573 x%2B") && has_field("c", "%73 x+")
       && has_field("c", "s x "), "again: three rounds, '+' each time");

    body(form, NULL, NULL, NULL, "%2573=1", 0);
    ok(has_field("%73", "1") && has_field("%73", "%73")
       && has_field("%73", "s"), "again: names decoded again as text");

    is_int(body(form, NULL, NULL, NULL, "c=%25252573", 0), CM_DECLINED,
           "again: still encoded after three rounds declined");
    ok(strstr(err, "3 rounds") != NULL, "again: err");
    ok(has_field("c", "%73") && has_field("body", "c=%25252573"),
       "again: the rounds made, and the raw body");

    is_int(body(form, NULL, NULL, NULL, "c=100%&d=%zz", 0), CM_OK,
           "again: nothing to decode again");
    is_int(fields.nelts, 4, "again: no extra fields");
}


static void
test_parts(void)
{
    const char  *mp = "multipart/form-data; boundary=b";

    is_int(body(mp, NULL, NULL, "c",
                "--b\r\nContent-Disposition: form-data; name=c\r\n"
                "Content-Transfer-Encoding: BASE64\r\n\r\n"
                "aW5pIGp1\r\nZGkgb25s aW5l\r\n"
                "--b\r\nContent-Disposition: form-data; name=c\r\n"
                "content-transfer-encoding : quoted-printable\r\n\r\n"
                "judi=20on=\r\nline =3D =zz=\r\n"
                "--b\r\nContent-Disposition: form-data; name=c\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\nplain\r\n"
                "--b--\r\n", 0),
           CM_OK, "parts: transfer encodings");
    ok(has_field("c", "ini judi online"), "parts: base64 decoded");
    ok(has_field("c", "judi online = =zz")
       && has_field("c", "judi=20on=\r\nline =3D =zz="),
       "parts: quoted-printable decoded, and raw too");
    ok(has_field("c", "plain"), "parts: 8bit as it is");
    is_int(fields.nelts, 7, "parts: base64 that decodes is not kept raw");

    is_int(body(mp, NULL, NULL, "c",
                "--b\r\nContent-Disposition: form-data; name=c\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
                "judi online!\r\n--b--\r\n", 0),
           CM_DECLINED, "parts: base64 that does not decode declined");
    ok(has_field("c", "judi online!") && strstr(err, "base64") != NULL,
       "parts: then inspected raw");

    body(mp, NULL, NULL, "c",
         "--b\r\nContent-Disposition: form-data; name=c\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n"
         "YQ==Yg\r\n--b--\r\n", 0);
    ok(has_field("c", "ab") && has_field("c", "YQ==Yg"),
       "parts: base64 pieces glued together decoded, and raw");

    body(mp, NULL, NULL, NULL,
         "--b\r\nContent-Disposition: form-data; name=a; filename=\"\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\none\r\n"
         "--b\r\nContent-Disposition: form-data; name=b; filename=b.txt\r\n"
         "Content-Type: Text/Plain; charset=utf-8\r\n\r\ntwo\r\n"
         "--b\r\nContent-Disposition: form-data; name=c; filename=c.txt\r\n"
         "\r\nthree\r\n"
         "--b\r\nContent-Disposition: form-data; name=d; filename=d.bin\r\n"
         "Content-Type: application/octet-stream\r\n\r\nfour\r\n"
         "--b\r\nContent-Disposition: form-data; name=e;\r\n"
         " filename=e.bin\r\nContent-Type:\r\n  image/png\r\n\r\nfive\r\n"
         "--b--\r\n", 0);
    ok(has_field("a", "one") && has_field("b", "two")
       && has_field("c", "three"),
       "parts: filename=\"\", text/ and untyped files are text");
    ok(fields.nelts == 3 + 5 + 4, "parts: binary files are not");
}


static void
test_rfc2231(void)
{
    size_t       i;
    const char  *mp = "multipart/form-data; boundary=b";
    char         buf[512];

    static const char  *disp[] = {
        "name*=UTF-8''komentar",
        "name*=\"utf-8'id'kom%65ntar\"",
        "name=\"x\"; name=\"komentar\"",
        "name=\"komentar\"; name=\"x\"",
        "name*0=kom; name*1=\"en\"; name*2*=t%61r",
        "name*2=ar; name*1*=%65nt; name*0*=UTF-8''kom",
        "name=x; name*=UTF-8''komentar",
        "name=\"komentar[]\"",
        "name=x\r\nContent-Disposition: form-data; name=komentar",
    };

    for (i = 0; i < sizeof(disp) / sizeof(disp[0]); i++) {
        snprintf(buf, sizeof(buf),
                 "--b\r\nContent-Disposition: form-data; %s\r\n\r\n"
                 "spam\r\n--b--\r\n", disp[i]);

        body(mp, NULL, NULL, "komentar", buf, 0);
        ok(has_field("komentar", "spam"), "rfc2231: selected");
        printf("#   %s\n", disp[i]);
    }

    body(mp, NULL, NULL, NULL,
         "--b\r\nContent-Disposition: form-data; name=\"x\"; name*=UTF-8''y;"
         " name=\"z\"\r\n\r\nv\r\n--b--\r\n", 0);
    ok(has_field("z", "v") && has_field("z", "x") && has_field("z", "y")
       && fields.nelts == 4,
       "rfc2231: without a filter, the last name=\"\", PHP's");

    body(mp, NULL, NULL, NULL,
         "--b\r\nContent-Disposition: form-data; name*1=b; name*0=a; "
         "name*5=z\r\n\r\nv\r\n--b--\r\n", 0);
    ok(has_field("baz", "v") && has_field("baz", "ab"),
       "rfc2231: pieces in their order, and numbered up to a gap");
}


static void
test_query(void)
{
    is_int(body("application/json", NULL, "q=%2573&judi+online",
                "q", "{\"q\": \"x\"}", 0),
           CM_OK, "query: parsed");
    ok(has_field("q", "x") && has_field("q", "%73") && has_field("q", "s")
       && has_field("q", "q") && fields.nelts == 4,
       "query: arguments as form fields, filtered, decoded again");

    body(NULL, NULL, "c=judi+online", NULL, "", 0);
    ok(has_field("c", "judi online"), "query: without a body");
}


static void
test_encoding(void)
{
    int            i;
    char          *big;
    size_t         n, m;
    unsigned char  z[8192];
    const char    *form = "application/x-www-form-urlencoded";

    static const struct {
        int          wbits;
        const char  *ce;
    } codings[] = {
        { 31, "gzip" }, { 31, "x-gzip" }, { 15, "deflate" },
        { -15, "deflate" }, { 31, " identity , GZIP " }
    };

    for (i = 0; i < (int) (sizeof(codings) / sizeof(codings[0])); i++) {
        n = zip(codings[i].wbits, "c=judi+online", 13, z, sizeof(z));

        is_int(body(form, codings[i].ce, NULL, NULL, (char *) z, n), CM_OK,
               "encoding: inflated");
        ok(has_field("c", "judi online") && fields.nelts == 2,
           "encoding: inflated body parsed");
        printf("#   %s, %d\n", codings[i].ce, codings[i].wbits);
    }

    n = zip(31, "a=1&", 4, z, sizeof(z));
    n += zip(31, "b=2", 3, z + n, sizeof(z) - n);

    body(form, "gzip", NULL, NULL, (char *) z, n);
    ok(has_field("a", "1") && has_field("b", "2"),
       "encoding: gzip members one after another");

    z[n] = 'x';
    is_int(body(form, "gzip", NULL, NULL, (char *) z, n + 1), CM_DECLINED,
           "encoding: data after the stream declined");
    ok(has_field("b", "2") && has_field("body", "a=1&b=2"),
       "encoding: after the stream: inflated and raw");

    big = malloc(100000);
    if (big == NULL) {
        return;
    }

    memset(big, 'x', 100000);
    memcpy(big, "c=judi+online&d=", 16);

    n = zip(31, big, 4096, z, sizeof(z));

    is_int(body(form, "gzip", NULL, NULL, (char *) z, n), CM_OK,
           "encoding: inflates to max_size");
    ok(fields.nelts == 4 && fields.elts[2].value_len == 4096 - 16,
       "encoding: all of it");
    ok(pool.total < 4096 + 4096 + 60000,
       "encoding: memory for the output and zlib's state");
    printf("#   %zu bytes\n", pool.total);

    n = zip(31, big, 4097, z, sizeof(z));

    is_int(body(form, "gzip", NULL, NULL, (char *) z, n), CM_TOO_LARGE,
           "encoding: a byte more is too large");

    n = zip(31, big, 100000, z, sizeof(z));

    is_int(body(form, "gzip", NULL, NULL, (char *) z, n), CM_TOO_LARGE,
           "encoding: zip bomb too large");
    ok(strstr(err, "more than 4096 bytes") != NULL, "encoding: bomb err");
    ok(pool.total < 60000, "encoding: a bomb stopped in fixed memory");
    printf("#   %zu bytes\n", pool.total);

    n = zip(31, big, 3000, z, sizeof(z));
    m = n - 12;

    is_int(body(form, "gzip", NULL, NULL, (char *) z, m), CM_DECLINED,
           "encoding: a stream cut short declined");
    ok(strstr(err, "cut short") != NULL, "encoding: cut short err");
    ok(fields.nelts >= 3 && has_field("c", "judi online"),
       "encoding: cut short: what came out is parsed");
    ok(fields.elts[fields.nelts - 1].value == (const unsigned char *) z
       && fields.elts[fields.nelts - 1].value_len == m,
       "encoding: cut short: the bytes as sent inspected too");

    is_int(body(form, "gzip", NULL, NULL, "c=judi+online", 0), CM_DECLINED,
           "encoding: not gzip at all declined");
    ok(has_field("body", "c=judi+online"), "encoding: not gzip: raw");

    is_int(body(form, "br", NULL, NULL, "x", 0), CM_UNSUPPORTED,
           "encoding: br unsupported");
    ok(strstr(err, "\"br\"") != NULL, "encoding: unsupported err");
    is_int(body(form, "gzip, gzip", NULL, NULL, "x", 0), CM_UNSUPPORTED,
           "encoding: two codings unsupported");
    is_int(body(form, "gzip, br", NULL, NULL, "x", 0), CM_UNSUPPORTED,
           "encoding: gzip and br unsupported");
    is_int(body(form, "identity,", NULL, NULL, "c=1", 0), CM_OK,
           "encoding: identity");

    n = zip(31, "c=1", 3, z, sizeof(z));
    test_pool_free(&pool);
    pool.fail_after = 3;

    {
        cm_body_t  req;

        memset(&req, 0, sizeof(cm_body_t));
        memset(&fields, 0, sizeof(cm_fields_t));
        req.content_encoding = (const unsigned char *) "gzip";
        req.content_encoding_len = 4;
        req.max_size = 100;

        is_int(cm_body_fields(&alloc, &req, z, n, &fields, err,
                              sizeof(err)),
               CM_ERROR, "encoding: no memory for zlib is CM_ERROR");
    }

    free(big);
}
