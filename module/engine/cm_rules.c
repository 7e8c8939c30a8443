/*
 * Rule files: reading, parsing and compiling them into a rule set.
 *
 *   re    ID SCORE /PATTERN/FLAGS [field=A,B] [count=N] [tag=T] [msg="M"]
 *                                 [view=raw|norm]
 *   words ID SCORE LISTFILE       [field=A,B] [tag=T] [msg="M"] [view=..]
 *   include FILE
 *
 * Every allocation goes through the caller's allocator, PCRE2's included
 * (a general context wired to it), and is linked into the rule set so
 * that cm_ruleset_free releases all of it.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_rules_int.h"


#define CM_ID_MAX          4294967295LL
#define CM_SCORE_MAX       1000000
#define CM_COUNT_MAX       1000000

#define CM_OPT_FIELD       0x01
#define CM_OPT_COUNT       0x02
#define CM_OPT_TAG         0x04
#define CM_OPT_MSG         0x08
#define CM_OPT_VIEW        0x10

/* a loose ("~") word-list entry: its fewest letters or digits */
#define CM_LOOSE_MIN       6



typedef struct {
    dev_t                 dev;
    ino_t                 ino;
} cm_file_id_t;


/* one cm_ruleset_add_file call: the include stack and the error buffer */

typedef struct {
    cm_ruleset_t         *rs;
    cm_file_id_t          stack[CM_INCLUDE_MAX + 1];
    unsigned              depth;
    char                 *err;
    size_t                errlen;
} cm_load_t;


/* the line being parsed */

typedef struct {
    cm_load_t            *ld;
    const char           *file;
    unsigned              line;
    const unsigned char  *start;
    const unsigned char  *pos;
    const unsigned char  *end;
} cm_line_t;


/* how cm_words_trie writes a word list */

typedef struct {
    unsigned              spaced;    /* a separator between characters */
    size_t                start;     /* where the word of a phrase begins */
    unsigned              head;      /* the first word: needs a letter */
    unsigned              loose;     /* a "~" entry: separators anywhere */
} cm_words_form_t;


static void *cm_rs_alloc(cm_ruleset_t *rs, size_t size);
static void cm_rs_free(cm_ruleset_t *rs, void *p);
static char *cm_rs_strdup(cm_ruleset_t *rs, const void *p, size_t len);
static void *cm_rs_alloc_hook(void *data, size_t size);
static void cm_rs_free_hook(void *data, void *p);
static int cm_load_file(cm_load_t *ld, const char *path, cm_line_t *from);
static int cm_open_error(cm_load_t *ld, cm_line_t *from, const char *path,
    const char *what);
static int cm_read_file(cm_ruleset_t *rs, int fd, unsigned char **buf,
    size_t *len);
static char *cm_path_join(cm_ruleset_t *rs, const char *base,
    const unsigned char *name, size_t len);
static int cm_parse_line(cm_line_t *ln);
static int cm_parse_include(cm_line_t *ln);
static int cm_parse_rule(cm_line_t *ln, int words);
static int cm_parse_pattern(cm_line_t *ln, cm_str_t *pat, uint32_t **posmap,
    uint32_t *options);
static int cm_parse_options(cm_line_t *ln, cm_rule_t *r, int words);
static int cm_parse_msg(cm_line_t *ln, cm_rule_t *r);
static int cm_parse_fields(cm_line_t *ln, cm_rule_t *r, cm_str_t *val);
static int cm_parse_number(cm_str_t *tok, int sign, long long max,
    long long *n);
static int cm_next_token(cm_line_t *ln, cm_str_t *tok);
static void cm_skip_space(cm_line_t *ln);
static int cm_check_id(cm_line_t *ln, unsigned id);
static cm_rule_t *cm_add_rule(cm_line_t *ln, cm_rule_t *r);
static int cm_compile_re(cm_line_t *ln, cm_rule_t *r, cm_str_t *pat,
    uint32_t *posmap, uint32_t options);
static int cm_load_words(cm_line_t *ln, cm_rule_t *r, cm_str_t *name);
static int cm_words_norm(cm_line_t *ln, cm_str_t *words, size_t *n);
static int cm_compile_words(cm_line_t *ln, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t n);
static int cm_compile_part(cm_line_t *ln, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t nexc, size_t from, size_t to, unsigned loose);
static int cm_words_loose_check(cm_line_t *ln, const char *path,
    unsigned line, const unsigned char *s, const unsigned char *e);
static size_t cm_words_prepare(cm_str_t *words, size_t n, size_t *nexc,
    size_t *nloose);
static void cm_words_reverse(cm_str_t *words, size_t from, size_t to);
static int cm_words_cmp(const void *a, const void *b);
static int cm_words_cmp_loose(const void *a, const void *b);
static unsigned char cm_words_digit(const cm_str_t *w);
static unsigned char *cm_words_pattern(cm_ruleset_t *rs, cm_str_t *exc,
    size_t nexc, cm_str_t *words, size_t n, unsigned loose, size_t *len);
static size_t cm_words_size(cm_str_t *w);
static unsigned char *cm_words_forms(unsigned char *o, cm_str_t *words,
    size_t n, size_t base, cm_str_t *tmp);
static unsigned char *cm_words_trie(unsigned char *o, cm_str_t *words,
    size_t n, size_t d, cm_words_form_t *f);
static size_t cm_words_group(cm_str_t *words, size_t n, size_t i, size_t d);
static unsigned char *cm_words_branch(unsigned char *o, cm_str_t *words,
    size_t n, size_t d, cm_words_form_t *f);
static unsigned char *cm_words_next(unsigned char *o, cm_str_t *words,
    size_t n, size_t d, cm_words_form_t *f);
static size_t cm_words_token_len(cm_str_t *w, size_t d);
static unsigned char *cm_words_token(unsigned char *o, const unsigned char *p,
    size_t k, size_t d, unsigned last, cm_words_form_t *f);
static unsigned char *cm_words_loose(unsigned char *o, const unsigned char *p,
    size_t k, size_t d, unsigned last, cm_words_form_t *f);
static unsigned char *cm_words_class(unsigned char *o, unsigned char c,
    const char *leet, unsigned last, unsigned self);
