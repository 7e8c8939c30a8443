
/*
 * The per-worker Redis connection of the comment moderation module:
 * hiredis's asynchronous API on nginx's event loop.
 *
 * hiredis owns the socket: it reads, writes, closes the descriptor and
 * frees its context.  nginx owns the events and the timers: the hiredis
 * descriptor is wrapped in an nginx connection only to receive events,
 * and that connection is given back without closing the descriptor.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

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


struct ngx_http_cm_redis_s {
    ngx_http_cm_redis_conf_t  *conf;
    ngx_log_t                 *log;
    redisAsyncContext         *ac;
    ngx_connection_t          *conn;
    ngx_event_t                timer;      /* connect timeout or backoff */
    ngx_msec_t                 backoff;
    ngx_uint_t                 state;
    ngx_uint_t                 handshake;  /* handshake replies awaited */
    ngx_queue_t                spare;      /* of ngx_http_cm_redis_cmd_t */
    ngx_uint_t                 nspare;

    unsigned                   clear:1;    /* edge-triggered events */
    unsigned                   writing:1;
    unsigned                   write_again:1;
    unsigned                   failing:1;  /* this episode is logged */
};


struct ngx_http_cm_redis_cmd_s {
    ngx_http_cm_redis_t           *redis;
    ngx_http_cm_redis_handler_pt   handler;  /* NULL once the caller left */
    void                          *data;
    ngx_event_t                    timer;
    ngx_queue_t                    queue;
};


static void ngx_http_cm_redis_connect(ngx_http_cm_redis_t *redis);
static ngx_int_t ngx_http_cm_redis_attach(ngx_http_cm_redis_t *redis,
    redisAsyncContext *ac);
