
/*
 * comment_moderation_penalty: a key (a client address, an account) whose
 * posts were rejected "after" times within "within" is banned for "ban",
 * twice as long at each new ban, up to "max", as fail2ban's increasing
 * bantime does.  The state is in Redis, so a ban made by one nginx holds
 * on all of them.
 *
 * For each penalty and key value, three keys:
 *
 *   PREFIX pen:IDENT:n:KEY   rejections within the window
 *   PREFIX pen:IDENT:l:KEY   bans so far: the next one is 2^l times ban,
 *                            forgotten "max" after the last ban ends
 *   PREFIX pen:IDENT:b:KEY   the ban, expiring when it ends
 *
 * The ban is checked in the rate limit module's script, before the body
 * is read; a rejection is recorded after the decision, without making
 * the answer wait.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"
#include "ngx_http_cm_penalty.h"


#define NGX_HTTP_CM_PENALTY_YEAR  (365 * 86400 * (ngx_msec_t) 1000)
#define NGX_HTTP_CM_PENALTY_DAY   (86400 * (ngx_msec_t) 1000)

/* EVALSHA sha 3 n-key l-key b-key after within ban max detect */
#define NGX_HTTP_CM_PENALTY_ARGC  11


typedef struct {
    ngx_str_t                  key;         /* the value, for the log */
    ngx_atomic_t              *unrecorded;  /* the counter, or NULL */
    ngx_str_t                  after;
    ngx_str_t                  within;
    const char                *argv[NGX_HTTP_CM_PENALTY_ARGC];
    size_t                     argvlen[NGX_HTTP_CM_PENALTY_ARGC];
} ngx_http_cm_penalty_rec_t;


static ngx_msec_t ngx_http_cm_penalty_time(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *value, size_t skip);
static u_char *ngx_http_cm_penalty_key(u_char *p, ngx_str_t *prefix,
    ngx_http_cm_penalty_t *pen, u_char kind, ngx_str_t *value);
static void ngx_http_cm_penalty_reply(void *data, redisReply *reply);


/*
 * KEYS: the counter, the level and the ban; ARGV: after, within, ban and
 * max (ms), and "1" in detect mode, which bans no one.  Returns 0, the
 * ban in ms, or minus the ban it would have made in detect mode.
 */

#define NGX_HTTP_CM_PENALTY_SCRIPT                                           \
    "local n = redis.call('INCR', KEYS[1])\n"                                \
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"           \
    "if n < tonumber(ARGV[1]) then return 0 end\n"                           \
    "redis.call('DEL', KEYS[1])\n"                                           \
    "local level = tonumber(redis.call('GET', KEYS[2])) or 0\n"              \
    "local max = tonumber(ARGV[4])\n"                                        \
    "local ban = math.min(tonumber(ARGV[3]) * 2 ^ math.min(level, 40),\n"   \
    "                     max)\n"                                            \
    "if ARGV[5] == '1' then return -ban end\n"                               \
    "redis.call('SET', KEYS[3], '1', 'PX', string.format('%.0f', ban))\n"    \
    "redis.call('SET', KEYS[2], level + 1, 'PX',\n"                          \
    "           string.format('%.0f', ban + max))\n"                         \
    "return ban\n"


