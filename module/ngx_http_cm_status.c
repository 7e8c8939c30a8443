
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
 *
 * Tags are known only once the rule files are loaded, so their table is
 * filled when the zone is initialised, by the master alone (at start and
 * at each reload): a tag keeps its slot, found by name, across reloads,
 * and each worker inherits the slots of its configuration's tags.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_comment_moderation.h"


#define NGX_HTTP_CM_RULE_SLOTS  4096
#define NGX_HTTP_CM_RULE_PROBES 64

#define NGX_HTTP_CM_BUCKETS     15

/* tags counted by name; the others, and longer ones, as tag="other" */
#define NGX_HTTP_CM_TAGS        64
#define NGX_HTTP_CM_TAG_LEN     64
#define NGX_HTTP_CM_TAG_OTHER   NGX_HTTP_CM_TAGS

/* a tag's comments are counted by decision: pass, hold, reject */
#define NGX_HTTP_CM_TAG_DECISIONS  (NGX_HTTP_CM_REJECT + 1)


typedef struct {
    ngx_atomic_t               id;
    ngx_atomic_t               hits;
} ngx_http_cm_rule_stat_t;


typedef struct {
    ngx_atomic_t               comments[NGX_HTTP_CM_TAG_DECISIONS];
    size_t                     len;
    u_char                     name[NGX_HTTP_CM_TAG_LEN];
} ngx_http_cm_tag_stat_t;


typedef struct {
    ngx_atomic_t               decisions[NGX_HTTP_CM_NDECISIONS];
    ngx_atomic_t               counters[NGX_HTTP_CM_NSTATS];
    ngx_atomic_t               rules_untracked;
    ngx_http_cm_rule_stat_t    rules[NGX_HTTP_CM_RULE_SLOTS];

    /* inspection time: comments per bucket (not cumulative), their sum */
    ngx_atomic_t               inspect[NGX_HTTP_CM_BUCKETS];
    ngx_atomic_t               inspect_usec;

    /* slots in use, written by the master only; the last is "other" */
    ngx_atomic_t               ntags;
    ngx_atomic_t               other_used;
    ngx_http_cm_tag_stat_t     tags[NGX_HTTP_CM_TAGS + 1];
} ngx_http_cm_stats_t;


/* a tag of the loaded rule sets, and its slot in the zone */

typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 slot;
} ngx_http_cm_tag_t;


typedef struct {
    ngx_shm_zone_t            *zone;
    ngx_http_cm_stats_t       *stats;
    ngx_array_t                tags;          /* of ngx_http_cm_tag_t */
} ngx_http_cm_status_main_conf_t;


/* how each counter of ngx_http_cm_stat_e is shown, in that order */

typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  help;
} ngx_http_cm_stat_name_t;


/* a bucket of the inspection time: its bound, inclusive, and its label */

typedef struct {
    ngx_uint_t                 usec;
    ngx_str_t                  le;
} ngx_http_cm_bucket_t;


static ngx_http_cm_stats_t *ngx_http_cm_stats(ngx_http_request_t *r);
static ngx_int_t ngx_http_cm_status_handler(ngx_http_request_t *r);
static ngx_buf_t *ngx_http_cm_status_page(ngx_http_request_t *r,
    ngx_http_cm_stats_t *st);
static u_char *ngx_http_cm_status_counter(u_char *p, ngx_str_t *name,
    ngx_str_t *help, ngx_atomic_uint_t value);
static u_char *ngx_http_cm_status_histogram(u_char *p,
    ngx_http_cm_stats_t *st);
static u_char *ngx_http_cm_status_tags(u_char *p, ngx_http_cm_stats_t *st,
    ngx_uint_t ntags);
static ngx_uint_t ngx_http_cm_tag_slot(ngx_http_cm_status_main_conf_t *smcf,
    ngx_str_t *name);
static ngx_int_t ngx_http_cm_tag_cmp(const void *one, const void *two);
static char *ngx_http_cm_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_cm_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_cm_status_map_tags(ngx_http_cm_status_main_conf_t *smcf,
    ngx_log_t *log);
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
      ngx_string("Posts Redis could not answer for in time: rate limits, "
                 "penalties' bans, duplicates.") },

    { ngx_string("comment_moderation_duplicates_total"),
      ngx_string("Posts counted as copies from the threshold on "
                 "(comment_moderation_duplicates).") },

    { ngx_string("comment_moderation_banned_total"),
      ngx_string("Posts refused by a ban of comment_moderation_penalty.") },

    { ngx_string("comment_moderation_penalty_unrecorded_total"),
      ngx_string("Rejections whose penalty record Redis did not confirm "
                 "(no connection, no answer): they count towards no ban.") }
};


