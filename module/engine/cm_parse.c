
/*
 * Request body parsing: form, multipart, JSON and raw bodies become a list
 * of (name, value) fields.
 *
 * The bodies are untrusted: every read is bounded by the body length, the
 * JSON parser is iterative with a fixed depth, and a malformed body is
 * reported as CM_DECLINED so that the caller inspects the raw body too.
 * Values are decoded into memory from the caller's allocator only when
 * they need decoding; otherwise they point into the body.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cm_engine.h"


#define CM_JSON_DEPTH       64

/*
 * Nested JSON field names are copies ("a.b.c"), so a long key above many
 * short members could make memory quadratic in the body size; past this
 * budget the body is declined and inspected raw.
 */
#define CM_JSON_NAMES(len)  (4 * (len) + 65536)


typedef struct {
    const unsigned char  *name;
    size_t                name_len;
    const unsigned char  *value;
    size_t                value_len;
    unsigned              quoted:1;
    unsigned              escaped:1;
    unsigned              unterminated:1;
} cm_param_t;


typedef struct {
    const unsigned char  *key;       /* the current member's key */
    size_t                key_len;
    size_t                path_len;  /* this container's path in "path" */
    const unsigned char  *name;      /* arrays: elements' name, when made */
    size_t                name_len;
    unsigned              array:1;
    unsigned              named:1;   /* path is not the top level's */
} cm_json_level_t;


