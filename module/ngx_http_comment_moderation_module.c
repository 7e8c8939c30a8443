
/*
 * ngx_http_comment_moderation_module: inspects comment submissions against
 * moderator-edited rules and passes, holds or rejects them before they
 * reach the backend.
 *
 * This file is the nginx glue: directives, the pre-access phase handler,
 * body reading and the decision.  What the reader sees is answered by
 * ngx_http_cm_answer.c, and the counters are ngx_http_cm_status.c's.
 * Parsing, normalisation and matching live in engine/, which has no nginx
 * headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "ngx_http_cm_dup.h"
#include "cm_engine.h"


#define NGX_HTTP_CM_ENFORCE     0
#define NGX_HTTP_CM_DETECT      1

/* the bound on an inflated body where client_max_body_size is 0 */
#define NGX_HTTP_CM_MAX_INFLATED  (1024 * 1024)


typedef struct {
    ngx_uint_t                 match_limit;
    cm_scratch_t              *scratch;
    ngx_array_t                rulesets;        /* of cm_ruleset_t * */
} ngx_http_cm_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;
    cm_ruleset_t              *rules;
    ngx_array_t               *fields;          /* of cm_name_t */
    ngx_int_t                  hold;
    ngx_int_t                  reject;
    ngx_uint_t                 mode;
    ngx_uint_t                 undecided;       /* cm_decision_e */
    ngx_uint_t                 reject_status;
    ngx_str_t                  reject_message;
    ngx_http_cm_dup_conf_t    *dup;
} ngx_http_cm_loc_conf_t;


typedef struct {
    ngx_int_t                  status;          /* the phase handler's rc */
    ngx_http_cm_verdict_t      verdict;
    ngx_uint_t                 usec;            /* spent inspecting */
    ngx_str_t                  tags;            /* "gambling,link" */
    ngx_str_t                 *tag_list;        /* the same, each once */
    ngx_uint_t                 ntags;

    /* kept while Redis counts the duplicates */
    cm_fields_t                fields;
    cm_result_t                res;
    ngx_uint_t                 failed;          /* the engine failed */
    ngx_http_cm_dup_t         *dup;

    unsigned                   decided:1;
    unsigned                   inspected:1;     /* by the engine */
} ngx_http_cm_ctx_t;


typedef enum {
    NGX_HTTP_CM_VAR_DECISION = 0,
    NGX_HTTP_CM_VAR_SCORE,
    NGX_HTTP_CM_VAR_RULES,
    NGX_HTTP_CM_VAR_TAGS,
    NGX_HTTP_CM_VAR_TIME
} ngx_http_cm_var_e;


static ngx_int_t ngx_http_cm_handler(ngx_http_request_t *r);
static ngx_http_cm_ctx_t *ngx_http_cm_create_ctx(ngx_http_request_t *r);
static ngx_http_cm_ctx_t *ngx_http_cm_get_ctx(ngx_http_request_t *r);
static void ngx_http_cm_cleanup_ctx(void *data);
static void ngx_http_cm_body_handler(ngx_http_request_t *r);
static void ngx_http_cm_dup_resume(ngx_http_request_t *r);
static void ngx_http_cm_finish(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx,
    ngx_int_t rc);
static ngx_int_t ngx_http_cm_inspect(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx);
static ngx_int_t ngx_http_cm_conclude(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx);
static ngx_int_t ngx_http_cm_read_body(ngx_http_request_t *r, u_char **body,
    size_t *len);
static ngx_int_t ngx_http_cm_fields(ngx_http_request_t *r,
    const cm_alloc_t *a, u_char *body, size_t len, cm_fields_t *fields);
static ngx_int_t ngx_http_cm_content_encoding(ngx_http_request_t *r,
    cm_body_t *b);
static cm_decision_e ngx_http_cm_decide(ngx_http_request_t *r,
    cm_result_t *res, ngx_uint_t failed);
static ngx_int_t ngx_http_cm_record(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx, cm_fields_t *fields, cm_result_t *res,
    cm_decision_e decision);
static ngx_int_t ngx_http_cm_record_tags(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx, cm_result_t *res);
static void ngx_http_cm_count_result(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx, cm_result_t *res, ngx_uint_t failed,
    cm_decision_e decision);
