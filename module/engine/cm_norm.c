/*
 * Views of a field's text for matching.
 *
 * The raw view only makes the text safe to match: invalid UTF-8 and NUL
 * bytes are dropped, so they can neither split a word nor hide the text
 * after them.  The normalised view also undoes the disguises of spam:
 * HTML entities, styled letters (NFKC), case, combining marks, invisible
 * characters, look-alike letters of other scripts, runs of blanks.  Every
 * output byte keeps the offset of the input character it came from, so
 * that a match can be reported in the original text.
 */


#include <string.h>

#include <utf8proc.h>

#include "cm_engine.h"
#include "cm_confusables.h"


/* code points one decomposition may give: U+FDFA gives 18 */
#define CM_NORM_DECOMP  32

#define CM_NORM_NFKD    (UTF8PROC_DECOMPOSE|UTF8PROC_COMPAT                  \
                         |UTF8PROC_STRIPMARK|UTF8PROC_IGNORE)
#define CM_NORM_FOLD    (CM_NORM_NFKD|UTF8PROC_CASEFOLD)

/* an entity's '&' written as an entity: decoded this many times at most */
#define CM_ENTITY_ROUNDS  3

/* entity names are shorter than this; &#NNN; has at most 16 digits */
#define CM_ENTITY_NAME    sizeof(((cm_entity_t *) 0)->name)
#define CM_ENTITY_DIGITS  16


typedef struct {
    const cm_alloc_t     *alloc;
    unsigned char        *text;
    uint32_t             *map;
    size_t                len;
    size_t                size;      /* room in text and map, less one */
    int                   space;     /* the last output byte is a space */
} cm_norm_t;


static size_t cm_entity(const unsigned char *p, size_t len, uint32_t *cp);
static size_t cm_entity_nested(const unsigned char *p, size_t len,
    uint32_t *cp);
static unsigned cm_hex(unsigned char ch);
static const cm_entity_t *cm_entity_find(const unsigned char *name,
    size_t len);
static int cm_norm_char(cm_norm_t *n, uint32_t c, uint32_t off);
static int cm_norm_fold(cm_norm_t *n, uint32_t c, uint32_t off);
static int cm_norm_ascii(cm_norm_t *n, const char *s, uint32_t off);
static int cm_norm_emit(cm_norm_t *n, uint32_t c, uint32_t off);
static int cm_norm_space(cm_norm_t *n, uint32_t off);
static int cm_norm_grow(cm_norm_t *n, size_t need);
static void cm_norm_free(cm_norm_t *n);
static const cm_confusable_t *cm_confusable(uint32_t c);
static int cm_digit(uint32_t c);
static void cm_skel_pieces(cm_skel_t *sk);
static unsigned cm_skel_aspirated(const cm_skel_t *sk, size_t j);
static unsigned cm_leet_char(unsigned char c);
static unsigned cm_ascii_letter(unsigned char c);
static unsigned cm_letters_run(const cm_view_t *norm, const cm_skel_t *sk,
    size_t j);
static size_t cm_skel_drawn_at(const unsigned char *p, size_t len,
    unsigned char *letter);


/*
 * &#128; to &#159; name windows-1252 characters in browsers; 0 where
 * windows-1252 has none.
 */

static const uint16_t  cm_cp1252[32] = {
    0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
    0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178
};


/*
 * U+FFFD, the replacement character, stands where a comment system could
 * not decode a character, often glued to the end of a word; some also
 * read its UTF-8 bytes as MacRoman (O circumflex, o slash, Omega).  Both
 * break words.
 */

static const unsigned char  cm_garbled_fffd[] = "\xc3\x94\xc3\xb8\xce\xa9";

/* U+00A0, the no-break space, read as MacRoman: "¬†", glued to words */
static const unsigned char  cm_garbled_nbsp[] = "\xc2\xac\xe2\x80\xa0";


/*
 * The skeleton's letter for each ASCII character: letters lowered,
 * leetspeak digits and symbols as the letter they stand for ("0" is "o",
 * "@" is "a"); "1" and "|" stand for "i" or "l" and stay "1"; "q" is
 * written for "k" in chat ("memeq", "aq"), so it is "k".
 */

/* the skeleton's letter of each ASCII character, 0 for a separator */
static const unsigned char  cm_skel_canon[128] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x69, 0x00, 0x00,
    0x73, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x74, 0x00, 0x00, 0x00, 0x00,
    0x6f, 0x31, 0x7a, 0x65, 0x61, 0x73, 0x67, 0x74, 0x62, 0x67, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x61, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x6b, 0x72, 0x73,
    0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
    0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x6b, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    0x78, 0x79, 0x7a, 0x00, 0x31, 0x00, 0x00, 0x00
};

