
/*
 * Word lists: one automaton for the entries of every list of a view,
 * matched on the skeleton of each field (cm_view_skel).
 *
 * An entry is written once, "slot gacor", and matches as spammers
 * disguise it.  Its key is its own skeleton: letters only, leetspeak
 * undone, repeats squeezed, the space between its words dropped
 * ("slotgacor").  The skeleton of a field has lost the same things, so
 * "s.l.0.t  g4coorr", "$lot gacor" and "#slotgacor" all contain the key,
 * and one Aho-Corasick pass finds every entry of every list, whatever
 * their number.  Each occurrence is then checked against what the
 * skeleton dropped (cm_words_check):
 *
 *   boundaries  no letter touches it on either side, so "asu" is not in
 *               "kasus" nor "tai" in "pantai" (digits may: "slot88");
 *               a word spelled out does not go on from a single letter:
 *               "k a s u s" holds no "a s u";
 *   words       each word of the entry is written whole ("slot"), or
 *               spelled out with one to six separators between every
 *               letter ("s.l.o.t"), never with separators here and there
 *               ("a su" is not "asu"); between the words of a phrase
 *               anything of up to CM_WORDS_JUNC_GAP separators, or
 *               nothing;
 *   letters     a match holds a real letter ("741" is not "tai"), does
 *               not end on a symbol standing in for a letter ("ta!" is
 *               not "tai"), and has the entry's own digits where it has
 *               digits ("pulau777");
 *   long keys   an entry of CM_WORDS_LONG letters or more is also found
 *               inside text glued together or spelled out as one run
 *               ("daftarsitusslotgacor", "d a f t a r s l o t g a c o r"),
 *               where no boundary can be seen; its words may hold
 *               separators that are not spaces ("sl-ot ga-cor");
 *   loose       a "~" entry needs no boundary and may have up to three
 *               separators between any two letters, and its "l" may be
 *               written "i" ("diGa Ru-da Ho ki", "PuIauwin");
 *   exceptions  a "!" entry is an innocent phrase: a match that starts
 *               inside one of its matches does not count.
 *
 * "1" and "|" stand for both "i" and "l": an entry with those letters
 * gets keys with "1" in their place (the skeleton keeps "1").  A symbol
 * between two words is a separator too ("$lot@gacor"): phrases get keys
 * with the symbol's letter between their words.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cm_rules_int.h"
#include "cm_ac.h"
#include "cm_util.h"


/* a loose ("~") entry: its fewest letters or digits */
#define CM_LOOSE_MIN       6

/*
 * Typos made on purpose: vowels dropped leave this many consonants at
 * least, letters are swapped in words one longer; shorter, they read as
 * the abbreviations of ordinary chat ("jngn", "sht", "tgl").
 */
#define CM_WORDS_TYPO_MIN  5

/*
 * A junk letter is looked for in keys this long: in shorter ones it makes
 * ordinary words ("kontrol" is "kontol" and an "r").
 */
#define CM_WORDS_JUNK_MIN  8

/*
 * Keys this long get halves (cm_words_half): shorter halves would be
 * found everywhere, and each find costs a look beside it.
 */
#define CM_WORDS_HALVES_MIN  8

/* a long key: found inside glued text too */
#define CM_WORDS_LONG      6

/* separators between the words of a phrase */
#define CM_WORDS_JUNC_GAP  8

#define CM_WORDS_KEY_MAX   255

/* variants of one entry's key: "1" for "i" and "l" */
#define CM_WORDS_VARIANTS  16

#define CM_WK_STRICT       0
#define CM_WK_LOOSE        1
#define CM_WK_EXC          2
#define CM_WK_LEFT         3         /* the first half of a long key */
#define CM_WK_RIGHT        4         /* its second half */

/*
 * The tag of a hit of halves (cm_words_group): a group of them, or, for a
 * half no other key shares, the half itself with its c1 and c2 in the low
 * 14 bits, 7 each.
 */
#define CM_WT_HALF         0x8000
#define CM_WT_LEFT         0x4000
#define CM_WT_LETTERS      0x3fff

#define CM_WK_LONG         0x01
#define CM_WK_NOSPELL      0x02
#define CM_WK_DOUBLE       0x04      /* a letter squeezed in the key */

/* what each byte of a key asks of the text */
#define CM_KI_CONT         0x01      /* a UTF-8 continuation byte */
#define CM_KI_JUNC         0x02      /* a new word of a phrase starts */
#define CM_KI_PUNCT        0x04      /* punctuation of the entry before */
#define CM_KI_SYMBOL       0x10      /* only a symbol */
#define CM_KI_LETTER       0x20      /* the entry's letter */



/*
 * Halves of long keys with the same bytes form a group, which the
 * automaton finds as one key; its members are sorted by the letter of
 * the other half next to this one (c1), and again by the letter after
 * that (c2), which the text beside a find must show.
 */

typedef struct {
    uint32_t              key;       /* the half in "keys" */
    unsigned char         c1;
    unsigned char         c2;
} cm_whalf_t;


/* a half while the lists load */

typedef struct {
    const unsigned char  *p;         /* set when the groups are made */
    uint32_t              off;       /* its bytes in "kbytes" */
    uint32_t              key;
    uint16_t              len;
    unsigned char         left;
    unsigned char         c1;
    unsigned char         c2;
} cm_whalf_load_t;


typedef struct {
    uint32_t              rule;      /* the list's index in "rules" */
    uint32_t              info;      /* its bytes in "kinfo", "kunits" */
    uint16_t              len;
    uint16_t              full;      /* a half: the whole key's length */
    unsigned char         kind;
    unsigned char         flags;
} cm_wkey_t;


struct cm_words_s {
    cm_alloc_t            alloc;
    cm_ac_builder_t      *builder;
    cm_ac_builder_t      *lbuilder;  /* loose entries */
    cm_ac_t              *ac;
    cm_ac_t              *lac;
    cm_wkey_t            *keys;
    size_t                nkeys;
    size_t                keys_alloc;
    unsigned char        *kbytes;    /* the keys themselves */
    unsigned char        *kinfo;     /* CM_KI_* */
    unsigned char        *kunits;    /* characters the run needs */
    unsigned char        *kdigits;   /* digits the run needs */
    size_t                ninfo;
    size_t                info_alloc;
    uint32_t             *rules;     /* the rule set's index of each list */
    unsigned char        *has_exc;
    size_t                nrules;
    size_t                rules_alloc;
    size_t                exc_alloc;
    size_t                nentries;
    unsigned              nloose;    /* there are loose entries */
    size_t                memory;

    cm_whalf_load_t      *hload;
    size_t                nhload;
    size_t                hload_alloc;
    uint32_t             *gfirst;    /* group g: [gfirst[g], gfirst[g+1]) */
    size_t                ngroups;
    cm_whalf_t           *by_c1;
    cm_whalf_t           *by_c2;
};


/* one key being made */

typedef struct {
    unsigned char         key[CM_WORDS_KEY_MAX + 1];
    unsigned char         info[CM_WORDS_KEY_MAX + 1];
    unsigned char         units[CM_WORDS_KEY_MAX + 1];
    unsigned char         digits[CM_WORDS_KEY_MAX + 1];
    size_t                len;
} cm_wvar_t;


/*
 * Memory for one entry while it is made into keys: a chunk reused for
 * every entry, and blocks for the rare entry that does not fit, freed
 * before the next.
 */

#define CM_WARENA_SIZE     (64 * 1024)
#define CM_WARENA_BIG      8

typedef struct {
    cm_ruleset_t         *rs;
    unsigned char        *buf;
    size_t                used;
    void                 *big[CM_WARENA_BIG];
    size_t                nbig;
} cm_warena_t;


/* one list being read */

typedef struct {
    cm_ruleset_t         *rs;
    cm_rule_t            *r;
    const char           *path;
    char                 *err;
    size_t                errlen;
    cm_words_t           *w;
    uint32_t              local;
    size_t                nwords;
    size_t                nexc;
    cm_str_t             *lines;     /* the reference: every entry */
    cm_warena_t           arena;
} cm_wload_t;


/* a match kept until the exceptions of its list are known */

typedef struct {
    uint32_t              rule;
    uint32_t              start;
    uint32_t              end;
} cm_wspan_t;


/* one scan */

