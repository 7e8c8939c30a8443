
/*
 * ngx_http_comment_moderation_status_module: the counters of comment
 * moderation, shared by all workers and kept across reloads, and the
 * comment_moderation_status page that shows them in Prometheus' text
 * format.
 *
 * The counters live in one shared memory zone that this module owns; the
 * other files count through ngx_http_cm_count*() and never see it.  Rule
 * ids go into an open-addressing table that is claimed slot by slot with
 * CAS, so workers need no lock.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"


#define NGX_HTTP_CM_RULE_SLOTS  4096
#define NGX_HTTP_CM_RULE_PROBES 64


typedef struct {
    ngx_atomic_t               id;
    ngx_atomic_t               hits;
} ngx_http_cm_rule_stat_t;


typedef struct {
    ngx_atomic_t               decisions[NGX_HTTP_CM_NDECISIONS];
    ngx_atomic_t               counters[NGX_HTTP_CM_NSTATS];
    ngx_atomic_t               rules_untracked;
    ngx_http_cm_rule_stat_t    rules[NGX_HTTP_CM_RULE_SLOTS];
} ngx_http_cm_stats_t;


typedef struct {
    ngx_shm_zone_t            *zone;
} ngx_http_cm_status_main_conf_t;


/* how each counter of ngx_http_cm_stat_e is shown, in that order */

typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  help;
} ngx_http_cm_stat_name_t;


static ngx_http_cm_stats_t *ngx_http_cm_stats(ngx_http_request_t *r);
static ngx_int_t ngx_http_cm_status_handler(ngx_http_request_t *r);
static ngx_buf_t *ngx_http_cm_status_page(ngx_http_request_t *r,
    ngx_http_cm_stats_t *st);
static u_char *ngx_http_cm_status_counter(u_char *p, ngx_str_t *name,
    ngx_str_t *help, ngx_atomic_uint_t value);
static char *ngx_http_cm_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_cm_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void *ngx_http_cm_status_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_cm_status_init_main_conf(ngx_conf_t *cf, void *conf);


