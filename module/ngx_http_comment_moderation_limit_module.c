
/*
 * ngx_http_comment_moderation_limit_module: rate limits on comment posts
 * per client, kept in Redis so that every nginx behind a balancer
 * enforces the same limits.
 *
 * A post is checked before its body is read: one EVALSHA of a GCRA
 * script checks the bans of comment_moderation_penalty, then checks and
 * updates all of the location's limits at once, with Redis's clock.  A
 * limited or banned post is answered here and never reaches the content
 * rules or the backend.  The worker never waits for Redis: the request
 * is parked until the reply, a timeout or a lost connection.
 *
 * The module owns the Redis connection: the other fleet-wide checks
 * (duplicates, the recording of penalties) use it through
 * ngx_http_cm_redis_use() and ngx_http_cm_redis_get().
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "ngx_http_cm_redis.h"
#include "ngx_http_cm_penalty.h"


#define NGX_HTTP_CM_LIMIT_OPEN     0
#define NGX_HTTP_CM_LIMIT_CLOSED   1

#define NGX_HTTP_CM_LIMIT_LOG_EVERY   10     /* seconds between like lines */

/* the longest a full bucket may take to refill, and its key to live */
#define NGX_HTTP_CM_LIMIT_MAX_REFILL  (365 * 86400 * (uint64_t) 1000000)


typedef struct {
    ngx_http_complex_value_t   key;
    ngx_str_t                  ident;      /* "limit:<crc32>:" */
    ngx_str_t                  period;     /* microseconds, as text */
    ngx_str_t                  rate;
    ngx_str_t                  burst;
} ngx_http_cm_limit_t;


typedef struct {
    ngx_http_cm_redis_conf_t  *redis_conf;  /* NULL: no Redis configured */
    ngx_http_cm_redis_t       *redis;       /* this worker's connection */
    ngx_str_t                  prefix;
    ngx_http_cm_redis_script_t script;
    ngx_http_cm_redis_script_t *penalty;    /* records a rejection */
    ngx_flag_t                 used;        /* some location has limits */
    time_t                     logged;      /* last unexpected reply logged */
} ngx_http_cm_limit_main_conf_t;


typedef struct {
    ngx_array_t               *limits;      /* of ngx_http_cm_limit_t */
    ngx_array_t               *penalties;   /* of ngx_http_cm_penalty_t */
    ngx_uint_t                 failure;
    ngx_uint_t                 status;
    ngx_str_t                  message;
} ngx_http_cm_limit_loc_conf_t;


typedef enum {
    NGX_HTTP_CM_LIMIT_WAITING = 1,
    NGX_HTTP_CM_LIMIT_ANSWERED,
    NGX_HTTP_CM_LIMIT_DONE
} ngx_http_cm_limit_state_e;


typedef struct {
    ngx_http_request_t        *request;
    ngx_http_cm_redis_cmd_t   *cmd;
    ngx_uint_t                 state;
    int                        argc;       /* kept for a NOSCRIPT retry */
    const char               **argv;
    size_t                    *argvlen;
    int64_t                    wait;       /* microseconds; 0: allowed */

    unsigned                   failed:1;
    unsigned                   banned:1;   /* the wait is a penalty's */
} ngx_http_cm_limit_ctx_t;


static ngx_int_t ngx_http_cm_limit_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cm_limit_query(ngx_http_request_t *r,
    ngx_http_cm_limit_ctx_t *ctx);
static ngx_int_t ngx_http_cm_limit_argv(ngx_http_request_t *r,
    ngx_http_cm_limit_ctx_t *ctx);
static ngx_int_t ngx_http_cm_limit_send(ngx_http_request_t *r,
    ngx_http_cm_limit_ctx_t *ctx);