typedef struct {
    const cm_words_t     *w;
    const cm_alloc_t     *a;
    const cm_view_t      *view;
    const cm_skel_t      *sk;
    uint32_t             *best_start;   /* start + 1, 0: no match yet */
    uint32_t             *best_end;
    uint32_t             *touched;
    size_t                ntouched;
    cm_wspan_t           *pending;
    size_t                npending;
    size_t                pending_alloc;
    cm_wspan_t           *exc;
    size_t                nexc;
    size_t                exc_alloc;
    unsigned              nomem;
} cm_wscan_t;


static void *cm_warena_alloc(void *data, size_t size);
static void cm_warena_free(void *data, void *p);
static void cm_warena_reset(cm_warena_t *ar);
static int cm_words_line(cm_wload_t *ld, unsigned line,
    const unsigned char *s, const unsigned char *e);
static int cm_words_create(cm_ruleset_t *rs, cm_rule_t *r, cm_words_t **wp);
static int cm_words_rule_add(cm_wload_t *ld);
static int cm_words_entry(cm_wload_t *ld, unsigned line, unsigned kind,
    const unsigned char *s, size_t len);
static unsigned cm_words_base(const cm_view_t *v, const cm_skel_t *sk,
    unsigned kind, cm_wvar_t *base);
static int cm_words_keys(cm_wload_t *ld, unsigned kind, unsigned flags,
    cm_wvar_t *base);
static int cm_words_typos(cm_wload_t *ld, unsigned flags,
    const cm_wvar_t *base);
static int cm_words_add_key(cm_words_t *w, uint32_t local, unsigned kind,
    unsigned flags, const cm_wvar_t *v);
static int cm_words_halves(cm_words_t *w, uint32_t local, unsigned flags);
static int cm_words_half(cm_wscan_t *sc, const cm_wkey_t *k, size_t s,
    size_t e);
static int cm_words_junk(cm_wscan_t *sc, const cm_wkey_t *k, size_t a,
    size_t b, size_t *at);
static int cm_words_swap(cm_wscan_t *sc, const cm_wkey_t *k, size_t a,
    size_t b);
static int cm_words_whole(cm_wscan_t *sc, const cm_wkey_t *k, size_t a,
    size_t b, size_t skip);
static void cm_words_lower(unsigned char *p, size_t len);
static int cm_words_check(const cm_words_t *w, const cm_wkey_t *k,
    const cm_view_t *view, const cm_skel_t *sk, size_t s, size_t e);
static unsigned cm_words_word(const cm_wkey_t *k, unsigned nplain,
    unsigned nspell, unsigned nother, unsigned spacey);
static int cm_words_letter(unsigned char key, unsigned char text,
    unsigned loose);
static int cm_words_head(const cm_view_t *view, const cm_skel_t *sk,
    size_t s);
static int cm_words_tail(const cm_view_t *view, const cm_skel_t *sk,
    size_t e);
static int cm_words_is_letter(const unsigned char *p, size_t len);
static int cm_words_hit(void *ctx, uint32_t value, uint32_t len,
    size_t end, unsigned tag);
static int cm_words_hit_loose(void *ctx, uint32_t value, uint32_t len,
    size_t end, unsigned tag);
static int cm_words_group(cm_wscan_t *sc, uint32_t g, size_t s, size_t e,
    unsigned tag);
static void cm_words_range(const cm_whalf_t *m, size_t lo, size_t hi,
    unsigned char c, unsigned second, size_t *first, size_t *last);
static int cm_words_groups(cm_words_t *w);
static int cm_words_half_cmp(const void *a, const void *b);
static int cm_words_half_same(const cm_whalf_load_t *x,
    const cm_whalf_load_t *y);
static int cm_words_c2_cmp(const void *a, const void *b);
static unsigned char cm_words_same(unsigned char c);
static int cm_words_found(cm_wscan_t *sc, const cm_wkey_t *k,
    uint32_t start, uint32_t stop);
static void cm_words_best(cm_wscan_t *sc, uint32_t rule, uint32_t start,
    uint32_t end);
static int cm_words_push(cm_wscan_t *sc, cm_wspan_t **arr, size_t *n,
    size_t *nalloc, uint32_t rule, uint32_t start, uint32_t end);
static void cm_words_excepted(cm_wscan_t *sc);
static int cm_wspan_cmp(const void *a, const void *b);


/* letters the same skeleton byte stands for: "1" is "i" or "l" */

static const unsigned char  cm_words_symbols[] = "ai1st";


int
cm_words_load(cm_ruleset_t *rs, cm_rule_t *r, const char *path,
    const char *at, unsigned line, char *err, size_t errlen)
{
    int                   rc;
    char                  msg[CM_ERRLEN];
    cm_file_t             f;
    const char           *what;
    cm_alloc_t            a;
    cm_lines_t            ls;
    cm_wload_t            ld;
    const unsigned char  *s, *e;

    cm_rs_allocator(rs, &a);

    if (cm_file_read(&a, path, &f, &what, msg, sizeof(msg)) != CM_OK) {
        snprintf(err, errlen, "%s:%u: %s \"%s\": %s", at, line, what, path,
                 msg);
        return CM_ERROR;
    }

    memset(&ld, 0, sizeof(cm_wload_t));

    ld.rs = rs;
    ld.r = r;
    ld.path = path;
    ld.err = err;
    ld.errlen = errlen;
    ld.arena.rs = rs;

    rc = CM_OK;

    if (rs->reference) {
        ld.lines = cm_rs_alloc(rs, (f.len / 2 + 1) * sizeof(cm_str_t));
        if (ld.lines == NULL) {
            rc = CM_ERROR;
            snprintf(err, errlen, "%s:%u: out of memory", at, line);
        }

    } else {
        rc = cm_words_create(rs, r, &ld.w);

        if (rc == CM_OK) {
            rc = cm_words_rule_add(&ld);
        }

        if (rc != CM_OK) {
            snprintf(err, errlen, "%s:%u: out of memory", at, line);
        }
    }

    cm_lines_init(&ls, f.data, f.len);

    while (rc == CM_OK && cm_lines_next(&ls, &s, &e)) {
        rc = cm_words_line(&ld, ls.line, s, e);
    }

    if (rc == CM_OK && ld.nwords == 0 && ld.nexc == 0) {
        snprintf(err, errlen, "%s:%u: word list \"%s\" is empty", at, line,
                 path);
        rc = CM_ERROR;
    }

    if (rc == CM_OK && ld.nwords == 0) {
        snprintf(err, errlen, "%s:%u: word list \"%s\" has only exceptions",
                 at, line, path);
        rc = CM_ERROR;
    }

    if (rc == CM_OK && rs->reference) {
        rc = cm_words_re_compile(rs, r, path, ld.lines, ld.nwords + ld.nexc,
                                 msg, sizeof(msg));
        if (rc != CM_OK) {
            snprintf(err, errlen, "%s:%u: %s", at, line, msg);
        }
    }

    if (ld.lines) {
        while (ld.nwords + ld.nexc) {
            if (ld.nwords) {
                ld.nwords--;

            } else {
                ld.nexc--;
            }

            cm_rs_free(rs, (void *) ld.lines[ld.nwords + ld.nexc].data);
        }

        cm_rs_free(rs, ld.lines);
    }

    cm_warena_reset(&ld.arena);
    cm_rs_free(rs, ld.arena.buf);
    cm_rs_free(rs, f.data);

    return rc;
}


static void *
cm_warena_alloc(void *data, size_t size)
{
    void         *p;
    cm_warena_t  *ar = data;

    size = (size + 15) & ~(size_t) 15;

    if (ar->buf == NULL) {
        ar->buf = cm_rs_alloc(ar->rs, CM_WARENA_SIZE);
        if (ar->buf == NULL) {
            return NULL;
        }
    }

    if (size <= CM_WARENA_SIZE - ar->used) {
        p = ar->buf + ar->used;
        ar->used += size;
        return p;
    }

    if (ar->nbig == CM_WARENA_BIG) {
        return NULL;
    }

    p = cm_rs_alloc(ar->rs, size);
    if (p) {
        ar->big[ar->nbig++] = p;
    }

    return p;
}


/* the entry's memory goes back at once, in cm_warena_reset */

static void
cm_warena_free(void *data, void *p)
{
    (void) data;
    (void) p;
}


static void
cm_warena_reset(cm_warena_t *ar)
{
    while (ar->nbig) {
        cm_rs_free(ar->rs, ar->big[--ar->nbig]);
    }

    ar->used = 0;
}


/*
 * One line of a list: "#" starts a comment, blanks around are dropped;
 * "!" starts an exception, "~" a loose entry.  The text must be UTF-8.
 */

