/*
 * The services table (SPEC §10): name, type, state (colour and word),
 * health (status and latency), STATUS= text, pid, uptime (as `docker ps`
 * gives it: seconds in the first minute only, the start time in its
 * title; a second-by-second uptime in each row on screen was half the
 * page's work per sample), CPU %, memory, restarts, last exit, a
 * CPU/memory sparkline; sortable by any column
 * (buttons in the headers, so the keyboard reaches them) and filtered by a
 * text that matches name, type or state. A waiting row names the
 * dependency it waits for; a failed row shows its reason, last exit and
 * last lines. Smooth with 500 services: rows are built once, each sample
 * writes only the cells whose text changed, only for rows on screen, all
 * in one animation frame. The table is a grid of divs with ARIA table
 * roles, not a <table>: rows sit in blocks of BLOCK, each with
 * content-visibility: auto, so a block off screen costs no style, layout
 * or paint (a <tr> cannot be skipped that way). Observers watch dozens of
 * blocks rather than hundreds of rows: the browser's own, for
 * content-visibility (it renders well beyond the screen, 150 % of the
 * viewport around it), and ours, an IntersectionObserver with no margin,
 * whose blocks on screen are the ones each sample writes (a block that
 * comes into view is brought up to date then). The sparkline is a small
 * SVG (two paths): no canvas, so no compositor layer and no bitmap per
 * row.
 */
import { store, on, waitingOn, lastLines, SPARK_N } from './store.js';
import { h, svg, setText, fmtBytes, fmtPct, fmtAge, fmtMs, fmtExit, schedule, stateClass } from './util.js';
import { sparkPaths, SPARK_VIEWBOX } from './charts.js';

const COLS = [
	{ key: 'name', label: 'Name', sort: (s) => s.name },
	{ key: 'type', label: 'Type', sort: (s) => s.type, opt: true },
	{ key: 'state', label: 'State', sort: (s) => s.state },
	{ key: 'health', label: 'Health', sort: (s) => (s.health ? s.health.status : ''), opt: true },
	{ key: 'status', label: 'Status', sort: (s) => s.status_text || '', opt: true },
	{ key: 'pid', label: 'PID', num: true, sort: (s) => s.pid || 0, opt: true },
	{ key: 'uptime', live: true, label: 'Uptime', num: true, sort: (s) => (s.started_at ? -Date.parse(s.started_at) : -Infinity) },
	{ key: 'cpu', live: true, label: 'CPU', num: true, sort: (s) => (s.metrics ? s.metrics.cpu_percent : -1) },
	{ key: 'mem', live: true, label: 'Memory', num: true, sort: (s) => (s.metrics ? s.metrics.rss_bytes : -1) },
	{ key: 'restarts', label: 'Restarts', num: true, sort: (s) => s.restarts || 0, opt: true },
	{ key: 'exit', label: 'Last exit', sort: (s) => fmtExit(s.last_exit), opt: true },
	{ key: 'spark', label: 'Trend', nosort: true, opt: true },
];

function up(s) {
	return !!s.started_at && ['running', 'starting', 'unhealthy', 'stopping'].includes(s.state);
}

function uptime(s) {
	return up(s) ? fmtAge((Date.now() - Date.parse(s.started_at)) / 1000) : '–';
}

function why(s) {
	if (s.state === 'waiting') {
		const d = waitingOn(s);
		return d ? 'waiting for ' + d.name + ' (' + d.condition + ')' : s.reason || '';
	}
	if (s.state === 'failed' || s.state === 'backoff') {
		return (s.reason || '') + (s.last_exit ? ' · last ' + fmtExit(s.last_exit) : '');
	}
	if (s.state === 'stopped' && s.stopped_by_hand) return 'stopped by hand';
	if (s.state === 'unhealthy' && s.health && s.health.last_error) return s.health.last_error;
	return '';
}

const BLOCK = 8;	/* rows per content-visibility block */