static void ngx_http_cm_limit_reply(void *data, redisReply *reply);
static void ngx_http_cm_limit_unexpected(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_cm_limit_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_cm_limit_decide(ngx_http_request_t *r,
    ngx_http_cm_limit_ctx_t *ctx);
static ngx_int_t ngx_http_cm_limit_answer(ngx_http_request_t *r,
    ngx_http_cm_limit_ctx_t *ctx);
static void ngx_http_cm_limit_cleanup(void *data);

static char *ngx_http_cm_limit_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cm_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cm_limit_rate(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *next, ngx_uint_t *rate, ngx_uint_t *period, u_char *per,
    ngx_uint_t *used);
static char *ngx_http_cm_limit_check(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_uint_t rate, ngx_uint_t period, u_char unit, ngx_int_t burst);
static void *ngx_http_cm_limit_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_cm_limit_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_cm_limit_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_cm_limit_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_cm_limit_init_process(ngx_cycle_t *cycle);
static void ngx_http_cm_limit_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_cm_limit_failure[] = {
    { ngx_string("open"), NGX_HTTP_CM_LIMIT_OPEN },
    { ngx_string("closed"), NGX_HTTP_CM_LIMIT_CLOSED },
    { ngx_null_string, 0 }
};


static ngx_conf_num_bounds_t  ngx_http_cm_limit_status_bounds = {
    ngx_conf_check_num_bounds, 400, 599
};


static ngx_command_t  ngx_http_cm_limit_commands[] = {

    { ngx_string("comment_moderation_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_cm_limit_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("comment_moderation_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_cm_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("comment_moderation_penalty"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_cm_penalty_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_limit_loc_conf_t, penalties),
      NULL },

    { ngx_string("comment_moderation_redis_failure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_limit_loc_conf_t, failure),
      &ngx_http_cm_limit_failure },

    { ngx_string("comment_moderation_limit_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_limit_loc_conf_t, status),
      &ngx_http_cm_limit_status_bounds },

    { ngx_string("comment_moderation_limit_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cm_limit_loc_conf_t, message),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_cm_limit_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_cm_limit_init,                /* postconfiguration */

    ngx_http_cm_limit_create_main_conf,    /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_cm_limit_create_loc_conf,     /* create location configuration */
    ngx_http_cm_limit_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_comment_moderation_limit_module = {
    NGX_MODULE_V1,
    &ngx_http_cm_limit_module_ctx,         /* module context */
    ngx_http_cm_limit_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_cm_limit_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_cm_limit_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The bans of comment_moderation_penalty first: KEYS[1..ARGV[1]]; a ban
 * in force returns minus its time left, in microseconds.
 *
 * Then GCRA, as redis-cell: each bucket keeps the theoretical arrival
 * time (TAT) of the next post.  KEYS[nbans + i] is one limit's bucket,
 * ARGV[3i-1..3i+1] its period (microseconds), rate and burst.  Every
 * bucket takes the post or none does, so a refused post costs nothing.
 * Returns 0, or how many microseconds to wait before a post would be
 * taken.  TIME is Redis's own clock, the same for every nginx; each key
 * expires when its bucket would be full again.
 */

#define NGX_HTTP_CM_LIMIT_SCRIPT                                             \
    "local nbans = tonumber(ARGV[1])\n"                                      \
    "local banned = 0\n"                                                     \
    "for i = 1, nbans do\n"                                                  \
    "  local ttl = redis.call('PTTL', KEYS[i])\n"                            \
    "  if ttl > banned then banned = ttl end\n"                              \
    "end\n"                                                                  \
    "if banned > 0 then return -banned * 1000 end\n"                         \
    "local t = redis.call('TIME')\n"                                         \
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"                \
    "local wait = 0\n"                                                       \
    "local tats = {}\n"                                                      \
    "for i = 1, #KEYS - nbans do\n"                                          \
    "  local interval = tonumber(ARGV[3*i-1]) / tonumber(ARGV[3*i])\n"      \
    "  local burst = tonumber(ARGV[3*i+1])\n"                                \
    "  local tat = tonumber(redis.call('GET', KEYS[nbans+i])) or now\n"      \
    "  if tat < now then tat = now end\n"                                    \
    "  local allow = tat + interval - interval * burst\n"                    \
    "  if allow - now > wait then wait = allow - now end\n"                  \
    "  tats[i] = tat + interval\n"                                           \
    "end\n"                                                                  \
    "if wait > 0 then return math.ceil(wait) end\n"                          \
    "for i = 1, #KEYS - nbans do\n"                                          \
    "  redis.call('SET', KEYS[nbans+i], string.format('%.0f', tats[i]),\n"  \
    "             'PX', math.ceil((tats[i] - now) / 1000))\n"                \
    "end\n"                                                                  \
    "return 0\n"


#define NGX_HTTP_CM_LIMIT_DEFAULT_MESSAGE                                    \
    "Anda mengirim komentar terlalu cepat. Silakan coba lagi dalam "         \
    "beberapa saat."


static ngx_int_t
ngx_http_cm_limit_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_cm_limit_ctx_t       *ctx;
    ngx_http_cm_limit_loc_conf_t  *llcf;

    if (r != r->main || r->method != NGX_HTTP_POST) {
        return NGX_DECLINED;
    }

    llcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    if ((llcf->limits == NULL && llcf->penalties == NULL)
        || !ngx_http_cm_enabled(r))
    {
        return NGX_DECLINED;
    }

    /* a post is counted once, whatever locations it then goes through */

    ctx = ngx_http_cm_ctx_get(r, &ngx_http_comment_moderation_limit_module,
                              ngx_http_cm_limit_cleanup);

    if (ctx == NULL) {
        ctx = ngx_http_cm_ctx_create(r,
                                     &ngx_http_comment_moderation_limit_module,
                                     sizeof(ngx_http_cm_limit_ctx_t),
                                     ngx_http_cm_limit_cleanup);
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ctx->request = r;

        rc = ngx_http_cm_limit_query(r, ctx);

        if (rc != NGX_DONE) {
            return rc;
        }
    }

    switch (ctx->state) {

    case NGX_HTTP_CM_LIMIT_WAITING:
        return NGX_AGAIN;

    case NGX_HTTP_CM_LIMIT_ANSWERED:
        return ngx_http_cm_limit_decide(r, ctx);

    default: /* NGX_HTTP_CM_LIMIT_DONE */
        return NGX_DECLINED;
    }
}


/*
 * Returns NGX_DONE with ctx->state set, or what the phase handler is to
 * return: NGX_AGAIN while Redis is asked, NGX_DECLINED when no limit
 * applies to this post.
 */

static ngx_int_t
ngx_http_cm_limit_query(ngx_http_request_t *r, ngx_http_cm_limit_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_cm_limit_argv(r, ctx);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ctx->state = NGX_HTTP_CM_LIMIT_DONE;
        return NGX_DECLINED;
    }

    if (ngx_http_cm_limit_send(r, ctx) != NGX_OK) {
        /* no connection to Redis: no reason to wait for one */
        ctx->failed = 1;
        ctx->state = NGX_HTTP_CM_LIMIT_ANSWERED;
        return NGX_DONE;
    }

    ctx->state = NGX_HTTP_CM_LIMIT_WAITING;

    /* notices a client that gives up while Redis is asked */
    r->read_event_handler = ngx_http_test_reading;

    return NGX_AGAIN;
}


/*
 * EVALSHA sha numkeys ban... key... nbans (period rate burst)...; keys
 * are binary safe.  NGX_DECLINED when every key is empty: no limit, no
 * ban applies.  Detect mode bans no one.
 */

static ngx_int_t
ngx_http_cm_limit_argv(ngx_http_request_t *r, ngx_http_cm_limit_ctx_t *ctx)
{
    u_char                         *p, *q;
    size_t                         *argvlen;
    ngx_str_t                       value, *bans;
    ngx_uint_t                      i, n, nb, nbans, nkeys, nlimits, *used;
    const char                    **argv;
    ngx_http_cm_limit_t            *limit;
    ngx_http_cm_limit_loc_conf_t   *llcf;
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_limit_module);
    llcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    limit = llcf->limits ? llcf->limits->elts : NULL;
    n = llcf->limits ? llcf->limits->nelts : 0;
    nb = (llcf->penalties && !ngx_http_cm_detect(r))
         ? llcf->penalties->nelts : 0;

    argv = ngx_palloc(r->pool, (4 + nb + 4 * n) * sizeof(char *));
    argvlen = ngx_palloc(r->pool, (4 + nb + 4 * n) * sizeof(size_t));
    used = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_uint_t));
    bans = ngx_palloc(r->pool, (nb + 1) * sizeof(ngx_str_t));
    p = ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN);

    if (argv == NULL || argvlen == NULL || used == NULL || bans == NULL
        || p == NULL)
    {
        return NGX_ERROR;
    }

    nbans = 0;

    if (nb && ngx_http_cm_penalty_bans(r, llcf->penalties, &lmcf->prefix,
                                       bans, &nbans)
              != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* argv[0] and argv[1], EVALSHA and the SHA1, are the client's */

    argv[2] = (const char *) p;

    for (nkeys = 0; nkeys < nbans; nkeys++) {
        argv[3 + nkeys] = (const char *) bans[nkeys].data;
        argvlen[3 + nkeys] = bans[nkeys].len;
    }

    nlimits = 0;

    for (i = 0; i < n; i++) {
        if (ngx_http_complex_value(r, &limit[i].key, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        /* an empty key is how operators exempt clients */

        if (value.len == 0) {
            continue;
        }

        argvlen[3 + nkeys] = lmcf->prefix.len + limit[i].ident.len
                             + value.len;

        argv[3 + nkeys] = ngx_pnalloc(r->pool, argvlen[3 + nkeys]);
        if (argv[3 + nkeys] == NULL) {
            return NGX_ERROR;
        }

        q = (u_char *) argv[3 + nkeys];
        q = ngx_cpymem(q, lmcf->prefix.data, lmcf->prefix.len);
        q = ngx_cpymem(q, limit[i].ident.data, limit[i].ident.len);
        (void) ngx_cpymem(q, value.data, value.len);

        nkeys++;
        used[nlimits++] = i;
    }

    if (nkeys == 0) {
        return NGX_DECLINED;
    }

    q = ngx_sprintf(p, "%ui", nkeys);
    argvlen[2] = q - p;

    n = 3 + nkeys;

    argv[n] = (const char *) q;
    argvlen[n++] = ngx_sprintf(q, "%ui", nbans) - q;

    /*
     * the arguments of the limits whose keys are in, in the same order;
     * the keys are not evaluated again, so both lists surely agree
     */

    for (i = 0; i < nlimits; i++) {
        limit = (ngx_http_cm_limit_t *) llcf->limits->elts + used[i];

        argv[n] = (const char *) limit->period.data;
        argvlen[n++] = limit->period.len;
        argv[n] = (const char *) limit->rate.data;
        argvlen[n++] = limit->rate.len;
        argv[n] = (const char *) limit->burst.data;
        argvlen[n++] = limit->burst.len;
    }

    ctx->argc = (int) n;
    ctx->argv = argv;
    ctx->argvlen = argvlen;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cm_limit_send(ngx_http_request_t *r, ngx_http_cm_limit_ctx_t *ctx)
{
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    ctx->cmd = ngx_http_cm_redis_eval(lmcf->redis, &lmcf->script, ctx->argc,
                                      ctx->argv, ctx->argvlen,
                                      ngx_http_cm_limit_reply, ctx);

    return ctx->cmd ? NGX_OK : NGX_ERROR;
}


/*
 * Called from a hiredis callback or a timer: records the answer and
 * posts the request's write event; the phases run from there, not here.
 */

static void
ngx_http_cm_limit_reply(void *data, redisReply *reply)
{
    ngx_http_cm_limit_ctx_t *ctx = data;

    ngx_http_request_t  *r;

    r = ctx->request;
    ctx->cmd = NULL;

    if (reply == NULL) {
        ctx->failed = 1;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        ctx->wait = reply->integer;

        if (ctx->wait < 0) {
            ctx->wait = -ctx->wait;
            ctx->banned = 1;
        }

    } else {
        ngx_http_cm_limit_unexpected(r, reply);
        ctx->failed = 1;
    }

    ctx->state = NGX_HTTP_CM_LIMIT_ANSWERED;

    r->write_event_handler = ngx_http_cm_limit_resume;
    ngx_post_event(r->connection->write, &ngx_posted_events);
}


static void
ngx_http_cm_limit_unexpected(ngx_http_request_t *r, redisReply *reply)
{
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    /* the same misconfiguration on every post: a line now and then */

    if (ngx_time() - lmcf->logged < NGX_HTTP_CM_LIMIT_LOG_EVERY) {
        return;
    }

    lmcf->logged = ngx_time();

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "comment moderation: redis limit script failed: %*s",
                      (size_t) reply->len, reply->str);

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "comment moderation: unexpected redis reply type %d "
                      "to the limit script", reply->type);
    }
}


static void
ngx_http_cm_limit_resume(ngx_http_request_t *r)
{
    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_cm_limit_decide(ngx_http_request_t *r, ngx_http_cm_limit_ctx_t *ctx)
{
    ngx_http_cm_limit_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    ctx->state = NGX_HTTP_CM_LIMIT_DONE;

    if (ctx->failed) {
        /* the client logged the failure once for its whole episode */

        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_REDIS_FAILURES, 1);

        if (llcf->failure == NGX_HTTP_CM_LIMIT_CLOSED) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        return NGX_DECLINED;
    }

    if (ctx->wait == 0) {
        return NGX_DECLINED;
    }

    return ngx_http_cm_limit_answer(r, ctx);
}


static ngx_int_t
ngx_http_cm_limit_answer(ngx_http_request_t *r, ngx_http_cm_limit_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_http_cm_verdict_t          v;
    ngx_http_cm_limit_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    ngx_memzero(&v, sizeof(ngx_http_cm_verdict_t));

    v.decision = NGX_HTTP_CM_LIMIT;
    v.status = llcf->status;
    v.message = &llcf->message;

    /* whole seconds, rounded up, at least one; any wait Redis sent */

    v.retry_after = (time_t) (ctx->wait / 1000000
                              + (ctx->wait % 1000000 != 0));

    if (v.retry_after < 1) {
        v.retry_after = 1;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "comment moderation: decision=limit retry_after=%T "
                  "reason=%s", v.retry_after,
                  ctx->banned ? "penalty" : "rate");

    if (ctx->banned) {
        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_BANNED, 1);
    }

    /* the body was never read: a flood costs nothing more */

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_cm_verdict(r, &v);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/* the request is gone: its reply, when it comes, goes nowhere */

static void
ngx_http_cm_limit_cleanup(void *data)
{
    ngx_http_cm_limit_ctx_t *ctx = data;

    if (ctx->cmd) {
        ngx_http_cm_redis_cancel(ctx->cmd);
        ctx->cmd = NULL;
    }
}


static char *
ngx_http_cm_limit_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cm_limit_main_conf_t *lmcf = conf;

    char                      *rv;
    ngx_int_t                  n;
    ngx_str_t                 *value, s, master;
    ngx_uint_t                 i;
    ngx_http_cm_redis_conf_t  *rcf;

    if (lmcf->redis_conf) {
        return "is duplicate";
    }

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    /* ADDRESS, or sentinel=... and master=NAME among the parameters */

    i = 1;

    if (ngx_strncmp(value[1].data, "sentinel=", 9) != 0) {
        rv = ngx_http_cm_redis_parse_address(cf, rcf, &value[1]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

        i = 2;
    }

    rcf->timeout = 100;
    ngx_str_set(&lmcf->prefix, "cm:");
    ngx_str_null(&master);

    for ( /* void */ ; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "sentinel=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            if (s.len == 0 || rcf->name.len || rcf->sentinels) {
                goto invalid;
            }

            rv = ngx_http_cm_redis_parse_sentinels(cf, rcf, &s);
            if (rv != NGX_CONF_OK) {
                return rv;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "master=", 7) == 0) {
            master.data = value[i].data + 7;
            master.len = value[i].len - 7;

            if (master.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);

            /* SELECT takes an int */
            if (n == NGX_ERROR || n > NGX_MAX_INT32_VALUE) {
                goto invalid;
            }

            rcf->db = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            rcf->password.data = value[i].data + 9;
            rcf->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            rcf->timeout = ngx_parse_time(&s, 0);
            if (rcf->timeout == (ngx_msec_t) NGX_ERROR || rcf->timeout == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            lmcf->prefix.data = value[i].data + 7;
            lmcf->prefix.len = value[i].len - 7;
            continue;
        }

        goto invalid;
    }

    if (rcf->sentinels && master.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" with sentinel= needs master=NAME, the "
                           "name the sentinels monitor it by", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (rcf->sentinels == NULL && master.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" master= is for sentinel=", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (rcf->sentinels) {
        rcf->name = master;
    }

    ngx_str_set(&lmcf->script.text, NGX_HTTP_CM_LIMIT_SCRIPT);

    if (ngx_http_cm_redis_add_script(cf, rcf, &lmcf->script) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    lmcf->redis_conf = rcf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
}


ngx_http_cm_redis_script_t *
ngx_http_cm_redis_use(ngx_conf_t *cf, ngx_str_t *text, ngx_str_t *directive)
{
    ngx_uint_t                      i;
    ngx_http_cm_redis_script_t     *script, **s;
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf,
                                   ngx_http_comment_moderation_limit_module);

    if (lmcf->redis_conf == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs \"comment_moderation_redis\" in "
                           "the http block", directive);
        return NULL;
    }

    lmcf->used = 1;

    /* one copy of each script, loaded once per connection */

    s = lmcf->redis_conf->scripts ? lmcf->redis_conf->scripts->elts : NULL;

    for (i = 0; s && i < lmcf->redis_conf->scripts->nelts; i++) {
        if (s[i]->text.len == text->len
            && ngx_strncmp(s[i]->text.data, text->data, text->len) == 0)
        {
            return s[i];
        }
    }

    script = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_redis_script_t));
    if (script == NULL) {
        return NULL;
    }

    script->text = *text;

    if (ngx_http_cm_redis_add_script(cf, lmcf->redis_conf, script)
        != NGX_OK)
    {
        return NULL;
    }

    return script;
}


ngx_http_cm_redis_t *
ngx_http_cm_redis_get(ngx_http_request_t *r, ngx_str_t *prefix)
{
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    if (prefix) {
        *prefix = lmcf->prefix;
    }

    return lmcf->redis;
}


void
ngx_http_cm_penalty_rejected(ngx_http_request_t *r)
{
    ngx_http_cm_limit_loc_conf_t   *llcf;
    ngx_http_cm_limit_main_conf_t  *lmcf;

    llcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_limit_module);
    lmcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    if (llcf->penalties == NULL || lmcf->penalty == NULL) {
        return;
    }

    ngx_http_cm_penalty_record(r, llcf->penalties, lmcf->redis,
                               &lmcf->prefix, lmcf->penalty,
                               ngx_http_cm_detect(r));
}


