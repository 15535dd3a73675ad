/*
 * The overview (SPEC §10): service counts by state, prodd's own figures,
 * the alerts (firing, then the last resolved, with their delivery state),
 * host tiles with live uPlot charts (CPU total and per core, load, memory
 * and swap, disk use per mount, disk I/O, network I/O), with the services
 * table (view-table.js) between the figures and the host tiles (it
 * scrolls in its own box, so the tiles stay near). Charts redraw once per
 * sample, in the same animation frame as the table's cells, and only
 * those on screen (an IntersectionObserver keeps the set, with no margin:
 * a chart that comes into view is drawn then): below the table they are
 * often not.
 */
import { store, on } from './store.js';
import { h, clear, setText, fmtBytes, fmtRate, fmtPct, fmtDur, fmtMs, schedule, stateClass } from './util.js';
import { lineChart, timesFor } from './charts.js';
import { controlButtons } from './controls.js';
import { servicesTable } from './view-table.js';
import { alertList } from './alerts.js';

const STATES = ['running', 'starting', 'waiting', 'unhealthy', 'backoff', 'stopping', 'failed', 'stopped', 'exited'];

function tiles() {
	const sys = store.system || {};
	const hist = sys.history || {};
	const list = [];
	const cpus = (hist.cpus || []).length;
	list.push({
		key: 'cpu', title: 'CPU', fmt: (v) => v.toFixed(0) + '%', min: 0, max: 100,
		series: [{ label: 'total' }].concat(Array.from({ length: Math.min(cpus, 5) }, (_, i) => ({ label: 'cpu' + i }))),
		data: (x) => [x.cpu || []].concat((x.cpus || []).slice(0, 5)),
		now: (s) => fmtPct(s.cpu_percent) + (s.cpus ? ' · ' + s.cpus.length + ' cores' : ''),
	});
	list.push({
		key: 'load', title: 'Load', fmt: (v) => v.toFixed(1), series: [{ label: 'load 1m' }],
		data: (x) => [x.load1 || []],
		now: (s) => (s.load || []).map((v) => v.toFixed(2)).join(' '),
	});
	list.push({
		key: 'mem', title: 'Memory', fmt: fmtBytes, min: 0,
		series: [{ label: 'used' }, { label: 'swap' }],
		data: (x) => [x.mem_used || [], x.swap_used || []],
		now: (s) => s.memory ? fmtBytes(s.memory.used) + ' of ' + fmtBytes(s.memory.total) : '–',
	});
	const mounts = Object.keys(hist.disks || {});
	list.push({
		key: 'disk', title: 'Disk use', fmt: (v) => v.toFixed(0) + '%', min: 0, max: 100,
		series: mounts.map((m) => ({ label: m })),
		data: (x) => mounts.map((m) => (x.disks || {})[m] || []),
		now: (s) => (s.disks || []).map((d) => d.path + ' ' + fmtPct(d.used_percent)).join(' · '),
	});
	list.push({
		key: 'dio', title: 'Disk I/O', fmt: fmtRate, min: 0,
		series: [{ label: 'read' }, { label: 'write' }],
		data: (x) => [x.disk_read_bps || [], x.disk_write_bps || []],
		now: (s) => s.disk_io ? fmtRate(s.disk_io.read_bps) + ' r · ' + fmtRate(s.disk_io.write_bps) + ' w' : '–',
	});
	const nics = Object.keys(hist.network || {}).filter((n) => n !== 'lo');
	const sum = (x, k) => {
		const nets = nics.map((n) => ((x.network || {})[n] || {})[k] || []);
		const len = Math.max(0, ...nets.map((a) => a.length));
		const out = new Array(len).fill(0);
		for (const a of nets) for (let i = 0; i < a.length; i++) out[len - a.length + i] += a[i] || 0;
		return out;
	};
	list.push({
		key: 'net', title: 'Network' + (nics.length ? ' (' + nics.join(', ') + ')' : ''), fmt: fmtRate, min: 0,
		series: [{ label: 'rx' }, { label: 'tx' }],
		data: (x) => [sum(x, 'rx_bps'), sum(x, 'tx_bps')],
		now: (s) => {
			let rx = 0, tx = 0;
			for (const n of s.network || []) if (n.name !== 'lo') { rx += n.rx_bps || 0; tx += n.tx_bps || 0; }
			return fmtRate(rx) + ' rx · ' + fmtRate(tx) + ' tx';
		},
	});
	return list;
}