static ngx_uint_t ngx_http_cm_usec(void);
static ngx_int_t ngx_http_cm_log(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v, cm_result_t *res, ngx_uint_t failed);
static u_char *ngx_http_cm_ids(u_char *p, unsigned *ids, size_t n);
static ngx_int_t ngx_http_cm_reject(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx);
static void *ngx_http_cm_palloc(void *data, size_t size);

static ngx_int_t ngx_http_cm_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static char *ngx_http_cm_rules(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cm_fields_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_cm_cleanup_rules(void *data);
static void ngx_http_cm_cleanup_scratch(void *data);
static ngx_int_t ngx_http_cm_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_cm_count_tags_of(ngx_conf_t *cf);
static void *ngx_http_cm_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_cm_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_cm_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_cm_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_cm_init(ngx_conf_t *cf);


static ngx_conf_enum_t  ngx_http_cm_modes[] = {
    { ngx_string("enforce"), NGX_HTTP_CM_ENFORCE },
    { ngx_string("detect"), NGX_HTTP_CM_DETECT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_cm_undecided[] = {
    { ngx_string("pass"), CM_PASS },
    { ngx_string("hold"), CM_HOLD },
    { ngx_string("reject"), CM_REJECT },
    { ngx_null_string, 0 }
};


static ngx_conf_num_bounds_t  ngx_http_cm_status_bounds = {
    ngx_conf_check_num_bounds, 400, 599
};


static ngx_command_t  ngx_http_cm_commands[] = {

    { ngx_string("comment_moderation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, enable),
      NULL },

    { ngx_string("comment_moderation_rules"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cm_rules,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("comment_moderation_fields"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_cm_fields_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("comment_moderation_hold"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, hold),
      NULL },

    { ngx_string("comment_moderation_reject"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, reject),
      NULL },

    { ngx_string("comment_moderation_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, mode),
      &ngx_http_cm_modes },

    { ngx_string("comment_moderation_undecided"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, undecided),
      &ngx_http_cm_undecided },

    { ngx_string("comment_moderation_reject_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, reject_status),
      &ngx_http_cm_status_bounds },

    { ngx_string("comment_moderation_reject_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, reject_message),
      NULL },

    { ngx_string("comment_moderation_duplicates"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_cm_dup_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_loc_conf_t, dup),
      NULL },

    { ngx_string("comment_moderation_match_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cm_main_conf_t, match_limit),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_cm_module_ctx = {
    ngx_http_cm_add_variables,             /* preconfiguration */
    ngx_http_cm_init,                      /* postconfiguration */

    ngx_http_cm_create_main_conf,          /* create main configuration */
    ngx_http_cm_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_cm_create_loc_conf,           /* create location configuration */
    ngx_http_cm_merge_loc_conf             /* merge location configuration */
};


ngx_module_t  ngx_http_comment_moderation_module = {
    NGX_MODULE_V1,
    &ngx_http_cm_module_ctx,               /* module context */
    ngx_http_cm_commands,                  /* module directives */
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


static ngx_http_variable_t  ngx_http_cm_vars[] = {

    { ngx_string("comment_moderation_decision"), NULL,
      ngx_http_cm_variable, NGX_HTTP_CM_VAR_DECISION,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("comment_moderation_score"), NULL,
      ngx_http_cm_variable, NGX_HTTP_CM_VAR_SCORE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("comment_moderation_rules"), NULL,
      ngx_http_cm_variable, NGX_HTTP_CM_VAR_RULES,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("comment_moderation_tags"), NULL,
      ngx_http_cm_variable, NGX_HTTP_CM_VAR_TAGS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("comment_moderation_time"), NULL,
      ngx_http_cm_variable, NGX_HTTP_CM_VAR_TIME,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


#define NGX_HTTP_CM_DEFAULT_MESSAGE                                          \
    "Komentar Anda tidak dapat dimuat karena melanggar pedoman komunitas "   \
    "kami. Silakan perbaiki lalu kirim ulang."

ngx_str_t  ngx_http_cm_decision_names[NGX_HTTP_CM_NDECISIONS] = {
    ngx_string("pass"),
    ngx_string("hold"),
    ngx_string("reject"),
    ngx_string("limit")
};


static ngx_int_t
ngx_http_cm_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_cm_ctx_t       *ctx;
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    if (!lcf->enable || r != r->main || r->method != NGX_HTTP_POST) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_cm_get_ctx(r);

    if (ctx) {
        return ctx->status;
    }

    ctx = ngx_http_cm_create_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->status = NGX_DONE;

    rc = ngx_http_read_client_request_body(r, ngx_http_cm_body_handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* balances the count taken by reading the body, as the mirror does */

    ngx_http_finalize_request(r, NGX_DONE);
    return NGX_DONE;
}


void *
ngx_http_cm_ctx_create(ngx_http_request_t *r, ngx_module_t *module,
    size_t size, ngx_pool_cleanup_pt handler)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, size);
    if (cln == NULL) {
        return NULL;
    }

    ngx_memzero(cln->data, size);
    cln->handler = handler;

    r->ctx[module->ctx_index] = cln->data;

    return cln->data;
}


void *
ngx_http_cm_ctx_get(ngx_http_request_t *r, ngx_module_t *module,
    ngx_pool_cleanup_pt handler)
{
    void                *ctx;
    ngx_pool_cleanup_t  *cln;

    ctx = r->ctx[module->ctx_index];

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == handler) {
                ctx = cln->data;
                r->ctx[module->ctx_index] = ctx;
                break;
            }
        }
    }

    return ctx;
}


/*
 * The decision must survive an internal redirect (error_page after a
 * reject), for the variables and so that the comment is not inspected
 * twice.
 */

static ngx_http_cm_ctx_t *
ngx_http_cm_create_ctx(ngx_http_request_t *r)
{
    return ngx_http_cm_ctx_create(r, &ngx_http_comment_moderation_module,
                                  sizeof(ngx_http_cm_ctx_t),
                                  ngx_http_cm_cleanup_ctx);
}


static ngx_http_cm_ctx_t *
ngx_http_cm_get_ctx(ngx_http_request_t *r)
{
    return ngx_http_cm_ctx_get(r, &ngx_http_comment_moderation_module,
                               ngx_http_cm_cleanup_ctx);
}


static void
ngx_http_cm_cleanup_ctx(void *data)
{
    /* only a marker for ngx_http_cm_get_ctx() */
}


static void
ngx_http_cm_body_handler(ngx_http_request_t *r)
{
    ngx_int_t           rc;
    ngx_http_cm_ctx_t  *ctx;

    ctx = ngx_http_cm_get_ctx(r);

    rc = ngx_http_cm_inspect(r, ctx);

    if (rc == NGX_AGAIN) {
        /* Redis counts the duplicates; ngx_http_cm_dup_resume() goes on */
        return;
    }

    ngx_http_cm_finish(r, ctx, rc);
}


static void
ngx_http_cm_dup_resume(ngx_http_request_t *r)
{
    ngx_http_cm_ctx_t  *ctx;

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;

    ctx = ngx_http_cm_get_ctx(r);

    ngx_http_cm_finish(r, ctx, ngx_http_cm_conclude(r, ctx));
}


static void
ngx_http_cm_finish(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx,
    ngx_int_t rc)
{
    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_ERRORS, 1);
    }

    /* decided: a later pass through the phases, if any, goes on */

    ctx->status = NGX_DECLINED;

    if (rc == NGX_DECLINED) {
        r->write_event_handler = ngx_http_core_run_phases;
        ngx_http_core_run_phases(r);
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * Returns NGX_DECLINED to let the request go on to the backend, NGX_AGAIN
 * while Redis counts the duplicates, or what ngx_http_finalize_request()
 * is to be called with.
 */

static ngx_int_t
ngx_http_cm_inspect(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx)
{
    size_t                    len;
    u_char                   *body;
    ngx_uint_t                start;
    cm_alloc_t                a;
    ngx_int_t                 rc;
    ngx_http_cm_loc_conf_t   *lcf;
    ngx_http_cm_main_conf_t  *mcf;
    u_char                    err[CM_ERRLEN];

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_comment_moderation_module);

    /*
     * No free: the pool releases it all with the request.  ngx_pfree()
     * searches the pool's list of large blocks, which made each free cost
     * as much as the fields before it: quadratic in fields over ~1 KB, and
     * in every field with NGX_DEBUG_PALLOC.
     */

    a.alloc = ngx_http_cm_palloc;
    a.free = NULL;
    a.data = r->pool;

    if (ngx_http_cm_read_body(r, &body, &len) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* kept for the answer, which may give a rejected text back */

    ctx->verdict.body.data = body;
    ctx->verdict.body.len = len;

    /*
     * The engine's time: parsing, normalising and matching, not reading
     * the body, nor waiting for Redis to count the duplicates.
     */

    start = ngx_http_cm_usec();

    rc = ngx_http_cm_fields(r, &a, body, len, &ctx->fields);

    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    rc = cm_match(lcf->rules, mcf->scratch, &a, ctx->fields.elts,
                  ctx->fields.nelts, &ctx->res, (char *) err, sizeof(err));

    ctx->usec = ngx_http_cm_usec() - start;
    ctx->inspected = 1;

    if (rc != CM_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "comment moderation: %s", err);

        /* "comment_moderation_undecided pass": answered 500, as before */

        if (lcf->undecided == CM_PASS) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* cm_match() left no result: the score is 0 */

        ngx_memzero(&ctx->res, sizeof(cm_result_t));
        ctx->failed = 1;
    }

    if (lcf->dup) {
        rc = ngx_http_cm_dup_start(r, lcf->dup, &a, &ctx->fields,
                                   ngx_http_cm_dup_resume, &ctx->dup);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }
    }

    return ngx_http_cm_conclude(r, ctx);
}


/*
 * The decision, from the rules and the copies Redis counted: as
 * ngx_http_cm_inspect() returns.
 */

static ngx_int_t
ngx_http_cm_conclude(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx)
{
    ngx_int_t                rc;
    cm_decision_e            decision;
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    rc = NGX_OK;

    if (ctx->dup) {
        rc = ngx_http_cm_dup_result(r, lcf->dup, ctx->dup, &ctx->fields,
                                    &ctx->res);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    decision = ngx_http_cm_decide(r, &ctx->res, ctx->failed);

    /* failure closed: a post that would go on uncounted does not */

    if (rc == NGX_HTTP_SERVICE_UNAVAILABLE
        && !(decision == CM_REJECT && lcf->mode == NGX_HTTP_CM_ENFORCE))
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_http_cm_record(r, ctx, &ctx->fields, &ctx->res, decision)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_cm_count_result(r, ctx, &ctx->res, ctx->failed, decision);

    if (ngx_http_cm_log(r, &ctx->verdict, &ctx->res, ctx->failed) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (decision == CM_REJECT) {
        ngx_http_cm_penalty_rejected(r);
    }

    if (decision == CM_REJECT && lcf->mode == NGX_HTTP_CM_ENFORCE) {
        return ngx_http_cm_reject(r, ctx);
    }

    return NGX_DECLINED;
}


/*
 * The whole body in one buffer from r->pool, whether nginx kept it in
 * memory buffers, in a temp file, or both.  The chain itself is left as
 * it is, so the backend gets exactly what the client sent.
 */

static ngx_int_t
ngx_http_cm_read_body(ngx_http_request_t *r, u_char **body, size_t *len)
{
    off_t         size;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    *body = NULL;
    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size == 0) {
        return NGX_OK;
    }

    /* the engine's input: allocated as its memory is, see below */

    p = ngx_http_cm_palloc(r->pool, (size_t) size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *body = p;
    *len = (size_t) size;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            /* the empty last buffer of a chunked body has no memory */

            if (b->last != b->pos) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }

            continue;
        }

        size = b->file_last - b->file_pos;

        n = ngx_read_file(b->file, p, (size_t) size, b->file_pos);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (n != size) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "comment moderation: read only %z of %O bytes "
                          "from \"%V\"", n, size, &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    return NGX_OK;
}


/*
 * The fields to inspect, as the engine makes them from the body, its
 * headers and the query string.  NGX_OK, NGX_ERROR, or the status to
 * answer: 413 for a body that inflates past client_max_body_size, 415 for
 * a Content-Encoding the engine does not inflate.
 */

static ngx_int_t
ngx_http_cm_fields(ngx_http_request_t *r, const cm_alloc_t *a, u_char *body,
    size_t len, cm_fields_t *fields)
{
    int                        rc;
    cm_body_t                  b;
    ngx_str_t                 *ct;
    ngx_http_cm_loc_conf_t    *lcf;
    ngx_http_core_loc_conf_t  *clcf;
    u_char                     err[CM_ERRLEN];

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_memzero(&b, sizeof(cm_body_t));

    ct = r->headers_in.content_type ? &r->headers_in.content_type->value
                                    : NULL;
    if (ct) {
        b.content_type = ct->data;
        b.content_type_len = ct->len;
    }

    if (ngx_http_cm_content_encoding(r, &b) != NGX_OK) {
        return NGX_ERROR;
    }

    b.query = r->args.data;
    b.query_len = r->args.len;

    if (lcf->fields) {
        b.filter = lcf->fields->elts;
        b.nfilter = lcf->fields->nelts;
    }

    /* an inflated body is bounded as a plain one is; "0" is no bound */

    b.max_size = clcf->client_max_body_size
                 ? (size_t) clcf->client_max_body_size
                 : NGX_HTTP_CM_MAX_INFLATED;

    rc = cm_body_fields(a, &b, body, len, fields, (char *) err, sizeof(err));

    switch (rc) {

    case CM_OK:
        return NGX_OK;

    case CM_DECLINED:
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "comment moderation: malformed body (%s), "
                      "inspecting it raw", err);

        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_MALFORMED, 1);

        return NGX_OK;

    case CM_TOO_LARGE:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "comment moderation: %s, client_max_body_size is %O",
                      err, clcf->client_max_body_size);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;

    case CM_UNSUPPORTED:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "comment moderation: %s", err);
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "comment moderation: cannot parse the body: %s", err);
        return NGX_ERROR;
    }
}


/* the request's Content-Encoding headers, as one list */

static ngx_int_t
ngx_http_cm_content_encoding(ngx_http_request_t *r, cm_body_t *b)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *last;

    static ngx_str_t  name = ngx_string("Content-Encoding");

    len = 0;
    n = 0;
    last = NULL;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == name.len
                && ngx_strncasecmp(h[i].key.data, name.data, name.len) == 0)
            {
                len += h[i].value.len + 1;
                last = &h[i];
                n++;
            }
        }
    }

    if (n == 0) {
        return NGX_OK;
    }

    if (n == 1) {
        b->content_encoding = last->value.data;
        b->content_encoding_len = last->value.len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b->content_encoding = p;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == name.len
                && ngx_strncasecmp(h[i].key.data, name.data, name.len) == 0)
            {
                p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
                *p++ = ',';
            }
        }
    }

    b->content_encoding_len = p - b->content_encoding;

    return NGX_OK;
}


