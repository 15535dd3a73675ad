/*
 * The dashboard's figures in Chromium (bench/dashboard.sh starts prodd
 * with N services and a full history, and passes URL): the first full
 * render (navigation start to the page's 'prodd:rendered' mark, RUNS
 * fresh pages, median); the main thread's busy time per live update (CDP
 * Performance.getMetrics, ScriptDuration + TaskDuration, delta over
 * UPDATES samples / UPDATES; and the p50/p99 of the page's own
 * 'prodd:update' measures: the sample's handler plus the animation frame
 * that draws it); long tasks over 50 ms after the mark
 * (PerformanceObserver). Prints one JSON object.
 */
import { chromium } from '../dashboard/node_modules/playwright-core/index.mjs';

const URL_ = process.env.URL;
const RUNS = Number(process.env.RUNS || 5);
const UPDATES = Number(process.env.UPDATES || 60);
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});
const q = (a, p) => { const s = a.slice().sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const out = { renders_ms: [], errors: [] };
try {
	for (let i = 0; i < RUNS; i++) {
		const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
		const page = await ctx.newPage();
		page.on('pageerror', (e) => out.errors.push(e.message));
		await page.goto(URL_);
		await page.waitForFunction(() => performance.getEntriesByName('prodd:rendered').length > 0, null, { timeout: 60000 });
		out.renders_ms.push(await page.evaluate(() => performance.getEntriesByName('prodd:rendered')[0].startTime));
		out.rows = await page.$$eval('[role="row"][data-service]', (r) => r.length);
		await ctx.close();
	}
	out.render_median_ms = q(out.renders_ms, 0.5);

	const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
	const page = await ctx.newPage();
	page.on('pageerror', (e) => out.errors.push(e.message));
	await page.addInitScript(() => {
		window.__long = [];
		new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]); })
			.observe({ type: 'longtask', buffered: true });
	});
	await page.goto(URL_ + '?timing=1');
	await page.waitForFunction(() => performance.getEntriesByName('prodd:rendered').length > 0, null, { timeout: 60000 });
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Performance.enable');
	/* settle: the first samples after the snapshot */
	await page.waitForFunction(() => performance.getEntriesByName('prodd:update').length >= 3, null, { timeout: 30000 });
	const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
	const n0 = await page.evaluate(() => performance.getEntriesByName('prodd:update').length);
	const m0 = await metrics();
	await page.waitForFunction((n) => performance.getEntriesByName('prodd:update').length >= n, n0 + UPDATES, { timeout: UPDATES * 3000 + 30000, polling: 100 });
	const m1 = await metrics();
	const n1 = await page.evaluate(() => performance.getEntriesByName('prodd:update').length);
	const upd = await page.evaluate((n) => performance.getEntriesByName('prodd:update').slice(n).map((e) => e.duration), n0);
	const n = n1 - n0;
	out.updates = n;
	out.script_ms_per_update = (m1.ScriptDuration - m0.ScriptDuration) * 1000 / n;
	out.task_ms_per_update = (m1.TaskDuration - m0.TaskDuration) * 1000 / n;
	out.busy_ms_per_update = out.script_ms_per_update + out.task_ms_per_update;
	out.update_p50_ms = q(upd, 0.5);
	out.update_p99_ms = q(upd, 0.99);
	out.update_max_ms = Math.max(...upd);
	const mark = await page.evaluate(() => performance.getEntriesByName('prodd:rendered')[0].startTime);
	const snap = await page.evaluate(() => { const s = performance.getEntriesByName('prodd:snapshot')[0]; return s ? [s.startTime, s.detail.bytes] : [0, 0]; });
	out.ws_snapshot_at_ms = snap[0];
	out.ws_snapshot_bytes = snap[1];
	const longs = await page.evaluate(() => window.__long);
	out.long_tasks_after_mark = longs.filter(([t]) => t > mark).map(([, d]) => Math.round(d));
	out.long_tasks_before_mark = longs.filter(([t]) => t <= mark).map(([, d]) => Math.round(d));
	await ctx.close();
} finally {
	await browser.close();
}
console.log(JSON.stringify(out));