/* Prometheus' le labels, in seconds; the last bucket takes the rest */

static ngx_http_cm_bucket_t  ngx_http_cm_buckets[NGX_HTTP_CM_BUCKETS] = {
    { 50, ngx_string("0.00005") },
    { 100, ngx_string("0.0001") },
    { 250, ngx_string("0.00025") },
    { 500, ngx_string("0.0005") },
    { 1000, ngx_string("0.001") },
    { 2500, ngx_string("0.0025") },
    { 5000, ngx_string("0.005") },
    { 10000, ngx_string("0.01") },
    { 25000, ngx_string("0.025") },
    { 50000, ngx_string("0.05") },
    { 100000, ngx_string("0.1") },
    { 250000, ngx_string("0.25") },
    { 500000, ngx_string("0.5") },
    { 1000000, ngx_string("1") },
    { (ngx_uint_t) -1, ngx_string("+Inf") }
};


static ngx_str_t  ngx_http_cm_tag_other = ngx_string("other");


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


ngx_atomic_t *
ngx_http_cm_counter(ngx_http_request_t *r, ngx_http_cm_stat_e stat)
{
    ngx_http_cm_stats_t  *st;

    st = ngx_http_cm_stats(r);

    return st ? &st->counters[stat] : NULL;
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


void
ngx_http_cm_count_time(ngx_http_request_t *r, ngx_uint_t usec)
{
    ngx_uint_t            i;
    ngx_http_cm_stats_t  *st;

    st = ngx_http_cm_stats(r);

    if (st == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_CM_BUCKETS - 1; i++) {
        if (usec <= ngx_http_cm_buckets[i].usec) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&st->inspect[i], 1);
    (void) ngx_atomic_fetch_add(&st->inspect_usec, usec);
}


void
ngx_http_cm_count_tags(ngx_http_request_t *r, ngx_str_t *tags, ngx_uint_t n,
    ngx_http_cm_decision_e decision)
{
    ngx_uint_t                       i, slot;
    ngx_http_cm_stats_t             *st;
    ngx_http_cm_status_main_conf_t  *smcf;
    u_char                           seen[NGX_HTTP_CM_TAGS + 1];

    smcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_status_module);
    st = smcf->stats;

    if (st == NULL || n == 0 || decision >= NGX_HTTP_CM_TAG_DECISIONS) {
        return;
    }

    /* a comment counts once for "other", whatever the tags it stands for */

    ngx_memzero(seen, sizeof(seen));

    for (i = 0; i < n; i++) {
        slot = ngx_http_cm_tag_slot(smcf, &tags[i]);

        if (!seen[slot]) {
            seen[slot] = 1;
            (void) ngx_atomic_fetch_add(&st->tags[slot].comments[decision],
                                        1);
        }
    }
}


/* the configuration's tags are sorted: a binary search */

static ngx_uint_t
ngx_http_cm_tag_slot(ngx_http_cm_status_main_conf_t *smcf, ngx_str_t *name)
{
    ngx_int_t           rc;
    ngx_uint_t          lo, hi, mid;
    ngx_http_cm_tag_t  *tag;

    tag = smcf->tags.elts;
    lo = 0;
    hi = smcf->tags.nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        rc = ngx_memn2cmp(name->data, tag[mid].name.data, name->len,
                          tag[mid].name.len);

        if (rc == 0) {
            return tag[mid].slot;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NGX_HTTP_CM_TAG_OTHER;
}


ngx_int_t
ngx_http_cm_status_tag(ngx_conf_t *cf, ngx_str_t *name)
{
    ngx_http_cm_tag_t               *tag;
    ngx_http_cm_status_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf,
                                   ngx_http_comment_moderation_status_module);

    /* rules of one tag tend to follow each other; the rest is sorted out */

    if (smcf->tags.nelts) {
        tag = (ngx_http_cm_tag_t *) smcf->tags.elts + smcf->tags.nelts - 1;

        if (tag->name.len == name->len
            && ngx_strncmp(tag->name.data, name->data, name->len) == 0)
        {
            return NGX_OK;
        }
    }

    tag = ngx_array_push(&smcf->tags);
    if (tag == NULL) {
        return NGX_ERROR;
    }

    tag->name = *name;
    tag->slot = NGX_HTTP_CM_TAG_OTHER;

    return NGX_OK;
}


