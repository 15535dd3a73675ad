/*
 * The end of a libuv loop, checked. Every handle a program opens must be
 * closed before its loop is: a loop that closes with handles still open
 * is a leak or a callback that will never run, and prodd (like
 * prodd-demo) then says which handles and exits LOOP_EXIT_OPEN_HANDLES
 * instead of 0, so a test cannot pass over it.
 */
#ifndef PRODD_LOOPCHECK_H
#define PRODD_LOOPCHECK_H

#include <stddef.h>
#include <uv.h>

#define LOOP_EXIT_OPEN_HANDLES 70	/* EX_SOFTWARE */

/*
 * uv_loop_close(loop). Returns 0 when it closed; otherwise the number of
 * handles still open, with "loop closed with N open handles: TYPE, TYPE"
 * in msg (types in the loop's order, each as libuv names it).
 */
int loop_close_check(uv_loop_t *loop, char *msg, size_t msglen);

#endif
