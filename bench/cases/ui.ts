// UI responsiveness of the built demo pages: `ui.<page>.longest_task_ms` is the longest main-thread
// task (PerformanceObserver 'longtask') while the page trains, from the click on Start, in headless
// Chromium (for params.html, while its sliders move). The pages are built with Vite and served with
// `vite preview` once for all cases; the driving code is bench/ui-probe.ts. Target (issue 14): no task
// over 50 ms on any page, i.e. a longest task of at most 50 (0 means none was long).
import { build, preview, type PreviewServer } from 'vite';
import { chromium, type Browser } from 'playwright';
import { fileURLToPath } from 'node:url';
import { PAGES } from '../../demos/src/site.js';
import { readFileSync } from 'node:fs';
import { measurePageSpeed, measureSliderPage, measureTrainingPage, trainingPages } from '../ui-probe.js';
import type { BenchCase } from '../case.js';
import { openThreadsSession, probeThreadsIn, probeTrainingIn } from '../threads-probe.js';
import { TRAINING_MODELS } from '../threads-page.js';

const demos = fileURLToPath(new URL('../../demos/', import.meta.url));
const configFile = fileURLToPath(new URL('../../demos/vite.config.ts', import.meta.url));

interface Session {
  browser: Browser;
  server: PreviewServer;
  url: string;
}

let session: Promise<Session> | null = null;
let remaining = 0;

