/*
 * The page's copy of prodd's state, fed by /ws: the snapshot (daemon,
 * system with its history, services, events, alerts), then metrics
 * samples, events and alerts as they come. A state event updates the
 * service's state word at once; the rest of its object (pid, last exit,
 * health) is refetched from the API, batched, since an event carries only
 * what changed. A sample's `status_text` map sets the notify services'
 * STATUS= texts; an exit event's `last_lines` become the service's
 * `exitLines` (a failed row shows them). The alerts, firing and recently
 * resolved with their delivery state per channel, come from
 * /api/alerts: at the snapshot, after each `alert` message, and every
 * 5 s while one is active or a delivery is still under way (a delivery's
 * progress is not an `alert` message). Views subscribe to topics:
 * 'snapshot', 'metrics', 'service' (with the names that changed),
 * 'event', 'alert', 'log', 'live'.
 */
import { debounce } from './util.js';

export const store = {
	daemon: null,
	system: null,
	services: new Map(),	/* name -> service object (SPEC appendix) */
	order: [],		/* names in config order */
	events: [],		/* the latest up to 1000 */
	alerts: [],		/* active (firing, pending), then resolved, newest first */
	lastSeq: 0,
	instance: null,
	intervalMs: 1000,
	auth: null,		/* 'token' | 'disabled' | null (not known yet) */
	live: false,
};

const subs = new Map();
export function on(topic, fn) {
	if (!subs.has(topic)) subs.set(topic, new Set());
	subs.get(topic).add(fn);
	return () => subs.get(topic).delete(fn);
}
export function emit(topic, arg) {
	for (const fn of subs.get(topic) || []) {
		try { fn(arg); } catch (e) { console.warn(topic, e); }
	}
}

const HIST_CAP = 600;	/* sparkline / host chart points kept on the page */

export function applySnapshot(msg) {
	const d = msg.data || {};
	store.daemon = d.daemon || null;
	store.system = d.system || null;
	store.intervalMs = (d.system && d.system.interval_ms) || 1000;
	store.services = new Map();
	store.order = [];
	for (const s of d.services || []) {
		if (!s.history) s.history = { cpu: [], rss: [] };
		store.services.set(s.name, s);
		store.order.push(s.name);
	}
	store.events = (d.events || []).slice(-1000);
	for (const e of store.events) noteExit(e);
	store.alerts = d.alerts || [];
	if (msg.last_seq !== undefined) store.lastSeq = msg.last_seq;
	else if (store.events.length) store.lastSeq = store.events[store.events.length - 1].seq;
	if (msg.instance) store.instance = msg.instance;
	const auth = (d.auth && d.auth.tcp_writes) ||
		(d.daemon && d.daemon.auth && d.daemon.auth.tcp_writes);
	store.auth = auth || null;	/* else asked of /api/health (controls.js) */
	emit('snapshot');
	fetchAlerts();
}

/* an exit event's last lines, kept as the service's latest */
function noteExit(e) {
	if (e.kind !== 'exit' || !Array.isArray(e.last_lines)) return;
	const s = store.services.get(e.service);
	if (s) s.exitLines = e.last_lines;
}

/* the lines of a service's latest exit: exitLines, set by the latest of
 * an exit event and a fetched detail (last_exits, newest first) */
export function lastLines(s) {
	if (Array.isArray(s.exitLines)) return s.exitLines;
	if (Array.isArray(s.last_exits) && s.last_exits.length && Array.isArray(s.last_exits[0].last_lines)) {
		return s.last_exits[0].last_lines;
	}
	return [];
}

/* append, dropping the oldest beyond cap: shift() on a full array (V8
 * trims the front in place), splice only when it is over by more than
 * one (a longer history from the snapshot) */
function pushCapped(arr, v, cap) {
	if (arr.length === cap) arr.shift();
	else if (arr.length > cap) arr.splice(0, arr.length - cap + 1);
	arr.push(v);
}