export function mount(root) {
	const counts = h('div.chips', { 'aria-label': 'Services by state' });
	const self = h('dl.kv.two');
	const alerts = h('div.alerts');
	const tileBox = h('div.tiles');
	root.append(
		h('h1', { text: 'Overview' }),
		h('div.summary',
			h('section.panel', { 'aria-labelledby': 'h-services' }, h('h3#h-services', { text: 'Services' }), counts,
				h('div.row', controlButtons(null))),
			h('section.panel', { 'aria-labelledby': 'h-prodd' }, h('h3#h-prodd', { text: 'prodd' }), self),
			h('section.panel', { 'aria-labelledby': 'h-alerts' }, h('h3#h-alerts', { text: 'Alerts' }), alerts,
				h('a', { href: '#/events', text: 'all alerts and events' }))));
	const host = h('section', { 'aria-labelledby': 'h-host' }, h('h2#h-host', { text: 'Host' }), tileBox);
	root.append(host);

	const charts = [];
	for (const t of tiles()) {
		const v = h('span.v');
		const box = h('div.chart');
		tileBox.append(h('section.panel.tile', h('h3', t.title, v), box));
		const c = lineChart(box, { series: t.series.length ? t.series : [{ label: 'none' }], fmt: t.fmt, min: t.min, max: t.max, height: 110 });
		charts.push({ t, c, v, box, visible: true, stale: false });
	}
	const io = new IntersectionObserver((entries) => {
		for (const e of entries) {
			const ch = charts.find((x) => x.box === e.target);
			if (!ch) continue;
			ch.visible = e.isIntersecting;
			if (ch.visible && ch.stale) schedule('ov-charts', drawCharts);
		}
	});
	for (const ch of charts) io.observe(ch.box);

	/* the table after the charts: they measure their boxes, which is
	 * cheap before 500 rows are laid out */
	const table = servicesTable();
	root.insertBefore(table.el, host);

	const drawCharts = () => {
		const sys = store.system;
		if (!sys) return;
		const hist = sys.history || {};
		const endMs = Date.parse(sys.ts) || Date.now();
		for (const ch of charts) {
			const { t, c, v } = ch;
			if (!ch.visible) { ch.stale = true; continue; }
			ch.stale = false;
			const ys = t.data(hist);
			const n = Math.max(0, ...ys.map((a) => a.length));
			const pad = ys.map((a) => (a.length === n ? a : new Array(n - a.length).fill(null).concat(a)));
			c.setData(timesFor(n, endMs, store.intervalMs), pad.length ? pad : [[]]);
			setText(v, t.now(sys));
		}
	};

	const drawSummary = () => {
		const by = {};
		for (const s of store.services.values()) by[s.state] = (by[s.state] || 0) + 1;
		clear(counts, h('span.chip', { text: store.services.size + ' services' }),
			STATES.filter((s) => by[s]).map((s) => h('span.chip.' + stateClass(s), { text: by[s] + ' ' + s })));
		const d = store.daemon || {};
		const p = d.prodd || {};
		clear(self,
			h('dt', { text: 'status' }), h('dd', { text: d.status || '–' }),
			h('dt', { text: 'version' }), h('dd', { text: d.version || '–' }),
			h('dt', { text: 'pid' }), h('dd', { text: d.pid || '–' }),
			h('dt', { text: 'uptime' }), h('dd', { text: fmtDur(d.started_at ? (Date.now() - Date.parse(d.started_at)) / 1000 : d.uptime_s) }),
			h('dt', { text: 'memory' }), h('dd', { text: fmtBytes(p.rss_bytes) }),
			h('dt', { text: 'CPU' }), h('dd', { text: fmtPct(p.cpu_percent) }),
			h('dt', { text: 'loop lag' }), h('dd', { text: fmtMs(p.loop_lag_ms) + ' (max ' + fmtMs(p.loop_lag_max_ms) + ')' }),
			h('dt', { text: 'sample cost' }), h('dd', { text: p.sample_cpu_us !== undefined ? p.sample_cpu_us + ' µs CPU' : '–' }));
		clear(alerts, alertList(store.alerts, 3, 'None firing.'));
	};


	drawCharts();
	drawSummary();
	const offs = [
		on('metrics', () => schedule('ov-charts', drawCharts)),
		on('service', () => schedule('ov-summary', drawSummary)),
		on('alert', () => schedule('ov-summary', drawSummary)),
	];
	/* prodd's own figures: the snapshot's, then /api/health's every 5 s */
	const tick = setInterval(async () => {
		if (store.live) {
			try {
				const r = await fetch('api/health', { cache: 'no-store' });
				if (r.ok) Object.assign(store.daemon || (store.daemon = {}), await r.json());
			} catch (e) { /* the next time */ }
		}
		schedule('ov-summary', drawSummary);
	}, 5000);
	return () => {
		offs.forEach((f) => f());
		clearInterval(tick);
		io.disconnect();
		charts.forEach(({ c }) => c.destroy());
		table.dispose();
	};
}