async function open(): Promise<Session> {
  await build({ root: demos, configFile, logLevel: 'warn', mode: 'production' });
  const server = await preview({ root: demos, configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('bench ui: vite preview reported no local URL');
  const browser = await chromium.launch({
    executablePath: process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { browser, server, url: url.endsWith('/') ? url : `${url}/` };
}

/** Run `measure` in the shared session; the last case to finish closes it. */
async function withSession<T>(measure: (s: Session) => Promise<T>): Promise<T> {
  session ??= open();
  try {
    return await measure(await session);
  } finally {
    if (--remaining === 0) {
      const s = await session;
      session = null;
      await s.browser.close();
      await s.server.close();
    }
  }
}

function result(m: import('../ui-probe.js').PageMeasurement) {
  return {
    value: m.longestTaskMs,
    detail: {
      longTasksMs: m.tasks.map((t) => Math.round(t.duration)),
      watchedMs: m.watchedMs,
      pauseResponseMs: m.pauseResponseMs,
      browser: 'chromium headless',
    },
  };
}

export const cases: BenchCase[] = [
  ...trainingPages(PAGES).map(
    (spec): BenchCase => ({
      name: `ui.${spec.file}.longest_task_ms`,
      unit: 'ms',
      backend: 'page choice',
      target: 50,
      better: 'lower',
      run: async () => result(await withSession((s) => measureTrainingPage(s.browser, s.url, spec))),
    }),
  ),
  {
    name: 'ui.params.longest_task_ms',
    unit: 'ms',
    backend: 'none (calculator)',
    target: 50,
    better: 'lower',
    run: async () => result(await withSession((s) => measureSliderPage(s.browser, s.url))),
  },
];
/**
 * `ui.<page>.steps_per_s`: how fast the pages train their Transformer and MoE demos as a person sees
 * it (the step counter over 15 s after an 8 s warm-up; bench/ui-probe.ts's measurePageSpeed), at the
 * pages' defaults (steps raised on moe.html so the run lasts the window). Issue 13 asks for 2× the
 * speed at b814fbc; those figures, measured with scripts/page-speed.mjs, are in
 * scripts/page-speed-baseline.json and come with the result (a busy machine lowers both sides).
 */
const PAGE_SPEEDS = [
  { name: 'ui.sharing_transformer.steps_per_s', file: 'sharing', query: '?model=transformer', baseline: 'sharing?model=transformer' },
  { name: 'ui.moe.steps_per_s', file: 'moe', query: '?steps=12000', baseline: 'moe?steps=12000' },
] as const;
const baseline = JSON.parse(readFileSync(new URL('../../scripts/page-speed-baseline.json', import.meta.url), 'utf8')) as {
  summary: Array<{ page: string; tree: string; commit: string; stepsPerSecond: number }>;
};
for (const p of PAGE_SPEEDS) {
  cases.push({
    name: p.name,
    unit: 'steps/s',
    backend: 'page choice',
    target: null,
    better: 'higher',
    run: async () => {
      const m = await withSession((s) => measurePageSpeed(s.browser, s.url, p.file, p.query, 8000, 15_000));
      const base = baseline.summary.find((r) => r.page === p.baseline && r.tree === 'base');
      return { value: m.stepsPerSecond, detail: { ...m, baseline: base ? { commit: base.commit, stepsPerSecond: base.stepsPerSecond, ratio: m.stepsPerSecond / base.stepsPerSecond } : null, browser: 'chromium headless' } };
    },
  });
}
// The page cases above share one session, closed by the last of them that runs (a picked run,
// WEFT_BENCH_ONLY as in bench/run-cases.test.ts, runs only some); the threads cases open their own.
const only = process.env.WEFT_BENCH_ONLY?.split(',');
remaining = cases.filter((c) => !only || only.some((o) => c.name.startsWith(o))).length;

/**
 * `ui.threads_matmul_speedup`: a 512×512 matMul on tfjs's threaded wasm in a cross-origin-isolated
 * page (the demos' dev server), 1 thread's median time / 2 threads'. Each page also checks that
 * Weft's SIMD batched product runs on the threaded build's shared heap and equals a JS product.
 */
cases.push({
  name: 'ui.threads_matmul_speedup',
  unit: 'ratio',
  backend: 'wasm (threaded, Chromium)',
  target: 1.6,
  better: 'higher',
  run: async () => {
    const s = await openThreadsSession();
    try {
      const one = await probeThreadsIn(s, 1, 512, 15);
      const two = await probeThreadsIn(s, 2, 512, 15);
      for (const p of [one, two]) {
        if (!p.crossOriginIsolated || !p.sharedHeap || !p.simdBmm || !(p.groupedMaxAbsError < 1e-4)) {
          throw new Error(`ui.threads_matmul_speedup: the page is not running the threaded build with Weft's SIMD kernels: ${JSON.stringify(p)}`);
        }
      }
      return { value: one.matmulMs / two.matmulMs, detail: { oneThread: one, twoThreads: two, n: 512, reps: 15, browser: 'chromium headless' } };
    } finally {
      await s.close();
    }
  },
});

/**
 * `ui.threads_training_speedup`: steps/s of Weft's trainer with 2 threads / with 1, on tfjs's threaded
 * wasm in a cross-origin-isolated page, for the pages' default Transformer (sharing.html) and MoE
 * (moe.html) and the larger sizes (bench/threads-page.ts). The value is the smaller of the
 * two page models' ratios; each thread count runs twice, alternating, and keeps its best run.
 */
cases.push({
  name: 'ui.threads_training_speedup',
  unit: 'ratio',
  backend: 'wasm (threaded, Chromium)',
  target: null,
  better: 'higher',
  run: async () => {
    const s = await openThreadsSession();
    try {
      const best: Record<number, Record<string, number>> = { 1: {}, 2: {} };
      for (let round = 0; round < 2; round++) {
        for (const threads of [1, 2]) {
          const r = await probeTrainingIn(s, threads, 30, TRAINING_MODELS);
          if (r.threads !== threads) throw new Error(`ui.threads_training_speedup: asked for ${threads} threads, tfjs runs ${r.threads}`);
          for (const [m, v] of Object.entries(r.stepsPerSecond)) best[threads]![m] = Math.max(best[threads]![m] ?? 0, v);
        }
      }
      const ratio = Object.fromEntries(TRAINING_MODELS.map((m) => [m, best[2]![m]! / best[1]![m]!]));
      return { value: Math.min(ratio.sharingTransformer!, ratio.moePage!), detail: { ratio, stepsPerSecond1: best[1], stepsPerSecond2: best[2], steps: 30, browser: 'chromium headless' } };
    } finally {
      await s.close();
    }
  },
});
