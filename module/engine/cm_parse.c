
/*
 * Request body parsing: form, multipart, JSON and raw bodies become a list
 * of (name, value) fields, and cm_body_fields() turns a request (its body,
 * Content-Type, Content-Encoding, query string and the names to inspect)
 * into the fields to match.
 *
 * The bodies are untrusted: every read is bounded by the body length, the
 * JSON parser is iterative with a fixed depth, decoding never makes text
 * longer (inflation is bounded by the caller), and a malformed body is
 * reported as CM_DECLINED so that the raw body is inspected too.  Values
 * are decoded into memory from the caller's allocator only when they need
 * decoding; otherwise they point into the body.  zlib allocates through
 * the caller's allocator as well.
 *
 * Where backends read one body in different ways (PHP, WordPress, Node,
 * Go), the fields cover every reading: a part's every name, text that a
 * backend may decode once more, the query string that many merge into the
 * form.
 */


#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "cm_engine.h"


#define CM_JSON_DEPTH       64

/*
 * Nested JSON field names are copies ("a.b.c"), so a long key above many
 * short members could make memory quadratic in the body size; past this
 * budget the body is declined and inspected raw.
 */
#define CM_JSON_NAMES(len)  (4 * (len) + 65536)

/* form text is decoded this many times at most, each round a field */
#define CM_DECODE_ROUNDS    3

/* inflation's first pass measures the output through a buffer this big */
#define CM_INFLATE_CHUNK    16384


enum {
    CM_CE_IDENTITY = 0,
    CM_CE_GZIP,
    CM_CE_DEFLATE,
    CM_CE_OTHER
};


/* what a Content-Disposition parameter is */

enum {
    CM_PRM_OTHER = 0,
    CM_PRM_NAME,                     /* name="x" */
    CM_PRM_NAME_EXT,                 /* name*=UTF-8''x */
    CM_PRM_NAME_SEG,                 /* name*0="x", name*1*=%78 */
    CM_PRM_FILENAME,                 /* filename="x" */
    CM_PRM_FILENAME_EXT              /* filename*=..., filename*0=... */
};


typedef struct {
    const unsigned char  *name;
    size_t                name_len;
    const unsigned char  *value;
    size_t                value_len;
    unsigned              quoted:1;
    unsigned              escaped:1;
    unsigned              unterminated:1;
} cm_param_t;


/* a name that a multipart part gives itself, or its file name */

typedef struct {
    const unsigned char  *text;      /* as given, decoded */
    size_t                text_len;
    const unsigned char  *name;      /* read as PHP does: "a[b]" is "a.b" */
    size_t                name_len;
    unsigned              file:1;    /* a file name, not a field name */
    unsigned              plain:1;   /* name="", not name*= */
} cm_cand_t;


/* one piece of an RFC 2231 parameter: name*0=, name*1*= */

typedef struct {
    const unsigned char  *text;      /* decoded */
    size_t                len;
    size_t                index;
} cm_seg_t;


/* a multipart part's headers, as far as reading its content goes */

typedef struct {
    unsigned              file:1;    /* a non-empty filename="" */
    unsigned              typed:1;   /* a Content-Type */
    unsigned              text:1;    /* ... a text/ type */
    unsigned              base64:1;  /* Content-Transfer-Encodings */
    unsigned              qp:1;
    unsigned              other:1;
} cm_part_t;


typedef struct {
    const cm_alloc_t     *alloc;
    cm_fields_t          *fields;
    const cm_name_t      *filter;    /* NULL: every field */
    size_t                nfilter;
    char                 *err;
    size_t                errlen;
    cm_cand_t            *cand;      /* the current part's names */
    size_t                ncand;
    size_t                cand_size;
    cm_seg_t             *seg;       /* its current RFC 2231 pieces */
    size_t                nseg;
    size_t                seg_size;
    unsigned              names:1;   /* field names are text too */
    unsigned              again:1;   /* form text is decoded again */
    unsigned              declined:1; /* something did not decode */
} cm_parse_t;


typedef struct {
    const unsigned char  *key;       /* the current member's key */
    size_t                key_len;
    size_t                path_len;  /* this container's path in "path" */
    const unsigned char  *name;      /* the path, kept, once made */
    size_t                name_len;
    unsigned              array:1;
    unsigned              named:1;   /* path is not the top level's */
} cm_json_level_t;


typedef struct {
    cm_parse_t           *ctx;
    const cm_alloc_t     *alloc;
    const unsigned char  *body;
    size_t                len;
    size_t                pos;
    char                 *err;
    size_t                errlen;
    unsigned char        *path;
    size_t                path_size;
    size_t                budget;
    size_t                depth;
    cm_json_level_t       stack[CM_JSON_DEPTH];
} cm_json_t;


static int cm_ct_type(const unsigned char *ct, size_t len,
    const unsigned char **type, size_t *type_len);
static int cm_caseeq(const unsigned char *p, size_t len, const char *s);
static int cm_caseprefix(const unsigned char *p, size_t len, const char *s);
static unsigned cm_lc(unsigned c);
static int cm_hex(unsigned c);
static void cm_error(char *err, size_t errlen, const char *fmt, ...);

static void cm_parse_init(cm_parse_t *ctx, const cm_alloc_t *a,
    cm_fields_t *fields, char *err, size_t errlen);
static int cm_content_coding(const unsigned char *p, size_t len);
static int cm_parse_any(cm_parse_t *ctx, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len);
static void cm_names_mark(cm_fields_t *fields, size_t from);
static int cm_add(cm_parse_t *ctx, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t value_len);
static int cm_selected(cm_parse_t *ctx, const unsigned char *name,
    size_t len);
static int cm_name_match(const cm_name_t *want, const unsigned char *name,
    size_t len);

static int cm_parse_form(cm_parse_t *ctx, const unsigned char *body,
    size_t len);
static int cm_form_text(cm_parse_t *ctx, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t value_len);
static int cm_form_encoded(const unsigned char *p, size_t len);
static int cm_pct_decode(const cm_alloc_t *a, const unsigned char *p,
    size_t len, int plus, const unsigned char **out, size_t *out_len);
static int cm_name_canon(const cm_alloc_t *a, const unsigned char *p,
    size_t len, const unsigned char **out, size_t *out_len);

static int cm_parse_multipart(cm_parse_t *ctx, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len);
static int cm_mp_boundary(const unsigned char *ct, size_t ct_len,
    const unsigned char **bnd, size_t *blen);
static int cm_mp_find(const unsigned char *body, size_t len, size_t from,
    const unsigned char *bnd, size_t blen, size_t *start, size_t *after);
static int cm_mp_delim(const unsigned char *body, size_t len, size_t q,
    const unsigned char *bnd, size_t blen, size_t *after);
static int cm_mp_headers(cm_parse_t *ctx, const unsigned char *body,
    size_t len, size_t *pos, const unsigned char *bnd, size_t blen,
    cm_part_t *part);
static int cm_mp_header(cm_parse_t *ctx, cm_part_t *part,
    const unsigned char *p, const unsigned char *end);
static int cm_mp_disposition(cm_parse_t *ctx, cm_part_t *part,
    const unsigned char *p, const unsigned char *end);
static int cm_mp_param(const unsigned char *p, size_t len, size_t *index,
    int *ext);
static int cm_mp_ext(const cm_alloc_t *a, const unsigned char *p,
    size_t len, int charset, const unsigned char **out, size_t *out_len);
static int cm_mp_segments(cm_parse_t *ctx);
static int cm_mp_cand(cm_parse_t *ctx, const unsigned char *text,
    size_t len, int file, int plain);
static int cm_mp_part(cm_parse_t *ctx, cm_part_t *part,
    const unsigned char *value, size_t len, size_t pos);
static int cm_mp_value(cm_parse_t *ctx, cm_part_t *part,
    const unsigned char *name, size_t name_len, const unsigned char *value,
    size_t len, size_t pos);
static int cm_b64_decode(const cm_alloc_t *a, const unsigned char *p,
    size_t len, const unsigned char **out, size_t *out_len);
static int cm_b64(unsigned c);
static int cm_qp_decode(const cm_alloc_t *a, const unsigned char *p,
    size_t len, const unsigned char **out, size_t *out_len);
static int cm_param_next(const unsigned char **pp, const unsigned char *end,
    cm_param_t *prm);
static int cm_param_unescape(const cm_alloc_t *a, cm_param_t *prm);
static void *cm_grow(const cm_alloc_t *a, void *elts, size_t n,
    size_t *size, size_t elt);

static int cm_parse_json(cm_parse_t *ctx, const unsigned char *body,
    size_t len);
