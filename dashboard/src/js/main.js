/*
 * The dashboard's entry point: the hash router (#/, #/service/NAME,
 * #/graph, #/events, #/timeline, #/logs), the live/reconnecting indicator,
 * the theme toggle (follows the system unless set, kept in localStorage),
 * the notice line for control results, and the 'prodd:rendered' mark once
 * the first view has drawn its table and charts.
 */
import { store, on } from './store.js';
import { connect, setMessageTimer } from './conn.js';
import { probeAuth, hasToken, forgetToken } from './controls.js';
import { themeChanged } from './charts.js';
import { setText, setFrameHook } from './util.js';
import * as overview from './view-overview.js';
import * as service from './view-service.js';
import * as graph from './view-graph.js';
import * as events from './view-events.js';
import * as timeline from './view-timeline.js';
import * as logs from './view-logs.js';

const main = document.getElementById('main');
let current = null;	/* { view, arg, dispose } */
let rendered = false;

function route() {
	const hash = location.hash || '#/';
	let m;
	if ((m = /^#\/service\/(.+)$/.exec(hash))) return [service, decodeURIComponent(m[1]), 'overview'];
	if (hash === '#/graph') return [graph, null, 'graph'];
	if (hash === '#/events') return [events, null, 'events'];
	if (hash === '#/timeline') return [timeline, null, 'timeline'];
	if (hash === '#/logs') return [logs, null, 'logs'];
	return [overview, null, 'overview'];
}

function show() {
	if (!store.daemon) return;	/* before the first snapshot */
	const [view, arg, nav] = route();
	if (current && current.dispose) current.dispose();
	main.replaceChildren();
	for (const a of document.querySelectorAll('nav a')) {
		if (a.dataset.view === nav && !arg) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	const dispose = view.mount(main, arg);
	current = { view, arg, dispose };
	document.title = (arg ? arg + ' · ' : '') + 'prodd';
	if (!rendered) {
		rendered = true;
		requestAnimationFrame(() => requestAnimationFrame(() => {
			performance.mark('prodd:rendered');
			document.documentElement.dataset.rendered = '1';
		}));
	}
}

window.addEventListener('hashchange', () => { show(); main.focus({ preventScroll: true }); });

/* a fresh snapshot (first connect, a restarted prodd): views rebuild */
on('snapshot', () => {
	const d = store.daemon || {};
	setText(document.getElementById('host'), 'v' + (d.version || '?'));
	show();
	probeAuth();
});

/* live indicator */
const liveEl = document.getElementById('live');
on('live', ({ live, why }) => {
	liveEl.classList.toggle('off', !live);
	liveEl.classList.toggle('on', live);
	setText(liveEl, live ? 'live' : 'reconnecting…');
	liveEl.title = why || '';
	document.documentElement.dataset.live = live ? '1' : '0';
});

/* notices from the controls */
const notice = document.getElementById('notice');
let noticeTimer = 0;
on('notice', (res) => {
	notice.hidden = false;
	notice.className = res.ok ? 'ok' : 'bad';
	setText(notice, res.message);
	clearTimeout(noticeTimer);
	noticeTimer = setTimeout(() => { notice.hidden = true; }, res.ok ? 4000 : 10000);
});

const forget = document.getElementById('forget');
const syncForget = () => { forget.hidden = !hasToken(); };
forget.addEventListener('click', () => { forgetToken(); syncForget(); });
on('token', syncForget);
syncForget();

/* theme: system by default; the toggle cycles system → dark → light */
const themeBtn = document.getElementById('theme');
function applyTheme() {
	const t = localStorage.getItem('prodd.theme') || 'system';
	if (t === 'system') delete document.documentElement.dataset.theme;
	else document.documentElement.dataset.theme = t;
	setText(themeBtn, 'theme: ' + t);
	themeChanged();
}
themeBtn.addEventListener('click', () => {
	const order = ['system', 'dark', 'light'];
	const t = localStorage.getItem('prodd.theme') || 'system';
	localStorage.setItem('prodd.theme', order[(order.indexOf(t) + 1) % 3]);
	applyTheme();
	show();	/* charts take their colours when built */
});
applyTheme();
/* the system's theme changed: charts take the new colours */
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
	if (!document.documentElement.dataset.theme) { themeChanged(); show(); }
});

/* ?timing=1 (bench/dashboard.sh): each live sample's main-thread time,
 * its handler plus the animation frame that draws it, as a
 * 'prodd:update' measure. Off by default (entries would pile up). */
if (new URLSearchParams(location.search).get('timing') === '1') {
	let pending = null;
	setMessageTimer((type, ms, t0) => {
		if (type === 'metrics') pending = { t0, ms: (pending ? pending.ms : 0) + ms };
	});
	setFrameHook((ms) => {
		if (!pending) return;
		performance.measure('prodd:update', { start: pending.t0, duration: pending.ms + ms });
		pending = null;
	});
}

connect();
