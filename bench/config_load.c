/*
 * Times cfg_load_file (read, parse, validate, build structs) on one file,
 * in process: prints each run's wall time and the median.
 *   config_load FILE [RUNS]
 */
#include "prodd/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double *ms;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: config_load FILE [RUNS]\n");
		return 2;
	}
	ms = calloc((size_t)runs, sizeof *ms);
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		struct cfg_errors errs;
		struct cfg *c;

		clock_gettime(CLOCK_MONOTONIC, &a);
		c = cfg_load_file(argv[1], NULL, &errs);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (c == NULL) {
			fprintf(stderr, "%s\n", errs.n ? errs.v[0].text : "?");
			return 1;
		}
		cfg_free(c);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		printf("run %d: %.2f ms\n", i + 1, ms[i]);
	}
	qsort(ms, (size_t)runs, sizeof *ms, dbl_cmp);
	printf("median: %.2f ms (min %.2f, max %.2f, %d runs)\n",
	    ms[runs / 2], ms[0], ms[runs - 1], runs);
	free(ms);
	return 0;
}
