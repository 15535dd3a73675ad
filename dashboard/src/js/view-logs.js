/*
 * The merged logs view (SPEC §10): a live tail of any chosen services in
 * one stream, each line with its service, with the tail's filter, stream
 * choice, pause and follow. The choice is a list of checkboxes.
 */
import { store } from './store.js';
import { h } from './util.js';
import { logTail } from './logtail.js';

export function mount(root) {
	const chosen = new Set(store.order.slice(0, 5));
	const tail = logTail([...chosen], { multi: true, label: 'Merged log', tail: 20 });
	const boxes = store.order.map((n, i) => {
		const id = 'lg-' + i;
		const cb = h('input#' + id, { type: 'checkbox', checked: chosen.has(n) });
		cb.addEventListener('change', () => {
			if (cb.checked) chosen.add(n); else chosen.delete(n);
			tail.setNames(store.order.filter((x) => chosen.has(x)));
		});
		return h('label', { for: id }, cb, ' ' + n);
	});
	root.append(h('h1', { text: 'Logs' }),
		h('fieldset.panel', h('legend', { text: 'Services' }), h('div.row', boxes)),
		tail.el);
	return () => tail.dispose();
}
