/*
 * The controls (SPEC §5, §10): start, stop, restart, start-all, stop-all,
 * reload, as POSTs to the API with the bearer token. The token is asked
 * for once and kept in sessionStorage (this tab only); a 403 "wrong token"
 * forgets it and says so; with no token configured on prodd every control
 * is disabled and says why. Stop and stop-all ask for confirmation.
 */
import { store, emit, on } from './store.js';
import { h, clear } from './util.js';
import { wsCommand } from './conn.js';

const KEY = 'prodd.token';
const NO_TOKEN = 'read-only: prodd has no token configured (set daemon.token_file or PRODD_TOKEN), so changes over HTTP are disabled';

export function controlsDisabledReason() {
	if (store.auth === 'disabled') return NO_TOKEN;
	return null;
}

/* prodd's auth mode ("token" or "disabled"): the snapshot's "auth"; when a
 * snapshot lacks it (an older prodd), /api/health's. */
export async function probeAuth() {
	if (store.auth) { emit('auth'); return store.auth; }
	try {
		const hr = await fetch('api/health', { cache: 'no-store' });
		if (hr.ok) {
			const j = await hr.json();
			if (j.auth && j.auth.tcp_writes) store.auth = j.auth.tcp_writes;
		}
	} catch (e) {
		return null;
	}
	emit('auth');
	return store.auth;
}

function dialog(title, body, okText, input) {
	return new Promise((resolve) => {
		const dlg = document.getElementById('dialog');
		const field = input ? h('input#dialog-input', { type: 'password', autocomplete: 'off', 'aria-label': input }) : null;
		const form = h('form', { method: 'dialog' },
			h('h2#dialog-title', { text: title }),
			h('p', { text: body }),
			field ? h('label', { for: 'dialog-input', text: input }) : null,
			field,
			h('div.dialog-buttons',
				h('button', { type: 'button', value: 'cancel', text: 'Cancel', onclick: () => { dlg.close('cancel'); } }),
				h('button.primary', { type: 'submit', value: 'ok', text: okText })));
		clear(dlg, form);
		dlg.onclose = () => {
			resolve(dlg.returnValue === 'ok' ? (field ? field.value : true) : null);
		};
		dlg.returnValue = '';
		dlg.showModal();
		(field || form.querySelector('.primary')).focus();
	});
}

export function forgetToken() { sessionStorage.removeItem(KEY); emit('token'); }
export function hasToken() { return !!sessionStorage.getItem(KEY); }

async function token() {
	let t = sessionStorage.getItem(KEY);
	if (t) return t;
	t = await dialog('Token', 'Changes need prodd\'s token. It is kept for this tab only.', 'Use token', 'Token');
	if (!t) return null;
	sessionStorage.setItem(KEY, t);
	emit('token');
	return t;
}

/* act(action, name): 'start' | 'stop' | 'restart' on a service, or
 * 'start-all' | 'stop-all' | 'reload' with name null. Resolves to
 * { ok, message }; the message is also shown in the status line. */
export async function act(action, name) {
	const why = controlsDisabledReason();
	if (why) return report({ ok: false, message: why });
	if (action === 'stop' || action === 'stop-all') {
		const yes = await dialog(action === 'stop' ? 'Stop ' + name + '?' : 'Stop every service?',
			action === 'stop' ? name + ' will stop and stay stopped until started again.' :
				'Every service stops, in dependency order.', action === 'stop' ? 'Stop' : 'Stop all');
		if (!yes) return report({ ok: false, message: 'cancelled', quiet: true });
	}
	const t = await token();
	if (!t) return report({ ok: false, message: 'no token given: nothing done' });
	if (name) {
		/* over /ws: a refusal is an answer, not a failed request */
		const r = await wsCommand(action, name, t);
		if (r.status === 0) return report({ ok: false, message: 'not connected to prodd: nothing done' });
		return answer(r.status, { error: r.message || r.error || r.code }, action + ' ' + name);
	}
	const path = 'api/' + action;
	let r;
	try {
		r = await fetch(path, { method: 'POST', cache: 'no-store', headers: { Authorization: 'Bearer ' + t } });
	} catch (e) {
		return report({ ok: false, message: 'prodd is not reachable: nothing done' });
	}
	let body = null;
	try { body = await r.json(); } catch (e) { body = null; }
	return answer(r.status, body || {}, action);
}

function answer(status, body, what) {
	if (status === 403 && /token is configured/.test(body.error || '')) {
		store.auth = 'disabled';
		emit('auth');
		return report({ ok: false, message: NO_TOKEN });
	}
	if (status === 403 || status === 401) {
		forgetToken();
		return report({ ok: false, message: 'wrong token: nothing was done (you will be asked again)' });
	}
	if (status < 200 || status > 299) return report({ ok: false, message: what + ': ' + (body.error || 'HTTP ' + status) });
	return report({ ok: true, message: status === 200 ? what + ': nothing to do' : what + ': under way' });
}

function report(res) {
	if (!res.quiet) emit('notice', res);
	return res;
}

/* buttons for a service (or the whole platform with name null) */
export function controlButtons(name) {
	const acts = name ? ['start', 'stop', 'restart'] : ['start-all', 'stop-all', 'reload'];
	const box = h('div.controls', { role: 'group', 'aria-label': name ? 'Controls of ' + name : 'Controls of every service' });
	const why = h('p.controls-why');
	const btns = acts.map((a) => h('button.ctl', {
		type: 'button', 'data-action': a, text: a,
		onclick: (e) => { e.stopPropagation(); act(a, name); },
	}));
	box.append(...btns, why);
	const refresh = () => {
		const r = controlsDisabledReason();
		for (const b of btns) b.disabled = !!r;
		why.textContent = r || '';
		why.hidden = !r;
	};
	refresh();
	const offs = [on('auth', refresh), on('snapshot', refresh)];
	box.dispose = () => offs.forEach((f) => f());
	return box;
}