static int cm_json_push(cm_json_t *j, int array);
static int cm_json_path(cm_json_t *j, size_t need);
static int cm_json_key(cm_json_t *j);
static int cm_json_level_name(cm_json_t *j, size_t idx);
static int cm_json_value(cm_json_t *j);
static int cm_json_string(cm_json_t *j, const unsigned char **out,
    size_t *out_len);
static void cm_json_unescape(const unsigned char *p, const unsigned char *end,
    unsigned char *d, size_t *out_len);
static unsigned cm_hex4(const unsigned char *p);
static int cm_json_literal(cm_json_t *j);
static int cm_json_number(cm_json_t *j);
static void cm_json_ws(cm_json_t *j);
static int cm_json_error(cm_json_t *j, size_t pos, const char *what);

static int cm_inflate(cm_parse_t *ctx, int coding, const unsigned char *in,
    size_t len, size_t max, const unsigned char **out, size_t *out_len);
static int cm_inflate_run(cm_parse_t *ctx, z_stream *zs, int gzip,
    const unsigned char *in, size_t len, unsigned char *dst, size_t size,
    int fill, size_t max, size_t *produced);
static voidpf cm_zalloc(voidpf opaque, uInt items, uInt size);
static void cm_zfree(voidpf opaque, voidpf p);


static const unsigned char  cm_body_name[] = "body";


cm_body_type_e
cm_body_type(const unsigned char *ct, size_t len)
{
    size_t                n;
    const unsigned char  *t;

    if (cm_ct_type(ct, len, &t, &n) != CM_OK) {
        return CM_BODY_RAW;
    }

    if (cm_caseeq(t, n, "application/x-www-form-urlencoded")) {
        return CM_BODY_FORM;
    }

    if (cm_caseeq(t, n, "multipart/form-data")) {
        return CM_BODY_MULTIPART;
    }

    if (cm_caseeq(t, n, "application/json")) {
        return CM_BODY_JSON;
    }

    /* application/ld+json, application/merge-patch+json, ... */

    if (n > 5 && memchr(t, '/', n - 5) != NULL
        && cm_caseeq(t + n - 5, 5, "+json"))
    {
        return CM_BODY_JSON;
    }

    return CM_BODY_RAW;
}


/*
 * The media type of a Content-Type (or a token of another header):
 * whitespace and parameters stripped.  Line breaks are spaces, for the
 * folded headers of multipart parts.
 */

static int
cm_ct_type(const unsigned char *ct, size_t len,
    const unsigned char **type, size_t *type_len)
{
    size_t  i, start;

    if (ct == NULL) {
        return CM_DECLINED;
    }

    for (i = 0; i < len && (ct[i] == ' ' || ct[i] == '\t' || ct[i] == '\r'
                            || ct[i] == '\n');
         i++)
    {
        /* void */
    }

    start = i;

    while (i < len && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t'
           && ct[i] != '\r' && ct[i] != '\n')
    {
        i++;
    }

    if (i == start) {
        return CM_DECLINED;
    }

    *type = ct + start;
    *type_len = i - start;

    return CM_OK;
}


static int
cm_caseeq(const unsigned char *p, size_t len, const char *s)
{
    return len == strlen(s) && cm_caseprefix(p, len, s);
}


/* whether p starts with s, in any case */

static int
cm_caseprefix(const unsigned char *p, size_t len, const char *s)
{
    size_t  i, n;

    n = strlen(s);

    if (len < n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (cm_lc(p[i]) != cm_lc((unsigned char) s[i])) {
            return 0;
        }
    }

    return 1;
}


/* ASCII only: the locale must not change how a header is read */

static unsigned
cm_lc(unsigned c)
{
    return (c >= 'A' && c <= 'Z') ? (c | 0x20) : c;
}


static int
cm_hex(unsigned c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = cm_lc(c);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* the first thing that went wrong is the one reported */

static void
cm_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err != NULL && errlen > 0 && err[0] == '\0') {
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
    }
}


int
cm_body_fields(const cm_alloc_t *a, const cm_body_t *b,
    const unsigned char *body, size_t len, cm_fields_t *fields, char *err,
    size_t errlen)
{
    int                   rc, coding, broken;
    size_t                text_len;
    cm_parse_t            ctx;
    const unsigned char  *text;

    cm_parse_init(&ctx, a, fields, err, errlen);

    ctx.filter = b->filter;
    ctx.nfilter = b->nfilter;
    ctx.names = 1;
    ctx.again = 1;

    coding = cm_content_coding(b->content_encoding, b->content_encoding_len);

    if (coding == CM_CE_OTHER) {
        cm_error(err, errlen, "Content-Encoding \"%.*s\" is not supported",
                 (int) (b->content_encoding_len > 64
                        ? 64 : b->content_encoding_len),
                 b->content_encoding);
        return CM_UNSUPPORTED;
    }

    text = body;
    text_len = len;
    broken = 0;

    if (coding != CM_CE_IDENTITY && len > 0) {
        rc = cm_inflate(&ctx, coding, body, len, b->max_size, &text,
                        &text_len);

        if (rc != CM_OK && rc != CM_DECLINED) {
            return rc;
        }

        broken = (rc == CM_DECLINED);
    }

    rc = cm_parse_any(&ctx, b->content_type, b->content_type_len, text,
                      text_len);
    if (rc == CM_ERROR) {
        return CM_ERROR;
    }

    /* many backends merge the query's arguments into the form */

    if (b->query_len > 0
        && cm_parse_form(&ctx, b->query, b->query_len) != CM_OK)
    {
        return CM_ERROR;
    }

    if (rc == CM_OK && !ctx.declined && !broken) {
        return CM_OK;
    }

    /*
     * Not everything parsed or decoded: the whole body is inspected too,
     * whatever the filter, so that breaking the syntax hides nothing; and
     * a stream that did not inflate whole, as it was sent.
     */

    if (text_len > 0
        && cm_fields_add(a, fields, cm_body_name, 4, text, text_len)
           != CM_OK)
    {
        return CM_ERROR;
    }

    if (broken
        && cm_fields_add(a, fields, cm_body_name, 4, body, len) != CM_OK)
    {
        return CM_ERROR;
    }

    return CM_DECLINED;
}


int
cm_parse_body(const cm_alloc_t *a, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len,
    cm_fields_t *fields, char *err, size_t errlen)
{
    int         rc;
    cm_parse_t  ctx;

    cm_parse_init(&ctx, a, fields, err, errlen);

    rc = cm_parse_any(&ctx, ct, ct_len, body, len);

    if (rc == CM_OK && ctx.declined) {
        rc = CM_DECLINED;
    }

    return rc;
}


static void
cm_parse_init(cm_parse_t *ctx, const cm_alloc_t *a, cm_fields_t *fields,
    char *err, size_t errlen)
{
    memset(ctx, 0, sizeof(cm_parse_t));

    ctx->alloc = a;
    ctx->fields = fields;
    ctx->err = err;
    ctx->errlen = errlen;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
}


/*
 * A Content-Encoding: a list of codings, the first applied first.  One
 * coding besides "identity" is decoded; two or more, or any other, are
 * CM_CE_OTHER.
 */

static int
cm_content_coding(const unsigned char *p, size_t len)
{
    int                   coding;
    const unsigned char  *end, *q, *t, *e;

    coding = CM_CE_IDENTITY;

    if (p == NULL) {
        return coding;
    }

    end = p + len;

    while (p < end) {
        q = memchr(p, ',', end - p);
        if (q == NULL) {
            q = end;
        }

        for (t = p; t < q && (*t == ' ' || *t == '\t'); t++) {
            /* void */
        }

        for (e = q; e > t && (e[-1] == ' ' || e[-1] == '\t'); e--) {
            /* void */
        }

        p = (q < end) ? q + 1 : end;

        if (e == t || cm_caseeq(t, e - t, "identity")) {
            continue;
        }

        if (coding != CM_CE_IDENTITY) {
            return CM_CE_OTHER;
        }

        if (cm_caseeq(t, e - t, "gzip") || cm_caseeq(t, e - t, "x-gzip")) {
            coding = CM_CE_GZIP;

        } else if (cm_caseeq(t, e - t, "deflate")) {
            coding = CM_CE_DEFLATE;

        } else {
            return CM_CE_OTHER;
        }
    }

    return coding;
}


static int
cm_parse_any(cm_parse_t *ctx, const unsigned char *ct, size_t ct_len,
    const unsigned char *body, size_t len)
{
    /* nothing to inspect, whatever the type */

    if (len == 0) {
        return CM_OK;
    }

    switch (cm_body_type(ct, ct_len)) {

    case CM_BODY_FORM:
        return cm_parse_form(ctx, body, len);

    case CM_BODY_MULTIPART:
        return cm_parse_multipart(ctx, ct, ct_len, body, len);

    case CM_BODY_JSON:
        return cm_parse_json(ctx, body, len);

    default:
        return cm_add(ctx, cm_body_name, 4, body, len);
    }
}


