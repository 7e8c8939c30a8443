/*
 * Rule files: reading and parsing them into a rule set.
 *
 *   re    ID SCORE /PATTERN/FLAGS [field=A,B] [count=N] [tag=T] [msg="M"]
 *                                 [view=raw|norm] [against=T,T] [max=..]
 *   words ID SCORE LISTFILE       [field=A,B] [tag=T] [msg="M"] [view=..]
 *                                 [against=T,T] [max=hold|reject]
 *   model ID SCORE MODELFILE      [threshold=P|R%] [field=A,B] [tag=T]
 *                                 [msg="M"] [max=hold|reject]
 *   include FILE
 *
 * A regex is compiled by PCRE2 and read by the prefilter
 * (cm_prefilter.c); a word list is handed to cm_words.c whole, a model
 * file to cm_model.c.
 *
 * Every allocation goes through the caller's allocator, PCRE2's included
 * (a general context wired to it), and is linked into the rule set so
 * that cm_ruleset_free releases all of it.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_rules_int.h"
#include "cm_util.h"


#define CM_ID_MAX          4294967295LL
#define CM_SCORE_MAX       1000000
#define CM_COUNT_MAX       1000000

#define CM_OPT_FIELD       0x01
#define CM_OPT_COUNT       0x02
#define CM_OPT_TAG         0x04
#define CM_OPT_MSG         0x08
#define CM_OPT_VIEW        0x10
#define CM_OPT_AGAINST     0x20
#define CM_OPT_THRESHOLD   0x40
#define CM_OPT_MAX         0x80



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




static void *cm_rs_alloc_hook(void *data, size_t size);
static void cm_rs_free_hook(void *data, void *p);
static int cm_load_file(cm_load_t *ld, const char *path, cm_line_t *from);
static char *cm_path_join(cm_ruleset_t *rs, const char *base,
    const unsigned char *name, size_t len);
static int cm_parse_line(cm_line_t *ln);
static int cm_parse_include(cm_line_t *ln);
static int cm_parse_rule(cm_line_t *ln, unsigned type);
static int cm_parse_pattern(cm_line_t *ln, cm_str_t *pat, uint32_t **posmap,
    uint32_t *options);
static int cm_parse_options(cm_line_t *ln, cm_rule_t *r, unsigned type);
static int cm_parse_threshold(cm_line_t *ln, cm_rule_t *r, cm_str_t *val);
static int cm_parse_msg(cm_line_t *ln, cm_rule_t *r);
static int cm_parse_fields(cm_line_t *ln, cm_rule_t *r, cm_str_t *val);
static int cm_parse_list(cm_line_t *ln, cm_str_t *val, const char *what,
    cm_str_t **list, size_t *nlist);
static int cm_tag_char(unsigned char c);
static int cm_parse_number(cm_str_t *tok, int sign, long long max,
    long long *n);
static int cm_next_token(cm_line_t *ln, cm_str_t *tok);
static void cm_skip_space(cm_line_t *ln);
static int cm_check_id(cm_line_t *ln, unsigned id);
static cm_rule_t *cm_add_rule(cm_line_t *ln, cm_rule_t *r);
static int cm_ruleset_twins(cm_ruleset_t *rs);
static int cm_same_regex(const cm_rule_t *a, const cm_rule_t *b);
static int cm_compile_re(cm_line_t *ln, cm_rule_t *r, cm_str_t *pat,
    uint32_t *posmap, uint32_t options);
static int cm_load_words(cm_line_t *ln, cm_rule_t *r, cm_str_t *name);
static int cm_load_model(cm_line_t *ln, cm_rule_t *r, cm_str_t *name);
static unsigned cm_column(cm_line_t *ln, size_t pos);
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
 * point at their line; this adds the JIT code (a pattern the JIT cannot
 * take runs in the interpreter) and builds, for each view, the automata
 * that find every rule's atoms and every list's entries in one pass.
 */

