
/*
 * The Aho-Corasick automaton (cm_ac.c) against a plain search: every key
 * at every offset of random texts, with a small automaton (a full table)
 * and a large one (rows for the shallow states, edges for the rest), with
 * case folding and with bytes that stand for others.
 */


#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "cm_ac.h"


#define KEY_MAX   10

/* the tag each key is added with, checked with every hit */
#define TAG(i)    ((unsigned) ((i) * 7919) & 0xffff)


typedef struct {
    uint32_t        value;
    uint32_t        len;
    size_t          end;
} hit_t;


typedef struct {
    hit_t          *hits;
    size_t          n;
    size_t          alloc;
    unsigned        tags;            /* check them */
    size_t          bad_tags;
} hits_t;


typedef struct {
    unsigned char  *key;             /* KEY_MAX bytes each, mapped */
    unsigned char  *len;
    size_t          n;
    uint32_t       *table;           /* key index + 1, open addressing */
    size_t          size;
} keys_t;


static const char  alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 .-";

static unsigned char  same[256];
static unsigned       rnd_state = 12345;


static unsigned rnd(void);
static int hit(void *ctx, uint32_t value, uint32_t len, size_t end,
    unsigned tag);
static int hit_cmp(const void *a, const void *b);
static size_t key_hash(const unsigned char *p, size_t len, size_t size);
static void keys_make(keys_t *k, size_t n, size_t top);
static void keys_free(keys_t *k);
static cm_ac_t *ac_make(keys_t *k, unsigned fold, const unsigned char *map);
static unsigned char map_byte(unsigned char c, unsigned fold,
    const unsigned char *map);
static void naive(keys_t *k, const unsigned char *text, size_t len,
    unsigned fold, const unsigned char *map, hits_t *out);
static void text_make(keys_t *k, unsigned char *text, size_t len);
static void compare(const char *name, keys_t *k, size_t nkeys,
    unsigned fold, const unsigned char *map);
static void basic(void);


static unsigned
rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;

    return rnd_state >> 8;
}


static int
hit(void *ctx, uint32_t value, uint32_t len, size_t end,
    unsigned tag)
{
    hits_t  *h = ctx;

    if (h->tags && tag != TAG(value)) {
        h->bad_tags++;
    }

    if (h->n == h->alloc) {
        h->alloc = h->alloc ? h->alloc * 2 : 1024;
        h->hits = realloc(h->hits, h->alloc * sizeof(hit_t));
        if (h->hits == NULL) {
            abort();
        }
    }

    h->hits[h->n].value = value;
    h->hits[h->n].len = len;
    h->hits[h->n].end = end;
    h->n++;

    return 0;
}


static int
hit_cmp(const void *a, const void *b)
{
    const hit_t  *x = a, *y = b;

    if (x->end != y->end) {
        return x->end < y->end ? -1 : 1;
    }

    if (x->value != y->value) {
        return x->value < y->value ? -1 : 1;
    }

    return 0;
}


static size_t
key_hash(const unsigned char *p, size_t len, size_t size)
{
    size_t    i;
    uint64_t  h;

    h = 1469598103934665603ULL;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }

    return (size_t) (h >> 17) & (size - 1);
}


/* n distinct keys over the alphabet; "top" sets how bushy the trie is */

static void
keys_make(keys_t *k, size_t n, size_t top)
{
    size_t          i, j, h, len;
    unsigned char   buf[KEY_MAX];

    k->key = malloc(n * KEY_MAX);
    k->len = malloc(n);
    k->size = 1;

    while (k->size < n * 4) {
        k->size *= 2;
    }

    k->table = calloc(k->size, sizeof(uint32_t));
    k->n = 0;

    if (k->key == NULL || k->len == NULL || k->table == NULL) {
        abort();
    }

    while (k->n < n) {
        len = 1 + rnd() % KEY_MAX;

        for (j = 0; j < len; j++) {
            buf[j] = (unsigned char) alphabet[rnd() % (j < 2 ? top : 39)];
        }

        for (h = key_hash(buf, len, k->size); k->table[h];
             h = (h + 1) & (k->size - 1))
        {
            i = k->table[h] - 1;

            if (k->len[i] == len && memcmp(k->key + i * KEY_MAX, buf, len)
                == 0)
            {
                break;
            }
        }

        if (k->table[h]) {
            continue;
        }

        memcpy(k->key + k->n * KEY_MAX, buf, len);
        k->len[k->n] = (unsigned char) len;
        k->table[h] = (uint32_t) ++k->n;
    }
}