/* CM_SK_LETTER, CM_SK_DIGIT, CM_SK_SYMBOL; CM_SK_SPACE for white space */
static const unsigned char  cm_skel_kind[128] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x08, 0x08,
    0x08, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00
};


int
cm_view_raw(const cm_alloc_t *a, const unsigned char *p, size_t len,
    cm_view_t *view)
{
    size_t          i, n, k;
    uint32_t        c, *map;
    unsigned char  *t;

    if (len >= UINT32_MAX) {
        return CM_ERROR;
    }

    t = a->alloc(a->data, len + 1);
    map = a->alloc(a->data, (len + 1) * sizeof(uint32_t));

    if (t == NULL || map == NULL) {
        if (a->free) {
            if (t) {
                a->free(a->data, t);
            }

            if (map) {
                a->free(a->data, map);
            }
        }

        return CM_ERROR;
    }

    n = 0;
    i = 0;

    while (i < len) {

        /* ASCII other than NUL, the most of any text, in one stretch */

        for (k = i; k < len && p[k] < 0x80 && p[k] != '\0'; k++) {
            /* void */
        }

        if (k > i) {
            memcpy(t + n, p + i, k - i);

            while (i < k) {
                map[n++] = (uint32_t) i++;
            }

            continue;
        }

        k = cm_utf8_decode(p + i, len - i, &c);

        if (k == 0 || c == 0) {
            i++;
            continue;
        }

        while (k--) {
            t[n] = p[i];
            map[n++] = (uint32_t) i++;
        }
    }

    t[n] = '\0';
    map[n] = (uint32_t) len;

    view->text = t;
    view->len = n;
    view->map = map;

    return CM_OK;
}


int
cm_view_norm(const cm_alloc_t *a, const unsigned char *p, size_t len,
    cm_view_t *view)
{
    size_t     i, k;
    uint32_t   c;
    cm_norm_t  n;

    if (len >= UINT32_MAX) {
        return CM_ERROR;
    }

    n.alloc = a;
    n.text = NULL;
    n.map = NULL;
    n.len = 0;
    n.size = 0;
    n.space = 0;

    /* enough unless the text expands, which is rare */
    if (cm_norm_grow(&n, len + 16) != CM_OK) {
        return CM_ERROR;
    }

    i = 0;

    while (i < len) {
        c = p[i];

        /* printable ASCII other than "&": itself, lowered */

        if (c > ' ' && c < 0x7f && c != '&' && n.len < n.size) {
            n.text[n.len] = (unsigned char) ((c >= 'A' && c <= 'Z')
                                             ? (c | 0x20) : c);
            n.map[n.len++] = (uint32_t) i++;
            n.space = 0;
            continue;
        }

        if (c == '&') {
            k = cm_entity_nested(p + i, len - i, &c);

            if (k == 0) {
                c = '&';
                k = 1;
            }

        } else if (c < 0x80) {
            k = 1;

            if (c == '\0') {
                i++;
                continue;
            }

        } else if (len - i >= sizeof(cm_garbled_fffd) - 1
                   && memcmp(p + i, cm_garbled_fffd,
                             sizeof(cm_garbled_fffd) - 1) == 0)
        {
            c = ' ';
            k = sizeof(cm_garbled_fffd) - 1;

        } else if (len - i >= sizeof(cm_garbled_nbsp) - 1
                   && memcmp(p + i, cm_garbled_nbsp,
                             sizeof(cm_garbled_nbsp) - 1) == 0)
        {
            /* else its dagger would read "t" */
            c = ' ';
            k = sizeof(cm_garbled_nbsp) - 1;

        } else {
            k = cm_utf8_decode(p + i, len - i, &c);

            if (k == 0) {
                i++;
                continue;
            }

            if (c == 0xfffd) {
                c = ' ';
            }
        }

        if (cm_norm_char(&n, c, (uint32_t) i) != CM_OK) {
            cm_norm_free(&n);
            return CM_ERROR;
        }

        i += k;
    }

    n.text[n.len] = '\0';
    n.map[n.len] = (uint32_t) len;

    view->text = n.text;
    view->len = n.len;
    view->map = n.map;

    return CM_OK;
}


/*
 * Letters drawn with several symbols: a pipe, a backslash and a pipe is
 * "n", slashes and backslashes make "m" and "w", a pipe and an
 * underscore "l" (with "$", "0" and a dagger, "slot"), "|_|" "u".
 * Longest first; they count as letters.
 */

