/*
 * The /ws connection (SPEC §6, §10): the snapshot, then metrics, events,
 * alerts, logs and command results. It reconnects by itself: at once after
 * close 1012 (an upgrade's hand-over), else with a backoff from 250 ms
 * doubling to 2 s; it resumes with /ws?since=SEQ&instance=ID, so events
 * missed while away are replayed, and takes a fresh snapshot when prodd
 * answers with one (reason "gap": a restarted prodd or a lost range).
 * Log subscriptions are sent again after each reconnect.
 */
import { store, applySnapshot, applyMetrics, applyEvent, applyAlert, setLive, emit } from './store.js';

let ws = null;
let backoff = 250;
let timer = 0;
let everConnected = false;
const logSubs = new Map();	/* name -> count of views that want it */
let nextId = 1;
const waiting = new Map();	/* command id -> resolve */

export let onMessageTimed = null;	/* (ms) => void, for the benchmark */
export function setMessageTimer(fn) { onMessageTimed = fn; }

function url() {
	const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
	const base = new URL('ws', location.href);
	/* metrics=compact: each service's figures as an array (store.js) */
	let u = proto + '//' + base.host + base.pathname + '?metrics=compact';
	if (everConnected && store.instance) {
		u += '&since=' + store.lastSeq + '&instance=' + encodeURIComponent(store.instance);
	}
	return u;
}

export function connect() {
	clearTimeout(timer);
	let sock;
	try {
		sock = new WebSocket(url());
	} catch (e) {
		retry(null);
		return;
	}
	ws = sock;
	sock.onopen = () => {
		backoff = 250;
		if (everConnected) setLive(true, '');
		const names = [...logSubs.keys()];
		if (names.length) send({ type: 'subscribe', logs: names, tail: 0 });
	};
	sock.onmessage = (e) => {
		const t0 = performance.now();
		let msg;
		try { msg = JSON.parse(e.data); } catch (err) { return; }
		if (msg.type === 'snapshot' && onMessageTimed) {
			performance.mark('prodd:snapshot', { detail: { bytes: e.data.length } });
		}
		dispatch(msg);
		if (onMessageTimed) onMessageTimed(msg.type, performance.now() - t0, t0);
	};
	sock.onclose = (e) => {
		if (ws !== sock) return;
		ws = null;
		retry(e.code);
	};
}

function retry(code) {
	const wasLive = store.live;
	setLive(false, code === 1012 ? 'prodd is upgrading' : 'connection lost');
	if (code === 1012) {
		timer = setTimeout(connect, 0);
		return;
	}
	const wait = wasLive ? 250 : backoff;
	backoff = Math.min(wait * 2, 2000);
	timer = setTimeout(connect, wait);
}

function dispatch(msg) {
	switch (msg.type) {
	case 'snapshot': {
		const fresh = everConnected;
		everConnected = true;
		applySnapshot(msg);
		setLive(true, fresh && msg.reason ? 'fresh snapshot (' + msg.reason + ')' : '');
		break;
	}
	case 'metrics':
		if (!store.live) setLive(true, '');
		applyMetrics(msg);
		break;
	case 'event':
		if (!store.live) setLive(true, '');
		applyEvent(msg.event || msg);
		break;
	case 'alert':
		applyAlert(msg.alert || msg);
		break;
	case 'log':
		emit('log', msg);
		break;
	case 'result': {
		const w = waiting.get(msg.id);
		if (w) { waiting.delete(msg.id); w(msg); }
		break;
	}
	case 'error':
		emit('wserror', msg);
		break;
	default:
		break;
	}
}

export function send(obj) {
	if (ws && ws.readyState === WebSocket.OPEN) {
		ws.send(JSON.stringify(obj));
		return true;
	}
	return false;
}

/* subscribeLogs(names, tail): a view wants these services' lines */
export function subscribeLogs(names, tail) {
	const fresh = names.filter((n) => !logSubs.has(n));
	for (const n of names) logSubs.set(n, (logSubs.get(n) || 0) + 1);
	if (fresh.length) send({ type: 'subscribe', logs: fresh, tail: tail || 0 });
}

export function unsubscribeLogs(names) {
	const gone = [];
	for (const n of names) {
		const c = (logSubs.get(n) || 0) - 1;
		if (c <= 0) { logSubs.delete(n); gone.push(n); } else logSubs.set(n, c);
	}
	if (gone.length) send({ type: 'unsubscribe', logs: gone });
}

export function wsCommand(action, service, token) {
	const id = nextId++;
	return new Promise((resolve) => {
		waiting.set(id, resolve);
		if (!send({ type: 'command', action, service, token, id })) {
			waiting.delete(id);
			resolve({ ok: false, status: 0, code: 'offline' });
		}
	});
}

/* for the reconnect test and the benchmark */
export function debugSocket() { return ws; }
