
/*
 * Models: the features, the file (written, read back, damaged files
 * refused with FILE:LINE), the probability against one computed here
 * from the features, repetition that must not move it, "model" rules in
 * a rule set, and their errors.
 */


#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cm_engine.h"
#include "cm_model.h"
#include "alloc.h"
#include "tap.h"


#define BITS     12


typedef struct {
    size_t                n;
    size_t                kinds[3];
    uint32_t              buckets[256];
    size_t                start[256];
    size_t                end[256];
    unsigned              kind[256];

    /* each bucket once, and how often it came up */
    size_t                ndistinct;
    uint32_t              distinct[1 << BITS];
    uint32_t              count[1 << BITS];
} occ_t;


static int collect(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end);
static int sum_share(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end, double share);
static void features(const char *text, occ_t *o);
static void view_features(const char *text, occ_t *o);
static int has(const occ_t *o, unsigned kind, size_t start, size_t end);
static uint32_t pair_bucket(const occ_t *o);
static double expected(const double *w, double bias, const char *text);
static double predict(const cm_model_t *m, const char *text);
static char *repeat(const char *head, const char *s, size_t n);
static void spam_weights(double *w);
static const char *path(const char *name);
static void write_file(const char *name, const void *data, size_t len);
static void write_spam_model(const char *name, double bias,
    double threshold);
static void write_model(const char *name, const double *w, double bias,
    double threshold);
static void write_model_tokens(const char *name, const double *w,
    const char *tokens);
static void write_spec(const char *name, const cm_model_spec_t *spec);
static char *read_model(const char *name, size_t *len);
static void model_error(const char *name, const char *text, size_t len,
    const char *want, ...);
static void rules_error(const char *text, const char *want, ...);
static void model_error_file(const char *name, const char *want);
static cm_ruleset_t *rules(const char *text, int reference);
static int match(cm_ruleset_t *rs, const char *name, const char *value,
    cm_result_t *res);
static uint32_t fnv(const void *p, size_t len);
static void test_features(void);
static void test_file(void);
static void test_predict(void);
static void test_repeat(void);
static void test_rules(void);
static void test_errors(void);
static void test_memory(void);
static void test_tokens(void);
static void test_rates(void);
static void test_shared_scratch(void);
static void signature(cm_ruleset_t *rs, cm_scratch_t *s, const char *text,
    char *buf, size_t len);


static char           dir[64];
static void          *fstate;        /* cm_model_features' */
static cm_scratch_t  *scratch;
static void          *state;         /* cm_model_predict's */
static size_t         state_size;
static arena_t        arena;
static cm_alloc_t     arena_allocator = { arena_alloc, NULL, &arena };


int
main(void)
{
    char  cmd[128];

    strcpy(dir, "/tmp/cm_model_test.XXXXXX");

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    arena.size = 16 << 20;
    arena.buf = calloc(1, arena.size);
    fstate = calloc(1, cm_model_scratch_size(BITS));
    scratch = cm_scratch_create(&cm_alloc_malloc, 0, 0);
    ok(arena.buf && scratch, "scratch created");

    test_features();
    test_file();
    test_predict();
    test_repeat();
    test_rules();
    test_errors();
    test_memory();
    test_tokens();
    test_rates();
    test_shared_scratch();

    cm_scratch_free(scratch);
    free(arena.buf);
    free(fstate);
    free(state);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

    if (system(cmd) != 0) {
        printf("# could not remove %s\n", dir);
    }

    return tap_done();
}


static void
test_features(void)
{
    size_t  i;
    occ_t   o, o2;

    /* " ab ": " a", " ab", " ab ", "ab", "ab ", "b "; the word "ab" */

    features("ab", &o);
    is_int(o.kinds[CM_MODEL_CHAR], 6, "ab: 6 character n-grams");
    is_int(o.kinds[CM_MODEL_WORD], 1, "ab: 1 word");
    is_int(o.kinds[CM_MODEL_PAIR], 0, "ab: no pair");
    ok(has(&o, CM_MODEL_CHAR, 0, 2), "ab: an n-gram over the whole token");
    ok(has(&o, CM_MODEL_WORD, 0, 2), "ab: the word's place");

    /* two tokens of one letter: 3 n-grams each, 2 words, 1 pair */

    features("a b", &o);
    is_int(o.kinds[CM_MODEL_CHAR], 6, "a b: 6 character n-grams");
    is_int(o.kinds[CM_MODEL_WORD], 2, "a b: 2 words");
    is_int(o.kinds[CM_MODEL_PAIR], 1, "a b: 1 pair");
    ok(has(&o, CM_MODEL_WORD, 2, 3), "a b: the second word");
    ok(has(&o, CM_MODEL_PAIR, 0, 3), "a b: the pair spans both");

    /* a long token: 2- to 5-grams at each place, " abcdefgh " */

    features("abcdefgh", &o);
    is_int(o.kinds[CM_MODEL_CHAR], 9 + 8 + 7 + 6, "long token: n-grams");

    /* an n-gram counts as often as it comes up in the token */

    features("haha", &o);
    is_int(o.kinds[CM_MODEL_CHAR], 5 + 4 + 3 + 2, "haha: 14 n-grams, ha twice");
    is_int(o.ndistinct, 13 + 1, "haha: 13 distinct n-grams and a word");

    /* a run of a character is cut to 2, in n-grams and words alike */

    features("wowwwwwwww", &o);
    features("woww", &o2);
    ok(o.n == o2.n && memcmp(o.buckets, o2.buckets,
                             o.n * sizeof(uint32_t)) == 0,
       "wowwwwwwww: the buckets of woww");
    features("mantaaaap!!!!", &o);
    features("mantaap!!", &o2);
    ok(o.n == o2.n && memcmp(o.buckets, o2.buckets,
                             o.n * sizeof(uint32_t)) == 0,
       "mantaaaap!!!!: the buckets of mantaap!!");
    ok(has(&o, CM_MODEL_WORD, 0, 9), "mantaaaap: the word spans the run");

    /* a pair of words in a token is ordered: aa.ba is not ab.aa */

    features("aa.ba", &o);
    features("ab.aa", &o2);
    ok(pair_bucket(&o) != pair_bucket(&o2), "aa.ba and ab.aa: two pairs");

    /* punctuation ends words, not tokens */

    features("wa.me/62812", &o);
    is_int(o.kinds[CM_MODEL_WORD], 3, "wa.me/62812: 3 words");
    is_int(o.kinds[CM_MODEL_PAIR], 2, "wa.me/62812: 2 pairs");
    is_int(o.kinds[CM_MODEL_CHAR], 12 + 11 + 10 + 9, "one token");

    /*
     * Letters past ASCII are letters, an emoji is no word; n-grams count
     * characters, not bytes (a view of our own: normalising would take
     * the accent off)
     */

    view_features("caf\xc3\xa9 \xf0\x9f\x94\xa5", &o);
    is_int(o.kinds[CM_MODEL_WORD], 1, "café and an emoji: 1 word");
    ok(has(&o, CM_MODEL_WORD, 0, 5), "café: its bytes");
    is_int(o.kinds[CM_MODEL_CHAR], (5 + 4 + 3 + 2) + 3,
           "n-grams by characters, not bytes");

    /* spaces only: nothing */

    features("", &o);
    is_int(o.n, 0, "empty: no feature");
    features("   ", &o);
    is_int(o.n, 0, "spaces: no feature");

    /* the same text, the same buckets; all inside 2^bits */

    features("slot gacor maxwin hari ini", &o);
    features("slot gacor maxwin hari ini", &o2);
    ok(o.n == o2.n && memcmp(o.buckets, o2.buckets,
                             o.n * sizeof(uint32_t)) == 0,
       "the same buckets twice");

    for (i = 0; i < o.n; i++) {
        if (o.buckets[i] >= (1u << BITS)) {
            break;
        }
    }

    is_int(i, o.n, "buckets below 2^bits");

    /* a different word, different buckets for its word feature */

    features("slot", &o);
    features("slit", &o2);
    ok(o.buckets[o.n - 1] != o2.buckets[o2.n - 1], "slot and slit differ");
}