/*
 * The score's decision, made stricter when the engine could not decide
 * everything: a rule stopped by the match limit might have matched.
 */

static cm_decision_e
ngx_http_cm_decide(ngx_http_request_t *r, cm_result_t *res,
    ngx_uint_t failed)
{
    cm_decision_e            decision;
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    decision = cm_decide(res, (int) lcf->hold, (int) lcf->reject);

    if ((failed || res->nlimited)
        && decision < (cm_decision_e) lcf->undecided)
    {
        decision = (cm_decision_e) lcf->undecided;
    }

    return decision;
}


/* the verdict, for the variables, the answer and the log */

static ngx_int_t
ngx_http_cm_record(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx,
    cm_fields_t *fields, cm_result_t *res, cm_decision_e decision)
{
    u_char                  *p;
    size_t                   i;
    cm_hit_t                *top;
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    p = ngx_pnalloc(r->pool, res->nhits * (NGX_INT_T_LEN + 1) + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->verdict.rules.data = p;
    top = NULL;

    for (i = 0; i < res->nhits; i++) {
        p = ngx_sprintf(p, i ? ",%ui" : "%ui", (ngx_uint_t) res->hits[i].id);

        if (top == NULL || res->hits[i].score > top->score) {
            top = &res->hits[i];
        }
    }

    ctx->verdict.rules.len = p - ctx->verdict.rules.data;

    if (top) {
        ctx->verdict.field.data = (u_char *) fields->elts[top->field].name;
        ctx->verdict.field.len = fields->elts[top->field].name_len;
    }

    ctx->verdict.decision = (ngx_http_cm_decision_e) decision;
    ctx->verdict.score = res->score;
    ctx->verdict.status = lcf->reject_status;
    ctx->verdict.message = &lcf->reject_message;
    ctx->decided = 1;

    return ngx_http_cm_record_tags(r, ctx, res);
}


/* the tags of the rules that matched, each once, in rule order */

static ngx_int_t
ngx_http_cm_record_tags(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx,
    cm_result_t *res)
{
    u_char      *p;
    size_t       i, len;
    ngx_str_t   *tag;
    ngx_uint_t   j;

    len = 0;

    for (i = 0; i < res->nhits; i++) {
        len += ngx_strlen(res->hits[i].tag) + 1;
    }

    if (len == 0) {
        return NGX_OK;
    }

    tag = ngx_palloc(r->pool, res->nhits * sizeof(ngx_str_t));
    if (tag == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->tag_list = tag;
    ctx->tags.data = p;

    for (i = 0; i < res->nhits; i++) {
        tag[ctx->ntags].data = (u_char *) res->hits[i].tag;
        tag[ctx->ntags].len = ngx_strlen(res->hits[i].tag);

        if (tag[ctx->ntags].len == 0) {
            continue;
        }

        for (j = 0; j < ctx->ntags; j++) {
            if (tag[j].len == tag[ctx->ntags].len
                && ngx_strncmp(tag[j].data, tag[ctx->ntags].data, tag[j].len)
                   == 0)
            {
                break;
            }
        }

        if (j < ctx->ntags) {
            continue;
        }

        if (ctx->ntags) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, tag[ctx->ntags].data, tag[ctx->ntags].len);
        ctx->ntags++;
    }

    ctx->tags.len = p - ctx->tags.data;

    return NGX_OK;
}


static void
ngx_http_cm_count_result(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx,
    cm_result_t *res, ngx_uint_t failed, cm_decision_e decision)
{
    size_t                   i;
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    ngx_http_cm_count_decision(r, (ngx_http_cm_decision_e) decision);
    ngx_http_cm_count(r, NGX_HTTP_CM_STAT_MATCH_LIMIT, res->nlimited);

    if (failed || res->nlimited) {
        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_UNDECIDED, 1);
    }

    if (decision == CM_REJECT && lcf->mode == NGX_HTTP_CM_DETECT) {
        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_DETECT_ONLY, 1);
    }

    for (i = 0; i < res->nhits; i++) {
        ngx_http_cm_count_rule(r, res->hits[i].id);
    }

    ngx_http_cm_count_tags(r, ctx->tag_list, ctx->ntags,
                           (ngx_http_cm_decision_e) decision);
    ngx_http_cm_count_time(r, ctx->usec);
}