static ngx_command_t  ngx_http_cm_status_commands[] = {

    { ngx_string("comment_moderation_status"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_cm_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_cm_status_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_cm_status_create_main_conf,   /* create main configuration */
    ngx_http_cm_status_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_comment_moderation_status_module = {
    NGX_MODULE_V1,
    &ngx_http_cm_status_module_ctx,        /* module context */
    ngx_http_cm_status_commands,           /* module directives */
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


static ngx_http_cm_stat_name_t  ngx_http_cm_stat_names[] = {

    { ngx_string("comment_moderation_detect_only_total"),
      ngx_string("Rejects not enforced (detect mode).") },

    { ngx_string("comment_moderation_malformed_bodies_total"),
      ngx_string("Bodies inspected raw because they did not parse.") },

    { ngx_string("comment_moderation_match_limit_total"),
      ngx_string("Rule matches stopped by the PCRE2 match limit.") },

    { ngx_string("comment_moderation_errors_total"),
      ngx_string("Comments that could not be inspected (answered 500).") },

    { ngx_string("comment_moderation_undecided_total"),
      ngx_string("Comments the engine could not wholly decide "
                 "(match limit, engine error).") },

    { ngx_string("comment_moderation_redis_failures_total"),
      ngx_string("Posts whose rate limit Redis could not answer in time.") }
};


static ngx_str_t  ngx_http_cm_status_zone_name =
    ngx_string("comment_moderation");


void
ngx_http_cm_count(ngx_http_request_t *r, ngx_http_cm_stat_e stat,
    ngx_uint_t n)
{
    ngx_http_cm_stats_t  *st;

    st = ngx_http_cm_stats(r);

    if (st && n) {
        (void) ngx_atomic_fetch_add(&st->counters[stat], n);
    }
}


void
ngx_http_cm_count_decision(ngx_http_request_t *r,
    ngx_http_cm_decision_e decision)
{
    ngx_http_cm_stats_t  *st;

    st = ngx_http_cm_stats(r);

    if (st) {
        (void) ngx_atomic_fetch_add(&st->decisions[decision], 1);
    }
}


void
ngx_http_cm_count_rule(ngx_http_request_t *r, ngx_uint_t id)
{
    ngx_uint_t                i, n;
    ngx_http_cm_stats_t      *st;
    ngx_http_cm_rule_stat_t  *slot;

    st = ngx_http_cm_stats(r);

    if (st == NULL) {
        return;
    }

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


static ngx_http_cm_stats_t *
ngx_http_cm_stats(ngx_http_request_t *r)
{
    ngx_http_cm_status_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_status_module);

    return smcf->zone ? smcf->zone->data : NULL;
}


static ngx_int_t
ngx_http_cm_status_handler(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_buf_t            *b;
    ngx_chain_t           out;
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

    b = ngx_http_cm_status_page(r, st);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* the counters, in Prometheus' text format */

static ngx_buf_t *
ngx_http_cm_status_page(ngx_http_request_t *r, ngx_http_cm_stats_t *st)
{
    size_t                    len;
    ngx_uint_t                i, n;
    ngx_buf_t                *b;
    ngx_http_cm_stat_name_t  *s;

    static ngx_str_t  untracked = ngx_string(
                          "comment_moderation_rules_untracked_total");
    static ngx_str_t  untracked_help = ngx_string(
                          "Rule hits not counted per rule: the table is "
                          "full.");

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
          + (NGX_HTTP_CM_NSTATS + 1) * (256 + NGX_ATOMIC_T_LEN)
          + n * (64 + 2 * NGX_ATOMIC_T_LEN);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
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
                              &ngx_http_cm_decision_names[i],
                              st->decisions[i]);
    }

    for (i = 0; i < NGX_HTTP_CM_NSTATS; i++) {
        s = &ngx_http_cm_stat_names[i];
        b->last = ngx_http_cm_status_counter(b->last, &s->name, &s->help,
                                             st->counters[i]);
    }

    b->last = ngx_cpymem(b->last,
        "# HELP comment_moderation_rule_hits_total Comments each rule "
        "matched.\n"
        "# TYPE comment_moderation_rule_hits_total counter\n",
        sizeof("# HELP comment_moderation_rule_hits_total Comments each "
               "rule matched.\n# TYPE comment_moderation_rule_hits_total "
               "counter\n") - 1);

    for (i = 0; i < NGX_HTTP_CM_RULE_SLOTS && n; i++) {
        if (st->rules[i].id) {
            n--;
            b->last = ngx_sprintf(b->last,
                                  "comment_moderation_rule_hits_total"
                                  "{rule=\"%uA\"} %uA\n",
                                  st->rules[i].id, st->rules[i].hits);
        }
    }

    b->last = ngx_http_cm_status_counter(b->last, &untracked,
                                         &untracked_help,
                                         st->rules_untracked);

    return b;
}


static u_char *
ngx_http_cm_status_counter(u_char *p, ngx_str_t *name, ngx_str_t *help,
    ngx_atomic_uint_t value)
{
    return ngx_sprintf(p, "# HELP %V %V\n# TYPE %V counter\n%V %uA\n",
                       name, help, name, name, value);
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
ngx_http_cm_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
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


static void *
ngx_http_cm_status_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_cm_status_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cm_status_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->zone = NULL;
     */

    return smcf;
}


/* every configuration counts, whether or not a status page shows it */

static char *
ngx_http_cm_status_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_cm_status_main_conf_t *smcf = conf;

    size_t  size;

    size = 2 * sizeof(ngx_http_cm_stats_t) + 8 * ngx_pagesize;

    smcf->zone = ngx_shared_memory_add(cf, &ngx_http_cm_status_zone_name,
                              size, &ngx_http_comment_moderation_status_module);
    if (smcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->zone->init = ngx_http_cm_status_init_zone;

    return NGX_CONF_OK;
}