static void
test_file(void)
{
    char              err[CM_ERRLEN], *text, *text2;
    size_t            len, len2;
    double           *w;
    const char       *hdr;
    cm_model_t       *m;
    cm_model_info_t   info;

    w = calloc(1 << BITS, sizeof(double));
    spam_weights(w);

    write_model("a.model", w, -2.5, 0.7);
    text = read_model("a.model", &len);

    hdr = "cm-model 4\n# test\nfeatures char2-5 word1-2 by token, runs of 2\n"
          "bits 12\nbias -2.5\nthreshold 0.69999999999999996\nscale ";
    is_str(text, strlen(hdr), hdr, "header");

    /* the same spec, the same bytes */

    write_model("b.model", w, -2.5, 0.7);
    text2 = read_model("b.model", &len2);
    ok(len == len2 && memcmp(text, text2, len) == 0,
       "written twice: the same bytes");
    free(text);
    free(text2);

    m = cm_model_load(&cm_alloc_malloc, path("a.model"), err, sizeof(err));
    ok(m != NULL, "loads");

    if (m == NULL) {
        printf("# %s\n", err);
        free(w);
        return;
    }

    cm_model_info(m, &info);
    is_int(info.bits, BITS, "bits");
    ok(info.bias == -2.5, "bias");
    ok(info.threshold == 0.7, "threshold");
    ok(info.weights > 10, "weights");
    ok(fabs(cm_model_weight(m, 0) - w[0]) < 1e-3, "a weight back");

    cm_model_free(&cm_alloc_malloc, m);
    free(w);
}


static void
test_predict(void)
{
    int                i;
    char               err[CM_ERRLEN];
    double            *w, p, want, sum;
    cm_view_t          v;
    cm_model_t        *m;
    static const char *texts[] = {
        "slot gacor",
        "SLOT GACOR maxwin",
        "Terima kasih infonya, sangat bermanfaat",
        "x",
        "caf\xc3\xa9 \xf0\x9f\x94\xa5 gacor gacor gacor",
        NULL
    };

    w = calloc(1 << BITS, sizeof(double));
    spam_weights(w);
    write_model("p.model", w, -1.0, 0.5);

    m = cm_model_load(&cm_alloc_malloc, path("p.model"), err, sizeof(err));
    ok(m != NULL, "p.model loads");

    if (m == NULL) {
        free(w);
        return;
    }

    state_size = cm_model_state_size(m);
    is_int(state_size, cm_model_scratch_size(BITS),
           "scratch: as cm_model_scratch_size says");
    ok(state_size > 4096 / 64 * 12 && state_size < 64 * 1024,
       "scratch: a bit a bucket, a word's index for each 64, two tables");

    state = calloc(1, state_size);

    /* against the features summed here, with the file's rounding */

    for (i = 0; texts[i]; i++) {
        cm_view_norm(&cm_alloc_malloc, (const unsigned char *) texts[i],
                     strlen(texts[i]), &v);

        p = cm_model_predict(m, state, &v);
        ok(cm_model_predict(m, state, &v) == p,
           "the same again: the scratch was left ready");
        want = expected(w, -1.0, texts[i]);

        ok(fabs(p - want) < 1e-4, "p(\"%s\") = %.4f", texts[i], want);

        if (fabs(p - want) >= 1e-4) {
            printf("#   got %.6f\n", p);
        }

        /* the shares add up to the score */

        sum = -1.0;

        ok(cm_model_explain(m, &cm_alloc_malloc, &v, sum_share, &sum, &want)
           == CM_OK, "explain");
        ok(fabs(want - p) < 1e-9 && fabs(1 / (1 + exp(-sum)) - p) < 1e-9,
           "explain: shares add up to p");

        free(v.text);
        free(v.map);
    }

    ok(expected(w, -1.0, "slot gacor") > 0.9, "spam words: high");
    ok(expected(w, -1.0, "terima kasih") < 0.2, "ham words: low");

    cm_view_norm(&cm_alloc_malloc, (const unsigned char *) " ", 1, &v);
    ok(cm_model_predict(m, state, &v) == 0, "no feature: 0");
    free(v.text);
    free(v.map);

    cm_model_free(&cm_alloc_malloc, m);
    free(w);
}


/*
 * Repetition: a bucket counts once in a field, so repeating a token, a
 * phrase or a character moves the probability no further than saying
 * it twice; a run of one character is one token of a few buckets, which
 * weigh as 128.
 */