/* a monotonic clock in microseconds: ngx_current_msec counts in ms */

static ngx_uint_t
ngx_http_cm_usec(void)
{
#if (NGX_HAVE_CLOCK_MONOTONIC)
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (ngx_uint_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
#else
    struct timeval   tv;

    ngx_gettimeofday(&tv);

    return (ngx_uint_t) tv.tv_sec * 1000000 + tv.tv_usec;
#endif
}


/* the decision's line, and a warning when it was not wholly decided */

static ngx_int_t
ngx_http_cm_log(ngx_http_request_t *r, ngx_http_cm_verdict_t *v,
    cm_result_t *res, ngx_uint_t failed)
{
    u_char                  *p;
    ngx_str_t                undecided, *decision, *least;
    cm_decision_e            scored;
    ngx_http_cm_loc_conf_t  *lcf;

    static ngx_str_t         none = ngx_string("-");
    static ngx_str_t         error = ngx_string("error");

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    decision = &ngx_http_cm_decision_names[v->decision];
    least = &ngx_http_cm_decision_names[lcf->undecided];

    p = ngx_pnalloc(r->pool, res->nlimited * (NGX_INT_T_LEN + 1) + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    undecided.data = p;
    undecided.len = ngx_http_cm_ids(p, res->limited, res->nlimited) - p;

    if (res->nlimited) {
        scored = cm_decide(res, (int) lcf->hold, (int) lcf->reject);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "comment moderation: undecided: rules=%V hit the "
                      "PCRE2 match limit; the score gives %V, decision %V "
                      "(comment_moderation_undecided %V)",
                      &undecided, &ngx_http_cm_decision_names[scored],
                      decision, least);

    } else if (failed) {
        undecided = error;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "comment moderation: undecided: the engine could not "
                      "inspect the comment; decision %V "
                      "(comment_moderation_undecided %V)",
                      decision, least);

    } else {
        undecided = none;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "comment moderation: decision=%V score=%i rules=%V "
                  "field=%V mode=%s undecided=%V",
                  decision, v->score, v->rules.len ? &v->rules : &none,
                  v->field.len ? &v->field : &none,
                  lcf->mode == NGX_HTTP_CM_ENFORCE ? "enforce" : "detect",
                  &undecided);

    return NGX_OK;
}