static const struct {
    const char           *seq;
    unsigned char         len;
    unsigned char         letter;
} cm_skel_drawn[] = {
    { "/\\/\\", 4, 'm' }, { "|\\/|", 4, 'm' }, { "\\/\\/", 4, 'w' },
    { "|\\|", 3, 'n' }, { "/\\/", 3, 'n' }, { "|-|", 3, 'h' },
    { "]-[", 3, 'h' }, { "|_|", 3, 'u' }, { "(_)", 3, 'u' },
    { "\\/", 2, 'v' }, { "|_", 2, 'l' }, { "|<", 2, 'k' }, { "()", 2, 'o' },
    { "><", 2, 'x' }, { "|)", 2, 'd' }, { "|3", 2, 'b' }
};


/* a letter drawn with symbols at p: its length, 0 when there is none */

static size_t
cm_skel_drawn_at(const unsigned char *p, size_t len, unsigned char *letter)
{
    size_t  i;

    for (i = 0; i < sizeof(cm_skel_drawn) / sizeof(cm_skel_drawn[0]); i++) {
        if (cm_skel_drawn[i].len <= len
            && memcmp(p, cm_skel_drawn[i].seq, cm_skel_drawn[i].len) == 0)
        {
            *letter = cm_skel_drawn[i].letter;
            return cm_skel_drawn[i].len;
        }
    }

    return 0;
}


unsigned char
cm_skel_ascii(unsigned char c)
{
    return (c < 0x80) ? cm_skel_canon[c] : 0;
}