static int
cm_words_line(cm_wload_t *ld, unsigned line, const unsigned char *s,
    const unsigned char *e)
{
    size_t                bad, chars;
    unsigned              kind;
    const unsigned char  *p, *hash;

    bad = cm_utf8_check(s, e - s);

    if (bad < (size_t) (e - s)) {
        snprintf(ld->err, ld->errlen, "%s:%u: not valid UTF-8 (byte %zu "
                 "of the line)", ld->path, line, bad + 1);
        return CM_ERROR;
    }

    hash = memchr(s, '#', e - s);
    if (hash) {
        e = hash;
    }

    while (s < e && (*s == ' ' || *s == '\t')) {
        s++;
    }

    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
        e--;
    }

    if (s == e) {
        return CM_OK;
    }

    kind = CM_WK_STRICT;

    if (*s == '~') {
        kind = CM_WK_LOOSE;

        for (chars = 0, p = s + 1; p < e; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                || (*p >= '0' && *p <= '9') || *p >= 0xc0)
            {
                chars++;
            }
        }

        if (chars < CM_LOOSE_MIN) {
            snprintf(ld->err, ld->errlen, "%s:%u: loose entry too short, "
                     "needs at least %d letters", ld->path, line,
                     CM_LOOSE_MIN);
            return CM_ERROR;
        }

    } else if (*s == '!') {
        kind = CM_WK_EXC;
    }

    return cm_words_entry(ld, line, kind, s, e - s);
}


static int
cm_words_create(cm_ruleset_t *rs, cm_rule_t *r, cm_words_t **wp)
{
    unsigned       i;
    cm_alloc_t     a;
    cm_words_t    *w;
    unsigned char  same[256];

    w = rs->words[r->view];

    if (w) {
        *wp = w;
        return CM_OK;
    }

    cm_rs_allocator(rs, &a);

    w = a.alloc(a.data, sizeof(cm_words_t));
    if (w == NULL) {
        return CM_ERROR;
    }

    memset(w, 0, sizeof(cm_words_t));

    w->alloc = a;

    /*
     * "i", "l" and the "1" that stands for either are one letter to the
     * automata; cm_words_letters tells them apart where a key is found.
     */

    for (i = 0; i < 256; i++) {
        same[i] = (unsigned char) i;
    }

    same['l'] = 'i';
    same['1'] = 'i';

    w->builder = cm_ac_builder_create(&a, 0, same);
    w->lbuilder = cm_ac_builder_create(&a, 0, same);

    if (w->builder == NULL || w->lbuilder == NULL) {
        cm_ac_builder_free(w->builder);
        cm_ac_builder_free(w->lbuilder);
        a.free(a.data, w);
        return CM_ERROR;
    }

    rs->words[r->view] = w;
    *wp = w;

    return CM_OK;
}


/* the rule's list gets an index of its own in the automaton's lists */

static int
cm_words_rule_add(cm_wload_t *ld)
{
    uint32_t       *rules;
    cm_words_t     *w;
    unsigned char  *has_exc;

    w = ld->w;

    rules = cm_grow(&w->alloc, w->rules, w->nrules, &w->rules_alloc,
                          sizeof(uint32_t));
    if (rules == NULL) {
        return CM_ERROR;
    }

    w->rules = rules;

    has_exc = cm_grow(&w->alloc, w->has_exc, w->nrules, &w->exc_alloc,
                            1);
    if (has_exc == NULL) {
        return CM_ERROR;
    }

    w->has_exc = has_exc;

    ld->local = (uint32_t) w->nrules;

    w->rules[w->nrules] = (uint32_t) (ld->r - ld->rs->rules);
    w->has_exc[w->nrules] = 0;
    w->nrules++;

    return CM_OK;
}


/*
 * An entry as the view's text would show it: normalised for a list of
 * the normalised view (so "café" still matches once the text has lost
 * its accents), lower case for the raw view.
 */

static int
cm_words_entry(cm_wload_t *ld, unsigned line, unsigned kind,
    const unsigned char *s, size_t len)
{
    int             rc;
    unsigned        flags;
    cm_str_t       *l;
    cm_skel_t       sk;
    cm_view_t       v;
    cm_wvar_t       base;
    cm_alloc_t      a;
    cm_ruleset_t   *rs;
    unsigned char  *text;

    rs = ld->rs;

    /* the reference keeps its entries; the keys need them only here */

    if (rs->reference) {
        cm_rs_allocator(rs, &a);

    } else {
        cm_warena_reset(&ld->arena);

        a.alloc = cm_warena_alloc;
        a.free = cm_warena_free;
        a.data = &ld->arena;
    }

    if (ld->r->view == CM_VIEW_NORM) {
        if (cm_view_norm(&a, s, len, &v) != CM_OK) {
            snprintf(ld->err, ld->errlen, "%s:%u: out of memory", ld->path,
                     line);
            return CM_ERROR;
        }

        a.free(a.data, v.map);
        v.map = NULL;
        text = v.text;

    } else {
        text = a.alloc(a.data, len ? len : 1);
        if (text == NULL) {
            snprintf(ld->err, ld->errlen, "%s:%u: out of memory", ld->path,
                     line);
            return CM_ERROR;
        }

        memcpy(text, s, len);
        v.text = text;
        v.len = len;
        v.map = NULL;
    }

    cm_words_lower(v.text, v.len);

    /* normalising may leave blanks at either end ("x&nbsp;") */

    while (v.len && v.text[v.len - 1] == ' ') {
        v.len--;
    }

    while (v.len && v.text[0] == ' ') {
        v.text++;
        v.len--;
    }

    if (v.len == 0 || (v.len == 1 && kind != CM_WK_STRICT)) {
        a.free(a.data, text);
        return CM_OK;
    }

    if (kind == CM_WK_EXC) {
        ld->nexc++;

    } else {
        ld->nwords++;
    }

    if (rs->reference) {
        /* the regex compiler reads the entries as the list has them */
        memmove(text, v.text, v.len);
        l = &ld->lines[ld->nwords + ld->nexc - 1];
        l->data = text;
        l->len = v.len;
        return CM_OK;
    }

    if (kind == CM_WK_EXC) {
        ld->w->has_exc[ld->local] = 1;
    }

    /* the skeleton of what follows "!" or "~" */

    if (kind != CM_WK_STRICT) {
        v.text++;
        v.len--;
    }

    memset(&sk, 0, sizeof(cm_skel_t));

    rc = cm_view_skel(&a, &v, 0, &sk);

    if (rc != CM_OK) {
        snprintf(ld->err, ld->errlen, "%s:%u: out of memory", ld->path,
                 line);
        goto done;
    }

    if (sk.len > CM_WORDS_KEY_MAX) {
        snprintf(ld->err, ld->errlen, "%s:%u: entry too long, at most %d "
                 "letters", ld->path, line, CM_WORDS_KEY_MAX);
        rc = CM_ERROR;
        goto done;
    }

    if (sk.len == 0) {
        /* punctuation only: nothing a skeleton can find */
        goto done;
    }

    flags = cm_words_base(&v, &sk, kind, &base);

    rc = cm_words_keys(ld, kind, flags, &base);

    /*
     * A doubled letter squeezed in the key stays two letters when the
     * entry is spelled out ("B 0 S S W D"): a key for that too.
     */

    if (rc == CM_OK && (flags & CM_WK_DOUBLE) && !(flags & CM_WK_NOSPELL)
        && kind != CM_WK_LOOSE)
    {

        rc = cm_view_skel(&a, &v, CM_SKEL_SPLIT, &sk);

        if (rc == CM_OK && sk.len <= CM_WORDS_KEY_MAX) {
            (void) cm_words_base(&v, &sk, kind, &base);
            rc = cm_words_keys(ld, kind, flags, &base);
        }
    }

    if (rc != CM_OK) {
        snprintf(ld->err, ld->errlen, "%s:%u: out of memory", ld->path,
                 line);
    }

done:

    /* the arena's memory, all of it, goes back with the next entry */

    ld->w->nentries++;

    return rc;
}


/* an entry's skeleton as a key: what each byte asks of the text */