int
cm_ruleset_compile(cm_ruleset_t *rs, char *err, size_t errlen)
{
    size_t      i, k;
    unsigned    v;
    cm_rule_t  *r;

    if (rs->failed) {
        snprintf(err, errlen, "rule set has errors, not compiled");
        return CM_ERROR;
    }

    if (rs->compiled) {
        return CM_OK;
    }

    if (cm_ruleset_twins(rs) != CM_OK) {
        snprintf(err, errlen, "out of memory");
        return CM_ERROR;
    }

    for (i = 0; i < rs->nrules; i++) {
        r = &rs->rules[i];

        for (k = 0; k < r->ncodes; k++) {
            (void) pcre2_jit_compile(r->codes[k], PCRE2_JIT_COMPLETE);
        }
    }

    for (v = 0; v < CM_NVIEWS; v++) {
        if (rs->pf[v]) {
            if (cm_pf_build(rs->pf[v]) != CM_OK) {
                snprintf(err, errlen, "out of memory");
                return CM_ERROR;
            }

            /* the word lists' state follows: keep it aligned */
            rs->pf_state[v] = (cm_pf_state_size(rs->pf[v]) + 15)
                              & ~(size_t) 15;
        }

        if (rs->words[v]) {
            if (cm_words_build(rs->words[v]) != CM_OK) {
                snprintf(err, errlen, "out of memory");
                return CM_ERROR;
            }

            rs->words_state[v] = cm_words_state_size(rs->words[v]);
        }
    }

    rs->compiled = 1;

    return CM_OK;
}


int
cm_ruleset_set_reference(cm_ruleset_t *rs)
{
    if (rs->nrules || rs->failed || rs->compiled) {
        return CM_ERROR;
    }

    rs->reference = 1;

    return CM_OK;
}