int
cm_view_skel(const cm_alloc_t *a, const cm_view_t *view, unsigned opts,
    cm_skel_t *sk)
{
    size_t                  i, k, n, j, last, cb_len, mn;
    uint32_t                cp, low;
    unsigned                gap, space, kind, same;
    unsigned char           c, cb[4], *mtext;
    const unsigned char    *p;
    utf8proc_category_t     cat;

    n = view->len + 1;

    sk->text = a->alloc(a->data, n);
    sk->off = a->alloc(a->data, n * sizeof(uint32_t));
    sk->end = a->alloc(a->data, n * sizeof(uint32_t));
    sk->gap = a->alloc(a->data, n);
    sk->flags = a->alloc(a->data, n);
    sk->units = a->alloc(a->data, n);
    sk->digits = a->alloc(a->data, n);

    sk->mtext = NULL;
    sk->mfirst = NULL;
    sk->mlen = 0;

    if (opts & CM_SKEL_MERGED) {
        sk->mtext = a->alloc(a->data, n);
        sk->mfirst = a->alloc(a->data, n * sizeof(uint32_t));
    }

    if (sk->text == NULL || sk->off == NULL || sk->end == NULL
        || sk->gap == NULL || sk->flags == NULL || sk->units == NULL
        || sk->digits == NULL
        || ((opts & CM_SKEL_MERGED)
            && (sk->mtext == NULL || sk->mfirst == NULL)))
    {
        return CM_ERROR;
    }

    mtext = sk->mtext;
    mn = 0;

    p = view->text;
    n = 0;
    gap = 0;
    space = 0;
    last = (size_t) -1;
    sk->merges = 0;
    sk->unaspirated = 0;

    for (i = 0; i < view->len; i += k) {

        /* the common case first: an ASCII letter that starts a run or
           stretches the run before it */

        c = p[i];

        if (c < 0x80 && cm_skel_kind[c] == CM_SK_LETTER) {
            k = 1;

            if (gap == 0 && n && last + 1 == n
                && sk->text[last] == cm_skel_canon[c]
                && !(opts & CM_SKEL_SPLIT))
            {
                sk->end[last] = (uint32_t) (i + 1);
                sk->flags[last] |= CM_SK_LETTER;
                sk->units[last] += (sk->units[last] < 255);
                continue;
            }

            if (n && gap && gap <= CM_SK_MERGE_GAP
                && sk->text[last] == cm_skel_canon[c] && last + 1 == n)
            {
                sk->merges++;

            } else if (mtext) {
                mtext[mn] = cm_skel_canon[c];
                sk->mfirst[mn++] = (uint32_t) n;
            }

            last = n;

            sk->text[n] = cm_skel_canon[c];
            sk->off[n] = (uint32_t) i;
            sk->end[n] = (uint32_t) (i + 1);
            sk->gap[n] = (unsigned char) gap;
            sk->flags[n] = CM_SK_LETTER | (space ? CM_SK_SPACE : 0);
            sk->units[n] = 1;
            sk->digits[n] = 0;
            n++;

            gap = 0;
            space = 0;
            continue;
        }

        if (c < 0x80) {
            k = 1;
            cb[0] = cm_skel_canon[c];
            cb_len = 1;

            if ((c == '/' || c == '\\' || c == '|' || c == ']' || c == '('
                 || c == '>')
                && (k = cm_skel_drawn_at(p + i, view->len - i, cb)) != 0)
            {
                kind = CM_SK_LETTER;
                goto letter;
            }

            k = 1;

            if (cb[0] == 0) {
                gap += (gap < 255);
                space |= (cm_skel_kind[c] == CM_SK_SPACE);
                continue;
            }

            kind = cm_skel_kind[c];

            /*
             * A symbol before a number separates ("WETON+88", "+62",
             * "$500"); elsewhere it stands for a letter ("g@cor", and
             * "d3p0$!t" after a digit that is a letter too, "+0g3|"
             * before one).
             */

            if (kind == CM_SK_SYMBOL
                && i + 1 < view->len && p[i + 1] >= '0' && p[i + 1] <= '9'
                && !(i + 2 < view->len && p[i + 2] < 0x80
                     && cm_skel_kind[p[i + 2]] == CM_SK_LETTER))
            {
                if (gap < 255) {
                    gap++;
                }

                continue;
            }

            /* "!" is an "i" or ends a sentence: the runs it is in say so */

            if (c == '!') {
                kind |= CM_SK_BANG;
            }

        } else {
            k = cm_utf8_decode(p + i, view->len - i, &cp);
            if (k == 0) {
                k = 1;
                continue;
            }

            cat = utf8proc_category((utf8proc_int32_t) cp);

            if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC
                || cat == UTF8PROC_CATEGORY_ME)
            {
                continue;
            }

            if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO) {
                if (gap < 255) {
                    gap++;
                }

                if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL
                    || cat == UTF8PROC_CATEGORY_ZP || cp == 0x85)
                {
                    space = 1;
                }

                continue;
            }

            /* lower case when it keeps its length, so text never grows */

            low = (uint32_t) utf8proc_tolower((utf8proc_int32_t) cp);
            cb_len = utf8proc_encode_char((utf8proc_int32_t) low, cb);

            if (cb_len != k) {
                memcpy(cb, p + i, k);
                cb_len = k;
            }

            kind = CM_SK_LETTER;
        }

    letter:

        /* a stretched letter is one run; "777" is three */

        same = !(opts & CM_SKEL_SPLIT)
               && last != (size_t) -1 && gap == 0
               && last + cb_len == n
               && sk->text[last] == cb[0]
               && (cb_len == 1
                   || memcmp(sk->text + last, cb, cb_len) == 0);

        if (same) {
            for (j = last; j < n; j++) {
                sk->end[j] = (uint32_t) (i + k);
                sk->flags[j] |= kind;

                if (sk->units[j] < 255) {
                    sk->units[j]++;
                }

                if (kind == CM_SK_DIGIT && sk->digits[j] < 255) {
                    sk->digits[j]++;
                }
            }

            continue;
        }

        if (last != (size_t) -1 && gap && gap <= CM_SK_MERGE_GAP
            && last + cb_len == n && memcmp(sk->text + last, cb, cb_len) == 0)
        {
            sk->merges++;

        } else if (mtext) {
            for (j = 0; j < cb_len; j++) {
                mtext[mn] = cb[j];
                sk->mfirst[mn++] = (uint32_t) (n + j);
            }
        }

        last = n;

        for (j = 0; j < cb_len; j++) {
            sk->text[n] = cb[j];
            sk->off[n] = (uint32_t) i;
            sk->end[n] = (uint32_t) (i + k);
            sk->gap[n] = j ? 0 : (unsigned char) gap;
            sk->flags[n] = (unsigned char) (kind | (j ? CM_SK_CONT : 0)
                                            | (space && !j ? CM_SK_SPACE : 0));
            sk->units[n] = 1;
            sk->digits[n] = (kind == CM_SK_DIGIT);
            n++;
        }

        gap = 0;
        space = 0;
    }

    sk->text[n] = '\0';
    sk->len = n;
    sk->mlen = mn;

    /* where nothing follows: the gap after the last run */
    sk->off[n] = (uint32_t) view->len;
    sk->end[n] = (uint32_t) view->len;
    sk->gap[n] = (unsigned char) (gap ? gap : 1);
    sk->flags[n] = space ? CM_SK_SPACE : 0;
    sk->units[n] = 0;
    sk->digits[n] = 0;

    cm_skel_pieces(sk);

    return CM_OK;
}


/* a character leetspeak writes letters with */

static unsigned
cm_leet_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || c == '$' || c == '@' || c == '!'
           || c == '+' || c == '|';
}


static unsigned
cm_ascii_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