export function servicesTable() {
	let sortKey = 'name', sortDir = 1, filter = '';
	const rows = new Map();	/* name -> { tr, cells, blk, stale, sparkStale } */
	const tbody = h('div.rows', { role: 'rowgroup' });
	const blocks = [];	/* div.blk, each with its rows and .seen */
	const off = h('div.blk-off');	/* the rows the filter hides */
	const heads = COLS.map((c) => {
		const th = h('div', { role: 'columnheader', class: 'c-' + c.key + (c.num ? ' num' : '') + (c.opt ? ' opt' : '') });
		if (c.nosort) th.textContent = c.label;
		else th.append(h('button', { type: 'button', text: c.label, onclick: () => setSort(c.key) }));
		return th;
	});
	const count = h('span.muted');
	const input = h('input', { type: 'search', placeholder: 'filter: name, type or state', 'aria-label': 'Filter services' });
	input.addEventListener('input', () => { filter = input.value.trim().toLowerCase(); reorder(); });
	const el = h('section', { 'aria-labelledby': 'h-table' },
		h('h2#h-table', { text: 'Services' }),
		h('div.tools', input, count),
		h('div.tablewrap', h('div.svc', { role: 'table', 'aria-label': 'Services', 'aria-rowcount': store.order.length + 1 },
			h('div.head', { role: 'rowgroup' }, h('div.r', { role: 'row' }, heads)), tbody)));

	/* the blocks on screen (clipped by the table's scroll box): their
	 * rows are the ones each sample writes; a block that comes into view
	 * is brought up to date then */
	const io = new IntersectionObserver((entries) => {
		for (const e of entries) {
			const blk = e.target;
			blk.seen = e.isIntersecting;
			if (!blk.seen) continue;
			for (const tr of blk.children) {
				const r = tr._row;
				if (r && (r.stale || r.sparkStale)) writeRow(r, true);
			}
		}
	});
	function block(i) {
		while (blocks.length <= i) {
			const blk = h('div.blk');
			blk.seen = false;	/* until the observer says so */
			io.observe(blk);
			blocks.push(blk);
		}
		return blocks[i];
	}
	const visible = (r) => !!r.blk && r.blk.seen;

	function buildRow(s) {
		const cells = {};
		const tr = h('div.r', { role: 'row', 'data-service': s.name });
		for (const c of COLS) {
			const td = h('div', { role: 'cell', class: 'c-' + c.key + (c.num ? ' num' : '') + (c.opt ? ' opt' : '') });
			tr.append(td);
			/* a cell written at each sample holds a box of fixed
			 * height with strict containment: a new text lays out
			 * that box alone, not its row and the table around it */
			cells[c.key] = c.live ? td.appendChild(h('span.val')) : td;
		}
		cells.name.append(h('a', { href: '#/service/' + encodeURIComponent(s.name), text: s.name }));
		cells.stateWord = h('span.state');
		cells.why = h('div.why.muted');
		cells.lines = h('pre.lastlines');
		cells.state.append(cells.stateWord, cells.why);
		cells.cpuLine = svg('path', { class: 's1' });
		cells.memLine = svg('path', { class: 's2' });
		cells.spark.append(svg('svg', { class: 'spark', viewBox: SPARK_VIEWBOX, role: 'img',
			'aria-label': 'CPU and memory of ' + s.name }, cells.cpuLine, cells.memLine));
		const r = { name: s.name, tr, cells, blk: null, stale: true, sparkStale: true, last: {} };
		tr._row = r;
		return r;
	}

	function put(r, key, text) {
		if (r.last[key] === text) return;
		r.last[key] = text;
		setText(r.cells[key], text);
	}

	function writeRow(r, metricsOnly) {
		const s = store.services.get(r.name);
		if (!s) return;
		r.stale = false;
		const m = s.metrics;
		put(r, 'cpu', m ? fmtPct(m.cpu_percent) : '–');
		put(r, 'mem', m ? fmtBytes(m.rss_bytes) : '–');
		put(r, 'uptime', uptime(s));
		if (visible(r)) {
			r.sparkStale = false;
			const [a, b] = sparkPaths(s.history && s.history.cpu, s.history && s.history.rss, SPARK_N);
			if (r.last.sa !== a) { r.last.sa = a; r.cells.cpuLine.setAttribute('d', a); }
			if (r.last.sb !== b) { r.last.sb = b; r.cells.memLine.setAttribute('d', b); }
		} else r.sparkStale = true;
		if (metricsOnly) return;
		put(r, 'type', s.type);
		if (r.last.state !== s.state) {
			r.last.state = s.state;
			r.cells.stateWord.className = 'state ' + stateClass(s.state);
			r.cells.stateWord.textContent = s.state;
			r.tr.dataset.state = s.state;
		}
		put(r, 'why', why(s));
		const lines = s.state === 'failed' ? lastLines(s).slice(-3).map((l) => (typeof l === 'string' ? l : l.line)).join('\n') : '';
		if (r.last.lines !== lines) {
			r.last.lines = lines;
			r.cells.lines.textContent = lines;
			if (lines && !r.cells.lines.parentNode) r.cells.state.append(r.cells.lines);
			else if (!lines && r.cells.lines.parentNode) r.cells.lines.remove();
		}
		const hl = s.health || {};
		put(r, 'health', hl.status === 'none' || !hl.status ? '–' : hl.status + (hl.last_latency_ms !== null && hl.last_latency_ms !== undefined ? ' · ' + fmtMs(hl.last_latency_ms) : ''));
		put(r, 'status', s.status_text || '');
		put(r, 'pid', s.pid ? String(s.pid) : '–');
		const since = up(s) ? 'up since ' + new Date(s.started_at).toLocaleString([], { hour12: false }) : '';
		if (r.last.since !== since) { r.last.since = since; r.cells.uptime.title = since; }
		put(r, 'restarts', String(s.restarts || 0));
		put(r, 'exit', fmtExit(s.last_exit));
	}

	function matches(s) {
		if (!filter) return true;
		return s.name.toLowerCase().includes(filter) || (s.type || '').includes(filter) || (s.state || '').includes(filter);
	}

	function setSort(key) {
		if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
		reorder();
	}

	function reorder() {
		const col = COLS.find((c) => c.key === sortKey);
		const list = store.order.map((n) => store.services.get(n)).filter(Boolean);
		list.sort((a, b) => {
			const x = col.sort(a), y = col.sort(b);
			return (x < y ? -1 : x > y ? 1 : 0) * sortDir || (a.name < b.name ? -1 : 1);
		});
		heads.forEach((th, i) => {
			if (COLS[i].key === sortKey) th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
			else th.removeAttribute('aria-sort');
		});
		/* the shown rows in blocks of BLOCK, in order; the hidden apart */
		let shown = 0;
		const hidden = [];
		const built = [];
		let cur = null;
		for (const s of list) {
			let r = rows.get(s.name);
			if (!r) { r = buildRow(s); rows.set(s.name, r); built.push(r); }
			if (!matches(s)) { hidden.push(r.tr); r.blk = null; continue; }
			if (shown % BLOCK === 0) {
				cur = block(shown / BLOCK);
				cur.replaceChildren();
			}
			shown++;
			cur.append(r.tr);
			r.blk = cur;
		}
		const used = Math.ceil(shown / BLOCK);
		for (let i = used; i < blocks.length; i++) blocks[i].replaceChildren();
		off.replaceChildren(...hidden);
		if (tbody.childElementCount !== used + 1) tbody.replaceChildren(...blocks.slice(0, used), off);
		/* a new row gets every cell (its state word, seen or not); a row
		 * moved into a block the browser renders, its live cells */
		for (const r of built) writeRow(r);
		for (const r of rows.values()) if ((r.stale || r.sparkStale) && visible(r)) writeRow(r, true);
		setText(count, shown === list.length ? list.length + ' services' : shown + ' of ' + list.length + ' services');
	}

	const dirty = new Set();
	let metricsDirty = false;
	function flush() {
		/* a change of state is written to every row, seen or not (rare,
		 * and what a reader searches for); only the per-sample cells of
		 * rows off screen wait until they scroll into view */
		for (const name of dirty) {
			const r = rows.get(name);
			if (r) writeRow(r);
		}
		const live = ['state', 'cpu', 'mem', 'uptime'].includes(sortKey);
		if (dirty.size && (live || filter)) reorder();
		dirty.clear();
		if (metricsDirty) {
			metricsDirty = false;
			for (const r of rows.values()) {
				if (visible(r)) writeRow(r, true); else r.stale = true;
			}
		}
	}
	let lastSort = 0;
	const offs = [
		on('service', (names) => { names.forEach((n) => dirty.add(n)); schedule('table', flush); }),
		on('metrics', () => {
			metricsDirty = true;
			/* a live sort key reorders at most every 2 s */
			if (['cpu', 'mem'].includes(sortKey) && performance.now() - lastSort > 2000) {
				lastSort = performance.now();
				schedule('table-sort', reorder);
			}
			schedule('table', flush);
		}),
	];
	reorder();
	return {
		el,
		dispose() { offs.forEach((f) => f()); io.disconnect(); },
	};
}
