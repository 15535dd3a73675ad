/*
 * A live log tail box, shared by the service page and the merged logs
 * view: lines from /ws 'log' messages of the subscribed services, with a
 * text filter, a stream choice (both, stdout, stderr), pause (lines are
 * held, not lost, up to the cap) and follow (keep the view at the bottom).
 * At most 2000 lines are kept; appends are batched per animation frame.
 */
import { on } from './store.js';
import { subscribeLogs, unsubscribeLogs } from './conn.js';
import { h, fmtTime, schedule, setText } from './util.js';

const CAP = 2000;
let seq = 0;

export function logTail(names, opts = {}) {
	const id = 'tail' + (++seq);
	let lines = [];		/* {service, stream, ts, line} */
	let held = [];
	let paused = false, follow = true, filter = '', stream = 'all';
	const box = h('div.loglines', { role: 'log', 'aria-label': opts.label || 'Log lines', tabindex: 0 });
	const pauseBtn = h('button', { type: 'button', text: 'pause', 'aria-pressed': 'false' });
	const followBox = h('input#' + id + '-follow', { type: 'checkbox', checked: true });
	const filt = h('input', { type: 'search', placeholder: 'filter lines', 'aria-label': 'Filter log lines' });
	const sel = h('select', { 'aria-label': 'Stream' },
		h('option', { value: 'all', text: 'stdout + stderr' }), h('option', { value: 'stdout', text: 'stdout' }), h('option', { value: 'stderr', text: 'stderr' }));
	const heldNote = h('span.muted');
	const el = h('div.logtail',
		h('div.tools', pauseBtn, h('label', { for: id + '-follow' }, followBox, ' follow'), sel, filt, heldNote),
		box);

	const shows = (l) => (stream === 'all' || l.stream === stream) && (!filter || l.line.toLowerCase().includes(filter));
	const lineEl = (l) => h('div', { class: l.stream === 'stderr' ? 'stderr' : null },
		h('span.ts', { text: fmtTime(l.ts) + ' ' }),
		opts.multi ? h('span.svcname', { text: l.service + ' ' }) : null,
		l.line);
	function redraw() {
		box.replaceChildren(...lines.filter(shows).map(lineEl));
		if (follow) box.scrollTop = box.scrollHeight;
	}
	let pending = [];
	function flush() {
		const add = pending.filter(shows).map(lineEl);
		pending = [];
		box.append(...add);
		while (box.childElementCount > CAP) box.firstElementChild.remove();
		if (follow) box.scrollTop = box.scrollHeight;
	}
	function push(l) {
		lines.push(l);
		if (lines.length > CAP) lines.splice(0, lines.length - CAP);
		pending.push(l);
		schedule(id, flush);
	}
	pauseBtn.addEventListener('click', () => {
		paused = !paused;
		pauseBtn.textContent = paused ? 'resume' : 'pause';
		pauseBtn.setAttribute('aria-pressed', String(paused));
		if (!paused) { held.forEach(push); held = []; }
		setText(heldNote, '');
	});
	followBox.addEventListener('change', () => { follow = followBox.checked; if (follow) box.scrollTop = box.scrollHeight; });
	filt.addEventListener('input', () => { filter = filt.value.trim().toLowerCase(); redraw(); });
	sel.addEventListener('change', () => { stream = sel.value; redraw(); });

	let subscribed = [];
	const off = on('log', (m) => {
		if (!subscribed.includes(m.service)) return;
		const l = { service: m.service, stream: m.stream || 'stdout', ts: m.ts, line: m.line || '' };
		if (paused) {
			held.push(l);
			if (held.length > CAP) held.shift();
			setText(heldNote, held.length + ' new lines held');
		} else push(l);
	});
	function setNames(list) {
		const gone = subscribed.filter((n) => !list.includes(n));
		const fresh = list.filter((n) => !subscribed.includes(n));
		if (gone.length) unsubscribeLogs(gone);
		subscribed = list.slice();
		if (fresh.length) subscribeLogs(fresh, opts.tail || 50);
	}
	setNames(names);
	return {
		el,
		setNames,
		dispose() { off(); if (subscribed.length) unsubscribeLogs(subscribed); },
	};
}