unsigned
cm_view_leet(const cm_view_t *view)
{
    size_t                i;
    unsigned char         c;
    const unsigned char  *p;

    p = view->text;

    for (i = 0; i < view->len; i++) {
        c = p[i];

        if (!cm_leet_char(c)) {
            continue;
        }

        /* a digit between letters ("g4cor"), a symbol beside one */

        if (c >= '0' && c <= '9') {
            if (i > 0 && i + 1 < view->len && cm_ascii_letter(p[i - 1])
                && cm_ascii_letter(p[i + 1]))
            {
                return 1;
            }

            continue;
        }

        /* before a letter ("$lot", "g@cor"), or after one ("slo+"),
           but "!" there ends a sentence */

        if ((i + 1 < view->len
             && (cm_ascii_letter(p[i + 1]) || cm_leet_char(p[i + 1])))
            || (c != '!' && i > 0 && cm_ascii_letter(p[i - 1])))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Whether run j of the skeleton is leetspeak to write as its letter: in
 * a word (another run beside it with no gap), with a digit or a symbol
 * among its characters; a run of digits only at the end of a word is a
 * number ("slot88", "covid19"), a "!" there ends a sentence.
 */

static unsigned
cm_letters_run(const cm_view_t *norm, const cm_skel_t *sk, size_t j)
{
    size_t    i;
    unsigned  before, after, other, digits_only;

    before = (j > 0 && sk->gap[j] == 0);
    after = (j + 1 < sk->len && sk->gap[j + 1] == 0);

    if (!before && !after) {
        return 0;
    }

    other = 0;
    digits_only = 1;

    for (i = sk->off[j]; i < sk->end[j]; i++) {
        if (norm->text[i] >= 0x80 || cm_ascii_letter(norm->text[i])) {
            digits_only = 0;
            continue;
        }

        other = 1;

        if (norm->text[i] < '0' || norm->text[i] > '9') {
            digits_only = 0;
        }
    }

    if (!other) {
        return 0;
    }

    /* "!" ending a word ends a sentence */

    if (!after && (sk->flags[j] & CM_SK_BANG)) {
        return 0;
    }

    return !digits_only
           || (after && (sk->flags[j + 1] & (CM_SK_LETTER|CM_SK_SYMBOL)));
}


int
cm_view_letters(const cm_alloc_t *a, const cm_view_t *norm,
    const cm_skel_t *sk, cm_view_t *out)
{
    size_t         i, j, k;
    unsigned       subst;
    unsigned char  letter;

    out->text = a->alloc(a->data, norm->len + 1);
    out->map = a->alloc(a->data, (norm->len + 1) * sizeof(uint32_t));

    if (out->text == NULL || out->map == NULL) {
        return CM_ERROR;
    }

    subst = 0;
    j = 0;
    k = 0;

    for (i = 0; i < norm->len; /* void */) {

        while (j < sk->len && sk->end[j] <= i) {
            j++;
        }

        if (j < sk->len && sk->off[j] == i && cm_letters_run(norm, sk, j)) {
            letter = sk->text[j];

            if (letter == '1') {
                letter = (norm->text[i] == '|') ? 'l' : 'i';
            }

            out->text[k] = letter;
            out->map[k++] = norm->map[i];
            i = sk->end[j];
            subst = 1;
            continue;
        }

        out->text[k] = norm->text[i];
        out->map[k++] = norm->map[i++];
    }

    out->text[k] = '\0';
    out->map[k] = norm->map[norm->len];
    out->len = k;

    if (!subst) {
        if (a->free) {
            a->free(a->data, out->text);
            a->free(a->data, out->map);
        }

        out->text = NULL;
        out->map = NULL;
        out->len = 0;

        return CM_DECLINED;
    }

    return CM_OK;
}


/* an h after a consonant of the same word, run j of the skeleton */

static unsigned
cm_skel_aspirated(const cm_skel_t *sk, size_t j)
{
    unsigned char  c;

    if (j == 0 || sk->text[j] != 'h' || sk->gap[j] != 0
        || !(sk->flags[j] & CM_SK_LETTER)
        || !(sk->flags[j - 1] & CM_SK_LETTER))
    {
        return 0;
    }

    c = sk->text[j - 1];

    return c >= 'b' && c <= 'z' && c != 'e' && c != 'h' && c != 'i'
           && c != 'o' && c != 'u' && c != 'y';
}


int
cm_skel_unaspirated(const cm_alloc_t *a, const cm_skel_t *sk,
    cm_skel_t *out)
{
    size_t  i, n, len;

    for (i = 1; i < sk->len; i++) {
        if (cm_skel_aspirated(sk, i)) {
            break;
        }
    }

    if (i >= sk->len) {
        return CM_DECLINED;
    }

    len = sk->len + 1;

    memset(out, 0, sizeof(cm_skel_t));

    out->text = a->alloc(a->data, len);
    out->off = a->alloc(a->data, len * sizeof(uint32_t));
    out->end = a->alloc(a->data, len * sizeof(uint32_t));
    out->gap = a->alloc(a->data, len);
    out->flags = a->alloc(a->data, len);
    out->units = a->alloc(a->data, len);
    out->digits = a->alloc(a->data, len);

    if (out->text == NULL || out->off == NULL || out->end == NULL
        || out->gap == NULL || out->flags == NULL || out->units == NULL
        || out->digits == NULL)
    {
        return CM_ERROR;
    }

    n = 0;

    /* the runs and the sentinel after them, but the h */

    for (i = 0; i <= sk->len; i++) {
        if (i < sk->len && cm_skel_aspirated(sk, i)) {
            out->end[n - 1] = sk->end[i];
            continue;
        }

        out->text[n] = sk->text[i];
        out->off[n] = sk->off[i];
        out->end[n] = sk->end[i];
        out->gap[n] = sk->gap[i];
        out->flags[n] = sk->flags[i] & ~(CM_SK_SPELL|CM_SK_GLUED);
        out->units[n] = sk->units[i];
        out->digits[n] = sk->digits[i];
        n++;
    }

    out->len = n - 1;
    out->unaspirated = 1;

    cm_skel_pieces(out);

    return CM_OK;
}


/*
 * Spelled-out words and glued pieces: single-run pieces close together
 * are spelled, and a piece of many runs is glued; in both, word lists may
 * look for long entries inside the text (cm_words.c).
 */

static void
cm_skel_pieces(cm_skel_t *sk)
{
    size_t    i, j, start, runs, prev_start;
    unsigned  prev_single;

    prev_single = 0;
    prev_start = 0;

    for (i = 0; i < sk->len; i = j) {
        start = i;
        runs = 0;

        for (j = i; j < sk->len; j++) {
            if (j > i && sk->gap[j] != 0) {
                break;
            }

            if (!(sk->flags[j] & CM_SK_CONT)) {
                runs++;
            }
        }

        if (runs >= CM_SK_GLUED_LEN) {
            for (i = start; i < j; i++) {
                sk->flags[i] |= CM_SK_GLUED;
            }
        }

        if (runs == 1 && prev_single && sk->gap[start] <= CM_SK_SPELL_GAP) {
            sk->flags[start] |= CM_SK_SPELL;

            for (i = prev_start; i < j; i++) {
                sk->flags[i] |= CM_SK_GLUED;
            }
        }

        prev_single = (runs == 1);
        prev_start = start;
    }
}


/*
 * A reference whose '&' is itself a reference ("&amp;#115;" is "s", as a
 * backend that decodes once and a browser that decodes again show it),
 * up to CM_ENTITY_ROUNDS decodings in all; the length of all of it.
 */

static size_t
cm_entity_nested(const unsigned char *p, size_t len, uint32_t *cp)
{
    size_t    k, r;
    unsigned  round;
    uint32_t  c;

    k = cm_entity(p, len, cp);

    for (round = 1; round < CM_ENTITY_ROUNDS && k && *cp == '&'; round++) {

        /* what follows, read as if the '&' were there: cm_entity does
           not look at p[0] */

        r = cm_entity(p + k - 1, len - k + 1, &c);
        if (r == 0) {
            break;
        }

        *cp = c;
        k += r - 1;
    }

    return k;
}


/*
 * An HTML character reference at p, which starts with '&': &name; or
 * &#NNN; or &#xHH; (the ';' may be left out after digits, as browsers
 * allow).  Returns its length and the code point, or 0 when it is not one
 * or names no character we may decode; the text then stays as it is.
 */

static size_t
cm_entity(const unsigned char *p, size_t len, uint32_t *cp)
{
    size_t              i, start;
    uint32_t            c;
    unsigned            d, base;
    const cm_entity_t  *e;

    if (len < 3) {
        return 0;
    }

    if (p[1] != '#') {
        for (i = 1; i < len && i <= CM_ENTITY_NAME; i++) {
            if (cm_hex(p[i]) > 35) {
                break;
            }
        }

        if (i == 1 || i == len || p[i] != ';') {
            return 0;
        }

        e = cm_entity_find(p + 1, i - 1);
        if (e == NULL) {
            return 0;
        }

        *cp = e->cp;

        return i + 1;
    }

    base = 10;
    i = 2;

    if (p[i] == 'x' || p[i] == 'X') {
        base = 16;
        i++;
    }

    start = i;
    c = 0;

    while (i < len && i - start < CM_ENTITY_DIGITS) {
        d = cm_hex(p[i]);
        if (d >= base) {
            break;
        }

        /* stays far below 2^32: anything past U+10FFFF is rejected */
        c = c * base + d;
        if (c > 0x10ffff) {
            c = 0x110000;
        }

        i++;
    }

    if (i == start || (i < len && cm_hex(p[i]) < base)) {
        return 0;
    }

    if (i < len && p[i] == ';') {
        i++;
    }

    if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    if (c >= 0x80 && c <= 0x9f && cm_cp1252[c - 0x80]) {
        c = cm_cp1252[c - 0x80];
    }

    *cp = c;

    return i;
}


/* 0-9, then a-z or A-Z as 10-35; 36 for anything else */

static unsigned
cm_hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 10;
    }

    return 36;
}


