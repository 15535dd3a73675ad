/*
 * idle: the cheapest service there is, for bench/supervise.sh. Statically
 * linked (no dynamic loader, no libc start-up beyond the minimum), it
 * sleeps until a signal ends it. Starting 500 of it measures what a
 * supervisor costs when the service itself costs almost nothing.
 */
#include <unistd.h>

int
main(void)
{
	for (;;)
		pause();
}