static void
test_repeat(void)
{
    char          err[CM_ERRLEN], *text, *text2;
    size_t        n;
    double       *w, p, q;
    occ_t        *o;
    cm_model_t   *m;
    cm_result_t   res;
    cm_ruleset_t *rs;
    static const char  *spam = "Slot gacor maxwin";

    w = calloc(1 << BITS, sizeof(double));
    o = malloc(sizeof(occ_t));
    spam_weights(w);
    write_model("models/rep.model", w, -1.0, 0.5);

    m = cm_model_load(&cm_alloc_malloc, path("models/rep.model"), err,
                      sizeof(err));
    ok(m != NULL, "rep.model loads");

    if (m == NULL) {
        free(w);
        free(o);
        return;
    }

    /* 64 KB of the digit 1: a few buckets, however long the run */

    text = repeat("", "1", 65536);
    features(text, o);
    is_int(o->ndistinct, 7,
           "64 KB of '1': 7 buckets (6 n-grams of 11, a word)");

    p = predict(m, text);
    ok(fabs(p - expected(w, -1.0, text)) < 1e-4,
       "64 KB of '1': p as summed here");
    ok(p <= predict(m, "11111"), "64 KB of '1': no higher than '11111'");
    ok(p < 0.95, "64 KB of '1': bounded by its 7 buckets over sqrt(128)");

    if (p >= 0.95) {
        printf("#   got %.6f\n", p);
    }
    free(text);

    /* a word 5000 times: the same as twice */

    text = repeat("", "slot ", 5000);
    p = predict(m, text);
    q = predict(m, "slot slot");
    ok(p == q, "'slot ' x 5000: p as of \"slot slot\"");

    if (p != q) {
        printf("#   got %.6f and %.6f\n", p, q);
    }
    features(text, o);
    n = o->ndistinct;
    features("slot slot", o);
    is_int(n, o->ndistinct, "'slot ' x 5000: the buckets of \"slot slot\"");
    free(text);

    /* a ham phrase 200 times after spam: the same as twice */

    text = repeat(spam, " terima kasih", 200);
    text2 = repeat(spam, " terima kasih", 2);
    p = predict(m, text);
    q = predict(m, text2);
    ok(p == q, "spam + ham x 200: p as with the ham twice");
    ok(p >= 0.95, "spam + ham x 200: still flagged");

    if (p != q || p < 0.95) {
        printf("#   got %.6f and %.6f\n", p, q);
    }

    ok(fabs(p - expected(w, -1.0, text)) < 1e-4,
       "spam + ham x 200: p as summed here");
    free(text2);

    /* and through a rule set, whose scratch holds the bits */

    rs = rules("model 5001 5 models/rep.model threshold=0.95\n", 0);
    ok(rs != NULL, "a rule set with rep.model");

    if (rs) {
        ok(match(rs, "comment", text, &res) == CM_OK && res.nhits == 1,
           "spam + ham x 200: the model's hit");
        ok(match(rs, "comment", text, &res) == CM_OK && res.nhits == 1,
           "the same again: the scratch was cleared");
        free(text);

        text = repeat("", "1", 65536);
        ok(match(rs, "comment", text, &res) == CM_OK && res.nhits == 0,
           "64 KB of '1' through the rules: no hit... ");
        cm_ruleset_free(rs);

        rs = rules("model 5001 5 models/rep.model threshold=0.95\n", 1);
        ok(rs != NULL && match(rs, "comment", text, &res) == CM_OK
           && res.nhits == 0, "... nor in a reference rule set");
        cm_ruleset_free(rs);
    }

    free(text);

    /* a spam word 1000 times after ham: the same as twice */

    text = repeat("Terima kasih infonya", " gacor", 1000);
    text2 = repeat("Terima kasih infonya", " gacor", 2);
    ok(predict(m, text) == predict(m, text2),
       "ham + 'gacor' x 1000: p as with it twice");
    free(text);
    free(text2);

    cm_model_free(&cm_alloc_malloc, m);
    free(w);
    free(o);
}


static void
test_rules(void)
{
    size_t         i, n;
    double         th;
    cm_result_t    res;
    cm_ruleset_t  *rs;
    cm_rule_info_t info;
    char           needs[64];
    static const char  *spam = "Slot gacor maxwin";

    write_spam_model("models/r.model", -1.0, 0.6);

    rs = rules("re 1 2 /terima/ tag=thanks\n"
               "model 5001 5 models/r.model tag=model msg=\"Model\"\n", 0);
    ok(rs != NULL, "a model rule loads");

    if (rs == NULL) {
        return;
    }

    is_int(match(rs, "comment", spam, &res), CM_OK, "match");
    is_int(res.nhits, 1, "the model's hit");
    is_int(res.score, 5, "its score");

    if (res.nhits == 1) {
        is_int(res.hits[0].id, 5001, "its id");
        is_str(res.hits[0].tag, strlen(res.hits[0].tag), "model", "its tag");
        is_str(res.hits[0].msg, strlen(res.hits[0].msg), "Model", "its msg");
        is_int(res.hits[0].start, 0, "over the field: start");
        is_int(res.hits[0].end, strlen(spam), "over the field: end");
    }

    is_int(match(rs, "comment", "terima kasih", &res), CM_OK, "match ham");
    is_int(res.nhits, 1, "ham: only the regex");
    is_int(res.score, 2, "ham: its score");

    /* after the rules' hits */

    is_int(match(rs, "comment", "terima slot gacor", &res), CM_OK,
           "match both");
    ok(res.nhits == 2 && res.hits[0].id == 1 && res.hits[1].id == 5001,
       "the model's hit after the rules'");

    n = cm_ruleset_nrules(rs);
    is_int(n, 2, "two rules");

    cm_ruleset_rule(rs, 1, &info);
    is_int(info.id, 5001, "info: id");
    ok(strcmp(info.file, path("test.rules")) == 0 && info.line == 2,
       "info: file and line");

    cm_ruleset_rule_needs(rs, 1, needs, sizeof(needs));
    is_str(needs, strlen(needs), "model", "needs: model");

    ok(cm_ruleset_rule_model(rs, 1, &th) != NULL && th == 0.6,
       "the file's threshold");
    ok(cm_ruleset_rule_model(rs, 0, &th) == NULL, "a regex has no model");

    cm_ruleset_free(rs);

    /* threshold=, field= */

    rs = rules("model 7 5 models/r.model threshold=1\n", 0);
    ok(rs != NULL && match(rs, "comment", "gacor", &res) == CM_OK
       && res.nhits == 0, "threshold=1: no hit");
    cm_ruleset_free(rs);

    rs = rules("model 7 5 models/r.model field=komentar threshold=0.2\n", 0);
    ok(rs != NULL && match(rs, "nama", spam, &res) == CM_OK
       && res.nhits == 0, "field=: other fields not scored");
    ok(rs != NULL && match(rs, "komentar", spam, &res) == CM_OK
       && res.nhits == 1, "field=: its field scored");
    cm_ruleset_free(rs);

    /* the reference rule set scores it the same */

    rs = rules("re 1 2 /halo/\nmodel 5001 5 models/r.model\n", 1);
    ok(rs != NULL && match(rs, "comment", "halo slot gacor", &res) == CM_OK
       && res.nhits == 2 && res.hits[1].id == 5001 && res.score == 7,
       "reference: the same hits");
    cm_ruleset_free(rs);

    /* two rules on one model file, with their own thresholds */

    rs = rules("model 1 3 models/r.model\n"
               "model 2 4 models/r.model threshold=1\n", 0);
    ok(rs != NULL && match(rs, "comment", spam, &res) == CM_OK
       && res.nhits == 1 && res.hits[0].id == 1, "one file, two rules");

    for (i = 0; rs && i < 2; i++) {
        cm_ruleset_rule_model(rs, i, &th);
        ok(th == (i ? 1.0 : 0.6), "rule %zu: threshold %g", i + 1, th);
    }

    cm_ruleset_free(rs);
}