static const cm_entity_t *
cm_entity_find(const unsigned char *name, size_t len)
{
    int                 rc;
    size_t              lo, hi, mid;
    const cm_entity_t  *e;

    if (len >= CM_ENTITY_NAME) {
        return NULL;
    }

    lo = 0;
    hi = sizeof(cm_entities) / sizeof(cm_entities[0]);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        e = &cm_entities[mid];

        rc = strncmp(e->name, (const char *) name, len);
        if (rc == 0 && e->name[len] != '\0') {
            rc = 1;
        }

        if (rc == 0) {
            return e;
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/*
 * One input character.  A decimal digit of any script reads as its
 * value, so that "٠٨١٢" is a phone number.  The look-alike table is
 * consulted before and after compatibility decomposition, and again after
 * case folding: "Η" (Greek capital eta) reads as "h", but its folded form
 * "η" as "n".
 */

static int
cm_norm_char(cm_norm_t *n, uint32_t c, uint32_t off)
{
    int                     bound, rc, v;
    uint32_t                u;
    utf8proc_ssize_t        i, k;
    utf8proc_int32_t        d[CM_NORM_DECOMP];
    const cm_confusable_t  *m;

    if (c < 0x80) {
        return cm_norm_emit(n, c, off);
    }

    v = cm_digit(c);
    if (v >= 0) {
        return cm_norm_emit(n, '0' + v, off);
    }

    m = cm_confusable(c);
    if (m) {
        return cm_norm_ascii(n, m->to, off);
    }

    /* Hangul syllables would only fall apart into jamo */
    if (c >= 0xac00 && c <= 0xd7a3) {
        return cm_norm_emit(n, c, off);
    }

    bound = 0;
    k = utf8proc_decompose_char((utf8proc_int32_t) c, d, CM_NORM_DECOMP,
                                (utf8proc_option_t) CM_NORM_NFKD, &bound);

    if (k > CM_NORM_DECOMP) {
        k = CM_NORM_DECOMP;
    }

    for (i = 0; i < k; i++) {
        u = (uint32_t) d[i];

        if (u < 0x80) {
            rc = cm_norm_emit(n, u, off);

        } else if (u != c && (m = cm_confusable(u)) != NULL) {
            rc = cm_norm_ascii(n, m->to, off);

        } else {
            rc = cm_norm_fold(n, u, off);
        }

        if (rc != CM_OK) {
            return rc;
        }
    }

    return CM_OK;
}


static int
cm_norm_fold(cm_norm_t *n, uint32_t c, uint32_t off)
{
    int                     bound, rc;
    uint32_t                f;
    utf8proc_ssize_t        i, k;
    utf8proc_int32_t        d[CM_NORM_DECOMP];
    const cm_confusable_t  *m;

    bound = 0;
    k = utf8proc_decompose_char((utf8proc_int32_t) c, d, CM_NORM_DECOMP,
                                (utf8proc_option_t) CM_NORM_FOLD, &bound);

    if (k > CM_NORM_DECOMP) {
        k = CM_NORM_DECOMP;
    }

    for (i = 0; i < k; i++) {
        f = (uint32_t) d[i];

        if (f != c && (m = cm_confusable(f)) != NULL) {
            rc = cm_norm_ascii(n, m->to, off);

        } else {
            rc = cm_norm_emit(n, f, off);
        }

        if (rc != CM_OK) {
            return rc;
        }
    }

    return CM_OK;
}


static int
cm_norm_ascii(cm_norm_t *n, const char *s, uint32_t off)
{
    int  rc;

    for ( /* void */ ; *s; s++) {
        rc = cm_norm_emit(n, (unsigned char) *s, off);
        if (rc != CM_OK) {
            return rc;
        }
    }

    return CM_OK;
}


/*
 * Appends one normalised code point: ASCII is lowered, blanks become one
 * space, controls, format characters and marks are dropped.
 */

static int
cm_norm_emit(cm_norm_t *n, uint32_t c, uint32_t off)
{
    size_t          k;
    unsigned char  *t;

    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;

        } else if (c == ' ' || (c >= '\t' && c <= '\r')) {
            return cm_norm_space(n, off);

        } else if (c < 0x20 || c == 0x7f) {
            return CM_OK;
        }

    } else {
        switch (utf8proc_category((utf8proc_int32_t) c)) {

        case UTF8PROC_CATEGORY_ZS:
        case UTF8PROC_CATEGORY_ZL:
        case UTF8PROC_CATEGORY_ZP:
            return cm_norm_space(n, off);

        case UTF8PROC_CATEGORY_CC:
            return c == 0x85 ? cm_norm_space(n, off) : CM_OK;

        case UTF8PROC_CATEGORY_CF:
        case UTF8PROC_CATEGORY_CS:
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
            return CM_OK;

        default:
            break;
        }

        if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return CM_OK;
        }
    }

    if (n->size - n->len < 4 && cm_norm_grow(n, 4) != CM_OK) {
        return CM_ERROR;
    }

    t = n->text + n->len;

    if (c < 0x80) {
        t[0] = (unsigned char) c;
        k = 1;

    } else if (c < 0x800) {
        t[0] = (unsigned char) (0xc0 | (c >> 6));
        t[1] = (unsigned char) (0x80 | (c & 0x3f));
        k = 2;

    } else if (c < 0x10000) {
        t[0] = (unsigned char) (0xe0 | (c >> 12));
        t[1] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
        t[2] = (unsigned char) (0x80 | (c & 0x3f));
        k = 3;

    } else {
        t[0] = (unsigned char) (0xf0 | (c >> 18));
        t[1] = (unsigned char) (0x80 | ((c >> 12) & 0x3f));
        t[2] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
        t[3] = (unsigned char) (0x80 | (c & 0x3f));
        k = 4;
    }

    while (k--) {
        n->map[n->len++] = off;
    }

    n->space = 0;

    return CM_OK;
}


