
/*
 * comment_moderation_penalty: repeat offenders banned, in Redis.  The
 * rate limit module checks the bans before a body is read, in the same
 * script as the limits, and has each rejected post recorded.
 */


#ifndef _NGX_HTTP_CM_PENALTY_H_INCLUDED_
#define _NGX_HTTP_CM_PENALTY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cm_redis.h"


typedef struct {
    ngx_http_complex_value_t     key;
    ngx_str_t                    ident;      /* "pen:<crc32>:" */
    ngx_str_t                    after;      /* the script's ARGV, as text */
    ngx_str_t                    within;     /* ms */
    ngx_str_t                    ban;        /* ms */
    ngx_str_t                    max;        /* ms */
} ngx_http_cm_penalty_t;


/*
 * comment_moderation_penalty key=STRING after=N within=TIME ban=TIME
 *     [max=TIME];
 * adds one to the array at cmd->offset of the location's configuration
 * (NGX_CONF_UNSET_PTR until the first)
 */
char *ngx_http_cm_penalty_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* the script that records a rejected post, registered with Redis */
ngx_http_cm_redis_script_t *ngx_http_cm_penalty_script(ngx_conf_t *cf);

/*
 * The ban keys of the request's penalties, for the check before the body
 * is read: into keys[] (room for every penalty), *n of them; a penalty
 * whose key is empty is skipped.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_cm_penalty_bans(ngx_http_request_t *r,
    ngx_array_t *penalties, ngx_str_t *prefix, ngx_str_t *keys,
    ngx_uint_t *n);

/*
 * A post was rejected: counted against each penalty's key; the key that
 * reaches "after" rejections within "within" is banned (in detect mode
 * only logged).  Nothing waits for the answer, which is logged; the
 * request may be gone by then.
 */
void ngx_http_cm_penalty_record(ngx_http_request_t *r,
    ngx_array_t *penalties, ngx_http_cm_redis_t *redis, ngx_str_t *prefix,
    ngx_http_cm_redis_script_t *script, ngx_flag_t detect);


#endif /* _NGX_HTTP_CM_PENALTY_H_INCLUDED_ */