static unsigned char *cm_words_copy(unsigned char *o, const char *s);
static int cm_words_alnum(unsigned char c);
static unsigned cm_column(cm_line_t *ln, size_t pos);
static size_t cm_utf8_len(unsigned char c);
static void cm_error(cm_line_t *ln, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


cm_ruleset_t *
cm_ruleset_create(const cm_alloc_t *a)
{
    cm_ruleset_t  *rs;

    rs = a->alloc(a->data, sizeof(cm_ruleset_t));
    if (rs == NULL) {
        return NULL;
    }

    memset(rs, 0, sizeof(cm_ruleset_t));

    rs->alloc = *a;

    rs->gctx = pcre2_general_context_create(cm_pcre2_malloc, cm_pcre2_free,
                                            &rs->alloc);
    if (rs->gctx == NULL) {
        cm_ruleset_free(rs);
        return NULL;
    }

    rs->cctx = pcre2_compile_context_create(rs->gctx);
    if (rs->cctx == NULL) {
        cm_ruleset_free(rs);
        return NULL;
    }

    return rs;
}


int
cm_ruleset_add_file(cm_ruleset_t *rs, const char *path, char *err,
    size_t errlen)
{
    int        rc;
    cm_load_t  ld;

    if (rs->compiled) {
        snprintf(err, errlen, "%s: rule set already compiled", path);
        return CM_ERROR;
    }

    ld.rs = rs;
    ld.depth = 0;
    ld.err = err;
    ld.errlen = errlen;

    rc = cm_load_file(&ld, path, NULL);

    if (rc != CM_OK) {
        rs->failed = 1;
    }

    return rc;
}


/*
 * Everything is parsed and compiled by cm_ruleset_add_file, so errors
 * point at their line; this only adds the JIT code.  A pattern the JIT
 * cannot take runs in the interpreter.
 */

int
cm_ruleset_compile(cm_ruleset_t *rs, char *err, size_t errlen)
{
    size_t      i, k;
    cm_rule_t  *r;

    if (rs->failed) {
        snprintf(err, errlen, "rule set has errors, not compiled");
        return CM_ERROR;
    }

    if (rs->compiled) {
        return CM_OK;
    }

    for (i = 0; i < rs->nrules; i++) {
        r = &rs->rules[i];

        for (k = 0; k < r->ncodes; k++) {
            (void) pcre2_jit_compile(r->codes[k], PCRE2_JIT_COMPLETE);
        }
    }

    rs->compiled = 1;

    return CM_OK;
}


void
cm_ruleset_free(cm_ruleset_t *rs)
{
    size_t       i, k;
    cm_rule_t   *r;
    cm_block_t  *b, *next;

    if (rs == NULL) {
        return;
    }

    for (i = 0; i < rs->nrules; i++) {
        r = &rs->rules[i];

        for (k = 0; k < r->ncodes; k++) {
            pcre2_code_free(r->codes[k]);
        }
    }

    pcre2_compile_context_free(rs->cctx);
    pcre2_general_context_free(rs->gctx);

    if (rs->alloc.free == NULL) {
        return;
    }

    for (b = rs->blocks; b; b = next) {
        next = b->next;
        rs->alloc.free(rs->alloc.data, b);
    }

    rs->alloc.free(rs->alloc.data, rs);
}


size_t
cm_ruleset_nrules(const cm_ruleset_t *rs)
{
    return rs->nrules;
}


int
cm_ruleset_rule(const cm_ruleset_t *rs, size_t i, cm_rule_info_t *info)
{
    const cm_rule_t  *r;

    if (i >= rs->nrules) {
        return CM_ERROR;
    }

    r = &rs->rules[i];

    info->id = r->id;
    info->score = r->score;
    info->tag = r->tag;
    info->msg = r->msg;
    info->file = r->file;
    info->line = r->line;

    return CM_OK;
}


void *
cm_pcre2_malloc(PCRE2_SIZE size, void *data)
{
    cm_alloc_t  *a = data;

    return a->alloc(a->data, size);
}


void
cm_pcre2_free(void *p, void *data)
{
    cm_alloc_t  *a = data;

    if (p && a->free) {
        a->free(a->data, p);
    }
}


static void *
cm_rs_alloc(cm_ruleset_t *rs, size_t size)
{
    cm_block_t  *b;

    b = rs->alloc.alloc(rs->alloc.data, CM_BLOCK_HDR + size);
    if (b == NULL) {
        return NULL;
    }

    b->prev = NULL;
    b->next = rs->blocks;

    if (rs->blocks) {
        rs->blocks->prev = b;
    }

    rs->blocks = b;

    return (unsigned char *) b + CM_BLOCK_HDR;
}


static void
cm_rs_free(cm_ruleset_t *rs, void *p)
{
    cm_block_t  *b;

    if (p == NULL || rs->alloc.free == NULL) {
        return;
    }

    b = (cm_block_t *) ((unsigned char *) p - CM_BLOCK_HDR);

    if (b->prev) {
        b->prev->next = b->next;

    } else {
        rs->blocks = b->next;
    }

    if (b->next) {
        b->next->prev = b->prev;
    }

    rs->alloc.free(rs->alloc.data, b);
}


static void *
cm_rs_alloc_hook(void *data, size_t size)
{
    return cm_rs_alloc(data, size);
}


static void
cm_rs_free_hook(void *data, void *p)
{
    cm_rs_free(data, p);
}


static char *
cm_rs_strdup(cm_ruleset_t *rs, const void *p, size_t len)
{
    char  *s;

    s = cm_rs_alloc(rs, len + 1);
    if (s == NULL) {
        return NULL;
    }

    memcpy(s, p, len);
    s[len] = '\0';

    return s;
}


/* reads one rule file; "from" is the include line, NULL for a top file */

static int
cm_load_file(cm_load_t *ld, const char *path, cm_line_t *from)
{
    int             fd, rc;
    size_t          len;
    unsigned        i;
    cm_line_t       ln;
    struct stat     st;
    unsigned char  *buf, *p, *last, *eol;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return cm_open_error(ld, from, path, "cannot open");
    }

    if (fstat(fd, &st) == -1) {
        rc = cm_open_error(ld, from, path, "cannot stat");
        close(fd);
        return rc;
    }

    for (i = 0; i < ld->depth; i++) {
        if (ld->stack[i].dev == st.st_dev && ld->stack[i].ino == st.st_ino) {
            cm_error(from, 0, "include loop: \"%s\" is already being read",
                     path);
            close(fd);
            return CM_ERROR;
        }
    }

    if (ld->depth > CM_INCLUDE_MAX) {
        cm_error(from, 0, "includes nested too deeply (more than %d levels)",
                 CM_INCLUDE_MAX);
        close(fd);
        return CM_ERROR;
    }

    rc = cm_read_file(ld->rs, fd, &buf, &len);

    if (rc != CM_OK) {
        rc = cm_open_error(ld, from, path, "cannot read");
        close(fd);
        return rc;
    }

    close(fd);

    ln.ld = ld;
    ln.line = 0;
    ln.file = cm_rs_strdup(ld->rs, path, strlen(path));

    if (ln.file == NULL) {
        snprintf(ld->err, ld->errlen, "%s: out of memory", path);
        cm_rs_free(ld->rs, buf);
        return CM_ERROR;
    }

    ld->stack[ld->depth].dev = st.st_dev;
    ld->stack[ld->depth].ino = st.st_ino;
    ld->depth++;

    p = buf;
    last = buf + len;

    /* a UTF-8 byte order mark, as some editors write */
    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        p += 3;
    }

    rc = CM_OK;

    while (p < last) {
        eol = memchr(p, '\n', last - p);
        if (eol == NULL) {
            eol = last;
        }

        ln.line++;
        ln.start = p;
        ln.pos = p;
        ln.end = (eol > p && eol[-1] == '\r') ? eol - 1 : eol;

        rc = cm_parse_line(&ln);
        if (rc != CM_OK) {
            break;
        }

        p = eol + 1;
    }

    ld->depth--;

    cm_rs_free(ld->rs, buf);

    return rc;
}


static int
cm_open_error(cm_load_t *ld, cm_line_t *from, const char *path,
    const char *what)
{
    int  e;

    e = errno;

    if (from) {
        cm_error(from, 0, "%s \"%s\": %s", what, path, strerror(e));

    } else {
        snprintf(ld->err, ld->errlen, "%s: %s: %s", path, what, strerror(e));
    }

    return CM_ERROR;
}


/* the whole file into one buffer from the rule set (the caller frees it) */

static int
cm_read_file(cm_ruleset_t *rs, int fd, unsigned char **buf, size_t *len)
{
    size_t          size, n;
    ssize_t         k;
    unsigned char  *b, *nb;

    size = 4096;
    n = 0;

    b = cm_rs_alloc(rs, size);
    if (b == NULL) {
        errno = ENOMEM;
        return CM_ERROR;
    }

    for ( ;; ) {
        if (n == size) {
            nb = cm_rs_alloc(rs, size * 2);
            if (nb == NULL) {
                cm_rs_free(rs, b);
                errno = ENOMEM;
                return CM_ERROR;
            }

            memcpy(nb, b, n);
            cm_rs_free(rs, b);

            b = nb;
            size *= 2;
        }

        k = read(fd, b + n, size - n);

        if (k == -1) {
            if (errno == EINTR) {
                continue;
            }

            cm_rs_free(rs, b);
            return CM_ERROR;
        }

        if (k == 0) {
            break;
        }

        n += k;
    }

    *buf = b;
    *len = n;

    return CM_OK;
}


/* "name" relative to the directory of "base", unless it is absolute */

static char *
cm_path_join(cm_ruleset_t *rs, const char *base, const unsigned char *name,
    size_t len)
{
    char        *path;
    size_t       dlen;
    const char  *slash;

    slash = strrchr(base, '/');

    if (len && name[0] == '/') {
        slash = NULL;
    }

    dlen = slash ? (size_t) (slash - base) + 1 : 0;

    path = cm_rs_alloc(rs, dlen + len + 1);
    if (path == NULL) {
        return NULL;
    }

    memcpy(path, base, dlen);
    memcpy(path + dlen, name, len);
    path[dlen + len] = '\0';

    return path;
}