static int
cm_norm_space(cm_norm_t *n, uint32_t off)
{
    if (n->space) {
        return CM_OK;
    }

    if (n->size == n->len && cm_norm_grow(n, 1) != CM_OK) {
        return CM_ERROR;
    }

    n->text[n->len] = ' ';
    n->map[n->len++] = off;
    n->space = 1;

    return CM_OK;
}


/* makes room for "need" more bytes, and one for the terminating NUL */

static int
cm_norm_grow(cm_norm_t *n, size_t need)
{
    size_t          size, limit;
    uint32_t       *map;
    unsigned char  *text;

    if (n->size - n->len >= need) {
        return CM_OK;
    }

    limit = SIZE_MAX / sizeof(uint32_t) / 2;

    if (n->len >= limit || need >= limit - n->len) {
        return CM_ERROR;
    }

    size = n->len + need;

    /* doubling keeps the copies linear in the output */
    if (n->size < limit && size < n->size * 2) {
        size = n->size * 2;
    }

    text = n->alloc->alloc(n->alloc->data, size + 1);
    map = n->alloc->alloc(n->alloc->data, (size + 1) * sizeof(uint32_t));

    if (text == NULL || map == NULL) {
        if (n->alloc->free) {
            if (text) {
                n->alloc->free(n->alloc->data, text);
            }

            if (map) {
                n->alloc->free(n->alloc->data, map);
            }
        }

        return CM_ERROR;
    }

    if (n->len) {
        memcpy(text, n->text, n->len);
        memcpy(map, n->map, n->len * sizeof(uint32_t));
    }

    cm_norm_free(n);

    n->text = text;
    n->map = map;
    n->size = size;

    return CM_OK;
}


