
/*
 * ngx_http_comment_moderation_module: inspects comment submissions against
 * moderator-edited rules and passes, holds or rejects them before they
 * reach the backend.
 *
 * This file is the nginx glue: directives, the pre-access phase handler,
 * body reading and the answers.  Parsing, normalisation and matching live
 * in engine/, which has no nginx headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "ngx_http_cm_dup.h"
#include "cm_engine.h"


#define NGX_HTTP_CM_ENFORCE     0
#define NGX_HTTP_CM_DETECT      1

#define NGX_HTTP_CM_RULE_SLOTS  4096
#define NGX_HTTP_CM_RULE_PROBES 64

/* the bound on an inflated body where client_max_body_size is 0 */
#define NGX_HTTP_CM_MAX_INFLATED  (1024 * 1024)


/*
 * Counters shared by all workers, kept across reloads.  Rule ids go into
 * an open-addressing table that is claimed slot by slot with CAS.
 */

typedef struct {
    ngx_atomic_t               id;
    ngx_atomic_t               hits;
} ngx_http_cm_rule_stat_t;

typedef struct {
    ngx_atomic_t               decisions[NGX_HTTP_CM_NDECISIONS];
    ngx_atomic_t               detect_only;
    ngx_atomic_t               malformed;
    ngx_atomic_t               match_limit;
    ngx_atomic_t               errors;
    ngx_atomic_t               undecided;
    ngx_atomic_t               redis_failures;
    ngx_atomic_t               rules_untracked;
    ngx_http_cm_rule_stat_t    rules[NGX_HTTP_CM_RULE_SLOTS];
} ngx_http_cm_stats_t;


typedef struct {
    ngx_uint_t                 match_limit;
    cm_scratch_t              *scratch;
    ngx_shm_zone_t            *zone;
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
    ngx_int_t                  score;
    ngx_str_t                  rules;
    ngx_str_t                  decision;

    /* kept while Redis counts the duplicates */
    cm_fields_t                fields;
    cm_result_t                res;
    ngx_uint_t                 failed;          /* the engine failed */
    ngx_http_cm_dup_t         *dup;
} ngx_http_cm_ctx_t;


typedef enum {
    NGX_HTTP_CM_VAR_DECISION = 0,
    NGX_HTTP_CM_VAR_SCORE,
    NGX_HTTP_CM_VAR_RULES
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
    ngx_uint_t failed, cm_decision_e decision);
static u_char *ngx_http_cm_ids(u_char *p, unsigned *ids, size_t n);
static ngx_int_t ngx_http_cm_reject(ngx_http_request_t *r,
    ngx_http_cm_ctx_t *ctx);
static ngx_uint_t ngx_http_cm_wants_json(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_cm_retry_after(ngx_http_request_t *r);
static ngx_int_t ngx_http_cm_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b);
static u_char *ngx_http_cm_escape_json(u_char *dst, ngx_str_t *src);
static void *ngx_http_cm_palloc(void *data, size_t size);

static ngx_int_t ngx_http_cm_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_http_cm_stats_t *ngx_http_cm_stats(ngx_http_request_t *r);
static void ngx_http_cm_count_rule(ngx_http_cm_stats_t *st, ngx_uint_t id);
static ngx_int_t ngx_http_cm_status_handler(ngx_http_request_t *r);
static char *ngx_http_cm_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_cm_init_zone(ngx_shm_zone_t *shm_zone, void *data);