static unsigned
cm_words_base(const cm_view_t *v, const cm_skel_t *sk, unsigned kind,
    cm_wvar_t *base)
{
    size_t    i, k;
    unsigned  flags;

    flags = 0;
    k = 0;

    for (i = 0; i < sk->len; i++) {
        base->key[i] = sk->text[i];
        base->info[i] = 0;
        base->units[i] = 0;
        base->digits[i] = 0;

        if (sk->flags[i] & CM_SK_CONT) {
            base->info[i] = CM_KI_CONT;
            continue;
        }

        k++;

        if (i && sk->gap[i] && kind != CM_WK_LOOSE) {
            base->info[i] |= (sk->flags[i] & CM_SK_SPACE) ? CM_KI_JUNC
                                                          : CM_KI_PUNCT;
        }

        if (!(sk->flags[i] & (CM_SK_LETTER|CM_SK_DIGIT))) {
            base->info[i] |= CM_KI_SYMBOL;
            flags |= CM_WK_NOSPELL;
        }

        if (sk->flags[i] & CM_SK_LETTER) {
            base->info[i] |= CM_KI_LETTER;
        }

        if (base->info[i] & CM_KI_PUNCT) {
            flags |= CM_WK_NOSPELL;
        }

        /*
         * "oon" is not "on", "slot777" not "slott": a squeezed run of the
         * entry needs as many characters, and as many digits, in the text
         */

        if (sk->units[i] > 1) {
            base->units[i] = sk->units[i];
            flags |= CM_WK_DOUBLE;
        }

        base->digits[i] = sk->digits[i];
    }

    base->len = sk->len;

    if (k >= CM_WORDS_LONG) {
        flags |= CM_WK_LONG;
    }

    (void) v;

    return flags;
}


/*
 * The keys of one entry: its skeleton; with "1" for some of its "i" and
 * "l" (and "i" for "l" in a loose entry); with the two letters around a
 * word boundary squeezed ("slot tuyul" glued is "slotuyul"); with a
 * symbol's letter at a word boundary ("$lot@gacor").
 */

static int
cm_words_keys(cm_wload_t *ld, unsigned kind, unsigned flags,
    cm_wvar_t *base)
{
    size_t       i, j, n, m;
    unsigned     c;
    cm_wvar_t    v;
    cm_words_t  *w;

    w = ld->w;

    if (cm_words_add_key(w, ld->local, kind, flags, base) != CM_OK) {
        return CM_ERROR;
    }

    if (kind == CM_WK_STRICT
        && cm_words_halves(w, ld->local, flags) != CM_OK)
    {
        return CM_ERROR;
    }

    if (kind == CM_WK_LOOSE) {
        return CM_OK;
    }

    if (kind == CM_WK_STRICT && cm_words_typos(ld, flags, base) != CM_OK) {
        return CM_ERROR;
    }

    /* the same letter on both sides of a word boundary, squeezed */

    v.len = 0;
    m = 0;

    for (i = 0; i < base->len; i++) {
        if ((base->info[i] & CM_KI_JUNC) && v.len
            && !(base->info[i] & CM_KI_CONT) && base->key[i] < 0x80
            && v.key[v.len - 1] == base->key[i])
        {
            /* "slot tuyul" glued: a run of two "t" at least */
            c = (v.units[v.len - 1] ? v.units[v.len - 1] : 1)
                + (base->units[i] ? base->units[i] : 1);
            v.units[v.len - 1] = (unsigned char) (c > 255 ? 255 : c);
            c = v.digits[v.len - 1] + base->digits[i];
            v.digits[v.len - 1] = (unsigned char) (c > 255 ? 255 : c);
            m++;
            continue;
        }

        v.key[v.len] = base->key[i];
        v.info[v.len] = base->info[i];
        v.units[v.len] = base->units[i];
        v.digits[v.len] = base->digits[i];
        v.len++;
    }

    if (m && cm_words_add_key(w, ld->local, kind, flags, &v) != CM_OK) {
        return CM_ERROR;
    }

    /* a symbol between two words: its letter there ("$lot@gacor") */

    for (i = 1, n = 0; i < base->len && n < 4; i++) {
        if (!(base->info[i] & CM_KI_JUNC)) {
            continue;
        }

        n++;

        for (j = 0; j < sizeof(cm_words_symbols) - 1; j++) {
            if (base->len + 1 > CM_WORDS_KEY_MAX) {
                break;
            }

            memcpy(v.key, base->key, i);
            memcpy(v.info, base->info, i);
            memcpy(v.units, base->units, i);
            memcpy(v.digits, base->digits, i);

            v.key[i] = cm_words_symbols[j];
            v.info[i] = CM_KI_JUNC | CM_KI_SYMBOL;
            v.units[i] = 0;
            v.digits[i] = 0;

            memcpy(v.key + i + 1, base->key + i, base->len - i);
            memcpy(v.info + i + 1, base->info + i, base->len - i);
            memcpy(v.units + i + 1, base->units + i, base->len - i);
            memcpy(v.digits + i + 1, base->digits + i, base->len - i);

            v.len = base->len + 1;

            if (cm_words_add_key(w, ld->local, kind, flags, &v) != CM_OK) {
                return CM_ERROR;
            }
        }
    }

    return CM_OK;
}


/*
 * A spelling spammers use to get past a word: without its vowels ("dftr
 * slt gcr"), only where enough is left that the result is no other word.
 * (Swapped letters and junk letters are found from half a key, see
 * cm_words_half.)
 */

static int
cm_words_typos(cm_wload_t *ld, unsigned flags, const cm_wvar_t *base)
{
    size_t         i, kept, dropped, cons;
    unsigned       pend, u;
    cm_wvar_t      v;
    unsigned char  c;

    /* the vowels dropped: consonants left, one in each word at least */

    v.len = 0;
    kept = 0;
    dropped = 0;
    cons = 0;
    pend = 0;

    for (i = 0; i < base->len; i++) {
        c = base->key[i];

        if (i && (base->info[i] & (CM_KI_JUNC|CM_KI_PUNCT))) {
            if (cons == 0) {
                break;
            }

            cons = 0;
            pend = base->info[i] & (CM_KI_JUNC|CM_KI_PUNCT);
        }

        if ((base->info[i] & CM_KI_LETTER)
            && (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'))
        {
            dropped++;
            continue;
        }

        /* "member" is "mmbr", which a text squeezes: "mbr" */

        if (v.len && pend == 0 && c < 0x80 && v.key[v.len - 1] == c
            && !(base->info[i] & CM_KI_CONT))
        {
            u = v.units[v.len - 1] + (base->units[i] ? base->units[i] : 1);
            v.units[v.len - 1] = (unsigned char) (u > 255 ? 255 : u);
            continue;
        }

        v.key[v.len] = c;
        v.info[v.len] = base->info[i] & ~(CM_KI_JUNC|CM_KI_PUNCT);
        v.units[v.len] = base->units[i];
        v.digits[v.len] = base->digits[i];

        if (!(base->info[i] & CM_KI_CONT)) {
            v.info[v.len] |= pend;
            pend = 0;
            cons++;
            kept++;
        }

        v.len++;
    }

    if (i == base->len && cons && dropped && kept >= CM_WORDS_TYPO_MIN) {
        if (cm_words_add_key(ld->w, ld->local, CM_WK_STRICT,
                             (flags & ~CM_WK_LONG)
                             | (kept >= CM_WORDS_LONG ? CM_WK_LONG : 0),
                             &v)
            != CM_OK)
        {
            return CM_ERROR;
        }
    }

    return CM_OK;
}


static int
cm_words_add_key(cm_words_t *w, uint32_t local, unsigned kind,
    unsigned flags, const cm_wvar_t *v)
{
    size_t           n, i;
    cm_wkey_t       *k, *keys;
    unsigned char   *kinfo, **arr;

    keys = cm_grow(&w->alloc, w->keys, w->nkeys, &w->keys_alloc,
                         sizeof(cm_wkey_t));
    if (keys == NULL) {
        return CM_ERROR;
    }

    w->keys = keys;

    if (w->ninfo + v->len > w->info_alloc) {
        n = w->info_alloc ? w->info_alloc : 1024;

        while (n < w->ninfo + v->len) {
            n *= 2;
        }

        for (i = 0; i < 4; i++) {
            arr = (i == 0) ? &w->kinfo
                  : (i == 1 ? &w->kunits : (i == 2 ? &w->kdigits
                                                   : &w->kbytes));

            kinfo = w->alloc.alloc(w->alloc.data, n);
            if (kinfo == NULL) {
                return CM_ERROR;
            }

            if (w->ninfo) {
                memcpy(kinfo, *arr, w->ninfo);
            }

            if (*arr) {
                w->alloc.free(w->alloc.data, *arr);
            }

            *arr = kinfo;
        }

        w->info_alloc = n;
    }

    if (cm_ac_add(kind == CM_WK_LOOSE ? w->lbuilder : w->builder, v->key,
                  v->len, (uint32_t) w->nkeys)
        != CM_OK)
    {
        return CM_ERROR;
    }

    k = &w->keys[w->nkeys++];

    k->rule = local;
    k->info = (uint32_t) w->ninfo;
    k->len = (uint16_t) v->len;
    k->full = (uint16_t) v->len;
    k->kind = (unsigned char) kind;
    k->flags = (unsigned char) flags;

    memcpy(w->kinfo + w->ninfo, v->info, v->len);
    memcpy(w->kunits + w->ninfo, v->units, v->len);
    memcpy(w->kdigits + w->ninfo, v->digits, v->len);
    memcpy(w->kbytes + w->ninfo, v->key, v->len);
    w->ninfo += v->len;

    return CM_OK;
}


/*
 * A junk letter put into a long key ("slot gacxor", "mazxwin"): its two
 * halves go into the automaton too, each pointing at the whole key; where
 * one half is found, the other is looked for beside it with one letter
 * more (cm_words_half).
 */

static int
cm_words_halves(cm_words_t *w, uint32_t local, unsigned flags)
{
    size_t                 i, mid;
    cm_wkey_t             *whole, *half, *keys;
    cm_whalf_load_t       *hl;
    const unsigned char   *bytes;

    whole = &w->keys[w->nkeys - 1];
    bytes = w->kbytes + whole->info;

    if (whole->len < CM_WORDS_HALVES_MIN) {
        return CM_OK;
    }

    for (i = 0; i < whole->len; i++) {
        if (bytes[i] >= 0x80) {
            return CM_OK;
        }
    }

    mid = whole->len / 2;

    for (i = 0; i < 2; i++) {
        keys = cm_grow(&w->alloc, w->keys, w->nkeys, &w->keys_alloc,
                       sizeof(cm_wkey_t));
        if (keys == NULL) {
            return CM_ERROR;
        }

        w->keys = keys;
        whole = &w->keys[w->nkeys - 1 - i];

        hl = cm_grow(&w->alloc, w->hload, w->nhload, &w->hload_alloc,
                     sizeof(cm_whalf_load_t));
        if (hl == NULL) {
            return CM_ERROR;
        }

        w->hload = hl;
        hl = &w->hload[w->nhload++];

        /* the letters of the other half next to this one */

        hl->p = NULL;
        hl->off = whole->info + (uint32_t) (i ? mid : 0);
        hl->key = (uint32_t) w->nkeys;
        hl->len = (uint16_t) (i ? whole->len - mid : mid);
        hl->left = (unsigned char) !i;
        hl->c1 = cm_words_same(i ? bytes[mid - 1] : bytes[mid]);
        hl->c2 = cm_words_same(i ? bytes[mid - 2] : bytes[mid + 1]);

        half = &w->keys[w->nkeys++];

        *half = *whole;
        half->kind = i ? CM_WK_RIGHT : CM_WK_LEFT;
        half->len = (uint16_t) (i ? whole->len - mid : mid);
        half->full = whole->len;
        half->flags = (unsigned char) flags;
        half->rule = local;
    }

    return CM_OK;
}


static void
cm_words_lower(unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] >= 'A' && p[i] <= 'Z') {
            p[i] |= 0x20;
        }
    }
}


