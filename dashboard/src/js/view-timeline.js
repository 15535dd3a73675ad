/*
 * The startup timeline (SPEC §10): the last start of every service as a
 * bar, wanted → spawned (waiting, pale) then spawned → ready (solid), on
 * one time axis, the critical chain marked. From GET /api/analyze when
 * prodd has it; else from the state and spawn events still in the event
 * ring (then the critical chain is "not available yet").
 */
import { store } from './store.js';
import { h, fmtMs, setText } from './util.js';

/* the last start of each service, from the events in the ring */
function fromEvents() {
	const out = [];
	for (const name of store.order) {
		const evs = store.events.filter((e) => e.service === name);
		let wanted = null, spawned = null, ready = null;
		for (const e of evs) {
			const t = Date.parse(e.ts);
			if (e.kind === 'state' && (e.to === 'waiting' || (e.to === 'starting' && wanted === null)) &&
			    (e.from === 'stopped' || e.from === 'failed' || e.from === 'exited' || e.from === 'backoff')) {
				wanted = t; spawned = null; ready = null;
			}
			if (e.kind === 'spawn' && wanted !== null) spawned = t;
			if (e.kind === 'state' && e.to === 'running' && spawned !== null && ready === null) ready = t;
		}
		out.push({ name, wanted, spawned, ready });
	}
	return { services: out, chain: null };
}

export function mount(root) {
	const body = h('div');
	const note = h('p.muted');
	root.append(h('h1', { text: 'Startup timeline' }), note, body);
	let alive = true;
	const draw = (data) => {
		const rows = data.services.filter((s) => s.wanted !== null);
		if (!rows.length) {
			body.replaceChildren(h('p.na', { text: 'No start of any service is in the event ring: not available.' }));
			return;
		}
		const t0 = Math.min(...rows.map((s) => s.wanted));
		const t1 = Math.max(...rows.map((s) => s.ready ?? s.spawned ?? s.wanted), t0 + 1);
		const span = t1 - t0;
		const chain = new Set(data.chain || []);
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
			const label = s.ready !== null ? 'ready at +' + fmtMs(s.ready - t0) : s.spawned !== null ? 'spawned, not ready' : 'not spawned';
			grid.append(h('div', { role: 'row', class: crit ? 'crit' : null },
				h('a.name', { href: '#/service/' + encodeURIComponent(s.name), role: 'cell', class: crit ? 'name crit' : 'name', text: s.name + (crit ? ' ★' : '') }),
				track,
				h('span.muted', { role: 'cell', text: label })));
		}
		/* the rows are display: contents so the grid lines up */
		for (const r of grid.children) r.classList.add('tlrow');
		body.replaceChildren(grid,
			data.chain ? h('p', { text: 'Critical chain (★): ' + data.chain.join(' → ') + ', ' + fmtMs(span) + ' in all.' }) :
				h('p.na', { text: 'Critical chain: not available yet.' }));
	};
	(async () => {
		let data = null;
		try {
			const r = await fetch('api/analyze', { cache: 'no-store' });
			if (r.ok) {
				const j = await r.json();
				const t = (x) => (x ? Date.parse(x) : null);
				data = {
					services: (j.services || []).map((s) => ({ name: s.name, wanted: t(s.wanted_at), spawned: t(s.spawned_at), ready: t(s.ready_at) })),
					chain: (j.critical_chain || []).map((c) => c.name),
				};
				setText(note, 'From prodd\'s analysis of the last start: waiting (pale), then spawned until ready (solid).');
			}
		} catch (e) { /* fall back to the events */ }
		if (!alive) return;
		if (!data) {
			data = fromEvents();
			setText(note, 'From the events still in the ring: waiting (pale), then spawned until ready (solid).');
		}
		draw(data);
	})();
	return () => { alive = false; };
}
