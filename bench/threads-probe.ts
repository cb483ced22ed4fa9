// Drives bench/threads-page.ts: serves it from the demos' Vite dev server (the demos' config, so the
// page is cross-origin isolated and @weft/* resolve to sources), and runs it in headless Chromium,
// one fresh page per thread count (tfjs fixes its thread count when the wasm backend starts).
import { createServer, type ViteDevServer } from 'vite';
import { chromium, type Browser } from 'playwright';
import { fileURLToPath } from 'node:url';
import type { ThreadsProbe, TrainingModel } from './threads-page.js';

const demos = fileURLToPath(new URL('../demos/', import.meta.url));
const configFile = fileURLToPath(new URL('../demos/vite.config.ts', import.meta.url));
const pageModule = fileURLToPath(new URL('./threads-page.ts', import.meta.url));

/** A dev server and a browser, for {@link probeThreadsIn}. */
export interface ThreadsSession {
  server: ViteDevServer;
  browser: Browser;
  url: string;
  close(): Promise<void>;
}

export async function openThreadsSession(): Promise<ThreadsSession> {
  const server = await createServer({ root: demos, configFile, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: true } });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('threads probe: vite reported no local URL');
  const browser = await chromium.launch({ executablePath: process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  return {
    server,
    browser,
    url: url.endsWith('/') ? url : `${url}/`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Run {@link ThreadsProbe} in a fresh page with `threads` threads (-1: tfjs's default). */
export async function probeThreadsIn(s: ThreadsSession, threads: number, n: number, reps: number): Promise<ThreadsProbe> {
  const page = await s.browser.newPage();
  try {
    // Any document of the origin will do: it carries the COOP/COEP headers; favicon.svg runs no app.
    await page.goto(`${s.url}favicon.svg`);
    // A string, not a function: vitest rewrites `import()` in functions it transforms.
    const call = `import(${JSON.stringify(`/@fs${pageModule}`)}).then((m) => m.probeThreads(${threads}, ${n}, ${reps}))`;
    return (await page.evaluate(call)) as ThreadsProbe;
  } finally {
    await page.close();
  }
}

/** Run the page's `probeTraining` in a fresh page with `threads` threads: steps/s of each model. */
export async function probeTrainingIn(s: ThreadsSession, threads: number, steps: number, models: readonly TrainingModel[]): Promise<{ threads: number; stepsPerSecond: Record<string, number> }> {
  const page = await s.browser.newPage();
  try {
    await page.goto(`${s.url}favicon.svg`);
    const call = `import(${JSON.stringify(`/@fs${pageModule}`)}).then((m) => m.probeTraining(${threads}, ${steps}, ${JSON.stringify(models)}))`;
    return (await page.evaluate(call)) as { threads: number; stepsPerSecond: Record<string, number> };
  } finally {
    await page.close();
  }
}
