
/*
 * Reading rule files and word lists: the whole file into memory, then
 * line by line.  Only regular files are read, and only up to
 * CM_FILE_MAX bytes: /dev/zero or a FIFO named by mistake must not fill
 * the memory of nginx's master or hang "nginx -t".
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_rules_int.h"


int
cm_file_read(const cm_alloc_t *a, const char *path, cm_file_t *f,
    const char **what, char *reason, size_t len)
{
    int             fd;
    size_t          n, size;
    ssize_t         k;
    struct stat     st;
    unsigned char  *b;

    /* O_NONBLOCK: opening a FIFO must not wait for a writer */

    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        *what = "cannot open";
        snprintf(reason, len, "%s", strerror(errno));
        return CM_ERROR;
    }

    *what = "cannot read";

    if (fstat(fd, &st) == -1) {
        snprintf(reason, len, "%s", strerror(errno));
        close(fd);
        return CM_ERROR;
    }

    if (!S_ISREG(st.st_mode)) {
        snprintf(reason, len, "not a regular file");
        close(fd);
        return CM_ERROR;
    }

    if (st.st_size > CM_FILE_MAX) {
        snprintf(reason, len, "larger than %d bytes", CM_FILE_MAX);
        close(fd);
        return CM_ERROR;
    }

    size = (size_t) st.st_size;

    b = a->alloc(a->data, size + 1);
    if (b == NULL) {
        snprintf(reason, len, "out of memory");
        close(fd);
        return CM_ERROR;
    }

    /* one byte more than stat said: a file that grows is an error */

    n = 0;

    for ( ;; ) {
        k = read(fd, b + n, size + 1 - n);

        if (k == -1) {
            if (errno == EINTR) {
                continue;
            }

            snprintf(reason, len, "%s", strerror(errno));
            break;
        }

        if (k == 0) {
            break;
        }

        n += k;

        if (n > size) {
            snprintf(reason, len, "the file grew while it was read");
            k = -1;
            break;
        }
    }

    close(fd);

    if (k == -1) {
        if (a->free) {
            a->free(a->data, b);
        }

        return CM_ERROR;
    }

    f->data = b;
    f->len = n;
    f->dev = st.st_dev;
    f->ino = st.st_ino;

    return CM_OK;
}


void
cm_lines_init(cm_lines_t *ls, const unsigned char *buf, size_t len)
{
    ls->p = buf;
    ls->last = buf + len;
    ls->line = 0;

    /* a UTF-8 byte order mark, as some editors write */

    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
        ls->p += 3;
    }
}


int
cm_lines_next(cm_lines_t *ls, const unsigned char **start,
    const unsigned char **end)
{
    const unsigned char  *eol;

    if (ls->p >= ls->last) {
        return 0;
    }

    eol = memchr(ls->p, '\n', ls->last - ls->p);
    if (eol == NULL) {
        eol = ls->last;
    }

    ls->line++;

    *start = ls->p;
    *end = (eol > ls->p && eol[-1] == '\r') ? eol - 1 : eol;

    ls->p = eol + 1;

    return 1;
}


/* the byte offset of the first invalid UTF-8 sequence, or len */

size_t
cm_utf8_check(const unsigned char *p, size_t len)
{
    size_t    i, k;
    uint32_t  cp;

    for (i = 0; i < len; i += k) {
        if (p[i] < 0x80) {
            k = 1;
            continue;
        }

        k = cm_utf8_decode(p + i, len - i, &cp);
        if (k == 0) {
            return i;
        }
    }

    return len;
}
