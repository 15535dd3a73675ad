/*
 * The service page (#/service/NAME, SPEC §10): state and reason, the
 * controls, figures (pid, uptime, processes, threads, fds, I/O, restarts),
 * charts of CPU and memory over the whole history (fetched from
 * /api/metrics/history, then extended by each live sample) and of the
 * health-check latency (the last checks, from /api/services/NAME), its
 * dependencies and dependents, environment keys, its alerts (firing and
 * resolved, with their delivery state), its events, its last exits with
 * their last lines, and a live log tail. A notify service's STATUS= text
 * is under its name.
 */
import { store, on, dependents, waitingOn, serviceTail } from './store.js';
import { alertList } from './alerts.js';
import { h, clear, setText, fmtBytes, fmtRate, fmtPct, fmtDur, fmtMs, fmtExit, fmtTime, schedule, stateClass } from './util.js';
import { lineChart, timesFor } from './charts.js';
import { controlButtons } from './controls.js';
import { logTail } from './logtail.js';

export function linesText(lines) {
	return lines.map((l) => (typeof l === 'string' ? l : l.line)).join('\n');
}

function eventText(e) {
	if (e.kind === 'state') return e.from + ' → ' + e.to + (e.reason ? ': ' + e.reason : '');
	return e.reason || e.kind;
}