void
cm_ruleset_free(cm_ruleset_t *rs)
{
    size_t       i, k;
    unsigned     v;
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

    for (v = 0; v < CM_NVIEWS; v++) {
        cm_pf_free(rs->pf[v]);
        cm_words_free(rs->words[v]);
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


int
cm_ruleset_stats(const cm_ruleset_t *rs, cm_ruleset_stats_t *st)
{
    size_t            i;
    unsigned          v;
    cm_model_info_t   info;

    memset(st, 0, sizeof(cm_ruleset_stats_t));

    for (i = 0; i < rs->nrules; i++) {
        if (rs->rules[i].type == CM_RULE_RE) {
            st->regexes++;

            if (rs->rules[i].twin != CM_NO_TWIN && rs->rules[i].twin != i) {
                st->shared++;
            }

        } else if (rs->rules[i].type == CM_RULE_WORDS) {
            st->lists++;

        } else {
            cm_model_info(rs->rules[i].model, &info);
            st->models++;
            st->memory += info.memory;
        }
    }

    st->reference = rs->reference;

    if (!rs->compiled || rs->reference) {
        return CM_OK;
    }

    for (v = 0; v < CM_NVIEWS; v++) {
        if (rs->pf[v]) {
            st->always += cm_pf_nalways(rs->pf[v]);
            st->atoms += cm_pf_natoms(rs->pf[v]);
            st->memory += cm_pf_memory(rs->pf[v]);
        }

        if (rs->words[v]) {
            st->entries += cm_words_nentries(rs->words[v]);
            st->keys += cm_words_nkeys(rs->words[v]);
            st->memory += cm_words_memory(rs->words[v]);
        }
    }

    return CM_OK;
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
    info->always = r->type == CM_RULE_RE && !rs->reference
                   && rs->pf[r->view]
                   && cm_pf_is_always(rs->pf[r->view], (uint32_t) i);

    return CM_OK;
}


size_t
cm_ruleset_rule_needs(const cm_ruleset_t *rs, size_t i, char *buf,
    size_t len)
{
    const cm_rule_t  *r;

    if (len == 0) {
        return 0;
    }

    buf[0] = '\0';

    if (i >= rs->nrules) {
        return 0;
    }

    r = &rs->rules[i];

    if (r->type == CM_RULE_WORDS) {
        return snprintf(buf, len, "list");
    }

    if (r->type == CM_RULE_MODEL) {
        return snprintf(buf, len, "model");
    }

    if (rs->reference || !rs->compiled || rs->pf[r->view] == NULL) {
        return snprintf(buf, len, "always");
    }

    return cm_pf_describe(rs->pf[r->view], (uint32_t) i, buf, len);
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


void *
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


void
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


/* an allocator whose memory the rule set frees, if nobody else does */

void
cm_rs_allocator(cm_ruleset_t *rs, cm_alloc_t *a)
{
    a->alloc = cm_rs_alloc_hook;
    a->free = cm_rs_free_hook;
    a->data = rs;
}


char *
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
    int                   rc;
    char                  reason[256];
    unsigned              i;
    cm_file_t             f;
    cm_line_t             ln;
    cm_alloc_t            a;
    cm_lines_t            ls;
    const char           *what;
    const unsigned char  *s, *e;

    if (ld->depth > CM_INCLUDE_MAX) {
        cm_error(from, 0, "includes nested too deeply (more than %d levels)",
                 CM_INCLUDE_MAX);
        return CM_ERROR;
    }

    cm_rs_allocator(ld->rs, &a);

    if (cm_file_read(&a, path, &f, &what, reason, sizeof(reason)) != CM_OK) {
        if (from) {
            cm_error(from, 0, "%s \"%s\": %s", what, path, reason);

        } else {
            snprintf(ld->err, ld->errlen, "%s: %s: %s", path, what, reason);
        }

        return CM_ERROR;
    }

    for (i = 0; i < ld->depth; i++) {
        if (ld->stack[i].dev == f.dev && ld->stack[i].ino == f.ino) {
            cm_error(from, 0, "include loop: \"%s\" is already being read",
                     path);
            cm_rs_free(ld->rs, f.data);
            return CM_ERROR;
        }
    }

    ln.ld = ld;
    ln.line = 0;
    ln.file = cm_rs_strdup(ld->rs, path, strlen(path));

    if (ln.file == NULL) {
        snprintf(ld->err, ld->errlen, "%s: out of memory", path);
        cm_rs_free(ld->rs, f.data);
        return CM_ERROR;
    }

    ld->stack[ld->depth].dev = f.dev;
    ld->stack[ld->depth].ino = f.ino;
    ld->depth++;

    rc = CM_OK;

    cm_lines_init(&ls, f.data, f.len);

    while (cm_lines_next(&ls, &s, &e)) {
        ln.line = ls.line;
        ln.start = s;
        ln.pos = s;
        ln.end = e;

        rc = cm_parse_line(&ln);
        if (rc != CM_OK) {
            break;
        }
    }

    ld->depth--;

    cm_rs_free(ld->rs, f.data);

    return rc;
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
        return cm_parse_rule(ln, CM_RULE_RE);
    }

    if (tok.len == 5 && memcmp(tok.data, "words", 5) == 0) {
        return cm_parse_rule(ln, CM_RULE_WORDS);
    }

    if (tok.len == 5 && memcmp(tok.data, "model", 5) == 0) {
        return cm_parse_rule(ln, CM_RULE_MODEL);
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
cm_parse_rule(cm_line_t *ln, unsigned type)
{
    int         rc;
    uint32_t    options, *posmap;
    cm_str_t    tok, pat, list;
    cm_rule_t   r, *rule;
    long long   n;

    memset(&r, 0, sizeof(cm_rule_t));

    r.count = 1;
    r.type = type;
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

    if (type != CM_RULE_RE) {
        if (!cm_next_token(ln, &list)) {
            cm_error(ln, 0, type == CM_RULE_WORDS ? "missing word list file"
                                                  : "missing model file");
            return CM_ERROR;
        }

    } else if (cm_parse_pattern(ln, &pat, &posmap, &options) != CM_OK) {
        return CM_ERROR;
    }

    if (cm_parse_options(ln, &r, type) != CM_OK) {
        return CM_ERROR;
    }

    /* in the rule set first, so that cm_ruleset_free finds its code */

    rule = cm_add_rule(ln, &r);
    if (rule == NULL) {
        return CM_ERROR;
    }

    if (type == CM_RULE_WORDS) {
        return cm_load_words(ln, rule, &list);
    }

    if (type == CM_RULE_MODEL) {
        return cm_load_model(ln, rule, &list);
    }

    rc = cm_compile_re(ln, rule, &pat, posmap, options);

    cm_rs_free(ln->ld->rs, posmap);

    if (rc != CM_OK) {
        cm_rs_free(ln->ld->rs, (void *) pat.data);
        return rc;
    }

    /* kept, to match it once with the rules of the same regex */

    rule->pattern = pat;
    rule->options = options;

    return CM_OK;
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
cm_parse_options(cm_line_t *ln, cm_rule_t *r, unsigned type)
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

        } else if (key.len == 7 && memcmp(key.data, "against", 7) == 0) {
            opt = CM_OPT_AGAINST;

        } else if (key.len == 9 && memcmp(key.data, "threshold", 9) == 0) {
            opt = CM_OPT_THRESHOLD;

        } else if (key.len == 3 && memcmp(key.data, "max", 3) == 0) {
            opt = CM_OPT_MAX;

        } else {
            cm_error(ln, 0, "unknown option \"%.*s\"",
                     (int) key.len, key.data);
            return CM_ERROR;
        }

        if ((opt == CM_OPT_COUNT && type != CM_RULE_RE)
            || (opt == CM_OPT_THRESHOLD && type != CM_RULE_MODEL)
            || ((opt == CM_OPT_VIEW || opt == CM_OPT_AGAINST)
                && type == CM_RULE_MODEL))
        {
            cm_error(ln, 0, "unknown option \"%.*s\" for a%s rule",
                     (int) key.len, key.data,
                     type == CM_RULE_RE ? " re"
                     : type == CM_RULE_WORDS ? " words" : " model");
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

        case CM_OPT_AGAINST:
            if (r->score >= 0) {
                cm_error(ln, 0, "\"against\" is for a negative score");
                return CM_ERROR;
            }

            if (cm_parse_list(ln, &val, "tag", &r->against, &r->nagainst)
                != CM_OK)
            {
                return CM_ERROR;
            }

            break;

        case CM_OPT_THRESHOLD:
            if (cm_parse_threshold(ln, r, &val) != CM_OK) {
                return CM_ERROR;
            }

            break;

        case CM_OPT_MAX:
            if (val.len == 4 && memcmp(val.data, "hold", 4) == 0) {
                if (r->score <= 0) {
                    cm_error(ln, 0, "\"max=hold\" is for a positive score");
                    return CM_ERROR;
                }

                r->hold_only = 1;

            } else if (!(val.len == 6 && memcmp(val.data, "reject", 6) == 0))
            {
                cm_error(ln, 0, "bad max \"%.*s\", must be hold or reject",
                         (int) val.len, val.data);
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
                if (!cm_tag_char(val.data[i])) {
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


/*
 * threshold=P, a probability above 0 and at most 1; or threshold=R%, the
 * model file's threshold for flagging R% of its training ham
 */

static int
cm_parse_threshold(cm_line_t *ln, cm_rule_t *r, cm_str_t *val)
{
    char    buf[32], *end;
    double  p;

    if (val->len == 0 || val->len >= sizeof(buf)) {
        goto bad;
    }

    memcpy(buf, val->data, val->len);
    buf[val->len] = '\0';

    p = strtod(buf, &end);

    if (end != buf && *end == '%' && end[1] == '\0') {
        if (!(p > 0 && p < 100)) {
            goto bad;
        }

        r->rate = p / 100;

        return CM_OK;
    }

    if (*end != '\0' || !(p > 0 && p <= 1)) {
        goto bad;
    }

    r->threshold = p;

    return CM_OK;

bad:

    cm_error(ln, 0, "bad threshold \"%.*s\", must be a probability above "
             "0 and at most 1, or a share of ham such as 3%%",
             (int) val->len, val->data);

    return CM_ERROR;
}


static int
cm_parse_fields(cm_line_t *ln, cm_rule_t *r, cm_str_t *val)
{
    return cm_parse_list(ln, val, "field", &r->fields, &r->nfields);
}


/*
 * A comma-separated list, "A,B": a field list, or a tag list (for which
 * only what a tag may hold is accepted).
 */

static int
cm_parse_list(cm_line_t *ln, cm_str_t *val, const char *what,
    cm_str_t **list, size_t *nlist)
{
    size_t                n, i, j;
    unsigned              tags;
    cm_str_t             *items;
    const unsigned char  *p, *q, *last;

    tags = (what[0] == 't');
    n = 1;

    for (i = 0; i < val->len; i++) {
        if (val->data[i] == ',') {
            n++;
        }
    }

    items = cm_rs_alloc(ln->ld->rs, n * sizeof(cm_str_t));
    if (items == NULL) {
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

        for (j = 0; tags && p + j < q; j++) {
            if (!cm_tag_char(p[j])) {
                break;
            }
        }

        if (q == p || (tags && p + j < q)) {
            cm_error(ln, 0, "bad %s list \"%.*s\"", what,
                     (int) val->len, val->data);
            return CM_ERROR;
        }

        items[i].data = (unsigned char *) cm_rs_strdup(ln->ld->rs, p, q - p);
        if (items[i].data == NULL) {
            cm_error(ln, 0, "out of memory");
            return CM_ERROR;
        }

        items[i].len = q - p;
        p = q + 1;
    }

    *list = items;
    *nlist = n;

    return CM_OK;
}


static int
cm_tag_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
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


/*
 * The rules whose regexes are the same (cm_same_regex): each gets the
 * index of the first of them as its twin, the first too; the others
 * CM_NO_TWIN.  A table of the rules' indexes, open addressing on a hash
 * of the pattern, so that it is linear in the rules.
 */

static int
cm_ruleset_twins(cm_ruleset_t *rs)
{
    size_t      i, j, size, mask;
    uint32_t    h, *slot;
    cm_rule_t  *r, *o;

    for (i = 0; i < rs->nrules; i++) {
        rs->rules[i].twin = CM_NO_TWIN;
    }

    for (size = 16; size < 2 * rs->nrules; size *= 2) {
        /* void */
    }

    slot = cm_rs_alloc(rs, size * sizeof(uint32_t));
    if (slot == NULL) {
        return CM_ERROR;
    }

    memset(slot, 0xff, size * sizeof(uint32_t));
    mask = size - 1;

    for (i = 0; i < rs->nrules; i++) {
        r = &rs->rules[i];

        if (r->type != CM_RULE_RE || r->pattern.data == NULL) {
            continue;
        }

        h = cm_fnv(CM_FNV_BASIS ^ r->options, r->pattern.data,
                   r->pattern.len);

        for (j = h & mask; slot[j] != CM_NO_TWIN; j = (j + 1) & mask) {
            o = &rs->rules[slot[j]];

            if (cm_same_regex(o, r)) {
                o->twin = slot[j];
                r->twin = slot[j];
                break;
            }
        }

        if (slot[j] == CM_NO_TWIN) {
            slot[j] = (uint32_t) i;
        }
    }

    cm_rs_free(rs, slot);

    return CM_OK;
}


/* whether two "re" rules match alike: pattern, flags, view and count */

static int
cm_same_regex(const cm_rule_t *a, const cm_rule_t *b)
{
    return a->options == b->options
           && a->view == b->view
           && a->count == b->count
           && a->pattern.len == b->pattern.len
           && memcmp(a->pattern.data, b->pattern.data, a->pattern.len) == 0;
}


static int
cm_compile_re(cm_line_t *ln, cm_rule_t *r, cm_str_t *pat, uint32_t *posmap,
    uint32_t options)
{
    int                rc;
    PCRE2_SIZE         off;
    cm_alloc_t         a;
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

    if (rs->reference) {
        return CM_OK;
    }

    /* the prefilter reads the pattern too, for the atoms it needs */

    if (rs->pf[r->view] == NULL) {
        cm_rs_allocator(rs, &a);

        rs->pf[r->view] = cm_pf_create(&a);
        if (rs->pf[r->view] == NULL) {
            cm_error(ln, 0, "out of memory");
            return CM_ERROR;
        }
    }

    if (cm_pf_add(rs->pf[r->view], (uint32_t) (r - rs->rules), pat->data,
                  pat->len, options, r->view == CM_VIEW_NORM)
        != CM_OK)
    {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    return CM_OK;
}


/* the list's path is relative to the rule file that names it */

static int
cm_load_words(cm_line_t *ln, cm_rule_t *r, cm_str_t *name)
{
    int            rc;
    char          *path;
    cm_ruleset_t  *rs;

    rs = ln->ld->rs;

    path = cm_path_join(rs, ln->file, name->data, name->len);
    if (path == NULL) {
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    rc = cm_words_load(rs, r, path, ln->file, ln->line, ln->ld->err,
                       ln->ld->errlen);

    cm_rs_free(rs, path);

    return rc;
}


/*
 * The model file's path is relative to the rule file that names it; its
 * threshold is the rule's default.  The rule set keeps its model rules
 * apart, for cm_match.
 */

static int
cm_load_model(cm_line_t *ln, cm_rule_t *r, cm_str_t *name)
{
    size_t            i;
    char             *path;
    uint32_t         *models;
    cm_alloc_t        a;
    cm_ruleset_t     *rs;
    cm_model_info_t   info;

    rs = ln->ld->rs;

    path = cm_path_join(rs, ln->file, name->data, name->len);
    models = cm_rs_alloc(rs, (rs->nmodels + 1) * sizeof(uint32_t));

    if (path == NULL || models == NULL) {
        cm_rs_free(rs, path);
        cm_rs_free(rs, models);
        cm_error(ln, 0, "out of memory");
        return CM_ERROR;
    }

    /* a file loaded once, however many rules name it */

    for (i = 0; i < rs->nmodels; i++) {
        if (strcmp(rs->rules[rs->models[i]].model_path, path) == 0) {
            r->model = rs->rules[rs->models[i]].model;
            break;
        }
    }

    if (r->model == NULL) {
        cm_rs_allocator(rs, &a);

        r->model = cm_model_load_at(&a, path, ln->file, ln->line,
                                    ln->ld->err, ln->ld->errlen);
    }

    r->model_path = path;

    if (r->model == NULL) {
        cm_rs_free(rs, models);
        return CM_ERROR;
    }

    cm_model_info(r->model, &info);

    if (r->rate) {
        if (cm_model_rate_threshold(r->model, r->rate, &r->threshold)
            != CM_OK)
        {
            cm_rs_free(rs, models);
            cm_error(ln, 0, "model \"%.*s\" has no threshold for %g%% of "
                     "ham: train it again, or give a probability",
                     (int) name->len, name->data, 100 * r->rate);
            return CM_ERROR;
        }

    } else if (r->threshold == 0) {
        r->threshold = info.threshold;
    }

    if (cm_model_bits_size(info.bits) > rs->model_state) {
        rs->model_state = cm_model_bits_size(info.bits);
    }

    if (rs->nmodels) {
        memcpy(models, rs->models, rs->nmodels * sizeof(uint32_t));
    }

    cm_rs_free(rs, rs->models);

    rs->models = models;
    rs->models[rs->nmodels++] = (uint32_t) (r - rs->rules);

    return CM_OK;
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
