/*
 * Dependency graph algorithms over service indices (see graph.h). All of
 * them are iterative with explicit stacks, so a hostile chain of thousands
 * of services cannot exhaust the C stack, and all are O(nodes + edges).
 */
#include "prodd/graph.h"
#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

void
graph_init(struct graph *g, size_t n)
{
	g->n = n;
	g->adj = xcalloc(n ? n : 1, sizeof *g->adj);
	g->nadj = xcalloc(n ? n : 1, sizeof *g->nadj);
	g->cap = xcalloc(n ? n : 1, sizeof *g->cap);
}

void
graph_add_edge(struct graph *g, size_t a, size_t b)
{
	for (size_t i = 0; i < g->nadj[a]; i++)
		if (g->adj[a][i] == b)
			return;
	if (g->nadj[a] == g->cap[a]) {
		g->cap[a] = g->cap[a] ? g->cap[a] * 2 : 4;
		g->adj[a] = xreallocarray(g->adj[a], g->cap[a], sizeof **g->adj);
	}
	g->adj[a][g->nadj[a]++] = b;
}

void
graph_free(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->adj[i]);
	free(g->adj);
	free(g->nadj);
	free(g->cap);
	memset(g, 0, sizeof *g);
}

void
graph_cycles_free(struct graph_cycles *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].nodes);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Tarjan's strongly connected components, iteratively. comp[i] = id. */
static size_t
graph_scc(const struct graph *g, size_t *comp)
{
	size_t n = g->n, idx = 0, ncomp = 0, sp = 0, cp = 0;
	size_t *index = xmalloc((n ? n : 1) * sizeof *index);
	size_t *low = xmalloc((n ? n : 1) * sizeof *low);
	bool *on = xcalloc(n ? n : 1, sizeof *on);
	size_t *stack = xmalloc((n ? n : 1) * sizeof *stack);
	size_t *cs_node = xmalloc((n ? n : 1) * sizeof *cs_node);
	size_t *cs_edge = xmalloc((n ? n : 1) * sizeof *cs_edge);
	const size_t UNSEEN = (size_t)-1;

	for (size_t i = 0; i < n; i++)
		index[i] = UNSEEN;
	for (size_t root = 0; root < n; root++) {
		if (index[root] != UNSEEN)
			continue;
		cs_node[cp] = root;
		cs_edge[cp] = 0;
		cp++;
		index[root] = low[root] = idx++;
		stack[sp++] = root;
		on[root] = true;
		while (cp > 0) {
			size_t v = cs_node[cp - 1];

			if (cs_edge[cp - 1] < g->nadj[v]) {
				size_t w = g->adj[v][cs_edge[cp - 1]++];

				if (index[w] == UNSEEN) {
					index[w] = low[w] = idx++;
					stack[sp++] = w;
					on[w] = true;
					cs_node[cp] = w;
					cs_edge[cp] = 0;
					cp++;
				} else if (on[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			if (low[v] == index[v]) {
				size_t w;

				do {
					w = stack[--sp];
					on[w] = false;
					comp[w] = ncomp;
				} while (w != v);
				ncomp++;
			}
			cp--;
			if (cp > 0) {
				size_t u = cs_node[cp - 1];

				if (low[v] < low[u])
					low[u] = low[v];
			}
		}
	}
	free(index);
	free(low);
	free(on);
	free(stack);
	free(cs_node);
	free(cs_edge);
	return ncomp;
}

/* Shortest path from s back to s inside component c (BFS). */
static void
graph_cycle_through(const struct graph *g, const size_t *comp, size_t s,
    struct graph_cycle *out)
{
	size_t n = g->n, head = 0, tail = 0, end = (size_t)-1;
	size_t *prev = xmalloc(n * sizeof *prev);
	size_t *queue = xmalloc(n * sizeof *queue);
	bool *seen = xcalloc(n, sizeof *seen);

	queue[tail++] = s;
	seen[s] = true;
	while (head < tail && end == (size_t)-1) {
		size_t v = queue[head++];

		for (size_t e = 0; e < g->nadj[v]; e++) {
			size_t w = g->adj[v][e];

			if (w == s) {
				end = v;
				break;
			}
			if (comp[w] != comp[s] || seen[w])
				continue;
			seen[w] = true;
			prev[w] = v;
			queue[tail++] = w;
		}
	}
	/* walk back from end to s: that is the path s -> ... -> end */
	out->len = 0;
	for (size_t v = end; ; v = prev[v]) {
		out->len++;
		if (v == s)
			break;
	}
	out->nodes = xmalloc(out->len * sizeof *out->nodes);
	{
		size_t i = out->len, v = end;

		for (;;) {
			out->nodes[--i] = v;
			if (v == s)
				break;
			v = prev[v];
		}
	}
	free(prev);
	free(queue);
	free(seen);
}

void
graph_find_cycles(const struct graph *g, struct graph_cycles *out)
{
	size_t n = g->n, ncomp;
	size_t *comp, *size, *lowest;

	out->v = NULL;
	out->n = 0;
	if (n == 0)
		return;
	comp = xmalloc(n * sizeof *comp);
	ncomp = graph_scc(g, comp);
	size = xcalloc(ncomp, sizeof *size);
	lowest = xmalloc(ncomp * sizeof *lowest);
	for (size_t c = 0; c < ncomp; c++)
		lowest[c] = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size[comp[i]]++;
		if (lowest[comp[i]] == (size_t)-1)
			lowest[comp[i]] = i;
	}
	/* visit nodes in index order so cycles come out ordered */
	for (size_t i = 0; i < n; i++) {
		size_t c = comp[i];
		bool self = false;

		if (lowest[c] != i)
			continue;
		for (size_t e = 0; e < g->nadj[i]; e++)
			if (g->adj[i][e] == i)
				self = true;
		if (size[c] < 2 && !self)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		graph_cycle_through(g, comp, i, &out->v[out->n++]);
	}
	free(comp);
	free(size);
	free(lowest);
}

/* Who depends on each node, in compressed rows: radj[roff[b]..roff[b+1]). */
static void
graph_reverse(const struct graph *g, size_t **roffp, size_t **radjp)
{
	size_t n = g->n;
	size_t *fill = xcalloc(n + 1, sizeof *fill);
	size_t *roff = xcalloc(n + 1, sizeof *roff), *radj;

	for (size_t a = 0; a < n; a++)
		for (size_t e = 0; e < g->nadj[a]; e++)
			fill[g->adj[a][e]]++;
	for (size_t i = 0; i < n; i++)
		roff[i + 1] = roff[i] + fill[i];
	radj = xmalloc((roff[n] ? roff[n] : 1) * sizeof *radj);
	memset(fill, 0, (n + 1) * sizeof *fill);
	for (size_t a = 0; a < n; a++)
		for (size_t e = 0; e < g->nadj[a]; e++) {
			size_t b = g->adj[a][e];

			radj[roff[b] + fill[b]++] = a;
		}
	free(fill);
	*roffp = roff;
	*radjp = radj;
}

int
graph_waves(const struct graph *g, int *wave)
{
	size_t n = g->n, head = 0, tail = 0, done = 0;
	size_t *pending, *queue, *roff, *radj;
	int nwaves = 0;

	if (n == 0)
		return 0;
	pending = xcalloc(n, sizeof *pending);
	for (size_t a = 0; a < n; a++)
		pending[a] = g->nadj[a];
	graph_reverse(g, &roff, &radj);
	queue = xmalloc(n * sizeof *queue);
	for (size_t i = 0; i < n; i++) {
		wave[i] = -1;
		if (pending[i] == 0) {
			wave[i] = 0;
			queue[tail++] = i;
		}
	}
	while (head < tail) {
		size_t b = queue[head++];

		done++;
		if (wave[b] + 1 > nwaves)
			nwaves = wave[b] + 1;
		for (size_t k = roff[b]; k < roff[b + 1]; k++) {
			size_t a = radj[k];

			if (wave[b] + 1 > wave[a])
				wave[a] = wave[b] + 1;
			if (--pending[a] == 0)
				queue[tail++] = a;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (pending[i] != 0)
			wave[i] = -1;
	free(pending);
	free(roff);
	free(radj);
	free(queue);
	return done == n ? nwaves : -1;
}

int
graph_start_order(const struct graph *g, size_t *order)
{
	int *wave, nwaves;
	size_t *count;

	if (g->n == 0)
		return 0;
	wave = xmalloc(g->n * sizeof *wave);
	if ((nwaves = graph_waves(g, wave)) < 0) {
		free(wave);
		return -1;
	}
	/* counting sort by wave keeps index order inside a wave */
	count = xcalloc((size_t)nwaves + 1, sizeof *count);
	for (size_t i = 0; i < g->n; i++)
		count[wave[i] + 1]++;
	for (int w = 0; w < nwaves; w++)
		count[w + 1] += count[w];
	for (size_t i = 0; i < g->n; i++)
		order[count[wave[i]]++] = i;
	free(count);
	free(wave);
	return 0;
}

void
graph_dependencies(const struct graph *g, size_t node, bool *out)
{
	size_t *stack = xmalloc((g->n + 1) * sizeof *stack), sp = 0;

	memset(out, 0, g->n * sizeof *out);
	stack[sp++] = node;
	while (sp > 0) {
		size_t v = stack[--sp];

		for (size_t e = 0; e < g->nadj[v]; e++) {
			size_t w = g->adj[v][e];

			if (!out[w] && w != node) {
				out[w] = true;
				stack[sp++] = w;
			}
		}
	}
	free(stack);
}

void
graph_dependents(const struct graph *g, size_t node, bool *out)
{
	size_t *stack = xmalloc((g->n + 1) * sizeof *stack), sp = 0;
	size_t *roff, *radj;

	memset(out, 0, g->n * sizeof *out);
	graph_reverse(g, &roff, &radj);
	stack[sp++] = node;
	while (sp > 0) {
		size_t v = stack[--sp];

		for (size_t k = roff[v]; k < roff[v + 1]; k++) {
			size_t a = radj[k];

			if (!out[a] && a != node) {
				out[a] = true;
				stack[sp++] = a;
			}
		}
	}
	free(roff);
	free(radj);
	free(stack);
}