static void
test_errors(void)
{
    char      *text, *data, buf[4096];
    size_t     len, hlen;
    char      *eol;

    write_spam_model("e.model", -1.0, 0.5);

    /* the rule line */

    rules_error("model 1 5\n", "test.rules:1: missing model file");
    rules_error("model 1 5 e.model threshold=2\n",
                "test.rules:1: bad threshold \"2\", must be a probability "
                "above 0 and at most 1, or a share of ham such as 3%%");
    rules_error("model 1 5 e.model threshold=0\n",
                "test.rules:1: bad threshold \"0\", must be a probability "
                "above 0 and at most 1, or a share of ham such as 3%%");
    rules_error("model 1 5 e.model threshold=x\n",
                "test.rules:1: bad threshold \"x\", must be a probability "
                "above 0 and at most 1, or a share of ham such as 3%%");
    rules_error("model 1 5 e.model view=raw\n",
                "test.rules:1: unknown option \"view\" for a model rule");
    rules_error("model 1 5 e.model count=2\n",
                "test.rules:1: unknown option \"count\" for a model rule");
    rules_error("re 1 5 /a/ threshold=0.5\n",
                "test.rules:1: unknown option \"threshold\" for a re rule");
    rules_error("re 1 1 /a/\nmodel 1 5 e.model\n",
                "test.rules:2: duplicate rule id 1 (first defined at "
                "%s:1)", path("test.rules"));
    rules_error("model 1 5 none.model\n",
                "test.rules:1: cannot open \"%s\": No such file or "
                "directory", path("none.model"));

    mkdir(path("dir.model"), 0700);
    rules_error("model 1 5 dir.model\n",
                "test.rules:1: cannot read \"%s\": not a regular file",
                path("dir.model"));

    /* the file's header, by line */

    model_error("x.model", "hello\n", 6,
                "x.model:1: not a model file (no \"cm-model\" line)");
    model_error("x.model", "", 0,
                "x.model:1: not a model file (no \"cm-model\" line)");
    model_error("x.model", "cm-model 1\nfeatures char2-5 word1-2\n", 35,
                "x.model:1: model version 1, this engine reads version 4: "
                "train it again");
    model_error("x.model", "cm-model 2\nfeatures char2-5 word1-2\n", 35,
                "x.model:1: model version 2, this engine reads version 4: "
                "train it again");
    model_error("x.model", "cm-model 3\nfeatures char2-5 word1-2 by token\n",
                45,
                "x.model:1: model version 3, this engine reads version 4: "
                "train it again");
    model_error("x.model", "cm-model 5\n", 11,
                "x.model:1: model version 5, this engine reads version 4: "
                "train it again");
    model_error("x.model", "cm-model one\n", 13,
                "x.model:1: bad version \"one\"");

#define HDR  "cm-model 4\nfeatures char2-5 word1-2 by token, runs of 2\n"

    model_error("x.model", HDR "bits 40\n", sizeof(HDR "bits 40\n") - 1,
                "x.model:3: bits must be 8 to 24");
    model_error("x.model", HDR "bits 12\nbits 12\n",
                sizeof(HDR "bits 12\nbits 12\n") - 1,
                "x.model:4: \"bits\" given twice");
    model_error("x.model", HDR "# ok\nweights 3\n",
                sizeof(HDR "# ok\nweights 3\n") - 1,
                "x.model:4: unknown header line \"weights\"");
    model_error("x.model", HDR "threshold 1.5\n",
                sizeof(HDR "threshold 1.5\n") - 1,
                "x.model:3: threshold must be a number above 0 and at "
                "most 1");
    model_error("x.model", HDR "bias nan\n", sizeof(HDR "bias nan\n") - 1,
                "x.model:3: bad bias");
    model_error("x.model", "cm-model 4\nfeatures char1-3\n",
                sizeof("cm-model 4\nfeatures char1-3\n") - 1,
                "x.model:2: features \"char1-3\" unknown, this engine "
                "computes \"char2-5 word1-2 by token, runs of 2\"");
    model_error("x.model", HDR "bits 12\ndata 0 0 811c9dc5\n",
                sizeof(HDR "bits 12\ndata 0 0 811c9dc5\n") - 1,
                "x.model:4: header incomplete before \"data\": it needs "
                "features, bits, bias, threshold and scale");

#define FULL  HDR "bits 12\nbias 0\nthreshold 0.5\nscale 1\n"

    model_error("x.model", FULL, sizeof(FULL) - 1,
                "x.model:6: no \"data\" line: the file is cut short");
    model_error("x.model", FULL "data 1 2\n", sizeof(FULL "data 1 2\n") - 1,
                "x.model:7: bad data line, must be \"data RECORDS BYTES "
                "CHECKSUM\"");
    model_error("x.model", FULL "\x01\x02\x7f\n",
                sizeof(FULL "\x01\x02\x7f\n") - 1,
                "x.model:7: binary bytes in the header: the \"data\" line "
                "is missing or damaged");

    /* the data: cut short, damaged, a bucket out of range */

    text = read_model("e.model", &len);
    eol = strchr(strstr(text, "\ndata ") + 1, '\n');
    hlen = eol + 1 - text;

    model_error("x.model", text, len - 5,
                "x.model: %zu bytes of data where the header says %zu: the "
                "file is cut short or damaged", len - 5 - hlen, len - hlen);

    text[len - 1] ^= 0x40;
    model_error("x.model", text, len,
                "x.model: checksum mismatch: the data is damaged");
    free(text);

    /* a gap past 2^12, with a right checksum */

    data = "\xff\x7f\x01\x00";
    hlen = snprintf(buf, sizeof(buf), FULL "data 1 4 %08x\n", fnv(data, 4));
    memcpy(buf + hlen, data, 4);
    model_error("x.model", buf, hlen + 4,
                "x.model: record 1 of 1: bucket past 2^12");

    /* more bytes than records */

    data = "\x01\x05\x00\x00";
    hlen = snprintf(buf, sizeof(buf), FULL "data 1 4 %08x\n", fnv(data, 4));
    memcpy(buf + hlen, data, 4);
    model_error("x.model", buf, hlen + 4,
                "x.model: 1 bytes after the last record");

    /* a record cut in its gap */

    data = "\x01\x05\x00\x80";
    hlen = snprintf(buf, sizeof(buf), FULL "data 2 4 %08x\n", fnv(data, 4));
    memcpy(buf + hlen, data, 4);
    model_error("x.model", buf, hlen + 4,
                "x.model: record 2 of 2 is malformed or cut short");

    /* a damaged file named by a rule: the file's own error */

    write_file("bad.model", "cm-model 4\nbits 12\n", 19);
    rules_error("model 1 5 bad.model\n",
                "bad.model:2: no \"data\" line: the file is cut short");
}


