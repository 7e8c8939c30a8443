/*
 * Generates the look-alike and digit tables of cm_confusables.h from
 * Unicode's own data, as ICU carries it: the UTS #39 confusables (the
 * skeleton of uspoof_getSkeleton()), scripts, general categories and
 * digit values.  "./build.sh tables" runs it; the engine itself needs no
 * ICU.
 *
 *   cm_gen_tables LOOKALIKES > block
 *
 * A character gets an entry when its skeleton reads as lower case ASCII
 * letters or digits the way cm_norm_char() reads text (NFKD, marks
 * stripped, case folded, the table): "Ꭺ" has the skeleton "A", "ƴ" has
 * "y" with a hook, "ⲕ" has "ĸ", which the hand list reads as "k"; "rn"
 * is "m" (the skeleton of "m"), and a capital that reads "l" looks like
 * "I", so it reads "i".  Left out, because they are not safe or need no
 * entry:
 *
 *   - letters of scripts written in Indonesia or by many of its readers
 *     (Arabic for Malay and Jawi, the Indic, Southeast Asian and East
 *     Asian scripts, the scripts of Indonesia's languages), by their
 *     Script_Extensions: "ا" has the skeleton "l", but it is a letter of
 *     words, not a disguise;
 *   - decimal digits: each one reads as its value instead (cm_digits);
 *   - characters with a compatibility decomposition, read through it
 *     ("Í" is "i", though "I" is confusable with "l"), and characters
 *     that the hand list already reads as ASCII ("Ғ" folds to "ғ", "f");
 *   - symbols, punctuation and numbers that read as "l" (bars) or as
 *     more than one letter ("∞" as "oo"): they stand between words more
 *     often than in them; letters that read as more than one character
 *     unless all are letters ("ꜳ" as "aa", not "Ꜩ" as "t3").
 *
 * LOOKALIKES is kept by hand: pairs that the data lacks or where we read
 * a character otherwise; they win over the derived ones.  Entries that
 * normalisation gives anyway (a capital whose folded form is in the
 * table, a styled letter whose NFKD is) are left out, as long as every
 * character keeps the reading it has with them.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <utf8proc.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/uversion.h>


#define GT_MAX_CP      0x110000
#define GT_OUT         4           /* output bytes, with the NUL */
#define GT_SKEL        64
#define GT_DECOMP      32
#define GT_NAME        128
#define GT_COMMENT     48          /* a comment's room in 80 columns */

#define GT_NFKD        (UTF8PROC_DECOMPOSE|UTF8PROC_COMPAT                   \
                        |UTF8PROC_STRIPMARK|UTF8PROC_IGNORE)
#define GT_FOLD        (GT_NFKD|UTF8PROC_CASEFOLD)


typedef struct {
    char                  to[GT_OUT];
    unsigned char         set;       /* an entry of the table */
    unsigned char         hand;      /* from LOOKALIKES */
    unsigned char         plain;     /* read as ASCII through the hand list */
} gt_entry_t;


static int gt_read_hand(const char *path);
static int gt_derive(USpoofChecker *sc, UChar32 c, char *out);
static int gt_excluded(UChar32 c);
static int gt_decomposes(UChar32 c);
static int gt_read_plain(UChar32 c);
static int gt_digit(UChar32 c);
static size_t gt_norm(UChar32 c, char *out, size_t size);
static size_t gt_norm_fold(UChar32 c, char *out, size_t size, size_t n);
static size_t gt_emit(UChar32 c, char *out, size_t size, size_t n);
static size_t gt_ascii(const char *s, char *out, size_t size, size_t n);
static int gt_plain(const char *s);
static void gt_prune(const gt_entry_t *want);
static void gt_print(void);
static void gt_name(UChar32 c, char *buf);


static gt_entry_t  gt_table[GT_MAX_CP];

/* letters of these scripts are words, never disguises */
static const char  *gt_scripts_kept[] = {
    "Arab",
    "Deva", "Beng", "Guru", "Gujr", "Orya", "Taml", "Telu", "Knda",
    "Mlym", "Sinh", "Thai", "Laoo", "Mymr", "Khmr", "Tibt",
    "Java", "Bali", "Sund", "Batk", "Bugi", "Maka", "Rjng", "Kawi",
    "Tglg", "Cham",
    "Hani", "Hira", "Kana", "Hang", "Bopo",
    NULL
};