static char *ngx_http_cm_rules(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cm_fields_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_cm_cleanup_rules(void *data);
static void ngx_http_cm_cleanup_scratch(void *data);
static ngx_int_t ngx_http_cm_add_variables(ngx_conf_t *cf);
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

    { ngx_string("comment_moderation_status"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_cm_status,
      0,
      0,
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

      ngx_http_null_variable
};


#define NGX_HTTP_CM_DEFAULT_MESSAGE                                          \
    "Komentar Anda tidak dapat dimuat karena melanggar pedoman komunitas "   \
    "kami. Silakan perbaiki lalu kirim ulang."

static ngx_str_t  ngx_http_cm_decisions[] = {
    ngx_string("pass"),
    ngx_string("hold"),
    ngx_string("reject"),
    ngx_string("limit")
};

static ngx_str_t  ngx_http_cm_zone_name = ngx_string("comment_moderation");


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
    ngx_http_cm_stats_t  *st;

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        st = ngx_http_cm_stats(r);
        if (st) {
            (void) ngx_atomic_fetch_add(&st->errors, 1);
        }
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

    rc = ngx_http_cm_fields(r, &a, body, len, &ctx->fields);

    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    if (cm_match(lcf->rules, mcf->scratch, &a, ctx->fields.elts,
                 ctx->fields.nelts, &ctx->res, (char *) err, sizeof(err))
        != CM_OK)
    {
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

    if (ngx_http_cm_record(r, ctx, &ctx->fields, &ctx->res, ctx->failed,
                           decision)
        != NGX_OK)
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
    ngx_http_cm_stats_t       *st;
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

        st = ngx_http_cm_stats(r);
        if (st) {
            (void) ngx_atomic_fetch_add(&st->malformed, 1);
        }

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

    decision = cm_decide(res->score, (int) lcf->hold, (int) lcf->reject);

    if ((failed || res->nlimited)
        && decision < (cm_decision_e) lcf->undecided)
    {
        decision = (cm_decision_e) lcf->undecided;
    }

    return decision;
}


/* sets the variables and writes the decision's log lines */

static ngx_int_t
ngx_http_cm_record(ngx_http_request_t *r, ngx_http_cm_ctx_t *ctx,
    cm_fields_t *fields, cm_result_t *res, ngx_uint_t failed,
    cm_decision_e decision)
{
    u_char                  *p;
    size_t                   i;
    ngx_str_t                field, undecided;
    cm_hit_t                *top;
    cm_decision_e            scored;
    ngx_http_cm_stats_t     *st;
    ngx_http_cm_loc_conf_t  *lcf;

    static ngx_str_t         none = ngx_string("-");
    static ngx_str_t         error = ngx_string("error");

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    ctx->score = res->score;
    ctx->decision = ngx_http_cm_decisions[decision];

    p = ngx_pnalloc(r->pool,
                    (res->nhits + res->nlimited) * (NGX_INT_T_LEN + 1) + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->rules.data = p;
    top = NULL;

    for (i = 0; i < res->nhits; i++) {
        p = ngx_sprintf(p, i ? ",%ui" : "%ui", (ngx_uint_t) res->hits[i].id);

        if (top == NULL || res->hits[i].score > top->score) {
            top = &res->hits[i];
        }
    }

    ctx->rules.len = p - ctx->rules.data;

    undecided.data = p;
    p = ngx_http_cm_ids(p, res->limited, res->nlimited);
    undecided.len = p - undecided.data;

    if (res->nlimited) {
        scored = cm_decide(res->score, (int) lcf->hold, (int) lcf->reject);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "comment moderation: undecided: rules=%V hit the "
                      "PCRE2 match limit; the score gives %V, decision %V "
                      "(comment_moderation_undecided %V)",
                      &undecided, &ngx_http_cm_decisions[scored],
                      &ctx->decision, &ngx_http_cm_decisions[lcf->undecided]);

    } else if (failed) {
        undecided = error;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "comment moderation: undecided: the engine could not "
                      "inspect the comment; decision %V "
                      "(comment_moderation_undecided %V)",
                      &ctx->decision, &ngx_http_cm_decisions[lcf->undecided]);

    } else {
        undecided = none;
    }

    if (top) {
        field.data = (u_char *) fields->elts[top->field].name;
        field.len = fields->elts[top->field].name_len;

    } else {
        field = none;
    }

    st = ngx_http_cm_stats(r);

    if (st) {
        (void) ngx_atomic_fetch_add(&st->decisions[decision], 1);
        (void) ngx_atomic_fetch_add(&st->match_limit, res->nlimited);

        if (failed || res->nlimited) {
            (void) ngx_atomic_fetch_add(&st->undecided, 1);
        }

        if (decision == CM_REJECT && lcf->mode == NGX_HTTP_CM_DETECT) {
            (void) ngx_atomic_fetch_add(&st->detect_only, 1);
        }

        for (i = 0; i < res->nhits; i++) {
            ngx_http_cm_count_rule(st, res->hits[i].id);
        }
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "comment moderation: decision=%V score=%i rules=%V "
                  "field=%V mode=%s undecided=%V",
                  &ctx->decision, ctx->score,
                  ctx->rules.len ? &ctx->rules : &none, &field,
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
    ngx_http_cm_loc_conf_t  *lcf;

    static ngx_str_t         title = ngx_string("Komentar ditolak");

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_comment_moderation_module);

    return ngx_http_cm_send_answer(r, lcf->reject_status, &title,
                                   &ctx->decision, ctx->score,
                                   &lcf->reject_message);
}


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
ngx_http_cm_set_decision(ngx_http_request_t *r, ngx_str_t *decision,
    ngx_int_t score)
{
    ngx_uint_t            i;
    ngx_http_cm_ctx_t    *ctx;
    ngx_http_cm_stats_t  *st;

    ctx = ngx_http_cm_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_cm_create_ctx(r);
        if (ctx == NULL) {
            return NGX_ERROR;
        }
    }

    /* decided: the content rules are not to run for this request */

    ctx->status = NGX_DECLINED;
    ctx->decision = *decision;
    ctx->score = score;

    st = ngx_http_cm_stats(r);

    for (i = 0; st && i < NGX_HTTP_CM_NDECISIONS; i++) {
        if (decision->len == ngx_http_cm_decisions[i].len
            && ngx_strncmp(decision->data, ngx_http_cm_decisions[i].data,
                           decision->len) == 0)
        {
            (void) ngx_atomic_fetch_add(&st->decisions[i], 1);
        }
    }

    return NGX_OK;
}