/* a field, if the filter selects its name */

static int
cm_add(cm_parse_t *ctx, const unsigned char *name, size_t name_len,
    const unsigned char *value, size_t value_len)
{
    if (!cm_selected(ctx, name, name_len)) {
        return CM_OK;
    }

    return cm_fields_add(ctx->alloc, ctx->fields, name, name_len, value,
                         value_len);
}


/*
 * Whether a backend could read the field "name" as one of the filter's:
 * names that differ only where PHP makes '_' of ' ', '.' or '[', or by
 * the spaces PHP drops before a name, count as equal.  PHP's "a[b]" comes
 * here as "a.b".
 */

static int
cm_selected(cm_parse_t *ctx, const unsigned char *name, size_t len)
{
    size_t  i, k;

    if (ctx->filter == NULL) {
        return 1;
    }

    for (k = 0; k < len && name[k] == ' '; k++) {
        /* void */
    }

    for (i = 0; i < ctx->nfilter; i++) {
        if (cm_name_match(&ctx->filter[i], name, len)
            || (k > 0 && cm_name_match(&ctx->filter[i], name + k, len - k)))
        {
            return 1;
        }
    }

    return 0;
}


/* "name" is "want", or a field nested below it: "want.x", "want[x]" */

static int
cm_name_match(const cm_name_t *want, const unsigned char *name, size_t len)
{
    size_t         i;
    unsigned char  c, w;

    if (len < want->len) {
        return 0;
    }

    for (i = 0; i < want->len; i++) {
        c = name[i];
        w = want->data[i];

        if (c != w && !(w == '_' && (c == ' ' || c == '.' || c == '['))) {
            return 0;
        }
    }

    return len == want->len || name[i] == '.' || name[i] == '[';
}


/*
 * name=value pairs split on '&'.  A name is read as PHP reads it ("a[]"
 * is "a", "a[b]" is "a.b") for the filter and for rules' field=; the text
 * the client wrote is inspected as a field of that name too.
 */

static int
cm_parse_form(cm_parse_t *ctx, const unsigned char *body, size_t len)
{
    size_t                name_len, value_len, text_len, n;
    const unsigned char  *p, *q, *eq, *amp, *end, *name, *value, *text;

    p = body;
    end = body + len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        q = amp ? amp : end;

        if (q > p) {
            eq = memchr(p, '=', q - p);

            if (cm_pct_decode(ctx->alloc, p, (eq ? eq : q) - p, 1, &text,
                              &text_len)
                != CM_OK
                || cm_name_canon(ctx->alloc, text, text_len, &name,
                                 &name_len)
                   != CM_OK)
            {
                return CM_ERROR;
            }

            if (cm_selected(ctx, name, name_len)) {

                if (eq) {
                    if (cm_pct_decode(ctx->alloc, eq + 1, q - eq - 1, 1,
                                      &value, &value_len)
                        != CM_OK)
                    {
                        return CM_ERROR;
                    }

                } else {
                    value = q;
                    value_len = 0;
                }

                if (cm_form_text(ctx, name, name_len, value, value_len)
                    != CM_OK)
                {
                    return CM_ERROR;
                }

                n = ctx->fields->nelts;

                if (ctx->names && text_len > 0
                    && cm_form_text(ctx, name, name_len, text, text_len)
                       != CM_OK)
                {
                    return CM_ERROR;
                }

                cm_names_mark(ctx->fields, n);
            }
        }

        p = amp ? amp + 1 : end;
    }

    return CM_OK;
}


/*
 * Decoded text, and what a backend that decodes it again would show
 * ("%2573lot" is "%73lot", then "slot"), each round a field of its own,
 * so that the text of every round is matched.  The rounds are bounded:
 * text still encoded after the last is reported, to be inspected raw.
 */

static int
cm_form_text(cm_parse_t *ctx, const unsigned char *name, size_t name_len,
    const unsigned char *value, size_t value_len)
{
    int  round;

    if (cm_add(ctx, name, name_len, value, value_len) != CM_OK) {
        return CM_ERROR;
    }

    if (!ctx->again) {
        return CM_OK;
    }

    for (round = 1; round < CM_DECODE_ROUNDS; round++) {

        if (!cm_form_encoded(value, value_len)) {
            return CM_OK;
        }

        if (cm_pct_decode(ctx->alloc, value, value_len, 1, &value,
                          &value_len)
            != CM_OK
            || cm_add(ctx, name, name_len, value, value_len) != CM_OK)
        {
            return CM_ERROR;
        }
    }

    if (cm_form_encoded(value, value_len)) {
        ctx->declined = 1;
        cm_error(ctx->err, ctx->errlen,
                 "form: field \"%.*s\" is still encoded after %d rounds of "
                 "decoding", (int) (name_len > 64 ? 64 : name_len), name,
                 CM_DECODE_ROUNDS);
    }

    return CM_OK;
}


/* whether decoding would change the text: a '+' or a valid %XX */

