
/*
 * comment-check train (cm_train.c): fits a model for "model" rules with
 * LIBLINEAR, from labelled corpora.
 */


#ifndef _CM_TRAIN_H_INCLUDED_
#define _CM_TRAIN_H_INCLUDED_


/* argv[0] is "train"; returns the exit status */
int cm_train(int argc, char **argv);


#endif /* _CM_TRAIN_H_INCLUDED_ */
