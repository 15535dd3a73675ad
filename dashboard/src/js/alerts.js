/*
 * Alerts as the page shows them (SPEC §7, §10), on the overview, the
 * service page and the events view: one entry per alert with its state
 * (firing, pending, resolved), its summary, since when (and when it
 * resolved) and its delivery state per channel ("webhook: retrying, 3
 * attempts (connection refused)"), from the alert JSON of /api/alerts
 * and /ws. Each entry carries data-alert, data-state and, per channel,
 * data-channel and data-delivery, for tests and styles.
 */
import { h, fmtTime } from './util.js';

const ORDER = { firing: 0, pending: 1, resolved: 2 };

/* firing first, then pending, then resolved; newest first within each */
export function sortAlerts(list) {
	return list.slice().sort((a, b) => (ORDER[a.state] ?? 3) - (ORDER[b.state] ?? 3) ||
		Date.parse(b.resolved_at || b.since || 0) - Date.parse(a.resolved_at || a.since || 0));
}

function delivery(ch, d) {
	let t = ch + ': ' + d.state;
	if (d.attempts) t += ', ' + d.attempts + (d.attempts === 1 ? ' attempt' : ' attempts');
	if (d.last_error) t += ' (' + d.last_error + ')';
	return h('span.dlv', { 'data-channel': ch, 'data-delivery': d.state, text: t });
}

export function alertItem(a) {
	const sev = a.state === 'resolved' ? 'info' : a.severity === 'critical' ? 'critical' : 'warning';
	const chans = Object.entries(a.deliveries || {});
	return h('div.alert.sev-' + sev, { 'data-alert': a.id, 'data-state': a.state },
		h('strong', { text: a.state + ' ' }),
		a.summary || a.id,
		h('div.muted', { text: (a.state === 'pending' ? 'pending since ' : 'since ') + fmtTime(a.since) +
			(a.resolved_at ? ' · resolved ' + fmtTime(a.resolved_at) : '') }),
		h('div.dlvs', chans.length ? chans.map(([ch, d]) => delivery(ch, d)) :
			h('span.muted', { text: 'no channel configured: the API, /ws and the log only' })));
}

/* the list for one place: its alerts sorted, at most max resolved ones */
export function alertList(list, maxResolved, empty) {
	const sorted = sortAlerts(list);
	const act = sorted.filter((a) => a.state !== 'resolved');
	const res = sorted.filter((a) => a.state === 'resolved').slice(0, maxResolved);
	if (!act.length && !res.length) return [h('p.muted', { text: empty })];
	return act.concat(res).map(alertItem);
}
