
/*
 * The per-worker Redis connections of the comment moderation module:
 * hiredis's asynchronous API on nginx's event loop.
 *
 * hiredis owns the sockets: it reads, writes, closes the descriptors and
 * frees its contexts.  nginx owns the events and the timers: each hiredis
 * descriptor is wrapped in an nginx connection only to receive events,
 * and that connection is given back without closing the descriptor.
 *
 * A link is one hiredis context on nginx's events, with its own timer
 * and backoff.  A worker has a link to the Redis that keeps the state
 * and, with Sentinel, one to a sentinel: it says where the master is,
 * then stays subscribed to +switch-master, which announces a failover.
 * The master's link is then made again to the new master; a master that
 * turns out to be a replica (ROLE at the handshake, READONLY to a
 * command) has the sentinels asked again.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_sha1.h>

#include "ngx_http_cm_redis.h"


#define NGX_HTTP_CM_REDIS_BACKOFF_MIN   100
#define NGX_HTTP_CM_REDIS_BACKOFF_MAX   5000
#define NGX_HTTP_CM_REDIS_SPARE         256


typedef enum {
    NGX_HTTP_CM_REDIS_IDLE = 0,        /* waiting to reconnect */
    NGX_HTTP_CM_REDIS_CONNECTING,      /* connect and handshake in flight */
    NGX_HTTP_CM_REDIS_READY,
    NGX_HTTP_CM_REDIS_EXITING
} ngx_http_cm_redis_state_e;


typedef struct ngx_http_cm_redis_link_s  ngx_http_cm_redis_link_t;

typedef void (*ngx_http_cm_redis_closed_pt)(ngx_http_cm_redis_t *redis);
typedef void (*ngx_http_cm_redis_connect_pt)(ngx_http_cm_redis_t *redis);

struct ngx_http_cm_redis_link_s {
    ngx_http_cm_redis_t          *redis;
    const char                   *kind;       /* "redis", "redis sentinel" */
    ngx_str_t                     name;       /* for the log */
    redisAsyncContext            *ac;
    ngx_connection_t             *conn;
    ngx_event_t                   timer;      /* connect timeout or backoff */
    ngx_msec_t                    backoff;
    ngx_uint_t                    state;
    ngx_http_cm_redis_connect_pt  connect;    /* when the backoff is over */
    ngx_http_cm_redis_closed_pt   closed;     /* hiredis freed the context */

    unsigned                      writing:1;
    unsigned                      write_again:1;
    unsigned                      failing:1;  /* this episode is logged */
};


struct ngx_http_cm_redis_s {
    ngx_http_cm_redis_conf_t     *conf;
    ngx_log_t                    *log;
    ngx_http_cm_redis_link_t      master;
    ngx_http_cm_redis_link_t      sentinel;
    ngx_uint_t                    handshake;  /* handshake replies awaited */
    ngx_uint_t                    next;       /* the sentinel to ask next */
    u_char                       *host;       /* the master's, as the */
    int                           port;       /* sentinels said; 0: unknown */
    ngx_queue_t                   spare;      /* of ngx_http_cm_redis_cmd_t */
    ngx_uint_t                    nspare;
    ngx_queue_t                   pending;    /* until the sentinels answer */

    unsigned                      clear:1;    /* edge-triggered events */
    unsigned                      exiting:1;
};


struct ngx_http_cm_redis_cmd_s {
    ngx_http_cm_redis_t           *redis;
    ngx_http_cm_redis_handler_pt   handler;   /* NULL once the caller left */
    void                          *data;
    ngx_http_cm_redis_script_t    *script;    /* loaded again on NOSCRIPT */
    int                            argc;
    const char                   **argv;
    size_t                        *argvlen;
    ngx_event_t                    timer;
    ngx_queue_t                    queue;

    unsigned                       reloaded:1;
    unsigned                       pending:1;
};


static char *ngx_http_cm_redis_resolve(ngx_conf_t *cf, ngx_str_t *addr,
    u_char **host, int *port);

