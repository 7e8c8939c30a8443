
/*
 * comment_moderation_duplicates: copies of one comment counted across the
 * whole site in Redis, after the body is read.  The moderation module
 * calls these; the signatures come from the engine (cm_dup_fields), the
 * connection from the rate limit module.
 */


#ifndef _NGX_HTTP_CM_DUP_H_INCLUDED_
#define _NGX_HTTP_CM_DUP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "cm_engine.h"
#include "ngx_http_cm_redis.h"


typedef struct {
    ngx_msec_t                   window;
    ngx_uint_t                   threshold;
    ngx_int_t                    score;
    ngx_uint_t                   min_length;
    ngx_uint_t                   id;
    ngx_flag_t                   near;
    ngx_str_t                    ident;      /* "dup:<crc32>:" */
    ngx_str_t                    window_arg;     /* the script's ARGV */
    ngx_str_t                    threshold_arg;
    ngx_http_cm_redis_script_t  *script;
    ngx_str_t                    file;       /* where the directive is */
    ngx_uint_t                   line;
} ngx_http_cm_dup_conf_t;

typedef struct ngx_http_cm_dup_s  ngx_http_cm_dup_t;


/*
 * comment_moderation_duplicates window=TIME threshold=N score=S
 *     [min_length=L] [id=ID] [near=on|off] | off;
 * stores an ngx_http_cm_dup_conf_t pointer (NULL for off) at
 * cmd->offset of the location's configuration
 */
char *ngx_http_cm_dup_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * At merge: the id must be no rule's of the location, and Redis must be
 * configured.  Logs and returns NGX_CONF_ERROR otherwise.
 */
char *ngx_http_cm_dup_check(ngx_conf_t *cf, ngx_http_cm_dup_conf_t *dcf,
    cm_ruleset_t *rules);

/*
 * Counts the post's texts in Redis.  NGX_AGAIN: Redis is asked; the
 * request's write event is posted with "resume" as its handler when the
 * answer (or the timeout) comes.  NGX_OK: decided at once (nothing long
 * enough to count, or no connection).  NGX_ERROR: no memory.  *dup is
 * what ngx_http_cm_dup_result() reads.  The engine's working memory
 * comes from "a".
 */
ngx_int_t ngx_http_cm_dup_start(ngx_http_request_t *r,
    ngx_http_cm_dup_conf_t *dcf, const cm_alloc_t *a, cm_fields_t *fields,
    ngx_http_event_handler_pt resume, ngx_http_cm_dup_t **dup);

/*
 * The answer: from the threshold-th copy on, a hit with the id and score
 * is added to "res", as a rule's.  NGX_OK; NGX_HTTP_SERVICE_UNAVAILABLE
 * when Redis could not answer and comment_moderation_redis_failure is
 * closed (the failure is counted either way); NGX_ERROR: no memory.
 */
ngx_int_t ngx_http_cm_dup_result(ngx_http_request_t *r,
    ngx_http_cm_dup_conf_t *dcf, ngx_http_cm_dup_t *dup,
    cm_fields_t *fields, cm_result_t *res);


#endif /* _NGX_HTTP_CM_DUP_H_INCLUDED_ */
