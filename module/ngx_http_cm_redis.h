
/*
 * A small asynchronous Redis client for nginx workers: one hiredis
 * connection per worker, driven by nginx events and timers, with a
 * handshake (AUTH, SELECT, SCRIPT LOAD), reconnection with backoff and a
 * timeout on every command.  With Redis Sentinel, the worker asks the
 * sentinels where the master is and follows it through a failover.  A
 * worker never waits for Redis: a command either gets its reply, or NULL
 * when Redis cannot answer in time.
 */


#ifndef _NGX_HTTP_CM_REDIS_H_INCLUDED_
#define _NGX_HTTP_CM_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


typedef struct ngx_http_cm_redis_s      ngx_http_cm_redis_t;
typedef struct ngx_http_cm_redis_cmd_s  ngx_http_cm_redis_cmd_t;

/*
 * Called once per command: with the reply, or with NULL when Redis did
 * not answer within the timeout or the connection failed.  The reply is
 * freed when the handler returns.
 */
typedef void (*ngx_http_cm_redis_handler_pt)(void *data, redisReply *reply);


typedef struct {
    ngx_str_t                  name;       /* "host:port" as configured */
    u_char                    *host;       /* numeric, NUL-terminated */
    int                        port;
} ngx_http_cm_redis_addr_t;


typedef struct {
    ngx_str_t                  name;       /* the address as configured, or
                                              the master's name */
    u_char                    *host;       /* numeric, NUL-terminated */
    int                        port;
    u_char                    *path;       /* unix socket, NUL-terminated */
    ngx_array_t               *sentinels;  /* of ngx_http_cm_redis_addr_t */
    ngx_uint_t                 db;
    ngx_str_t                  password;
    ngx_msec_t                 timeout;    /* connect, and each command */
    ngx_array_t               *scripts;    /* of script pointers */
} ngx_http_cm_redis_conf_t;


/* a Lua script, called by its SHA1 */
typedef struct {
    ngx_str_t                  text;
    u_char                     sha[40];
} ngx_http_cm_redis_script_t;


/* "host:port" or "unix:/path"; the host is resolved now, not per connect */
char *ngx_http_cm_redis_parse_address(ngx_conf_t *cf,
    ngx_http_cm_redis_conf_t *rcf, ngx_str_t *addr);

/* "host:port,host:port,...", the sentinels to ask, resolved now */
char *ngx_http_cm_redis_parse_sentinels(ngx_conf_t *cf,
    ngx_http_cm_redis_conf_t *rcf, ngx_str_t *list);

/*
 * Computes the script's SHA1 and has it sent with SCRIPT LOAD on every
 * (re)connection.  The script must live as long as the configuration.
 */
ngx_int_t ngx_http_cm_redis_add_script(ngx_conf_t *cf,
    ngx_http_cm_redis_conf_t *rcf, ngx_http_cm_redis_script_t *script);

/* in init_process: starts connecting, never waits */
ngx_http_cm_redis_t *ngx_http_cm_redis_create(ngx_cycle_t *cycle,
    ngx_http_cm_redis_conf_t *rcf);

/* in exit_process: frees the connection and whatever waits on it */
void ngx_http_cm_redis_destroy(ngx_http_cm_redis_t *redis);

/* connected and through the handshake */
ngx_uint_t ngx_http_cm_redis_ready(ngx_http_cm_redis_t *redis);

/*
 * Queues EVALSHA of a script given to ngx_http_cm_redis_add_script()
 * (behind the handshake while connecting): argv[0] and argv[1] are
 * filled in here, the number of keys, the keys and the arguments follow.
 * The handler is called later, never from inside this call.  NULL when
 * there is no connection: the caller treats it as a failure at once.
 *
 * When Redis has lost the script (NOSCRIPT, after a restart or a SCRIPT
 * FLUSH), it is loaded again and the command sent once more before the
 * handler is called, so argv must stay valid until the handler is called
 * or the command cancelled.
 */
ngx_http_cm_redis_cmd_t *ngx_http_cm_redis_eval(ngx_http_cm_redis_t *redis,
    ngx_http_cm_redis_script_t *script, int argc, const char **argv,
    size_t *argvlen, ngx_http_cm_redis_handler_pt handler, void *data);

/* the caller is gone: its handler will not be called */
void ngx_http_cm_redis_cancel(ngx_http_cm_redis_cmd_t *cmd);


#endif /* _NGX_HTTP_CM_REDIS_H_INCLUDED_ */