int
cm_words_build(cm_words_t *w)
{
    if (cm_words_groups(w) != CM_OK) {
        return CM_ERROR;
    }

    w->ac = cm_ac_build(w->builder);
    w->builder = NULL;

    w->lac = cm_ac_build(w->lbuilder);
    w->lbuilder = NULL;

    if (w->ac == NULL || w->lac == NULL) {
        return CM_ERROR;
    }

    w->nloose = cm_ac_states(w->lac) > 1;

    w->memory = cm_ac_memory(w->ac) + cm_ac_memory(w->lac)
                + w->nkeys * sizeof(cm_wkey_t)
                + 4 * w->ninfo + w->nrules * (sizeof(uint32_t) + 1)
                + (w->ngroups + 1) * sizeof(uint32_t)
                + 2 * w->nhload * sizeof(cm_whalf_t);

    w->alloc.free(w->alloc.data, w->hload);
    w->hload = NULL;

    return CM_OK;
}


/*
 * The halves into groups of the same bytes, each group into the
 * automaton once: ordinary text holds a short half often, and many keys
 * may share it.
 */

static int
cm_words_groups(cm_words_t *w)
{
    int               rc;
    size_t            i, j, g;
    cm_whalf_load_t  *h;

    if (w->nhload == 0) {
        return CM_OK;
    }

    for (i = 0; i < w->nhload; i++) {
        w->hload[i].p = w->kbytes + w->hload[i].off;
    }

    qsort(w->hload, w->nhload, sizeof(cm_whalf_load_t), cm_words_half_cmp);

    w->gfirst = w->alloc.alloc(w->alloc.data,
                               (w->nhload + 1) * sizeof(uint32_t));
    w->by_c1 = w->alloc.alloc(w->alloc.data,
                              w->nhload * sizeof(cm_whalf_t));
    w->by_c2 = w->alloc.alloc(w->alloc.data,
                              w->nhload * sizeof(cm_whalf_t));

    if (w->gfirst == NULL || w->by_c1 == NULL || w->by_c2 == NULL) {
        return CM_ERROR;
    }

    g = 0;

    for (i = 0; i < w->nhload; i = j) {
        h = &w->hload[i];

        for (j = i; j < w->nhload && cm_words_half_same(h, &w->hload[j]);
             j++)
        {
            w->by_c1[j].key = w->hload[j].key;
            w->by_c1[j].c1 = w->hload[j].c1;
            w->by_c1[j].c2 = w->hload[j].c2;
        }

        memcpy(&w->by_c2[i], &w->by_c1[i], (j - i) * sizeof(cm_whalf_t));
        qsort(&w->by_c2[i], j - i, sizeof(cm_whalf_t), cm_words_c2_cmp);

        /* a half of its own: its letters in the tag, nothing to look up */

        rc = (j - i == 1)
             ? cm_ac_add_tag(w->builder, h->p, h->len, h->key,
                             CM_WT_HALF | (h->left ? CM_WT_LEFT : 0)
                             | h->c1 | (unsigned) h->c2 << 7)
             : cm_ac_add_tag(w->builder, h->p, h->len, (uint32_t) g,
                             CM_WT_HALF | (h->left ? CM_WT_LEFT : 0));

        if (rc != CM_OK) {
            return CM_ERROR;
        }

        w->gfirst[g++] = (uint32_t) i;
    }

    w->gfirst[g] = (uint32_t) w->nhload;
    w->ngroups = g;

    return CM_OK;
}


/* by side, bytes, then c1 */

static int
cm_words_half_cmp(const void *a, const void *b)
{
    int                     rc;
    const cm_whalf_load_t  *x = a, *y = b;

    if (x->left != y->left) {
        return x->left < y->left ? -1 : 1;
    }

    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }

    rc = memcmp(x->p, y->p, x->len);
    if (rc) {
        return rc;
    }

    if (x->c1 != y->c1) {
        return x->c1 < y->c1 ? -1 : 1;
    }

    return (x->key > y->key) - (x->key < y->key);
}


static int
cm_words_half_same(const cm_whalf_load_t *x, const cm_whalf_load_t *y)
{
    return x->left == y->left && x->len == y->len
           && memcmp(x->p, y->p, x->len) == 0;
}


static int
cm_words_c2_cmp(const void *a, const void *b)
{
    const cm_whalf_t  *x = a, *y = b;

    if (x->c2 != y->c2) {
        return x->c2 < y->c2 ? -1 : 1;
    }

    return (x->key > y->key) - (x->key < y->key);
}


/* a letter as the automaton reads it: i, l and 1 are one */

static unsigned char
cm_words_same(unsigned char c)
{
    return (c == 'l' || c == '1') ? 'i' : c;
}