char *
ngx_http_cm_penalty_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char                            *def, *q;
    size_t                             len;
    ngx_int_t                          after;
    ngx_str_t                         *value, key;
    ngx_uint_t                         i;
    ngx_msec_t                         within, ban, max;
    ngx_array_t                      **penalties;
    ngx_http_cm_penalty_t             *pen, *other;
    ngx_http_compile_complex_value_t   ccv;

    penalties = (ngx_array_t **) (p + cmd->offset);
    value = cf->args->elts;

    ngx_str_null(&key);
    after = 0;
    within = 0;
    ban = 0;
    max = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "key=", 4) == 0) {
            key.data = value[i].data + 4;
            key.len = value[i].len - 4;

            if (key.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "after=", 6) == 0) {
            after = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (after < 1 || after > 1000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" invalid \"%V\", expected "
                                   "after=1 to 1000000 rejections",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "within=", 7) == 0) {
            within = ngx_http_cm_penalty_time(cf, cmd, &value[i], 7);
            if (within == 0) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ban=", 4) == 0) {
            ban = ngx_http_cm_penalty_time(cf, cmd, &value[i], 4);
            if (ban == 0) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max=", 4) == 0) {
            max = ngx_http_cm_penalty_time(cf, cmd, &value[i], 4);
            if (max == 0) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        goto invalid;
    }

    if (key.len == 0 || after == 0 || within == 0 || ban == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs key=, after=, within= and ban=",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (max == 0) {
        max = ngx_max(ban, NGX_HTTP_CM_PENALTY_DAY);
    }

    if (max < ban) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" max=%Mms is shorter than ban=%Mms",
                           &cmd->name, max, ban);
        return NGX_CONF_ERROR;
    }

    if (*penalties == NGX_CONF_UNSET_PTR) {
        *penalties = ngx_array_create(cf->pool, 2,
                                      sizeof(ngx_http_cm_penalty_t));
        if (*penalties == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    pen = ngx_array_push(*penalties);
    if (pen == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(pen, sizeof(ngx_http_cm_penalty_t));

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &key;
    ccv.complex_value = &pen->key;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    q = ngx_pnalloc(cf->pool, 4 * NGX_INT_T_LEN);
    if (q == NULL) {
        return NGX_CONF_ERROR;
    }

    pen->after.data = q;
    q = ngx_sprintf(q, "%i", after);
    pen->after.len = q - pen->after.data;

    pen->within.data = q;
    q = ngx_sprintf(q, "%M", within);
    pen->within.len = q - pen->within.data;

    pen->ban.data = q;
    q = ngx_sprintf(q, "%M", ban);
    pen->ban.len = q - pen->ban.data;

    pen->max.data = q;
    q = ngx_sprintf(q, "%M", max);
    pen->max.len = q - pen->max.data;

    /*
     * The identity is the penalty's definition, the same on every nginx
     * that shares the Redis: two penalties never share a count or a ban.
     */

    len = key.len + pen->after.len + pen->within.len + pen->ban.len
          + pen->max.len + 4;

    def = ngx_pnalloc(cf->pool, len);
    if (def == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sprintf(def, "%V %V %V %V %V", &key, &pen->after,
                      &pen->within, &pen->ban, &pen->max)
          - def;

    pen->ident.data = ngx_pnalloc(cf->pool, sizeof("pen:12345678:") - 1);
    if (pen->ident.data == NULL) {
        return NGX_CONF_ERROR;
    }

    pen->ident.len = ngx_sprintf(pen->ident.data, "pen:%08xD:",
                                 ngx_crc32_short(def, len))
                     - pen->ident.data;

    other = (*penalties)->elts;

    for (i = 0; i + 1 < (*penalties)->nelts; i++) {
        if (ngx_strncmp(other[i].ident.data, pen->ident.data,
                        pen->ident.len) == 0)
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


/* "name=TIME", from 1ms to a year, as Redis can keep a key; 0: error */

static ngx_msec_t
ngx_http_cm_penalty_time(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, size_t skip)
{
    ngx_str_t   s;
    ngx_msec_t  t;

    s.data = value->data + skip;
    s.len = value->len - skip;

    t = ngx_parse_time(&s, 0);

    if (t == (ngx_msec_t) NGX_ERROR || t == 0
        || t > NGX_HTTP_CM_PENALTY_YEAR)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" invalid \"%V\", expected a time from 1ms "
                           "to 365d", &cmd->name, value);
        return 0;
    }

    return t;
}


ngx_http_cm_redis_script_t *
ngx_http_cm_penalty_script(ngx_conf_t *cf)
{
    ngx_str_t  text;

    static ngx_str_t  name = ngx_string("comment_moderation_penalty");

    ngx_str_set(&text, NGX_HTTP_CM_PENALTY_SCRIPT);

    return ngx_http_cm_redis_use(cf, &text, &name);
}


ngx_int_t
ngx_http_cm_penalty_bans(ngx_http_request_t *r, ngx_array_t *penalties,
    ngx_str_t *prefix, ngx_str_t *keys, ngx_uint_t *n)
{
    u_char                 *p;
    ngx_str_t               value;
    ngx_uint_t              i;
    ngx_http_cm_penalty_t  *pen;

    pen = penalties->elts;
    *n = 0;

    for (i = 0; i < penalties->nelts; i++) {
        if (ngx_http_complex_value(r, &pen[i].key, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        /* an empty key is how operators exempt clients */

        if (value.len == 0) {
            continue;
        }

        p = ngx_pnalloc(r->pool, prefix->len + pen[i].ident.len + 2
                                 + value.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        keys[*n].data = p;
        keys[*n].len = ngx_http_cm_penalty_key(p, prefix, &pen[i], 'b',
                                               &value)
                       - p;
        (*n)++;
    }

    return NGX_OK;
}


static u_char *
ngx_http_cm_penalty_key(u_char *p, ngx_str_t *prefix,
    ngx_http_cm_penalty_t *pen, u_char kind, ngx_str_t *value)
{
    p = ngx_cpymem(p, prefix->data, prefix->len);
    p = ngx_cpymem(p, pen->ident.data, pen->ident.len);
    *p++ = kind;
    *p++ = ':';

    return ngx_cpymem(p, value->data, value->len);
}


void
ngx_http_cm_penalty_record(ngx_http_request_t *r, ngx_array_t *penalties,
    ngx_http_cm_redis_t *redis, ngx_str_t *prefix,
    ngx_http_cm_redis_script_t *script, ngx_flag_t detect)
{
    u_char                     *p;
    size_t                      len;
    ngx_str_t                   value;
    ngx_uint_t                  i;
    ngx_http_cm_penalty_t      *pen;
    ngx_http_cm_penalty_rec_t  *rec;

    pen = penalties->elts;

    for (i = 0; i < penalties->nelts; i++) {
        if (ngx_http_complex_value(r, &pen[i].key, &value) != NGX_OK) {
            return;
        }

        if (value.len == 0) {
            continue;
        }

        /*
         * Outside the request's pool: the answer, and a NOSCRIPT retry,
         * may come after the request is gone.  The handler frees it.
         */

        len = prefix->len + pen[i].ident.len + 2 + value.len;

        rec = ngx_alloc(sizeof(ngx_http_cm_penalty_rec_t) + 4 * len,
                        r->connection->log);
        if (rec == NULL) {
            ngx_http_cm_count(r, NGX_HTTP_CM_STAT_UNRECORDED, 1);
            return;
        }

        p = (u_char *) rec + sizeof(ngx_http_cm_penalty_rec_t);

        rec->key.data = p;
        rec->key.len = value.len;
        p = ngx_cpymem(p, value.data, value.len);

        rec->unrecorded = ngx_http_cm_counter(r, NGX_HTTP_CM_STAT_UNRECORDED);
        rec->after = pen[i].after;
        rec->within = pen[i].within;

        rec->argv[2] = "3";
        rec->argvlen[2] = 1;

        rec->argv[3] = (const char *) p;
        p = ngx_http_cm_penalty_key(p, prefix, &pen[i], 'n', &value);
        rec->argvlen[3] = p - (u_char *) rec->argv[3];

        rec->argv[4] = (const char *) p;
        p = ngx_http_cm_penalty_key(p, prefix, &pen[i], 'l', &value);
        rec->argvlen[4] = p - (u_char *) rec->argv[4];

        rec->argv[5] = (const char *) p;
        p = ngx_http_cm_penalty_key(p, prefix, &pen[i], 'b', &value);
        rec->argvlen[5] = p - (u_char *) rec->argv[5];

        rec->argv[6] = (const char *) pen[i].after.data;
        rec->argvlen[6] = pen[i].after.len;
        rec->argv[7] = (const char *) pen[i].within.data;
        rec->argvlen[7] = pen[i].within.len;
        rec->argv[8] = (const char *) pen[i].ban.data;
        rec->argvlen[8] = pen[i].ban.len;
        rec->argv[9] = (const char *) pen[i].max.data;
        rec->argvlen[9] = pen[i].max.len;
        rec->argv[10] = detect ? "1" : "0";
        rec->argvlen[10] = 1;

        if (ngx_http_cm_redis_eval(redis, script, NGX_HTTP_CM_PENALTY_ARGC,
                                   rec->argv, rec->argvlen,
                                   ngx_http_cm_penalty_reply, rec)
            == NULL)
        {
            /* the client logs the outage, once for all of it */

            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "comment moderation: penalty not recorded, "
                           "no redis connection");
            ngx_http_cm_count(r, NGX_HTTP_CM_STAT_UNRECORDED, 1);
            ngx_free(rec);
        }
    }
}


/* the request may be gone: the cycle's log */

static void
ngx_http_cm_penalty_reply(void *data, redisReply *reply)
{
    ngx_http_cm_penalty_rec_t *rec = data;

    size_t      i;
    ngx_str_t   key;
    ngx_uint_t  binary;
    u_char      hex[2 * 64];

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {

        /* no answer (the link went, or the time ran out), or an error */

        if (rec->unrecorded) {
            (void) ngx_atomic_fetch_add(rec->unrecorded, 1);
        }

        if (reply) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "comment moderation: redis penalty script "
                          "failed: %*s",
                          reply->type == REDIS_REPLY_ERROR ? reply->len : 0,
                          reply->str);
        }

        ngx_free(rec);
        return;
    }

    if (reply->integer == 0) {
        ngx_free(rec);
        return;
    }

    /* a key such as $binary_remote_addr is logged in hex */

    key = rec->key;
    binary = 0;

    for (i = 0; i < key.len; i++) {
        if (key.data[i] < 0x20 || key.data[i] >= 0x7f || key.data[i] == '"') {
            binary = 1;
            break;
        }
    }

    if (binary) {
        key.len = ngx_hex_dump(hex, key.data, ngx_min(key.len, 64)) - hex;
        key.data = hex;
    }

    if (reply->integer > 0) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "comment moderation: penalty: key %s\"%V\" banned for "
                      "%Ls after %V rejections within %Vms",
                      binary ? "0x" : "", &key,
                      (reply->integer + 999) / 1000, &rec->after,
                      &rec->within);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "comment moderation: penalty: key %s\"%V\" would be "
                      "banned for %Ls after %V rejections within %Vms "
                      "(detect mode)", binary ? "0x" : "", &key,
                      (-reply->integer + 999) / 1000, &rec->after,
                      &rec->within);
    }

    ngx_free(rec);
}