ngx_flag_t
ngx_http_cm_redis_closed(ngx_http_request_t *r)
{
    ngx_http_cm_limit_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r,
                                   ngx_http_comment_moderation_limit_module);

    return llcf->failure == NGX_HTTP_CM_LIMIT_CLOSED;
}


/* comment_moderation_limit key=STRING rate=N r/s|r/m|r/h|r/d [burst=B] */

static char *
ngx_http_cm_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cm_limit_loc_conf_t *llcf = conf;

    u_char                            *p, *def, unit;
    char                              *rv;
    size_t                             len;
    uint32_t                           crc;
    ngx_int_t                          burst;
    ngx_str_t                         *value, key, *next;
    ngx_uint_t                         i, rate, period, used;
    ngx_http_cm_limit_t               *limit, *other;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    key.len = 0;
    rate = 0;
    period = 0;
    unit = 's';
    burst = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "key=", 4) == 0) {
            key.data = value[i].data + 4;
            key.len = value[i].len - 4;

            if (key.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {
            next = (i + 1 < cf->args->nelts) ? &value[i + 1] : NULL;

            rv = ngx_http_cm_limit_rate(cf, &value[i], next, &rate, &period,
                                        &unit, &used);
            if (rv != NGX_CONF_OK) {
                return rv;
            }

            i += used;
            continue;
        }

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (burst <= 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (key.len == 0 || rate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs key= and rate=", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (burst == 0) {
        burst = (ngx_int_t) rate;
    }

    rv = ngx_http_cm_limit_check(cf, cmd, rate, period, unit, burst);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (llcf->limits == NGX_CONF_UNSET_PTR) {
        llcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_cm_limit_t));
        if (llcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    limit = ngx_array_push(llcf->limits);
    if (limit == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(limit, sizeof(ngx_http_cm_limit_t));

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &key;
    ccv.complex_value = &limit->key;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, 3 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    limit->period.data = p;
    p = ngx_sprintf(p, "%ui", period);
    limit->period.len = p - limit->period.data;

    limit->rate.data = p;
    p = ngx_sprintf(p, "%ui", rate);
    limit->rate.len = p - limit->rate.data;

    limit->burst.data = p;
    p = ngx_sprintf(p, "%i", burst);
    limit->burst.len = p - limit->burst.data;

    /*
     * The identity is the limit's definition, the same on every nginx
     * that shares the Redis: two limits never share a bucket.
     */

    len = key.len + limit->period.len + limit->rate.len + limit->burst.len
          + 3;

    def = ngx_pnalloc(cf->pool, len);
    if (def == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sprintf(def, "%V %V %V %V", &key, &limit->period, &limit->rate,
                      &limit->burst)
          - def;

    crc = ngx_crc32_short(def, len);

    len = sizeof("limit:12345678:") - 1;

    limit->ident.data = ngx_pnalloc(cf->pool, len);
    if (limit->ident.data == NULL) {
        return NGX_CONF_ERROR;
    }

    limit->ident.len = ngx_sprintf(limit->ident.data, "limit:%08xD:", crc)
                       - limit->ident.data;

    other = llcf->limits->elts;

    for (i = 0; i + 1 < llcf->limits->nelts; i++) {
        if (other[i].ident.len == limit->ident.len
            && ngx_strncmp(other[i].ident.data, limit->ident.data,
                           limit->ident.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate \"%V\"", &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
}


/*
 * "rate=10r/m", or "rate=10" followed by "r/m".  *per is the unit's
 * letter; *used is how many arguments after this one were taken.
 */

static char *
ngx_http_cm_limit_rate(ngx_conf_t *cf, ngx_str_t *value, ngx_str_t *next,
    ngx_uint_t *rate, ngx_uint_t *period, u_char *per, ngx_uint_t *used)
{
    u_char     *p, *q, *last;
    ngx_int_t   n;
    ngx_str_t   unit;

    p = value->data + 5;
    last = value->data + value->len;

    for (q = p; q < last && *q >= '0' && *q <= '9'; q++) { /* void */ }

    n = ngx_atoi(p, q - p);

    unit.data = q;
    unit.len = last - q;
    *used = 0;

    if (unit.len == 0 && next) {
        unit = *next;
        *used = 1;
    }

    if (n <= 0) {
        goto invalid;
    }

    if (unit.len != 3 || unit.data[0] != 'r' || unit.data[1] != '/') {
        goto invalid;
    }

    switch (unit.data[2]) {

    case 's':
        *period = 1000000;
        break;

    case 'm':
        *period = 60 * 1000000;
        break;

    case 'h':
        *period = 3600 * (ngx_uint_t) 1000000;
        break;

    case 'd':
        *period = 86400 * (ngx_uint_t) 1000000;
        break;

    default:
        goto invalid;
    }

    *rate = (ngx_uint_t) n;
    *per = unit.data[2];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rate \"%V\", expected rate=N r/s, r/m, r/h "
                       "or r/d", value);
    return NGX_CONF_ERROR;
}


/*
 * What the script can count: its clock is Redis's, in microseconds, and
 * its times are doubles, exact up to 2^53 us (the year 2255) when a bucket
 * refills within a year.  A key expires when its bucket is full again, in
 * at least 1 ms and at most a year: an expiry Redis accepts.
 */

static char *
ngx_http_cm_limit_check(ngx_conf_t *cf, ngx_command_t *cmd, ngx_uint_t rate,
    ngx_uint_t period, u_char unit, ngx_int_t burst)
{
    uint64_t  max;

    /* an interval under 1 us would not move the clock: no limit at all */

    if (rate > period) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" rate=%uir/%c is more than one post a "
                           "microsecond, the resolution of Redis's clock: "
                           "at most rate=%uir/%c", &cmd->name, rate, unit,
                           period, unit);
        return NGX_CONF_ERROR;
    }

    /* burst * period / rate <= a year, exactly: a year divides by period */

    max = NGX_HTTP_CM_LIMIT_MAX_REFILL / period * rate;

    if ((uint64_t) burst > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" burst=%i at rate=%uir/%c takes more than "
                           "a year to refill: at most burst=%uL", &cmd->name,
                           burst, rate, unit, max);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_cm_limit_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_limit_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lmcf->redis_conf = NULL;
     *     lmcf->redis = NULL;
     *     lmcf->prefix = { 0, NULL };
     *     lmcf->used = 0;
     */

    return lmcf;
}


static void *
ngx_http_cm_limit_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_cm_limit_loc_conf_t  *llcf;

    llcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_limit_loc_conf_t));
    if (llcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     llcf->message = { 0, NULL };
     */

    llcf->limits = NGX_CONF_UNSET_PTR;
    llcf->penalties = NGX_CONF_UNSET_PTR;
    llcf->failure = NGX_CONF_UNSET_UINT;
    llcf->status = NGX_CONF_UNSET_UINT;

    return llcf;
}


static char *
ngx_http_cm_limit_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_cm_limit_loc_conf_t *prev = parent;
    ngx_http_cm_limit_loc_conf_t *conf = child;

    ngx_http_cm_limit_main_conf_t  *lmcf;

    /* like limit_req: a level with its own limits inherits none */

    ngx_conf_merge_ptr_value(conf->limits, prev->limits, NULL);
    ngx_conf_merge_ptr_value(conf->penalties, prev->penalties, NULL);
    ngx_conf_merge_uint_value(conf->failure, prev->failure,
                              NGX_HTTP_CM_LIMIT_OPEN);
    ngx_conf_merge_uint_value(conf->status, prev->status,
                              NGX_HTTP_TOO_MANY_REQUESTS);
    ngx_conf_merge_str_value(conf->message, prev->message,
                             NGX_HTTP_CM_LIMIT_DEFAULT_MESSAGE);

    lmcf = ngx_http_conf_get_module_main_conf(cf,
                                   ngx_http_comment_moderation_limit_module);

    if (conf->penalties && lmcf->penalty == NULL) {
        lmcf->penalty = ngx_http_cm_penalty_script(cf);
        if (lmcf->penalty == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->limits == NULL) {
        return NGX_CONF_OK;
    }

    if (lmcf->redis_conf == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"comment_moderation_limit\" needs "
                           "\"comment_moderation_redis\" in the http block");
        return NGX_CONF_ERROR;
    }

    lmcf->used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cm_limit_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* registered after the moderation module's: runs before it */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_cm_limit_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cm_limit_init_process(ngx_cycle_t *cycle)
{
    ngx_http_cm_limit_main_conf_t  *lmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    lmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                   ngx_http_comment_moderation_limit_module);

    if (lmcf == NULL || lmcf->redis_conf == NULL || !lmcf->used) {
        return NGX_OK;
    }

    /* an unreachable Redis is degraded service, not a failed worker */

    lmcf->redis = ngx_http_cm_redis_create(cycle, lmcf->redis_conf);

    return NGX_OK;
}


static void
ngx_http_cm_limit_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_cm_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                   ngx_http_comment_moderation_limit_module);

    if (lmcf == NULL || lmcf->redis == NULL) {
        return;
    }

    ngx_http_cm_redis_destroy(lmcf->redis);
    lmcf->redis = NULL;
}