static void
test_memory(void)
{
    char           err[CM_ERRLEN];
    cm_alloc_t     a;
    counter_t      c;
    cm_model_t    *m;
    cm_ruleset_t  *rs;

    write_spam_model("mem.model", -1.0, 0.5);

    memset(&c, 0, sizeof(counter_t));
    a.alloc = count_alloc;
    a.free = count_free;
    a.data = &c;

    m = cm_model_load(&a, path("mem.model"), err, sizeof(err));
    ok(m != NULL, "loads with a counting allocator");
    cm_model_free(&a, m);
    ok(c.allocs > 0 && c.allocs == c.frees, "all of a model freed");

    memset(&c, 0, sizeof(counter_t));
    m = cm_model_load(&a, path("bad.model"), err, sizeof(err));
    ok(m == NULL && c.allocs == c.frees, "a bad file: nothing left");

    write_file("mem.rules", "model 1 5 mem.model\n", 20);

    memset(&c, 0, sizeof(counter_t));
    rs = cm_ruleset_create(&a);
    ok(cm_ruleset_add_file(rs, path("mem.rules"), err, sizeof(err)) == CM_OK
       && cm_ruleset_compile(rs, err, sizeof(err)) == CM_OK,
       "a rule set with a model");
    cm_ruleset_free(rs);
    ok(c.allocs == c.frees, "all of a rule set with a model freed");
}


/*
 * The list of tokens saves time and changes nothing: every text scores
 * the same, to the bit, with its tokens listed or not; a bad list is
 * refused.
 */

static void
test_tokens(void)
{
    int                i, n;
    char               err[CM_ERRLEN], *big;
    double            *w, p, q;
    void              *st;
    cm_view_t          v;
    cm_model_t        *plain, *listed;
    cm_model_info_t    info;
    static const char *tokens = "slot\ngacor\nterima\nkasih\nslot88.\n"
                                "wa.me/62812\ncaf\xc3\xa9\n1111111111\n"
                                "\xf0\x9f\x94\xa5\n";
    static const char *texts[] = {
        "slot gacor",
        "SLOT GACOR slot88. terima kasih terima",
        "hubungi wa.me/62812 sekarang slot",
        "caf\xc3\xa9 \xf0\x9f\x94\xa5 gacor 1111111111 1111111111",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z slot",
        "kasih, terima... slot! gacor? 1111111111x",
        NULL
    };

    w = calloc(1 << BITS, sizeof(double));
    spam_weights(w);
    write_model_tokens("plain.model", w, "");
    write_model_tokens("listed.model", w, tokens);

    plain = cm_model_load(&cm_alloc_malloc, path("plain.model"), err,
                          sizeof(err));
    listed = cm_model_load(&cm_alloc_malloc, path("listed.model"), err,
                           sizeof(err));
    ok(plain && listed, "models with and without tokens load");

    if (plain == NULL || listed == NULL) {
        printf("# %s\n", err);
        goto done;
    }

    cm_model_info(listed, &info);
    is_int(info.tokens, 9, "9 tokens listed");

    st = calloc(1, cm_model_state_size(listed));

    for (i = 0; texts[i]; i++) {
        cm_view_norm(&cm_alloc_malloc, (const unsigned char *) texts[i],
                     strlen(texts[i]), &v);

        p = cm_model_predict(plain, st, &v);
        q = cm_model_predict(listed, st, &v);

        ok(p == q && p > 0, "listed or not, the same p for \"%s\"",
           texts[i]);

        if (p != q) {
            printf("#   %.17g and %.17g\n", p, q);
        }

        free(v.text);
        free(v.map);
    }

    /* past 2048 tokens and pairs, the field's set goes on in bits */

    big = malloc(3000 * 12);

    for (i = 0, n = 0; i < 3000; i++) {
        n += sprintf(big + n, "%s%d ", i % 3 ? "slot" : "kasih", i % 1500);
    }

    cm_view_norm(&cm_alloc_malloc, (const unsigned char *) big, n, &v);
    p = cm_model_predict(plain, st, &v);
    q = cm_model_predict(listed, st, &v);
    ok(p == q && fabs(p - expected(w, -1.0, big)) < 1e-4
       && cm_model_predict(plain, st, &v) == p,
       "1500 distinct tokens and their pairs: p as summed here, listed or "
       "not, and again");
    free(v.text);
    free(v.map);
    free(big);

    free(st);

    /* bad lists */

    write_model_tokens("t1.model", w, "slot\na b\n");
    model_error_file("t1.model", "t1.model: token 2 is not UTF-8 or holds a "
                     "space");
    write_model_tokens("t2.model", w, "slot\n\xff\xfe\n");
    model_error_file("t2.model", "t2.model: token 2 is not UTF-8 or holds a "
                     "space");
    write_model_tokens("t3.model", w, "slot\ngacor\nslot\n");
    model_error_file("t3.model", "t3.model: token 3, \"slot\", is listed "
                     "twice");
    write_model_tokens("t4.model", w, "slot\n\ngacor\n");
    model_error_file("t4.model", "t4.model: token 2 is empty or longer than "
                     "64 bytes");
    write_model_tokens("t5.model", w, "slot\n"
                       "0123456789012345678901234567890123456789"
                       "01234567890123456789012345\n");
    model_error_file("t5.model", "t5.model: token 2 is empty or longer than "
                     "64 bytes");

done:

    cm_model_free(&cm_alloc_malloc, plain);
    cm_model_free(&cm_alloc_malloc, listed);
    free(w);
}


