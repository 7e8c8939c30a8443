
/*
 * The learned scorer (cm_model.c): a logistic regression over hashed
 * n-grams of a field's normalised view, loaded by a "model" rule.
 *
 * Features, counted by token.  A token is a run of characters between
 * spaces: "wa.me/62".  Each distinct token of the field brings, once
 * however often it occurs, the character 2- to 5-grams of its first
 * CM_MODEL_TOKEN_CHARS characters padded with a space at both ends
 * (" slot ": " s", " sl", ..., "ot "), and its words (runs of letters,
 * marks and digits: "wa", "me", "62"), alone and with the word before
 * it, each as often as it comes up in the token, a run of a character
 * cut to 2 ("woww" of "wowwwww"); and each pair of neighbouring tokens
 * counts once in the field.  Each is hashed into one of 2^bits buckets,
 * and x[bucket] is how often the field's distinct tokens and pairs
 * brought it: repeating a token or a phrase adds nothing after its first
 * time, a character nothing after its second in a row.  The
 * probability is
 *
 *   1 / (1 + exp(-(bias + sum of w[bucket] x[bucket] / norm(n))))
 *
 * for n = the sum of x, norm(n) = sqrt(max(n, CM_MODEL_NORM_MIN)): a dot
 * product scaled by the field's size, and a field of few features (a
 * word or two, a run of one character) weighs as one of
 * CM_MODEL_NORM_MIN, too little to decide on alone.  comment-check train
 * fits it on TF-IDF vectors (x idf / norm(n)) and stores w x idf as w, so
 * scoring needs no idf.
 *
 * As a token's share depends on the token alone, the file lists the
 * tokens seen most in training, and a loaded model keeps each one's sum
 * and count: scoring a field hashes each token once and looks it up,
 * and walks the n-grams only of the tokens the list lacks.  The list
 * saves time and changes nothing: a token scores the same either way.
 *
 * The same walk finds the features for training and for scoring, so the
 * two cannot drift apart.  Plain C, no nginx headers; memory from the
 * caller's cm_alloc_t, and the sets of buckets in the caller's scratch.
 */


#ifndef _CM_MODEL_H_INCLUDED_
#define _CM_MODEL_H_INCLUDED_


#include "cm_engine.h"


#define CM_MODEL_VERSION     4
#define CM_MODEL_BITS_MIN    8
#define CM_MODEL_BITS_MAX    24

/* fewer features in a field weigh as this many: see norm(n) above */
#define CM_MODEL_NORM_MIN    128

/*
 * What ends a token: the bytes between tokens, the space and the controls
 * (a view holds no control: cm_view_norm drops them, or makes a space)
 */
#define cm_model_space(c)    ((unsigned char) (c) <= ' ')

/* a token's n-grams are those of its first this many characters */
#define CM_MODEL_TOKEN_CHARS 64

/* the most thresholds by share of ham a file may hold */
#define CM_MODEL_RATES       16

/* the longest token the list of tokens may hold, in bytes */
#define CM_MODEL_TOKEN_MAX   64

/* kinds of feature */
#define CM_MODEL_CHAR        0
#define CM_MODEL_WORD        1
#define CM_MODEL_PAIR        2


typedef struct cm_model_s  cm_model_t;


/*
 * The features of a normalised view, as they count: each distinct
 * token's n-grams, words and pairs of words, as often as they come up
 * in it, and each distinct pair of tokens, with its bucket, its kind and
 * the bytes of the view it covers (the padding spaces of a token's first
 * and last n-grams are not in the view); a bucket may come up again.
 * "state" is scratch of cm_model_scratch_size(bits) bytes, both parts
 * of the scratch below, zeroed once.  A non-zero return stops the walk:
 * CM_ERROR.
 */
typedef int (*cm_model_feature_pt)(void *ctx, uint32_t bucket, unsigned kind,
    size_t start, size_t end);

int cm_model_features(const cm_view_t *view, unsigned bits, void *state,
    cm_model_feature_pt fn, void *ctx);

size_t cm_model_scratch_size(unsigned bits);

/* what the dot product of a field of n features is divided by */
double cm_model_norm(size_t n);


/*
 * A model to write: the weights of all 2^bits buckets.  They are stored
 * as 16-bit steps of the largest; a bucket whose step is 0 is left out
 * of the file.
 */
