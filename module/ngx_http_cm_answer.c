
/*
 * ngx_http_comment_moderation_answer_module: what a reader whose comment
 * was refused (rejected by the rules, or limited) sees.  A verdict comes
 * in; a JSON object, an HTML page, or the location's own error_page goes
 * out.  Nothing here decides or counts.
 *
 * The page is the built-in one or a comment_moderation_template, read
 * and cut into pieces at configuration time.  It links back to the page
 * the comment was posted from when the Referer is on the host the post
 * came to (else to "/"), and, for a reject from such a page, gives the
 * reader the form again with the text to edit.  Everything from the
 * request is escaped; a URL is only ever written as a path on this host.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "cm_engine.h"


/* the most form fields given back for resubmission */
#define NGX_HTTP_CM_FORM_FIELDS  64


/* what a template's {{name}} stands for; a piece of literal text is 0 */

typedef enum {
    NGX_HTTP_CM_SLOT_TEXT = 0,
    NGX_HTTP_CM_SLOT_TITLE,
    NGX_HTTP_CM_SLOT_MESSAGE,
    NGX_HTTP_CM_SLOT_RETRY,
    NGX_HTTP_CM_SLOT_RETRY_AFTER,
    NGX_HTTP_CM_SLOT_BACK,
    NGX_HTTP_CM_SLOT_BACK_LABEL,
    NGX_HTTP_CM_SLOT_FORM,
    NGX_HTTP_CM_SLOT_DECISION,
    NGX_HTTP_CM_SLOT_SCORE,
    NGX_HTTP_CM_SLOT_STATUS,
    NGX_HTTP_CM_NSLOTS
} ngx_http_cm_slot_e;


typedef struct {
    ngx_uint_t                 slot;       /* ngx_http_cm_slot_e */
    ngx_str_t                  text;       /* NGX_HTTP_CM_SLOT_TEXT */
} ngx_http_cm_piece_t;


typedef struct {
    ngx_array_t               *pieces;     /* of ngx_http_cm_piece_t */
} ngx_http_cm_page_t;


typedef struct {
    ngx_http_cm_page_t        *page;       /* the built-in one */
} ngx_http_cm_answer_main_conf_t;


typedef struct {
    ngx_http_cm_page_t        *page;       /* comment_moderation_template */
} ngx_http_cm_answer_loc_conf_t;


static ngx_int_t ngx_http_cm_answer_retry_after(ngx_http_request_t *r,
    time_t retry_after);
static ngx_uint_t ngx_http_cm_error_page(ngx_http_request_t *r,
    ngx_uint_t status);
static ngx_uint_t ngx_http_cm_wants_json(ngx_http_request_t *r);
static ngx_buf_t *ngx_http_cm_answer_json(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v);
static ngx_buf_t *ngx_http_cm_answer_html(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v);
static ngx_int_t ngx_http_cm_answer_slots(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v, ngx_str_t *slots);
static ngx_int_t ngx_http_cm_answer_referer(ngx_http_request_t *r,
    ngx_str_t *path);
static ngx_int_t ngx_http_cm_answer_retry(ngx_http_request_t *r,
    time_t retry_after, ngx_str_t *out);
static ngx_int_t ngx_http_cm_answer_form(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v, ngx_str_t *out);
static ngx_int_t ngx_http_cm_answer_fields(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v, cm_fields_t *fields, ngx_uint_t *multipart);
static ngx_int_t ngx_http_cm_answer_action(ngx_http_request_t *r,
    ngx_str_t *action);
static ngx_uint_t ngx_http_cm_answer_encoded(ngx_http_request_t *r);
static ngx_uint_t ngx_http_cm_local_path(u_char *p, size_t len);
static ngx_uint_t ngx_http_cm_plain(u_char *p, size_t len);
static size_t ngx_http_cm_html_len(u_char *p, size_t len);
static u_char *ngx_http_cm_html(u_char *dst, u_char *p, size_t len);
static ngx_int_t ngx_http_cm_html_str(ngx_http_request_t *r, ngx_str_t *src,
    ngx_str_t *dst);