/* A service's sparkline history: the latest SPARK_N values are the tail
 * of the array, which holds SPARK_N to 2*SPARK_N-1 of them: an append is
 * a push, and once in SPARK_N samples one splice drops the oldest (a
 * shift per sample moved 60 values in each of 1,000 arrays). Readers take
 * the tail (serviceTail). */
export const SPARK_N = 60;
function pushTail(arr, v) {
	arr.push(v);
	if (arr.length >= 2 * SPARK_N) arr.splice(0, arr.length - SPARK_N);
}
export function serviceTail(arr) {
	return !arr ? [] : arr.length > SPARK_N ? arr.slice(-SPARK_N) : arr;
}

export function applyMetrics(msg) {
	const sys = msg.system;
	if (sys && store.system) {
		const hist = store.system.history || (store.system.history = {});
		const add = (k, v) => pushCapped(hist[k] || (hist[k] = []), v, HIST_CAP);
		add('cpu', sys.cpu_percent);
		add('load1', sys.load ? sys.load[0] : null);
		add('mem_used', sys.memory ? sys.memory.used : null);
		add('swap_used', sys.swap ? sys.swap.used : null);
		add('disk_read_bps', sys.disk_io ? sys.disk_io.read_bps : null);
		add('disk_write_bps', sys.disk_io ? sys.disk_io.write_bps : null);
		hist.cpus = hist.cpus || [];
		(sys.cpus || []).forEach((v, i) => pushCapped(hist.cpus[i] || (hist.cpus[i] = []), v, HIST_CAP));
		hist.network = hist.network || {};
		for (const n of sys.network || []) {
			const e = hist.network[n.name] || (hist.network[n.name] = { rx_bps: [], tx_bps: [] });
			pushCapped(e.rx_bps, n.rx_bps, HIST_CAP);
			pushCapped(e.tx_bps, n.tx_bps, HIST_CAP);
		}
		hist.disks = hist.disks || {};
		for (const dk of sys.disks || []) {
			pushCapped(hist.disks[dk.path] || (hist.disks[dk.path] = []), dk.used_percent, HIST_CAP);
		}
		const { history, ...latest } = sys;
		Object.assign(store.system, latest, { history: hist });
	} else if (sys) {
		store.system = sys;
	}
	const changed = [];
	const svcs = msg.services || {};
	/* the compact form (conn.js asks for it): each service's figures an
	 * array in the order of msg.fields, a third of the bytes to receive
	 * and parse; made an object again here */
	const fields = msg.fields;
	for (const name in svcs) {
		let m = svcs[name];
		const s = store.services.get(name);
		if (!s) continue;
		if (fields && m) {
			const o = {};
			for (let i = 0; i < fields.length; i++) o[fields[i]] = m[i];
			m = o;
		}
		s.metrics = m;
		const hs = s.history || (s.history = { cpu: [], rss: [] });
		pushTail(hs.cpu, m ? m.cpu_percent : null);
		pushTail(hs.rss, m ? m.rss_bytes : null);
		changed.push(name);
	}
	store.lastMetricsTs = msg.ts;
	/* notify services' STATUS= texts: a row rewritten only when its
	 * text changed */
	const texts = [];
	for (const [name, t] of Object.entries(msg.status_text || {})) {
		const s = store.services.get(name);
		if (s && s.status_text !== t) { s.status_text = t; texts.push(name); }
	}
	emit('metrics', changed);
	if (texts.length) emit('service', texts);
}

/* The rest of a service's object after an event, fetched in one go. */
const dirty = new Set();
const refetch = debounce(async () => {
	const names = [...dirty];
	dirty.clear();
	if (!store.live) return;	/* the snapshot after the reconnect has it */
	try {
		if (names.length > 8) {
			const r = await fetch('api/services', { cache: 'no-store' });
			if (!r.ok) return;
			const body = await r.json();
			const list = Array.isArray(body) ? body : body.services || [];
			mergeServices(list.filter((s) => names.includes(s.name)));
		} else {
			const got = await Promise.all(names.map((n) =>
				fetch('api/services/' + encodeURIComponent(n), { cache: 'no-store' })
					.then((r) => (r.ok ? r.json() : null)).catch(() => null)));
			mergeServices(got.filter(Boolean));
		}
	} catch (e) { /* offline: the next snapshot brings it */ }
}, 120);