/* rule ids, comma-separated */

static u_char *
ngx_http_cm_ids(u_char *p, unsigned *ids, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        p = ngx_sprintf(p, i ? ",%ui" : "%ui", (ngx_uint_t) ids[i]);
    }

    return p;
}


static ngx_int_t
ngx_http_cm_reject(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx)
{
    return ngx_http_cm_answer(r, &ctx->verdict);
}


ngx_flag_t
ngx_http_cm_enabled(ngx_http_request_t *r)
{
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    return lcf->enable;
}


ngx_flag_t
ngx_http_cm_detect(ngx_http_request_t *r)
{
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    return lcf->mode == NGX_HTTP_CM_DETECT;
}


ngx_int_t
ngx_http_cm_verdict(ngx_http_request_t *r, ngx_http_cm_verdict_t *v)
{
    ngx_http_cm_ctx_t  *ctx;

    ctx = ngx_http_cm_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_cm_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* decided: the content rules are not to run for this request */

    ctx->status = NGX_DECLINED;
    ctx->verdict = *v;
    ctx->decided = 1;

    ngx_http_cm_count_decision(r, v->decision);

    if (v->decision < NGX_HTTP_CM_REJECT) {
        return NGX_DECLINED;
    }

    return ngx_http_cm_answer(r, &ctx->verdict);
}