void
cm_words_free(cm_words_t *w)
{
    if (w == NULL) {
        return;
    }

    cm_ac_builder_free(w->builder);
    cm_ac_builder_free(w->lbuilder);
    cm_ac_free(w->ac);
    cm_ac_free(w->lac);

    if (w->keys) {
        w->alloc.free(w->alloc.data, w->keys);
    }

    if (w->kinfo) {
        w->alloc.free(w->alloc.data, w->kinfo);
        w->alloc.free(w->alloc.data, w->kunits);
        w->alloc.free(w->alloc.data, w->kdigits);
        w->alloc.free(w->alloc.data, w->kbytes);
    }

    if (w->rules) {
        w->alloc.free(w->alloc.data, w->rules);
    }

    if (w->has_exc) {
        w->alloc.free(w->alloc.data, w->has_exc);
    }

    if (w->hload) {
        w->alloc.free(w->alloc.data, w->hload);
    }

    if (w->gfirst) {
        w->alloc.free(w->alloc.data, w->gfirst);
    }

    if (w->by_c1) {
        w->alloc.free(w->alloc.data, w->by_c1);
    }

    if (w->by_c2) {
        w->alloc.free(w->alloc.data, w->by_c2);
    }

    w->alloc.free(w->alloc.data, w);
}


size_t
cm_words_nentries(const cm_words_t *w)
{
    return w->nentries;
}


size_t
cm_words_nkeys(const cm_words_t *w)
{
    return w->nkeys;
}


size_t
cm_words_memory(const cm_words_t *w)
{
    return w->memory;
}


size_t
cm_words_state_size(const cm_words_t *w)
{
    return 3 * w->nrules * sizeof(uint32_t) + 16;
}


int
cm_words_scan(const cm_words_t *w, void *state, const cm_alloc_t *a,
    const cm_view_t *view, const cm_skel_t *sk, cm_words_hit_pt hit,
    void *ctx)
{
    int         rc;
    size_t      i;
    uint32_t    r;
    cm_wscan_t  sc;

    memset(&sc, 0, sizeof(cm_wscan_t));

    sc.w = w;
    sc.a = a;
    sc.view = view;
    sc.sk = sk;
    sc.best_start = state;
    sc.best_end = sc.best_start + w->nrules;
    sc.touched = sc.best_end + w->nrules;

    rc = cm_ac_scan(w->ac, sk->text, sk->len, cm_words_hit, &sc);

    if (rc == 0 && w->nloose) {
        if (sk->merges) {
            rc = cm_ac_scan(w->lac, sk->mtext, sk->mlen, cm_words_hit_loose,
                            &sc);

        } else {
            rc = cm_ac_scan(w->lac, sk->text, sk->len, cm_words_hit_loose,
                            &sc);
        }
    }

    if (rc == 0 && sc.npending) {
        cm_words_excepted(&sc);
    }

    if (sc.nomem) {
        rc = CM_ERROR;
    }

    for (i = 0; i < sc.ntouched; i++) {
        r = sc.touched[i];

        if (rc == 0) {
            rc = hit(ctx, w->rules[r], sc.best_start[r] - 1,
                     sc.best_end[r]);
        }

        sc.best_start[r] = 0;
        sc.best_end[r] = 0;
    }

    /* the list too: another rule set lays the same memory out otherwise */

    memset(sc.touched, 0, sc.ntouched * sizeof(uint32_t));

    if (a->free) {
        if (sc.pending) {
            a->free(a->data, sc.pending);
        }

        if (sc.exc) {
            a->free(a->data, sc.exc);
        }
    }

    return rc;
}


static int
cm_words_hit(void *ctx, uint32_t value, uint32_t len, size_t end,
    unsigned tag)
{
    size_t            s;
    cm_wscan_t       *sc = ctx;
    const cm_wkey_t  *k;

    s = end - len;

    if (tag & CM_WT_HALF) {
        return cm_words_group(sc, value, s, end, tag);
    }

    k = &sc->w->keys[value];

    /* without its h, "thai" would read "tai": short keys are not looked
       for there */

    if (sc->sk->unaspirated && k->len < CM_WORDS_TYPO_MIN) {
        return 0;
    }

    if (!cm_words_check(sc->w, k, sc->view, sc->sk, s, end)) {
        return 0;
    }

    return cm_words_found(sc, k, sc->sk->off[s], sc->sk->end[end - 1]);
}


/*
 * A loose entry in the merged skeleton: each of its characters is one
 * run there, several runs of the skeleton, at most 3 separators apart,
 * whose characters and digits add up.
 */

static int
cm_words_hit_loose(void *ctx, uint32_t value, uint32_t len, size_t end,
    unsigned tag)
{
    size_t                i, t, s, a, b, last, clen;
    uint32_t             *first;
    unsigned              units_n, digits_n;
    cm_wscan_t           *sc = ctx;
    const cm_skel_t      *sk;
    const cm_wkey_t      *k;
    const unsigned char  *info, *units, *digits;

    k = &sc->w->keys[value];
    s = end - len;
    sk = sc->sk;
    first = sk->merges ? sk->mfirst : NULL;

    info = sc->w->kinfo + k->info;
    units = sc->w->kunits + k->info;
    digits = sc->w->kdigits + k->info;

    last = 0;

    for (i = 0; i < k->len; i++) {
        if (info[i] & CM_KI_CONT) {
            continue;
        }

        t = s + i;
        a = first ? first[t] : t;

        if (!cm_words_letter(sc->w->kbytes[k->info + i], sk->text[a], 1)) {
            return 0;
        }

        if (i && sk->gap[a] > CM_SK_MERGE_GAP) {
            return 0;
        }

        for (clen = 1; a + clen < sk->len
                       && (sk->flags[a + clen] & CM_SK_CONT); clen++)
        {
            /* void */
        }

        /* the runs merged into this one */

        units_n = sk->units[a];
        digits_n = sk->digits[a];

        for (b = a + clen; first && b + clen <= sk->len
                           && sk->gap[b] >= 1
                           && sk->gap[b] <= CM_SK_MERGE_GAP
                           && memcmp(sk->text + b, sk->text + a, clen) == 0
                           && (b + clen == sk->len
                               || !(sk->flags[b + clen] & CM_SK_CONT));
             b += clen)
        {
            units_n += sk->units[b];
            digits_n += sk->digits[b];
        }

        if (units_n < units[i] || digits_n < digits[i]) {
            return 0;
        }

        last = b - 1;
    }

    return cm_words_found(sc, k, sk->off[first ? first[s] : s],
                          sk->end[last]);
}


/*
 * A group of halves found at [s, e) (g is the group, or the half when
 * the tag holds its letters): the members whose other half can be
 * beside it with one typo.  After a first half, the text's next letter
 * t1 is the member's c1 (a typo further on) or its c2 (the two swapped),
 * or the letter after, t2, is its c1 (a junk letter between).  Before a
 * second half, alike, leftwards.
 */

static int
cm_words_group(cm_wscan_t *sc, uint32_t g, size_t s, size_t e,
    unsigned tag)
{
    int                rc;
    size_t             i, lo, hi, first, last;
    unsigned char      t1, t2, c1, c2;
    const cm_skel_t   *sk;
    const cm_words_t  *w;
    const cm_whalf_t  *m;

    sk = sc->sk;
    w = sc->w;

    if (tag & CM_WT_LEFT) {
        if (e >= sk->len) {
            return 0;
        }

        t1 = sk->text[e];
        t2 = (e + 1 < sk->len) ? sk->text[e + 1] : 0;

    } else {
        if (s == 0) {
            return 0;
        }

        t1 = sk->text[s - 1];
        t2 = (s >= 2) ? sk->text[s - 2] : 0;
    }

    t1 = cm_words_same(t1);
    t2 = cm_words_same(t2);

    if (t2 == t1) {
        t2 = 0;
    }

    /* a half of its own */

    if (tag & CM_WT_LETTERS) {
        c1 = tag & 0x7f;
        c2 = (tag >> 7) & 0x7f;

        if (c1 != t1 && c2 != t1 && (t2 == 0 || c1 != t2)) {
            return 0;
        }

        return cm_words_half(sc, &w->keys[g], s, e);
    }

    lo = w->gfirst[g];
    hi = w->gfirst[g + 1];

    /* c1 is t1, or t2 */

    for (i = 0; i < 2; i++) {
        cm_words_range(w->by_c1, lo, hi, i ? t2 : t1, 0, &first, &last);

        for (m = &w->by_c1[first]; first < last; first++, m++) {
            rc = cm_words_half(sc, &w->keys[m->key], s, e);
            if (rc) {
                return rc;
            }
        }

        if (t2 == 0) {
            break;
        }
    }

    /* c2 is t1, where c1 was neither */

    cm_words_range(w->by_c2, lo, hi, t1, 1, &first, &last);

    for (m = &w->by_c2[first]; first < last; first++, m++) {
        if (m->c1 == t1 || (t2 && m->c1 == t2)) {
            continue;
        }

        rc = cm_words_half(sc, &w->keys[m->key], s, e);
        if (rc) {
            return rc;
        }
    }

    return 0;
}


