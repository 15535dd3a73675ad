/*
 * Where a live update's main-thread time goes (bench/dashboard.sh with
 * PROFILE=1 runs this instead of bench/dashboard.mjs, against the same
 * prodd: URL, N services, a full history): one page at 1280x720 on the
 * overview (or PROFILE_HASH, e.g. '#/graph'), settled after its first
 * samples, then a Chromium trace (CDP Tracing, the devtools timeline
 * categories plus blink, cc, v8 and GC) over UPDATES live samples (default
 * 10). From the renderer's main thread it prints, per update: the
 * top-level tasks' time (what CDP's TaskDuration adds up), the CDP
 * ScriptDuration + TaskDuration delta over the same window (the
 * benchmark's figure), each trace event's self time (its duration less
 * its children's) by name, the top-level tasks by the name of their
 * heaviest direct child, and the tasks over 50 ms of wall time (what a
 * longtask observer reports) with their thread CPU. TRACE_OUT=FILE also
 * writes the raw trace (JSON, loadable in DevTools' Performance panel).
 * Markdown on stdout.
 */
import { launch, waitUpdates } from './dashboard-lib.mjs';
import { writeFileSync } from 'node:fs';

const URL_ = process.env.URL;
const UPDATES = Number(process.env.UPDATES || 10);
const HASH = process.env.PROFILE_HASH || '';
const CATS = [
	'devtools.timeline', 'disabled-by-default-devtools.timeline',
	'disabled-by-default-devtools.timeline.frame', 'toplevel', 'blink.user_timing',
	'v8.execute', 'v8', 'disabled-by-default-v8.gc', 'blink', 'cc', 'loading',
];

const browser = await launch();
let events = [];
let cdpBusy = 0, n = 0;
try {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
	const page = await ctx.newPage();
	await page.goto(URL_ + '?timing=1' + HASH);
	await page.waitForFunction(() => performance.getEntriesByName('prodd:rendered').length > 0, null, { timeout: 60000 });
	await page.waitForFunction(() => performance.getEntriesByName('prodd:update').length >= 3, null, { timeout: 30000 });
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Performance.enable');
	const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
	cdp.on('Tracing.dataCollected', (d) => { for (const e of d.value) events.push(e); });
	const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
	const count = () => page.evaluate(() => performance.getEntriesByName('prodd:update').length);
	const n0 = await count();
	await cdp.send('Tracing.start', { categories: CATS.join(','), transferMode: 'ReportEvents' });
	const m0 = await metrics();
	await waitUpdates(page, n0 + UPDATES);
	const m1 = await metrics();
	await cdp.send('Tracing.end');
	await done;
	n = (await count()) - n0;
	cdpBusy = ((m1.ScriptDuration - m0.ScriptDuration) + (m1.TaskDuration - m0.TaskDuration)) * 1000 / n;
	await ctx.close();
} finally {
	await browser.close();
}
if (process.env.TRACE_OUT) writeFileSync(process.env.TRACE_OUT, JSON.stringify({ traceEvents: events }));

/* the page's renderer main thread: the CrRendererMain that ran the
 * page's 'prodd:update' measures */
const names = new Map();
for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(e.pid + ':' + e.tid, e.args.name);
const upd = events.find((e) => e.name === 'prodd:update');
let key = null;
if (upd) {
	key = [...names].find(([k, v]) => v === 'CrRendererMain' && k.startsWith(upd.pid + ':'));
	key = key && key[0];
}
if (!key) {
	const busy = new Map();
	for (const e of events) if (e.ph === 'X' && names.get(e.pid + ':' + e.tid) === 'CrRendererMain') busy.set(e.pid + ':' + e.tid, (busy.get(e.pid + ':' + e.tid) || 0) + (e.dur || 0));
	key = [...busy].sort((a, b) => b[1] - a[1])[0][0];
}
const main = events.filter((e) => e.pid + ':' + e.tid === key && (e.ph === 'X' || e.ph === 'B' || e.ph === 'E'));

