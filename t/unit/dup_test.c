
/*
 * cm_dup_sign() and cm_dup_fields(): re-styled copies are one text, a
 * copy with a word changed shares a band, unrelated texts share none; the
 * hashes are the same everywhere; memory is given back.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "tap.h"


typedef struct {
    size_t                live;      /* blocks allocated, not freed */
    size_t                left;      /* allocations that may succeed */
    int                   limited;
} tk_mem_t;


static void *tk_alloc(void *data, size_t size);
static void tk_free(void *data, void *p);
static void tk_sign(const char *text, cm_dup_sig_t *sig);
static size_t tk_shared(const cm_dup_sig_t *a, const cm_dup_sig_t *b);
static void test_copies(void);
static void test_near(void);
static void test_stable(void);
static void test_fields(void);
static void test_bounds(void);
static void test_memory(void);


static tk_mem_t    tk_mem;
static cm_alloc_t  tk_tracked = { tk_alloc, tk_free, &tk_mem };


int
main(void)
{
    test_copies();
    test_near();
    test_stable();
    test_fields();
    test_bounds();
    test_memory();

    is_int(tk_mem.live, 0, "every block allocated was freed");

    return tap_done();
}


static void
test_copies(void)
{
    cm_dup_sig_t  a, b;

    /* styled letters (U+1D64E...) read as plain ones */

    tk_sign("Awal kebangkitan cuan pasti di SGI88", &a);
    tk_sign("awal KEBANGKITAN cuan pasti di "
            "\360\235\231\216\360\235\231\202\360\235\231\204" "88", &b);
    ok(a.exact == b.exact, "styled letters and case: one text");
    is_int(tk_shared(&a, &b), CM_DUP_BANDS, "and every band");
    is_int(a.chars, 31, "31 letters and digits");

    tk_sign("Heboh bener, soal \342\255\220 A L E X I S 1 7 \342\255\220!.",
            &a);
    tk_sign("heboh   bener soal alexis17", &b);
    ok(a.exact == b.exact, "spacing, punctuation and emoji do not count");

    tk_sign("mantap bang", &a);
    tk_sign("mantap bang 2", &b);
    ok(a.exact != b.exact, "a digit more is another exact text");
}


static void
test_near(void)
{
    cm_dup_sig_t  a, b, c;

    tk_sign("Seperti biasa sehat selalu kang semangat ngonten dan "
            "dilancarkan segala urusannya, salam dari VISI4D", &a);
    tk_sign("Seperti biasa sehat selalu kang semangat ngonten dan "
            "dilancarkan segala urusannya, salam dari WETON88", &b);
    tk_sign("Harga cabai di pasar induk naik lagi minggu ini, pedagang "
            "mengeluh pembeli makin sepi", &c);

    ok(a.exact != b.exact, "another site name: not an exact copy");
    ok(tk_shared(&a, &b) > 0, "but a near copy: some band is shared");
    is_int(tk_shared(&a, &c), 0, "an unrelated comment shares no band");
}


/* keys made on one machine are found from another */

static void
test_stable(void)
{
    char          hex[17];
    cm_dup_sig_t  a;

    tk_sign("mantap", &a);

    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long) a.exact);
    is_str(hex, 16, "72b4a2097a877073", "the exact hash is fixed");

    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long) a.bands[0]);
    is_str(hex, 16, "38f723b1874e18a3", "so is a band's");
}


static void
test_fields(void)
{
    size_t        n;
    cm_field_t    f[6];
    cm_dup_sig_t  sigs[2];

    static const char  *values[] = {
        "ok",
        "Komentar yang cukup panjang untuk dihitung",
        "komentar YANG cukup panjang untuk dihitung!!",
        "Komentar lain yang lebih panjang lagi dari yang pertama",
        "pendek sekali",
        "Yang terpanjang dari semuanya, jauh lebih panjang dari dua tadi"
    };

    for (n = 0; n < 6; n++) {
        f[n].name = (const unsigned char *) "komentar";
        f[n].name_len = 8;
        f[n].value = (const unsigned char *) values[n];
        f[n].value_len = strlen(values[n]);
    }

    ok(cm_dup_fields(&tk_tracked, f, 6, 20, sigs, 2, &n) == CM_OK,
       "fields signed");
    is_int(n, 2, "at most max texts");
    is_int(sigs[0].field, 5, "the longest first");
    is_int(sigs[1].field, 3, "then the next longest");

    ok(cm_dup_fields(&tk_tracked, f, 3, 20, sigs, 2, &n) == CM_OK,
       "two copies of one text");
    is_int(n, 1, "count once");
    is_int(sigs[0].field, 1, "as the first field that has it");

    ok(cm_dup_fields(&tk_tracked, f, 6, 100, sigs, 2, &n) == CM_OK
       && n == 0, "none as long as min_chars: nothing to count");

    ok(cm_dup_fields(&tk_tracked, f, 6, 20, sigs, 0, &n) == CM_OK
       && n == 0, "max 0: nothing");
}


