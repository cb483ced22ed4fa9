// Long-task probe of the bench's ui.* cases (bench/cases/ui.ts): records every main-thread task
// longer than 50 ms (PerformanceObserver 'longtask') with its start time, so a measurement can
// ignore the page's first second (loading and compiling the bundle). Timing lives here, in the
// bench, never in the e2e tests (a busy machine makes them slow, not wrong).
import type { Page } from 'playwright';

/** One long task: start (ms since navigation, or since Start in a {@link PageMeasurement}) and duration (ms). */
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

/** How to train on a page: its query string and how long to watch it. */
export interface TrainingPageSpec {
  /** HTML file without `.html`. */
  file: string;
  /** Query that makes the run long enough to watch (it may finish earlier). */
  query: string;
  /** Longest time to watch the run, ms. */
  watchMs: number;
  /** The button that starts training. Default: the first of {@link START_BUTTONS} on the page. */
  start?: string;
}

/** What a watched training run showed. */
export interface PageMeasurement {
  file: string;
  /** Longest main-thread task while training (after the first second), ms; 0 if none over 50 ms. */
  longestTaskMs: number;
  /** Every long task while training. */
  tasks: LongTask[];
  /** Click on Pause until the page showed Resume, ms (null: the page has no pause control). */
  pauseResponseMs: number | null;
  /** Time watched, ms. */
  watchedMs: number;
}

/** Buttons that start training on Weft's pages (train.html's convention and its variants). */
export const START_BUTTONS = ['start', 'run', 'train', 'pretrain', 'search'].map((a) => `button[data-action="${a}"]`).join(', ');

/**
 * Open a built page in `browser`, start its training run, pause and resume it once (timing the
 * response), and record the main thread's long tasks from the click on Start to the end of the
 * run or `watchMs`. Long tasks of loading (before Start) are not counted.
 */
export async function measureTrainingPage(browser: import('playwright').Browser, baseUrl: string, spec: TrainingPageSpec): Promise<PageMeasurement> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  try {
    const page = await context.newPage();
    await installLongTaskProbe(page);
    await page.goto(new URL(`${spec.file}.html${spec.query}`, baseUrl).href);
    const START = spec.start ?? START_BUTTONS;
    const start = page.locator(START).first();
    await start.waitFor({ state: 'visible', timeout: 60_000 }).catch(() => {
      throw new Error(`${spec.file}.html: no button to start training (looked for ${START}); add the page to TRAINING_QUERIES with its start button`);
    });
    await page.waitForFunction((sel) => {
      const find = (root: Document | ShadowRoot): HTMLButtonElement | null => {
        const hit = root.querySelector<HTMLButtonElement>(sel);
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const h = find(el.shadowRoot); if (h) return h; }
        return null;
      };
      const b = find(document);
      return b !== null && !b.disabled && performance.now() > 1000;
    }, START, { timeout: 60_000, polling: 100 });
    const startedAt = await page.evaluate(() => performance.now());
    await start.click();
    const t0 = Date.now();
    const status = page.locator('weft-progress-bar [data-status]').first();
    const attr = async (loc: import('playwright').Locator, name: string) => ((await loc.count()) > 0 ? loc.getAttribute(name, { timeout: 1000 }).catch(() => null) : null);
    const active = async () => /^(starting|running|pausing)$/.test((await attr(status, 'data-status')) ?? '');
    // Let it train for a while, then check that Pause answers quickly.
    await page.waitForTimeout(1000);
    let pauseResponseMs: number | null = null;
    const pause = page.locator('button[data-action="pause"]').first();
    // A queue (compare.html) may be between runs: try for up to 5 s to catch a run training.
    const resume = page.locator('button[data-action="resume"]').first();
    for (let i = 0; i < 50 && (await pause.count()) > 0 && pauseResponseMs === null; i++) {
      if ((await active()) && (await pause.isEnabled())) {
        const p0 = Date.now();
        const answered = await pause
          .click({ timeout: 1000 })
          .then(() => resume.waitFor({ state: 'visible', timeout: 3000 }))
          .then(() => true, () => false);
        if (answered) {
          pauseResponseMs = Date.now() - p0;
          await resume.click();
          break;
        }
      }
      await page.waitForTimeout(100);
    }
    while (Date.now() - t0 < spec.watchMs) {
      await page.waitForTimeout(250);
      const queue = await attr(page.locator('[data-queue]').first(), 'data-queue');
      if (queue === 'idle' || (queue === null && !(await active()))) break;
    }
    const tasks = (await longTasksAfter(page, startedAt)).map((t) => ({ start: t.start - startedAt, duration: t.duration }));
    return { file: spec.file, longestTaskMs: longest(tasks), tasks, pauseResponseMs, watchedMs: Date.now() - t0 };
  } finally {
    await context.close();
  }
}

/**
 * params.html has no training: move its sliders 40 times (the heaviest presets, DeepSeek-V2 and
 * Mixtral, every move a full recount and redraw) and record the long tasks while doing so.
 */
