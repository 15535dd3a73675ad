/*
 * Charts: uPlot line charts for the host tiles and the service page, sized
 * to their box through a ResizeObserver (uPlot sets sizes through CSSOM,
 * which the CSP allows), coloured from the theme's CSS variables; and the
 * services table's CPU/memory sparklines, two SVG paths per row (500 uPlot
 * instances would be far too heavy for a table row, and a canvas per row
 * costs a compositor layer and a bitmap each; the paths take their colours
 * from the stylesheet).
 */
import uPlot from '../vendor/uPlot.esm.js';

function cssVar(name) {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/* the theme's colours, read once per theme (a style read is a recalc) */
let colours = null;
function theme() {
	if (!colours) {
		colours = {
			series: [cssVar('--c1'), cssVar('--c2'), cssVar('--c3'), cssVar('--c4'), cssVar('--c5'), cssVar('--c6')],
			muted: cssVar('--muted'),
			grid: cssVar('--grid'),
		};
	}
	return colours;
}
export const palette = () => theme().series;

/* timestamps (s) for n samples ending at endMs, intervalMs apart */
export function timesFor(n, endMs, intervalMs) {
	const xs = new Array(n);
	const end = endMs / 1000, step = intervalMs / 1000;
	for (let i = 0; i < n; i++) xs[i] = end - (n - 1 - i) * step;
	return xs;
}

function clock(t) {
	const d = new Date(t * 1000);
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}

/* lineChart(box, {series: [{label}], fmt, min, max}): a live chart */
export function lineChart(box, opts) {
	const cols = palette();
	const axisColor = theme().muted;
	const grid = theme().grid;
	const fmt = opts.fmt || ((v) => v);
	const series = [{}].concat(opts.series.map((s, i) => ({
		label: s.label,
		stroke: cols[i % cols.length],
		width: 1.5,
		fill: opts.series.length === 1 ? cols[0] + '22' : undefined,
		value: (u, v) => (v === null || v === undefined ? '–' : fmt(v)),
		points: { show: false },
	})));
	const width = () => Math.max(120, box.clientWidth || 300);
	const height = opts.height || 120;
	const u = new uPlot({
		width: width(),
		height,
		series,
		legend: { show: opts.legend !== false, live: false },
		cursor: { drag: { x: false, y: false }, points: { show: false } },
		scales: { x: { time: true }, y: { range: (u2, lo, hi) => [opts.min ?? Math.min(0, lo), opts.max ?? (hi > 0 ? hi * 1.1 : 1)] } },
		axes: [
			{ stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 70, size: 30, values: (u2, vals) => vals.map(clock) },
			{ stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 72, values: (u2, vals) => vals.map(fmt) },
		],
	}, [[], ...opts.series.map(() => [])], box);
	box._chart = u;	/* for the browser tests: its data and canvas */
	let lastW = width();
	const ro = new ResizeObserver(() => {
		const w = width();
		if (w !== lastW) { lastW = w; u.setSize({ width: w, height }); }
	});
	ro.observe(box);
	return {
		u,
		setData(xs, ys) { u.setData([xs, ...ys]); },
		destroy() { ro.disconnect(); u.destroy(); },
	};
}

/* sparkPaths(cpu[], rss[], n): the services table's sparkline, two SVG
 * path strings ("d") of the last n values of each array, each line scaled
 * to its own max. The <svg> is SPARK_W x SPARK_H CSS pixels and its
 * viewBox ten times that (SPARK_VIEWBOX), so the coordinates are whole
 * numbers at a tenth of a pixel: an integer's text is cheap to make, a
 * fraction's is not, and an unchanged line gives the same string and is
 * not written again. The stylesheet's stroke width is in these units. */
export const SPARK_W = 80, SPARK_H = 20;
export const SPARK_VIEWBOX = '0 0 ' + SPARK_W * 10 + ' ' + SPARK_H * 10;
export function sparkPaths(a, b, n) {
	return [pathOf(a, n), pathOf(b, n)];
}
export function themeChanged() { colours = null; }

/* the x of each of n points, in tenths of a pixel, by n */
const xsFor = new Map();
function xs(n) {
	let a = xsFor.get(n);
	if (!a) {
		a = [];
		for (let i = 0; i < n; i++) a.push(String(Math.round(i * SPARK_W * 10 / (n - 1))));
		xsFor.set(n, a);
	}
	return a;
}

function pathOf(v, n) {
	if (!v) return '';
	const from = Math.max(0, v.length - (n || v.length));
	const len = v.length - from;
	if (len < 2) return '';
	let max = 0;
	for (let i = from; i < v.length; i++) if (v[i] > max) max = v[i];
	if (max <= 0) max = 1;
	const x = xs(len);
	const top = (SPARK_H - 1) * 10, k = (SPARK_H - 2) * 10 / max;
	let d = '';
	let started = false;
	for (let i = 0; i < len; i++) {
		const y = v[from + i];
		if (y === null || y === undefined) { started = false; continue; }
		d += (started ? 'L' : 'M') + x[i] + ' ' + Math.round(top - y * k);
		started = true;
	}
	return d;
}