static ngx_http_cm_stats_t *
ngx_http_cm_stats(ngx_http_request_t *r)
{
    ngx_http_cm_status_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r,
                                   ngx_http_comment_moderation_status_module);

    return smcf->stats;
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
    ngx_uint_t                i, n, ntags;
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

    /* the master adds tags at a reload: their names are written first */

    ntags = ngx_min(st->ntags, NGX_HTTP_CM_TAGS);
    ngx_memory_barrier();

    len = 2048 + NGX_HTTP_CM_NDECISIONS * (64 + NGX_ATOMIC_T_LEN)
          + (NGX_HTTP_CM_NSTATS + 1) * (256 + NGX_ATOMIC_T_LEN)
          + n * (64 + 2 * NGX_ATOMIC_T_LEN)
          + (NGX_HTTP_CM_BUCKETS + 2) * (96 + NGX_ATOMIC_T_LEN)
          + (ntags + 1) * NGX_HTTP_CM_TAG_DECISIONS
            * (64 + NGX_HTTP_CM_TAG_LEN + NGX_ATOMIC_T_LEN);

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

    b->last = ngx_http_cm_status_histogram(b->last, st);
    b->last = ngx_http_cm_status_tags(b->last, st, ntags);

    return b;
}


static u_char *
ngx_http_cm_status_counter(u_char *p, ngx_str_t *name, ngx_str_t *help,
    ngx_atomic_uint_t value)
{
    return ngx_sprintf(p, "# HELP %V %V\n# TYPE %V counter\n%V %uA\n",
                       name, help, name, name, value);
}


/* cumulative buckets, the sum in seconds, the count: +Inf's */

static u_char *
ngx_http_cm_status_histogram(u_char *p, ngx_http_cm_stats_t *st)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  count, usec;

    p = ngx_cpymem(p,
        "# HELP comment_moderation_inspect_seconds Time spent deciding one "
        "comment: parsing, normalising and matching.\n"
        "# TYPE comment_moderation_inspect_seconds histogram\n",
        sizeof("# HELP comment_moderation_inspect_seconds Time spent "
               "deciding one comment: parsing, normalising and "
               "matching.\n# TYPE comment_moderation_inspect_seconds "
               "histogram\n") - 1);

    count = 0;

    for (i = 0; i < NGX_HTTP_CM_BUCKETS; i++) {
        count += st->inspect[i];
        p = ngx_sprintf(p, "comment_moderation_inspect_seconds_bucket"
                           "{le=\"%V\"} %uA\n",
                        &ngx_http_cm_buckets[i].le, count);
    }

    usec = st->inspect_usec;

    return ngx_sprintf(p, "comment_moderation_inspect_seconds_sum "
                          "%uA.%06uA\n"
                          "comment_moderation_inspect_seconds_count %uA\n",
                       usec / 1000000, usec % 1000000, count);
}


/* every tag the zone holds, by decision; "other" once it is used */

static u_char *
ngx_http_cm_status_tags(u_char *p, ngx_http_cm_stats_t *st, ngx_uint_t ntags)
{
    ngx_str_t                name;
    ngx_uint_t               i, d;
    ngx_http_cm_tag_stat_t  *tag;

    p = ngx_cpymem(p,
        "# HELP comment_moderation_tag_total Comments in which a rule of "
        "the tag matched, by decision.\n"
        "# TYPE comment_moderation_tag_total counter\n",
        sizeof("# HELP comment_moderation_tag_total Comments in which a "
               "rule of the tag matched, by decision.\n# TYPE "
               "comment_moderation_tag_total counter\n") - 1);

    for (i = 0; i <= ntags; i++) {

        if (i == ntags) {
            if (!st->other_used) {
                break;
            }

            tag = &st->tags[NGX_HTTP_CM_TAG_OTHER];
            name = ngx_http_cm_tag_other;

        } else {
            tag = &st->tags[i];
            name.len = tag->len;
            name.data = tag->name;
        }

        for (d = 0; d < NGX_HTTP_CM_TAG_DECISIONS; d++) {
            p = ngx_sprintf(p, "comment_moderation_tag_total"
                               "{tag=\"%V\",decision=\"%V\"} %uA\n",
                            &name, &ngx_http_cm_decision_names[d],
                            tag->comments[d]);
        }
    }

    return p;
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
    ngx_http_cm_status_main_conf_t  *osmcf = data;

    ngx_slab_pool_t                 *shpool;
    ngx_http_cm_stats_t             *st;
    ngx_http_cm_status_main_conf_t  *smcf;

    smcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    /* a reload keeps the counters of the zone it replaces */

    if (osmcf) {
        smcf->stats = osmcf->stats;

    } else if (shm_zone->shm.exists) {
        smcf->stats = shpool->data;

    } else {
        st = ngx_slab_calloc(shpool, sizeof(ngx_http_cm_stats_t));
        if (st == NULL) {
            return NGX_ERROR;
        }

        shpool->data = st;
        smcf->stats = st;
    }

    ngx_http_cm_status_map_tags(smcf, shm_zone->shm.log);

    return NGX_OK;
}