export function mergeServices(list) {
	const names = [];
	for (const s of list) {
		const old = store.services.get(s.name);
		if (!old) continue;
		const hist = old.history;
		const health = s.health && !s.health.history && old.health ? { ...s.health, history: old.health.history } : s.health;
		Object.assign(old, s, { history: hist, health });
		if (Array.isArray(s.last_exits) && s.last_exits.length) old.exitLines = s.last_exits[0].last_lines;
		names.push(s.name);
	}
	if (names.length) emit('service', names);
}

export function applyEvent(ev) {
	if (ev.seq !== undefined) {
		if (ev.seq <= store.lastSeq) return;
		store.lastSeq = ev.seq;
	}
	pushCapped(store.events, ev, 1000);
	noteExit(ev);
	const s = ev.service ? store.services.get(ev.service) : null;
	if (s && ev.kind === 'state' && ev.to) {
		s.state = ev.to;
		if (ev.reason) s.reason = ev.reason;
		if (ev.to === 'running' || ev.to === 'starting') {
			if (ev.pid) s.pid = ev.pid;
		} else if (['stopped', 'failed', 'backoff', 'waiting', 'exited'].includes(ev.to)) {
			s.pid = null;
		}
		emit('service', [s.name]);
	}
	if (s && store.live) {
		dirty.add(s.name);
		refetch();
	}
	if (ev.kind === 'reload') {
		emit('reload');
	}
	emit('event', ev);
}

export function applyAlert(a) {
	/* an alert that fires again is a new entry; a resolve replaces its
	 * firing one */
	const i = store.alerts.findIndex((x) => x.id === a.id && x.state !== 'resolved');
	if (i >= 0) store.alerts.splice(i, 1);
	store.alerts.unshift(a);
	emit('alert', a);
	alertsSoon();
}

/* GET /api/alerts: the active ones, then the recently resolved */
let alertsBusy = false;
export async function fetchAlerts() {
	if (alertsBusy) return;
	alertsBusy = true;
	try {
		const r = await fetch('api/alerts', { cache: 'no-store' });
		if (r.ok) {
			const j = await r.json();
			store.alerts = (j.active || []).concat(j.resolved || []);
			emit('alert', null);
		}
	} catch (e) { /* offline: the next snapshot brings them */ }
	alertsBusy = false;
}
const alertsSoon = debounce(fetchAlerts, 300);
const UNDER_WAY = ['queued', 'sending', 'retrying'];
setInterval(() => {
	if (!store.live) return;
	if (store.alerts.some((a) => a.state !== 'resolved' ||
	    Object.values(a.deliveries || {}).some((d) => UNDER_WAY.includes(d.state)))) fetchAlerts();
}, 5000);

export function setLive(live, why) {
	store.live = live;
	emit('live', { live, why });
}

/* a service's waiting dependency: the first not met (by its condition) */
export function waitingOn(s) {
	for (const d of s.dependencies || []) {
		const dep = store.services.get(d.name);
		if (!dep) continue;
		const met = d.condition === 'completed' ? dep.state === 'exited' &&
			!!dep.last_exit && dep.last_exit.code === 0 :
			d.condition === 'started' ? ['running', 'starting', 'unhealthy'].includes(dep.state) :
			dep.state === 'running';
		if (!met) return d;
	}
	return null;
}

export function dependents(name) {
	const out = [];
	for (const s of store.services.values()) {
		for (const d of s.dependencies || []) if (d.name === name) out.push({ name: s.name, condition: d.condition });
	}
	return out;
}