int
main(int argc, char **argv)
{
    size_t          added;
    UChar32         c;
    UErrorCode      err;
    gt_entry_t     *want;
    USpoofChecker  *sc;

    if (argc != 2) {
        fprintf(stderr, "usage: cm_gen_tables LOOKALIKES\n");
        return 2;
    }

    err = U_ZERO_ERROR;
    sc = uspoof_open(&err);

    if (U_FAILURE(err)) {
        fprintf(stderr, "uspoof_open: %s\n", u_errorName(err));
        return 1;
    }

    want = calloc(GT_MAX_CP, sizeof(gt_entry_t));

    if (want == NULL) {
        return 1;
    }

    if (gt_read_hand(argv[1]) != 0) {
        return 1;
    }

    /* what the hand list already reads as ASCII keeps that reading */

    for (c = 0x80; c < GT_MAX_CP; c++) {
        gt_table[c].plain = !gt_table[c].set && gt_read_plain(c);
    }

    /*
     * Each skeleton read through the table as it grows, until nothing is
     * added: "ᗯ" has the skeleton "Ѡ", read through "ѡ", whose skeleton
     * is "ω", which the hand list reads as "w".
     */

    do {
        added = 0;

        for (c = 0x80; c < GT_MAX_CP; c++) {
            if (gt_table[c].set || gt_table[c].plain || gt_excluded(c)
                || gt_derive(sc, c, gt_table[c].to) != 0)
            {
                continue;
            }

            gt_table[c].set = 1;
            added++;
        }

    } while (added);

    uspoof_close(sc);

    memcpy(want, gt_table, GT_MAX_CP * sizeof(gt_entry_t));

    gt_prune(want);

    gt_print();

    free(want);

    return 0;
}


/* "U+XXXX TO what", TO "-" for nothing; "#" starts a comment */

static int
gt_read_hand(const char *path)
{
    int            line;
    char           buf[256], to[16];
    FILE          *f;
    unsigned long  c;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }

    line = 0;

    while (fgets(buf, sizeof(buf), f)) {
        line++;

        if (buf[0] == '#' || buf[0] == '\n') {
            continue;
        }

        if (sscanf(buf, "U+%lx %15s", &c, to) != 2
            || c < 0x80 || c >= GT_MAX_CP
            || (strcmp(to, "-") != 0 && !gt_plain(to))
            || strlen(to) >= GT_OUT || gt_table[c].hand)
        {
            fprintf(stderr, "%s:%d: bad line\n", path, line);
            fclose(f);
            return -1;
        }

        if (strcmp(to, "-") == 0) {
            to[0] = '\0';
        }

        memcpy(gt_table[c].to, to, strlen(to) + 1);
        gt_table[c].set = 1;
        gt_table[c].hand = 1;
    }

    fclose(f);

    return 0;
}


/* the reading of c's skeleton, or -1 when it has none that is safe */

static int
gt_derive(USpoofChecker *sc, UChar32 c, char *out)
{
    int32_t     n, i, k;
    size_t      len;
    UChar       in[2], skel[GT_SKEL];
    UChar32     s;
    UErrorCode  err;
    int8_t      type;
    char        buf[GT_SKEL * 4];

    type = u_charType(c);

    if (type == U_UNASSIGNED || type == U_SURROGATE
        || type == U_PRIVATE_USE_CHAR || type == U_DECIMAL_DIGIT_NUMBER)
    {
        return -1;
    }

    k = 0;
    U16_APPEND_UNSAFE(in, k, c);

    err = U_ZERO_ERROR;
    n = uspoof_getSkeleton(sc, 0, in, k, skel, GT_SKEL, &err);

    if (U_FAILURE(err) || (n == k && memcmp(in, skel, k * sizeof(UChar)) == 0))
    {
        return -1;
    }

    len = 0;

    for (i = 0; i < n; /* void */) {
        U16_NEXT(skel, i, n, s);
        len += gt_norm(s, buf + len, sizeof(buf) - len);
    }

    buf[len] = '\0';

    /* "m" has the skeleton "rn" */

    if (len == 2 && strcmp(buf, "rn") == 0) {
        buf[0] = 'm';
        buf[1] = '\0';
        len = 1;
    }

    if (len == 0 || len >= GT_OUT || !gt_plain(buf)) {
        return -1;
    }

    /* a capital that looks like "l" looks like "I", which reads "i" */

    if (len == 1 && buf[0] == 'l' && u_isupper(c)) {
        buf[0] = 'i';
    }

    if (U_GET_GC_MASK(c) & U_GC_L_MASK) {

        /* "ǁ" may read "ll", "ꜳ" "aa", but "Ꜩ" not "t3" */
        if (len > 1 && strspn(buf, "abcdefghijklmnopqrstuvwxyz") != len) {
            return -1;
        }

    } else if (len > 1 || buf[0] == 'l') {
        return -1;
    }

    memcpy(out, buf, len + 1);

    return 0;
}


