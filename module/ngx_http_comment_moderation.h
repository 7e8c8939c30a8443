
/*
 * What the comment moderation module shares with its companion modules
 * in the same shared object (the Redis rate limiter, which also owns the
 * Redis connection the other fleet-wide checks use).
 */


#ifndef _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_
#define _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cm_redis.h"


#define NGX_HTTP_CM_NDECISIONS  4     /* pass, hold, reject, limit */


/* whether "comment_moderation on" applies to this request's location */
ngx_flag_t ngx_http_cm_enabled(ngx_http_request_t *r);

/*
 * Sets $comment_moderation_decision (and the score) for this request, and
 * counts the decision in the statistics that comment_moderation_status
 * shows.
 */
ngx_int_t ngx_http_cm_set_decision(ngx_http_request_t *r,
    ngx_str_t *decision, ngx_int_t score);

/*
 * A request context that survives internal redirects (which clear module
 * contexts): it lives in a pool cleanup with "handler", as realip's does,
 * and is found there again.  The memory is zeroed.
 */
void *ngx_http_cm_ctx_create(ngx_http_request_t *r, ngx_module_t *module,
    size_t size, ngx_pool_cleanup_pt handler);
void *ngx_http_cm_ctx_get(ngx_http_request_t *r, ngx_module_t *module,
    ngx_pool_cleanup_pt handler);

/* counts a post Redis could not answer for in time (limits, duplicates) */
void ngx_http_cm_count_redis_failure(ngx_http_request_t *r);

/*
 * Sends the reader-facing answer: a JSON object {"decision", "score",
 * "reason"} when the client asked for JSON, else a small HTML page with
 * "title" and "message".  A Retry-After header (whole seconds) set before
 * the call is repeated in the JSON as "retry_after".  When the location
 * has an error_page for the status, nothing is sent and the status is
 * returned, for nginx to serve that page.  Returns what
 * ngx_http_finalize_request() takes.
 */
ngx_int_t ngx_http_cm_send_answer(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *title, ngx_str_t *decision, ngx_int_t score,
    ngx_str_t *message);


/* whether "comment_moderation_mode detect" applies to this request */
ngx_flag_t ngx_http_cm_detect(ngx_http_request_t *r);

/*
 * The Redis of comment_moderation_redis, for the checks beside the rate
 * limits.  At configuration time a check gives the text of its Lua
 * script and gets it back registered, loaded on every connection (one
 * copy of each text); NULL, with an emerg naming "directive", when there
 * is no comment_moderation_redis.  In a request: this worker's
 * connection (NULL when there is none) and, if "prefix" is given, the
 * key prefix.
 */
ngx_http_cm_redis_script_t *ngx_http_cm_redis_use(ngx_conf_t *cf,
    ngx_str_t *text, ngx_str_t *directive);
ngx_http_cm_redis_t *ngx_http_cm_redis_get(ngx_http_request_t *r,
    ngx_str_t *prefix);

/* "comment_moderation_redis_failure closed" applies to this request */
ngx_flag_t ngx_http_cm_redis_closed(ngx_http_request_t *r);

/*
 * The post was rejected (in detect mode too): counted against the
 * location's comment_moderation_penalty keys.  Nothing waits for Redis.
 */
void ngx_http_cm_penalty_rejected(ngx_http_request_t *r);


extern ngx_module_t  ngx_http_comment_moderation_module;


#endif /* _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_ */