export function mount(root, name) {
	const s0 = store.services.get(name);
	if (!s0) {
		root.append(h('h1', { text: name }), h('p', { text: 'No service named ' + name + ' in this configuration.' }), h('a', { href: '#/', text: 'Back to the overview' }));
		return () => {};
	}
	const state = h('span.state');
	const reason = h('span.muted');
	const statusText = h('p.statustext');
	const figs = h('dl.kv');
	const deps = h('ul.plain');
	const rdeps = h('ul.plain');
	const env = h('p');
	const evList = h('ul.plain.events');
	const exits = h('div');
	const alerts = h('div.alerts');
	const ctl = controlButtons(name);
	const cpuBox = h('div.chart'), memBox = h('div.chart'), latBox = h('div.chart');
	const latNote = h('p.muted');
	const tail = logTail([name], { label: 'Log of ' + name, tail: 100 });
	root.append(
		h('p', h('a', { href: '#/', text: '← Overview' })),
		h('div.svchead', h('h1', { text: name }), state, reason),
		statusText,
		ctl,
		h('div.grid2',
			h('section.panel', { 'aria-label': 'Figures' }, h('h3', { text: 'Figures' }), figs),
			h('section.panel', { 'aria-label': 'Dependencies' }, h('h3', { text: 'Depends on' }), deps, h('h3', { text: 'Needed by' }), rdeps,
				h('h3', { text: 'Environment keys' }), env)),
		h('div.grid2',
			h('section.panel.tile', h('h3', { text: 'CPU' }), cpuBox),
			h('section.panel.tile', h('h3', { text: 'Memory' }), memBox),
			h('section.panel.tile', h('h3', { text: 'Health-check latency' }), latBox, latNote)),
		h('section.panel', { 'aria-labelledby': 'h-svc-alerts' }, h('h3#h-svc-alerts', { text: 'Alerts' }), alerts),
		h('section', { 'aria-labelledby': 'h-log' }, h('h2#h-log', { text: 'Log' }), tail.el),
		h('div.grid2',
			h('section.panel', { 'aria-labelledby': 'h-exits' }, h('h3#h-exits', { text: 'Last exits' }), exits),
			h('section.panel', { 'aria-labelledby': 'h-ev' }, h('h3#h-ev', { text: 'Events' }), evList)));

	const cpu = lineChart(cpuBox, { series: [{ label: 'CPU %' }], fmt: (v) => v.toFixed(v < 10 ? 1 : 0) + '%', min: 0 });
	const mem = lineChart(memBox, { series: [{ label: 'RSS' }], fmt: fmtBytes, min: 0 });
	const lat = lineChart(latBox, { series: [{ label: 'latency' }], fmt: fmtMs, min: 0 });
	let hist = { cpu: [], rss: [], endMs: Date.now() };
	let alive = true;

	const drawHist = () => {
		const n = hist.cpu.length;
		const xs = timesFor(n, hist.endMs, store.intervalMs);
		cpu.setData(xs, [hist.cpu]);
		mem.setData(xs, [hist.rss.slice(-n)]);
	};
	const drawLat = () => {
		const s = store.services.get(name);
		const hh = (s && s.health && s.health.history) || [];
		if (!hh.length) {
			setText(latNote, s && s.health && s.health.status === 'none' ? 'No health check configured.' : 'No check yet.');
			lat.setData([], [[]]);
			return;
		}
		setText(latNote, hh.length + ' last checks, ' + hh.filter((x) => !x.ok).length + ' failed');
		lat.setData(hh.map((x) => Date.parse(x.at) / 1000), [hh.map((x) => x.latency_ms)]);
	};
	const drawInfo = () => {
		const s = store.services.get(name);
		if (!s) return;
		state.className = 'state ' + stateClass(s.state);
		setText(state, s.state);
		let why = s.reason || '';
		if (s.state === 'waiting') {
			const d = waitingOn(s);
			if (d) why = 'waiting for ' + d.name + ' (' + d.condition + ')';
		}
		setText(reason, why);
		setText(statusText, s.status_text ? 'Status: ' + s.status_text : '');
		statusText.hidden = !s.status_text;
		const m = s.metrics || {};
		const hl = s.health || {};
		clear(figs,
			h('dt', { text: 'type' }), h('dd', { text: s.type + (s.port ? ' · port ' + s.port : '') }),
			h('dt', { text: 'pid' }), h('dd', { text: s.pid || '–' }),
			h('dt', { text: 'uptime' }), h('dd', { text: s.started_at && s.pid ? fmtDur((Date.now() - Date.parse(s.started_at)) / 1000) : '–' }),
			h('dt', { text: 'CPU' }), h('dd', { text: fmtPct(m.cpu_percent) }),
			h('dt', { text: 'memory' }), h('dd', { text: fmtBytes(m.rss_bytes) }),
			h('dt', { text: 'processes' }), h('dd', { text: m.processes ?? '–' }),
			h('dt', { text: 'threads' }), h('dd', { text: m.threads ?? '–' }),
			h('dt', { text: 'open fds' }), h('dd', { text: m.fds ?? '–' }),
			h('dt', { text: 'I/O' }), h('dd', { text: fmtRate(m.read_bps) + ' read · ' + fmtRate(m.write_bps) + ' write' }),
			h('dt', { text: 'restarts' }), h('dd', { text: String(s.restarts || 0) }),
			h('dt', { text: 'last exit' }), h('dd', { text: fmtExit(s.last_exit) + (s.last_exit ? ' at ' + fmtTime(s.last_exit.at) : '') }),
			h('dt', { text: 'health' }), h('dd', { text: (hl.status || '–') + (hl.kind ? ' (' + hl.kind + ')' : '') + (hl.last_latency_ms != null ? ' · ' + fmtMs(hl.last_latency_ms) : '') + (hl.last_error ? ' · ' + hl.last_error : '') }));
		clear(deps, (s.dependencies || []).length ? s.dependencies.map((d) => {
			const ds = store.services.get(d.name);
			return h('li', h('a', { href: '#/service/' + encodeURIComponent(d.name), text: d.name }), ' (' + d.condition + ') ',
				ds ? h('span.state.' + stateClass(ds.state), { text: ds.state }) : null);
		}) : h('li.muted', { text: 'none' }));
		const rd = dependents(name);
		clear(rdeps, rd.length ? rd.map((d) => h('li', h('a', { href: '#/service/' + encodeURIComponent(d.name), text: d.name }), ' (' + d.condition + ')')) : h('li.muted', { text: 'none' }));
		setText(env, (s.environment_keys || []).length ? s.environment_keys.join(', ') : 'none');
		const mine = store.events.filter((e) => e.service === name);
		clear(evList, mine.slice(-30).reverse().map((e) => h('li', h('span', { text: fmtTime(e.ts) }), h('span', { text: e.kind }), h('span', { text: e.to || '' }), h('span', { text: eventText(e) }))));
		if (!mine.length) evList.append(h('li.muted', { text: 'none in the ring' }));
		/* the service's last exits (with their last lines) when prodd
		 * keeps them, else the exit events in the ring */
		const ex = Array.isArray(s.last_exits) ? s.last_exits.slice(0, 5).map((x) => ({ ts: x.at, reason: x.reason || fmtExit(x), last_lines: x.last_lines })) :
			mine.filter((e) => e.kind === 'exit').slice(-5).reverse();
		clear(exits, ex.length ? ex.map((e) => h('div.exit', h('p', { text: fmtTime(e.ts) + ' · ' + (e.reason || '') }),
			Array.isArray(e.last_lines) && e.last_lines.length ? h('pre.lastlines', { text: linesText(e.last_lines) }) :
				h('p.muted', { text: 'no output' }))) : h('p.muted', { text: 'none' }));
	};

	async function load() {
		try {
			const [hr, sr] = await Promise.all([
				fetch('api/metrics/history?service=' + encodeURIComponent(name) + '&series=cpu,rss', { cache: 'no-store' }),
				fetch('api/services/' + encodeURIComponent(name), { cache: 'no-store' })]);
			if (!alive) return;
			if (hr.ok) {
				const j = await hr.json();
				hist = { cpu: (j.series && j.series.cpu) || [], rss: (j.series && j.series.rss) || [], endMs: Date.parse(j.end) || Date.now() };
			} else {
				const s = store.services.get(name);
				hist = { cpu: serviceTail(s.history && s.history.cpu).slice(), rss: serviceTail(s.history && s.history.rss).slice(), endMs: Date.now() };
			}
			if (sr.ok) {
				const full = await sr.json();
				const s = store.services.get(name);
				if (s && full) { s.health = full.health; Object.assign(s, { ...full, history: s.history }); }
			}
			if (!alive) return;
			drawHist();
			drawLat();
			drawInfo();
		} catch (e) { /* offline: the snapshot's points stay */ }
	}

	const drawAlerts = () => clear(alerts, alertList(store.alerts.filter((a) => a.service === name), 5, 'No alert for ' + name + '.'));
	drawInfo();
	drawAlerts();
	load();
	const offs = [
		on('metrics', (names) => {
			if (!names.includes(name)) return;
			const s = store.services.get(name);
			const m = s.metrics;
			hist.cpu.push(m ? m.cpu_percent : null);
			hist.rss.push(m ? m.rss_bytes : null);
			hist.endMs = Date.parse(store.lastMetricsTs) || Date.now();
			schedule('svc-hist', drawHist);
			schedule('svc-info', drawInfo);
		}),
		on('service', (names) => {
			if (names.includes(name)) { schedule('svc-info', drawInfo); schedule('svc-lat', drawLat); }
		}),
		on('event', (e) => { if (e.service === name) schedule('svc-info', drawInfo); }),
		on('alert', () => schedule('svc-alerts', drawAlerts)),
	];
	/* the health history is only in the detailed object: refetch it */
	const latTimer = setInterval(async () => {
		const s = store.services.get(name);
		if (!s || !s.health || s.health.status === 'none') return;
		try {
			const r = await fetch('api/services/' + encodeURIComponent(name), { cache: 'no-store' });
			if (r.ok && alive) { s.health = (await r.json()).health; schedule('svc-lat', drawLat); }
		} catch (e) { /* next time */ }
	}, 5000);
	return () => {
		alive = false;
		offs.forEach((f) => f());
		clearInterval(latTimer);
		cpu.destroy(); mem.destroy(); lat.destroy();
		tail.dispose();
		ctl.dispose();
	};
}