/*
 * A short answer for the reader: a JSON object for clients that asked
 * for JSON, else a small HTML page in the site's language.
 */

ngx_int_t
ngx_http_cm_send_answer(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *title, ngx_str_t *decision, ngx_int_t score,
    ngx_str_t *message)
{
    size_t                     len;
    u_char                    *p;
    ngx_buf_t                 *b;
    ngx_uint_t                 i, json;
    ngx_table_elt_t           *retry;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    /* an error_page for the status is the operator's own answer */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages) {
        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == (ngx_int_t) status) {
                return status;
            }
        }
    }

    json = ngx_http_cm_wants_json(r);

    /* a limited post: the rate limiter set Retry-After before calling */
    retry = json ? ngx_http_cm_retry_after(r) : NULL;

    if (json) {
        len = sizeof("{\"decision\":\"\",\"score\":,\"reason\":\"\"}\n") - 1
              + decision->len + NGX_INT_T_LEN + message->len * 6
              + (retry ? sizeof(",\"retry_after\":") - 1 + retry->value.len
                       : 0);

    } else {
        len = sizeof("<!DOCTYPE html>\n<html lang=\"id\"><head>"
                     "<meta charset=\"utf-8\"><title></title></head>\n"
                     "<body><h1></h1>\n<p></p></body></html>\n") - 1
              + title->len * 2
              + message->len + ngx_escape_html(NULL, message->data,
                                               message->len);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (json) {
        p = ngx_sprintf(b->pos, "{\"decision\":\"%V\",\"score\":%i,"
                        "\"reason\":\"", decision, score);
        p = ngx_http_cm_escape_json(p, message);
        *p++ = '"';

        if (retry) {
            p = ngx_sprintf(p, ",\"retry_after\":%V", &retry->value);
        }

        p = ngx_cpymem(p, "}\n", 2);

        ngx_str_set(&r->headers_out.content_type, "application/json");

    } else {
        p = ngx_sprintf(b->pos, "<!DOCTYPE html>\n<html lang=\"id\"><head>"
                        "<meta charset=\"utf-8\"><title>%V</title></head>\n"
                        "<body><h1>%V</h1>\n<p>", title, title);
        p = (u_char *) ngx_escape_html(p, message->data, message->len);
        p = ngx_cpymem(p, "</p></body></html>\n",
                       sizeof("</p></body></html>\n") - 1);

        ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    }

    b->last = p;

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    return ngx_http_cm_send(r, status, b);
}


