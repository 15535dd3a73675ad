/*
 * Events and alerts (SPEC §10): the live timeline of events, newest
 * first, filterable by service and kind; the alerts, firing and resolved,
 * with their delivery status per channel (alerts.js).
 */
import { store, on } from './store.js';
import { h, clear, fmtTime, schedule } from './util.js';
import { alertList } from './alerts.js';

const KINDS = ['state', 'spawn', 'exit', 'health', 'reload', 'alert', 'daemon'];

function text(e) {
	if (e.kind === 'state') return (e.from || '?') + ' → ' + (e.to || '?') + (e.reason ? ': ' + e.reason : '');
	return e.reason || e.kind;
}

export function mount(root) {
	const svcSel = h('select', { 'aria-label': 'Service' }, h('option', { value: '', text: 'every service' }),
		store.order.map((n) => h('option', { value: n, text: n })));
	const kindSel = h('select', { 'aria-label': 'Kind' }, h('option', { value: '', text: 'every kind' }),
		KINDS.map((k) => h('option', { value: k, text: k })));
	const list = h('ul.plain.events', { 'aria-live': 'off' });
	const alerts = h('div.alerts');
	root.append(h('h1', { text: 'Events and alerts' }),
		h('section.panel', { 'aria-labelledby': 'h-al' }, h('h2#h-al', { text: 'Alerts' }), alerts),
		h('h2', { text: 'Events' }),
		h('div.tools', svcSel, kindSel),
		h('section.panel', list));
	const draw = () => {
		const sv = svcSel.value, k = kindSel.value;
		const evs = store.events.filter((e) => (!sv || e.service === sv) && (!k || e.kind === k)).slice(-300).reverse();
		clear(list, evs.length ? evs.map((e) => h('li', { 'data-seq': e.seq },
			h('span', { text: fmtTime(e.ts) }),
			h('span', e.service ? h('a', { href: '#/service/' + encodeURIComponent(e.service), text: e.service }) : 'prodd'),
			h('span', { text: e.kind }),
			h('span', { text: text(e) }))) : h('li.muted', { text: 'no event matches' }));
	};
	const drawAlerts = () => clear(alerts, alertList(store.alerts, 50, 'No alert has fired.'));
	svcSel.addEventListener('change', draw);
	kindSel.addEventListener('change', draw);
	draw();
	drawAlerts();
	const offs = [on('event', () => schedule('events', draw)), on('alert', () => schedule('alerts', drawAlerts))];
	return () => offs.forEach((f) => f());
}