static void
cm_norm_free(cm_norm_t *n)
{
    if (n->alloc->free == NULL) {
        return;
    }

    if (n->text) {
        n->alloc->free(n->alloc->data, n->text);
    }

    if (n->map) {
        n->alloc->free(n->alloc->data, n->map);
    }

    n->text = NULL;
    n->map = NULL;
}


static const cm_confusable_t *
cm_confusable(uint32_t c)
{
    size_t                  lo, hi, mid;
    const cm_confusable_t  *m;

    lo = 0;
    hi = sizeof(cm_confusables) / sizeof(cm_confusables[0]);

    if (c < cm_confusables[0].from || c > cm_confusables[hi - 1].from) {
        return NULL;
    }

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        m = &cm_confusables[mid];

        if (m->from == c) {
            return m;
        }

        if (m->from < c) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/* the value of a decimal digit outside ASCII, or -1 */

static int
cm_digit(uint32_t c)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = sizeof(cm_digits) / sizeof(cm_digits[0]);

    if (c < cm_digits[0] || c > cm_digits[hi - 1] + 9) {
        return -1;
    }

    /* the last zero at or before c */

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (cm_digits[mid] <= c) {
            lo = mid;

        } else {
            hi = mid;
        }
    }

    return (c - cm_digits[lo] < 10) ? (int) (c - cm_digits[lo]) : -1;
}