/*
 * Scripts kept, by the character's scripts (Script_Extensions: the
 * Javanese "ꧏ" is Common, used by Javanese and Buginese), and characters
 * with a decomposition: normalisation reads those through their parts,
 * so that "Í" stays "i" whatever the skeleton of "I".
 */

static int
gt_excluded(UChar32 c)
{
    int          i, j, n;
    UErrorCode   err;
    const char  *name;
    UScriptCode  sc[32];

    if (gt_decomposes(c)) {
        return 1;
    }

    err = U_ZERO_ERROR;
    n = uscript_getScriptExtensions(c, sc, 32, &err);

    if (U_FAILURE(err)) {
        return 1;
    }

    for (j = 0; j < n; j++) {
        name = uscript_getShortName(sc[j]);

        for (i = 0; gt_scripts_kept[i]; i++) {
            if (strcmp(name, gt_scripts_kept[i]) == 0) {
                return 1;
            }
        }
    }

    return 0;
}


static int
gt_decomposes(UChar32 c)
{
    int                bound;
    utf8proc_ssize_t   k;
    utf8proc_int32_t   dec[GT_DECOMP];

    bound = 0;
    k = utf8proc_decompose_char(c, dec, GT_DECOMP,
                                (utf8proc_option_t) (UTF8PROC_DECOMPOSE
                                                     |UTF8PROC_COMPAT),
                                &bound);

    return k != 1 || dec[0] != c;
}


/*
 * Normalisation reads c as ASCII letters or digits already, through the
 * table: "Ғ" folds to "ғ", which the hand list reads "f"; the skeleton
 * of "Ғ" would say "r".
 */

static int
gt_read_plain(UChar32 c)
{
    char    buf[GT_SKEL];
    size_t  n;

    n = gt_norm(c, buf, sizeof(buf));
    buf[n] = '\0';

    return gt_plain(buf);
}


/* a decimal digit's value, as cm_norm_char() reads it, or -1 */

static int
gt_digit(UChar32 c)
{
    if (c < 0x80 || u_charType(c) != U_DECIMAL_DIGIT_NUMBER) {
        return -1;
    }

    return u_charDigitValue(c);
}


/*
 * What cm_norm_char() makes of one character with the table as it is
 * now: the same steps, on the same utf8proc.  Spaces and what is dropped
 * as in cm_norm_emit(); non-ASCII output as "?", which is never plain.
 */

static size_t
gt_norm(UChar32 c, char *out, size_t size)
{
    int                bound, d;
    size_t             n;
    utf8proc_ssize_t   i, k;
    utf8proc_int32_t   dec[GT_DECOMP];

    n = 0;

    if (c < 0x80) {
        return gt_emit(c, out, size, n);
    }

    d = gt_digit(c);
    if (d >= 0) {
        return gt_emit('0' + d, out, size, n);
    }

    if (gt_table[c].set) {
        return gt_ascii(gt_table[c].to, out, size, n);
    }

    if (c >= 0xac00 && c <= 0xd7a3) {
        return gt_emit(c, out, size, n);
    }

    bound = 0;
    k = utf8proc_decompose_char(c, dec, GT_DECOMP, (utf8proc_option_t) GT_NFKD,
                                &bound);

    if (k > GT_DECOMP) {
        k = GT_DECOMP;
    }

    for (i = 0; i < k; i++) {
        if (dec[i] < 0x80) {
            n = gt_emit(dec[i], out, size, n);

        } else if (dec[i] != c && gt_table[dec[i]].set) {
            n = gt_ascii(gt_table[dec[i]].to, out, size, n);

        } else {
            n = gt_norm_fold(dec[i], out, size, n);
        }
    }

    return n;
}


static size_t
gt_norm_fold(UChar32 c, char *out, size_t size, size_t n)
{
    int                bound;
    utf8proc_ssize_t   i, k;
    utf8proc_int32_t   dec[GT_DECOMP];

    bound = 0;
    k = utf8proc_decompose_char(c, dec, GT_DECOMP, (utf8proc_option_t) GT_FOLD,
                                &bound);

    if (k > GT_DECOMP) {
        k = GT_DECOMP;
    }

    for (i = 0; i < k; i++) {
        if (dec[i] != c && gt_table[dec[i]].set) {
            n = gt_ascii(gt_table[dec[i]].to, out, size, n);

        } else {
            n = gt_emit(dec[i], out, size, n);
        }
    }

    return n;
}


static size_t
gt_emit(UChar32 c, char *out, size_t size, size_t n)
{
    if (n + 1 >= size) {
        return n;
    }

    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;

        } else if (c < 0x20 || c == 0x7f) {
            return n;
        }

        out[n++] = (char) c;
        return n;
    }

    switch (utf8proc_category(c)) {

    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        out[n++] = ' ';
        return n;

    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return n;

    default:
        out[n++] = '?';
        return n;
    }
}


