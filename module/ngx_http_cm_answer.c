
/*
 * The answers to a refused comment (rejected by the rules, or limited):
 * what the reader sees.  A verdict comes in; a JSON object or an HTML
 * page goes out, or the location's own error_page.  Nothing here decides
 * or counts.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "cm_engine.h"


static ngx_int_t ngx_http_cm_answer_retry_after(ngx_http_request_t *r,
    time_t retry_after);
static ngx_uint_t ngx_http_cm_error_page(ngx_http_request_t *r,
    ngx_uint_t status);
static ngx_uint_t ngx_http_cm_wants_json(ngx_http_request_t *r);
static ngx_buf_t *ngx_http_cm_answer_json(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v);
static ngx_buf_t *ngx_http_cm_answer_html(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v);
static ngx_int_t ngx_http_cm_answer_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b);
static u_char *ngx_http_cm_escape_json(u_char *dst, ngx_str_t *src);


static ngx_str_t  ngx_http_cm_answer_titles[NGX_HTTP_CM_NDECISIONS] = {
    ngx_null_string,
    ngx_null_string,
    ngx_string("Komentar ditolak"),
    ngx_string("Terlalu banyak komentar")
};


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


static ngx_buf_t *
ngx_http_cm_answer_html(ngx_http_request_t *r, ngx_http_cm_verdict_t *v)
{
    size_t      len;
    u_char     *p;
    ngx_buf_t  *b;
    ngx_str_t  *title, *message;

    title = &ngx_http_cm_answer_titles[v->decision];
    message = v->message;

    len = sizeof("<!DOCTYPE html>\n<html lang=\"id\"><head>"
                 "<meta charset=\"utf-8\"><title></title></head>\n"
                 "<body><h1></h1>\n<p></p></body></html>\n") - 1
          + title->len * 2
          + message->len + ngx_escape_html(NULL, message->data, message->len);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_sprintf(b->pos, "<!DOCTYPE html>\n<html lang=\"id\"><head>"
                    "<meta charset=\"utf-8\"><title>%V</title></head>\n"
                    "<body><h1>%V</h1>\n<p>", title, title);
    p = (u_char *) ngx_escape_html(p, message->data, message->len);
    b->last = ngx_cpymem(p, "</p></body></html>\n",
                         sizeof("</p></body></html>\n") - 1);

    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");

    return b;
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