typedef struct {
    unsigned              bits;
    double                bias;
    double                threshold;  /* default of the rules using it */
    const double         *w;
    const char           *comment;    /* a "#" line for people, or NULL */

    /* thresholds that flagged these shares of ham out of fold */
    const double         *rates;
    const double         *rate_thresholds;
    size_t                nrates;

    /* the tokens to keep sums of, each ended by "\n", most useful first */
    const unsigned char  *tokens;
    size_t                tokens_len;
} cm_model_spec_t;

/*
 * The file's bytes, in memory from "a".  Returns CM_OK, or CM_ERROR with
 * the reason in "err".
 */
int cm_model_encode(const cm_alloc_t *a, const cm_model_spec_t *spec,
    unsigned char **out, size_t *len, char *err, size_t errlen);

/*
 * Reads and checks a model file; errors are "FILE:LINE: message" for its
 * header and "FILE: message" for its data.  Memory from "a", released by
 * cm_model_free (or by the owner of "a").
 */
cm_model_t *cm_model_load(const cm_alloc_t *a, const char *path, char *err,
    size_t errlen);
void cm_model_free(const cm_alloc_t *a, cm_model_t *m);

typedef struct {
    unsigned              bits;
    double                bias;
    double                threshold;
    size_t                weights;    /* buckets with a weight */
    size_t                tokens;     /* tokens listed */
    size_t                memory;     /* bytes in memory */
} cm_model_info_t;

void cm_model_info(const cm_model_t *m, cm_model_info_t *info);

/* a bucket's weight, as loaded (16-bit steps) */
double cm_model_weight(const cm_model_t *m, uint32_t bucket);

/*
 * Scratch: two parts, 8-byte aligned and zeroed once.
 *
 * The tables (cm_model_tables_size(), 32 KB): the field's tokens and
 * pairs seen, stamped with a count that each field moves on, so never
 * cleared.  Any models, of any rule sets, may share one; nothing else
 * may use its memory.
 *
 * The bits (cm_model_bits_size(bits), 96 KB for 2^18 buckets): where a
 * field of more than 2048 tokens and pairs goes on, a bit a bucket and a
 * bit a token's key, and room to list the 64-bit words set, to clear
 * only those; left zeroed, so other zeroed scratch may share its memory.
 *
 * cm_model_state_size() is both, the tables first, as cm_model_predict
 * and cm_model_features take them.
 */
size_t cm_model_tables_size(void);
size_t cm_model_bits_size(unsigned bits);
size_t cm_model_state_size(const cm_model_t *m);

/*
 * The probability for one normalised view, in one pass: no memory, the
 * sets in "state" (both parts), or in "tables" and "bits".  A view with
 * no feature gets 0.
 */
double cm_model_predict(const cm_model_t *m, void *state,
    const cm_view_t *view);
double cm_model_predict_parts(const cm_model_t *m, void *tables, void *bits,
    const cm_view_t *view);

/*
 * What each bucket added to bias + w . x, for comment-check --explain:
 * called once a bucket, in the order of cm_model_features, with its
 * first feature's kind and bytes and its share (w x[bucket] / norm).
 * Memory from "a".  Returns CM_OK with the probability in *p, or
 * CM_ERROR (no memory, or "fn" stopped it: *p is then 0).
 */
typedef int (*cm_model_explain_pt)(void *ctx, uint32_t bucket,
    unsigned kind, size_t start, size_t end, double share);

int cm_model_explain(const cm_model_t *m, const cm_alloc_t *a,
    const cm_view_t *view, cm_model_explain_pt fn, void *ctx, double *p);

/*
 * The threshold the file stores for flagging "rate" of the training ham
 * out of fold (comment-check train keeps CM_MODEL_RATES of them):
 * CM_OK, or CM_ERROR when it has none for that rate.
 */
int cm_model_rate_threshold(const cm_model_t *m, double rate,
    double *threshold);

/* the model of rule i and its threshold; NULL when rule i is no model */
const cm_model_t *cm_ruleset_rule_model(const cm_ruleset_t *rs, size_t i,
    double *threshold);


#endif /* _CM_MODEL_H_INCLUDED_ */
