
/*
 * comment_moderation_duplicates: how often the same comment, or one
 * nearly the same, is posted across the whole site, by any client.
 *
 * The engine gives each text of the post worth counting (long enough,
 * the longest few) an exact hash and LSH band hashes (cm_dup_fields).
 * One script counts them all in Redis: each hash is a counter that lives
 * for the window, and the post's copies are the most any of its counters
 * holds.  Redis keeps only hashes, never the comments.
 *
 * The request waits for the answer as it waits for the rate limits: the
 * worker goes on with other requests, the answer (or the timeout) posts
 * the request's write event.  The state of the wait is kept in a cleanup
 * of the request's pool, which cancels the command if the request goes
 * first.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "ngx_http_cm_dup.h"


#define NGX_HTTP_CM_DUP_TEXTS      4         /* texts counted per post */
#define NGX_HTTP_CM_DUP_DEFAULT_ID 9001

/* "x" or a band's number, a colon, 16 hex digits */
#define NGX_HTTP_CM_DUP_KEY_TAIL   (NGX_INT_T_LEN + 1 + 16)


/* the tag of a duplicates' hit, counted on the status page by name */
static ngx_str_t  ngx_http_cm_dup_tag = ngx_string("duplicate");


struct ngx_http_cm_dup_s {
    ngx_http_request_t          *request;
    ngx_http_cm_redis_cmd_t     *cmd;
    ngx_http_event_handler_pt    resume;
    cm_dup_sig_t                 sigs[NGX_HTTP_CM_DUP_TEXTS];
    size_t                       nsigs;
    ngx_uint_t                   keys;       /* keys for each text */
    const char                 **argv;       /* kept for a NOSCRIPT retry */
    size_t                      *argvlen;
    ngx_int_t                    copies;
    size_t                       field;

    unsigned                     failed:1;
};


static ngx_int_t ngx_http_cm_dup_argv(ngx_http_request_t *r,
    ngx_http_cm_dup_conf_t *dcf, ngx_http_cm_dup_t *dup, int *argc);
static void ngx_http_cm_dup_reply(void *data, redisReply *reply);
static void ngx_http_cm_dup_cleanup(void *data);
static ngx_int_t ngx_http_cm_dup_hit(ngx_http_request_t *r,
    ngx_http_cm_dup_conf_t *dcf, ngx_http_cm_dup_t *dup,
    cm_fields_t *fields, cm_result_t *res);


/*
 * KEYS: the post's hashes, ARGV[1] the window (ms), ARGV[2] the
 * threshold.  A counter lives for the window from the first copy; from
 * the threshold on, each copy keeps it another window, so a flood that
 * goes on stays counted.  A key given twice (one text in two fields) is
 * counted once.  Returns {copies, index of the key that has them}.
 */

#define NGX_HTTP_CM_DUP_SCRIPT                                               \
    "local window = tonumber(ARGV[1])\n"                                     \
    "local threshold = tonumber(ARGV[2])\n"                                  \
    "local most, at, seen = 0, 0, {}\n"                                      \
    "for i, key in ipairs(KEYS) do\n"                                        \
    "  if not seen[key] then\n"                                              \
    "    seen[key] = true\n"                                                 \
    "    local n = redis.call('INCR', key)\n"                                \
    "    if n == 1 or n >= threshold then\n"                                 \
    "      redis.call('PEXPIRE', key, window)\n"                             \
    "    end\n"                                                              \
    "    if n > most then most, at = n, i end\n"                             \
    "  end\n"                                                                \
    "end\n"                                                                  \
    "return {most, at}\n"