static ngx_int_t ngx_http_cm_redis_handshake(ngx_http_cm_redis_t *redis);
static ngx_int_t ngx_http_cm_redis_handshake_send(ngx_http_cm_redis_t *redis,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_cm_redis_handshake_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_cm_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_cm_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_http_cm_redis_close(ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_retry(ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_timer_handler(ngx_event_t *ev);

static void ngx_http_cm_redis_read_handler(ngx_event_t *rev);
static void ngx_http_cm_redis_write_handler(ngx_event_t *wev);
static void ngx_http_cm_redis_add_read(void *privdata);
static void ngx_http_cm_redis_del_read(void *privdata);
static void ngx_http_cm_redis_add_write(void *privdata);
static void ngx_http_cm_redis_del_write(void *privdata);
static void ngx_http_cm_redis_cleanup(void *privdata);

static void ngx_http_cm_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_http_cm_redis_cmd_timeout(ngx_event_t *ev);
static ngx_http_cm_redis_cmd_t *ngx_http_cm_redis_cmd_get(
    ngx_http_cm_redis_t *redis);
static void ngx_http_cm_redis_cmd_free(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_cmd_t *cmd);


/* the first failure of an episode is an error, the retries are debug */
#define ngx_http_cm_redis_level(redis)                                       \
    ((redis)->failing ? NGX_LOG_DEBUG : NGX_LOG_ERR)


char *
ngx_http_cm_redis_parse_address(ngx_conf_t *cf, ngx_http_cm_redis_conf_t *rcf,
    ngx_str_t *addr)
{
    size_t     len;
    u_char    *p;
    ngx_url_t  u;

    rcf->name = *addr;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        rcf->path = ngx_pnalloc(cf->pool, addr->len - 5 + 1);
        if (rcf->path == NULL) {
            return NGX_CONF_ERROR;
        }

        (void) ngx_cpystrn(rcf->path, addr->data + 5, addr->len - 5 + 1);

        return NGX_CONF_OK;
    }

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

    rcf->host = p;
    rcf->port = (int) u.port;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_cm_redis_add_script(ngx_conf_t *cf, ngx_http_cm_redis_conf_t *rcf,
    ngx_str_t *script)
{
    ngx_str_t  *s;

    if (rcf->scripts == NULL) {
        rcf->scripts = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (rcf->scripts == NULL) {
            return NGX_ERROR;
        }
    }

    s = ngx_array_push(rcf->scripts);
    if (s == NULL) {
        return NGX_ERROR;
    }

    *s = *script;

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
    redis->state = NGX_HTTP_CM_REDIS_IDLE;
    redis->clear = (ngx_event_flags & NGX_USE_CLEAR_EVENT) ? 1 : 0;

    ngx_queue_init(&redis->spare);

    redis->timer.handler = ngx_http_cm_redis_timer_handler;
    redis->timer.data = redis;
    redis->timer.log = cycle->log;
    redis->timer.cancelable = 1;

    /*
     * A new worker's cached time is the master's from before it read the
     * configuration: a connect timer set from it could expire at the
     * first turn of the event loop, before Redis had a chance to answer.
     */

    ngx_time_update();

    ngx_http_cm_redis_connect(redis);

    return redis;
}


void
ngx_http_cm_redis_destroy(ngx_http_cm_redis_t *redis)
{
    ngx_queue_t              *q;
    ngx_http_cm_redis_cmd_t  *cmd;

    redis->state = NGX_HTTP_CM_REDIS_EXITING;

    if (redis->timer.timer_set) {
        ngx_del_timer(&redis->timer);
    }

    if (redis->ac) {
        /* calls what still waits with NULL, then our cleanup */
        redisAsyncFree(redis->ac);
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
    return redis != NULL && redis->state == NGX_HTTP_CM_REDIS_READY;
}


ngx_http_cm_redis_cmd_t *
ngx_http_cm_redis_send(ngx_http_cm_redis_t *redis, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_cm_redis_handler_pt handler, void *data)
{
    ngx_http_cm_redis_cmd_t  *cmd;

    /*
     * While connecting, the command is queued behind the handshake: the
     * first posts after a start or a reload are counted too.  With no
     * connection at all there is nothing to wait for.
     */

    if (redis == NULL || redis->ac == NULL
        || (redis->state != NGX_HTTP_CM_REDIS_READY
            && redis->state != NGX_HTTP_CM_REDIS_CONNECTING))
    {
        return NULL;
    }

    cmd = ngx_http_cm_redis_cmd_get(redis);
    if (cmd == NULL) {
        return NULL;
    }

    cmd->handler = handler;
    cmd->data = data;

    /* hiredis refuses commands on a context it is tearing down */

    if (redisAsyncCommandArgv(redis->ac, ngx_http_cm_redis_reply, cmd,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        ngx_http_cm_redis_cmd_free(redis, cmd);
        return NULL;
    }

    ngx_add_timer(&cmd->timer, redis->conf->timeout);

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
    ngx_http_cm_redis_conf_t  *rcf;

    rcf = redis->conf;

    /* non-blocking: connect(2) returns EINPROGRESS, nothing waits */

    if (rcf->path) {
        ac = redisAsyncConnectUnix((char *) rcf->path);

    } else {
        ac = redisAsyncConnect((char *) rcf->host, rcf->port);
    }

    if (ac == NULL) {
        ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                      "comment moderation: redis \"%V\": out of memory",
                      &rcf->name);
        redis->failing = 1;
        ngx_http_cm_redis_retry(redis);
        return;
    }

    if (ac->err) {
        ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                      "comment moderation: redis \"%V\": cannot connect: %s",
                      &rcf->name, ac->errstr);
        redis->failing = 1;
        redisAsyncFree(ac);
        ngx_http_cm_redis_retry(redis);
        return;
    }

    if (ngx_http_cm_redis_attach(redis, ac) != NGX_OK) {
        redis->failing = 1;

        if (redis->ac) {
            ngx_http_cm_redis_close(redis);

        } else {
            redisAsyncFree(ac);
            ngx_http_cm_redis_retry(redis);
        }

        return;
    }

    redis->state = NGX_HTTP_CM_REDIS_CONNECTING;

    ngx_add_timer(&redis->timer, rcf->timeout);

    /* queued now, written by hiredis once connect(2) completes */

    if (ngx_http_cm_redis_handshake(redis) != NGX_OK) {
        ngx_http_cm_redis_close(redis);
    }
}


static ngx_int_t
ngx_http_cm_redis_attach(ngx_http_cm_redis_t *redis, redisAsyncContext *ac)
{
    ngx_uint_t         flags;
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, redis->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = redis;
    c->read->handler = ngx_http_cm_redis_read_handler;
    c->write->handler = ngx_http_cm_redis_write_handler;
    c->read->log = redis->log;
    c->write->log = redis->log;

    redis->ac = ac;
    redis->conn = c;

    ac->data = redis;
    ac->ev.data = redis;
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

    if (ngx_add_event(c->read, NGX_READ_EVENT, flags) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_add_event(c->write, NGX_WRITE_EVENT, flags) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* AUTH, SELECT, SCRIPT LOAD, then PING: ready when all have answered */

static ngx_int_t
ngx_http_cm_redis_handshake(ngx_http_cm_redis_t *redis)
{
    u_char                    *p;
    ngx_str_t                 *script;
    ngx_uint_t                 i;
    const char                *argv[3];
    ngx_http_cm_redis_conf_t  *rcf;
    u_char                     db[NGX_INT_T_LEN];
    size_t                     argvlen[3];

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
            argv[2] = (const char *) script[i].data;
            argvlen[2] = script[i].len;

            if (ngx_http_cm_redis_handshake_send(redis, 3, argv, argvlen)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    /* a server that accepted the connection may still not answer */

    argv[0] = "PING";
    argvlen[0] = sizeof("PING") - 1;

    return ngx_http_cm_redis_handshake_send(redis, 1, argv, argvlen);
}


static ngx_int_t
ngx_http_cm_redis_handshake_send(ngx_http_cm_redis_t *redis, int argc,
    const char **argv, const size_t *argvlen)
{
    if (redisAsyncCommandArgv(redis->ac, ngx_http_cm_redis_handshake_reply,
                              redis, argc, argv, argvlen)
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

    redisReply  *reply = r;

    if (reply == NULL) {
        /* the context is going away; its cleanup reconnects */
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                      "comment moderation: redis \"%V\": handshake "
                      "failed: %*s", &redis->conf->name,
                      (size_t) reply->len, reply->str);
        redis->failing = 1;

        /* within a callback hiredis frees the context once it returns */
        ngx_http_cm_redis_close(redis);
        return;
    }

    if (--redis->handshake) {
        return;
    }

    if (redis->timer.timer_set) {
        ngx_del_timer(&redis->timer);
    }

    if (redis->failing) {
        ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                      "comment moderation: redis \"%V\": connected",
                      &redis->conf->name);
    }

    redis->state = NGX_HTTP_CM_REDIS_READY;
    redis->backoff = 0;
    redis->failing = 0;
}


static void
ngx_http_cm_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_http_cm_redis_t  *redis = ac->data;

    if (status == REDIS_OK) {
        return;
    }

    /* hiredis frees the context when this returns; cleanup reconnects */

    ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                  "comment moderation: redis \"%V\": cannot connect: %s",
                  &redis->conf->name, ac->errstr);
    redis->failing = 1;
}


static void
ngx_http_cm_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_cm_redis_t  *redis = ac->data;

    /* REDIS_OK is our own redisAsyncFree(), already accounted for */

    if (status == REDIS_OK) {
        return;
    }

    ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                  "comment moderation: redis \"%V\": connection lost: %s",
                  &redis->conf->name, ac->errstr);
    redis->failing = 1;
}


/*
 * Drops the connection; hiredis calls every pending command back with
 * NULL, then our cleanup, which schedules the reconnection.  Inside a
 * hiredis callback the freeing is deferred until the callback returns.
 */

static void
ngx_http_cm_redis_close(ngx_http_cm_redis_t *redis)
{
    redisAsyncContext  *ac;

    ac = redis->ac;

    if (ac == NULL) {
        return;
    }

    if (redis->state != NGX_HTTP_CM_REDIS_EXITING) {
        redis->state = NGX_HTTP_CM_REDIS_IDLE;
    }

    redisAsyncFree(ac);
}


static void
ngx_http_cm_redis_retry(ngx_http_cm_redis_t *redis)
{
    if (redis->state == NGX_HTTP_CM_REDIS_EXITING || ngx_exiting
        || ngx_terminate || ngx_quit)
    {
        return;
    }

    redis->state = NGX_HTTP_CM_REDIS_IDLE;

    if (redis->backoff == 0) {
        redis->backoff = NGX_HTTP_CM_REDIS_BACKOFF_MIN;

    } else {
        redis->backoff = ngx_min(redis->backoff * 2,
                                 NGX_HTTP_CM_REDIS_BACKOFF_MAX);
    }

    ngx_add_timer(&redis->timer, redis->backoff);
}


static void
ngx_http_cm_redis_timer_handler(ngx_event_t *ev)
{
    ngx_http_cm_redis_t  *redis = ev->data;

    switch (redis->state) {

    case NGX_HTTP_CM_REDIS_IDLE:
        if (ngx_exiting || ngx_terminate || ngx_quit) {
            return;
        }

        ngx_http_cm_redis_connect(redis);
        return;

    case NGX_HTTP_CM_REDIS_CONNECTING:
        ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                      "comment moderation: redis \"%V\": connect timed out",
                      &redis->conf->name);
        redis->failing = 1;
        ngx_http_cm_redis_close(redis);
        return;

    default:
        return;
    }
}