static void
keys_free(keys_t *k)
{
    free(k->key);
    free(k->len);
    free(k->table);
}


static cm_ac_t *
ac_make(keys_t *k, unsigned fold, const unsigned char *map)
{
    size_t            i;
    cm_ac_builder_t  *b;

    b = cm_ac_builder_create(&cm_alloc_malloc, fold, map);
    if (b == NULL) {
        return NULL;
    }

    for (i = 0; i < k->n; i++) {
        if (cm_ac_add_tag(b, k->key + i * KEY_MAX, k->len[i], (uint32_t) i,
                          TAG(i))
            != CM_OK)
        {
            cm_ac_builder_free(b);
            return NULL;
        }
    }

    return cm_ac_build(b);
}


static unsigned char
map_byte(unsigned char c, unsigned fold, const unsigned char *map)
{
    if (fold && c >= 'A' && c <= 'Z') {
        c |= 0x20;
    }

    return map ? map[c] : c;
}


/* every key at every offset, by the keys' hash */

static void
naive(keys_t *k, const unsigned char *text, size_t len, unsigned fold,
    const unsigned char *map, hits_t *out)
{
    size_t          i, j, n, h, x;
    unsigned char   buf[KEY_MAX], kb[KEY_MAX];

    for (i = 0; i < len; i++) {
        for (n = 1; n <= KEY_MAX && i + n <= len; n++) {
            for (j = 0; j < n; j++) {
                buf[j] = map_byte(text[i + j], fold, map);
            }

            /* the keys are stored as given: map them alike to compare */

            for (x = 0; x < k->n; x++) {
                if (k->len[x] != n) {
                    continue;
                }

                if (map == NULL) {
                    break;
                }

                for (j = 0; j < n; j++) {
                    kb[j] = map_byte(k->key[x * KEY_MAX + j], 0, map);
                }

                if (memcmp(kb, buf, n) == 0) {
                    hit(out, (uint32_t) x, (uint32_t) n, i + n, TAG(x));
                }
            }

            if (map) {
                continue;
            }

            for (h = key_hash(buf, n, k->size); k->table[h];
                 h = (h + 1) & (k->size - 1))
            {
                x = k->table[h] - 1;

                if (k->len[x] == n
                    && memcmp(k->key + x * KEY_MAX, buf, n) == 0)
                {
                    hit(out, (uint32_t) x, (uint32_t) n, i + n, TAG(x));
                }
            }
        }
    }
}


/* pieces of keys, in upper case at times, and bytes no key holds */

static void
text_make(keys_t *k, unsigned char *text, size_t len)
{
    size_t  i, j, x, n;

    for (i = 0; i < len; /* void */) {
        switch (rnd() % 4) {

        case 0:
            text[i++] = (unsigned char) (rnd() % 256);
            break;

        default:
            x = rnd() % k->n;
            n = 1 + rnd() % k->len[x];

            for (j = 0; j < n && i < len; j++) {
                text[i] = k->key[x * KEY_MAX + j];

                if (rnd() % 8 == 0 && text[i] >= 'a' && text[i] <= 'z') {
                    text[i] &= ~0x20;
                }

                i++;
            }
        }
    }
}