/* B/E pairs to complete events, then nesting by time */
const spans = [];
const open = [];
for (const e of main.sort((a, b) => a.ts - b.ts)) {
	if (e.ph === 'X') spans.push({ name: e.name, ts: e.ts, end: e.ts + (e.dur || 0), cpu: e.tdur ?? e.dur ?? 0, args: e.args, kids: 0, kcpu: 0 });
	else if (e.ph === 'B') open.push(e);
	else if (e.ph === 'E') {
		const b = open.pop();
		if (b) spans.push({ name: b.name, ts: b.ts, end: e.ts, cpu: b.tts !== undefined && e.tts !== undefined ? e.tts - b.tts : e.ts - b.ts, args: b.args, kids: 0, kcpu: 0 });
	}
}
spans.sort((a, b) => a.ts - b.ts || b.end - a.end);
const self = new Map();
const stack = [];
const tops = [];
for (const s of spans) {
	while (stack.length && stack[stack.length - 1].end <= s.ts) stack.pop();
	const parent = stack[stack.length - 1];
	if (parent) { parent.kids += s.end - s.ts; parent.kcpu += s.cpu; (parent.children || (parent.children = [])).push(s); } else tops.push(s);
	stack.push(s);
}
const label = (s) => {
	const d = s.args && (s.args.data || s.args);
	if (s.name === 'FunctionCall' && d && d.functionName) return 'FunctionCall ' + d.functionName;
	if (s.name === 'TimerFire' || s.name === 'FireAnimationFrame' || s.name === 'EventDispatch') return s.name + (d && d.type ? ' ' + d.type : '');
	return s.name;
};
const selfCpu = new Map();
for (const s of spans) {
	const k = label(s);
	self.set(k, (self.get(k) || 0) + Math.max(0, s.end - s.ts - s.kids));
	selfCpu.set(k, (selfCpu.get(k) || 0) + Math.max(0, s.cpu - s.kcpu));
}
const TASKS = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);
let taskUs = 0, taskCpu = 0;
const longs = [];	/* tasks over 50 ms of wall time */
const byKid = new Map();
for (const t of tops) {
	if (!TASKS.has(t.name)) continue;
	taskUs += t.end - t.ts;
	taskCpu += t.cpu;
	/* the task's heaviest child, followed while it is a wrapper */
	let s = t;
	while (s.children && s.children.length) {
		const c = s.children.reduce((a, b) => (b.end - b.ts > a.end - a.ts ? b : a));
		s = c;
		if (!/RunTask|ScheduledAction|ProcessTask|Task$/.test(c.name)) break;
	}
	const k = s === t ? '(none)' : label(s);
	if (t.end - t.ts > 50000) longs.push(k + ' ' + ((t.end - t.ts) / 1000).toFixed(0) + ' ms (thread CPU ' + (t.cpu / 1000).toFixed(0) + ')');
	const v = byKid.get(k) || { us: 0, cpu: 0, n: 0 };
	v.us += t.end - t.ts; v.cpu += t.cpu; v.n++;
	byKid.set(k, v);
}
const ms = (us) => (us / 1000 / n).toFixed(2);
console.log('updates traced: ' + n + '; CDP script + task per update ' + cdpBusy.toFixed(2) + ' ms; top-level tasks in the trace ' +
	ms(taskUs) + ' ms per update (thread CPU time ' + ms(taskCpu) + ' ms)\n');
console.log('| trace event (self time) | ms per update, wall | thread CPU |\n|---|---|---|');
for (const [k, v] of [...selfCpu].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 30))) console.log('| ' + k + ' | ' + ms(self.get(k)) + ' | ' + ms(v) + ' |');
console.log('\n| top-level task, by its heaviest child | ms per update, wall | thread CPU | tasks per update |\n|---|---|---|---|');
for (const [k, v] of [...byKid].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 15)) console.log('| ' + k + ' | ' + ms(v.us) + ' | ' + ms(v.cpu) + ' | ' + (v.n / n).toFixed(1) + ' |');
console.log('\ntasks over 50 ms (wall): ' + (longs.length ? longs.join('; ') : 'none'));