/*
 * Under epoll the events are edge-triggered: a read event is reported
 * once, however much is waiting.  hiredis reads at most 16K per call, so
 * it is called until the socket has nothing left (a peek says EAGAIN).
 */

static void
ngx_http_cm_redis_read_handler(ngx_event_t *rev)
{
    u_char                b;
    ssize_t               n;
    ngx_err_t             err;
    ngx_connection_t     *c;
    redisAsyncContext    *ac;
    ngx_http_cm_redis_t  *redis;

    c = rev->data;
    redis = c->data;
    ac = redis->ac;

    if (ac == NULL) {
        return;
    }

    for ( ;; ) {
        redisAsyncHandleRead(ac);

        /* the context may have been freed: its cleanup cleared redis->ac */

        if (redis->ac != ac || !redis->clear
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
    ngx_connection_t     *c;
    redisAsyncContext    *ac;
    ngx_http_cm_redis_t  *redis;

    c = wev->data;
    redis = c->data;
    ac = redis->ac;

    if (ac == NULL) {
        return;
    }

    redis->writing = 1;
    redis->write_again = 0;

    redisAsyncHandleWrite(ac);

    redis->writing = 0;

    if (redis->ac != ac) {
        return;
    }

    if (redis->clear && redis->write_again) {
        /* the socket buffer is full: the next edge says when to go on */
        wev->ready = 0;
    }
}


static void
ngx_http_cm_redis_add_read(void *privdata)
{
    ngx_http_cm_redis_t  *redis = privdata;

    ngx_event_t  *rev;

    if (redis->conn == NULL || redis->clear) {
        return;
    }

    rev = redis->conn->read;

    if (!rev->active) {
        (void) ngx_add_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_cm_redis_del_read(void *privdata)
{
    ngx_http_cm_redis_t  *redis = privdata;

    ngx_event_t  *rev;

    if (redis->conn == NULL || redis->clear) {
        return;
    }

    rev = redis->conn->read;

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
    ngx_http_cm_redis_t  *redis = privdata;

    ngx_event_t  *wev;

    if (redis->conn == NULL) {
        return;
    }

    wev = redis->conn->write;

    if (!redis->clear) {
        if (!wev->active) {
            (void) ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
        }

        return;
    }

    if (redis->writing) {
        redis->write_again = 1;
        return;
    }

    /* before connect(2) completes the write edge is still to come */

    if (wev->ready && (redis->ac->c.flags & REDIS_CONNECTED)) {
        ngx_post_event(wev, &ngx_posted_events);
    }
}


static void
ngx_http_cm_redis_del_write(void *privdata)
{
    ngx_http_cm_redis_t  *redis = privdata;

    ngx_event_t  *wev;

    if (redis->conn == NULL || redis->clear) {
        return;
    }

    wev = redis->conn->write;

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
    ngx_http_cm_redis_t  *redis = privdata;

    ngx_connection_t  *c;

    if (redis->ac == NULL && redis->conn == NULL) {
        return;
    }

    c = redis->conn;

    redis->ac = NULL;
    redis->conn = NULL;

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

    if (redis->timer.timer_set) {
        ngx_del_timer(&redis->timer);
    }

    /* a timer reconnects, never this callback */

    ngx_http_cm_redis_retry(redis);
}


static void
ngx_http_cm_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    ngx_http_cm_redis_cmd_t  *cmd = privdata;

    void                          *data;
    ngx_http_cm_redis_t           *redis;
    ngx_http_cm_redis_handler_pt   handler;

    redis = cmd->redis;
    handler = cmd->handler;
    data = cmd->data;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    /* freed first: the handler may send the next command */

    ngx_http_cm_redis_cmd_free(redis, cmd);

    if (handler) {
        handler(data, r);
    }
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
    ngx_http_cm_redis_handler_pt   handler;

    redis = cmd->redis;
    handler = cmd->handler;
    data = cmd->data;

    cmd->handler = NULL;
    cmd->data = NULL;

    ngx_log_error(ngx_http_cm_redis_level(redis), redis->log, 0,
                  "comment moderation: redis \"%V\": no answer in %Mms, "
                  "reconnecting", &redis->conf->name, redis->conf->timeout);
    redis->failing = 1;

    /* frees cmd through its NULL reply */
    ngx_http_cm_redis_close(redis);

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

    if (redis->nspare >= NGX_HTTP_CM_REDIS_SPARE) {
        ngx_free(cmd);
        return;
    }

    ngx_queue_insert_head(&redis->spare, &cmd->queue);
    redis->nspare++;
}