/* the members [*first, *last) of m[lo .. hi) whose c1 (or c2) is c */

static void
cm_words_range(const cm_whalf_t *m, size_t lo, size_t hi, unsigned char c,
    unsigned second, size_t *first, size_t *last)
{
    size_t  a, b, mid;

    a = lo;
    b = hi;

    while (a < b) {
        mid = a + (b - a) / 2;

        if ((second ? m[mid].c2 : m[mid].c1) < c) {
            a = mid + 1;

        } else {
            b = mid;
        }
    }

    for (b = a; b < hi && (second ? m[b].c2 : m[b].c1) == c; b++) {
        /* void */
    }

    *first = a;
    *last = b;
}


/*
 * Half of a long key found at [s, e): the other half beside it with one
 * deliberate typo, a junk letter in it or two of its letters swapped;
 * then the whole is checked as a key would be: no gaps but between the
 * entry's words, a boundary at each end.
 */

static int
cm_words_half(cm_wscan_t *sc, const cm_wkey_t *k, size_t s, size_t e)
{
    size_t                 a, b, n, at;
    const cm_skel_t       *sk;

    sk = sc->sk;
    n = k->full;

    /* a junk letter: the whole is one letter longer than the key */

    if (n >= CM_WORDS_JUNK_MIN) {
        if (k->kind == CM_WK_LEFT) {
            a = s;
            b = s + n + 1;

        } else {
            a = (s >= n + 1 - k->len) ? s - (n + 1 - k->len) : (size_t) -1;
            b = e;
        }

        if (a != (size_t) -1 && b <= sk->len
            && cm_words_junk(sc, k, a, b, &at)
            && cm_words_whole(sc, k, a, b, at))
        {
            return cm_words_found(sc, k, sk->off[a], sk->end[b - 1]);
        }
    }

    /* two letters swapped: as long as the key */

    if (k->kind == CM_WK_LEFT) {
        a = s;
        b = s + n;

    } else {
        a = (s >= n - k->len) ? s - (n - k->len) : (size_t) -1;
        b = e;
    }

    if (a != (size_t) -1 && b <= sk->len && cm_words_swap(sc, k, a, b)
        && cm_words_whole(sc, k, a, b, (size_t) -1))
    {
        return cm_words_found(sc, k, sk->off[a], sk->end[b - 1]);
    }

    return 0;
}


/*
 * sk->text[a .. b) is the key with one letter more, *at, inside a word of
 * five letters or more: in a shorter one it spells another word ("makan
 * tapi" is not "makan tai").
 */

static int
cm_words_junk(cm_wscan_t *sc, const cm_wkey_t *k, size_t a, size_t b,
    size_t *at)
{
    size_t                 i, t, n, skip, ins, ws, we;
    const cm_skel_t       *sk;
    const unsigned char   *key, *info;

    sk = sc->sk;
    n = k->full;
    key = sc->w->kbytes + k->info;
    info = sc->w->kinfo + k->info;

    skip = (size_t) -1;

    for (i = 0, t = a; t < b; t++) {
        if (i < n && cm_words_letter(key[i], sk->text[t], 0)) {
            i++;
            continue;
        }

        if (skip != (size_t) -1 || t == a || t + 1 == b
            || !(sk->flags[t] & CM_SK_LETTER) || sk->gap[t])
        {
            return 0;
        }

        skip = t;
    }

    if (i != n || skip == (size_t) -1) {
        return 0;
    }

    ins = skip - a;

    for (ws = ins - 1; ws > 0 && !(info[ws] & (CM_KI_JUNC|CM_KI_PUNCT));
         ws--)
    {
        /* void */
    }

    for (we = ins; we < n && !(info[we] & (CM_KI_JUNC|CM_KI_PUNCT)); we++) {
        /* void */
    }

    if ((info[ins] & (CM_KI_JUNC|CM_KI_PUNCT)) || we - ws < 5) {
        return 0;
    }

    *at = skip;

    return 1;
}


/*
 * sk->text[a .. b) is the key with two neighbouring letters of one word
 * swapped ("gaocr"): a word of six letters or more, or of four or more in
 * a phrase, whose other words must match too.
 */

static int
cm_words_swap(cm_wscan_t *sc, const cm_wkey_t *k, size_t a, size_t b)
{
    size_t                 i, n, at, ws, we;
    unsigned               phrase;
    const cm_skel_t       *sk;
    const unsigned char   *key, *info, *text;

    sk = sc->sk;
    n = k->full;
    key = sc->w->kbytes + k->info;
    info = sc->w->kinfo + k->info;
    text = sk->text + a;

    at = (size_t) -1;

    for (i = 0; i < n; i++) {
        if (cm_words_letter(key[i], text[i], 0)) {
            continue;
        }

        if (at != (size_t) -1 || i + 1 == n
            || !cm_words_letter(key[i], text[i + 1], 0)
            || !cm_words_letter(key[i + 1], text[i], 0)
            || (info[i + 1] & (CM_KI_JUNC|CM_KI_PUNCT))
            || !(sk->flags[a + i] & CM_SK_LETTER)
            || !(sk->flags[a + i + 1] & CM_SK_LETTER))
        {
            return 0;
        }

        at = i++;
    }

    if (at == (size_t) -1) {
        return 0;
    }

    for (i = 1, phrase = 0; i < n; i++) {
        phrase |= (info[i] & CM_KI_JUNC) != 0;
    }

    for (ws = at; ws > 0 && !(info[ws] & (CM_KI_JUNC|CM_KI_PUNCT)); ws--) {
        /* void */
    }

    for (we = at + 1; we < n && !(info[we] & (CM_KI_JUNC|CM_KI_PUNCT));
         we++)
    {
        /* void */
    }

    return we - ws >= (phrase ? 4 : CM_WORDS_TYPO_MIN + 1);
}


/*
 * What a key found with a typo must still be: gaps only where the
 * entry's words meet (and none around the junk letter at "skip"), a real
 * letter at each end of the span, no letter touching it.
 */

static int
cm_words_whole(cm_wscan_t *sc, const cm_wkey_t *k, size_t a, size_t b,
    size_t skip)
{
    size_t                 i, j, t;
    unsigned               g;
    const cm_skel_t       *sk;
    const unsigned char   *info;

    sk = sc->sk;
    info = sc->w->kinfo + k->info;

    for (i = 1, t = a + 1; t < b; t++) {
        if (t == skip) {
            continue;
        }

        g = sk->gap[t];
        j = i++;

        if (g && !(info[j] & (CM_KI_JUNC|CM_KI_PUNCT))) {
            return 0;
        }
    }

    return cm_words_head(sc->view, sk, a) && cm_words_tail(sc->view, sk, b)
           && !(sk->flags[a] & CM_SK_SPELL)
           && !(b < sk->len && (sk->flags[b] & CM_SK_SPELL));
}


static int
cm_words_found(cm_wscan_t *sc, const cm_wkey_t *k, uint32_t start,
    uint32_t stop)
{
    if (k->kind == CM_WK_EXC) {
        return cm_words_push(sc, &sc->exc, &sc->nexc, &sc->exc_alloc,
                             k->rule, start, stop);
    }

    if (sc->w->has_exc[k->rule]) {
        return cm_words_push(sc, &sc->pending, &sc->npending,
                             &sc->pending_alloc, k->rule, start, stop);
    }

    cm_words_best(sc, k->rule, start, stop);

    return 0;
}


/* the leftmost match of a rule, and the longest there */

static void
cm_words_best(cm_wscan_t *sc, uint32_t rule, uint32_t start, uint32_t end)
{
    if (sc->best_start[rule] == 0) {
        sc->touched[sc->ntouched++] = rule;

    } else if (sc->best_start[rule] - 1 < start
               || (sc->best_start[rule] - 1 == start
                   && sc->best_end[rule] >= end))
    {
        return;
    }

    sc->best_start[rule] = start + 1;
    sc->best_end[rule] = end;
}


static int
cm_words_push(cm_wscan_t *sc, cm_wspan_t **arr, size_t *n, size_t *nalloc,
    uint32_t rule, uint32_t start, uint32_t end)
{
    cm_wspan_t  *p;

    p = cm_grow(sc->a, *arr, *n, nalloc, sizeof(cm_wspan_t));
    if (p == NULL) {
        sc->nomem = 1;
        return CM_ERROR;
    }

    *arr = p;

    p[*n].rule = rule;
    p[*n].start = start;
    p[*n].end = end;
    (*n)++;

    return 0;
}


