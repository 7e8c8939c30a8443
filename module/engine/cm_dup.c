
/*
 * Duplicate signatures: what lets copies of one comment be counted across
 * a whole site, in a store such as Redis, without keeping the comments.
 *
 * A text is read through the normalised view and reduced to its letters
 * and digits, so that styling, case, spacing, punctuation and emoji do
 * not make copies differ.  Its signature is an exact hash of that text,
 * and a MinHash of its shingles (runs of CM_DUP_SHINGLE characters) cut
 * into bands, as locality-sensitive hashing does: two texts that share
 * most of their shingles share some band with high probability, so a
 * copy with a few words changed, or another site number, meets the
 * original under one of its band hashes.
 */


#include <string.h>

#include <utf8proc.h>

#include "cm_engine.h"


#define CM_DUP_K  (CM_DUP_BANDS * CM_DUP_ROWS)


static int cm_dup_canon(const cm_view_t *view, uint32_t *cps, size_t *n);
static uint64_t cm_dup_mix(uint64_t x);


int
cm_dup_sign(const cm_alloc_t *a, const unsigned char *p, size_t len,
    cm_dup_sig_t *sig)
{
    int        rc;
    size_t     i, j, n, k, last;
    uint32_t  *cps, min[CM_DUP_K];
    uint64_t   h, v, mul[CM_DUP_K], add[CM_DUP_K], seed;
    cm_view_t  view;

    memset(sig, 0, sizeof(cm_dup_sig_t));

    if (cm_view_norm(a, p, len, &view) != CM_OK) {
        return CM_ERROR;
    }

    /* a character is at least one byte of the view */

    cps = a->alloc(a->data, (view.len + 1) * sizeof(uint32_t));
    if (cps == NULL) {
        rc = CM_ERROR;
        goto done;
    }

    rc = cm_dup_canon(&view, cps, &n);
    if (rc != CM_OK) {
        goto done;
    }

    sig->chars = n;

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < n; i++) {
        h = (h ^ cps[i]) * 0x100000001b3ULL;
    }

    sig->exact = cm_dup_mix(h ^ n);

    if (n == 0) {
        goto done;
    }

    /*
     * The hash functions of the MinHash: multiply-shift, a and b drawn
     * from a fixed sequence so that every process computes the same.
     */

    seed = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < CM_DUP_K; i++) {
        seed += 0x9e3779b97f4a7c15ULL;
        mul[i] = cm_dup_mix(seed) | 1;
        seed += 0x9e3779b97f4a7c15ULL;
        add[i] = cm_dup_mix(seed);
        min[i] = UINT32_MAX;
    }

    /* the shingles of the first CM_DUP_MAX_CHARS characters: a bound */

    if (n > CM_DUP_MAX_CHARS) {
        n = CM_DUP_MAX_CHARS;
    }

    k = n < CM_DUP_SHINGLE ? n : CM_DUP_SHINGLE;
    last = n - k;

    for (i = 0; i <= last; i++) {
        h = 0xcbf29ce484222325ULL;

        for (j = 0; j < k; j++) {
            h = (h ^ cps[i + j]) * 0x100000001b3ULL;
        }

        h = cm_dup_mix(h);

        for (j = 0; j < CM_DUP_K; j++) {
            v = (mul[j] * h + add[j]) >> 32;

            if (v < min[j]) {
                min[j] = (uint32_t) v;
            }
        }
    }

    for (i = 0; i < CM_DUP_BANDS; i++) {
        h = 0x84222325cbf29ce4ULL + i;

        for (j = 0; j < CM_DUP_ROWS; j++) {
            h = cm_dup_mix(h ^ min[i * CM_DUP_ROWS + j]);
        }

        sig->bands[i] = h;
    }

done:

    if (a->free) {
        if (cps) {
            a->free(a->data, cps);
        }

        a->free(a->data, view.text);
        a->free(a->data, view.map);
    }

    return rc;
}


/*
 * Letters and digits only, as code points: "Mantap, BANG!!" and
 * "mantap bang" are one text, and so are "A L E X I S 1 7" and "alexis17".
 */

static int
cm_dup_canon(const cm_view_t *view, uint32_t *cps, size_t *n)
{
    size_t               i, k, len;
    uint32_t             c;
    utf8proc_category_t  cat;

    len = 0;
    i = 0;

    while (i < view->len) {
        c = view->text[i];

        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || (c >= 'A' && c <= 'Z'))
            {
                cps[len++] = c;
            }

            i++;
            continue;
        }

        /* the view is valid UTF-8; a stray byte is skipped all the same */

        k = cm_utf8_decode(view->text + i, view->len - i, &c);

        if (k == 0) {
            i++;
            continue;
        }

        i += k;

        cat = utf8proc_category((utf8proc_int32_t) c);

        if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
            cps[len++] = c;

        } else if (cat >= UTF8PROC_CATEGORY_ND
                   && cat <= UTF8PROC_CATEGORY_NO)
        {
            cps[len++] = c;
        }
    }

    *n = len;

    return CM_OK;
}


int
cm_dup_fields(const cm_alloc_t *a, const cm_field_t *fields,
    size_t nfields, size_t min_chars, cm_dup_sig_t *sigs, size_t max,
    size_t *nsigs)
{
    size_t        i, j, n;
    cm_dup_sig_t  sig;

    n = 0;
    *nsigs = 0;

    for (i = 0; i < nfields; i++) {

        /* fewer bytes than characters wanted: surely too short */

        if (fields[i].value_len < min_chars) {
            continue;
        }

        if (cm_dup_sign(a, fields[i].value, fields[i].value_len, &sig)
            != CM_OK)
        {
            return CM_ERROR;
        }

        if (sig.chars < min_chars) {
            continue;
        }

        sig.field = i;

        for (j = 0; j < n; j++) {
            if (sigs[j].exact == sig.exact && sigs[j].chars == sig.chars) {
                break;
            }
        }

        if (j < n) {
            continue;
        }

        /* the longest "max" texts, longest first; ties keep body order */

        for (j = n; j > 0 && sigs[j - 1].chars < sig.chars; j--) {
            if (j < max) {
                sigs[j] = sigs[j - 1];
            }
        }

        if (j < max) {
            sigs[j] = sig;

            if (n < max) {
                n++;
            }
        }
    }

    *nsigs = n;

    return CM_OK;
}


/* splitmix64's finaliser: every input bit moves every output bit */

static uint64_t
cm_dup_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;

    return x;
}