char *
ngx_http_cm_dup_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char                   *def;
    size_t                    len;
    ngx_int_t                 n;
    ngx_str_t                *value, s;
    ngx_uint_t                i;
    ngx_http_cm_dup_conf_t   *dcf, **field;

    field = (ngx_http_cm_dup_conf_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        *field = NULL;
        return NGX_CONF_OK;
    }

    dcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_dup_conf_t));
    if (dcf == NULL) {
        return NGX_CONF_ERROR;
    }

    dcf->min_length = 20;
    dcf->id = NGX_HTTP_CM_DUP_DEFAULT_ID;
    dcf->near = 1;
    dcf->file = cf->conf_file->file.name;
    dcf->line = cf->conf_file->line;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "window=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            dcf->window = ngx_parse_time(&s, 0);

            /* a year at most: a window longer than that counts forever */

            if (dcf->window == (ngx_msec_t) NGX_ERROR || dcf->window == 0
                || dcf->window > 365 * 86400 * (ngx_msec_t) 1000)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" invalid window \"%V\", expected "
                                   "a time from 1ms to 365d",
                                   &cmd->name, &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "threshold=", 10) == 0) {
            n = ngx_atoi(value[i].data + 10, value[i].len - 10);

            /* the first copy is the original: 2 at least */

            if (n < 2 || n > 1000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" invalid \"%V\", expected "
                                   "threshold=2 to 1000000 copies",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }

            dcf->threshold = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "score=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            /* a rule's score, as the rule files allow a positive one */

            if (n < 1 || n > 1000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" invalid \"%V\", expected "
                                   "score=1 to 1000000",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }

            dcf->score = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "min_length=", 11) == 0) {
            n = ngx_atoi(value[i].data + 11, value[i].len - 11);

            if (n < 1 || n > CM_DUP_MAX_CHARS) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" invalid \"%V\", expected "
                                   "min_length=1 to %d characters",
                                   &cmd->name, &value[i], CM_DUP_MAX_CHARS);
                return NGX_CONF_ERROR;
            }

            dcf->min_length = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "id=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);

            /* the range of rule ids */

            if (n < 1 || n > (ngx_int_t) 4294967295LL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" invalid \"%V\", expected "
                                   "id=1 to 4294967295",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }

            dcf->id = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strcmp(value[i].data, "near=on") == 0) {
            dcf->near = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "near=off") == 0) {
            dcf->near = 0;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (dcf->window == 0 || dcf->threshold == 0 || dcf->score == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs window=, threshold= and score=",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    dcf->window_arg.data = ngx_pnalloc(cf->pool, 2 * NGX_INT_T_LEN);
    if (dcf->window_arg.data == NULL) {
        return NGX_CONF_ERROR;
    }

    dcf->window_arg.len = ngx_sprintf(dcf->window_arg.data, "%M",
                                      dcf->window)
                          - dcf->window_arg.data;

    dcf->threshold_arg.data = dcf->window_arg.data + dcf->window_arg.len;
    dcf->threshold_arg.len = ngx_sprintf(dcf->threshold_arg.data, "%ui",
                                         dcf->threshold)
                             - dcf->threshold_arg.data;

    /*
     * Counters are shared where the window and the signatures agree: by
     * every location and every nginx counting with the same window.
     */

    len = sizeof("window= shingle= bands= rows=") - 1 + 4 * NGX_INT_T_LEN;

    def = ngx_pnalloc(cf->pool, len);
    if (def == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sprintf(def, "window=%M shingle=%d bands=%d rows=%d",
                      dcf->window, CM_DUP_SHINGLE, CM_DUP_BANDS, CM_DUP_ROWS)
          - def;

    dcf->ident.data = ngx_pnalloc(cf->pool, sizeof("dup:12345678:") - 1);
    if (dcf->ident.data == NULL) {
        return NGX_CONF_ERROR;
    }

    dcf->ident.len = ngx_sprintf(dcf->ident.data, "dup:%08xD:",
                                 ngx_crc32_short(def, len))
                     - dcf->ident.data;

    *field = dcf;

    return NGX_CONF_OK;
}


char *
ngx_http_cm_dup_check(ngx_conf_t *cf, ngx_http_cm_dup_conf_t *dcf,
    cm_ruleset_t *rules)
{
    size_t           i, n;
    ngx_str_t        text;
    cm_rule_info_t   info;

    static ngx_str_t  name = ngx_string("comment_moderation_duplicates");

    n = rules ? cm_ruleset_nrules(rules) : 0;

    for (i = 0; i < n; i++) {
        if (cm_ruleset_rule(rules, i, &info) == CM_OK
            && info.id == dcf->id)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%V\" id=%ui is also the id of the rule at "
                          "%s:%ud, give it another id= in %V:%ui",
                          &name, dcf->id, info.file, info.line,
                          &dcf->file, dcf->line);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_cm_status_tag(cf, &ngx_http_cm_dup_tag) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (dcf->script == NULL) {
        ngx_str_set(&text, NGX_HTTP_CM_DUP_SCRIPT);

        dcf->script = ngx_http_cm_redis_use(cf, &text, &name);
        if (dcf->script == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_cm_dup_start(ngx_http_request_t *r, ngx_http_cm_dup_conf_t *dcf,
    const cm_alloc_t *a, cm_fields_t *fields,
    ngx_http_event_handler_pt resume, ngx_http_cm_dup_t **dupp)
{
    int                   argc;
    ngx_http_cm_dup_t    *dup;
    ngx_pool_cleanup_t   *cln;
    ngx_http_cm_redis_t  *redis;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_cm_dup_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    dup = cln->data;
    ngx_memzero(dup, sizeof(ngx_http_cm_dup_t));

    cln->handler = ngx_http_cm_dup_cleanup;

    dup->request = r;
    dup->resume = resume;
    *dupp = dup;

    if (cm_dup_fields(a, fields->elts, fields->nelts, dcf->min_length,
                      dup->sigs, NGX_HTTP_CM_DUP_TEXTS, &dup->nsigs)
        != CM_OK)
    {
        return NGX_ERROR;
    }

    if (dup->nsigs == 0) {
        /* short, common comments are not counted */
        return NGX_OK;
    }

    if (ngx_http_cm_dup_argv(r, dcf, dup, &argc) != NGX_OK) {
        return NGX_ERROR;
    }

    redis = ngx_http_cm_redis_get(r, NULL);

    dup->cmd = ngx_http_cm_redis_eval(redis, dcf->script, argc, dup->argv,
                                      dup->argvlen, ngx_http_cm_dup_reply,
                                      dup);
    if (dup->cmd == NULL) {
        /* no connection to Redis: no reason to wait for one */
        dup->failed = 1;
        return NGX_OK;
    }

    /* notices a client that gives up while Redis is asked */

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_AGAIN;
}


/* EVALSHA sha numkeys PREFIXdup:IDENT:x:HASH PREFIXdup:IDENT:b:HASH... */

static ngx_int_t
ngx_http_cm_dup_argv(ngx_http_request_t *r, ngx_http_cm_dup_conf_t *dcf,
    ngx_http_cm_dup_t *dup, int *argc)
{
    u_char      *p, *key;
    size_t       len, nkeys;
    ngx_str_t    prefix;
    ngx_uint_t   i, b, n;

    (void) ngx_http_cm_redis_get(r, &prefix);

    dup->keys = 1 + (dcf->near ? CM_DUP_BANDS : 0);
    nkeys = dup->nsigs * dup->keys;

    dup->argv = ngx_palloc(r->pool, (nkeys + 5) * sizeof(char *));
    dup->argvlen = ngx_palloc(r->pool, (nkeys + 5) * sizeof(size_t));

    len = prefix.len + dcf->ident.len + NGX_HTTP_CM_DUP_KEY_TAIL;
    p = ngx_pnalloc(r->pool, nkeys * len + NGX_INT_T_LEN);

    if (dup->argv == NULL || dup->argvlen == NULL || p == NULL) {
        return NGX_ERROR;
    }

    /* argv[0] and argv[1], EVALSHA and the SHA1, are the client's */

    dup->argv[2] = (const char *) p;
    p = ngx_sprintf(p, "%uz", nkeys);
    dup->argvlen[2] = p - (u_char *) dup->argv[2];

    n = 3;

    for (i = 0; i < dup->nsigs; i++) {
        for (b = 0; b < dup->keys; b++) {
            key = p;
            p = ngx_cpymem(p, prefix.data, prefix.len);
            p = ngx_cpymem(p, dcf->ident.data, dcf->ident.len);

            if (b == 0) {
                p = ngx_sprintf(p, "x:%016uxL", dup->sigs[i].exact);

            } else {
                p = ngx_sprintf(p, "%ui:%016uxL", b - 1,
                                dup->sigs[i].bands[b - 1]);
            }

            dup->argv[n] = (const char *) key;
            dup->argvlen[n++] = p - key;
        }
    }

    dup->argv[n] = (const char *) dcf->window_arg.data;
    dup->argvlen[n++] = dcf->window_arg.len;
    dup->argv[n] = (const char *) dcf->threshold_arg.data;
    dup->argvlen[n++] = dcf->threshold_arg.len;

    *argc = (int) n;

    return NGX_OK;
}


/*
 * Called from a hiredis callback or a timer: records the answer and
 * posts the request's write event; the decision is made from there.
 */

static void
ngx_http_cm_dup_reply(void *data, redisReply *reply)
{
    ngx_http_cm_dup_t *dup = data;

    ngx_uint_t           at;
    redisReply          *copies, *key;
    ngx_http_request_t  *r;

    r = dup->request;
    dup->cmd = NULL;

    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY
        && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_INTEGER
        && reply->element[1]->type == REDIS_REPLY_INTEGER)
    {
        copies = reply->element[0];
        key = reply->element[1];
        at = (ngx_uint_t) key->integer;

        if (at >= 1 && at <= dup->nsigs * dup->keys) {
            dup->copies = (ngx_int_t) copies->integer;
            dup->field = dup->sigs[(at - 1) / dup->keys].field;
        }

    } else {
        if (reply != NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "comment moderation: unexpected redis reply to "
                          "the duplicates script: type %d %*s",
                          reply->type,
                          reply->type == REDIS_REPLY_ERROR ? reply->len : 0,
                          reply->str);
        }

        dup->failed = 1;
    }

    r->write_event_handler = dup->resume;
    ngx_post_event(r->connection->write, &ngx_posted_events);
}


/* the request is gone: its reply, when it comes, goes nowhere */

static void
ngx_http_cm_dup_cleanup(void *data)
{
    ngx_http_cm_dup_t *dup = data;

    if (dup->cmd) {
        ngx_http_cm_redis_cancel(dup->cmd);
        dup->cmd = NULL;
    }
}


ngx_int_t
ngx_http_cm_dup_result(ngx_http_request_t *r, ngx_http_cm_dup_conf_t *dcf,
    ngx_http_cm_dup_t *dup, cm_fields_t *fields, cm_result_t *res)
{
    if (dup->failed) {
        ngx_http_cm_count(r, NGX_HTTP_CM_STAT_REDIS_FAILURES, 1);

        return ngx_http_cm_redis_closed(r) ? NGX_HTTP_SERVICE_UNAVAILABLE
                                           : NGX_OK;
    }

    if (dup->copies < (ngx_int_t) dcf->threshold) {
        return NGX_OK;
    }

    ngx_http_cm_count(r, NGX_HTTP_CM_STAT_DUPLICATES, 1);

    return ngx_http_cm_dup_hit(r, dcf, dup, fields, res);
}


/* one hit more, at the end, as the rule with the duplicates' id would */

static ngx_int_t
ngx_http_cm_dup_hit(ngx_http_request_t *r, ngx_http_cm_dup_conf_t *dcf,
    ngx_http_cm_dup_t *dup, cm_fields_t *fields, cm_result_t *res)
{
    cm_hit_t  *hits, *hit;

    hits = ngx_palloc(r->pool, (res->nhits + 1) * sizeof(cm_hit_t));
    if (hits == NULL) {
        return NGX_ERROR;
    }

    if (res->nhits) {
        ngx_memcpy(hits, res->hits, res->nhits * sizeof(cm_hit_t));
    }

    hit = &hits[res->nhits];

    hit->id = (unsigned) dcf->id;
    hit->score = (int) dcf->score;
    hit->tag = (const char *) ngx_http_cm_dup_tag.data;
    hit->msg = "Komentar yang sama dikirim berulang kali";
    hit->field = dup->field;
    hit->start = 0;
    hit->end = fields->elts[dup->field].value_len;
    hit->count = (unsigned) dup->copies;

    res->hits = hits;
    res->nhits++;
    res->score += (int) dcf->score;

    return NGX_OK;
}
