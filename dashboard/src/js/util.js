/*
 * Small helpers shared by every view of the dashboard: a DOM builder that
 * never writes style attributes (the page runs under a CSP without
 * 'unsafe-inline'), number and time formatting in the units of SPEC's
 * JSON (bytes, % of one core, RFC 3339 times), and a requestAnimationFrame
 * batcher so that a burst of updates costs one DOM write per frame.
 */

/* h('div.cls#id', {attrs}, children...): an element. Attributes go
 * through setAttribute, except on* handlers (listeners) and 'text'. */
export function h(spec, attrs, ...kids) {
	const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
	const el = document.createElementNS(spec.startsWith('svg:') ?
		'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
		spec.startsWith('svg:') ? spec.slice(4) : (m[1] || 'div'));
	if (m && m[2]) {
		for (const part of m[2].match(/[.#][\w-]+/g)) {
			if (part[0] === '.') el.classList.add(part.slice(1));
			else el.id = part.slice(1);
		}
	}
	if (attrs && (typeof attrs !== 'object' || attrs instanceof Node ||
	    Array.isArray(attrs))) {
		kids.unshift(attrs);
		attrs = null;
	}
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === 'text') el.textContent = v;
		else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.setAttribute('class', v);
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, kids);
	return el;
}

export function svg(tag, attrs, ...kids) {
	return h('svg:' + tag, attrs || {}, ...kids);
}

function append(el, kids) {
	for (const k of kids) {
		if (k === null || k === undefined || k === false) continue;
		if (Array.isArray(k)) append(el, k);
		else el.append(k instanceof Node ? k : String(k));
	}
}

/* clear(el, ...kids): replace the children */
export function clear(el, ...kids) {
	el.replaceChildren();
	append(el, kids);
	return el;
}

/* set text only when it changed (a DOM write costs a style recalc); an
 * element that holds one text node keeps it and has its data changed:
 * replacing the node would cost a style recalc and a layout of a new
 * one */
export function setText(el, t) {
	t = t === null || t === undefined ? '' : String(t);
	const f = el.firstChild;
	if (f && f === el.lastChild && f.nodeType === Node.TEXT_NODE) {
		if (f.data !== t) f.data = t;
	} else if (el.textContent !== t) el.textContent = t;
}

export function fmtBytes(b) {
	if (b === null || b === undefined) return '–';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (Math.abs(b) >= 1024 && i < u.length - 1) { b /= 1024; i++; }
	return (i === 0 ? b.toFixed(0) : b.toFixed(b < 10 ? 1 : 0)) + ' ' + u[i];
}

export function fmtRate(b) {
	return b === null || b === undefined ? '–' : fmtBytes(b) + '/s';
}

export function fmtPct(p) {
	if (p === null || p === undefined) return '–';
	return (p < 10 ? p.toFixed(1) : p.toFixed(0)) + ' %';
}

export function fmtDur(s) {
	if (s === null || s === undefined) return '–';
	s = Math.floor(s);
	if (s < 60) return s + 's';
	if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
	if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
	return Math.floor(s / 86400) + 'd' + Math.floor(s % 86400 / 3600) + 'h';
}

/* An uptime in a table of many rows, as `docker ps` gives it: seconds in
 * the first minute only, then minutes, then hours and minutes, days and
 * hours; after the first minute it changes at most once a minute (a row's
 * title and the service page have the start time and the seconds) */
export function fmtAge(s) {
	if (s === null || s === undefined) return '–';
	s = Math.floor(s);
	if (s >= 60 && s < 3600) return Math.floor(s / 60) + 'm';
	return fmtDur(s);
}

export function fmtMs(ms) {
	if (ms === null || ms === undefined) return '–';
	return ms < 10 ? ms.toFixed(1) + ' ms' : ms.toFixed(0) + ' ms';
}

export function fmtTime(iso) {
	if (!iso) return '–';
	const d = new Date(iso);
	return d.toLocaleTimeString([], { hour12: false }) + '.' +
		String(d.getMilliseconds()).padStart(3, '0');
}

/* "exit 3", "signal 9", or "–" */
export function fmtExit(e) {
	if (!e) return '–';
	if (e.signal !== null && e.signal !== undefined) return 'signal ' + e.signal;
	return 'exit ' + e.code;
}

/* One DOM write per frame: schedule(key, fn) keeps the last fn per key. */
const pending = new Map();
let frame = 0;
export let frameHook = null;
export function setFrameHook(fn) { frameHook = fn; }
export function schedule(key, fn) {
	pending.set(key, fn);
	if (!frame) frame = requestAnimationFrame(flush);
}
function flush() {
	frame = 0;
	const t0 = performance.now();
	const fns = [...pending.values()];
	pending.clear();
	for (const fn of fns) {
		try { fn(); } catch (e) { console.warn('render failed', e); }
	}
	if (frameHook) frameHook(performance.now() - t0);
}

/* a service-state word to its colour class */
export function stateClass(state) {
	return 'st-' + (state || 'unknown').replace(/[^a-z]/g, '');
}

export function debounce(fn, ms) {
	let t = 0;
	return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}