static void ngx_http_cm_redis_connect(ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_flush(ngx_http_cm_redis_t *redis);
static ngx_int_t ngx_http_cm_redis_handshake(ngx_http_cm_redis_t *redis);
static ngx_int_t ngx_http_cm_redis_handshake_send(ngx_http_cm_redis_t *redis,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_cm_redis_handshake_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static ngx_int_t ngx_http_cm_redis_is_master(redisReply *reply);
static void ngx_http_cm_redis_master_closed(ngx_http_cm_redis_t *redis);

static void ngx_http_cm_redis_sentinel_connect(ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_sentinel_address(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_cm_redis_sentinel_message(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_cm_redis_sentinel_found(ngx_http_cm_redis_t *redis,
    u_char *host, size_t len, u_char *port, size_t plen);
static void ngx_http_cm_redis_sentinel_renew(ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_sentinel_closed(ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_link_timer(ngx_event_t *ev);

static void ngx_http_cm_redis_link_init(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_link_t *link, const char *kind,
    ngx_http_cm_redis_connect_pt connect, ngx_http_cm_redis_closed_pt closed);
static ngx_int_t ngx_http_cm_redis_link_open(ngx_http_cm_redis_link_t *link,
    redisAsyncContext *ac);
static void ngx_http_cm_redis_link_close(ngx_http_cm_redis_link_t *link);
static void ngx_http_cm_redis_link_retry(ngx_http_cm_redis_link_t *link);
static void ngx_http_cm_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_cm_redis_on_disconnect(const redisAsyncContext *ac,
    int status);

static void ngx_http_cm_redis_read_handler(ngx_event_t *rev);
static void ngx_http_cm_redis_write_handler(ngx_event_t *wev);
static void ngx_http_cm_redis_add_read(void *privdata);
static void ngx_http_cm_redis_del_read(void *privdata);
static void ngx_http_cm_redis_add_write(void *privdata);
static void ngx_http_cm_redis_del_write(void *privdata);
static void ngx_http_cm_redis_cleanup(void *privdata);

static void ngx_http_cm_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static ngx_int_t ngx_http_cm_redis_reload(redisAsyncContext *ac,
    ngx_http_cm_redis_cmd_t *cmd);
static void ngx_http_cm_redis_unusable(ngx_http_cm_redis_t *redis,
    redisReply *reply);
static void ngx_http_cm_redis_cmd_timeout(ngx_event_t *ev);
static ngx_http_cm_redis_cmd_t *ngx_http_cm_redis_cmd_get(
    ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_cmd_free(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_cmd_t *cmd);


/* the first failure of an episode is an error, the retries are debug */
#define ngx_http_cm_redis_level(link)                                        \
    ((link)->failing ? NGX_LOG_DEBUG : NGX_LOG_ERR)

#define ngx_http_cm_redis_error(reply, s)                                    \
    ((reply)->type == REDIS_REPLY_ERROR && (reply)->len >= sizeof(s) - 1     \
     && ngx_strncmp((reply)->str, s, sizeof(s) - 1) == 0)


char *
ngx_http_cm_redis_parse_address(ngx_conf_t *cf, ngx_http_cm_redis_conf_t *rcf,
    ngx_str_t *addr)
{
    rcf->name = *addr;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        rcf->path = ngx_pnalloc(cf->pool, addr->len - 5 + 1);
        if (rcf->path == NULL) {
            return NGX_CONF_ERROR;
        }

        (void) ngx_cpystrn(rcf->path, addr->data + 5, addr->len - 5 + 1);

        return NGX_CONF_OK;
    }

    return ngx_http_cm_redis_resolve(cf, addr, &rcf->host, &rcf->port);
}


char *
ngx_http_cm_redis_parse_sentinels(ngx_conf_t *cf,
    ngx_http_cm_redis_conf_t *rcf, ngx_str_t *list)
{
    char                      *rv;
    u_char                    *p, *last, *comma;
    ngx_http_cm_redis_addr_t  *s;

    rcf->sentinels = ngx_array_create(cf->pool, 3,
                                      sizeof(ngx_http_cm_redis_addr_t));
    if (rcf->sentinels == NULL) {
        return NGX_CONF_ERROR;
    }

    p = list->data;
    last = p + list->len;

    for ( ;; ) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (comma == p) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty sentinel address in \"%V\"", list);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(rcf->sentinels);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        s->name.data = p;
        s->name.len = comma - p;

        rv = ngx_http_cm_redis_resolve(cf, &s->name, &s->host, &s->port);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

        if (comma == last) {
            break;
        }

        p = comma + 1;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_cm_redis_resolve(ngx_conf_t *cf, ngx_str_t *addr, u_char **host,
    int *port)
{
    size_t     len;
    u_char    *p;
    ngx_url_t  u;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *addr;
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in redis address \"%V\"", u.err, addr);
        }

        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address for redis \"%V\"", addr);
        return NGX_CONF_ERROR;
    }

    /* hiredis would resolve a name on every connect, blocking the worker */

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    *host = p;
    *port = (int) u.port;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_cm_redis_add_script(ngx_conf_t *cf, ngx_http_cm_redis_conf_t *rcf,
    ngx_http_cm_redis_script_t *script)
{
    ngx_sha1_t                    sha1;
    ngx_http_cm_redis_script_t  **s;
    u_char                        hash[20];

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, script->text.data, script->text.len);
    ngx_sha1_final(hash, &sha1);

    (void) ngx_hex_dump(script->sha, hash, sizeof(hash));

    if (rcf->scripts == NULL) {
        rcf->scripts = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_cm_redis_script_t *));
        if (rcf->scripts == NULL) {
            return NGX_ERROR;
        }
    }

    s = ngx_array_push(rcf->scripts);
    if (s == NULL) {
        return NGX_ERROR;
    }

    *s = script;

    return NGX_OK;
}


ngx_http_cm_redis_t *
ngx_http_cm_redis_create(ngx_cycle_t *cycle, ngx_http_cm_redis_conf_t *rcf)
{
    ngx_http_cm_redis_t  *redis;

    redis = ngx_pcalloc(cycle->pool, sizeof(ngx_http_cm_redis_t));
    if (redis == NULL) {
        return NULL;
    }

    redis->conf = rcf;
    redis->log = cycle->log;
    redis->clear = (ngx_event_flags & NGX_USE_CLEAR_EVENT) ? 1 : 0;

    ngx_queue_init(&redis->spare);
    ngx_queue_init(&redis->pending);

    ngx_http_cm_redis_link_init(redis, &redis->master, "redis",
                                ngx_http_cm_redis_connect,
                                ngx_http_cm_redis_master_closed);

    redis->master.name = rcf->name;

    /*
     * A new worker's cached time is the master's from before it read the
     * configuration: a connect timer set from it could expire at the
     * first turn of the event loop, before Redis had a chance to answer.
     */

    ngx_time_update();

    if (rcf->sentinels == NULL) {
        ngx_http_cm_redis_connect(redis);
        return redis;
    }

    /* "NAME at ADDRESS:PORT" in the log, once the sentinels said where */

    redis->host = ngx_pnalloc(cycle->pool, NGX_SOCKADDR_STRLEN + 1);
    redis->master.name.data = ngx_pnalloc(cycle->pool, rcf->name.len
                                          + sizeof(" at :") - 1
                                          + NGX_SOCKADDR_STRLEN
                                          + NGX_INT_T_LEN);

    if (redis->host == NULL || redis->master.name.data == NULL) {
        return NULL;
    }

    redis->master.name.len = ngx_cpymem(redis->master.name.data,
                                        rcf->name.data, rcf->name.len)
                             - redis->master.name.data;

    ngx_http_cm_redis_link_init(redis, &redis->sentinel, "redis sentinel",
                                ngx_http_cm_redis_sentinel_connect,
                                ngx_http_cm_redis_sentinel_closed);

    /* the sentinels are asked in turn, each worker from its own */

    redis->next = ngx_pid % rcf->sentinels->nelts;

    ngx_http_cm_redis_sentinel_connect(redis);

    return redis;
}


void
ngx_http_cm_redis_destroy(ngx_http_cm_redis_t *redis)
{
    ngx_queue_t              *q;
    ngx_http_cm_redis_cmd_t  *cmd;

    redis->exiting = 1;
    redis->master.state = NGX_HTTP_CM_REDIS_EXITING;
    redis->sentinel.state = NGX_HTTP_CM_REDIS_EXITING;

    if (redis->master.timer.timer_set) {
        ngx_del_timer(&redis->master.timer);
    }

    if (redis->sentinel.timer.timer_set) {
        ngx_del_timer(&redis->sentinel.timer);
    }

    /* each calls what still waits with NULL, then our cleanup */

    if (redis->master.ac) {
        redisAsyncFree(redis->master.ac);
    }

    while (!ngx_queue_empty(&redis->pending)) {
        q = ngx_queue_head(&redis->pending);
        cmd = ngx_queue_data(q, ngx_http_cm_redis_cmd_t, queue);

        /* its timeout answers it with NULL and frees it */
        ngx_del_timer(&cmd->timer);
        cmd->timer.handler(&cmd->timer);
    }

    if (redis->sentinel.ac) {
        redisAsyncFree(redis->sentinel.ac);
    }

    while (!ngx_queue_empty(&redis->spare)) {
        q = ngx_queue_head(&redis->spare);
        ngx_queue_remove(q);

        cmd = ngx_queue_data(q, ngx_http_cm_redis_cmd_t, queue);
        ngx_free(cmd);
    }

    redis->nspare = 0;
}


ngx_uint_t
ngx_http_cm_redis_ready(ngx_http_cm_redis_t *redis)
{
    return redis != NULL && redis->master.state == NGX_HTTP_CM_REDIS_READY;
}


ngx_http_cm_redis_cmd_t *
ngx_http_cm_redis_eval(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_script_t *script, int argc, const char **argv,
    size_t *argvlen, ngx_http_cm_redis_handler_pt handler, void *data)
{
    ngx_http_cm_redis_cmd_t  *cmd;

    ngx_uint_t                unknown;

    /*
     * While connecting, the command is queued behind the handshake: the
     * first posts after a start or a reload are counted too, and so they
     * are while a new worker asks the sentinels where the master is.
     * With no connection at all there is nothing to wait for.
     */

    if (redis == NULL || redis->exiting) {
        return NULL;
    }

    unknown = (redis->conf->sentinels && redis->port == 0);

    if (!unknown
        && (redis->master.ac == NULL
            || (redis->master.state != NGX_HTTP_CM_REDIS_READY
                && redis->master.state != NGX_HTTP_CM_REDIS_CONNECTING)))
    {
        return NULL;
    }

    cmd = ngx_http_cm_redis_cmd_get(redis);
    if (cmd == NULL) {
        return NULL;
    }

    argv[0] = "EVALSHA";
    argvlen[0] = sizeof("EVALSHA") - 1;
    argv[1] = (const char *) script->sha;
    argvlen[1] = sizeof(script->sha);

    cmd->handler = handler;
    cmd->data = data;
    cmd->script = script;
    cmd->argc = argc;
    cmd->argv = argv;
    cmd->argvlen = argvlen;
    cmd->reloaded = 0;
    cmd->pending = 0;

    ngx_add_timer(&cmd->timer, redis->conf->timeout);

    if (unknown) {
        cmd->pending = 1;
        ngx_queue_insert_tail(&redis->pending, &cmd->queue);
        return cmd;
    }

    /* hiredis refuses commands on a context it is tearing down */

    if (redisAsyncCommandArgv(redis->master.ac, ngx_http_cm_redis_reply, cmd,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        ngx_del_timer(&cmd->timer);
        ngx_http_cm_redis_cmd_free(redis, cmd);
        return NULL;
    }

    return cmd;
}


/*
 * The command stays queued in hiredis and its timer keeps running, so a
 * Redis that stopped answering is still noticed; only the handler goes.
 */

void
ngx_http_cm_redis_cancel(ngx_http_cm_redis_cmd_t *cmd)
{
    cmd->handler = NULL;
    cmd->data = NULL;
}


static void
ngx_http_cm_redis_connect(ngx_http_cm_redis_t *redis)
{
    redisAsyncContext         *ac;
    ngx_http_cm_redis_link_t  *link;
    ngx_http_cm_redis_conf_t  *rcf;

    rcf = redis->conf;
    link = &redis->master;

    /* non-blocking: connect(2) returns EINPROGRESS, nothing waits */

    if (rcf->sentinels) {
        if (redis->port == 0) {
            /* the sentinels have not said where the master is yet */
            return;
        }

        ac = redisAsyncConnect((char *) redis->host, redis->port);

    } else if (rcf->path) {
        ac = redisAsyncConnectUnix((char *) rcf->path);

    } else {
        ac = redisAsyncConnect((char *) rcf->host, rcf->port);
    }

    if (ngx_http_cm_redis_link_open(link, ac) != NGX_OK) {
        return;
    }

    /* queued now, written by hiredis once connect(2) completes */

    if (ngx_http_cm_redis_handshake(redis) != NGX_OK) {
        ngx_http_cm_redis_link_close(link);
        return;
    }

    ngx_http_cm_redis_flush(redis);
}


/*
 * The commands that waited for the sentinels' first answer go behind the
 * handshake, within their own timeouts; a caller who left is forgotten.
 */

static void
ngx_http_cm_redis_flush(ngx_http_cm_redis_t *redis)
{
    ngx_queue_t              *q;
    ngx_http_cm_redis_cmd_t  *cmd;

    while (!ngx_queue_empty(&redis->pending)) {
        q = ngx_queue_head(&redis->pending);
        ngx_queue_remove(q);

        cmd = ngx_queue_data(q, ngx_http_cm_redis_cmd_t, queue);
        cmd->pending = 0;

        if (cmd->handler
            && redisAsyncCommandArgv(redis->master.ac,
                                     ngx_http_cm_redis_reply, cmd,
                                     cmd->argc, cmd->argv, cmd->argvlen)
               == REDIS_OK)
        {
            continue;
        }

        if (cmd->timer.timer_set) {
            ngx_del_timer(&cmd->timer);
        }

        if (cmd->handler) {
            cmd->handler(cmd->data, NULL);
        }

        ngx_http_cm_redis_cmd_free(redis, cmd);
    }
}


/* AUTH, SELECT, SCRIPT LOAD, then ROLE: ready when all have answered */

static ngx_int_t
ngx_http_cm_redis_handshake(ngx_http_cm_redis_t *redis)
{
    u_char                       *p;
    ngx_uint_t                    i;
    const char                   *argv[3];
    ngx_http_cm_redis_conf_t     *rcf;
    ngx_http_cm_redis_script_t  **script;
    u_char                        db[NGX_INT_T_LEN];
    size_t                        argvlen[3];

    rcf = redis->conf;
    redis->handshake = 0;

    if (rcf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = sizeof("AUTH") - 1;
        argv[1] = (const char *) rcf->password.data;
        argvlen[1] = rcf->password.len;

        if (ngx_http_cm_redis_handshake_send(redis, 2, argv, argvlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (rcf->db) {
        p = ngx_sprintf(db, "%ui", rcf->db);

        argv[0] = "SELECT";
        argvlen[0] = sizeof("SELECT") - 1;
        argv[1] = (const char *) db;
        argvlen[1] = p - db;

        if (ngx_http_cm_redis_handshake_send(redis, 2, argv, argvlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (rcf->scripts) {
        script = rcf->scripts->elts;

        for (i = 0; i < rcf->scripts->nelts; i++) {
            argv[0] = "SCRIPT";
            argvlen[0] = sizeof("SCRIPT") - 1;
            argv[1] = "LOAD";
            argvlen[1] = sizeof("LOAD") - 1;
            argv[2] = (const char *) script[i]->text.data;
            argvlen[2] = script[i]->text.len;

            if (ngx_http_cm_redis_handshake_send(redis, 3, argv, argvlen)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    /*
     * A server that accepted the connection may still not answer, and a
     * replica (an old master, or the address a sentinel gave before it
     * heard of a failover) cannot take a write: until it is a master
     * again, it is retried with backoff, without going READY.
     */

    argv[0] = "ROLE";
    argvlen[0] = sizeof("ROLE") - 1;

    return ngx_http_cm_redis_handshake_send(redis, 1, argv, argvlen);
}


static ngx_int_t
ngx_http_cm_redis_handshake_send(ngx_http_cm_redis_t *redis, int argc,
    const char **argv, const size_t *argvlen)
{
    if (redisAsyncCommandArgv(redis->master.ac,
                              ngx_http_cm_redis_handshake_reply, redis,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    redis->handshake++;

    return NGX_OK;
}


static void
ngx_http_cm_redis_handshake_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    ngx_http_cm_redis_t  *redis = privdata;

    redisReply                *reply = r;
    ngx_http_cm_redis_link_t  *link;

    link = &redis->master;

    if (reply == NULL) {
        /* the context is going away; its cleanup reconnects */
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                      "comment moderation: redis \"%V\": handshake "
                      "failed: %*s", &link->name,
                      (size_t) reply->len, reply->str);
        link->failing = 1;

        /* within a callback hiredis frees the context once it returns */
        ngx_http_cm_redis_link_close(link);
        return;
    }

    if (reply->type == REDIS_REPLY_ARRAY
        && ngx_http_cm_redis_is_master(reply) != NGX_OK)
    {
        ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                      "comment moderation: redis \"%V\": a replica, not "
                      "the master%s", &link->name,
                      redis->conf->sentinels ? ", asking the sentinels again"
                                             : "");
        link->failing = 1;

        ngx_http_cm_redis_sentinel_renew(redis);
        ngx_http_cm_redis_link_close(link);
        return;
    }

    if (--redis->handshake) {
        return;
    }

    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    if (link->failing) {
        ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                      "comment moderation: redis \"%V\": connected",
                      &link->name);
    }

    link->state = NGX_HTTP_CM_REDIS_READY;
    link->backoff = 0;
    link->failing = 0;
}


/* ROLE's answer starts with "master", "slave" or "sentinel" */

static ngx_int_t
ngx_http_cm_redis_is_master(redisReply *reply)
{
    redisReply  *role;

    if (reply->elements == 0) {
        return NGX_DECLINED;
    }

    role = reply->element[0];

    if ((role->type == REDIS_REPLY_STRING || role->type == REDIS_REPLY_STATUS)
        && role->len == sizeof("master") - 1
        && ngx_strncmp(role->str, "master", sizeof("master") - 1) == 0)
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * The master's context is gone: a timer reconnects.  Behind sentinels
 * that have not announced a failover for a long while, they are asked
 * again, in case the one watched missed it.
 */

static void
ngx_http_cm_redis_master_closed(ngx_http_cm_redis_t *redis)
{
    ngx_http_cm_redis_link_retry(&redis->master);

    if (redis->conf->sentinels
        && redis->master.backoff == NGX_HTTP_CM_REDIS_BACKOFF_MAX)
    {
        ngx_http_cm_redis_sentinel_renew(redis);
    }
}


/*
 * One sentinel, the next in turn: where the master is, then every
 * failover as it happens.  hiredis gives the reply to a command sent
 * before SUBSCRIBE first, then the messages.
 */

static void
ngx_http_cm_redis_sentinel_connect(ngx_http_cm_redis_t *redis)
{
    const char                *argv[3];
    redisAsyncContext         *ac;
    ngx_http_cm_redis_addr_t  *s;
    ngx_http_cm_redis_link_t  *link;
    ngx_http_cm_redis_conf_t  *rcf;
    size_t                     argvlen[3];

    rcf = redis->conf;
    link = &redis->sentinel;

    s = (ngx_http_cm_redis_addr_t *) rcf->sentinels->elts + redis->next;
    redis->next = (redis->next + 1) % rcf->sentinels->nelts;

    link->name = s->name;

    ac = redisAsyncConnect((char *) s->host, s->port);

    if (ngx_http_cm_redis_link_open(link, ac) != NGX_OK) {
        return;
    }

    argv[0] = "SENTINEL";
    argvlen[0] = sizeof("SENTINEL") - 1;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = sizeof("get-master-addr-by-name") - 1;
    argv[2] = (const char *) rcf->name.data;
    argvlen[2] = rcf->name.len;

    if (redisAsyncCommandArgv(ac, ngx_http_cm_redis_sentinel_address, redis,
                              3, argv, argvlen)
        != REDIS_OK)
    {
        ngx_http_cm_redis_link_close(link);
        return;
    }

    argv[0] = "SUBSCRIBE";
    argvlen[0] = sizeof("SUBSCRIBE") - 1;
    argv[1] = "+switch-master";
    argvlen[1] = sizeof("+switch-master") - 1;

    if (redisAsyncCommandArgv(ac, ngx_http_cm_redis_sentinel_message, redis,
                              2, argv, argvlen)
        != REDIS_OK)
    {
        ngx_http_cm_redis_link_close(link);
    }
}


/* SENTINEL get-master-addr-by-name: ["ip", "port"], or nil */

static void
ngx_http_cm_redis_sentinel_address(redisAsyncContext *ac, void *r,
    void *privdata)
{
    ngx_http_cm_redis_t  *redis = privdata;

    redisReply                *reply = r;
    ngx_http_cm_redis_link_t  *link;

    link = &redis->sentinel;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_STRING
        && reply->element[1]->type == REDIS_REPLY_STRING)
    {
        if (link->timer.timer_set) {
            ngx_del_timer(&link->timer);
        }

        if (link->failing) {
            ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                          "comment moderation: redis sentinel \"%V\": "
                          "connected", &link->name);
        }

        link->state = NGX_HTTP_CM_REDIS_READY;
        link->backoff = 0;
        link->failing = 0;

        ngx_http_cm_redis_sentinel_found(redis,
                                         (u_char *) reply->element[0]->str,
                                         reply->element[0]->len,
                                         (u_char *) reply->element[1]->str,
                                         reply->element[1]->len);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                      "comment moderation: redis sentinel \"%V\": %*s",
                      &link->name, (size_t) reply->len, reply->str);

    } else {
        ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                      "comment moderation: redis sentinel \"%V\" knows no "
                      "master \"%V\"", &link->name, &redis->conf->name);
    }

    link->failing = 1;

    /* another sentinel may know better */
    ngx_http_cm_redis_link_close(link);
}


/* ["message", "+switch-master", "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT"] */

static void
ngx_http_cm_redis_sentinel_message(redisAsyncContext *ac, void *r,
    void *privdata)
{
    ngx_http_cm_redis_t  *redis = privdata;

    u_char      *p, *last, *word[5];
    size_t       len[5];
    ngx_uint_t   n;
    redisReply  *reply = r;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[0]->len != sizeof("message") - 1
        || ngx_strncmp(reply->element[0]->str, "message",
                       sizeof("message") - 1) != 0
        || reply->element[2]->type != REDIS_REPLY_STRING)
    {
        /* the confirmation of SUBSCRIBE, or the context going away */
        return;
    }

    p = (u_char *) reply->element[2]->str;
    last = p + reply->element[2]->len;

    for (n = 0; n < 5 && p < last; n++) {
        word[n] = p;

        while (p < last && *p != ' ') {
            p++;
        }

        len[n] = p - word[n];

        while (p < last && *p == ' ') {
            p++;
        }
    }

    if (n != 5 || len[0] != redis->conf->name.len
        || ngx_strncmp(word[0], redis->conf->name.data, len[0]) != 0)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                  "comment moderation: redis sentinel \"%V\": failover, "
                  "master \"%V\" is now %*s:%*s", &redis->sentinel.name,
                  &redis->conf->name, len[3], word[3], len[4], word[4]);

    ngx_http_cm_redis_sentinel_found(redis, word[3], len[3], word[4],
                                     len[4]);
}


/*
 * Where the master is, from a sentinel.  An address that is not numeric
 * would be resolved by hiredis, blocking the worker: it is refused.  A
 * new address drops the link to the old one and connects at once.
 */

static void
ngx_http_cm_redis_sentinel_found(ngx_http_cm_redis_t *redis, u_char *host,
    size_t len, u_char *port, size_t plen)
{
    ngx_int_t                  n;
    ngx_http_cm_redis_link_t  *link;
    u_char                     addr[NGX_SOCKADDR_STRLEN + 1];
#if (NGX_HAVE_INET6)
    u_char                     inaddr6[16];
#endif

    link = &redis->master;

    n = ngx_atoi(port, plen);

    if (len == 0 || len > NGX_SOCKADDR_STRLEN || n <= 0 || n > 65535
        || (ngx_inet_addr(host, len) == INADDR_NONE
#if (NGX_HAVE_INET6)
            && ngx_inet6_addr(host, len, inaddr6) != NGX_OK
#endif
           ))
    {
        ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                      "comment moderation: redis sentinel \"%V\": master "
                      "\"%V\" at \"%*s:%*s\", not a numeric address",
                      &redis->sentinel.name, &redis->conf->name,
                      len, host, plen, port);
        return;
    }

    (void) ngx_cpystrn(addr, host, len + 1);

    if (redis->port == (int) n
        && ngx_strcmp(addr, redis->host) == 0)
    {
        /* nothing new; the first answer may find no reconnection planned */

        if (link->state == NGX_HTTP_CM_REDIS_IDLE && link->ac == NULL
            && !link->timer.timer_set)
        {
            ngx_http_cm_redis_connect(redis);
        }

        return;
    }

    if (redis->port) {
        ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                      "comment moderation: redis \"%V\": the master is now "
                      "%s:%i", &link->name, addr, n);
    }

    (void) ngx_cpystrn(redis->host, addr, len + 1);
    redis->port = (int) n;

    link->name.len = ngx_sprintf(link->name.data, "%V at %s:%d",
                                 &redis->conf->name, redis->host,
                                 redis->port)
                     - link->name.data;

    /* not inside the master's own callbacks: freed at once */

    link->backoff = 0;

    ngx_http_cm_redis_link_close(link);

    if (link->ac) {
        return;
    }

    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    link->backoff = 0;

    if (!redis->exiting && !ngx_exiting && !ngx_terminate && !ngx_quit) {
        ngx_http_cm_redis_connect(redis);
    }
}


/* the sentinel watched is dropped: the next one is asked afresh */

static void
ngx_http_cm_redis_sentinel_renew(ngx_http_cm_redis_t *redis)
{
    if (redis->conf->sentinels == NULL
        || redis->sentinel.state != NGX_HTTP_CM_REDIS_READY)
    {
        return;
    }

    ngx_http_cm_redis_link_close(&redis->sentinel);
}


static void
ngx_http_cm_redis_sentinel_closed(ngx_http_cm_redis_t *redis)
{
    ngx_http_cm_redis_link_retry(&redis->sentinel);
}


/*
 * A link's timer: the backoff over, connect again (unless the worker is
 * going); a connect unanswered, close it, which plans the retry
 */

static void
ngx_http_cm_redis_link_timer(ngx_event_t *ev)
{
    ngx_http_cm_redis_link_t  *link = ev->data;

    switch (link->state) {

    case NGX_HTTP_CM_REDIS_IDLE:
        if (ngx_exiting || ngx_terminate || ngx_quit) {
            return;
        }

        link->connect(link->redis);
        return;

    case NGX_HTTP_CM_REDIS_CONNECTING:
        ngx_log_error(ngx_http_cm_redis_level(link), link->redis->log, 0,
                      "comment moderation: %s \"%V\": no answer in %Mms",
                      link->kind, &link->name, link->redis->conf->timeout);
        link->failing = 1;
        ngx_http_cm_redis_link_close(link);
        return;

    default:
        return;
    }
}


static void
ngx_http_cm_redis_link_init(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_link_t *link, const char *kind,
    ngx_http_cm_redis_connect_pt connect, ngx_http_cm_redis_closed_pt closed)
{
    link->redis = redis;
    link->kind = kind;
    link->state = NGX_HTTP_CM_REDIS_IDLE;
    link->connect = connect;
    link->closed = closed;

    link->timer.handler = ngx_http_cm_redis_link_timer;
    link->timer.data = link;
    link->timer.log = redis->log;
    link->timer.cancelable = 1;
}


/*
 * Puts a new context on nginx's events, with the connect timeout.  On
 * failure the context is gone and a retry is planned: NGX_ERROR.
 */

static ngx_int_t
ngx_http_cm_redis_link_open(ngx_http_cm_redis_link_t *link,
    redisAsyncContext *ac)
{
    ngx_uint_t            flags;
    ngx_connection_t     *c;
    ngx_http_cm_redis_t  *redis;

    redis = link->redis;

    if (ac == NULL) {
        ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                      "comment moderation: %s \"%V\": out of memory",
                      link->kind, &link->name);
        link->failing = 1;
        ngx_http_cm_redis_link_retry(link);
        return NGX_ERROR;
    }

    if (ac->err) {
        ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                      "comment moderation: %s \"%V\": cannot connect: %s",
                      link->kind, &link->name, ac->errstr);
        link->failing = 1;
        redisAsyncFree(ac);
        ngx_http_cm_redis_link_retry(link);
        return NGX_ERROR;
    }

    c = ngx_get_connection(ac->c.fd, redis->log);
    if (c == NULL) {
        link->failing = 1;
        redisAsyncFree(ac);
        ngx_http_cm_redis_link_retry(link);
        return NGX_ERROR;
    }

    c->data = link;
    c->read->handler = ngx_http_cm_redis_read_handler;
    c->write->handler = ngx_http_cm_redis_write_handler;
    c->read->log = redis->log;
    c->write->log = redis->log;

    link->ac = ac;
    link->conn = c;
    link->state = NGX_HTTP_CM_REDIS_CONNECTING;

    ac->data = link;
    ac->ev.data = link;
    ac->ev.addRead = ngx_http_cm_redis_add_read;
    ac->ev.delRead = ngx_http_cm_redis_del_read;
    ac->ev.addWrite = ngx_http_cm_redis_add_write;
    ac->ev.delWrite = ngx_http_cm_redis_del_write;
    ac->ev.cleanup = ngx_http_cm_redis_cleanup;

    (void) redisAsyncSetConnectCallback(ac, ngx_http_cm_redis_on_connect);
    (void) redisAsyncSetDisconnectCallback(ac,
                                           ngx_http_cm_redis_on_disconnect);

    /*
     * With edge-triggered events both directions stay registered for the
     * life of the connection: the first write edge reports the connect.
     */

    flags = redis->clear ? NGX_CLEAR_EVENT : NGX_LEVEL_EVENT;

    if (ngx_add_event(c->read, NGX_READ_EVENT, flags) != NGX_OK
        || ngx_add_event(c->write, NGX_WRITE_EVENT, flags) != NGX_OK)
    {
        link->failing = 1;
        ngx_http_cm_redis_link_close(link);
        return NGX_ERROR;
    }

    ngx_add_timer(&link->timer, redis->conf->timeout);

    return NGX_OK;
}


