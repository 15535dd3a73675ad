/*
 * The dashboard in a real browser (SPEC §10, issue 12 item 4), against the
 * prodd that t-dashboard.sh started (DASH_URL, token TOKEN; DASH_URL_RO:
 * a second prodd with no token): every service rendered with its state; a
 * prodctl stop in the row within 1 s; a failed row's reason; the service
 * page's charts (pixels drawn, >= 10 points) and a live log line; the
 * graph's edges as in the config; restart with a wrong token (said, and
 * nothing changes) and the right one (a new pid); stop asks first; no
 * token configured: controls disabled with the reason; every view draws;
 * a failed row's and the service page's last lines; STATUS= texts in the
 * table and on the service page; alerts firing and then resolved, with
 * their webhook delivery state (retrying: nothing listens), on the
 * overview and the service page; the startup timeline with its critical
 * chain (the read-only prodd's three waves: db -> slow -> api);
 * the CSP watcher catches an injected inline script; axe-core finds no
 * serious or critical violation; screenshots (1280x720, 390x844, dark);
 * prodd restarted under the page: "reconnecting", then live, no reload.
 * No console error, page error or CSP violation in any test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync, existsSync, statSync } from 'node:fs';
import { launch, openPage, rendered, test, summary, assert, poll, api, sleep, AXE, SHOTS, BASE } from './lib.mjs';

const E = process.env;
const SERVICES = ['base', 'web', 'tailer', 'worker', 'broken', 'loader'];
const EDGES = ['base>web:healthy', 'base>tailer:started', 'web>worker:healthy'];

const prodctl = (...args) => execFileSync(E.PRODCTL, ['--socket', E.SOCK, ...args], { encoding: 'utf8', timeout: 30000 });
const svc = async (name) => api('api/services/' + name);
const rowState = (page, name) => page.$eval(`[role="row"][data-service="${name}"] .state`, (e) => e.textContent).catch(() => null);

const browser = await launch();
const pages = [];
const track = (p) => { pages.push(p); return p; };
const all = () => pages.filter((p) => !p.isClosed());
let main;

try {
	main = track(await openPage(browser, {}));
	await rendered(main);

	await test('the overview renders every service with its state', all, async () => {
		const names = await main.$$eval('[role="row"][data-service]', (rows) => rows.map((r) => r.dataset.service));
		assert(names.length === SERVICES.length && SERVICES.every((n) => names.includes(n)), 'rows: ' + names.join(','));
		await poll(async () => {
			const list = (await api('api/services')).services;
			for (const s of list) if ((await rowState(main, s.name)) !== s.state) return false;
			return true;
		}, 5, 'each row shows the state the API reports');
	});

	await test('a prodctl stop shows in the row within 1 s (the new state word, not the old)', all, async () => {
		await poll(async () => (await rowState(main, 'worker')) === 'running', 20, 'worker running first');
		prodctl('stop', 'worker');
		try {
			const t0 = Date.now();
			await poll(async () => (await rowState(main, 'worker')) === 'stopped', 1, 'the row says stopped');
			const text = await main.$eval('[role="row"][data-service="worker"]', (e) => e.textContent);
			assert(!/running/.test(text), 'the row still says running: ' + text);
			console.log('# shown ' + (Date.now() - t0) + ' ms after prodctl returned');
		} finally {
			prodctl('start', 'worker');
		}
	});

	await test('a failed service shows its reason', all, async () => {
		await poll(async () => (await rowState(main, 'broken')) === 'failed', 10, 'broken failed');
		const why = await main.$eval('[role="row"][data-service="broken"] .why', (e) => e.textContent);
		assert(/exited with code 3/.test(why) && /exit 3/.test(why), 'reason: ' + why);
	});

	await test('a failed row shows its last lines', all, async () => {
		await main.goto(BASE + '#/');
		const lines = await poll(async () => {
			const t = await main.$eval('[role="row"][data-service="broken"] pre.lastlines', (e) => e.textContent);
			return /boom/.test(t) ? t : false;
		}, 5, 'the row shows "boom"');
		const others = await main.$$eval('[role="row"][data-service]:not([data-service="broken"]) pre.lastlines', (es) => es.length);
		assert(others === 0, others + ' other rows show last lines');
		console.log('# lines: ' + JSON.stringify(lines));
	});

	await test('STATUS= text in the services table and on the service page', all, async () => {
		await poll(async () => (await main.$eval('[role="row"][data-service="loader"] .c-status', (e) => e.textContent)) === 'serving', 5, 'the row says "serving"');
		const other = await main.$eval('[role="row"][data-service="base"] .c-status', (e) => e.textContent);
		assert(other === '', 'base (not a notify service) shows: ' + other);
		await main.goto(BASE + '#/service/loader');
		await poll(async () => /serving/.test(await main.$eval('.statustext', (e) => (e.hidden ? '' : e.textContent))), 5, 'the service page says "serving"');
	});

	const alertSel = (state) => `.alerts [data-alert="service_failed/broken"][data-state="${state}"]`;
	const dlv = (page, state) => page.$eval(alertSel(state) + ' [data-channel="webhook"]', (e) => e.dataset.delivery + ' | ' + e.textContent).catch(() => '');
	await test('a firing alert with its delivery state, on the overview and the service page', all, async () => {
		await main.goto(BASE + '#/');
		const ov = await poll(async () => { const d = await dlv(main, 'firing'); return /^retrying \|/.test(d) ? d : false; }, 10, 'the overview shows service_failed/broken firing, webhook retrying');
		assert(/connection refused|refused|connect/i.test(ov), 'the delivery says why: ' + ov);
		await main.goto(BASE + '#/service/broken');
		await poll(async () => /^retrying \|/.test(await dlv(main, 'firing')), 5, 'the service page shows it firing, webhook retrying');
		const lines = await poll(async () => {
			const t = await main.$$eval('.exit pre.lastlines', (es) => es.map((e) => e.textContent));
			return t.length && t.every((x) => /boom/.test(x)) ? t : false;
		}, 5, 'the last exits show their lines ("boom")');
		console.log('# overview: ' + ov + '; exits with lines: ' + lines.length);
		const na = await main.$$eval('.na', (es) => es.map((e) => e.textContent));
		assert(!na.length, 'still "not available": ' + na.join(' | '));
	});

	await test('the service page draws its charts: pixels, and >= 10 points each', all, async () => {
		await main.goto(BASE + '#/service/web');
		await main.waitForSelector('.chart canvas');
		const res = await poll(async () => {
			const r = await main.$$eval('.chart', (boxes) => boxes.map((b) => {
				const u = b._chart;
				const c = b.querySelector('canvas');
				const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
				let px = 0;
				for (let i = 3; i < d.length; i += 4) if (d[i] > 0) px++;
				const pts = u ? u.data[1].filter((v) => v !== null && v !== undefined).length : 0;
				return { px, pts };
			}));
			return r.length === 3 && r.every((x) => x.px > 100 && x.pts >= 10) ? r : false;
		}, 15, 'three charts with pixels and >= 10 points');
		console.log('# charts: ' + JSON.stringify(res));
	});

	await test('the service page tails a line printed after it opened', all, async () => {
		await main.goto(BASE + '#/service/tailer');
		await main.waitForSelector('.loglines');
		await sleep(300);
		const mark = 'mark-' + Date.now();
		writeFileSync(E.T + '/marker', mark + '\n');
		await poll(async () => (await main.$eval('.loglines', (e) => e.textContent)).includes(mark), 5, 'the line in the tail');
	});

	await test('the graph shows the edges of the config', all, async () => {
		await main.goto(BASE + '#/graph');
		await main.waitForSelector('svg.graph .node');
		const edges = await main.$$eval('svg.graph .edge', (es) => es.map((e) => e.dataset.from + '>' + e.dataset.to + ':' + e.dataset.condition));
		assert(edges.length === EDGES.length && EDGES.every((x) => edges.includes(x)), 'edges: ' + edges.join(' '));
		const labels = await main.$$eval('svg.graph .edge text', (ts) => ts.map((t) => t.textContent));
		assert(labels.sort().join() === ['healthy', 'healthy', 'started'].join(), 'labels: ' + labels);
		const nodes = await main.$$eval('svg.graph .node', (ns) => ns.map((n) => n.dataset.service + ':' + n.querySelector('.stateword').textContent));
		assert(nodes.includes('broken:failed'), 'nodes: ' + nodes.join(' '));
	});

	await test('the alert resolves when the service runs again: shown resolved with its delivery state', all, async () => {
		writeFileSync(E.T + '/fixed', '');
		prodctl('start', 'broken');
		await poll(async () => (await svc('broken')).state === 'running', 15, 'broken running');
		await main.goto(BASE + '#/service/broken');
		const d = await poll(async () => { const x = await dlv(main, 'resolved'); return x || false; }, 10, 'the service page shows it resolved');
		assert(!(await main.$(alertSel('firing'))), 'still shown firing');
		await main.goto(BASE + '#/');
		await poll(async () => !!(await dlv(main, 'resolved')) && !(await main.$(alertSel('firing'))), 5, 'the overview shows it resolved, not firing');
		console.log('# resolved, webhook: ' + d);
	});

	await test('the startup timeline marks the critical chain (db -> slow -> api)', all, async () => {
		const p = track(await openPage(browser, {}));
		await p.goto(E.DASH_URL_RO + '#/timeline');
		await poll(async () => (await p.$$('.tl .tlrow')).length === 5, 10, 'five rows');
		const crit = await p.$$eval('.tl [data-crit="1"]', (rs) => rs.map((r) => r.dataset.service));
		assert(crit.sort().join() === 'api,db,slow', 'marked: ' + crit.join());
		const chain = await p.textContent('p.chain');
		assert(/db → slow → api/.test(chain), 'chain: ' + chain);
		const bars = await p.$$eval('.tl .tlrow[data-crit="1"] .bar.up', (bs) => bs.length);
		assert(bars === 3, bars + ' ready bars on the chain');
		const fast = await p.textContent('.tl .tlrow[data-service="fast"]');
		assert(/waited for db/.test(fast) && !/★/.test(fast), 'fast: ' + fast);
		await p.screenshot({ path: SHOTS + '/timeline-1280x720.png' });
		await p.close();
	});

	const ctl = track(await openPage(browser, {}));
	await test('restart with a wrong token says so and changes nothing', all, async () => {
		await poll(async () => (await svc('worker')).state === 'running', 20, 'worker running');
		const before = await svc('worker');
		await rendered(ctl, '#/service/worker');
		await ctl.click('button[data-action="restart"]');
		await ctl.fill('#dialog-input', 'not-the-token');
		await ctl.click('dialog button.primary');
		await poll(async () => /wrong token/.test(await ctl.textContent('#notice')), 5, 'the page says "wrong token"');
		await sleep(800);
		const after = await svc('worker');
		assert(after.pid === before.pid && after.restarts === before.restarts, 'pid ' + before.pid + ' -> ' + after.pid);
	});

	await test('restart with the right token changes the pid', all, async () => {
		const before = await svc('worker');
		await ctl.click('button[data-action="restart"]');
		await ctl.fill('#dialog-input', E.TOKEN);	/* asked again: the wrong one was forgotten */
		await ctl.click('dialog button.primary');
		const after = await poll(async () => {
			const s = await svc('worker');
			return s.pid && s.pid !== before.pid && s.state === 'running' ? s : false;
		}, 15, 'a new pid');
		await poll(async () => (await ctl.textContent('main')).includes(String(after.pid)), 5, 'the page shows the new pid');
	});

	await test('stop asks for confirmation; cancel does nothing', all, async () => {
		const before = await svc('worker');
		await ctl.click('button[data-action="stop"]');
		const q = await ctl.textContent('dialog h2');
		assert(/Stop worker\?/.test(q), 'dialog: ' + q);
		await ctl.click('dialog button:not(.primary)');
		await sleep(500);
		const after = await svc('worker');
		assert(after.state === 'running' && after.pid === before.pid, 'worker ' + after.state);
	});

	await test('with no token configured the controls are disabled with the reason', all, async () => {
		const ro = track(await openPage(browser, {}));
		await ro.goto(E.DASH_URL_RO);
		await ro.waitForFunction(() => document.documentElement.dataset.rendered === '1');
		await poll(async () => {
			const b = await ro.$$eval('button.ctl', (bs) => bs.map((x) => x.disabled));
			return b.length > 0 && b.every(Boolean);
		}, 5, 'every control disabled');
		const why = await ro.textContent('.controls-why');
		assert(/no token configured/.test(why), 'reason: ' + why);
		await ro.goto(E.DASH_URL_RO + '#/service/solo');
		await poll(async () => (await ro.$$eval('button.ctl', (bs) => bs.every((x) => x.disabled))), 5, 'service controls disabled');
		await ro.close();
	});

	await test('every view draws: events, startup timeline, merged logs', all, async () => {
		await main.goto(BASE + '#/events');
		await poll(async () => (await main.$$('ul.events li[data-seq]')).length > 5, 5, 'events listed');
		await main.selectOption('select[aria-label="Service"]', 'worker');
		const ev = await main.$$eval('ul.events li[data-seq]', (ls) => ls.map((l) => l.textContent));
		assert(ev.length && ev.every((t) => t.includes('worker')), 'filtered: ' + ev.slice(0, 3));
		await main.goto(BASE + '#/timeline');
		await poll(async () => (await main.$$('.tl .track')).length >= 4, 5, 'timeline bars');
		await main.goto(BASE + '#/logs');
		await poll(async () => /tick/.test(await main.$eval('.loglines', (e) => e.textContent)), 5, 'merged log lines');
	});

	await test('the watcher catches an injected inline script (CSP)', all, async () => {
		const p = track(await openPage(browser, {}));
		await rendered(p);
		await p.evaluate(() => {
			const s = document.createElement('script');
			s.textContent = 'window.__injected = 1';
			document.body.append(s);
		});
		await poll(async () => p.problems.some((x) => /securitypolicyviolation: script-src/.test(x)), 3, 'a violation recorded');
		assert(!(await p.evaluate(() => window.__injected)), 'the inline script ran');
		p.problems.length = 0;	/* expected here */
		await p.close();
	});

	await test('axe-core: no serious or critical violation (every view light, two dark)', all, async () => {
		const bad = [];
		for (const scheme of ['light', 'dark']) {
			const p = track(await openPage(browser, { bypassCSP: true, colorScheme: scheme }));
			await rendered(p);
			/* every view in the light theme; the dark one's colours on the
			 * two views that use the most of them */
			const views = scheme === 'light' ? ['#/', '#/service/web', '#/graph', '#/events', '#/timeline', '#/logs'] : ['#/', '#/graph'];
			for (const view of views) {
				/* a hash change: the same document, axe stays loaded */
				await p.evaluate((v) => { location.hash = v; }, view);
				await sleep(300);
				if (!(await p.evaluate(() => !!window.axe))) await p.addScriptTag({ content: AXE });
				const r = await p.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
					.filter((v) => v.impact === 'serious' || v.impact === 'critical')
					.map((v) => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')));
				for (const x of r) bad.push(scheme + ' ' + view + ' ' + x);
			}
			await p.close();
		}
		assert(!bad.length, bad.join('\n# '));
	});

	await test('screenshots at 1280x720, 390x844 and in the dark theme; readable on a phone', all, async () => {
		const shots = [
			['overview-1280x720.png', { width: 1280, height: 720 }, 'light', ''],
			['overview-390x844.png', { width: 390, height: 844 }, 'light', ''],
			['overview-dark-1280x720.png', { width: 1280, height: 720 }, 'dark', ''],
			['service-1280x720.png', { width: 1280, height: 720 }, 'light', '#/service/web'],
			['graph-dark-1280x720.png', { width: 1280, height: 720 }, 'dark', '#/graph'],
		];
		for (const [file, viewport, scheme, path] of shots) {
			const p = track(await openPage(browser, { viewport, colorScheme: scheme }));
			await rendered(p, path);
			await sleep(400);
			if (viewport.width < 500) {
				const w = await p.evaluate(() => document.documentElement.scrollWidth);
				assert(w <= viewport.width + 1, 'the page is ' + w + ' px wide on a ' + viewport.width + ' px screen');
			}
			await p.screenshot({ path: SHOTS + '/' + file });
			assert(existsSync(SHOTS + '/' + file) && statSync(SHOTS + '/' + file).size > 5000, file);
			await p.close();
		}
	});

	await test('prodd restarted under the page: "reconnecting", then live, no reload', all, async () => {
		await main.goto(BASE + '#/');
		await main.waitForSelector('[role="row"][data-service]');
		await main.evaluate(() => { window.__sameDocument = 1; });
		const oldInstance = await main.evaluate(() => document.documentElement.dataset.live);
		assert(oldInstance === '1', 'live before');
		/* while prodd is away the browser itself logs the refused
		 * connections (the page's retries): expected here only */
		for (const p of all()) p.allowNet = true;
		process.kill(Number(E.PRODD_PID), 'SIGTERM');
		await poll(async () => /reconnecting/.test(await main.textContent('#live')), 10, 'the page says reconnecting');
		await poll(() => { try { process.kill(Number(E.PRODD_PID), 0); return false; } catch (e) { return true; } }, 30, 'prodd ended');
		const child = spawn('sh', ['-c', 'exec ' + E.PRODD_CMD + ' >>"$PLOG" 2>&1'], { detached: true, stdio: 'ignore', env: E });
		writeFileSync(E.T + '/prodd-again.pid', String(child.pid));
		child.unref();
		await poll(async () => (await main.textContent('#live')) === 'live', 30, 'live again');
		assert(await main.evaluate(() => window.__sameDocument === 1), 'the page was reloaded');
		await poll(async () => (await main.$$('[role="row"][data-service]')).length === SERVICES.length, 10, 'the rows again');
		await poll(async () => (await rowState(main, 'base')) === 'running', 20, 'base running again, shown');
		await sleep(300);	/* the browser's messages of the downtime, delivered */
		for (const p of all()) p.allowNet = false;
	});
} finally {
	for (const p of all()) p.problems.length = 0;
	await browser.close();
}
const { passed, failed } = summary();
console.log('# browser: ' + passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
