/*
 * The startup timeline (SPEC §10): the last start of every service from
 * GET /api/analyze, as bars on one time axis -- wanted → spawned (waiting,
 * pale), spawned → ready (solid) -- with what each waited for, and the
 * critical chain (the dependency path that made the last service ready
 * last) marked: its rows bold with a ★ and data-crit, its bars in the
 * second colour, and the chain spelled out below in start order.
 */
import { store } from './store.js';
import { h, fmtMs, setText } from './util.js';

export function mount(root) {
	const body = h('div');
	const note = h('p.muted');
	root.append(h('h1', { text: 'Startup timeline' }), note, body);
	let alive = true;
	const draw = (j) => {
		const t = (x) => (x ? Date.parse(x) : null);
		const rows = (j.services || []).map((s) => ({
			name: s.name, wanted: t(s.wanted_at), spawned: t(s.spawned_at), ready: t(s.ready_at),
			waitedFor: s.waited_for ? s.waited_for.name : null,
		})).filter((s) => s.wanted !== null);
		if (!rows.length) {
			body.replaceChildren(h('p.muted', { text: 'No service has started yet.' }));
			return;
		}
		/* the chain comes last first; drawn in start order */
		const chainNames = (j.critical_chain || []).map((c) => c.name).reverse();
		const chain = new Set(chainNames);
		const t0 = Math.min(...rows.map((s) => s.wanted));
		const t1 = Math.max(...rows.map((s) => s.ready ?? s.spawned ?? s.wanted), t0 + 1);
		const span = t1 - t0;
		const order = new Map(store.order.map((n, i) => [n, i]));
		rows.sort((a, b) => a.wanted - b.wanted || (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
		const grid = h('div.tl', { role: 'table', 'aria-label': 'Last start of each service' });
		for (const s of rows) {
			const track = h('div.track', { role: 'cell' });
			const bar = (a, b, cls) => {
				const el = h('div.bar.' + cls);
				el.style.left = ((a - t0) / span * 100).toFixed(2) + '%';
				el.style.width = Math.max(0.4, (b - a) / span * 100).toFixed(2) + '%';
				return el;
			};
			if (s.spawned !== null) track.append(bar(s.wanted, s.spawned, 'wait'));
			if (s.ready !== null && s.spawned !== null) track.append(bar(s.spawned, s.ready, 'up'));
			const crit = chain.has(s.name);
			const label = (s.ready !== null ? 'ready at +' + fmtMs(s.ready - t0) : s.spawned !== null ? 'spawned, not ready' : 'not spawned') +
				(s.waitedFor ? ' · waited for ' + s.waitedFor : '');
			grid.append(h('div.tlrow', { role: 'row', class: crit ? 'tlrow crit' : 'tlrow', 'data-service': s.name, 'data-crit': crit ? '1' : null },
				h('a', { href: '#/service/' + encodeURIComponent(s.name), role: 'cell', class: crit ? 'name crit' : 'name', text: s.name + (crit ? ' ★' : '') }),
				track,
				h('span.muted', { role: 'cell', text: label })));
		}
		body.replaceChildren(grid, chainNames.length ?
			h('p.chain', { text: 'Critical chain (★): ' + chainNames.join(' → ') + ', ' + fmtMs(j.total_ms ?? span) + ' in all.' }) :
			h('p.muted', { text: 'No critical chain: no service waited for another.' }));
	};
	(async () => {
		try {
			const r = await fetch('api/analyze', { cache: 'no-store' });
			if (!alive) return;
			if (!r.ok) throw new Error('prodd answered ' + r.status);
			const j = await r.json();
			if (!alive) return;
			setText(note, 'The last start of each service: waiting (pale), then spawned until ready (solid).');
			draw(j);
		} catch (e) {
			if (alive) setText(note, 'The analysis could not be fetched: ' + e.message);
		}
	})();
	return () => { alive = false; };
}
