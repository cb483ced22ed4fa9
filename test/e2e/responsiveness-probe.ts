// Long-task probe for the responsiveness checks: records every main-thread task longer than 50 ms
// (PerformanceObserver 'longtask') with its start time, so a test can ignore the page's first
// second (loading and compiling the bundle) as the issue allows.
import type { Page } from 'playwright';

/** One long task: start (ms since navigation) and duration (ms). */
export interface LongTask {
  start: number;
  duration: number;
}

/** Install the probe before the page's scripts run (call before `page.goto`). */
export async function installLongTaskProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __weftLong: Array<{ start: number; duration: number }> };
    w.__weftLong = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__weftLong.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** Long tasks that started after `afterMs` (default: the first second). */
export async function longTasksAfter(page: Page, afterMs = 1000): Promise<LongTask[]> {
  const all = await page.evaluate(() => (window as unknown as { __weftLong: LongTask[] }).__weftLong);
  return all.filter((t) => t.start >= afterMs);
}

/** The longest of some tasks, 0 when there are none. */
export function longest(tasks: readonly LongTask[]): number {
  return Math.max(0, ...tasks.map((t) => t.duration));
}
