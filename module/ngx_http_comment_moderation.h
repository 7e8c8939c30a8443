
/*
 * What the comment moderation module shares with its companion modules
 * in the same shared object (the Redis rate limiter).
 */


#ifndef _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_
#define _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


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

/* counts a post whose rate limit Redis could not answer in time */
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


extern ngx_module_t  ngx_http_comment_moderation_module;


#endif /* _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_ */
