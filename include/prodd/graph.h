/*
 * The dependency graph of services: nodes are service indices, an edge
 * a -> b means "a depends on b". Cycles, start order in waves, stop order,
 * and the transitive dependencies and dependents of one service. Pure.
 */
#ifndef PRODD_GRAPH_H
#define PRODD_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

struct graph {
	size_t n;
	size_t **adj;		/* adj[a]: the nodes a depends on */
	size_t *nadj;
	size_t *cap;
};

void graph_init(struct graph *g, size_t n);
/* a depends on b. Repeated edges are kept once. */
void graph_add_edge(struct graph *g, size_t a, size_t b);
void graph_free(struct graph *g);

struct graph_cycle {
	size_t *nodes;		/* a -> b -> ... (back to nodes[0]) */
	size_t len;
};

struct graph_cycles {
	struct graph_cycle *v;
	size_t n;
};

/*
 * One cycle for each strongly connected component that has one (a
 * self-edge included): the shortest cycle through the component's lowest
 * node, so the report is the same on every run. Ordered by that node.
 */
void graph_find_cycles(const struct graph *g, struct graph_cycles *out);
void graph_cycles_free(struct graph_cycles *c);

/*
 * Waves: wave[i] is 0 for a node with no dependencies, else one more than
 * the highest wave among its dependencies. Nodes on or behind a cycle get
 * -1. Returns the number of waves, or -1 when some node got -1.
 */
int graph_waves(const struct graph *g, int *wave);

/*
 * Start order: every node, by wave then by index (order[] has n entries).
 * The stop order is the same array read backwards. Returns -1 on a cycle.
 */
int graph_start_order(const struct graph *g, size_t *order);

/* Mark in out[] (n entries, cleared first) every node that node depends
 * on, directly or not; node itself is not marked. */
void graph_dependencies(const struct graph *g, size_t node, bool *out);
/* Mark in out[] every node that depends on node, directly or not. */
void graph_dependents(const struct graph *g, size_t node, bool *out);

#endif