/*
 * The matches of lists with exceptions: those that start inside an
 * exception's match of the same list do not count.  Exceptions sorted by
 * list and start, each with the furthest end up to it, so one binary
 * search per match tells.
 */

static void
cm_words_excepted(cm_wscan_t *sc)
{
    size_t       i, lo, hi, mid;
    cm_wspan_t  *h, *x;

    if (sc->nexc) {
        qsort(sc->exc, sc->nexc, sizeof(cm_wspan_t), cm_wspan_cmp);

        for (i = 1; i < sc->nexc; i++) {
            if (sc->exc[i].rule == sc->exc[i - 1].rule
                && sc->exc[i - 1].end > sc->exc[i].end)
            {
                /* "end" becomes the furthest end so far in the list */
                sc->exc[i].end = sc->exc[i - 1].end;
            }
        }
    }

    for (i = 0; i < sc->npending; i++) {
        h = &sc->pending[i];

        /* the last exception of the list that starts at or before h */

        lo = 0;
        hi = sc->nexc;

        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            x = &sc->exc[mid];

            if (x->rule < h->rule
                || (x->rule == h->rule && x->start <= h->start))
            {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        if (lo > 0) {
            x = &sc->exc[lo - 1];

            if (x->rule == h->rule && x->end > h->start) {
                continue;
            }
        }

        cm_words_best(sc, h->rule, h->start, h->end);
    }
}


static int
cm_wspan_cmp(const void *a, const void *b)
{
    const cm_wspan_t  *x = a, *y = b;

    if (x->rule != y->rule) {
        return (x->rule > y->rule) - (x->rule < y->rule);
    }

    return (x->start > y->start) - (x->start < y->start);
}


/* an occurrence of key k at sk->text[s .. e): does it count? */

static int
cm_words_check(const cm_words_t *w, const cm_wkey_t *k,
    const cm_view_t *view, const cm_skel_t *sk, size_t s, size_t e)
{
    size_t                i, t, last;
    unsigned              g, f, letter, nplain, nspell, nother, spacey,
                          words, first_spelled;
    const unsigned char  *info, *units, *digits, *bytes;

    info = w->kinfo + k->info;
    units = w->kunits + k->info;
    digits = w->kdigits + k->info;
    bytes = w->kbytes + k->info;

    letter = 0;
    nplain = 0;
    nspell = 0;
    nother = 0;
    spacey = 0;
    last = 0;
    words = 0;
    first_spelled = 0;

    for (i = 0; i < k->len; i++) {
        if (info[i] & CM_KI_CONT) {
            continue;
        }

        t = s + i;
        f = sk->flags[t];
        last = i;

        if (!cm_words_letter(bytes[i], sk->text[t], 0)) {
            return 0;
        }

        if (f & CM_SK_LETTER) {
            letter = 1;
        }

        if ((info[i] & CM_KI_SYMBOL) && (f & (CM_SK_LETTER|CM_SK_DIGIT))) {
            return 0;
        }

        if (sk->units[t] < units[i] || sk->digits[t] < digits[i]) {
            return 0;
        }

        if (i == 0) {
            continue;
        }

        g = sk->gap[t];

        if (info[i] & (CM_KI_JUNC|CM_KI_PUNCT)) {
            if (!cm_words_word(k, nplain, nspell, nother, spacey)) {
                return 0;
            }

            if (g > CM_WORDS_JUNC_GAP
                || ((info[i] & CM_KI_PUNCT) && g == 0))
            {
                return 0;
            }

            if (words++ == 0) {
                first_spelled = (nspell != 0);
            }

            nplain = 0;
            nspell = 0;
            nother = 0;
            spacey = 0;
            continue;
        }

        if (g == 0) {
            nplain++;

        } else if (g > CM_SK_SPELL_GAP) {
            return 0;

        } else if (f & CM_SK_SPELL) {
            nspell++;

        } else {
            nother++;
            spacey |= (f & CM_SK_SPACE);
        }
    }

    if (!cm_words_word(k, nplain, nspell, nother, spacey)) {
        return 0;
    }

    if (words == 0) {
        first_spelled = (nspell != 0);
    }

    /*
     * A real letter; and the last one no "!", which ends sentences more
     * often than it is an "i" ("ta!" is no "tai"); "$", "@", "+" and "|"
     * are letters there too ("slo+", "puls@").
     */

    if (!letter) {
        return 0;
    }

    if ((info[last] & CM_KI_LETTER)
        && (sk->flags[s + last] & (CM_SK_LETTER|CM_SK_DIGIT|CM_SK_BANG))
           == CM_SK_BANG)
    {
        return 0;
    }

    /*
     * A spelled-out word must not go on from a single letter before it,
     * or into one after it: "k a s u s" holds no "a s u".
     */

    if (cm_words_head(view, sk, s)
        && !(first_spelled && (sk->flags[s] & CM_SK_SPELL))
        && cm_words_tail(view, sk, e)
        && !(nspell && e < sk->len && (sk->flags[e] & CM_SK_SPELL)))
    {
        return 1;
    }

    /* no boundary: a long key inside glued or spelled-out text */

    if (k->kind != CM_WK_STRICT || !(k->flags & CM_WK_LONG)) {
        return 0;
    }

    for (t = s; t < e; t++) {
        if (!(sk->flags[t] & CM_SK_GLUED)) {
            return 0;
        }
    }

    return 1;
}


/*
 * One word of a key, by the gaps between its letters: none (whole),
 * spelled out, or, for loose entries and long keys, separators that are
 * not spaces here and there.
 */

static unsigned
cm_words_word(const cm_wkey_t *k, unsigned nplain, unsigned nspell,
    unsigned nother, unsigned spacey)
{
    if (nspell == 0 && nother == 0) {
        return 1;
    }

    if (k->kind == CM_WK_LOOSE) {
        return 1;
    }

    if (nplain == 0 && nother == 0 && !(k->flags & CM_WK_NOSPELL)) {
        return 1;
    }

    return (k->flags & CM_WK_LONG) && k->kind == CM_WK_STRICT && !spacey;
}


/*
 * The letters the automaton took as one: the entry's "i" is written "i"
 * or "1", its "l" "l" or "1" (or, in a loose entry, "i"); its "1" (a
 * digit) is "1".
 */

static int
cm_words_letter(unsigned char key, unsigned char text, unsigned loose)
{
    if (key == text) {
        return 1;
    }

    switch (key) {

    case 'i':
        return text == '1';

    case 'l':
        return text == '1' || (loose && text == 'i');

    default:
        return 0;
    }
}


/* no letter before the match */

static int
cm_words_head(const cm_view_t *view, const cm_skel_t *sk, size_t s)
{
    size_t  off, b;

    off = sk->off[s];

    if (off == 0) {
        return 1;
    }

    for (b = off - 1; b > 0 && (view->text[b] & 0xc0) == 0x80; b--) {
        /* void */
    }

    return !cm_words_is_letter(view->text + b, off - b);
}


/*
 * No letter after the match.  U+FFFD read as MacRoman ("ÔøΩ"), which
 * some comment systems glue to the last word, does not count as letters
 * in the raw view.
 */

static int
cm_words_tail(const cm_view_t *view, const cm_skel_t *sk, size_t e)
{
    size_t                end, k;
    const unsigned char  *p;

    static const unsigned char  garbled[2][6] = {
        { 0xc3, 0x94, 0xc3, 0xb8, 0xce, 0xa9 },
        { 0xc3, 0xb4, 0xc3, 0xb8, 0xcf, 0x89 }
    };

    end = sk->end[e - 1];

    if (end >= view->len) {
        return 1;
    }

    p = view->text + end;

    for (k = 0; k < 2; k++) {
        if (view->len - end >= 6 && memcmp(p, garbled[k], 6) == 0
            && (view->len - end == 6
                || !cm_words_is_letter(p + 6, view->len - end - 6)))
        {
            return 1;
        }
    }

    return !cm_words_is_letter(p, view->len - end);
}


/* a letter or a mark at p */

static int
cm_words_is_letter(const unsigned char *p, size_t len)
{
    uint32_t             cp;
    utf8proc_category_t  cat;

    if (*p < 0x80) {
        return (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
    }

    if (cm_utf8_decode(p, len, &cp) == 0) {
        return 0;
    }

    cat = utf8proc_category((utf8proc_int32_t) cp);

    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
           || cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC
           || cat == UTF8PROC_CATEGORY_ME;
}