/* sends a whole answer in one buffer; the content type is already set */

static ngx_int_t
ngx_http_cm_send(ngx_http_request_t *r, ngx_uint_t status, ngx_buf_t *b)
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


/* a Retry-After header already set, when it holds whole seconds */

static ngx_table_elt_t *
ngx_http_cm_retry_after(ngx_http_request_t *r)
{
    ngx_uint_t        i, j;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Retry-After") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                               sizeof("Retry-After") - 1) != 0
            || h[i].value.len == 0)
        {
            continue;
        }

        for (j = 0; j < h[i].value.len; j++) {
            if (h[i].value.data[j] < '0' || h[i].value.data[j] > '9') {
                return NULL;
            }
        }

        return &h[i];
    }
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

    if (ctx == NULL || ctx->decision.len == 0) {
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_CM_VAR_DECISION:
        v->len = ctx->decision.len;
        v->data = ctx->decision.data;
        break;

    case NGX_HTTP_CM_VAR_SCORE:
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(p, "%i", ctx->score) - p;
        v->data = p;
        break;

    default: /* NGX_HTTP_CM_VAR_RULES */
        v->len = ctx->rules.len;
        v->data = ctx->rules.data;
        break;
    }

    return NGX_OK;
}


void
ngx_http_cm_count_redis_failure(ngx_http_request_t *r)
{
    ngx_http_cm_stats_t  *st;

    st = ngx_http_cm_stats(r);

    if (st) {
        (void) ngx_atomic_fetch_add(&st->redis_failures, 1);
    }
}


static ngx_http_cm_stats_t *
ngx_http_cm_stats(ngx_http_request_t *r)
{
    ngx_http_cm_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_comment_moderation_module);

    return mcf->zone ? mcf->zone->data : NULL;
}


static void
ngx_http_cm_count_rule(ngx_http_cm_stats_t *st, ngx_uint_t id)
{
    ngx_uint_t                i, n;
    ngx_http_cm_rule_stat_t  *slot;

    i = (id * 2654435761u) % NGX_HTTP_CM_RULE_SLOTS;

    for (n = 0; n < NGX_HTTP_CM_RULE_PROBES; n++) {
        slot = &st->rules[(i + n) % NGX_HTTP_CM_RULE_SLOTS];

        if (slot->id == id
            || (slot->id == 0 && ngx_atomic_cmp_set(&slot->id, 0, id))
            || slot->id == id)
        {
            (void) ngx_atomic_fetch_add(&slot->hits, 1);
            return;
        }
    }

    (void) ngx_atomic_fetch_add(&st->rules_untracked, 1);
}


/* the counters, in Prometheus' text format */