static void *
ngx_http_cm_palloc(void *data, size_t size)
{
#if (NGX_DEBUG_PALLOC)
    /* a block of its own, so that a sanitizer sees an overrun of it */
    return ngx_pmemalign(data, size, NGX_ALIGNMENT);
#else
    return ngx_palloc(data, size);
#endif
}


static ngx_int_t
ngx_http_cm_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char             *p;
    ngx_http_cm_ctx_t  *ctx;

    ctx = ngx_http_cm_get_ctx(r->main);

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->len = 0;
    v->data = (u_char *) "";

    if (ctx == NULL || !ctx->decided) {
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_CM_VAR_DECISION:
        v->len = ngx_http_cm_decision_names[ctx->verdict.decision].len;
        v->data = ngx_http_cm_decision_names[ctx->verdict.decision].data;
        break;

    case NGX_HTTP_CM_VAR_SCORE:
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(p, "%i", ctx->verdict.score) - p;
        v->data = p;
        break;

    case NGX_HTTP_CM_VAR_RULES:
        v->len = ctx->verdict.rules.len;
        v->data = ctx->verdict.rules.data;
        break;

    case NGX_HTTP_CM_VAR_TAGS:
        v->len = ctx->tags.len;
        v->data = ctx->tags.data;
        break;

    default: /* NGX_HTTP_CM_VAR_TIME */

        /* milliseconds, as $request_time's seconds: a limit has none */

        if (!ctx->inspected) {
            break;
        }

        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN + 4);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(p, "%ui.%03ui", ctx->usec / 1000,
                             ctx->usec % 1000)
                 - p;
        v->data = p;
        break;
    }

    return NGX_OK;
}


