
/*
 * Word lists as PCRE2 regexes: how every list was matched before the
 * skeleton and its automaton (cm_words.c).  Kept as the reference that
 * the new matching is compared with: comment-check --reference, the
 * differential tests and the fuzz target that runs both.  Every entry of
 * a list goes into one regex (a trie of alternatives), tried at every
 * position of the text: the cost grows with the list and, through the
 * lookaheads, can grow with the square of a run of digits.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_rules_int.h"
#include "cm_util.h"


/* how cm_words_trie writes a word list */

typedef struct {
    unsigned              spaced;    /* a separator between characters */
    size_t                start;     /* where the word of a phrase begins */
    unsigned              head;      /* the first word: needs a letter */
    unsigned              loose;     /* a "~" entry: separators anywhere */
} cm_words_form_t;


static int cm_compile_part(cm_ruleset_t *rs, cm_rule_t *r,
    const char *path, cm_str_t *words, size_t nexc, size_t from, size_t to,
    unsigned loose, char *err, size_t errlen);
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


/*
 * One regex for the whole list, and one for its loose entries; should one
 * be too large for PCRE2, its entries are split in parts until each part
 * compiles.  Exceptions go into every part.
 */

int
cm_words_re_compile(cm_ruleset_t *rs, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t n, char *err, size_t errlen)
{
    size_t          i, j, nexc, nloose;
    unsigned char   c;

    n = cm_words_prepare(words, n, &nexc, &nloose);

    if (n == nexc) {
        snprintf(err, errlen, "word list \"%s\" has only exceptions", path);
        return CM_ERROR;
    }

    r->codes = cm_rs_alloc(rs, (n - nexc) * sizeof(pcre2_code *));
    if (r->codes == NULL) {
        snprintf(err, errlen, "out of memory");
        return CM_ERROR;
    }

    if (cm_compile_part(rs, r, path, words, nexc, nexc, n - nloose, 0, err,
                        errlen)
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

        if (cm_compile_part(rs, r, path, words, nexc, i, j, 1, err, errlen)
            != CM_OK)
        {
            return CM_ERROR;
        }
    }

    return CM_OK;
}


/* words[from..to) into as few regexes as PCRE2 takes */

static int
cm_compile_part(cm_ruleset_t *rs, cm_rule_t *r, const char *path,
    cm_str_t *words, size_t nexc, size_t from, size_t to, unsigned loose,
    char *err, size_t errlen)
{
    int             rc;
    size_t          i, k, len;
    PCRE2_SIZE      off;
    pcre2_code     *code;
    unsigned char  *pat, msg[256];

    i = from;
    k = to - from;

    while (i < to) {
        if (k > to - i) {
            k = to - i;
        }

        pat = cm_words_pattern(rs, words, nexc, words + i, k, loose, &len);
        if (pat == NULL) {
            snprintf(err, errlen, "out of memory");
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
            snprintf(err, errlen, "word list \"%s\": %s", path, msg);

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


