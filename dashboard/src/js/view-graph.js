/*
 * The dependency graph (SPEC §10): services in their start waves (a
 * service's wave is one past its deepest dependency's), one column per
 * wave, edges from a dependency to its dependent labelled with the
 * condition, nodes coloured by state and kept live. Built as SVG through
 * DOM calls, coloured by classes (no style attributes). Each node is a
 * link to the service page, so the keyboard reaches it.
 */
import { store, on } from './store.js';
import { h, svg, setText, schedule, stateClass } from './util.js';

const NW = 150, NH = 34, COLW = 230, ROWH = 54, PAD = 24;

export function waves() {
	const wave = new Map();
	const visit = (name, stack) => {
		if (wave.has(name)) return wave.get(name);
		if (stack.has(name)) return 0;
		stack.add(name);
		const s = store.services.get(name);
		let w = 0;
		for (const d of (s && s.dependencies) || []) if (store.services.has(d.name)) w = Math.max(w, visit(d.name, stack) + 1);
		stack.delete(name);
		wave.set(name, w);
		return w;
	};
	for (const n of store.order) visit(n, new Set());
	return wave;
}

export function mount(root) {
	const wave = waves();
	const cols = [];
	for (const n of store.order) (cols[wave.get(n)] || (cols[wave.get(n)] = [])).push(n);
	const pos = new Map();
	cols.forEach((names, c) => names.forEach((n, r) => pos.set(n, { x: PAD + c * COLW, y: PAD + 18 + r * ROWH })));
	const width = PAD * 2 + Math.max(1, cols.length) * COLW - (COLW - NW);
	const height = PAD * 2 + 18 + Math.max(1, ...cols.map((c) => c.length)) * ROWH;
	const g = svg('svg', { class: 'graph', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'group', 'aria-label': 'Dependency graph' });
	g.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
		svg('path', { d: 'M0,0 L10,5 L0,10 z' }))));
	cols.forEach((_, c) => g.append(svg('text', { class: 'wave', x: PAD + c * COLW, y: PAD }, 'wave ' + (c + 1))));
	const edges = svg('g', { class: 'edges' });
	g.append(edges);
	for (const n of store.order) {
		const s = store.services.get(n);
		for (const d of s.dependencies || []) {
			const a = pos.get(d.name), b = pos.get(n);
			if (!a || !b) continue;
			const x1 = a.x + NW, y1 = a.y + NH / 2, x2 = b.x, y2 = b.y + NH / 2;
			const mx = (x1 + x2) / 2;
			edges.append(svg('g', { class: 'edge', 'data-from': d.name, 'data-to': n, 'data-condition': d.condition },
				svg('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }),
				svg('text', { x: mx, y: (y1 + y2) / 2 - 3, 'text-anchor': 'middle' }, d.condition)));
		}
	}
	const nodes = new Map();
	for (const n of store.order) {
		const p = pos.get(n);
		const s = store.services.get(n);
		const word = svg('text', { x: 8, y: 28, class: 'stateword' }, s.state);
		const grp = svg('g', { class: 'node ' + stateClass(s.state), transform: `translate(${p.x},${p.y})`, 'data-service': n },
			svg('a', { href: '#/service/' + encodeURIComponent(n) },
				svg('rect', { width: NW, height: NH, rx: 6 }),
				svg('text', { x: 8, y: 14, 'font-weight': 600 }, n.length > 20 ? n.slice(0, 19) + '…' : n),
				word));
		nodes.set(n, { grp, word });
		g.append(grp);
	}
	root.append(h('h1', { text: 'Dependency graph' }),
		h('p.muted', { text: 'Start waves left to right; an arrow goes from a dependency to the service that waits for it, labelled with the condition.' }),
		h('div.graphwrap', g));
	const paint = () => {
		for (const [n, { grp, word }] of nodes) {
			const s = store.services.get(n);
			if (!s) continue;
			grp.setAttribute('class', 'node ' + stateClass(s.state));
			setText(word, s.state);
		}
	};
	const off = on('service', () => schedule('graph', paint));
	return () => off();
}