/*
 * Drops the link; hiredis calls every pending command back with NULL,
 * then our cleanup, which plans the reconnection.  Inside a callback of
 * this link the freeing is deferred until the callback returns.
 */

static void
ngx_http_cm_redis_link_close(ngx_http_cm_redis_link_t *link)
{
    redisAsyncContext  *ac;

    ac = link->ac;

    if (ac == NULL) {
        return;
    }

    if (link->state != NGX_HTTP_CM_REDIS_EXITING) {
        link->state = NGX_HTTP_CM_REDIS_IDLE;
    }

    redisAsyncFree(ac);
}


static void
ngx_http_cm_redis_link_retry(ngx_http_cm_redis_link_t *link)
{
    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    if (link->redis->exiting || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    link->state = NGX_HTTP_CM_REDIS_IDLE;

    if (link->backoff == 0) {
        link->backoff = NGX_HTTP_CM_REDIS_BACKOFF_MIN;

    } else {
        link->backoff = ngx_min(link->backoff * 2,
                                NGX_HTTP_CM_REDIS_BACKOFF_MAX);
    }

    ngx_add_timer(&link->timer, link->backoff);
}


static void
ngx_http_cm_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_http_cm_redis_link_t  *link = ac->data;

    if (status == REDIS_OK) {
        return;
    }

    /* hiredis frees the context when this returns; cleanup reconnects */

    ngx_log_error(ngx_http_cm_redis_level(link), link->redis->log, 0,
                  "comment moderation: %s \"%V\": cannot connect: %s",
                  link->kind, &link->name, ac->errstr);
    link->failing = 1;
}


