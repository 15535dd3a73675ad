/*
 * What bench/dashboard.mjs and bench/dashboard.trace.mjs share: Chromium
 * launched as every browser test and benchmark here launches it, and the
 * wait for the page's live updates.
 */
import { chromium } from '../dashboard/node_modules/playwright-core/index.mjs';

/* Chromium from Debian, with the flags DEVELOPERS.md gives */
export function launch() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
	});
}

/* Wait until the page has recorded `upto` 'prodd:update' measures,
 * sleeping in Node for the samples still due (SAMPLE_MS apart) and
 * asking the page between sleeps: a poll is a task on the page's main
 * thread, inside the busy time measured (waitForFunction polling every
 * 100 ms added ten per update) */
export const SAMPLE_MS = Number(process.env.SAMPLE_MS || 1000);
export async function waitUpdates(page, upto) {
	const count = () => page.evaluate(() => performance.getEntriesByName('prodd:update').length);
	const end = Date.now() + (upto - await count()) * 3 * SAMPLE_MS + 30000;
	for (let k = await count(); k < upto; k = await count()) {
		if (Date.now() > end) throw new Error('timed out: ' + k + ' of ' + upto + ' updates');
		await new Promise((r) => setTimeout(r, Math.max(250, (upto - k) * SAMPLE_MS)));
	}
}