/*
 * Thresholds by share of ham: the file keeps them, a rule names one with
 * threshold=R%; two rules naming one file share the model
 */

static void
test_rates(void)
{
    char               err[CM_ERRLEN];
    double            *w, th, th2;
    size_t             i;
    unsigned char     *buf;
    cm_model_t        *m;
    cm_ruleset_t      *rs;
    cm_model_spec_t    spec;
    const cm_model_t  *m1, *m2;
    static double      rates[] = { 0.01, 0.03 };
    static double      ths[] = { 0.75, 0.4 };

    w = calloc(1 << BITS, sizeof(double));
    spam_weights(w);

    memset(&spec, 0, sizeof(cm_model_spec_t));
    spec.bits = BITS;
    spec.bias = -1.0;
    spec.threshold = 0.75;
    spec.w = w;
    spec.rates = rates;
    spec.rate_thresholds = ths;
    spec.nrates = 2;

    ok(cm_model_encode(&cm_alloc_malloc, &spec, &buf, &i, err, sizeof(err))
       == CM_OK, "a model with rates encodes");
    write_file("models/rates.model", buf, i);
    ok(strstr((char *) buf, "\nrates 0.01 0.75 0.029999999999999999 0.40"
              "000000000000002\n") != NULL, "the rates line");
    free(buf);

    m = cm_model_load(&cm_alloc_malloc, path("models/rates.model"), err,
                      sizeof(err));
    ok(m && cm_model_rate_threshold(m, 0.03, &th) == CM_OK && th == 0.4
       && cm_model_rate_threshold(m, 0.02, &th) == CM_ERROR,
       "the rates read back");
    cm_model_free(&cm_alloc_malloc, m);

    rs = rules("model 5001 5 models/rates.model\n"
               "model 5002 2 models/rates.model threshold=3% max=hold\n",
               0);
    ok(rs != NULL, "threshold=3%%");

    if (rs) {
        m1 = cm_ruleset_rule_model(rs, 0, &th);
        m2 = cm_ruleset_rule_model(rs, 1, &th2);
        ok(th == 0.75 && th2 == 0.4, "the file's default and its 3%%");
        ok(m1 == m2, "one file, one model for both rules");
        cm_ruleset_free(rs);
    }

    rules_error("model 5002 2 models/rates.model threshold=2%\n",
                "test.rules:1: model \"models/rates.model\" has no threshold "
                "for 2%% of ham: train it again, or give a probability");
    rules_error("model 5002 2 models/rates.model threshold=100%\n",
                "test.rules:1: bad threshold \"100%%\", must be a probability "
                "above 0 and at most 1, or a share of ham such as 3%%");

    model_error("x.model", "cm-model 4\nrates 0.01\n", 22,
                "x.model:2: bad rates line, must be \"rates RATE THRESHOLD "
                "...\", at most 16 pairs of numbers above 0 and at most 1");

    free(w);
}


/*
 * One scratch for rule sets of other layouts, in turn, as a worker with
 * several locations has: the models' stamped tables, which are not left
 * zeroed, must not lie on another rule set's zeroed counters (they did:
 * the shipped rules then missed rule 2104 on "z*$c" after a smaller rule
 * set with a model had run)
 */

static void
test_shared_scratch(void)
{
    int                i, j, k;
    char               err[CM_ERRLEN], alone[256], shared[256], *many;
    cm_scratch_t      *own;
    cm_ruleset_t      *small, *big, *ref, *other;
    static const char *texts[] = {
        "z*$c",
        "slot gacor maxwin hari ini, daftar sekarang",
        "Terima kasih infonya, sangat bermanfaat",
        "d.a.f.t.a.r s.l.o.t g.a.c.o.r sekarang",
        "Kasus ini harus diusut tuntas, dasar bangsat",
        "hubungi wa.me/6281234567890 pinjaman cepat cair tanpa jaminan",
        "z*$c slot",
        NULL
    };

    write_spam_model("models/shared.model", -1.0, 0.5);

    /* 2,000 distinct tokens, and their pairs: most of the tables' slots */

    many = malloc(2000 * 8);

    for (i = 0, j = 0; i < 2000; i++) {
        j += sprintf(many + j, "t%dx ", i);
    }

    small = rules("re 1 2 /terima/ tag=thanks\n"
                  "model 5001 5 models/shared.model\n", 0);

    big = cm_ruleset_create(&cm_alloc_malloc);
    ref = cm_ruleset_create(&cm_alloc_malloc);
    cm_ruleset_set_reference(ref);
    own = cm_scratch_create(&cm_alloc_malloc, 0, 0);

    ok(small && big && ref && own
       && cm_ruleset_add_file(big, CM_TEST_TOP "/rules/main.rules", err,
                              sizeof(err)) == CM_OK
       && cm_ruleset_compile(big, err, sizeof(err)) == CM_OK
       && cm_ruleset_add_file(ref, CM_TEST_TOP "/rules/main.rules", err,
                              sizeof(err)) == CM_OK
       && cm_ruleset_compile(ref, err, sizeof(err)) == CM_OK,
       "the shipped rules, engine and reference, and a small set");

    if (small == NULL || own == NULL) {
        goto done;
    }

    for (k = 0; k < 2; k++) {
        other = k ? ref : small;

        for (i = 0; texts[i]; i++) {
            signature(big, own, texts[i], alone, sizeof(alone));

            /* the other rule set's models stamp their tables all over */

            for (j = 0; texts[j]; j++) {
                signature(other, scratch, texts[j], shared, sizeof(shared));
                signature(other, scratch, many, shared, sizeof(shared));
            }

            signature(big, scratch, texts[i], shared, sizeof(shared));

            is_str(shared, strlen(shared), alone,
                   "one scratch, after the %s rule set: \"%s\"",
                   k ? "reference" : "small", texts[i]);
        }
    }

done:

    free(many);
    cm_ruleset_free(small);
    cm_ruleset_free(big);
    cm_ruleset_free(ref);
    cm_scratch_free(own);
}


