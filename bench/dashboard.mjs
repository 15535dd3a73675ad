/*
 * The dashboard's figures in Chromium (bench/dashboard.sh starts prodd
 * with N services and a full history, and passes URL): the first full
 * render (navigation start to the page's 'prodd:rendered' mark, RUNS
 * fresh pages, median); the main thread's busy time per live update (CDP
 * Performance.getMetrics, ScriptDuration + TaskDuration, delta over
 * UPDATES samples / UPDATES, waited for from Node so that the wait adds
 * no task of its own to the page; and the p50/p99 of the page's own
 * 'prodd:update' measures: the sample's handler plus the animation frame
 * that draws it); where that busy time goes, from the same CDP deltas
 * (style recalculation, layout, and their counts per update: what the
 * browser does beside the page's scripts); the CPU time the browser's
 * processes used over the same updates, from /proc (the renderers, and
 * all of Chromium's processes): CPU time, unlike the CDP durations, is
 * not stretched when a loaded machine keeps the main thread waiting;
 * long tasks over 50 ms after the mark (PerformanceObserver); and the
 * floor, a blank page's busy time and Chromium's CPU time per second
 * (FLOOR s). Prints one JSON object.
 */
import { launch, waitUpdates } from './dashboard-lib.mjs';
import { readdirSync, readFileSync } from 'node:fs';

/* CPU ms used so far by this script's descendants (Chromium's
 * processes), the renderers apart: utime + stime of /proc/PID/stat, in
 * ticks of 10 ms (USER_HZ 100). A process gone before the second reading
 * drops its share; none does while a page is open. */
function browserCpuMs() {
	const procs = new Map();
	for (const d of readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const st = readFileSync('/proc/' + d + '/stat', 'utf8');
			const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
			procs.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), pid: Number(d) });
		} catch (e) { /* gone */ }
	}
	const mine = new Set([process.pid]);
	for (let grew = true; grew;) {
		grew = false;
		for (const p of procs.values()) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
	}
	mine.delete(process.pid);
	let all = 0, rend = 0;
	for (const pid of mine) {
		const t = procs.get(pid).ticks * 10;
		all += t;
		try { if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('--type=renderer')) rend += t; } catch (e) { /* gone */ }
	}
	return { all, rend };
}

const URL_ = process.env.URL;
const RUNS = Number(process.env.RUNS || 5);
const UPDATES = Number(process.env.UPDATES || 60);
const browser = await launch();
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
	const c0 = browserCpuMs();
	await waitUpdates(page, n0 + UPDATES);
	const m1 = await metrics();
	const c1 = browserCpuMs();
	const n1 = await page.evaluate(() => performance.getEntriesByName('prodd:update').length);
	const upd = await page.evaluate((n) => performance.getEntriesByName('prodd:update').slice(n).map((e) => e.duration), n0);
	const n = n1 - n0;
	out.updates = n;
	out.script_ms_per_update = (m1.ScriptDuration - m0.ScriptDuration) * 1000 / n;
	out.task_ms_per_update = (m1.TaskDuration - m0.TaskDuration) * 1000 / n;
	out.busy_ms_per_update = out.script_ms_per_update + out.task_ms_per_update;
	out.renderer_cpu_ms_per_update = (c1.rend - c0.rend) / n;
	out.browser_cpu_ms_per_update = (c1.all - c0.all) / n;
	out.style_ms_per_update = (m1.RecalcStyleDuration - m0.RecalcStyleDuration) * 1000 / n;
	out.layout_ms_per_update = (m1.LayoutDuration - m0.LayoutDuration) * 1000 / n;
	out.styles_per_update = (m1.RecalcStyleCount - m0.RecalcStyleCount) / n;
	out.layouts_per_update = (m1.LayoutCount - m0.LayoutCount) / n;
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

	/* the floor, in the same run: a blank page's main-thread time per
	 * second over FLOOR s (what the loaded machine alone costs a page
	 * that does nothing) */
	const fctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
	const fpage = await fctx.newPage();
	await fpage.goto('about:blank');
	const fcdp = await fctx.newCDPSession(fpage);
	await fcdp.send('Performance.enable');
	const fm = async () => Object.fromEntries((await fcdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
	const FLOOR = Number(process.env.FLOOR || 10);
	const f0 = await fm(), fc0 = browserCpuMs();
	await fpage.waitForTimeout(FLOOR * 1000);
	const f1 = await fm(), fc1 = browserCpuMs();
	out.floor_busy_ms_per_s = ((f1.ScriptDuration - f0.ScriptDuration) + (f1.TaskDuration - f0.TaskDuration)) * 1000 / FLOOR;
	out.floor_browser_cpu_ms_per_s = (fc1.all - fc0.all) / FLOOR;
	await fctx.close();
} finally {
	await browser.close();
}
console.log(JSON.stringify(out));