static int
cm_form_encoded(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] == '+') {
            return 1;
        }

        if (p[i] == '%' && len - i > 2
            && cm_hex(p[i + 1]) >= 0 && cm_hex(p[i + 2]) >= 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * %XX is a byte, and '+' a space when "plus"; a malformed escape stays as
 * it is, so "%zz" is still inspected.  Copies only when something is
 * decoded.
 */

static int
cm_pct_decode(const cm_alloc_t *a, const unsigned char *p, size_t len,
    int plus, const unsigned char **out, size_t *out_len)
{
    int             hi, lo;
    size_t          i;
    unsigned char  *d, *s;

    for (i = 0; i < len; i++) {
        if (p[i] == '%' || (plus && p[i] == '+')) {
            break;
        }
    }

    if (i == len) {
        *out = p;
        *out_len = len;
        return CM_OK;
    }

    d = a->alloc(a->data, len);
    if (d == NULL) {
        return CM_ERROR;
    }

    s = d;

    for (i = 0; i < len; i++) {

        if (plus && p[i] == '+') {
            *s++ = ' ';
            continue;
        }

        if (p[i] == '%' && len - i > 2) {
            hi = cm_hex(p[i + 1]);
            lo = cm_hex(p[i + 2]);

            if (hi >= 0 && lo >= 0) {
                *s++ = (unsigned char) (hi << 4 | lo);
                i += 2;
                continue;
            }
        }

        *s++ = p[i];
    }

    *out = d;
    *out_len = s - d;

    return CM_OK;
}


/*
 * A form or part name as PHP (and Node's qs, Rails) read it: "a[b][]" is
 * the array "a" holding an array "b", here "a.b", as a nested JSON name
 * is.  A '[' without its ']' is part of the name; what follows the last
 * ']' is dropped, as PHP does.  Never longer than the name.
 */

static int
cm_name_canon(const cm_alloc_t *a, const unsigned char *p, size_t len,
    const unsigned char **out, size_t *out_len)
{
    size_t                i, k;
    unsigned char        *d, *s;
    const unsigned char  *open, *close;

    open = (len > 0) ? memchr(p, '[', len) : NULL;

    if (open == NULL || open == p) {
        *out = p;
        *out_len = len;
        return CM_OK;
    }

    d = a->alloc(a->data, len);
    if (d == NULL) {
        return CM_ERROR;
    }

    i = open - p;
    memcpy(d, p, i);
    s = d + i;

    while (i < len && p[i] == '[') {
        close = memchr(p + i + 1, ']', len - i - 1);

        if (close == NULL) {
            memcpy(s, p + i, len - i);
            s += len - i;
            break;
        }

        k = close - p;

        if (k > i + 1) {
            *s++ = '.';
            memcpy(s, p + i + 1, k - i - 1);
            s += k - i - 1;
        }

        i = k + 1;
    }

    *out = d;
    *out_len = s - d;

    return CM_OK;
}


static int
cm_parse_multipart(cm_parse_t *ctx, const unsigned char *ct, size_t ct_len,
    const unsigned char *body, size_t len)
{
    int                   rc;
    size_t                blen, pos, start, after, end;
    cm_part_t             part;
    const unsigned char  *bnd;

    if (cm_mp_boundary(ct, ct_len, &bnd, &blen) != CM_OK) {
        cm_error(ctx->err, ctx->errlen,
                 "multipart: no boundary in the Content-Type");
        return CM_DECLINED;
    }

    /* the preamble is ignored */

    rc = cm_mp_find(body, len, 0, bnd, blen, &start, &after);

    if (rc == 0) {
        cm_error(ctx->err, ctx->errlen,
                 "multipart: no boundary line in the body");
        return CM_DECLINED;
    }

    while (rc == 1) {
        pos = after;

        rc = cm_mp_headers(ctx, body, len, &pos, bnd, blen, &part);
        if (rc != CM_OK) {
            if (rc == CM_DECLINED) {
                cm_error(ctx->err, ctx->errlen,
                         "multipart: no end of part headers at byte %zu",
                         pos);
            }

            return rc;
        }

        rc = cm_mp_find(body, len, pos, bnd, blen, &start, &after);

        if (rc == 0) {
            cm_error(ctx->err, ctx->errlen,
                     "multipart: missing closing boundary after byte %zu",
                     pos);
            return CM_DECLINED;
        }

        /* the line break before a boundary belongs to the boundary */

        end = start;

        if (end > pos && body[end - 1] == '\n') {
            end--;

            if (end > pos && body[end - 1] == '\r') {
                end--;
            }
        }

        if (cm_mp_part(ctx, &part, body + pos, end - pos, pos) != CM_OK) {
            return CM_ERROR;
        }
    }

    /*
     * Some parsers carry on after the closing boundary; what they would
     * find there is not in the fields, so the raw body must be inspected.
     */

    if (cm_mp_find(body, len, after, bnd, blen, &start, &after) != 0) {
        cm_error(ctx->err, ctx->errlen,
                 "multipart: boundary after the closing one at byte %zu",
                 start);
        return CM_DECLINED;
    }

    return CM_OK;
}


static int
cm_mp_boundary(const unsigned char *ct, size_t ct_len,
    const unsigned char **bnd, size_t *blen)
{
    cm_param_t            prm;
    const unsigned char  *p, *end;

    p = ct;
    end = ct + ct_len;

    /* parameters follow the first ';' */

    p = memchr(p, ';', ct_len);
    if (p == NULL) {
        return CM_DECLINED;
    }

    while (cm_param_next(&p, end, &prm)) {

        if (!cm_caseeq(prm.name, prm.name_len, "boundary")) {
            continue;
        }

        if (prm.value_len == 0 || prm.unterminated) {
            return CM_DECLINED;
        }

        *bnd = prm.value;
        *blen = prm.value_len;

        return CM_OK;
    }

    return CM_DECLINED;
}


/*
 * Finds the first boundary line at or after "from": 1 for a boundary,
 * 2 for the closing one, 0 for none.  "start" is where the line starts
 * and "after" is just past it.
 */

static int
cm_mp_find(const unsigned char *body, size_t len, size_t from,
    const unsigned char *bnd, size_t blen, size_t *start, size_t *after)
{
    int                   rc;
    size_t                q;
    const unsigned char  *nl;

    q = from;

    if (q > 0 && q < len && body[q - 1] != '\n') {
        nl = memchr(body + q, '\n', len - q);
        if (nl == NULL) {
            return 0;
        }

        q = nl - body + 1;
    }

    while (q < len) {
        rc = cm_mp_delim(body, len, q, bnd, blen, after);

        if (rc) {
            *start = q;
            return rc;
        }

        nl = memchr(body + q, '\n', len - q);
        if (nl == NULL) {
            return 0;
        }

        q = nl - body + 1;
    }

    return 0;
}


/*
 * Whether the line at "q" is a boundary line: "--" boundary, "--" for the
 * closing one, then only spaces up to the line end.  A line that only
 * starts like a boundary stays part content: it is then inspected rather
 * than hidden, whatever the application's parser makes of it.
 */

static int
cm_mp_delim(const unsigned char *body, size_t len, size_t q,
    const unsigned char *bnd, size_t blen, size_t *after)
{
    int     rc;
    size_t  r;

    if (len - q < blen + 2
        || body[q] != '-' || body[q + 1] != '-'
        || memcmp(body + q + 2, bnd, blen) != 0)
    {
        return 0;
    }

    r = q + 2 + blen;
    rc = 1;

    if (len - r >= 2 && body[r] == '-' && body[r + 1] == '-') {
        r += 2;
        rc = 2;
    }

    while (r < len && (body[r] == ' ' || body[r] == '\t')) {
        r++;
    }

    if (r == len) {
        *after = r;
        return rc;
    }

    if (body[r] == '\n') {
        *after = r + 1;
        return rc;
    }

    if (body[r] == '\r' && r + 1 < len && body[r + 1] == '\n') {
        *after = r + 2;
        return rc;
    }

    return 0;
}


/*
 * Reads a part's headers from "*pos" up to and including the empty line;
 * on success "*pos" is where the part's content starts.  CM_DECLINED when
 * the headers do not end before the body or the next boundary, with
 * "*pos" at the offending place.  Every header is read, repeated ones
 * too, since backends differ in which of them they take.
 */

static int
cm_mp_headers(cm_parse_t *ctx, const unsigned char *body, size_t len,
    size_t *pos, const unsigned char *bnd, size_t blen, cm_part_t *part)
{
    size_t                q, e, hs, he, after;
    const unsigned char  *nl;

    memset(part, 0, sizeof(cm_part_t));
    ctx->ncand = 0;

    /* the header being read: body[hs .. he), folded lines and all */

    hs = 0;
    he = 0;

    q = *pos;

    for ( ;; ) {

        if (q >= len) {
            *pos = len;
            return CM_DECLINED;
        }

        nl = memchr(body + q, '\n', len - q);
        if (nl == NULL) {
            *pos = len;
            return CM_DECLINED;
        }

        e = nl - body;

        if (e > q && body[e - 1] == '\r') {
            e--;
        }

        if (e == q) {
            q = nl - body + 1;
            break;
        }

        if (cm_mp_delim(body, len, q, bnd, blen, &after)) {
            *pos = q;
            return CM_DECLINED;
        }

        if (body[q] == ' ' || body[q] == '\t') {

            /* a folded line continues the header before it */

            if (he > hs) {
                he = e;
            }

        } else {
            if (he > hs
                && cm_mp_header(ctx, part, body + hs, body + he) != CM_OK)
            {
                return CM_ERROR;
            }

            hs = q;
            he = e;
        }

        q = nl - body + 1;
    }

    if (he > hs && cm_mp_header(ctx, part, body + hs, body + he) != CM_OK) {
        return CM_ERROR;
    }

    *pos = q;

    return CM_OK;
}


static int
cm_mp_header(cm_parse_t *ctx, cm_part_t *part, const unsigned char *p,
    const unsigned char *end)
{
    size_t                hn, n;
    const unsigned char  *colon, *t;

    colon = memchr(p, ':', end - p);
    if (colon == NULL) {
        return CM_OK;
    }

    for (hn = colon - p; hn > 0 && (p[hn - 1] == ' ' || p[hn - 1] == '\t');
         hn--)
    {
        /* void */
    }

    if (cm_caseeq(p, hn, "content-disposition")) {
        return cm_mp_disposition(ctx, part, colon + 1, end);
    }

    if (cm_ct_type(colon + 1, end - colon - 1, &t, &n) != CM_OK) {
        return CM_OK;
    }

    if (cm_caseeq(p, hn, "content-type")) {
        part->typed = 1;

        if (n > 5 && cm_caseprefix(t, n, "text/")) {
            part->text = 1;
        }

    } else if (cm_caseeq(p, hn, "content-transfer-encoding")) {

        if (cm_caseeq(t, n, "base64")) {
            part->base64 = 1;

        } else if (cm_caseeq(t, n, "quoted-printable")) {
            part->qp = 1;

        } else {
            part->other = 1;
        }
    }

    return CM_OK;
}


/*
 * Content-Disposition: form-data; name="comment"; filename="a.txt".
 * Every name is kept: PHP takes the last name="", Go and busboy read
 * name*= (RFC 5987), Go joins name*0=, name*1= (RFC 2231).  A non-empty
 * filename="" makes the part a file, as PHP and Go see it.
 */

static int
cm_mp_disposition(cm_parse_t *ctx, cm_part_t *part, const unsigned char *p,
    const unsigned char *end)
{
    int                   rc, ext, kind;
    size_t                index, len;
    cm_seg_t             *seg;
    cm_param_t            prm;
    const unsigned char  *text;

    p = memchr(p, ';', end - p);
    if (p == NULL) {
        return CM_OK;
    }

    ctx->nseg = 0;

    while (cm_param_next(&p, end, &prm)) {

        kind = cm_mp_param(prm.name, prm.name_len, &index, &ext);

        if (kind == CM_PRM_OTHER) {
            continue;
        }

        if (cm_param_unescape(ctx->alloc, &prm) != CM_OK) {
            return CM_ERROR;
        }

        text = prm.value;
        len = prm.value_len;

        if (ext && cm_mp_ext(ctx->alloc, text, len, index == 0, &text, &len)
                   != CM_OK)
        {
            return CM_ERROR;
        }

        switch (kind) {

        case CM_PRM_NAME:
            rc = cm_mp_cand(ctx, text, len, 0, 1);
            break;

        case CM_PRM_NAME_EXT:
            rc = cm_mp_cand(ctx, text, len, 0, 0);
            break;

        case CM_PRM_NAME_SEG:
            seg = cm_grow(ctx->alloc, ctx->seg, ctx->nseg, &ctx->seg_size,
                          sizeof(cm_seg_t));
            if (seg == NULL) {
                return CM_ERROR;
            }

            ctx->seg = seg;
            seg = &ctx->seg[ctx->nseg++];

            seg->text = text;
            seg->len = len;
            seg->index = index;

            rc = CM_OK;
            break;

        case CM_PRM_FILENAME:
            if (len > 0) {
                part->file = 1;
            }

            rc = cm_mp_cand(ctx, text, len, 1, 0);
            break;

        default: /* CM_PRM_FILENAME_EXT */
            rc = cm_mp_cand(ctx, text, len, 1, 0);
        }

        if (rc != CM_OK) {
            return rc;
        }
    }

    return ctx->nseg ? cm_mp_segments(ctx) : CM_OK;
}


/*
 * Which parameter: name, name*, name*N, name*N*, and the same for
 * filename.  "index" is N (0 for name*), "ext" whether the value is
 * percent-encoded.
 */

static int
cm_mp_param(const unsigned char *p, size_t len, size_t *index, int *ext)
{
    int     file;
    size_t  n, k;

    *index = 0;
    *ext = 0;

    if (cm_caseeq(p, len, "name")) {
        return CM_PRM_NAME;
    }

    if (cm_caseeq(p, len, "filename")) {
        return CM_PRM_FILENAME;
    }

    if (cm_caseprefix(p, len, "name*")) {
        file = 0;
        n = 5;

    } else if (cm_caseprefix(p, len, "filename*")) {
        file = 1;
        n = 9;

    } else {
        return CM_PRM_OTHER;
    }

    if (n == len) {
        *ext = 1;
        return file ? CM_PRM_FILENAME_EXT : CM_PRM_NAME_EXT;
    }

    for (k = n; k < len && p[k] >= '0' && p[k] <= '9'; k++) {
        if (*index < 100000) {
            *index = *index * 10 + (p[k] - '0');
        }
    }

    if (k == n) {
        return CM_PRM_OTHER;
    }

    if (k < len && p[k] == '*') {
        *ext = 1;
        k++;
    }

    if (k != len) {
        return CM_PRM_OTHER;
    }

    return file ? CM_PRM_FILENAME_EXT : CM_PRM_NAME_SEG;
}


/* an RFC 5987 value: charset'language'percent-encoded */

static int
cm_mp_ext(const cm_alloc_t *a, const unsigned char *p, size_t len,
    int charset, const unsigned char **out, size_t *out_len)
{
    const unsigned char  *q1, *q2;

    if (charset) {
        q1 = memchr(p, '\'', len);
        q2 = q1 ? memchr(q1 + 1, '\'', p + len - q1 - 1) : NULL;

        if (q2 != NULL) {
            len -= q2 + 1 - p;
            p = q2 + 1;
        }
    }

    return cm_pct_decode(a, p, len, 0, out, out_len);
}


/*
 * The pieces of an RFC 2231 name joined in the order they came, and, when
 * that differs, in the order of their numbers from 0 up to the first one
 * missing, as Go joins them.
 */

static int
cm_mp_segments(cm_parse_t *ctx)
{
    size_t          i, n, len;
    cm_seg_t       *seg, **slot;
    unsigned char  *d, *s;

    seg = ctx->seg;
    n = ctx->nseg;

    len = 0;

    for (i = 0; i < n; i++) {
        len += seg[i].len;
    }

    d = ctx->alloc->alloc(ctx->alloc->data, len ? len : 1);
    if (d == NULL) {
        return CM_ERROR;
    }

    for (s = d, i = 0; i < n; i++) {
        memcpy(s, seg[i].text, seg[i].len);
        s += seg[i].len;
    }

    if (cm_mp_cand(ctx, d, len, 0, 0) != CM_OK) {
        return CM_ERROR;
    }

    slot = ctx->alloc->alloc(ctx->alloc->data, n * sizeof(cm_seg_t *));
    if (slot == NULL) {
        return CM_ERROR;
    }

    memset(slot, 0, n * sizeof(cm_seg_t *));

    for (i = 0; i < n; i++) {
        if (seg[i].index < n && slot[seg[i].index] == NULL) {
            slot[seg[i].index] = &seg[i];
        }
    }

    len = 0;

    for (i = 0; i < n && slot[i] == &seg[i]; i++) {
        /* void */
    }

    if (i == n) {
        return CM_OK;
    }

    for (i = 0; i < n && slot[i] != NULL; i++) {
        len += slot[i]->len;
    }

    d = ctx->alloc->alloc(ctx->alloc->data, len ? len : 1);
    if (d == NULL) {
        return CM_ERROR;
    }

    for (s = d, i = 0; i < n && slot[i] != NULL; i++) {
        memcpy(s, slot[i]->text, slot[i]->len);
        s += slot[i]->len;
    }

    return cm_mp_cand(ctx, d, len, 0, 0);
}


static int
cm_mp_cand(cm_parse_t *ctx, const unsigned char *text, size_t len, int file,
    int plain)
{
    cm_cand_t  *c;

    c = cm_grow(ctx->alloc, ctx->cand, ctx->ncand, &ctx->cand_size,
                sizeof(cm_cand_t));
    if (c == NULL) {
        return CM_ERROR;
    }

    ctx->cand = c;
    c = &ctx->cand[ctx->ncand++];

    c->text = text;
    c->text_len = len;
    c->file = file ? 1 : 0;
    c->plain = plain ? 1 : 0;

    if (file) {
        c->name = text;
        c->name_len = len;
        return CM_OK;
    }

    return cm_name_canon(ctx->alloc, text, len, &c->name, &c->name_len);
}


/*
 * A part's fields: its content under the name the filter selects, else
 * the last name="" (PHP's reading), and every name and file name it gives
 * itself, as text under that name.  A file's content is text too unless
 * its Content-Type is given and not a text/ type: RFC 7578's default is
 * text/plain, and backends read such parts as values.  A part without a
 * name is a field named "".
 */

static int
cm_mp_part(cm_parse_t *ctx, cm_part_t *part, const unsigned char *value,
    size_t len, size_t pos)
{
    size_t                i, n, name_len;
    cm_cand_t            *c, *pick;
    const unsigned char  *name;

    pick = NULL;

    for (i = 0; ctx->filter && i < ctx->ncand; i++) {
        c = &ctx->cand[i];

        if (!c->file && cm_selected(ctx, c->name, c->name_len)) {
            pick = c;
            break;
        }
    }

    /* the last name="", else the first name*= */

    if (pick == NULL) {
        for (i = 0; i < ctx->ncand; i++) {
            c = &ctx->cand[i];

            if (!c->file && (c->plain || pick == NULL)) {
                pick = c;
            }
        }
    }

    name = pick ? pick->name : cm_body_name;
    name_len = pick ? pick->name_len : 0;

    if ((!part->file || !part->typed || part->text)
        && cm_mp_value(ctx, part, name, name_len, value, len, pos) != CM_OK)
    {
        return CM_ERROR;
    }

    if (!ctx->names) {
        return CM_OK;
    }

    n = ctx->fields->nelts;

    for (i = 0; i < ctx->ncand; i++) {
        c = &ctx->cand[i];

        if (c->text_len > 0
            && cm_add(ctx, name, name_len, c->text, c->text_len) != CM_OK)
        {
            return CM_ERROR;
        }
    }

    cm_names_mark(ctx->fields, n);

    return CM_OK;
}


/*
 * The content as a backend that decodes its Content-Transfer-Encoding
 * reads it, and as one that does not: raw as well, unless it is base64
 * that decodes cleanly (raw base64 is no text anyone reads).
 */

static int
cm_mp_value(cm_parse_t *ctx, cm_part_t *part, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t len, size_t pos)
{
    int                   rc, raw;
    size_t                n;
    const unsigned char  *d;

    if (!cm_selected(ctx, name, name_len)) {
        return CM_OK;
    }

    raw = !part->base64 || part->qp || part->other;

    if (part->base64) {
        rc = cm_b64_decode(ctx->alloc, value, len, &d, &n);

        if (rc == CM_ERROR
            || cm_fields_add(ctx->alloc, ctx->fields, name, name_len, d, n)
               != CM_OK)
        {
            return CM_ERROR;
        }

        if (rc == CM_DECLINED) {
            raw = 1;
            ctx->declined = 1;
            cm_error(ctx->err, ctx->errlen,
                     "multipart: base64 part at byte %zu does not decode",
                     pos);
        }
    }

    if (part->qp
        && (cm_qp_decode(ctx->alloc, value, len, &d, &n) != CM_OK
            || cm_fields_add(ctx->alloc, ctx->fields, name, name_len, d, n)
               != CM_OK))
    {
        return CM_ERROR;
    }

    if (raw) {
        return cm_fields_add(ctx->alloc, ctx->fields, name, name_len, value,
                             len);
    }

    return CM_OK;
}


/*
 * Base64 as lenient decoders read it: white space skipped, '=' ends a
 * group, and what is not base64 is skipped.  CM_DECLINED when anything
 * was skipped or left over: the part is then inspected raw as well.
 */

static int
cm_b64_decode(const cm_alloc_t *a, const unsigned char *p, size_t len,
    const unsigned char **out, size_t *out_len)
{
    int             v, bad, pad;
    size_t          i;
    unsigned        acc, bits;
    unsigned char  *d, *s;

    d = a->alloc(a->data, len / 4 * 3 + 3);
    if (d == NULL) {
        return CM_ERROR;
    }

    s = d;
    acc = 0;
    bits = 0;
    bad = 0;
    pad = 0;

    for (i = 0; i < len; i++) {

        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
            continue;
        }

        if (p[i] == '=') {
            if (bits == 6) {
                bad = 1;
            }

            acc = 0;
            bits = 0;
            pad = 1;
            continue;
        }

        v = cm_b64(p[i]);

        if (v < 0) {
            bad = 1;
            continue;
        }

        /* data after the padding: another encoded piece, glued on */

        if (pad) {
            bad = 1;
            pad = 0;
        }

        acc = (acc << 6) | (unsigned) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *s++ = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    if (bits == 6) {
        bad = 1;
    }

    *out = d;
    *out_len = s - d;

    return bad ? CM_DECLINED : CM_OK;
}


static int
cm_b64(unsigned c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


/*
 * Quoted-printable: =XX is a byte, '=' at a line's end (spaces allowed
 * before it) joins the lines; any other '=' stays as it is.
 */

static int
cm_qp_decode(const cm_alloc_t *a, const unsigned char *p, size_t len,
    const unsigned char **out, size_t *out_len)
{
    int             hi, lo;
    size_t          i, k;
    unsigned char  *d, *s;

    d = a->alloc(a->data, len ? len : 1);
    if (d == NULL) {
        return CM_ERROR;
    }

    s = d;

    for (i = 0; i < len; i++) {

        if (p[i] != '=') {
            *s++ = p[i];
            continue;
        }

        if (len - i > 2) {
            hi = cm_hex(p[i + 1]);
            lo = cm_hex(p[i + 2]);

            if (hi >= 0 && lo >= 0) {
                *s++ = (unsigned char) (hi << 4 | lo);
                i += 2;
                continue;
            }
        }

        for (k = i + 1; k < len && (p[k] == ' ' || p[k] == '\t'); k++) {
            /* void */
        }

        if (k == len) {
            break;
        }

        if (p[k] == '\n') {
            i = k;
            continue;
        }

        if (p[k] == '\r' && k + 1 < len && p[k + 1] == '\n') {
            i = k + 1;
            continue;
        }

        *s++ = '=';
    }

    *out = d;
    *out_len = s - d;

    return CM_OK;
}


/*
 * The next parameter of a header value, "*pp" being at a ';' or past the
 * end.  Returns 0 when there are no more.  Line breaks count as spaces,
 * for folded headers.
 */

static int
cm_param_next(const unsigned char **pp, const unsigned char *end,
    cm_param_t *prm)
{
    const unsigned char  *p, *semi;

    p = *pp;

    if (p >= end) {
        return 0;
    }

    p++;

    memset(prm, 0, sizeof(cm_param_t));

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    prm->name = p;

    while (p < end && *p != '=' && *p != ';' && *p != ' ' && *p != '\t'
           && *p != '\r' && *p != '\n')
    {
        p++;
    }

    prm->name_len = p - prm->name;

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    prm->value = p;

    if (p < end && *p == '=') {
        p++;

        while (p < end
               && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        {
            p++;
        }

        if (p < end && *p == '"') {
            prm->quoted = 1;
            prm->value = ++p;

            while (p < end && *p != '"') {
                if (*p == '\\' && end - p > 1) {
                    prm->escaped = 1;
                    p++;
                }

                p++;
            }

            prm->value_len = p - prm->value;

            if (p == end) {
                prm->unterminated = 1;

            } else {
                p++;
            }

        } else {
            prm->value = p;

            while (p < end && *p != ';' && *p != ' ' && *p != '\t'
                   && *p != '\r' && *p != '\n')
            {
                p++;
            }

            prm->value_len = p - prm->value;
        }
    }

    semi = (p < end) ? memchr(p, ';', end - p) : NULL;
    *pp = semi ? semi : end;

    return 1;
}


static int
cm_param_unescape(const cm_alloc_t *a, cm_param_t *prm)
{
    size_t          i;
    unsigned char  *d, *s;

    if (!prm->escaped) {
        return CM_OK;
    }

    d = a->alloc(a->data, prm->value_len);
    if (d == NULL) {
        return CM_ERROR;
    }

    s = d;

    for (i = 0; i < prm->value_len; i++) {
        if (prm->value[i] == '\\' && i + 1 < prm->value_len) {
            i++;
        }

        *s++ = prm->value[i];
    }

    prm->value = d;
    prm->value_len = s - d;

    return CM_OK;
}


/* room for one more element in an array that grows by doubling */

static void *
cm_grow(const cm_alloc_t *a, void *elts, size_t n, size_t *size, size_t elt)
{
    size_t  m;
    void   *p;

    if (n < *size) {
        return elts;
    }

    m = *size ? *size * 2 : 8;

    p = a->alloc(a->data, m * elt);
    if (p == NULL) {
        return NULL;
    }

    if (n) {
        memcpy(p, elts, n * elt);
    }

    if (a->free && elts) {
        a->free(a->data, elts);
    }

    *size = m;

    return p;
}


/*
 * An iterative parser: the nesting lives in j.stack, bounded by
 * CM_JSON_DEPTH, so hostile input cannot exhaust the C stack.
 */

static int
cm_parse_json(cm_parse_t *ctx, const unsigned char *body, size_t len)
{
    int               rc;
    unsigned char     ch, close;
    cm_json_t         j;
    cm_json_level_t  *top;

    j.ctx = ctx;
    j.alloc = ctx->alloc;
    j.body = body;
    j.len = len;
    j.pos = 0;
    j.err = ctx->err;
    j.errlen = ctx->errlen;
    j.path = NULL;
    j.path_size = 0;
    j.budget = CM_JSON_NAMES(len);
    j.depth = 0;

    cm_json_ws(&j);

    for ( ;; ) {

        /* a value is expected at j.pos */

        if (j.pos == len) {
            return cm_json_error(&j, j.pos, "expected a value");
        }

        ch = body[j.pos];

        switch (ch) {

        case '{':
        case '[':
            rc = cm_json_push(&j, ch == '[');
            if (rc != CM_OK) {
                return rc;
            }

            j.pos++;
            cm_json_ws(&j);

            if (j.pos < len && body[j.pos] == (ch == '[' ? ']' : '}')) {
                j.pos++;
                j.depth--;
                break;
            }

            if (ch == '{') {
                rc = cm_json_key(&j);
                if (rc != CM_OK) {
                    return rc;
                }
            }

            continue;

        case '"':
            rc = cm_json_value(&j);
            if (rc != CM_OK) {
                return rc;
            }

            break;

        case 't':
        case 'f':
        case 'n':
            rc = cm_json_literal(&j);
            if (rc != CM_OK) {
                return rc;
            }

            break;

        default:
            rc = cm_json_number(&j);
            if (rc != CM_OK) {
                return rc;
            }
        }

        /* after a value: close containers until another value is due */

        for ( ;; ) {
            cm_json_ws(&j);

            if (j.depth == 0) {
                if (j.pos != len) {
                    return cm_json_error(&j, j.pos, "data after the value");
                }

                return CM_OK;
            }

            top = &j.stack[j.depth - 1];
            close = top->array ? ']' : '}';

            if (j.pos < len && body[j.pos] == close) {
                j.pos++;
                j.depth--;
                continue;
            }

            if (j.pos == len || body[j.pos] != ',') {
                return cm_json_error(&j, j.pos, top->array
                                                ? "expected ',' or ']'"
                                                : "expected ',' or '}'");
            }

            j.pos++;
            cm_json_ws(&j);

            if (!top->array) {
                rc = cm_json_key(&j);
                if (rc != CM_OK) {
                    return rc;
                }
            }

            break;
        }
    }
}


/* opens a container; its path is its parent's path and its key */

static int
cm_json_push(cm_json_t *j, int array)
{
    int               rc;
    size_t            need;
    cm_json_level_t  *lv, *parent;

    if (j->depth == CM_JSON_DEPTH) {
        cm_error(j->err, j->errlen,
                 "invalid JSON at byte %zu: nesting deeper than %d",
                 j->pos, CM_JSON_DEPTH);

        return CM_DECLINED;
    }

    lv = &j->stack[j->depth];

    lv->key = NULL;
    lv->key_len = 0;
    lv->name = NULL;
    lv->name_len = 0;
    lv->array = array ? 1 : 0;

    if (j->depth == 0) {
        lv->path_len = 0;
        lv->named = 0;

    } else {
        parent = &j->stack[j->depth - 1];

        if (parent->array) {
            lv->path_len = parent->path_len;
            lv->named = parent->named;

        } else {
            need = parent->path_len + parent->key_len + parent->named;

            rc = cm_json_path(j, need);
            if (rc != CM_OK) {
                return rc;
            }

            if (parent->named) {
                j->path[parent->path_len] = '.';
            }

            if (parent->key_len) {
                memcpy(j->path + need - parent->key_len, parent->key,
                       parent->key_len);
            }

            lv->path_len = need;
            lv->named = 1;
        }
    }

    j->depth++;

    return CM_OK;
}


/* makes room for "need" bytes of path, keeping the parent's path */

static int
cm_json_path(cm_json_t *j, size_t need)
{
    size_t          size, keep;
    unsigned char  *p;

    if (need <= j->path_size) {
        return CM_OK;
    }

    size = j->path_size ? j->path_size * 2 : 64;

    if (size < need) {
        size = need;
    }

    p = j->alloc->alloc(j->alloc->data, size);
    if (p == NULL) {
        return CM_ERROR;
    }

    keep = j->depth ? j->stack[j->depth - 1].path_len : 0;

    if (keep) {
        memcpy(p, j->path, keep);
    }

    if (j->alloc->free && j->path) {
        j->alloc->free(j->alloc->data, j->path);
    }

    j->path = p;
    j->path_size = size;

    return CM_OK;
}


/* "key" ':' and the spaces after it, in the current object */

static int
cm_json_key(cm_json_t *j)
{
    int                   rc;
    size_t                n;
    cm_json_level_t      *top;
    const unsigned char  *key;

    if (j->pos == j->len || j->body[j->pos] != '"') {
        return cm_json_error(j, j->pos, "expected a string key");
    }

    rc = cm_json_string(j, &key, &n);
    if (rc != CM_OK) {
        return rc;
    }

    top = &j->stack[j->depth - 1];
    top->key = key;
    top->key_len = n;

    /* the key is text too, named by the object it is in */

    if (j->ctx->names && n > 0
        && cm_selected(j->ctx, j->path, top->path_len))
    {
        rc = cm_json_level_name(j, j->depth - 1);
        if (rc != CM_OK) {
            return rc;
        }

        if (cm_fields_add(j->alloc, j->ctx->fields, top->name,
                          top->name_len, key, n)
            != CM_OK)
        {
            return CM_ERROR;
        }

        cm_names_mark(j->ctx->fields, j->ctx->fields->nelts - 1);
    }

    cm_json_ws(j);

    if (j->pos == j->len || j->body[j->pos] != ':') {
        return cm_json_error(j, j->pos, "expected ':'");
    }

    j->pos++;
    cm_json_ws(j);

    return CM_OK;
}


/*
 * A level's path as a name that stays: made once, and shared with the
 * levels above it that have the same path (arrays, objects in arrays).
 */

static int
cm_json_level_name(cm_json_t *j, size_t idx)
{
    size_t                k, i, len;
    unsigned char        *p;
    cm_json_level_t      *lv;
    const unsigned char  *name;

    lv = &j->stack[idx];

    if (lv->name != NULL) {
        return CM_OK;
    }

    len = lv->path_len;
    name = NULL;

    for (k = idx; k > 0 && j->stack[k - 1].path_len == len; k--) {
        if (j->stack[k - 1].name != NULL) {
            name = j->stack[k - 1].name;
            break;
        }
    }

    if (name == NULL && len == 0) {
        name = cm_body_name;
    }

    if (name == NULL) {
        if (len > j->budget) {
            return cm_json_error(j, j->pos, "field names too long");
        }

        j->budget -= len;

        p = j->alloc->alloc(j->alloc->data, len);
        if (p == NULL) {
            return CM_ERROR;
        }

        memcpy(p, j->path, len);
        name = p;
    }

    for (i = k; i <= idx; i++) {
        j->stack[i].name = name;
        j->stack[i].name_len = len;
    }

    return CM_OK;
}


/* a string value: a field named by where it is */

static int
cm_json_value(cm_json_t *j)
{
    int                   rc;
    size_t                value_len, name_len;
    unsigned char        *p;
    cm_json_level_t      *top;
    const unsigned char  *value, *name;

    rc = cm_json_string(j, &value, &value_len);
    if (rc != CM_OK) {
        return rc;
    }

    top = j->depth ? &j->stack[j->depth - 1] : NULL;

    if (top == NULL || (top->array && !top->named)) {
        name = cm_body_name;
        name_len = 4;

    } else if (top->array) {
        rc = cm_json_level_name(j, j->depth - 1);
        if (rc != CM_OK) {
            return rc;
        }

        name = top->name;
        name_len = top->name_len;

    } else if (!top->named) {
        name = top->key;
        name_len = top->key_len;

    } else {
        name_len = top->path_len + 1 + top->key_len;

        if (name_len > j->budget) {
            return cm_json_error(j, j->pos, "field names too long");
        }

        j->budget -= name_len;

        p = j->alloc->alloc(j->alloc->data, name_len);
        if (p == NULL) {
            return CM_ERROR;
        }

        if (top->path_len) {
            memcpy(p, j->path, top->path_len);
        }

        p[top->path_len] = '.';

        if (top->key_len) {
            memcpy(p + top->path_len + 1, top->key, top->key_len);
        }

        name = p;
    }

    return cm_add(j->ctx, name, name_len, value, value_len);
}


/*
 * A string at j->pos: checked first, so that decoding cannot fail, then
 * copied only if it has escapes.
 */

static int
cm_json_string(cm_json_t *j, const unsigned char **out, size_t *out_len)
{
    int                   esc;
    size_t                i, k, start, len;
    unsigned char        *d;
    const unsigned char  *b;

    b = j->body;
    len = j->len;
    start = j->pos + 1;
    esc = 0;

    for (i = start; ; ) {

        if (i >= len) {
            return cm_json_error(j, j->pos, "unterminated string");
        }

        if (b[i] == '"') {
            break;
        }

        if (b[i] != '\\') {
            i++;
            continue;
        }

        esc = 1;

        if (i + 1 == len) {
            return cm_json_error(j, j->pos, "unterminated string");
        }

        switch (b[i + 1]) {

        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            i += 2;
            break;

        case 'u':
            for (k = 2; k < 6; k++) {
                if (i + k >= len || cm_hex(b[i + k]) < 0) {
                    return cm_json_error(j, i, "invalid \\u escape");
                }
            }

            i += 6;
            break;

        default:
            return cm_json_error(j, i, "invalid escape");
        }
    }

    j->pos = i + 1;

    if (!esc) {
        *out = b + start;
        *out_len = i - start;
        return CM_OK;
    }

    /* decoding never makes a string longer */

    d = j->alloc->alloc(j->alloc->data, i - start);
    if (d == NULL) {
        return CM_ERROR;
    }

    cm_json_unescape(b + start, b + i, d, out_len);
    *out = d;

    return CM_OK;
}


static void
cm_json_unescape(const unsigned char *p, const unsigned char *end,
    unsigned char *d, size_t *out_len)
{
    unsigned char  *s;
    unsigned        c, lo;

    s = d;

    while (p < end) {

        if (*p != '\\') {
            *s++ = *p++;
            continue;
        }

        switch (p[1]) {

        case 'b':
            c = '\b';
            break;

        case 'f':
            c = '\f';
            break;

        case 'n':
            c = '\n';
            break;

        case 'r':
            c = '\r';
            break;

        case 't':
            c = '\t';
            break;

        case 'u':
            c = cm_hex4(p + 2);
            p += 4;
            break;

        default:
            c = p[1];
        }

        p += 2;

        if (c >= 0xd800 && c <= 0xdbff) {
            lo = 0;

            if (end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                lo = cm_hex4(p + 2);
            }

            if (lo >= 0xdc00 && lo <= 0xdfff) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;

            } else {
                c = 0xfffd;
            }

        } else if (c >= 0xdc00 && c <= 0xdfff) {
            c = 0xfffd;
        }

        if (c < 0x80) {
            *s++ = (unsigned char) c;

        } else if (c < 0x800) {
            *s++ = (unsigned char) (0xc0 | (c >> 6));
            *s++ = (unsigned char) (0x80 | (c & 0x3f));

        } else if (c < 0x10000) {
            *s++ = (unsigned char) (0xe0 | (c >> 12));
            *s++ = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
            *s++ = (unsigned char) (0x80 | (c & 0x3f));

        } else {
            *s++ = (unsigned char) (0xf0 | (c >> 18));
            *s++ = (unsigned char) (0x80 | ((c >> 12) & 0x3f));
            *s++ = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
            *s++ = (unsigned char) (0x80 | (c & 0x3f));
        }
    }

    *out_len = s - d;
}


/* four hex digits, already checked */

static unsigned
cm_hex4(const unsigned char *p)
{
    return (unsigned) (cm_hex(p[0]) << 12 | cm_hex(p[1]) << 8
                       | cm_hex(p[2]) << 4 | cm_hex(p[3]));
}


static int
cm_json_literal(cm_json_t *j)
{
    size_t       n;
    const char  *lit;

    switch (j->body[j->pos]) {
    case 't':
        lit = "true";
        break;
    case 'f':
        lit = "false";
        break;
    default:
        lit = "null";
    }

    n = strlen(lit);

    if (j->len - j->pos < n || memcmp(j->body + j->pos, lit, n) != 0) {
        return cm_json_error(j, j->pos, "invalid literal");
    }

    j->pos += n;

    return CM_OK;
}


/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

static int
cm_json_number(cm_json_t *j)
{
    size_t                i, len;
    const unsigned char  *b;

    b = j->body;
    len = j->len;
    i = j->pos;

    if (b[i] == '-') {
        i++;
    }

    if (i == len || b[i] < '0' || b[i] > '9') {
        return cm_json_error(j, j->pos, "expected a value");
    }

    if (b[i] == '0') {
        i++;

    } else {
        while (i < len && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
    }

    if (i < len && b[i] == '.') {
        i++;

        if (i == len || b[i] < '0' || b[i] > '9') {
            return cm_json_error(j, i, "invalid number");
        }

        while (i < len && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
    }

    if (i < len && (b[i] == 'e' || b[i] == 'E')) {
        i++;

        if (i < len && (b[i] == '+' || b[i] == '-')) {
            i++;
        }

        if (i == len || b[i] < '0' || b[i] > '9') {
            return cm_json_error(j, i, "invalid number");
        }

        while (i < len && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
    }

    j->pos = i;

    return CM_OK;
}


static void
cm_json_ws(cm_json_t *j)
{
    unsigned char  c;

    while (j->pos < j->len) {
        c = j->body[j->pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }

        j->pos++;
    }
}


static int
cm_json_error(cm_json_t *j, size_t pos, const char *what)
{
    cm_error(j->err, j->errlen, "invalid JSON at byte %zu: %s", pos, what);

    return CM_DECLINED;
}


/*
 * Inflates a gzip or deflate body, at most "max" bytes of it.  The first
 * pass counts the output through a fixed buffer and stops at the first
 * byte past "max" (CM_TOO_LARGE); the second inflates into memory of
 * exactly the size counted.  A stream that breaks off or goes wrong is
 * CM_DECLINED, with what came out before.
 */

static int
cm_inflate(cm_parse_t *ctx, int coding, const unsigned char *in, size_t len,
    size_t max, const unsigned char **out, size_t *out_len)
{
    int             rc, zrc, wbits;
    size_t          n, got;
    z_stream        zs;
    unsigned char  *buf;

    /* HTTP's "deflate" is zlib's format, but some clients send it raw */

    if (coding == CM_CE_GZIP) {
        wbits = 16 + MAX_WBITS;

    } else if (len >= 2 && (in[0] & 0x0f) == Z_DEFLATED
               && ((in[0] << 8) | in[1]) % 31 == 0)
    {
        wbits = MAX_WBITS;

    } else {
        wbits = -MAX_WBITS;
    }

    memset(&zs, 0, sizeof(z_stream));

    zs.zalloc = cm_zalloc;
    zs.zfree = cm_zfree;
    zs.opaque = (voidpf) ctx->alloc;

    zrc = inflateInit2(&zs, wbits);
    if (zrc != Z_OK) {
        cm_error(ctx->err, ctx->errlen, "inflate: %s",
                 zs.msg ? zs.msg : "cannot start");
        return CM_ERROR;
    }

    buf = ctx->alloc->alloc(ctx->alloc->data, CM_INFLATE_CHUNK);
    if (buf == NULL) {
        (void) inflateEnd(&zs);
        return CM_ERROR;
    }

    rc = cm_inflate_run(ctx, &zs, coding == CM_CE_GZIP, in, len, buf,
                        CM_INFLATE_CHUNK, 0, max, &n);

    if (rc == CM_ERROR || rc == CM_TOO_LARGE || n == 0) {
        (void) inflateEnd(&zs);

        *out = in;
        *out_len = 0;

        return rc;
    }

    buf = ctx->alloc->alloc(ctx->alloc->data, n);

    if (buf == NULL || inflateReset(&zs) != Z_OK) {
        (void) inflateEnd(&zs);
        return CM_ERROR;
    }

    if (cm_inflate_run(ctx, &zs, coding == CM_CE_GZIP, in, len, buf, n, 1,
                       n, &got)
        == CM_ERROR)
    {
        (void) inflateEnd(&zs);
        return CM_ERROR;
    }

    (void) inflateEnd(&zs);

    *out = buf;
    *out_len = got;

    return rc;
}


/*
 * One pass over the stream: into "dst" from its start each time when
 * counting, or filling it up to "size" bytes.  Members of a gzip body
 * follow each other, as gunzip and Go read them.  "produced" is what
 * came out.
 */

static int
cm_inflate_run(cm_parse_t *ctx, z_stream *zs, int gzip,
    const unsigned char *in, size_t len, unsigned char *dst, size_t size,
    int fill, size_t max, size_t *produced)
{
    int     zrc;
    size_t  room;

    *produced = 0;

    if (len > UINT_MAX) {
        return CM_TOO_LARGE;
    }

    zs->next_in = (Bytef *) in;
    zs->avail_in = (uInt) len;

    for ( ;; ) {

        if (fill) {
            if (*produced == size) {
                return CM_OK;
            }

            room = size - *produced;
            zs->next_out = dst + *produced;

        } else {
            room = size;
            zs->next_out = dst;
        }

        if (room > UINT_MAX) {
            room = UINT_MAX;
        }

        zs->avail_out = (uInt) room;

        zrc = inflate(zs, Z_NO_FLUSH);

        *produced += room - zs->avail_out;

        if (*produced > max) {
            cm_error(ctx->err, ctx->errlen,
                     "the body inflates to more than %zu bytes", max);
            return CM_TOO_LARGE;
        }

        switch (zrc) {

        case Z_OK:
            continue;

        case Z_STREAM_END:
            if (zs->avail_in == 0) {
                return CM_OK;
            }

            if (gzip && zs->avail_in >= 2 && zs->next_in[0] == 0x1f
                && zs->next_in[1] == 0x8b)
            {
                if (inflateReset(zs) != Z_OK) {
                    return CM_ERROR;
                }

                continue;
            }

            cm_error(ctx->err, ctx->errlen,
                     "%u bytes after the compressed body", zs->avail_in);
            return CM_DECLINED;

        case Z_MEM_ERROR:
            return CM_ERROR;

        case Z_BUF_ERROR:
            if (zs->avail_in == 0) {
                cm_error(ctx->err, ctx->errlen,
                         "the compressed body is cut short");
                return CM_DECLINED;
            }

            /* fall through */

        default:
            cm_error(ctx->err, ctx->errlen,
                     "the compressed body does not inflate at byte %zu: %s",
                     len - zs->avail_in, zs->msg ? zs->msg : "error");
            return CM_DECLINED;
        }
    }
}


/* zlib's memory comes from the caller's allocator, as all the engine's */

static voidpf
cm_zalloc(voidpf opaque, uInt items, uInt size)
{
    const cm_alloc_t  *a;

    a = opaque;

    if (size != 0 && items > (size_t) -1 / size) {
        return Z_NULL;
    }

    return a->alloc(a->data, (size_t) items * size);
}


static void
cm_zfree(voidpf opaque, voidpf p)
{
    const cm_alloc_t  *a;

    a = opaque;

    if (a->free != NULL) {
        a->free(a->data, p);
    }
}


/* the fields from "from" on hold a name the client gave, not a value */

static void
cm_names_mark(cm_fields_t *fields, size_t from)
{
    size_t  i;

    for (i = from; i < fields->nelts; i++) {
        fields->elts[i].flags |= CM_FIELD_NAME;
    }
}
