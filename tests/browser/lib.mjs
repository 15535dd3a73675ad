/*
 * Shared helpers of the browser tests (playwright-core driving Debian's
 * Chromium): one browser per script, a page factory whose watcher records
 * every console error, page error and securitypolicyviolation (checked
 * after each test: any is a failure), tests that print "ok - ..." or
 * "not ok - ..." (the shell wrapper counts them) and save a screenshot
 * on failure, and small polling helpers.
 */
import { chromium } from '../../dashboard/node_modules/playwright-core/index.mjs';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const BASE = process.env.DASH_URL;		/* http://127.0.0.1:PORT/ */
export const SHOTS = process.env.SHOTS || 'build/screenshots';
mkdirSync(SHOTS, { recursive: true });

/* Flags and path per DEVELOPERS.md (Debian's chromium, no sandbox as root). */
export async function launch() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--no-first-run',
			'--disable-dev-shm-usage'],
	});
}

/* A page with its watcher. Known and expected failures of a request can
 * be allowed by URL (allowHttp: [/re/]): the browser logs a failed fetch
 * as a console error. */
export async function openPage(browser, opts = {}) {
	const ctx = await browser.newContext({
		viewport: opts.viewport || { width: 1280, height: 720 },
		colorScheme: opts.colorScheme || 'light',
		bypassCSP: !!opts.bypassCSP,
	});
	const page = await ctx.newPage();
	page.problems = [];
	page.on('console', (m) => {
		if (m.type() !== 'error') return;
		const url = (m.location() && m.location().url) || '';
		if (/Failed to load resource/.test(m.text()) && (opts.allowHttp || []).some((re) => re.test(url))) return;
		if (page.allowNet && /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/.test(m.text())) return;
		page.problems.push('console error: ' + m.text() + (url ? ' (' + url + ')' : ''));
	});
	page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
	await page.exposeFunction('__cspViolation', (what) => page.problems.push('securitypolicyviolation: ' + what));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__cspViolation(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
		});
	});
	return page;
}

export async function rendered(page, path = '') {
	await page.goto(BASE + path);
	await page.waitForFunction(() => document.documentElement.dataset.rendered === '1', null, { timeout: 15000 });
}

let passed = 0, failed = 0, n = 0;
/* test(name, pages, fn): fn throws to fail; any watcher problem on the
 * pages fails it too; a failure saves a screenshot of each page */
export async function test(name, pages, fn) {
	n++;
	const t0 = Date.now();
	let err = null;
	try {
		await fn();
	} catch (e) {
		err = e;
	}
	const problems = [];
	for (const p of pages()) { problems.push(...p.problems); p.problems.length = 0; }
	if (!err && problems.length) err = new Error(problems.join('; '));
	if (err) {
		failed++;
		console.log('not ok - ' + name);
		console.log('# ' + String(err.stack || err).split('\n').slice(0, 4).join('\n# '));
		let i = 0;
		for (const p of pages()) {
			const f = SHOTS + '/fail-' + n + '-' + (i++) + '.png';
			try { await p.screenshot({ path: f }); console.log('# screenshot: ' + f); } catch (e) { /* closed */ }
		}
	} else {
		passed++;
		console.log('ok - ' + name);
		console.log('# ' + (Date.now() - t0) + ' ms');
	}
}
export function summary() { return { passed, failed }; }

export function assert(cond, what) {
	if (!cond) throw new Error(what);
}

/* poll(fn, seconds): fn() until truthy; returns its value or throws */
export async function poll(fn, seconds, what) {
	const end = Date.now() + seconds * 1000;
	let last;
	for (;;) {
		try { last = await fn(); } catch (e) { last = undefined; }
		if (last) return last;
		if (Date.now() > end) throw new Error('timed out after ' + seconds + ' s: ' + what);
		await new Promise((r) => setTimeout(r, 50));
	}
}

export async function api(path, init) {
	const r = await fetch(BASE + path.replace(/^\//, ''), init);
	return r.json();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const require = createRequire(import.meta.url);
export const AXE = readFileSync(require.resolve('../../dashboard/node_modules/axe-core/axe.min.js'), 'utf8');