static ngx_int_t
ngx_http_cm_status_handler(ngx_http_request_t *r)
{
    size_t                len;
    ngx_int_t             rc;
    ngx_uint_t            i, n;
    ngx_buf_t            *b;
    ngx_http_cm_stats_t  *st;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    st = ngx_http_cm_stats(r);
    if (st == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    /*
     * Other workers claim slots meanwhile: no more rules are printed than
     * are counted here, or the buffer would overflow.
     */

    n = 0;

    for (i = 0; i < NGX_HTTP_CM_RULE_SLOTS; i++) {
        if (st->rules[i].id) {
            n++;
        }
    }

    len = 2048 + NGX_HTTP_CM_NDECISIONS * (64 + NGX_ATOMIC_T_LEN)
          + 7 * (64 + NGX_ATOMIC_T_LEN) + n * (64 + 2 * NGX_ATOMIC_T_LEN);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last,
        "# HELP comment_moderation_decisions_total Comments by decision.\n"
        "# TYPE comment_moderation_decisions_total counter\n",
        sizeof("# HELP comment_moderation_decisions_total Comments by "
               "decision.\n# TYPE comment_moderation_decisions_total "
               "counter\n") - 1);

    for (i = 0; i < NGX_HTTP_CM_NDECISIONS; i++) {
        b->last = ngx_sprintf(b->last,
                              "comment_moderation_decisions_total"
                              "{decision=\"%V\"} %uA\n",
                              &ngx_http_cm_decisions[i], st->decisions[i]);
    }

    b->last = ngx_sprintf(b->last,
        "# HELP comment_moderation_detect_only_total Rejects not enforced "
        "(detect mode).\n"
        "# TYPE comment_moderation_detect_only_total counter\n"
        "comment_moderation_detect_only_total %uA\n"
        "# HELP comment_moderation_malformed_bodies_total Bodies inspected "
        "raw because they did not parse.\n"
        "# TYPE comment_moderation_malformed_bodies_total counter\n"
        "comment_moderation_malformed_bodies_total %uA\n"
        "# HELP comment_moderation_match_limit_total Rule matches stopped "
        "by the PCRE2 match limit.\n"
        "# TYPE comment_moderation_match_limit_total counter\n"
        "comment_moderation_match_limit_total %uA\n"
        "# HELP comment_moderation_errors_total Comments that could not be "
        "inspected (answered 500).\n"
        "# TYPE comment_moderation_errors_total counter\n"
        "comment_moderation_errors_total %uA\n"
        "# HELP comment_moderation_undecided_total Comments the engine "
        "could not wholly decide (match limit, engine error).\n"
        "# TYPE comment_moderation_undecided_total counter\n"
        "comment_moderation_undecided_total %uA\n"
        "# HELP comment_moderation_redis_failures_total Posts whose rate "
        "limit Redis could not answer in time.\n"
        "# TYPE comment_moderation_redis_failures_total counter\n"
        "comment_moderation_redis_failures_total %uA\n"
        "# HELP comment_moderation_rule_hits_total Comments each rule "
        "matched.\n"
        "# TYPE comment_moderation_rule_hits_total counter\n",
        st->detect_only, st->malformed, st->match_limit, st->errors,
        st->undecided, st->redis_failures);

    for (i = 0; i < NGX_HTTP_CM_RULE_SLOTS && n; i++) {
        if (st->rules[i].id) {
            n--;
            b->last = ngx_sprintf(b->last,
                                  "comment_moderation_rule_hits_total"
                                  "{rule=\"%uA\"} %uA\n",
                                  st->rules[i].id, st->rules[i].hits);
        }
    }

    b->last = ngx_sprintf(b->last,
        "# HELP comment_moderation_rules_untracked_total Rule hits not "
        "counted per rule: the table is full.\n"
        "# TYPE comment_moderation_rules_untracked_total counter\n"
        "comment_moderation_rules_untracked_total %uA\n",
        st->rules_untracked);

    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");

    return ngx_http_cm_send(r, NGX_HTTP_OK, b);
}


static char *
ngx_http_cm_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cm_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t      *shpool;
    ngx_http_cm_stats_t  *st;

    /* a reload keeps the counters of the zone it replaces */

    if (data) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    st = ngx_slab_calloc(shpool, sizeof(ngx_http_cm_stats_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    shpool->data = st;
    shm_zone->data = st;

    return NGX_OK;
}


/*
 * Rules are loaded as each directive is read, so an error names the file
 * and line of the rule and nginx adds the directive's own place.  All the
 * files of one block form one rule set: ids are unique across them.
 */

static char *
ngx_http_cm_rules(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cm_loc_conf_t *lcf = conf;

    ngx_str_t           *value, path;
    ngx_pool_cleanup_t  *cln;
    u_char               err[CM_ERRLEN];

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

    mcf->zone = ngx_shared_memory_add(cf, &ngx_http_cm_zone_name,
                                      2 * sizeof(ngx_http_cm_stats_t)
                                      + 8 * ngx_pagesize,
                                      &ngx_http_comment_moderation_module);
    if (mcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    mcf->zone->init = ngx_http_cm_init_zone;

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

    return NGX_OK;
}