/* "SCORE:ID,ID..." of a text matched with scratch "s" */

static void
signature(cm_ruleset_t *rs, cm_scratch_t *s, const char *text, char *buf,
    size_t len)
{
    char         err[CM_ERRLEN];
    size_t       i, n;
    cm_field_t   f;
    cm_result_t  res;

    f.name = (const unsigned char *) "comment";
    f.name_len = 7;
    f.value = (const unsigned char *) text;
    f.value_len = strlen(text);
    f.flags = 0;

    arena.used = 0;

    if (cm_match(rs, s, &arena_allocator, &f, 1, &res, err, sizeof(err))
        != CM_OK)
    {
        snprintf(buf, len, "error: %.200s", err);
        return;
    }

    n = snprintf(buf, len, "%d:", res.score);

    for (i = 0; i < res.nhits && n < len; i++) {
        n += snprintf(buf + n, len - n, "%s%u", i ? "," : "",
                      res.hits[i].id);
    }
}


/* helpers */

static int
collect(void *ctx, uint32_t bucket, unsigned kind, size_t start, size_t end)
{
    occ_t  *o = ctx;

    if (o->n < 256) {
        o->buckets[o->n] = bucket;
        o->start[o->n] = start;
        o->end[o->n] = end;
        o->kind[o->n] = kind;
    }

    o->n++;
    o->kinds[kind]++;

    if (o->count[bucket]++ == 0) {
        o->distinct[o->ndistinct++] = bucket;
    }

    return 0;
}


static int
sum_share(void *ctx, uint32_t bucket, unsigned kind, size_t start,
    size_t end, double share)
{
    *(double *) ctx += share;

    return 0;
}


static void
features(const char *text, occ_t *o)
{
    cm_view_t  v;

    memset(o, 0, sizeof(occ_t));

    cm_view_norm(&cm_alloc_malloc, (const unsigned char *) text,
                 strlen(text), &v);
    cm_model_features(&v, BITS, fstate, collect, o);

    free(v.text);
    free(v.map);
}


static void
view_features(const char *text, occ_t *o)
{
    cm_view_t  v;

    memset(o, 0, sizeof(occ_t));

    v.text = (unsigned char *) text;
    v.len = strlen(text);
    v.map = NULL;

    cm_model_features(&v, BITS, fstate, collect, o);
}


static int
has(const occ_t *o, unsigned kind, size_t start, size_t end)
{
    size_t  i;

    for (i = 0; i < o->n && i < 256; i++) {
        if (o->kind[i] == kind && o->start[i] == start && o->end[i] == end) {
            return 1;
        }
    }

    return 0;
}


/* the bucket of the field's first pair of words, or 2^BITS */

static uint32_t
pair_bucket(const occ_t *o)
{
    size_t  i;

    for (i = 0; i < o->n && i < 256; i++) {
        if (o->kind[i] == CM_MODEL_PAIR) {
            return o->buckets[i];
        }
    }

    return 1u << BITS;
}


/*
 * The probability as the header says: bias plus the weights of the
 * field's features as they count (a bucket as often as distinct tokens
 * and pairs bring it), over the square root of their number (of 128 when
 * fewer), with the weights rounded as the file rounds them.
 */

static double
expected(const double *w, double bias, const char *text)
{
    size_t  i, nb, n;
    double  max, step, dot;
    occ_t   o;

    nb = (size_t) 1 << BITS;
    max = 0;

    for (i = 0; i < nb; i++) {
        max = fabs(w[i]) > max ? fabs(w[i]) : max;
    }

    step = max / 32767;

    features(text, &o);

    if (o.n == 0) {
        return 0;
    }

    dot = 0;

    for (i = 0; i < o.ndistinct; i++) {
        dot += o.count[o.distinct[i]] * lround(w[o.distinct[i]] / step)
               * step;
    }

    n = o.n < 128 ? 128 : o.n;

    return 1 / (1 + exp(-(bias + dot / sqrt((double) n))));
}


/*
 * +3 for each feature of some gambling words and of a run of the digit
 * 1 (as in "slot111"), -0.5 for a few others
 */

static void
spam_weights(double *w)
{
    size_t  i;
    occ_t   o;

    features("slot gacor maxwin 11111", &o);

    for (i = 0; i < o.ndistinct; i++) {
        w[o.distinct[i]] = 3.0;
    }

    features("terima kasih", &o);

    for (i = 0; i < o.ndistinct; i++) {
        w[o.distinct[i]] = -0.5;
    }
}


/* p for a text, through the normalised view */

static double
predict(const cm_model_t *m, const char *text)
{
    double     p;
    cm_view_t  v;

    cm_view_norm(&cm_alloc_malloc, (const unsigned char *) text,
                 strlen(text), &v);

    p = cm_model_predict(m, state, &v);

    free(v.text);
    free(v.map);

    return p;
}


/* "head" then "s" n times, in memory from malloc */

static char *
repeat(const char *head, const char *s, size_t n)
{
    char    *buf, *p;
    size_t   i, hlen, len;

    hlen = strlen(head);
    len = strlen(s);

    buf = malloc(hlen + n * len + 1);
    memcpy(buf, head, hlen);
    p = buf + hlen;

    for (i = 0; i < n; i++) {
        memcpy(p, s, len);
        p += len;
    }

    *p = '\0';

    return buf;
}