static char *
ngx_http_cm_rules(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cm_loc_conf_t *lcf = conf;

    ngx_str_t                *value, path;
    cm_ruleset_t            **rs;
    ngx_pool_cleanup_t       *cln;
    ngx_http_cm_main_conf_t  *mcf;
    u_char                    err[CM_ERRLEN];

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (lcf->rules == NULL) {
        lcf->rules = cm_ruleset_create(&cm_alloc_malloc);
        if (lcf->rules == NULL) {
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            cm_ruleset_free(lcf->rules);
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_cm_cleanup_rules;
        cln->data = lcf->rules;

        /* for the status page, which counts the tags of every rule set */

        mcf = ngx_http_conf_get_module_main_conf(cf,
                                           ngx_http_comment_moderation_module);

        rs = ngx_array_push(&mcf->rulesets);
        if (rs == NULL) {
            return NGX_CONF_ERROR;
        }

        *rs = lcf->rules;
    }

    /* ngx_conf_full_name() leaves the path NUL-terminated */

    if (cm_ruleset_add_file(lcf->rules, (char *) path.data, (char *) err,
                            sizeof(err))
        != CM_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_cm_fields_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cm_loc_conf_t *lcf = conf;

    cm_name_t   *name;
    ngx_str_t   *value;
    ngx_uint_t   i;

    /* the directive may repeat: the names add up */

    if (lcf->fields == NGX_CONF_UNSET_PTR) {
        lcf->fields = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(cm_name_t));
        if (lcf->fields == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        name = ngx_array_push(lcf->fields);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        name->data = value[i].data;
        name->len = value[i].len;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_cm_cleanup_rules(void *data)
{
    cm_ruleset_free(data);
}


static void
ngx_http_cm_cleanup_scratch(void *data)
{
    cm_scratch_free(data);
}


static ngx_int_t
ngx_http_cm_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_cm_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_cm_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_cm_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->match_limit = NGX_CONF_UNSET_UINT;

    if (ngx_array_init(&mcf->rulesets, cf->pool, 4, sizeof(cm_ruleset_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static char *
ngx_http_cm_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_cm_main_conf_t *mcf = conf;

    ngx_pool_cleanup_t  *cln;

    ngx_conf_init_uint_value(mcf->match_limit, 100000);

    /* made in the master and copied into each worker by fork() */

    mcf->scratch = cm_scratch_create(&cm_alloc_malloc,
                                     (uint32_t) mcf->match_limit, 0);
    if (mcf->scratch == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "comment moderation: cannot allocate PCRE2 "
                           "match data");
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        cm_scratch_free(mcf->scratch);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_cm_cleanup_scratch;
    cln->data = mcf->scratch;

    return NGX_CONF_OK;
}


static void *
ngx_http_cm_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_cm_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->rules = NULL;
     *     lcf->reject_message = { 0, NULL };
     */

    lcf->enable = NGX_CONF_UNSET;
    lcf->fields = NGX_CONF_UNSET_PTR;
    lcf->hold = NGX_CONF_UNSET;
    lcf->reject = NGX_CONF_UNSET;
    lcf->mode = NGX_CONF_UNSET_UINT;
    lcf->undecided = NGX_CONF_UNSET_UINT;
    lcf->reject_status = NGX_CONF_UNSET_UINT;
    lcf->dup = NGX_CONF_UNSET_PTR;

    return lcf;
}


static char *
ngx_http_cm_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_cm_loc_conf_t *prev = parent;
    ngx_http_cm_loc_conf_t *conf = child;

    u_char  err[CM_ERRLEN];

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_ptr_value(conf->fields, prev->fields, NULL);
    ngx_conf_merge_value(conf->hold, prev->hold, 5);
    ngx_conf_merge_value(conf->reject, prev->reject, 10);
    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_CM_ENFORCE);
    ngx_conf_merge_uint_value(conf->undecided, prev->undecided, CM_HOLD);
    ngx_conf_merge_uint_value(conf->reject_status, prev->reject_status,
                              NGX_HTTP_FORBIDDEN);
    ngx_conf_merge_str_value(conf->reject_message, prev->reject_message,
                             NGX_HTTP_CM_DEFAULT_MESSAGE);

    if (conf->rules == NULL) {
        conf->rules = prev->rules;
    }

    if (conf->rules && cm_ruleset_compile(conf->rules, (char *) err,
                                          sizeof(err))
                       != CM_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_CONF_ERROR;
    }

    if (conf->enable && conf->rules == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"comment_moderation\" is on "
                           "but no \"comment_moderation_rules\" are set");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->dup, prev->dup, NULL);

    if (conf->dup && conf->enable
        && ngx_http_cm_dup_check(cf, conf->dup, conf->rules) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cm_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_cm_handler;

    return ngx_http_cm_count_tags_of(cf);
}


/* every tag of every rule set, all loaded by now, for the status page */

static ngx_int_t
ngx_http_cm_count_tags_of(ngx_conf_t *cf)
{
    size_t                    i, n;
    ngx_str_t                 tag;
    ngx_uint_t                k;
    cm_ruleset_t            **rs;
    cm_rule_info_t            info;
    ngx_http_cm_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                           ngx_http_comment_moderation_module);
    rs = mcf->rulesets.elts;

    for (k = 0; k < mcf->rulesets.nelts; k++) {
        n = cm_ruleset_nrules(rs[k]);

        for (i = 0; i < n; i++) {
            if (cm_ruleset_rule(rs[k], i, &info) != CM_OK
                || info.tag[0] == '\0')
            {
                continue;
            }

            tag.data = (u_char *) info.tag;
            tag.len = ngx_strlen(info.tag);

            if (ngx_http_cm_status_tag(cf, &tag) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}