static void
ngx_http_cm_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_cm_redis_link_t  *link = ac->data;

    /* REDIS_OK is our own redisAsyncFree(), already accounted for */

    if (status == REDIS_OK) {
        return;
    }

    ngx_log_error(ngx_http_cm_redis_level(link), link->redis->log, 0,
                  "comment moderation: %s \"%V\": connection lost: %s",
                  link->kind, &link->name, ac->errstr);
    link->failing = 1;
}


/*
 * Under epoll the events are edge-triggered: a read event is reported
 * once, however much is waiting.  hiredis reads at most 16K per call, so
 * it is called until the socket has nothing left (a peek says EAGAIN).
 */

static void
ngx_http_cm_redis_read_handler(ngx_event_t *rev)
{
    u_char                     b;
    ssize_t                    n;
    ngx_err_t                  err;
    ngx_connection_t          *c;
    redisAsyncContext         *ac;
    ngx_http_cm_redis_link_t  *link;

    c = rev->data;
    link = c->data;
    ac = link->ac;

    if (ac == NULL) {
        return;
    }

    for ( ;; ) {
        redisAsyncHandleRead(ac);

        /* the context may have been freed: its cleanup cleared link->ac */

        if (link->ac != ac || !link->redis->clear
            || !(ac->c.flags & REDIS_CONNECTED))
        {
            return;
        }

        n = recv(c->fd, &b, 1, MSG_PEEK);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN) {
                rev->ready = 0;
                return;
            }

            if (err == NGX_EINTR) {
                continue;
            }
        }

        /* more data, end of file or an error: hiredis takes it from here */
    }
}