static const char *
path(const char *name)
{
    static int   n;
    static char  buf[4][256];

    n = (n + 1) % 4;
    snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);

    return buf[n];
}


static void
write_file(const char *name, const void *data, size_t len)
{
    char        *p, d[256];
    FILE        *f;
    const char  *full;

    full = path(name);

    snprintf(d, sizeof(d), "%s", full);

    for (p = d + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(d, 0700);
        *p = '/';
    }

    f = fopen(full, "w");
    if (f == NULL) {
        perror(full);
        exit(1);
    }

    fwrite(data, 1, len, f);
    fclose(f);
}


/* a model of spam_weights() */

static void
write_spam_model(const char *name, double bias, double threshold)
{
    double  *w;

    w = calloc(1 << BITS, sizeof(double));
    spam_weights(w);
    write_model(name, w, bias, threshold);
    free(w);
}


static void
write_model(const char *name, const double *w, double bias, double threshold)
{
    cm_model_spec_t  spec;

    memset(&spec, 0, sizeof(cm_model_spec_t));
    spec.bits = BITS;
    spec.bias = bias;
    spec.threshold = threshold;
    spec.w = w;
    spec.comment = "test";

    write_spec(name, &spec);
}


/* a model of bias -1, threshold 0.5, with "tokens" listed */

static void
write_model_tokens(const char *name, const double *w, const char *tokens)
{
    cm_model_spec_t  spec;

    memset(&spec, 0, sizeof(cm_model_spec_t));
    spec.bits = BITS;
    spec.bias = -1.0;
    spec.threshold = 0.5;
    spec.w = w;
    spec.tokens = (const unsigned char *) tokens;
    spec.tokens_len = strlen(tokens);

    write_spec(name, &spec);
}


static void
write_spec(const char *name, const cm_model_spec_t *spec)
{
    char            err[CM_ERRLEN];
    size_t          len;
    unsigned char  *buf;

    if (cm_model_encode(&cm_alloc_malloc, spec, &buf, &len, err,
                        sizeof(err))
        != CM_OK)
    {
        printf("# encode: %s\n", err);
        exit(1);
    }

    write_file(name, buf, len);
    free(buf);
}


static char *
read_model(const char *name, size_t *len)
{
    FILE  *f;
    char  *buf;

    f = fopen(path(name), "r");
    buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);

    return buf;
}


/* "text" as a model file: cm_model_load refuses it with dir/ + want */

static void
model_error(const char *name, const char *text, size_t len,
    const char *want, ...)
{
    char         err[CM_ERRLEN], w[CM_ERRLEN], full[2 * CM_ERRLEN];
    va_list      args;
    cm_model_t  *m;

    va_start(args, want);
    vsnprintf(w, sizeof(w), want, args);
    va_end(args);

    snprintf(full, sizeof(full), "%s/%s", dir, w);

    write_file(name, text, len);

    err[0] = '\0';
    m = cm_model_load(&cm_alloc_malloc, path(name), err, sizeof(err));

    ok(m == NULL, "refused: %s", w);
    is_str(err, strlen(err), full, "error: %s", w);

    cm_model_free(&cm_alloc_malloc, m);
}


/* a model file as written: refused with dir/ + want */

static void
model_error_file(const char *name, const char *want)
{
    char         err[CM_ERRLEN], full[2 * CM_ERRLEN];
    cm_model_t  *m;

    snprintf(full, sizeof(full), "%s/%s", dir, want);

    err[0] = '\0';
    m = cm_model_load(&cm_alloc_malloc, path(name), err, sizeof(err));

    ok(m == NULL, "refused: %s", want);
    is_str(err, strlen(err), full, "error: %s", want);

    cm_model_free(&cm_alloc_malloc, m);
}


/* "text" as test.rules: the rule set refuses it with dir/ + want */

static void
rules_error(const char *text, const char *want, ...)
{
    int            rc;
    char           err[CM_ERRLEN], w[CM_ERRLEN], full[2 * CM_ERRLEN];
    va_list        args;
    cm_ruleset_t  *rs;

    va_start(args, want);
    vsnprintf(w, sizeof(w), want, args);
    va_end(args);

    snprintf(full, sizeof(full), "%s/%s", dir, w);

    write_file("test.rules", text, strlen(text));

    err[0] = '\0';
    rs = cm_ruleset_create(&cm_alloc_malloc);
    rc = cm_ruleset_add_file(rs, path("test.rules"), err, sizeof(err));

    ok(rc == CM_ERROR, "refused: %s", w);
    is_str(err, strlen(err), full, "error: %s", w);

    cm_ruleset_free(rs);
}


static cm_ruleset_t *
rules(const char *text, int reference)
{
    char           err[CM_ERRLEN];
    cm_ruleset_t  *rs;

    write_file("test.rules", text, strlen(text));

    rs = cm_ruleset_create(&cm_alloc_malloc);

    if (reference) {
        cm_ruleset_set_reference(rs);
    }

    if (cm_ruleset_add_file(rs, path("test.rules"), err, sizeof(err))
        != CM_OK
        || cm_ruleset_compile(rs, err, sizeof(err)) != CM_OK)
    {
        printf("# %s\n", err);
        cm_ruleset_free(rs);
        return NULL;
    }

    return rs;
}


static int
match(cm_ruleset_t *rs, const char *name, const char *value,
    cm_result_t *res)
{
    int         rc;
    char        err[CM_ERRLEN];
    cm_field_t  f;

    f.name = (const unsigned char *) name;
    f.name_len = strlen(name);
    f.value = (const unsigned char *) value;
    f.value_len = strlen(value);
    f.flags = 0;

    arena.used = 0;

    rc = cm_match(rs, scratch, &arena_allocator, &f, 1, res, err,
                  sizeof(err));

    if (rc != CM_OK) {
        printf("# cm_match: %s\n", err);
    }

    return rc;
}


static uint32_t
fnv(const void *p, size_t len)
{
    size_t                i;
    uint32_t              h;
    const unsigned char  *s = p;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h = (h ^ s[i]) * 16777619u;
    }

    return h;
}