/*
 * Gives each tag of the configuration its slot: the one of its name, or
 * a new one.  Only the master writes the table, while the workers of the
 * configuration before may read it: a slot's name is written before the
 * slot is counted in.
 */

static void
ngx_http_cm_status_map_tags(ngx_http_cm_status_main_conf_t *smcf,
    ngx_log_t *log)
{
    ngx_uint_t               i, j, k, n, other;
    ngx_str_t               *first;
    ngx_http_cm_tag_t       *tag;
    ngx_http_cm_stats_t     *st;
    ngx_http_cm_tag_stat_t  *ts;

    st = smcf->stats;
    tag = smcf->tags.elts;

    /* sorted, each name once, for ngx_http_cm_tag_slot() */

    ngx_sort(tag, smcf->tags.nelts, sizeof(ngx_http_cm_tag_t),
             ngx_http_cm_tag_cmp);

    for (i = 0, k = 0; i < smcf->tags.nelts; i++) {
        if (k == 0 || ngx_http_cm_tag_cmp(&tag[k - 1], &tag[i]) != 0) {
            tag[k++] = tag[i];
        }
    }

    smcf->tags.nelts = k;

    n = ngx_min(st->ntags, NGX_HTTP_CM_TAGS);
    other = 0;
    first = NULL;

    for (i = 0; i < smcf->tags.nelts; i++) {

        tag[i].slot = NGX_HTTP_CM_TAG_OTHER;

        /* a rule's own tag "other" adds to the overflow's count */

        if (tag[i].name.len == ngx_http_cm_tag_other.len
            && ngx_strncmp(tag[i].name.data, ngx_http_cm_tag_other.data,
                           ngx_http_cm_tag_other.len) == 0)
        {
            st->other_used = 1;
            continue;
        }

        for (j = 0; j < n; j++) {
            ts = &st->tags[j];

            if (ts->len == tag[i].name.len
                && ngx_strncmp(ts->name, tag[i].name.data, ts->len) == 0)
            {
                tag[i].slot = j;
                break;
            }
        }

        if (j < n) {
            continue;
        }

        if (n == NGX_HTTP_CM_TAGS || tag[i].name.len > NGX_HTTP_CM_TAG_LEN) {
            if (first == NULL) {
                first = &tag[i].name;
            }

            other++;
            continue;
        }

        ts = &st->tags[n];
        ngx_memcpy(ts->name, tag[i].name.data, tag[i].name.len);
        ts->len = tag[i].name.len;

        ngx_memory_barrier();

        tag[i].slot = n;
        st->ntags = ++n;
    }

    if (other) {
        st->other_used = 1;

        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "comment moderation: %ui tags of the rules, \"%V\" "
                      "first, are counted as tag=\"other\": the status page "
                      "counts %d tags of at most %d characters",
                      other, first, NGX_HTTP_CM_TAGS, NGX_HTTP_CM_TAG_LEN);
    }
}


static ngx_int_t
ngx_http_cm_tag_cmp(const void *one, const void *two)
{
    const ngx_http_cm_tag_t  *a = one;
    const ngx_http_cm_tag_t  *b = two;

    return ngx_memn2cmp(a->name.data, b->name.data, a->name.len,
                        b->name.len);
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
     *     smcf->stats = NULL;
     */

    if (ngx_array_init(&smcf->tags, cf->pool, 16, sizeof(ngx_http_cm_tag_t))
        != NGX_OK)
    {
        return NULL;
    }

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
    smcf->zone->data = smcf;

    return NGX_CONF_OK;
}