static void
test_bounds(void)
{
    size_t        i;
    char         *big;
    cm_dup_sig_t  a, b;

    tk_sign("", &a);
    is_int(a.chars, 0, "empty text: no characters");

    tk_sign("!!! \xff\xfe \xf0\x9f\x98\x82 ...", &a);
    is_int(a.chars, 0, "symbols, emoji and invalid UTF-8: none either");

    tk_sign("abc", &a);
    tk_sign("abd", &b);
    ok(a.exact != b.exact && tk_shared(&a, &b) == 0,
       "texts shorter than a shingle are whole shingles");

    /* past CM_DUP_MAX_CHARS only the exact hash sees the text */

    big = malloc(3 * CM_DUP_MAX_CHARS);
    if (big == NULL) {
        exit(1);
    }

    for (i = 0; i < 3 * CM_DUP_MAX_CHARS; i++) {
        big[i] = "abcdefghijklmnopqrstuvwxyz"[(i * 7 + i / 26) % 26];
    }

    ok(cm_dup_sign(&tk_tracked, (unsigned char *) big, 3 * CM_DUP_MAX_CHARS,
                   &a) == CM_OK, "a long text");
    big[3 * CM_DUP_MAX_CHARS - 1] = '0';
    ok(cm_dup_sign(&tk_tracked, (unsigned char *) big, 3 * CM_DUP_MAX_CHARS,
                   &b) == CM_OK, "the same with its last letter changed");
    ok(a.exact != b.exact, "differs in the exact hash");
    is_int(tk_shared(&a, &b), CM_DUP_BANDS, "not in its bands");
    is_int(a.chars, 3 * CM_DUP_MAX_CHARS, "every character counted");

    free(big);
}


/* every failed allocation is an error, and nothing is left behind */

static void
test_memory(void)
{
    int           rc;
    size_t        k, n, fails;
    cm_field_t    f;
    cm_dup_sig_t  sig;

    f.name = (const unsigned char *) "komentar";
    f.name_len = 8;
    f.value = (const unsigned char *) "Komentar yang cukup panjang sekali";
    f.value_len = strlen((const char *) f.value);

    fails = 0;

    rc = CM_ERROR;

    for (k = 0; k < 16; k++) {
        tk_mem.limited = 1;
        tk_mem.left = k;

        rc = cm_dup_fields(&tk_tracked, &f, 1, 10, &sig, 1, &n);

        tk_mem.limited = 0;

        if (rc == CM_OK) {
            break;
        }

        fails++;
    }

    ok(fails > 0, "allocation failures are reported");
    ok(rc == CM_OK, "and with memory enough it works");
    is_int(tk_mem.live, 0, "nothing left allocated after the failures");
}


static void
tk_sign(const char *text, cm_dup_sig_t *sig)
{
    if (cm_dup_sign(&tk_tracked, (const unsigned char *) text, strlen(text),
                    sig)
        != CM_OK)
    {
        printf("Bail out! cm_dup_sign failed\n");
        exit(1);
    }
}


static size_t
tk_shared(const cm_dup_sig_t *a, const cm_dup_sig_t *b)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < CM_DUP_BANDS; i++) {
        n += (a->bands[i] == b->bands[i]);
    }

    return n;
}


static void *
tk_alloc(void *data, size_t size)
{
    tk_mem_t  *mem = data;

    if (mem->limited) {
        if (mem->left == 0) {
            return NULL;
        }

        mem->left--;
    }

    mem->live++;

    return malloc(size);
}


static void
tk_free(void *data, void *p)
{
    tk_mem_t  *mem = data;

    if (p) {
        mem->live--;
        free(p);
    }
}