static int
cm_parse_line(cm_line_t *ln)
{
    cm_str_t  tok;

    if (!cm_next_token(ln, &tok)) {
        return CM_OK;
    }

    if (tok.len == 2 && memcmp(tok.data, "re", 2) == 0) {
        return cm_parse_rule(ln, 0);
    }

    if (tok.len == 5 && memcmp(tok.data, "words", 5) == 0) {
        return cm_parse_rule(ln, 1);
    }

    if (tok.len == 7 && memcmp(tok.data, "include", 7) == 0) {
        return cm_parse_include(ln);
    }

    cm_error(ln, 0, "unknown directive \"%.*s\"", (int) tok.len, tok.data);

    return CM_ERROR;
}


static int
cm_parse_include(cm_line_t *ln)
{
    int        rc;
    char      *path;
    cm_str_t   tok, extra;

    if (!cm_next_token(ln, &tok)) {
        cm_error(ln, 0, "missing file name after \"include\"");
        return CM_ERROR;
    }

    if (cm_next_token(ln, &extra)) {
        cm_error(ln, 0, "unexpected \"%.*s\" after the include file",
                 (int) extra.len, extra.data);
        return CM_ERROR;
    }

    path = cm_path_join(ln->ld->rs, ln->file, tok.data, tok.len);
    if (path == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    rc = cm_load_file(ln->ld, path, ln);

    cm_rs_free(ln->ld->rs, path);

    return rc;
}


static int
cm_parse_rule(cm_line_t *ln, int words)
{
    int         rc;
    uint32_t    options, *posmap;
    cm_str_t    tok, pat, list;
    cm_rule_t   r, *rule;
    long long   n;

    memset(&r, 0, sizeof(cm_rule_t));

    r.count = 1;
    r.view = CM_VIEW_NORM;
    r.tag = "";
    r.msg = "";
    r.file = ln->file;
    r.line = ln->line;

    if (!cm_next_token(ln, &tok)) {
        cm_error(ln, 0, "missing rule id");
        return CM_ERROR;
    }

    if (cm_parse_number(&tok, 0, CM_ID_MAX, &n) != CM_OK || n == 0) {
        cm_error(ln, 0, "bad rule id \"%.*s\"", (int) tok.len, tok.data);
        return CM_ERROR;
    }

    r.id = (unsigned) n;

    if (cm_check_id(ln, r.id) != CM_OK) {
        return CM_ERROR;
    }

    if (!cm_next_token(ln, &tok)) {
        cm_error(ln, 0, "missing score");
        return CM_ERROR;
    }

    if (cm_parse_number(&tok, 1, CM_SCORE_MAX, &n) != CM_OK) {
        cm_error(ln, 0, "bad score \"%.*s\"", (int) tok.len, tok.data);
        return CM_ERROR;
    }

    r.score = (int) n;

    posmap = NULL;
    options = 0;
    list.data = NULL;
    list.len = 0;
    pat.data = NULL;
    pat.len = 0;

    if (words) {
        if (!cm_next_token(ln, &list)) {
            cm_error(ln, 0, "missing word list file");
            return CM_ERROR;
        }

    } else if (cm_parse_pattern(ln, &pat, &posmap, &options) != CM_OK) {
        return CM_ERROR;
    }

    if (cm_parse_options(ln, &r, words) != CM_OK) {
        return CM_ERROR;
    }

    /* in the rule set first, so that cm_ruleset_free finds its code */

    rule = cm_add_rule(ln, &r);
    if (rule == NULL) {
        return CM_ERROR;
    }

    if (words) {
        return cm_load_words(ln, rule, &list);
    }

    rc = cm_compile_re(ln, rule, &pat, posmap, options);

    cm_rs_free(ln->ld->rs, (void *) pat.data);
    cm_rs_free(ln->ld->rs, posmap);

    return rc;
}


/*
 * /PATTERN/FLAGS: "\/" stands for "/", other escapes are left to PCRE2.
 * posmap[i] is the offset in the line of pattern byte i (posmap[len]: the
 * closing slash), to turn a PCRE2 error offset into a column.
 */

static int
cm_parse_pattern(cm_line_t *ln, cm_str_t *pat, uint32_t **posmap,
    uint32_t *options)
{
    size_t                n, max, len;
    uint32_t             *pm;
    unsigned char        *out;
    const unsigned char  *p;

    cm_skip_space(ln);

    if (ln->pos == ln->end || *ln->pos == '#') {
        cm_error(ln, 0, "missing pattern");
        return CM_ERROR;
    }

    if (*ln->pos != '/') {
        cm_error(ln, 0, "pattern must be written as /PATTERN/FLAGS");
        return CM_ERROR;
    }

    max = ln->end - ln->pos;

    out = cm_rs_alloc(ln->ld->rs, max);
    pm = cm_rs_alloc(ln->ld->rs, (max + 1) * sizeof(uint32_t));

    if (out == NULL || pm == NULL) {
        cm_rs_free(ln->ld->rs, out);
        cm_rs_free(ln->ld->rs, pm);
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    n = 0;

    for (p = ln->pos + 1; p < ln->end && *p != '/'; p++) {

        if (*p == '\\' && p + 1 < ln->end) {

            if (p[1] == '/') {
                pm[n] = p - ln->start;
                out[n++] = '/';
                p++;
                continue;
            }

            pm[n] = p - ln->start;
            out[n++] = *p++;
        }

        pm[n] = p - ln->start;
        out[n++] = *p;
    }

    if (p == ln->end) {
        cm_rs_free(ln->ld->rs, out);
        cm_rs_free(ln->ld->rs, pm);
        cm_error(ln, 0, "unterminated pattern");
        return CM_ERROR;
    }

    pm[n] = p - ln->start;

    pat->data = out;
    pat->len = n;
    *posmap = pm;
    *options = 0;

    for (p++; p < ln->end; p++) {

        switch (*p) {

        case 'i':
            *options |= PCRE2_CASELESS;
            continue;

        case 'x':
            *options |= PCRE2_EXTENDED;
            continue;

        case 's':
            *options |= PCRE2_DOTALL;
            continue;

        case 'm':
            *options |= PCRE2_MULTILINE;
            continue;

        case ' ':
        case '\t':
        case '#':
            break;

        default:
            cm_rs_free(ln->ld->rs, out);
            cm_rs_free(ln->ld->rs, pm);
            len = cm_utf8_len(*p);

            if (len > (size_t) (ln->end - p)) {
                len = ln->end - p;
            }

            cm_error(ln, 0, "unknown pattern flag \"%.*s\"", (int) len, p);
            return CM_ERROR;
        }

        break;
    }

    ln->pos = p;

    return CM_OK;
}


static int
cm_parse_options(cm_line_t *ln, cm_rule_t *r, int words)
{
    char                 *tag;
    size_t                i;
    unsigned              seen, opt;
    cm_str_t              key, val;
    long long             n;
    const unsigned char  *p;

    seen = 0;

    for ( ;; ) {
        cm_skip_space(ln);

        if (ln->pos == ln->end || *ln->pos == '#') {
            return CM_OK;
        }

        key.data = ln->pos;

        for (p = ln->pos; p < ln->end; p++) {
            if (*p == '=' || *p == ' ' || *p == '\t' || *p == '#') {
                break;
            }
        }

        key.len = p - key.data;

        if (p == ln->end || *p != '=') {
            cm_error(ln, 0, "unknown option \"%.*s\"",
                     (int) key.len, key.data);
            return CM_ERROR;
        }

        ln->pos = p + 1;

        if (key.len == 5 && memcmp(key.data, "field", 5) == 0) {
            opt = CM_OPT_FIELD;

        } else if (key.len == 5 && memcmp(key.data, "count", 5) == 0) {
            opt = CM_OPT_COUNT;

        } else if (key.len == 3 && memcmp(key.data, "tag", 3) == 0) {
            opt = CM_OPT_TAG;

        } else if (key.len == 3 && memcmp(key.data, "msg", 3) == 0) {
            opt = CM_OPT_MSG;

        } else if (key.len == 4 && memcmp(key.data, "view", 4) == 0) {
            opt = CM_OPT_VIEW;

        } else {
            cm_error(ln, 0, "unknown option \"%.*s\"",
                     (int) key.len, key.data);
            return CM_ERROR;
        }

        if (opt == CM_OPT_COUNT && words) {
            cm_error(ln, 0, "unknown option \"count\" for a words rule");
            return CM_ERROR;
        }

        if (seen & opt) {
            cm_error(ln, 0, "option \"%.*s\" given twice",
                     (int) key.len, key.data);
            return CM_ERROR;
        }

        seen |= opt;

        if (opt == CM_OPT_MSG) {
            if (cm_parse_msg(ln, r) != CM_OK) {
                return CM_ERROR;
            }

            continue;
        }

        val.data = ln->pos;

        for (p = ln->pos; p < ln->end; p++) {
            if (*p == ' ' || *p == '\t' || *p == '#') {
                break;
            }
        }

        val.len = p - val.data;
        ln->pos = p;

        switch (opt) {

        case CM_OPT_FIELD:
            if (cm_parse_fields(ln, r, &val) != CM_OK) {
                return CM_ERROR;
            }

            break;

        case CM_OPT_COUNT:
            if (cm_parse_number(&val, 0, CM_COUNT_MAX, &n) != CM_OK
                || n == 0)
            {
                cm_error(ln, 0, "bad count \"%.*s\"",
                         (int) val.len, val.data);
                return CM_ERROR;
            }

            r->count = (unsigned) n;
            break;

        case CM_OPT_TAG:
            for (i = 0; i < val.len; i++) {
                if (!((val.data[i] >= 'a' && val.data[i] <= 'z')
                      || (val.data[i] >= 'A' && val.data[i] <= 'Z')
                      || (val.data[i] >= '0' && val.data[i] <= '9')
                      || val.data[i] == '_' || val.data[i] == '-'))
                {
                    break;
                }
            }

            if (val.len == 0 || i < val.len) {
                cm_error(ln, 0, "bad tag \"%.*s\"", (int) val.len, val.data);
                return CM_ERROR;
            }

            tag = cm_rs_strdup(ln->ld->rs, val.data, val.len);
            if (tag == NULL) {
                cm_error(ln, 0, "out of memory");
                return CM_ERROR;
            }

            r->tag = tag;
            break;

        default: /* CM_OPT_VIEW */
            if (val.len == 3 && memcmp(val.data, "raw", 3) == 0) {
                r->view = CM_VIEW_RAW;

            } else if (val.len == 4 && memcmp(val.data, "norm", 4) == 0) {
                r->view = CM_VIEW_NORM;

            } else {
                cm_error(ln, 0, "bad view \"%.*s\", must be raw or norm",
                         (int) val.len, val.data);
                return CM_ERROR;
            }

            break;
        }
    }
}


/* msg="TEXT" with \" and \\ escapes; ln->pos is after "msg=" */

static int
cm_parse_msg(cm_line_t *ln, cm_rule_t *r)
{
    char                 *msg;
    size_t                n;
    const unsigned char  *p;

    if (ln->pos == ln->end || *ln->pos != '"') {
        cm_error(ln, 0, "msg must be quoted: msg=\"TEXT\"");
        return CM_ERROR;
    }

    msg = cm_rs_alloc(ln->ld->rs, ln->end - ln->pos);
    if (msg == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    n = 0;

    for (p = ln->pos + 1; p < ln->end && *p != '"'; p++) {
        if (*p == '\\' && p + 1 < ln->end && (p[1] == '"' || p[1] == '\\')) {
            p++;
        }

        msg[n++] = *p;
    }

    if (p == ln->end) {
        cm_error(ln, 0, "unterminated msg");
        return CM_ERROR;
    }

    msg[n] = '\0';
    r->msg = msg;

    p++;

    if (p < ln->end && *p != ' ' && *p != '\t' && *p != '#') {
        cm_error(ln, 0, "unexpected text after the closing quote of msg");
        return CM_ERROR;
    }

    ln->pos = p;

    return CM_OK;
}


static int
cm_parse_fields(cm_line_t *ln, cm_rule_t *r, cm_str_t *val)
{
    size_t                n, i;
    cm_str_t             *fields;
    const unsigned char  *p, *q, *last;

    n = 1;

    for (i = 0; i < val->len; i++) {
        if (val->data[i] == ',') {
            n++;
        }
    }

    fields = cm_rs_alloc(ln->ld->rs, n * sizeof(cm_str_t));
    if (fields == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    last = val->data + val->len;
    p = val->data;

    for (i = 0; i < n; i++) {
        q = memchr(p, ',', last - p);
        if (q == NULL) {
            q = last;
        }

        if (q == p) {
            cm_error(ln, 0, "bad field list \"%.*s\"",
                     (int) val->len, val->data);
            return CM_ERROR;
        }

        fields[i].data = (unsigned char *) cm_rs_strdup(ln->ld->rs, p, q - p);
        if (fields[i].data == NULL) {
            cm_error(ln, 0, "out of memory");
            return CM_ERROR;
        }

        fields[i].len = q - p;
        p = q + 1;
    }

    r->fields = fields;
    r->nfields = n;

    return CM_OK;
}


/* a decimal number, with a sign when "sign" is set, |n| <= max */

static int
cm_parse_number(cm_str_t *tok, int sign, long long max, long long *n)
{
    size_t     i;
    long long  v, neg;

    i = 0;
    neg = 1;

    if (sign && tok->len && (tok->data[0] == '-' || tok->data[0] == '+')) {
        neg = (tok->data[0] == '-') ? -1 : 1;
        i++;
    }

    if (i == tok->len) {
        return CM_ERROR;
    }

    v = 0;

    for ( /* void */ ; i < tok->len; i++) {
        if (tok->data[i] < '0' || tok->data[i] > '9') {
            return CM_ERROR;
        }

        v = v * 10 + (tok->data[i] - '0');

        if (v > max) {
            return CM_ERROR;
        }
    }

    *n = neg * v;

    return CM_OK;
}


/* the next word up to a space or a "#" comment; 0 at the end of the line */

static int
cm_next_token(cm_line_t *ln, cm_str_t *tok)
{
    const unsigned char  *p;

    cm_skip_space(ln);

    if (ln->pos == ln->end || *ln->pos == '#') {
        return 0;
    }

    for (p = ln->pos; p < ln->end; p++) {
        if (*p == ' ' || *p == '\t' || *p == '#') {
            break;
        }
    }

    tok->data = ln->pos;
    tok->len = p - ln->pos;

    ln->pos = p;

    return 1;
}


static void
cm_skip_space(cm_line_t *ln)
{
    while (ln->pos < ln->end && (*ln->pos == ' ' || *ln->pos == '\t')) {
        ln->pos++;
    }
}


static int
cm_check_id(cm_line_t *ln, unsigned id)
{
    size_t         i;
    cm_ruleset_t  *rs;

    rs = ln->ld->rs;

    for (i = 0; i < rs->nrules; i++) {
        if (rs->rules[i].id == id) {
            cm_error(ln, 0, "duplicate rule id %u (first defined at %s:%u)",
                     id, rs->rules[i].file, rs->rules[i].line);
            return CM_ERROR;
        }
    }

    return CM_OK;
}


static cm_rule_t *
cm_add_rule(cm_line_t *ln, cm_rule_t *r)
{
    size_t         n;
    cm_rule_t     *rules;
    cm_ruleset_t  *rs;

    rs = ln->ld->rs;

    if (rs->nrules == rs->nalloc) {
        n = rs->nalloc ? rs->nalloc * 2 : 64;

        rules = cm_rs_alloc(rs, n * sizeof(cm_rule_t));
        if (rules == NULL) {
            cm_error(ln, 0, "out of memory");
            return NULL;
        }

        if (rs->nrules) {
            memcpy(rules, rs->rules, rs->nrules * sizeof(cm_rule_t));
        }

        cm_rs_free(rs, rs->rules);

        rs->rules = rules;
        rs->nalloc = n;
    }

    rs->rules[rs->nrules] = *r;

    return &rs->rules[rs->nrules++];
}


static int
cm_compile_re(cm_line_t *ln, cm_rule_t *r, cm_str_t *pat, uint32_t *posmap,
    uint32_t options)
{
    int                rc;
    PCRE2_SIZE         off;
    pcre2_code        *code;
    unsigned char      msg[256];
    cm_ruleset_t      *rs;

    rs = ln->ld->rs;

    r->codes = cm_rs_alloc(rs, sizeof(pcre2_code *));
    if (r->codes == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    /* \C could leave a match in the middle of a UTF-8 character */

    code = pcre2_compile(pat->data, pat->len,
                         options | PCRE2_UTF | PCRE2_UCP
                         | PCRE2_NEVER_BACKSLASH_C,
                         &rc, &off, rs->cctx);

    if (code == NULL) {
        pcre2_get_error_message(rc, msg, sizeof(msg));

        if (off > pat->len) {
            off = pat->len;
        }

        cm_error(ln, cm_column(ln, posmap[off]), "%s", msg);

        return CM_ERROR;
    }

    r->codes[0] = code;
    r->ncodes = 1;

    return CM_OK;
}


static int
cm_load_words(cm_line_t *ln, cm_rule_t *r, cm_str_t *name)
{
    int             fd, rc;
    char           *path;
    size_t          len, n, nlines, i;
    unsigned        line;
    cm_str_t       *words;
    cm_ruleset_t   *rs;
    unsigned char  *buf, *p, *last, *eol, *s, *e;

    rs = ln->ld->rs;

    path = cm_path_join(rs, ln->file, name->data, name->len);
    if (path == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        cm_error(ln, 0, "cannot open \"%s\": %s", path, strerror(errno));
        cm_rs_free(rs, path);
        return CM_ERROR;
    }

    rc = cm_read_file(rs, fd, &buf, &len);

    if (rc != CM_OK) {
        cm_error(ln, 0, "cannot read \"%s\": %s", path, strerror(errno));
        close(fd);
        cm_rs_free(rs, path);
        return CM_ERROR;
    }

    close(fd);

    last = buf + len;
    nlines = 1;

    for (p = buf; p < last; p++) {
        if (*p == '\n') {
            nlines++;
        }
    }

    words = cm_rs_alloc(rs, nlines * sizeof(cm_str_t));
    if (words == NULL) {
        cm_error(ln, 0, "out of memory");
        cm_rs_free(rs, buf);
        cm_rs_free(rs, path);
        return CM_ERROR;
    }

    n = 0;
    p = buf;
    line = 0;
    rc = CM_OK;

    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        p += 3;
    }

    for ( /* void */ ; p < last; p = eol + 1) {
        line++;

        eol = memchr(p, '\n', last - p);
        if (eol == NULL) {
            eol = last;
        }

        e = memchr(p, '#', eol - p);
        if (e == NULL) {
            e = eol;
        }

        for (s = p; s < e && (*s == ' ' || *s == '\t'); s++) {
            /* void */
        }

        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
            e--;
        }

        if (e > s && *s == '~') {
            rc = cm_words_loose_check(ln, path, line, s + 1, e);
            if (rc != CM_OK) {
                break;
            }
        }

        if (e > s) {
            words[n].data = s;
            words[n].len = e - s;
            n++;
        }
    }

    if (rc != CM_OK) {
        n = 0;

    } else if (r->view == CM_VIEW_NORM) {
        rc = cm_words_norm(ln, words, &n);
    }

    if (rc == CM_OK && n == 0) {
        cm_error(ln, 0, "word list \"%s\" is empty", path);
        rc = CM_ERROR;
    }

    if (rc == CM_OK) {
        rc = cm_compile_words(ln, r, path, words, n);
    }

    if (r->view == CM_VIEW_NORM) {
        for (i = 0; i < n; i++) {
            cm_rs_free(rs, (void *) words[i].data);
        }
    }

    cm_rs_free(rs, words);
    cm_rs_free(rs, buf);
    cm_rs_free(rs, path);

    return rc;
}


/*
 * A loose entry matches inside other words and with separators anywhere:
 * a short one would match in ordinary text, so it needs CM_LOOSE_MIN
 * letters or digits (a character of another script counts as a letter).
 */

static int
cm_words_loose_check(cm_line_t *ln, const char *path, unsigned line,
    const unsigned char *s, const unsigned char *e)
{
    size_t     chars;
    cm_line_t  at;

    for (chars = 0; s < e; s++) {
        if ((*s < 0x80 && cm_words_alnum(*s)) || *s >= 0xc0) {
            chars++;
        }
    }

    if (chars >= CM_LOOSE_MIN) {
        return CM_OK;
    }

    at = *ln;
    at.file = path;
    at.line = line;

    cm_error(&at, 0, "loose entry too short, needs at least %d letters",
             CM_LOOSE_MIN);

    return CM_ERROR;
}


/*
 * Entries of a list for normalised text are normalised the same way, so
 * that "café" still matches once the text has lost its accents.  Entries
 * then point to memory of their own, which the caller frees.
 */

static int
cm_words_norm(cm_line_t *ln, cm_str_t *words, size_t *n)
{
    size_t      i, k;
    cm_view_t   v;
    cm_alloc_t  a;

    a.alloc = cm_rs_alloc_hook;
    a.free = cm_rs_free_hook;
    a.data = ln->ld->rs;

    for (i = 0, k = 0; i < *n; i++) {
        if (cm_view_norm(&a, words[i].data, words[i].len, &v) != CM_OK) {
            /* the entries from k on still point into the file */
            *n = k;
            cm_error(ln, 0, "out of memory");
            return CM_ERROR;
        }

        cm_rs_free(ln->ld->rs, v.map);

        while (v.len && v.text[v.len - 1] == ' ') {
            v.len--;
        }

        for (v.map = NULL; v.len && v.text[0] == ' '; v.len--) {
            memmove(v.text, v.text + 1, v.len - 1);
        }

        if (v.len == 0) {
            cm_rs_free(ln->ld->rs, v.text);
            continue;
        }

        words[k].data = v.text;
        words[k].len = v.len;
        k++;
    }

    *n = k;

    return CM_OK;
}


/*
 * One regex for the whole list, and one for its loose entries; should one
 * be too large for PCRE2, its entries are split in parts until each part
 * compiles.  Exceptions go into every part.
 */

static int
cm_compile_words(cm_line_t *ln, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t n)
{
    size_t          i, j, nexc, nloose;
    unsigned char   c;
    cm_ruleset_t   *rs;

    rs = ln->ld->rs;

    n = cm_words_prepare(words, n, &nexc, &nloose);

    if (n == nexc) {
        cm_error(ln, 0, "word list \"%s\" has only exceptions", path);
        return CM_ERROR;
    }

    r->codes = cm_rs_alloc(rs, (n - nexc) * sizeof(pcre2_code *));
    if (r->codes == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    if (cm_compile_part(ln, r, path, words, nexc, nexc, n - nloose, 0)
        != CM_OK)
    {
        return CM_ERROR;
    }

    /*
     * A loose regex is tried at nearly every letter of a text.  One for
     * the entries whose last digit is the same has that digit as the
     * code unit every match needs, and PCRE2 gives up at once on a text
     * without it, so the entries with digits cost little.
     */

    qsort(words + n - nloose, nloose, sizeof(cm_str_t), cm_words_cmp_loose);

    for (i = n - nloose; i < n; i = j) {
        c = cm_words_digit(&words[i]);

        for (j = i + 1; j < n && cm_words_digit(&words[j]) == c; j++) {
            /* void */
        }

        if (cm_compile_part(ln, r, path, words, nexc, i, j, 1) != CM_OK) {
            return CM_ERROR;
        }
    }

    return CM_OK;
}


/* words[from..to) into as few regexes as PCRE2 takes */

static int
cm_compile_part(cm_line_t *ln, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t nexc, size_t from, size_t to, unsigned loose)
{
    int             rc;
    size_t          i, k, len;
    PCRE2_SIZE      off;
    pcre2_code     *code;
    cm_ruleset_t   *rs;
    unsigned char  *pat, msg[256];

    rs = ln->ld->rs;

    i = from;
    k = to - from;

    while (i < to) {
        if (k > to - i) {
            k = to - i;
        }

        pat = cm_words_pattern(rs, words, nexc, words + i, k, loose, &len);
        if (pat == NULL) {
            cm_error(ln, 0, "out of memory");
            return CM_ERROR;
        }

        /*
         * The normalised view and its lists are case-folded already:
         * caseless matching there would only cost time.
         */

        code = pcre2_compile(pat, len,
                             (r->view == CM_VIEW_NORM ? 0 : PCRE2_CASELESS)
                             | PCRE2_UTF | PCRE2_UCP
                             | PCRE2_NEVER_BACKSLASH_C,
                             &rc, &off, rs->cctx);

        cm_rs_free(rs, pat);

        if (code == NULL) {
            if (rc == PCRE2_ERROR_PATTERN_TOO_LARGE && k > 1) {
                k /= 2;
                continue;
            }

            pcre2_get_error_message(rc, msg, sizeof(msg));
            cm_error(ln, 0, "word list \"%s\": %s", path, msg);

            return CM_ERROR;
        }

        r->codes[r->ncodes++] = code;
        i += k;
    }

    return CM_OK;
}


/*
 * Word lists to regex.
 *
 * Moderators write a word once, "slot gacor", and it matches as spammers
 * disguise it (cm_view_norm has already undone styled letters, look-alike
 * scripts, invisible characters, marks and case):
 *
 *   leetspeak   each letter is a class of itself and its stand-ins,
 *               a [a4@], b [b8], e [e3], g [g96], i [i1!|], l [l1|],
 *               o [o0], s [s5$], t [t7+], z [z2];
 *   stretching  each letter may repeat: "gacoorrr";
 *   separators  a word is written either whole, "sl0t", or with one to
 *               three separators (anything but a letter or a digit)
 *               between every character, "s.l.0.t", "j-u-d-i",
 *               "A L E X I S 1 7"; never with a separator here and
 *               there, which would make "a su" read as "asu";
 *   phrases     the words of a phrase are apart by up to four
 *               separators, or joined: "slot-gacor", "#slotgacor".
 *
 * A match is a whole word: no letter (or mark) touches it on either side,
 * so "asu" never matches in "kasus" nor "tai" in "pantai".  Digits do not
 * count as letters there, so "slot" matches in the site name "slot88".
 * A match must hold a real letter ("741" is not "tai"), and does not end
 * on a stand-in symbol ("ta!" is not "tai").  A spaced-out word must not
 * continue a run of single letters: "k a s u s" holds no "a s u".
 *
 * An entry that starts with "~" is loose, for long site names that
 * spammers cut anywhere and glue to other words: "~garudahoki" matches
 * "diGa Ru-da Ho ki" and "Garuda-Ho ki".  Up to three separators may
 * stand between any two of its characters, no boundary is needed on
 * either side, and "l" also matches "i" ("PuIauwin"); its own spaces and
 * punctuation are dropped.  Loose entries have regexes of their own, one
 * for each last digit (see cm_compile_words); a stretched first letter
 * is matched from its last repeat, so it is written once:
 *
 *     (?:HEAD (?:exceptions)(*SKIP)(*FAIL)
 *         |[g96] SEP{0,3} [a4@]+ SEP{0,3} [r\0]+ ...)
 *
 * An entry that starts with "!" is an exception: an innocent phrase that
 * hides the words inside it, "!anjing pelacak" for "anjing".  The regex
 * tries the exceptions first at every position; one that matches skips
 * the scan past itself, (*SKIP)(*FAIL), so no word inside it counts.
 *
 *     HEAD (?:(?:exceptions)(*SKIP)(*FAIL)
 *             |(?:s[l1|]+[o0]+[t7+]+...|...)
 *             |SPACED-HEAD (?:s SEP [l1|]+ SEP ...))
 *
 * The alternatives are factored into a trie on common prefixes, so PCRE2
 * tries one branch per character instead of every word: several times
 * faster on long lists.  Entries are literal apart from the letters: "c++"
 * is "c", "+", "+".
 */

/* stand-ins for each letter, a to z; symbols only at the end of a class */

static const char  *cm_leet[26] = {
    "4@", "8", NULL, NULL, "3", NULL, "96", NULL, "1!|", NULL, NULL, "1|",
    NULL, NULL, "0", NULL, NULL, NULL, "5$", "7+", NULL, NULL, NULL, NULL,
    NULL, "2"
};

#define CM_LEET_SYMBOLS    "@!|$+"

#define CM_NOT_LETTER      "(?<![\\p{L}\\p{M}])"
#define CM_SEP             "[^\\p{L}\\p{N}]"
#define CM_SINGLE(n)                                                         \
    "(?<!" CM_NOT_LETTER "\\p{L}" CM_SEP n ")"

/*
 * The start of a word: not after a letter, tested once for every form of
 * every entry (the regex begins with it).  Spelled out, a word also
 * starts with a character and a separator ("s.", "ss ") and does not
 * follow a lone letter; the cheap lookahead goes first, as most words
 * are not spelled out.  Lookarounds only, so that PCRE2 still knows the
 * bytes a match can start with and skips the others fast.
 */

static const char  cm_head_whole[] = "(?<![a-z])" CM_NOT_LETTER;

static const char  cm_head_spaced[] =
    "(?!(.)(?!\\g{-1})[\\p{L}\\p{N}])"
    CM_SINGLE("") CM_SINGLE("{2}") CM_SINGLE("{3}");

/* after a first character that is no letter: a letter must follow */

static const char  cm_has_letter[] = "(?=[\\p{N}" CM_LEET_SYMBOLS "]*\\p{L})";

/*
 * The end of a word: no letter follows.  One exception, for the raw view:
 * U+FFFD with its UTF-8 bytes read as MacRoman (O circumflex, o slash,
 * Omega), which some comment systems glue to the last word; the
 * normalised view has already made it a space.
 */

#define CM_NO_LETTER_AFTER                                                   \
    "(?!(?!\\x{f4}\\x{f8}\\x{3c9}(?![\\p{L}\\p{M}]))[\\p{L}\\p{M}])"

static const char  cm_tail_whole[] = CM_NO_LETTER_AFTER;

static const char  cm_tail_spaced[] =
    CM_NO_LETTER_AFTER "(?!" CM_SEP "{1,3}\\p{L}(?![\\p{L}\\p{M}]))";

/* between the characters of a spaced-out word, between words of a phrase */

static const char  cm_sep_letters[] = CM_SEP "{1,3}";
static const char  cm_sep_words[] = CM_SEP "{0,4}";

/* between any two characters of a loose entry */

static const char  cm_sep_loose[] = CM_SEP "{0,3}";

static const char  cm_skip[] = "(*SKIP)(*FAIL)";

/* the most any byte of an entry gives, and any entry besides its bytes */

#define CM_WORDS_BYTE      (sizeof(cm_sep_letters) + sizeof(cm_has_letter) \
                            + 16)
#define CM_WORDS_ENTRY     (2 * CM_WORDS_BYTE + sizeof(cm_tail_spaced) + 8)


/*
 * Lower case, single blanks, sorted, unique; the exceptions ("!" entries)
 * are moved to the front and their number goes to *nexc, the loose ("~")
 * entries, without blanks and punctuation, to the end and their number
 * to *nloose.  Duplicates are moved behind the unique entries, where the
 * caller still frees them.
 */

static size_t
cm_words_prepare(cm_str_t *words, size_t n, size_t *nexc, size_t *nloose)
{
    size_t          i, j, k, e0, e1;
    cm_str_t        w;
    unsigned char  *p;

    for (i = 0; i < n; i++) {
        p = (unsigned char *) words[i].data;

        for (j = 0, k = 0; j < words[i].len; j++) {
            if (k && p[0] == '~' && p[j] < 0x80 && !cm_words_alnum(p[j])) {
                continue;
            }

            if (p[j] == ' ' || p[j] == '\t') {
                if (k && (p[k - 1] == ' ' || (k == 1 && p[0] == '!'))) {
                    continue;
                }

                p[k++] = ' ';
                continue;
            }

            p[k++] = (p[j] >= 'A' && p[j] <= 'Z') ? p[j] + 32 : p[j];
        }

        words[i].len = k;
    }

    qsort(words, n, sizeof(cm_str_t), cm_words_cmp);

    for (i = 0, k = 0; i < n; i++) {
        if (k && cm_words_cmp(&words[k - 1], &words[i]) == 0) {
            continue;
        }

        /* a lone "!" excepts nothing, a lone "~" matches nothing */

        if (words[i].len == 1
            && (words[i].data[0] == '!' || words[i].data[0] == '~'))
        {
            continue;
        }

        w = words[k];
        words[k++] = words[i];
        words[i] = w;
    }

    /* sorted, so the loose entries are together: rotate them to the end */

    for (e0 = 0; e0 < k && words[e0].data[0] != '~'; e0++) {
        /* void */
    }

    for (e1 = e0; e1 < k && words[e1].data[0] == '~'; e1++) {
        /* void */
    }

    cm_words_reverse(words, e0, e1);
    cm_words_reverse(words, e1, k);
    cm_words_reverse(words, e0, k);

    *nloose = e1 - e0;

    /* and the exceptions, which sort before them, to the front */

    for (e0 = 0; e0 < k && words[e0].data[0] != '!'; e0++) {
        /* void */
    }

    for (e1 = e0; e1 < k && words[e1].data[0] == '!'; e1++) {
        /* void */
    }

    cm_words_reverse(words, 0, e0);
    cm_words_reverse(words, e0, e1);
    cm_words_reverse(words, 0, e1);

    *nexc = e1 - e0;

    return k;
}


static void
cm_words_reverse(cm_str_t *words, size_t from, size_t to)
{
    cm_str_t  w;

    while (from + 1 < to) {
        w = words[from];
        words[from++] = words[--to];
        words[to] = w;
    }
}


static int
cm_words_cmp(const void *a, const void *b)
{
    int              rc;
    const cm_str_t  *x = a, *y = b;

    rc = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);

    if (rc) {
        return rc;
    }

    return (x->len > y->len) - (x->len < y->len);
}


/* loose entries by their last digit, those without one first */

static int
cm_words_cmp_loose(const void *a, const void *b)
{
    int  x, y;

    x = cm_words_digit(a);
    y = cm_words_digit(b);

    if (x != y) {
        return x - y;
    }

    return cm_words_cmp(a, b);
}


static unsigned char
cm_words_digit(const cm_str_t *w)
{
    size_t  i;

    for (i = w->len; i > 0; i--) {
        if (w->data[i - 1] >= '0' && w->data[i - 1] <= '9') {
            return w->data[i - 1];
        }
    }

    return 0;
}


/* exceptions and words as cm_words_prepare leaves them: sorted, unique */

static unsigned char *
cm_words_pattern(cm_ruleset_t *rs, cm_str_t *exc, size_t nexc,
    cm_str_t *words, size_t n, unsigned loose, size_t *len)
{
    size_t           i, size;
    cm_str_t        *tmp;
    unsigned char   *pat, *o;
    cm_words_form_t  f;

    size = 4 * (sizeof(cm_head_spaced) + sizeof(cm_head_whole)) + 64;

    for (i = 0; i < nexc; i++) {
        size += cm_words_size(&exc[i]);
    }

    for (i = 0; i < n; i++) {
        size += cm_words_size(&words[i]);
    }

    pat = cm_rs_alloc(rs, size);

    /* room for the entries that may also be spelled out */
    tmp = cm_rs_alloc(rs, (n > nexc ? n : nexc) * sizeof(cm_str_t) + 1);

    if (pat == NULL || tmp == NULL) {
        cm_rs_free(rs, pat);
        cm_rs_free(rs, tmp);
        return NULL;
    }

    if (loose) {
        o = cm_words_copy(pat, "(?:");

        if (nexc) {
            o = cm_words_copy(o, cm_head_whole);
            o = cm_words_copy(o, "(?:");
            o = cm_words_forms(o, exc, nexc, 1, tmp);
            o = cm_words_copy(o, ")");
            o = cm_words_copy(o, cm_skip);
            o = cm_words_copy(o, "|");
        }

        f.start = 1;
        f.spaced = 0;
        f.head = 1;
        f.loose = 1;

        o = cm_words_trie(o, words, n, 1, &f);
        o = cm_words_copy(o, ")");

        cm_rs_free(rs, tmp);

        *len = o - pat;

        return pat;
    }

    o = cm_words_copy(pat, cm_head_whole);
    o = cm_words_copy(o, "(?:");

    if (nexc) {
        o = cm_words_copy(o, "(?:");
        o = cm_words_forms(o, exc, nexc, 1, tmp);
        o = cm_words_copy(o, ")");
        o = cm_words_copy(o, cm_skip);
        o = cm_words_copy(o, "|");
    }

    o = cm_words_forms(o, words, n, 0, tmp);
    o = cm_words_copy(o, ")");

    cm_rs_free(rs, tmp);

    *len = o - pat;

    return pat;
}


/* the most regex an entry gives: each word of a phrase doubles the rest */

static size_t
cm_words_size(cm_str_t *w)
{
    size_t  i, size;

    size = 2 * (w->len * CM_WORDS_BYTE + CM_WORDS_ENTRY);

    for (i = 0; i < w->len; i++) {
        if (w->data[i] == ' ') {
            size = 2 * size + 8;
        }
    }

    return size;
}


/*
 * Both ways to write the entries, "base" bytes into each: whole, and
 * spelled out for the entries of two characters or more that have no
 * punctuation of their own.
 */

static unsigned char *
cm_words_forms(unsigned char *o, cm_str_t *words, size_t n, size_t base,
    cm_str_t *tmp)
{
    size_t          i, j, m, chars;
    unsigned char   c;
    cm_words_form_t  f;

    f.start = base;
    f.spaced = 0;
    f.head = 1;
    f.loose = 0;

    o = cm_words_trie(o, words, n, base, &f);

    for (i = 0, m = 0; i < n; i++) {
        chars = 0;

        for (j = base; j < words[i].len; j++) {
            c = words[i].data[j];

            if (c < 0x80 && c != ' ' && !cm_words_alnum(c)) {
                break;
            }

            if (c != ' ' && (c & 0xc0) != 0x80) {
                chars++;
            }
        }

        if (j == words[i].len && chars >= 2) {
            tmp[m++] = words[i];
        }
    }

    if (m == 0) {
        return o;
    }

    f.spaced = 1;

    o = cm_words_copy(o, "|");
    o = cm_words_copy(o, cm_head_spaced);

    return cm_words_trie(o, tmp, m, base, &f);
}


/* words[0..n) share their first "d" bytes; writes what may follow */

static unsigned char *
cm_words_trie(unsigned char *o, cm_str_t *words, size_t n, size_t d,
    cm_words_form_t *f)
{
    size_t  i, j, groups;

    groups = 0;

    for (i = 0; i < n; i = cm_words_group(words, n, i, d)) {
        groups++;
    }

    /* loose: the separators once, not in every branch */

    if (f->loose && d > f->start) {
        o = cm_words_copy(o, cm_sep_loose);
    }

    if (groups == 1) {
        return cm_words_branch(o, words, n, d, f);
    }

    o = cm_words_copy(o, "(?:");

    for (i = 0; i < n; i = j) {
        j = cm_words_group(words, n, i, d);

        if (i) {
            *o++ = '|';
        }

        o = cm_words_branch(o, words + i, j - i, d, f);
    }

    *o++ = ')';

    return o;
}


/* the end of the group of words that share the character at "d" of words[i] */

static size_t
cm_words_group(cm_str_t *words, size_t n, size_t i, size_t d)
{
    size_t  j, k;

    k = cm_words_token_len(&words[i], d);

    for (j = i + 1; j < n; j++) {
        if (words[j].len < d + k
            || memcmp(words[j].data + d, words[i].data + d, k) != 0)
        {
            break;
        }
    }

    return j;
}


/*
 * words[0..n) share the character at "d"; sorted, so a word that ends with
 * it is the first.  A word's last letter is written without its stand-in
 * symbols: "ta!" is not "tai".  The longer words are tried first.
 */

static unsigned char *
cm_words_branch(unsigned char *o, cm_str_t *words, size_t n, size_t d,
    cm_words_form_t *f)
{
    size_t       k;
    const char  *tail;

    k = cm_words_token_len(&words[0], d);

    if (k == 1 && words[0].data[d] == ' ') {
        return cm_words_next(o, words, n, d + 1, f);
    }

    if (words[0].len > d + k) {
        o = cm_words_token(o, words[0].data + d, k, d, 0, f);
        return cm_words_trie(o, words, n, d + k, f);
    }

    tail = f->loose ? "" : (f->spaced ? cm_tail_spaced : cm_tail_whole);

    if (n == 1) {
        o = cm_words_token(o, words[0].data + d, k, d, 1, f);
        return cm_words_copy(o, tail);
    }

    o = cm_words_copy(o, "(?:");
    o = cm_words_token(o, words[0].data + d, k, d, 0, f);
    o = cm_words_trie(o, words + 1, n - 1, d + k, f);
    *o++ = '|';
    o = cm_words_token(o, words[0].data + d, k, d, 1, f);
    o = cm_words_copy(o, tail);
    *o++ = ')';

    return o;
}


/*
 * The next word of a phrase, at "d": each word of a phrase is written
 * whole or spelled out on its own, "s.l.0.t g4coorr".
 */

static unsigned char *
cm_words_next(unsigned char *o, cm_str_t *words, size_t n, size_t d,
    cm_words_form_t *f)
{
    cm_words_form_t  next;

    next.start = d;
    next.spaced = 0;
    next.head = 0;
    next.loose = 0;

    o = cm_words_copy(o, cm_sep_words);
    o = cm_words_copy(o, "(?:");
    o = cm_words_trie(o, words, n, d, &next);
    *o++ = '|';

    next.spaced = 1;
    o = cm_words_trie(o, words, n, d, &next);
    *o++ = ')';

    return o;
}


/* the bytes of the character at byte "d" of a word */

static size_t
cm_words_token_len(cm_str_t *w, size_t d)
{
    size_t  k;

    k = cm_utf8_len(w->data[d]);

    return (k > w->len - d) ? w->len - d : k;
}


/* one character of a word as regex */

static unsigned char *
cm_words_token(unsigned char *o, const unsigned char *p, size_t k, size_t d,
    unsigned last, cm_words_form_t *f)
{
    unsigned char  c;
    const char    *leet;

    c = p[0];

    if (f->loose) {
        return cm_words_loose(o, p, k, d, last, f);
    }

    if (f->spaced && d > f->start) {
        o = cm_words_copy(o, cm_sep_letters);
    }

    if (k == 1 && c >= 'a' && c <= 'z') {
        leet = cm_leet[c - 'a'];

        /*
         * The first letter: a stand-in only with a real letter after it
         * ("741" is not "tai"); spelled out, only the letter itself.
         */

        if (leet && f->head && d == f->start) {
            if (f->spaced) {
                *o++ = c;
                *o++ = '+';
                return o;
            }

            *o++ = '(';
            *o++ = '?';
            *o++ = ':';
            *o++ = c;
            *o++ = '|';
            o = cm_words_class(o, c, leet, last, 0);
            o = cm_words_copy(o, cm_has_letter);
            *o++ = ')';

            o = cm_words_class(o, c, leet, last, 1);
            *o++ = '*';

            return o;
        }

        if (leet) {
            o = cm_words_class(o, c, leet, last, 1);

        } else {
            *o++ = c;
        }

        *o++ = '+';

        return o;
    }

    /* any ASCII punctuation escaped is itself in PCRE2 */

    if (k == 1 && !cm_words_alnum(c)) {
        *o++ = '\\';
        *o++ = c;

    } else {
        memcpy(o, p, k);
        o += k;
    }

    if (k == 1 && f->head && d == f->start && !f->spaced) {
        o = cm_words_copy(o, cm_has_letter);
    }

    if (k == 1) {
        return o;
    }

    /* a letter of another script may be stretched as well */

    if (k > 1) {
        *o++ = '+';
    }

    return o;
}


/*
 * One character of a loose entry (cm_words_trie writes the separators
 * before it): a letter with its stand-ins, "l" with "i" too, stretched;
 * a digit as it is ("~" and punctuation are gone by now).
 */

static unsigned char *
cm_words_loose(unsigned char *o, const unsigned char *p, size_t k, size_t d,
    unsigned last, cm_words_form_t *f)
{
    unsigned char  c;
    const char    *leet;

    c = p[0];

    if (k == 1 && c >= 'a' && c <= 'z') {
        leet = cm_leet[c - 'a'];

        if (c == 'l') {
            leet = "1|i";
        }

        /* the first letter matches from its last repeat: no "+" */

        if (d == f->start) {
            if (leet) {
                return cm_words_class(o, c, leet, 0, 1);
            }

            *o++ = c;

            return o;
        }

        if (leet) {
            o = cm_words_class(o, c, leet, last, 1);

        } else {
            /*
             * "[k\0]", not "k": no letter is a literal PCRE2 could take
             * for the one every match needs, the last digit is (a text
             * never holds NUL, cm_view_norm and cm_view_raw drop it).
             */

            o = cm_words_class(o, c, "\\0", 0, 1);
        }

        *o++ = '+';

        return o;
    }

    memcpy(o, p, k);
    o += k;

    if (k > 1 && d > f->start) {
        *o++ = '+';
    }

    return o;
}


/* "[c4@]": a letter and its stand-ins, the symbols not at a word's end */

static unsigned char *
cm_words_class(unsigned char *o, unsigned char c, const char *leet,
    unsigned last, unsigned self)
{
    *o++ = '[';

    if (self) {
        *o++ = c;
    }

    for ( /* void */ ; *leet; leet++) {
        if (!last || strchr(CM_LEET_SYMBOLS, *leet) == NULL) {
            *o++ = *leet;
        }
    }

    *o++ = ']';

    return o;
}


static unsigned char *
cm_words_copy(unsigned char *o, const char *s)
{
    size_t  len;

    len = strlen(s);
    memcpy(o, s, len);

    return o + len;
}


static int
cm_words_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c >= 0x80;
}


/* 1-based column, in characters, of byte "pos" of the line */

static unsigned
cm_column(cm_line_t *ln, size_t pos)
{
    size_t    i;
    unsigned  col;

    col = 1;

    for (i = 0; i < pos && ln->start + i < ln->end; i++) {
        if ((ln->start[i] & 0xc0) != 0x80) {
            col++;
        }
    }

    return col;
}


static size_t
cm_utf8_len(unsigned char c)
{
    if (c >= 0xf0) {
        return 4;
    }

    if (c >= 0xe0) {
        return 3;
    }

    if (c >= 0xc0) {
        return 2;
    }

    return 1;
}


/* "FILE:LINE: message" or "FILE:LINE:COLUMN: message" when col is set */

static void
cm_error(cm_line_t *ln, unsigned col, const char *fmt, ...)
{
    int       n;
    size_t    len;
    char     *err;
    va_list   args;

    err = ln->ld->err;
    len = ln->ld->errlen;

    if (len == 0) {
        return;
    }

    if (col) {
        n = snprintf(err, len, "%s:%u:%u: ", ln->file, ln->line, col);

    } else {
        n = snprintf(err, len, "%s:%u: ", ln->file, ln->line);
    }

    if (n < 0 || (size_t) n >= len) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err + n, len - n, fmt, args);
    va_end(args);
}