static ngx_int_t ngx_http_cm_answer_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b);
static u_char *ngx_http_cm_escape_json(u_char *dst, ngx_str_t *src);
static void *ngx_http_cm_answer_palloc(void *data, size_t size);

static char *ngx_http_cm_template(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_http_cm_page_t *ngx_http_cm_page_parse(ngx_conf_t *cf,
    ngx_str_t *text, ngx_str_t *name);
static void *ngx_http_cm_answer_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_cm_answer_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_cm_answer_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_cm_answer_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


static ngx_command_t  ngx_http_cm_answer_commands[] = {

    { ngx_string("comment_moderation_template"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cm_template,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_cm_answer_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_cm_answer_create_main_conf,   /* create main configuration */
    ngx_http_cm_answer_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_cm_answer_create_loc_conf,    /* create location configuration */
    ngx_http_cm_answer_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_comment_moderation_answer_module = {
    NGX_MODULE_V1,
    &ngx_http_cm_answer_module_ctx,        /* module context */
    ngx_http_cm_answer_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_cm_slot_names[NGX_HTTP_CM_NSLOTS] = {
    ngx_null_string,
    ngx_string("title"),
    ngx_string("message"),
    ngx_string("retry"),
    ngx_string("retry_after"),
    ngx_string("back"),
    ngx_string("back_label"),
    ngx_string("form"),
    ngx_string("decision"),
    ngx_string("score"),
    ngx_string("status")
};


static ngx_str_t  ngx_http_cm_answer_titles[NGX_HTTP_CM_NDECISIONS] = {
    ngx_null_string,
    ngx_null_string,
    ngx_string("Komentar ditolak"),
    ngx_string("Terlalu banyak komentar")
};


/*
 * The built-in page: small, self-contained (no script, no resource from
 * anywhere), in the colours of the demo site.
 */

static ngx_str_t  ngx_http_cm_default_page = ngx_string(
"<!DOCTYPE html>\n"
"<html lang=\"id\"><head><meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<meta name=\"robots\" content=\"noindex\">\n"
"<title>{{title}}</title>\n"
"<style>\n"
"body { font-family: \"DejaVu Sans\", system-ui, sans-serif; margin: 0;\n"
"       color: #222; background: #f4f4f1; }\n"
"main { max-width: 40em; margin: 2em auto; padding: 1em 1.5em;\n"
"       background: #fff; border-top: 4px solid #8b1e1e;\n"
"       border-radius: 4px; }\n"
"h1 { font-size: 1.4em; color: #8b1e1e; }\n"
"textarea, input { width: 100%; box-sizing: border-box; font: inherit; }\n"
"button { background: #8b1e1e; color: #fff; border: 0; font: inherit;\n"
"         padding: .5em 1.2em; border-radius: 3px; }\n"
".retry { background: #fff4e0; color: #7a4a00; padding: .6em .8em;\n"
"         border-radius: 3px; }\n"
"a { color: #8b1e1e; }\n"
"</style></head>\n"
"<body><main>\n"
"<h1>{{title}}</h1>\n"
"<p id=\"reason\">{{message}}</p>\n"
"{{retry}}"
"{{form}}"
"<p><a id=\"back\" href=\"{{back}}\">&larr; {{back_label}}</a></p>\n"
"</main></body></html>\n");


ngx_int_t
ngx_http_cm_answer(ngx_http_request_t *r, ngx_http_cm_verdict_t *v)
{
    ngx_buf_t  *b;

    /* an error_page for the status answers instead, with Retry-After */

    if (v->retry_after
        && ngx_http_cm_answer_retry_after(r, v->retry_after) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_cm_error_page(r, v->status)) {
        return v->status;
    }

    if (ngx_http_cm_wants_json(r)) {
        b = ngx_http_cm_answer_json(r, v);

    } else {
        b = ngx_http_cm_answer_html(r, v);
    }

    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    return ngx_http_cm_answer_send(r, v->status, b);
}


static ngx_int_t
ngx_http_cm_answer_retry_after(ngx_http_request_t *r, time_t retry_after)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (h->value.data == NULL) {
        h->hash = 0;
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    h->value.len = ngx_sprintf(h->value.data, "%T", retry_after)
                   - h->value.data;

    return NGX_OK;
}


/* whether the location has an error_page, the operator's own answer */

static ngx_uint_t
ngx_http_cm_error_page(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages == NULL) {
        return 0;
    }

    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if (err_page[i].status == (ngx_int_t) status) {
            return 1;
        }
    }

    return 0;
}


/* a JSON body, or an Accept header that names application/json */

static ngx_uint_t
ngx_http_cm_wants_json(ngx_http_request_t *r)
{
    ngx_str_t        *ct;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    ct = r->headers_in.content_type ? &r->headers_in.content_type->value
                                    : NULL;

    if (ct && cm_body_type(ct->data, ct->len) == CM_BODY_JSON) {
        return 1;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Accept") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1) == 0
            && ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "application/json",
                                sizeof("application/json") - 1 - 1)
               != NULL)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_buf_t *
ngx_http_cm_answer_json(ngx_http_request_t *r, ngx_http_cm_verdict_t *v)
{
    size_t      len;
    u_char     *p;
    ngx_buf_t  *b;
    ngx_str_t  *decision;

    decision = &ngx_http_cm_decision_names[v->decision];

    len = sizeof("{\"decision\":\"\",\"score\":,\"reason\":\"\"}\n") - 1
          + decision->len + NGX_INT_T_LEN + v->message->len * 6
          + sizeof(",\"retry_after\":") - 1 + NGX_TIME_T_LEN;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_sprintf(b->pos, "{\"decision\":\"%V\",\"score\":%i,"
                    "\"reason\":\"", decision, v->score);
    p = ngx_http_cm_escape_json(p, v->message);
    *p++ = '"';

    if (v->retry_after) {
        p = ngx_sprintf(p, ",\"retry_after\":%T", v->retry_after);
    }

    b->last = ngx_cpymem(p, "}\n", 2);

    ngx_str_set(&r->headers_out.content_type, "application/json");

    return b;
}


/* the template with its {{slots}} filled in */

static ngx_buf_t *
ngx_http_cm_answer_html(ngx_http_request_t *r, ngx_http_cm_verdict_t *v)
{
    size_t                           len;
    u_char                          *p;
    ngx_buf_t                       *b;
    ngx_str_t                        slots[NGX_HTTP_CM_NSLOTS], *text;
    ngx_uint_t                       i;
    ngx_http_cm_page_t              *page;
    ngx_http_cm_piece_t             *piece;
    ngx_http_cm_answer_loc_conf_t   *alcf;
    ngx_http_cm_answer_main_conf_t  *amcf;

    alcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_answer_module);
    amcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_answer_module);

    page = alcf->page ? alcf->page : amcf->page;

    if (ngx_http_cm_answer_slots(r, v, slots) != NGX_OK) {
        return NULL;
    }

    piece = page->pieces->elts;
    len = 0;

    for (i = 0; i < page->pieces->nelts; i++) {
        len += piece[i].slot ? slots[piece[i].slot].len : piece[i].text.len;
    }

    b = ngx_create_temp_buf(r->pool, len ? len : 1);
    if (b == NULL) {
        return NULL;
    }

    p = b->pos;

    for (i = 0; i < page->pieces->nelts; i++) {
        text = piece[i].slot ? &slots[piece[i].slot] : &piece[i].text;

        /* an empty slot has no memory at all */

        if (text->len) {
            p = ngx_cpymem(p, text->data, text->len);
        }
    }

    b->last = p;

    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");

    return b;
}


/* what each {{slot}} holds for this answer, escaped for HTML */

static ngx_int_t
ngx_http_cm_answer_slots(ngx_http_request_t *r, ngx_http_cm_verdict_t *v,
    ngx_str_t *slots)
{
    u_char     *p;
    ngx_str_t   path;

    static ngx_str_t  article = ngx_string("Kembali ke artikel");
    static ngx_str_t  home = ngx_string("Kembali ke halaman utama");
    static ngx_str_t  root = ngx_string("/");

    ngx_memzero(slots, NGX_HTTP_CM_NSLOTS * sizeof(ngx_str_t));

    if (ngx_http_cm_html_str(r, &ngx_http_cm_answer_titles[v->decision],
                             &slots[NGX_HTTP_CM_SLOT_TITLE])
        != NGX_OK
        || ngx_http_cm_html_str(r, v->message,
                                &slots[NGX_HTTP_CM_SLOT_MESSAGE])
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* back to where the comment was written, when that is this site */

    if (ngx_http_cm_answer_referer(r, &path) == NGX_OK) {
        slots[NGX_HTTP_CM_SLOT_BACK_LABEL] = article;

        if (ngx_http_cm_html_str(r, &path, &slots[NGX_HTTP_CM_SLOT_BACK])
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (v->decision == NGX_HTTP_CM_REJECT
            && ngx_http_cm_answer_form(r, v, &slots[NGX_HTTP_CM_SLOT_FORM])
               != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else {
        slots[NGX_HTTP_CM_SLOT_BACK_LABEL] = home;
        slots[NGX_HTTP_CM_SLOT_BACK] = root;
    }

    if (v->retry_after
        && ngx_http_cm_answer_retry(r, v->retry_after,
                                    &slots[NGX_HTTP_CM_SLOT_RETRY])
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 2 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (v->retry_after) {
        slots[NGX_HTTP_CM_SLOT_RETRY_AFTER].data = p;
        p = ngx_sprintf(p, "%T", v->retry_after);
        slots[NGX_HTTP_CM_SLOT_RETRY_AFTER].len =
                                 p - slots[NGX_HTTP_CM_SLOT_RETRY_AFTER].data;
    }

    slots[NGX_HTTP_CM_SLOT_SCORE].data = p;
    p = ngx_sprintf(p, "%i", v->score);
    slots[NGX_HTTP_CM_SLOT_SCORE].len = p - slots[NGX_HTTP_CM_SLOT_SCORE].data;

    slots[NGX_HTTP_CM_SLOT_STATUS].data = p;
    p = ngx_sprintf(p, "%ui", v->status);
    slots[NGX_HTTP_CM_SLOT_STATUS].len =
                                      p - slots[NGX_HTTP_CM_SLOT_STATUS].data;

    slots[NGX_HTTP_CM_SLOT_DECISION] = ngx_http_cm_decision_names[v->decision];

    return NGX_OK;
}


/*
 * The path (and query) of the Referer, when it names the host this post
 * came to (the Host header, port included): NGX_OK.  Only the path is
 * kept, so a link made of it stays on this site whatever the Referer
 * says; one a browser could read as another host ("//x", "/\x") is not.
 */

static ngx_int_t
ngx_http_cm_answer_referer(ngx_http_request_t *r, ngx_str_t *path)
{
    u_char     *p, *last, *host;
    ngx_str_t  *referer;

    if (r->headers_in.referer == NULL || r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    referer = &r->headers_in.referer->value;

    p = referer->data;
    last = p + referer->len;

    if (referer->len > sizeof("https://") - 1
        && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
    {
        p += sizeof("https://") - 1;

    } else if (referer->len > sizeof("http://") - 1
               && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
    {
        p += sizeof("http://") - 1;

    } else {
        return NGX_DECLINED;
    }

    host = p;

    while (p < last && *p != '/' && *p != '?' && *p != '#') {
        p++;
    }

    if ((size_t) (p - host) != r->headers_in.host->value.len
        || ngx_strncasecmp(host, r->headers_in.host->value.data, p - host)
           != 0)
    {
        return NGX_DECLINED;
    }

    /* "http://host", "http://host?x": the site's front page */

    if (p == last || *p != '/') {
        ngx_str_set(path, "/");
        return NGX_OK;
    }

    path->data = p;
    path->len = last - p;

    return ngx_http_cm_local_path(path->data, path->len) ? NGX_OK
                                                         : NGX_DECLINED;
}


/* "/..." that no browser reads as another host */

static ngx_uint_t
ngx_http_cm_local_path(u_char *p, size_t len)
{
    if (len == 0 || p[0] != '/'
        || (len > 1 && (p[1] == '/' || p[1] == '\\')))
    {
        return 0;
    }

    return ngx_http_cm_plain(p, len);
}


/*
 * Printable ASCII without a backslash, which browsers read as a slash:
 * what a URL written back may hold, escaped for HTML
 */

static ngx_uint_t
ngx_http_cm_plain(u_char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '\\') {
            return 0;
        }
    }

    return 1;
}


/* when to try again, in the largest unit that says it, rounded up */

static ngx_int_t
ngx_http_cm_answer_retry(ngx_http_request_t *r, time_t retry_after,
    ngx_str_t *out)
{
    time_t       n;
    const char  *unit;

    if (retry_after < 60) {
        n = retry_after;
        unit = "detik";

    } else if (retry_after < 3600) {
        n = (retry_after + 59) / 60;
        unit = "menit";

    } else if (retry_after < 86400) {
        n = (retry_after + 3599) / 3600;
        unit = "jam";

    } else {
        n = (retry_after + 86399) / 86400;
        unit = "hari";
    }

    out->data = ngx_pnalloc(r->pool, 128 + NGX_TIME_T_LEN);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_sprintf(out->data,
                           "<p class=\"retry\" id=\"retry\">Anda dapat "
                           "mengirim komentar lagi dalam <b>%T %s</b>.</p>\n",
                           n, unit)
               - out->data;

    return NGX_OK;
}


/*
 * The form again, to post the same fields to the same place: the longest
 * field (the comment) in a textarea, the field the rules found worst in
 * a text input when it is another one, the rest hidden.  Nothing when the
 * body cannot be given back as it was posted.
 */

static ngx_int_t
ngx_http_cm_answer_form(ngx_http_request_t *r, ngx_http_cm_verdict_t *v,
    ngx_str_t *out)
{
    u_char       *p;
    size_t        i, len, text, name, value;
    ngx_str_t     action;
    ngx_int_t     rc;
    ngx_uint_t    multipart;
    cm_field_t   *f;
    cm_fields_t   fields;

    static u_char  enctype[] = " enctype=\"multipart/form-data\"";

    ngx_memzero(&fields, sizeof(cm_fields_t));

    rc = ngx_http_cm_answer_fields(r, v, &fields, &multipart);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
    }

    rc = ngx_http_cm_answer_action(r, &action);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
    }

    f = fields.elts;
    text = 0;

    for (i = 1; i < fields.nelts; i++) {
        if (f[i].value_len > f[text].value_len) {
            text = i;
        }
    }

    len = sizeof(enctype) + action.len + 512;

    for (i = 0; i < fields.nelts; i++) {
        len += 2 * ngx_http_cm_html_len((u_char *) f[i].name, f[i].name_len)
               + ngx_http_cm_html_len((u_char *) f[i].value, f[i].value_len)
               + 128;
    }

    out->data = ngx_pnalloc(r->pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(out->data,
                    "<form id=\"edit\" method=\"post\" action=\"%V\" "
                    "accept-charset=\"utf-8\"%s>\n"
                    "<p><label for=\"text\">Perbaiki komentar Anda, lalu "
                    "kirim ulang:</label></p>\n",
                    &action, multipart ? enctype : (u_char *) "");

    for (i = 0; i < fields.nelts; i++) {
        name = f[i].name_len;
        value = f[i].value_len;

        if (i == text) {
            p = ngx_cpymem(p, "<p><textarea id=\"text\" rows=\"6\" name=\"",
                   sizeof("<p><textarea id=\"text\" rows=\"6\" name=\"") - 1);
            p = ngx_http_cm_html(p, (u_char *) f[i].name, name);

            /* a browser drops the newline that opens a textarea */
            p = ngx_cpymem(p, "\">\n", 3);
            p = ngx_http_cm_html(p, (u_char *) f[i].value, value);
            p = ngx_cpymem(p, "</textarea></p>\n",
                           sizeof("</textarea></p>\n") - 1);

        } else if (v->field.len == name
                   && ngx_strncmp(v->field.data, f[i].name, name) == 0)
        {
            p = ngx_cpymem(p, "<p><label>", sizeof("<p><label>") - 1);
            p = ngx_http_cm_html(p, (u_char *) f[i].name, name);
            p = ngx_cpymem(p, "<br><input name=\"",
                           sizeof("<br><input name=\"") - 1);
            p = ngx_http_cm_html(p, (u_char *) f[i].name, name);
            p = ngx_cpymem(p, "\" value=\"", sizeof("\" value=\"") - 1);
            p = ngx_http_cm_html(p, (u_char *) f[i].value, value);
            p = ngx_cpymem(p, "\"></label></p>\n",
                           sizeof("\"></label></p>\n") - 1);

        } else {
            p = ngx_cpymem(p, "<input type=\"hidden\" name=\"",
                           sizeof("<input type=\"hidden\" name=\"") - 1);
            p = ngx_http_cm_html(p, (u_char *) f[i].name, name);
            p = ngx_cpymem(p, "\" value=\"", sizeof("\" value=\"") - 1);
            p = ngx_http_cm_html(p, (u_char *) f[i].value, value);
            p = ngx_cpymem(p, "\">\n", 3);
        }
    }

    p = ngx_cpymem(p, "<p><button type=\"submit\">Kirim ulang</button></p>\n"
                   "</form>\n",
                   sizeof("<p><button type=\"submit\">Kirim ulang</button>"
                          "</p>\n</form>\n") - 1);

    out->len = p - out->data;

    return NGX_OK;
}


/*
 * The fields of the post as a browser sent them: a form or multipart
 * body, not compressed, with at most NGX_HTTP_CM_FORM_FIELDS fields and
 * parsed whole.  NGX_DECLINED when there is nothing to give back.
 */

static ngx_int_t
ngx_http_cm_answer_fields(ngx_http_request_t *r, ngx_http_cm_verdict_t *v,
    cm_fields_t *fields, ngx_uint_t *multipart)
{
    int              rc;
    ngx_str_t       *ct;
    cm_alloc_t       a;
    cm_body_type_e   type;
    char             err[CM_ERRLEN];

    if (v->body.len == 0 || r->headers_in.content_type == NULL
        || ngx_http_cm_answer_encoded(r))
    {
        return NGX_DECLINED;
    }

    ct = &r->headers_in.content_type->value;
    type = cm_body_type(ct->data, ct->len);

    if (type != CM_BODY_FORM && type != CM_BODY_MULTIPART) {
        return NGX_DECLINED;
    }

    *multipart = (type == CM_BODY_MULTIPART);

    a.alloc = ngx_http_cm_answer_palloc;
    a.free = NULL;
    a.data = r->pool;

    rc = cm_parse_body(&a, ct->data, ct->len, v->body.data, v->body.len,
                       fields, err, sizeof(err));

    if (rc == CM_ERROR) {
        return NGX_ERROR;
    }

    if (rc != CM_OK || fields->nelts == 0
        || fields->nelts > NGX_HTTP_CM_FORM_FIELDS)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* where the form posts again: this request's path and query, escaped */

static ngx_int_t
ngx_http_cm_answer_action(ngx_http_request_t *r, ngx_str_t *action)
{
    u_char  *p;
    size_t   len;

    len = r->uri.len + 2 * ngx_escape_uri(NULL, r->uri.data, r->uri.len,
                                          NGX_ESCAPE_URI);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_escape_uri(p, r->uri.data, r->uri.len, NGX_ESCAPE_URI);

    if (!ngx_http_cm_local_path(p, len)
        || !ngx_http_cm_plain(r->args.data, r->args.len))
    {
        return NGX_DECLINED;
    }

    action->len = ngx_http_cm_html_len(p, len)
                  + (r->args.len ? 1 + ngx_http_cm_html_len(r->args.data,
                                                            r->args.len)
                                 : 0);

    action->data = ngx_pnalloc(r->pool, action->len);
    if (action->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_http_cm_html(action->data, p, len);

    if (r->args.len) {
        *p++ = '?';
        (void) ngx_http_cm_html(p, r->args.data, r->args.len);
    }

    return NGX_OK;
}


/* whether the body came with a Content-Encoding: not the form as typed */

static ngx_uint_t
ngx_http_cm_answer_encoded(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == sizeof("Content-Encoding") - 1
                && ngx_strncasecmp(h[i].key.data,
                                   (u_char *) "Content-Encoding",
                                   sizeof("Content-Encoding") - 1) == 0)
            {
                return 1;
            }
        }
    }

    return 0;
}


/* the length of text escaped for HTML, in an element or an attribute */

static size_t
ngx_http_cm_html_len(u_char *p, size_t len)
{
    return len + ngx_escape_html(NULL, p, len);
}


static u_char *
ngx_http_cm_html(u_char *dst, u_char *p, size_t len)
{
    return (u_char *) ngx_escape_html(dst, p, len);
}


static ngx_int_t
ngx_http_cm_html_str(ngx_http_request_t *r, ngx_str_t *src, ngx_str_t *dst)
{
    dst->len = ngx_http_cm_html_len(src->data, src->len);

    dst->data = ngx_pnalloc(r->pool, dst->len ? dst->len : 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_http_cm_html(dst->data, src->data, src->len);

    return NGX_OK;
}


/* sends a whole answer in one buffer; the content type is already set */

static ngx_int_t
ngx_http_cm_answer_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* at most 6 bytes out for each byte in */

static u_char *
ngx_http_cm_escape_json(u_char *dst, ngx_str_t *src)
{
    u_char      c, *p, *last;

    static u_char  hex[] = "0123456789abcdef";

    p = src->data;
    last = p + src->len;

    while (p < last) {
        c = *p++;

        if (c == '"' || c == '\\') {
            *dst++ = '\\';
            *dst++ = c;

        } else if (c < 0x20) {
            dst = ngx_cpymem(dst, "\\u00", 4);
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];

        } else {
            *dst++ = c;
        }
    }

    return dst;
}


static void *
ngx_http_cm_answer_palloc(void *data, size_t size)
{
#if (NGX_DEBUG_PALLOC)
    /* a block of its own, so that a sanitizer sees an overrun of it */
    return ngx_pmemalign(data, size, NGX_ALIGNMENT);
#else
    return ngx_palloc(data, size);
#endif
}


/* comment_moderation_template FILE: read once, as the configuration is */

static char *
ngx_http_cm_template(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cm_answer_loc_conf_t *alcf = conf;

    u_char           *p;
    off_t             size;
    ssize_t           n;
    ngx_str_t        *value, path, text;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (alcf->page != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));

    file.name = path;
    file.log = cf->log;

    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &path);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &path);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size == 0 || size > 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "template \"%V\" is empty or over 1 MB", &path);
        goto failed;
    }

    p = ngx_pnalloc(cf->pool, (size_t) size);
    if (p == NULL) {
        goto failed;
    }

    n = ngx_read_file(&file, p, (size_t) size, 0);

    if (n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot read template \"%V\"", &path);
        goto failed;
    }

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", &path);
    }

    text.data = p;
    text.len = (size_t) size;

    alcf->page = ngx_http_cm_page_parse(cf, &text, &path);

    return alcf->page ? NGX_CONF_OK : NGX_CONF_ERROR;