export async function measureSliderPage(browser: import('playwright').Browser, baseUrl: string): Promise<PageMeasurement> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  try {
    const page = await context.newPage();
    await installLongTaskProbe(page);
    await page.goto(new URL('params.html?a=DeepSeek-V2&b=Mixtral-8x7B&b_adapter=lora&b_targets=all', baseUrl).href);
    await page.locator('weft-params-page td[data-metric="total"]').first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => performance.now() > 1000);
    const startedAt = await page.evaluate(() => performance.now());
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) {
      const side = i % 2 === 0 ? 'a' : 'b';
      const field = ['layers', 'experts', 'k', 'rank'][i % 4]!;
      const slider = page.locator(`weft-params-page section[data-side="${side}"] input[name="${field}"]`);
      if (!(await slider.isEnabled())) continue;
      await slider.evaluate((el, n) => {
        const input = el as HTMLInputElement;
        const lo = Number(input.min);
        const hi = Number(input.max);
        input.value = String(Math.round(lo + ((n * 7) % 17) / 16 * (hi - lo)));
        input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      }, i);
      await page.waitForTimeout(30);
    }
    const tasks = await longTasksAfter(page, startedAt);
    return { file: 'params', longestTaskMs: longest(tasks), tasks, pauseResponseMs: null, watchedMs: Date.now() - t0 };
  } finally {
    await context.close();
  }
}

/** A page's training speed over a window, read from its step counter. */
export interface PageSpeed {
  /** HTML file without `.html`, and the query it was opened with. */
  file: string;
  query: string;
  /** Steps per wall second between the counter's first and last move in the window. */
  stepsPerSecond: number;
  /** Steps the counter advanced over the window, and the window, s. */
  steps: number;
  seconds: number;
  /** The backend the page's badge names, and whether the page was cross-origin isolated (threaded wasm). */
  backend: string | null;
  crossOriginIsolated: boolean;
}

/**
 * Open a built page with `query`, press Start, wait `warmupMs`, then read the step counter
 * (weft-progress-bar's data-step) every 200 ms for `windowMs`: steps/s is the counter's advance
 * between its first and last move in the window over the time between them, so the page's report
 * cadence does not round the figure. scripts/page-speed.mjs measures older builds the same way.
 */
export async function measurePageSpeed(browser: import('playwright').Browser, baseUrl: string, file: string, query: string, warmupMs: number, windowMs: number): Promise<PageSpeed> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(new URL(`${file}.html${query}`, baseUrl).href);
    const start = page.locator(START_BUTTONS).first();
    await start.waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => performance.now() > 1500);
    await start.click({ timeout: 60_000 });
    const counter = page.locator('weft-progress-bar b[data-step]').first();
    const read = async () => Number((await counter.getAttribute('data-step', { timeout: 5000 }).catch(() => null)) ?? Number.NaN);
    await page.waitForTimeout(warmupMs);
    const samples: Array<{ at: number; step: number }> = [];
    const t0 = performance.now();
    while (performance.now() - t0 < windowMs) {
      samples.push({ at: performance.now(), step: await read() });
      await page.waitForTimeout(200);
    }
    const moved = samples.flatMap((s, i) => (i > 0 && s.step !== samples[i - 1]!.step ? [s] : []));
    const [first, last] = [moved[0], moved.at(-1)];
    if (!first || !last || last === first) throw new Error(`${file}.html${query}: the step counter moved less than twice in ${windowMs} ms (steps ${samples.map((s) => s.step).join(', ')})`);
    const backend = await page.locator('weft-backend-badge [data-backend]').first().getAttribute('data-backend', { timeout: 5000 }).catch(() => null);
    return {
      file, query,
      stepsPerSecond: ((last.step - first.step) * 1000) / (last.at - first.at),
      steps: samples.at(-1)!.step - samples[0]!.step,
      seconds: (performance.now() - t0) / 1000,
      backend,
      crossOriginIsolated: await page.evaluate(() => crossOriginIsolated),
    };
  } finally {
    await context.close();
  }
}

/** How each page with training is driven (a page not listed here: its defaults, watched 3 s). */
export const TRAINING_QUERIES: Record<string, Omit<TrainingPageSpec, 'file'>> = {
  train: { query: '?steps=5000&hidden=64,64', watchMs: 3000 },
  compare: { query: '?steps=100', watchMs: 25_000 },
  // Long enough for several decision-boundary redraws (sharing) and α / genotype views (nas).
  sharing: { query: '', watchMs: 8000 },
  nas: { query: '', watchMs: 8000 },
};

/** Pages of the site map that train something (everything but the landing page and the calculator). */
export function trainingPages(pages: readonly { file: string }[]): TrainingPageSpec[] {
  return pages
    .filter((p) => p.file !== 'index' && p.file !== 'params')
    .map((p) => ({ file: p.file, ...(TRAINING_QUERIES[p.file] ?? { query: '', watchMs: 3000 }) }));
}