typedef struct {
    const cm_alloc_t     *alloc;
    const unsigned char  *body;
    size_t                len;
    size_t                pos;
    cm_fields_t          *fields;
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
static unsigned cm_lc(unsigned c);
static int cm_hex(unsigned c);
static void cm_error(char *err, size_t errlen, const char *fmt, ...);

static int cm_parse_form(const cm_alloc_t *a, const unsigned char *body,
    size_t len, cm_fields_t *fields);
static int cm_form_decode(const cm_alloc_t *a, const unsigned char *p,
    size_t len, const unsigned char **out, size_t *out_len);

static int cm_parse_multipart(const cm_alloc_t *a, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len, cm_fields_t *fields,
    char *err, size_t errlen);
static int cm_mp_boundary(const unsigned char *ct, size_t ct_len,
    const unsigned char **bnd, size_t *blen);
static int cm_mp_find(const unsigned char *body, size_t len, size_t from,
    const unsigned char *bnd, size_t blen, size_t *start, size_t *after);
static int cm_mp_delim(const unsigned char *body, size_t len, size_t q,
    const unsigned char *bnd, size_t blen, size_t *after);
static int cm_mp_headers(const cm_alloc_t *a, const unsigned char *body,
    size_t len, size_t *pos, const unsigned char *bnd, size_t blen,
    const unsigned char **name, size_t *name_len, int *file);
static int cm_mp_disposition(const cm_alloc_t *a, const unsigned char *p,
    const unsigned char *end, const unsigned char **name, size_t *name_len,
    int *file);
static int cm_param_next(const unsigned char **pp, const unsigned char *end,
    cm_param_t *prm);
static int cm_param_unescape(const cm_alloc_t *a, cm_param_t *prm);

static int cm_parse_json(const cm_alloc_t *a, const unsigned char *body,
    size_t len, cm_fields_t *fields, char *err, size_t errlen);
static int cm_json_push(cm_json_t *j, int array);
static int cm_json_path(cm_json_t *j, size_t need);
static int cm_json_key(cm_json_t *j);
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


/* the media type of a Content-Type: whitespace and parameters stripped */

static int
cm_ct_type(const unsigned char *ct, size_t len,
    const unsigned char **type, size_t *type_len)
{
    size_t  i, start;

    if (ct == NULL) {
        return CM_DECLINED;
    }

    for (i = 0; i < len && (ct[i] == ' ' || ct[i] == '\t'); i++) {
        /* void */
    }

    start = i;

    while (i < len && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t') {
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
    size_t  i;

    if (len != strlen(s)) {
        return 0;
    }

    for (i = 0; i < len; i++) {
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


static void
cm_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err != NULL && errlen > 0) {
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
    }
}


int
cm_parse_body(const cm_alloc_t *a, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len,
    cm_fields_t *fields, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    /* nothing to inspect, whatever the type */

    if (len == 0) {
        return CM_OK;
    }

    switch (cm_body_type(ct, ct_len)) {

    case CM_BODY_FORM:
        return cm_parse_form(a, body, len, fields);

    case CM_BODY_MULTIPART:
        return cm_parse_multipart(a, ct, ct_len, body, len, fields,
                                  err, errlen);

    case CM_BODY_JSON:
        return cm_parse_json(a, body, len, fields, err, errlen);

    default:
        return cm_fields_add(a, fields, cm_body_name, 4, body, len);
    }
}


static int
cm_parse_form(const cm_alloc_t *a, const unsigned char *body, size_t len,
    cm_fields_t *fields)
{
    size_t                name_len, value_len;
    const unsigned char  *p, *q, *eq, *amp, *end, *name, *value;

    p = body;
    end = body + len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        q = amp ? amp : end;

        if (q > p) {
            eq = memchr(p, '=', q - p);

            if (cm_form_decode(a, p, (eq ? eq : q) - p, &name, &name_len)
                != CM_OK)
            {
                return CM_ERROR;
            }

            if (eq) {
                if (cm_form_decode(a, eq + 1, q - eq - 1, &value, &value_len)
                    != CM_OK)
                {
                    return CM_ERROR;
                }

            } else {
                value = q;
                value_len = 0;
            }

            if (cm_fields_add(a, fields, name, name_len, value, value_len)
                != CM_OK)
            {
                return CM_ERROR;
            }
        }

        p = amp ? amp + 1 : end;
    }

    return CM_OK;
}


/*
 * '+' is a space and %XX a byte; a malformed escape stays as it is, so
 * "%zz" is still inspected.  Copies only when something is decoded.
 */

static int
cm_form_decode(const cm_alloc_t *a, const unsigned char *p, size_t len,
    const unsigned char **out, size_t *out_len)
{
    int             hi, lo;
    size_t          i;
    unsigned char  *d, *s;

    for (i = 0; i < len; i++) {
        if (p[i] == '%' || p[i] == '+') {
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

        if (p[i] == '+') {
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


static int
cm_parse_multipart(const cm_alloc_t *a, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len, cm_fields_t *fields,
    char *err, size_t errlen)
{
    int                   rc, file;
    size_t                blen, pos, start, after, end, name_len;
    const unsigned char  *bnd, *name;

    if (cm_mp_boundary(ct, ct_len, &bnd, &blen) != CM_OK) {
        cm_error(err, errlen, "multipart: no boundary in the Content-Type");
        return CM_DECLINED;
    }

    /* the preamble is ignored */

    rc = cm_mp_find(body, len, 0, bnd, blen, &start, &after);

    if (rc == 0) {
        cm_error(err, errlen, "multipart: no boundary line in the body");
        return CM_DECLINED;
    }

    while (rc == 1) {
        pos = after;

        rc = cm_mp_headers(a, body, len, &pos, bnd, blen, &name, &name_len,
                           &file);
        if (rc != CM_OK) {
            if (rc == CM_DECLINED) {
                cm_error(err, errlen,
                         "multipart: no end of part headers at byte %zu",
                         pos);
            }

            return rc;
        }

        rc = cm_mp_find(body, len, pos, bnd, blen, &start, &after);

        if (rc == 0) {
            cm_error(err, errlen,
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

        if (!file
            && cm_fields_add(a, fields, name, name_len, body + pos,
                             end - pos)
               != CM_OK)
        {
            return CM_ERROR;
        }
    }

    /*
     * Some parsers carry on after the closing boundary; what they would
     * find there is not in the fields, so the raw body must be inspected.
     */

    if (cm_mp_find(body, len, after, bnd, blen, &start, &after) != 0) {
        cm_error(err, errlen,
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
 * "*pos" at the offending place.
 */

static int
cm_mp_headers(const cm_alloc_t *a, const unsigned char *body, size_t len,
    size_t *pos, const unsigned char *bnd, size_t blen,
    const unsigned char **name, size_t *name_len, int *file)
{
    int                   in_cd, seen_cd;
    size_t                q, e, n, after;
    const unsigned char  *nl, *colon, *cd, *cd_end;

    *name = cm_body_name;
    *name_len = 0;
    *file = 0;

    in_cd = 0;
    seen_cd = 0;
    cd = NULL;
    cd_end = NULL;

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

            /* a folded line continues the previous header */

            if (in_cd) {
                cd_end = body + e;
            }

        } else {
            in_cd = 0;
            colon = memchr(body + q, ':', e - q);

            if (colon != NULL && !seen_cd) {
                n = colon - (body + q);

                while (n > 0 && (body[q + n - 1] == ' '
                                 || body[q + n - 1] == '\t'))
                {
                    n--;
                }

                if (cm_caseeq(body + q, n, "content-disposition")) {
                    in_cd = 1;
                    seen_cd = 1;
                    cd = colon + 1;
                    cd_end = body + e;
                }
            }
        }

        q = nl - body + 1;
    }

    *pos = q;

    if (cd == NULL) {
        return CM_OK;
    }

    return cm_mp_disposition(a, cd, cd_end, name, name_len, file);
}


/*
 * Content-Disposition: form-data; name="comment"; filename="a.txt".
 * A part with a filename is a file and not a field.  A part without a
 * name is still inspected, as a field named "".
 */

static int
cm_mp_disposition(const cm_alloc_t *a, const unsigned char *p,
    const unsigned char *end, const unsigned char **name, size_t *name_len,
    int *file)
{
    int         named;
    cm_param_t  prm;

    p = memchr(p, ';', end - p);
    if (p == NULL) {
        return CM_OK;
    }

    named = 0;

    while (cm_param_next(&p, end, &prm)) {

        if (cm_caseeq(prm.name, prm.name_len, "filename")
            || cm_caseeq(prm.name, prm.name_len, "filename*"))
        {
            *file = 1;
            continue;
        }

        if (named || !cm_caseeq(prm.name, prm.name_len, "name")) {
            continue;
        }

        if (cm_param_unescape(a, &prm) != CM_OK) {
            return CM_ERROR;
        }

        *name = prm.value;
        *name_len = prm.value_len;
        named = 1;
    }

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


/*
 * An iterative parser: the nesting lives in j.stack, bounded by
 * CM_JSON_DEPTH, so hostile input cannot exhaust the C stack.
 */

static int
cm_parse_json(const cm_alloc_t *a, const unsigned char *body, size_t len,
    cm_fields_t *fields, char *err, size_t errlen)
{
    int               rc;
    unsigned char     ch, close;
    cm_json_t         j;
    cm_json_level_t  *top;

    j.alloc = a;
    j.body = body;
    j.len = len;
    j.pos = 0;
    j.fields = fields;
    j.err = err;
    j.errlen = errlen;
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

    cm_json_ws(j);

    if (j->pos == j->len || j->body[j->pos] != ':') {
        return cm_json_error(j, j->pos, "expected ':'");
    }

    j->pos++;
    cm_json_ws(j);

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

    if (top == NULL || !top->named) {

        if (top == NULL || top->array) {
            name = cm_body_name;
            name_len = 4;

        } else {
            name = top->key;
            name_len = top->key_len;
        }

    } else if (top->array && top->name) {
        name = top->name;
        name_len = top->name_len;

    } else {
        name_len = top->path_len + (top->array ? 0 : 1 + top->key_len);

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

        if (top->array) {
            top->name = p;
            top->name_len = name_len;

        } else {
            p[top->path_len] = '.';

            if (top->key_len) {
                memcpy(p + top->path_len + 1, top->key, top->key_len);
            }
        }

        name = p;
    }

    return cm_fields_add(j->alloc, j->fields, name, name_len, value,
                         value_len);
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