static void
ngx_http_cm_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t          *c;
    redisAsyncContext         *ac;
    ngx_http_cm_redis_link_t  *link;

    c = wev->data;
    link = c->data;
    ac = link->ac;

    if (ac == NULL) {
        return;
    }

    link->writing = 1;
    link->write_again = 0;

    redisAsyncHandleWrite(ac);

    link->writing = 0;

    if (link->ac != ac) {
        return;
    }

    if (link->redis->clear && link->write_again) {
        /* the socket buffer is full: the next edge says when to go on */
        wev->ready = 0;
    }
}


static void
ngx_http_cm_redis_add_read(void *privdata)
{
    ngx_http_cm_redis_link_t  *link = privdata;

    ngx_event_t  *rev;

    if (link->conn == NULL || link->redis->clear) {
        return;
    }

    rev = link->conn->read;

    if (!rev->active) {
        (void) ngx_add_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_cm_redis_del_read(void *privdata)
{
    ngx_http_cm_redis_link_t  *link = privdata;

    ngx_event_t  *rev;

    if (link->conn == NULL || link->redis->clear) {
        return;
    }

    rev = link->conn->read;

    if (rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }
}


/*
 * hiredis asks to write after queueing a command.  A level-triggered
 * event simply fires; an edge-triggered one has already fired, so the
 * write is posted to run after the current handler, which also gathers
 * the commands of one loop iteration into one write.
 */

static void
ngx_http_cm_redis_add_write(void *privdata)
{
    ngx_http_cm_redis_link_t  *link = privdata;

    ngx_event_t  *wev;

    if (link->conn == NULL) {
        return;
    }

    wev = link->conn->write;

    if (!link->redis->clear) {
        if (!wev->active) {
            (void) ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
        }

        return;
    }

    if (link->writing) {
        link->write_again = 1;
        return;
    }

    /* before connect(2) completes the write edge is still to come */

    if (wev->ready && (link->ac->c.flags & REDIS_CONNECTED)) {
        ngx_post_event(wev, &ngx_posted_events);
    }
}


static void
ngx_http_cm_redis_del_write(void *privdata)
{
    ngx_http_cm_redis_link_t  *link = privdata;

    ngx_event_t  *wev;

    if (link->conn == NULL || link->redis->clear) {
        return;
    }

    wev = link->conn->write;

    if (wev->active) {
        (void) ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


/*
 * Called by hiredis as it frees the context, just before it closes the
 * descriptor: gives the nginx connection back without closing it, as
 * ngx_close_connection() would.  Safe to call twice.
 */

static void
ngx_http_cm_redis_cleanup(void *privdata)
{
    ngx_http_cm_redis_link_t  *link = privdata;

    ngx_connection_t  *c;

    if (link->ac == NULL && link->conn == NULL) {
        return;
    }

    c = link->conn;

    link->ac = NULL;
    link->conn = NULL;

    if (c) {
        if (c->read->timer_set) {
            ngx_del_timer(c->read);
        }

        if (c->write->timer_set) {
            ngx_del_timer(c->write);
        }

        /* hiredis closes the descriptor, which takes it out of epoll */

        if (ngx_del_conn) {
            (void) ngx_del_conn(c, NGX_CLOSE_EVENT);

        } else {
            if (c->read->active || c->read->disabled) {
                (void) ngx_del_event(c->read, NGX_READ_EVENT,
                                     NGX_CLOSE_EVENT);
            }

            if (c->write->active || c->write->disabled) {
                (void) ngx_del_event(c->write, NGX_WRITE_EVENT,
                                     NGX_CLOSE_EVENT);
            }
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        c->read->closed = 1;
        c->write->closed = 1;

        ngx_free_connection(c);

        c->fd = (ngx_socket_t) -1;
    }

    /* a timer reconnects, never this callback */

    link->closed(link->redis);
}


static void
ngx_http_cm_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    ngx_http_cm_redis_cmd_t  *cmd = privdata;

    void                          *data;
    redisReply                    *reply = r;
    ngx_http_cm_redis_t           *redis;
    ngx_http_cm_redis_handler_pt   handler;

    redis = cmd->redis;

    if (reply && reply->type == REDIS_REPLY_ERROR) {

        /* Redis restarted or flushed its scripts */

        if (cmd->handler && !cmd->reloaded
            && ngx_http_cm_redis_error(reply, "NOSCRIPT")
            && ngx_http_cm_redis_reload(ac, cmd) == NGX_OK)
        {
            return;
        }

        if (ngx_http_cm_redis_error(reply, "READONLY")
            || ngx_http_cm_redis_error(reply, "LOADING"))
        {
            ngx_http_cm_redis_unusable(redis, reply);
        }
    }

    handler = cmd->handler;
    data = cmd->data;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    /* freed first: the handler may send the next command */

    ngx_http_cm_redis_cmd_free(redis, cmd);

    if (handler) {
        handler(data, reply);
    }
}


/*
 * SCRIPT LOAD, then the same EVALSHA, within the command's timeout:
 * Redis runs them in this order.
 */

static ngx_int_t
ngx_http_cm_redis_reload(redisAsyncContext *ac, ngx_http_cm_redis_cmd_t *cmd)
{
    const char  *argv[3];
    size_t       argvlen[3];

    cmd->reloaded = 1;

    argv[0] = "SCRIPT";
    argvlen[0] = sizeof("SCRIPT") - 1;
    argv[1] = "LOAD";
    argvlen[1] = sizeof("LOAD") - 1;
    argv[2] = (const char *) cmd->script->text.data;
    argvlen[2] = cmd->script->text.len;

    if (redisAsyncCommandArgv(ac, NULL, NULL, 3, argv, argvlen) != REDIS_OK
        || redisAsyncCommandArgv(ac, ngx_http_cm_redis_reply, cmd,
                                 cmd->argc, cmd->argv, cmd->argvlen)
           != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * READONLY: the master became a replica (a failover the worker did not
 * hear of); LOADING: Redis is reading its data after a restart.  The
 * link is made again, behind sentinels to the master they name now; the
 * handshake waits, with backoff, until it is a master that answers.
 */

static void
ngx_http_cm_redis_unusable(ngx_http_cm_redis_t *redis, redisReply *reply)
{
    ngx_http_cm_redis_link_t  *link;

    link = &redis->master;

    if (link->state != NGX_HTTP_CM_REDIS_READY) {
        return;
    }

    ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                  "comment moderation: redis \"%V\": %*s, reconnecting",
                  &link->name, (size_t) reply->len, reply->str);
    link->failing = 1;

    ngx_http_cm_redis_sentinel_renew(redis);

    /* within its callback: freed once the callback returns */
    ngx_http_cm_redis_link_close(link);
}


/*
 * Replies come in order, so one late reply means every later command
 * waits too: the connection is dropped, which answers them all with NULL
 * at once and bounds what queues behind a stalled Redis.
 */

static void
ngx_http_cm_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_http_cm_redis_cmd_t  *cmd = ev->data;

    void                          *data;
    ngx_http_cm_redis_t           *redis;
    ngx_http_cm_redis_link_t      *link;
    ngx_http_cm_redis_handler_pt   handler;

    redis = cmd->redis;
    link = &redis->master;
    handler = cmd->handler;
    data = cmd->data;

    cmd->handler = NULL;
    cmd->data = NULL;

    if (cmd->pending) {
        /* the sentinels have not answered: there is no link to drop */

        ngx_queue_remove(&cmd->queue);
        cmd->pending = 0;
        ngx_http_cm_redis_cmd_free(redis, cmd);

        if (handler) {
            handler(data, NULL);
        }

        return;
    }

    ngx_log_error(ngx_http_cm_redis_level(link), redis->log, 0,
                  "comment moderation: redis \"%V\": no answer in %Mms, "
                  "reconnecting", &link->name, redis->conf->timeout);
    link->failing = 1;

    /* frees cmd through its NULL reply */
    ngx_http_cm_redis_link_close(link);

    if (handler) {
        handler(data, NULL);
    }
}


static ngx_http_cm_redis_cmd_t *
ngx_http_cm_redis_cmd_get(ngx_http_cm_redis_t *redis)
{
    ngx_queue_t              *q;
    ngx_http_cm_redis_cmd_t  *cmd;

    if (!ngx_queue_empty(&redis->spare)) {
        q = ngx_queue_head(&redis->spare);
        ngx_queue_remove(q);
        redis->nspare--;

        return ngx_queue_data(q, ngx_http_cm_redis_cmd_t, queue);
    }

    /* outside any request pool: the reply may outlive the request */

    cmd = ngx_alloc(sizeof(ngx_http_cm_redis_cmd_t), redis->log);
    if (cmd == NULL) {
        return NULL;
    }

    ngx_memzero(cmd, sizeof(ngx_http_cm_redis_cmd_t));

    cmd->redis = redis;
    cmd->timer.handler = ngx_http_cm_redis_cmd_timeout;
    cmd->timer.data = cmd;
    cmd->timer.log = redis->log;

    return cmd;
}


static void
ngx_http_cm_redis_cmd_free(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_cmd_t *cmd)
{
    cmd->handler = NULL;
    cmd->data = NULL;
    cmd->script = NULL;
    cmd->argv = NULL;
    cmd->argvlen = NULL;

    if (redis->nspare >= NGX_HTTP_CM_REDIS_SPARE) {
        ngx_free(cmd);
        return;
    }

    ngx_queue_insert_head(&redis->spare, &cmd->queue);
    redis->nspare++;
}
