/*
 * What spawn.c (preparing and finishing a spawn) and spawn-run.c (the
 * fork itself) share.
 */
#ifndef PRODD_SPAWN_INT_H
#define PRODD_SPAWN_INT_H

/* Forget the program the last PATH search found: at the end of each
 * spawn_run, so that the next batch searches anew. */
void spawn_found_clear(void);

#endif