static size_t
gt_ascii(const char *s, char *out, size_t size, size_t n)
{
    for ( /* void */ ; *s; s++) {
        n = gt_emit((unsigned char) *s, out, size, n);
    }

    return n;
}


/* lower case ASCII letters and digits only */

static int
gt_plain(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789")
                 == strlen(s);
}


/*
 * Leaves out the entries that normalisation gives without them, one at a
 * time; then puts back any that an entry left out later was needed for,
 * until every character reads as "want" says.
 */

static void
gt_prune(const gt_entry_t *want)
{
    int      again;
    char     buf[GT_SKEL];
    size_t   n;
    UChar32  c;

    for (c = 0x80; c < GT_MAX_CP; c++) {
        if (!gt_table[c].set) {
            continue;
        }

        gt_table[c].set = 0;

        n = gt_norm(c, buf, sizeof(buf));
        buf[n] = '\0';

        if (strcmp(buf, want[c].to) != 0) {
            gt_table[c].set = 1;
        }
    }

    do {
        again = 0;

        for (c = 0x80; c < GT_MAX_CP; c++) {
            if (!want[c].set || gt_table[c].set) {
                continue;
            }

            n = gt_norm(c, buf, sizeof(buf));
            buf[n] = '\0';

            if (strcmp(buf, want[c].to) != 0) {
                gt_table[c].set = 1;
                again = 1;
            }
        }

    } while (again);
}


static void
gt_print(void)
{
    int          runs, v;
    char         name[GT_NAME], q[GT_OUT + 2];
    size_t       n, hand;
    UChar32      c, z;
    UVersionInfo  uv;
    const char  *s;

    n = 0;
    hand = 0;

    for (c = 0x80; c < GT_MAX_CP; c++) {
        n += gt_table[c].set;
        hand += gt_table[c].set && gt_table[c].hand;
    }

    u_getUnicodeVersion(uv);

    printf("/* Unicode %d.%d (ICU %s), utf8proc %s: %zu look-alikes, %zu of "
           "them\n   from the hand list */\n\n", uv[0], uv[1], U_ICU_VERSION,
           utf8proc_version(), n, hand);

    printf("static const cm_confusable_t  cm_confusables[] = {\n");

    for (c = 0x80; c < GT_MAX_CP; c++) {
        if (!gt_table[c].set) {
            continue;
        }

        gt_name(c, name);
        snprintf(q, sizeof(q), "\"%s\"", gt_table[c].to);
        printf("    { 0x%05x, %-5s },   /* %s */\n", (unsigned) c, q, name);
    }

    printf("};\n\n\n");

    /* every run of ten decimal digits, by the code point of its zero */

    printf("static const uint32_t  cm_digits[] = {\n");

    runs = 0;

    for (c = 0x80; c < GT_MAX_CP; c++) {
        if (gt_digit(c) != 0) {
            continue;
        }

        for (z = 0; z < 10; z++) {
            v = gt_digit(c + z);
            if (v != z) {
                fprintf(stderr, "U+%04X: digit %d, not %d\n",
                        (unsigned) (c + z), v, (int) z);
                exit(1);
            }
        }

        gt_name(c, name);
        s = strstr(name, " digit zero");
        if (s) {
            name[s - name] = '\0';
        }

        printf("    0x%05x,   /* %s */\n", (unsigned) c, name);
        runs++;
    }

    printf("};\n");

    /* no digit outside a run */

    for (c = 0x80; c < GT_MAX_CP; c++) {
        v = gt_digit(c);

        if (v > 0 && gt_digit(c - v) != 0) {
            fprintf(stderr, "U+%04X: a digit outside a run\n", (unsigned) c);
            exit(1);
        }
    }

    fprintf(stderr, "cm_gen_tables: %zu look-alikes (%zu by hand), "
            "%d digit runs\n", n, hand, runs);
}


/* the character's name in lower case, cut to fit in 80 columns */

static void
gt_name(UChar32 c, char *buf)
{
    char        *p;
    UErrorCode   err;

    err = U_ZERO_ERROR;
    u_charName(c, U_UNICODE_CHAR_NAME, buf, GT_NAME, &err);

    if (U_FAILURE(err) || buf[0] == '\0') {
        snprintf(buf, GT_NAME, "U+%04X", (unsigned) c);
    }

    for (p = buf; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p |= 0x20;
        }
    }

    if (strlen(buf) > GT_COMMENT) {
        buf[GT_COMMENT] = '\0';
        p = strrchr(buf, ' ');

        if (p) {
            *p = '\0';
        }
    }
}