static void
compare(const char *name, keys_t *k, size_t nkeys, unsigned fold,
    const unsigned char *map)
{
    int             same_hits;
    size_t          round, len;
    hits_t          got, want;
    cm_ac_t        *ac;
    unsigned char   text[4096];
    char            label[128];

    ac = ac_make(k, fold, map);

    snprintf(label, sizeof(label), "%s: %zu keys built", name, nkeys);
    ok(ac != NULL, label);

    if (ac == NULL) {
        return;
    }

    same_hits = 1;
    memset(&got, 0, sizeof(hits_t));
    memset(&want, 0, sizeof(hits_t));

    for (round = 0; round < 20 && same_hits; round++) {
        len = 1 + rnd() % sizeof(text);
        text_make(k, text, len);

        got.n = 0;
        want.n = 0;

        got.tags = 1;
        cm_ac_scan(ac, text, len, hit, &got);
        naive(k, text, len, fold, map, &want);

        qsort(got.hits, got.n, sizeof(hit_t), hit_cmp);
        qsort(want.hits, want.n, sizeof(hit_t), hit_cmp);

        same_hits = got.n == want.n
                    && (got.n == 0
                        || memcmp(got.hits, want.hits, got.n * sizeof(hit_t))
                           == 0);

        if (!same_hits) {
            printf("# round %zu: %zu hits, %zu expected\n", round, got.n,
                   want.n);
        }
    }

    snprintf(label, sizeof(label), "%s: every key found where it is, "
             "nothing else (%zu states)", name, cm_ac_states(ac));
    ok(same_hits, label);

    snprintf(label, sizeof(label), "%s: each hit with its key's tag", name);
    is_int(got.bad_tags, 0, label);

    free(got.hits);
    free(want.hits);
    cm_ac_free(ac);
}


/* overlapping keys, and one key inside another */

static void
basic(void)
{
    size_t            i;
    hits_t            got;
    cm_ac_t          *ac;
    cm_ac_builder_t  *b;
    char              found[64];
    const char       *keys[] = { "he", "she", "his", "hers", "h" };

    b = cm_ac_builder_create(&cm_alloc_malloc, 1, NULL);

    for (i = 0; b != NULL && i < 5; i++) {
        if (cm_ac_add(b, (const unsigned char *) keys[i], strlen(keys[i]),
                      (uint32_t) i)
            != CM_OK)
        {
            cm_ac_builder_free(b);
            b = NULL;
        }
    }

    ac = b ? cm_ac_build(b) : NULL;
    ok(ac != NULL, "five keys built");

    if (ac == NULL) {
        return;
    }

    memset(&got, 0, sizeof(hits_t));
    cm_ac_scan(ac, (const unsigned char *) "USHERS", 6, hit, &got);

    found[0] = '\0';

    for (i = 0; i < got.n; i++) {
        snprintf(found + strlen(found), sizeof(found) - strlen(found),
                 "%s%s@%zu", i ? " " : "", keys[got.hits[i].value],
                 got.hits[i].end);
    }

    is_int(got.n, 4, "four hits in USHERS");
    is_str(found, strlen(found), "h@3 she@4 he@4 hers@6",
           "in order of their end, the longer first");

    free(got.hits);
    cm_ac_free(ac);
}


int
main(void)
{
    unsigned  i;
    keys_t    small, large;

    for (i = 0; i < 256; i++) {
        same[i] = (unsigned char) i;
    }

    same['l'] = 'i';
    same['1'] = 'i';
    same['0'] = 'o';

    basic();

    keys_make(&small, 300, 39);
    compare("small automaton", &small, small.n, 0, NULL);
    compare("small automaton, folded", &small, small.n, 1, NULL);
    compare("small automaton, folded and mapped", &small, small.n, 1, same);

    /* a trie wider than a full table allows: shallow rows, deep edges */

    keys_make(&large, 300000, 39);
    compare("large automaton", &large, large.n, 0, NULL);
    compare("large automaton, folded", &large, large.n, 1, NULL);
    keys_free(&large);

    /* a narrow start: most of the text stays in the shallow rows */

    keys_make(&large, 300000, 3);
    compare("large automaton, narrow start", &large, large.n, 1, NULL);
    keys_free(&large);

    keys_free(&small);

    return tap_done();
}