failed:

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", &path);
    }

    return NGX_CONF_ERROR;
}


/*
 * Literal text and {{slot}}s.  An unknown {{name}} is an error, so a typo
 * fails nginx -t instead of showing up on readers' screens.
 */

static ngx_http_cm_page_t *
ngx_http_cm_page_parse(ngx_conf_t *cf, ngx_str_t *text, ngx_str_t *name)
{
    u_char               *p, *last, *open, *close;
    ngx_uint_t            i;
    ngx_http_cm_page_t   *page;
    ngx_http_cm_piece_t  *piece;

    page = ngx_palloc(cf->pool, sizeof(ngx_http_cm_page_t));
    if (page == NULL) {
        return NULL;
    }

    page->pieces = ngx_array_create(cf->pool, 16,
                                    sizeof(ngx_http_cm_piece_t));
    if (page->pieces == NULL) {
        return NULL;
    }

    p = text->data;
    last = p + text->len;

    while (p < last) {
        open = ngx_strlcasestrn(p, last, (u_char *) "{{", 2 - 1);

        if (open != p) {
            piece = ngx_array_push(page->pieces);
            if (piece == NULL) {
                return NULL;
            }

            piece->slot = NGX_HTTP_CM_SLOT_TEXT;
            piece->text.data = p;
            piece->text.len = (open ? open : last) - p;
        }

        if (open == NULL) {
            break;
        }

        close = ngx_strlcasestrn(open + 2, last, (u_char *) "}}", 2 - 1);

        for (i = 1; close && i < NGX_HTTP_CM_NSLOTS; i++) {
            if ((size_t) (close - open - 2) == ngx_http_cm_slot_names[i].len
                && ngx_strncmp(open + 2, ngx_http_cm_slot_names[i].data,
                               ngx_http_cm_slot_names[i].len) == 0)
            {
                break;
            }
        }

        if (close == NULL || i == NGX_HTTP_CM_NSLOTS) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "template \"%V\": unknown placeholder "
                               "\"%*s\" at byte %uz; known: {{title}}, "
                               "{{message}}, {{retry}}, {{retry_after}}, "
                               "{{back}}, {{back_label}}, {{form}}, "
                               "{{decision}}, {{score}}, {{status}}",
                               name, close ? (size_t) (close + 2 - open)
                                           : ngx_min((size_t) (last - open),
                                                     16),
                               open, (size_t) (open - text->data));
            return NULL;
        }

        piece = ngx_array_push(page->pieces);
        if (piece == NULL) {
            return NULL;
        }

        piece->slot = i;
        ngx_str_null(&piece->text);

        p = close + 2;
    }

    return page;
}


static void *
ngx_http_cm_answer_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_answer_main_conf_t));
}


static char *
ngx_http_cm_answer_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_cm_answer_main_conf_t *amcf = conf;

    static ngx_str_t  builtin = ngx_string("built-in page");

    amcf->page = ngx_http_cm_page_parse(cf, &ngx_http_cm_default_page,
                                        &builtin);

    return amcf->page ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static void *
ngx_http_cm_answer_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_cm_answer_loc_conf_t  *alcf;

    alcf = ngx_palloc(cf->pool, sizeof(ngx_http_cm_answer_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->page = NGX_CONF_UNSET_PTR;

    return alcf;
}


static char *
ngx_http_cm_answer_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_cm_answer_loc_conf_t *prev = parent;
    ngx_http_cm_answer_loc_conf_t *conf = child;

    /* NULL: the built-in page */

    ngx_conf_merge_ptr_value(conf->page, prev->page, NULL);

    return NGX_CONF_OK;
}
