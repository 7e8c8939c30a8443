
/*
 * What the files of the comment moderation module share: the moderation
 * module itself, the answers to the reader (ngx_http_cm_answer.c), the
 * counters (ngx_http_cm_status.c) and the Redis rate limiter, which also
 * owns the Redis connection the other fleet-wide checks use (duplicates,
 * penalties).
 *
 * A decision travels as an ngx_http_cm_verdict_t: whoever decides fills
 * one in and hands it over; nobody reads a decision back from headers or
 * strings.
 */


#ifndef _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_
#define _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cm_redis.h"


/* pass, hold and reject have the values of the engine's cm_decision_e */

typedef enum {
    NGX_HTTP_CM_PASS = 0,
    NGX_HTTP_CM_HOLD,
    NGX_HTTP_CM_REJECT,
    NGX_HTTP_CM_LIMIT                  /* refused by a rate limit */
} ngx_http_cm_decision_e;

#define NGX_HTTP_CM_NDECISIONS  4


typedef struct {
    ngx_http_cm_decision_e     decision;
    ngx_int_t                  score;
    ngx_str_t                  rules;        /* matched ids, "1001,2003" */
    time_t                     retry_after;  /* seconds; 0: none */
    ngx_uint_t                 status;       /* of the answer to a refusal */
    ngx_str_t                 *message;      /* the reader-facing reason */

    /* for the reader to edit a rejected comment; empty when not read */
    ngx_str_t                  body;         /* the post, as sent */
    ngx_str_t                  field;        /* the top-scoring hit's */
} ngx_http_cm_verdict_t;


/* the counters of ngx_http_cm_status.c, besides decisions and rules */

typedef enum {
    NGX_HTTP_CM_STAT_DETECT_ONLY = 0,  /* rejects not enforced */
    NGX_HTTP_CM_STAT_MALFORMED,        /* bodies inspected raw */
    NGX_HTTP_CM_STAT_MATCH_LIMIT,      /* matches stopped by the limit */
    NGX_HTTP_CM_STAT_ERRORS,           /* could not inspect (500) */
    NGX_HTTP_CM_STAT_UNDECIDED,        /* match limit or engine error */
    NGX_HTTP_CM_STAT_REDIS_FAILURES,   /* Redis could not answer in time:
                                          limits, duplicates, penalties */
    NGX_HTTP_CM_STAT_DUPLICATES,       /* posts counted as copies */
    NGX_HTTP_CM_STAT_BANNED,           /* posts refused by a penalty's ban */
    NGX_HTTP_CM_STAT_UNRECORDED,       /* rejections whose penalty record
                                          Redis did not confirm */
    NGX_HTTP_CM_NSTATS
} ngx_http_cm_stat_e;


/* "pass", "hold", "reject", "limit", indexed by ngx_http_cm_decision_e */
extern ngx_str_t  ngx_http_cm_decision_names[NGX_HTTP_CM_NDECISIONS];


/* ngx_http_comment_moderation_module.c */

/* whether "comment_moderation on" applies to this request's location */
ngx_flag_t ngx_http_cm_enabled(ngx_http_request_t *r);

/* whether "comment_moderation_mode detect" applies to this request */
ngx_flag_t ngx_http_cm_detect(ngx_http_request_t *r);

/*
 * A verdict reached outside the content rules (a rate limit, a ban): sets
 * $comment_moderation_decision and the score, counts the decision, keeps
 * the content rules from running for this request, and, for a limit or a
 * reject, answers the reader (ngx_http_cm_answer()).  Returns NGX_DECLINED
 * for a pass or a hold, else what ngx_http_finalize_request() takes.
 */
ngx_int_t ngx_http_cm_verdict(ngx_http_request_t *r,
    ngx_http_cm_verdict_t *v);

/*
 * A request context that survives internal redirects (which clear module
 * contexts): it lives in a pool cleanup with "handler", as realip's does,
 * and is found there again.  The memory is zeroed.
 */
void *ngx_http_cm_ctx_create(ngx_http_request_t *r, ngx_module_t *module,
    size_t size, ngx_pool_cleanup_pt handler);
void *ngx_http_cm_ctx_get(ngx_http_request_t *r, ngx_module_t *module,
    ngx_pool_cleanup_pt handler);


/* ngx_http_cm_answer.c */

/*
 * Sends the reader-facing answer to a refused comment: a JSON object
 * {"decision", "score", "reason"[, "retry_after"]} when the client asked
 * for JSON, else an HTML page (comment_moderation_template) that links
 * back to the page the comment was written on and, for a reject, gives
 * the text back to edit.  A retry_after is also sent as Retry-After.
 * When the location has an error_page for v->status, nothing is sent and
 * the status is returned, for nginx to serve that page.  Returns what
 * ngx_http_finalize_request() takes.
 */
ngx_int_t ngx_http_cm_answer(ngx_http_request_t *r, ngx_http_cm_verdict_t *v);


/* ngx_http_cm_status.c: counters shared by all workers */

void ngx_http_cm_count(ngx_http_request_t *r, ngx_http_cm_stat_e stat,
    ngx_uint_t n);
/* the counter itself, or NULL: for a callback the request may outlive */
ngx_atomic_t *ngx_http_cm_counter(ngx_http_request_t *r,
    ngx_http_cm_stat_e stat);
void ngx_http_cm_count_decision(ngx_http_request_t *r,
    ngx_http_cm_decision_e decision);
void ngx_http_cm_count_rule(ngx_http_request_t *r, ngx_uint_t id);

/* the microseconds spent deciding one comment, into the histogram */
void ngx_http_cm_count_time(ngx_http_request_t *r, ngx_uint_t usec);

/*
 * A comment decided pass, hold or reject, with the tags of the rules that
 * matched it (each counted once, however often it is given).
 */
void ngx_http_cm_count_tags(ngx_http_request_t *r, ngx_str_t *tags,
    ngx_uint_t n, ngx_http_cm_decision_e decision);

/*
 * At configuration time: a tag of a loaded rule set, to be counted by
 * name.  Only the tags given here are counted; the name must live as
 * long as the configuration.
 */
ngx_int_t ngx_http_cm_status_tag(ngx_conf_t *cf, ngx_str_t *tag);


/* ngx_http_comment_moderation_limit_module.c: the Redis connection */

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
extern ngx_module_t  ngx_http_comment_moderation_status_module;
extern ngx_module_t  ngx_http_comment_moderation_answer_module;


#endif /* _NGX_HTTP_COMMENT_MODERATION_H_INCLUDED_ */
