// Training speed of the built demo pages in steps/s, as a person sees it: build each named source tree's
// demos as they ship (`pnpm --filter @weft/demos run build` in that tree, into a fresh temporary folder),
// serve each build with `vite preview` and that tree's own vite.config.ts (its headers: since issue 13 the
// pages are cross-origin isolated, before it they were not), open a page with a fixed query in headless
// Chromium, press Start, wait a warm-up, then read the page's step counter (weft-progress-bar's
// data-step) every 200 ms (--poll-ms) over a fixed window. Steps/s is the counter's advance over the window divided by
// the wall time between its first and last move (so the page's report cadence does not round the figure).
// Next to it: the load average, the CPU time all of Chromium's processes used in the window (steps per
// CPU-second, which a busy machine disturbs less than steps per wall second) and that of the thread that
// trains (the page's worker; before the pages had workers, the renderer's main thread), the CPU time by
// thread, the backend the page's badge names and whether the page was cross-origin isolated. Trees run
// interleaved, A B then B A, round by round. Summary: medians over rounds, each tree against the first.
//
//   node scripts/page-speed.mjs --tree base=/tmp/base --tree head=. [--rounds 3] [--warmup-s 8] [--window-s 20]
//        [--poll-ms 200] [--json out.json] 'sharing?model=transformer' 'moe?steps=12000'
//
// A tree may also be given as label=DIR:DIST to serve an existing build DIST with DIR's vite config (an
// old commit: `git worktree add /tmp/base b814fbc && cd /tmp/base && pnpm install --frozen-lockfile --offline`).
// A page's report cadence follows its steps (sharing.html reports every max(5, steps/150) steps), so keep
// the settings equal between trees. moe.html's default 600-step run fits in a window: `--warmup-s 0
// --window-s 12 --poll-ms 50 moe`. Issue 13's figures (base b814fbc against the pages after the issue's
// work), with their commits, method and load: scripts/page-speed-baseline.json.
import { chromium } from 'playwright';
import { preview } from 'vite';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { takeOption } from './env.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => takeOption(args, name, fallback);
const trees = [];
for (let t = option('--tree'); t !== undefined; t = option('--tree')) {
  const m = /^([\w.-]+)=([^:]+)(?::(.+))?$/.exec(t);
  if (!m) throw new Error(`--tree ${t}: expected label=DIR or label=DIR:DIST`);
  trees.push({ label: m[1], dir: resolve(m[2]), dist: m[3] ? resolve(m[3]) : null });
}
const rounds = Number(option('--rounds', '3'));
const warmupMs = Number(option('--warmup-s', '8')) * 1000;
const windowMs = Number(option('--window-s', '20')) * 1000;
const jsonOut = option('--json', null);
const pollMs = Number(option('--poll-ms', '200'));
const pages = args.filter((a) => !a.startsWith('--'));
if (trees.length === 0 || pages.length === 0 || !(rounds >= 1) || !(windowMs > 0) || !(warmupMs >= 0)) {
  console.error("usage: node scripts/page-speed.mjs --tree LABEL=DIR[:DIST] … [--rounds N] [--warmup-s S] [--window-s S] [--json FILE] 'page?query' …");
  process.exit(2);
}

const git = (dir, ...a) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8' }).trim();

/** CPU seconds (user + system) of every process below this one (Chromium and its renderer, GPU and utility processes), in all and by thread name. */
function childCpuSeconds() {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
      stats.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 }); // utime, stime (clock ticks, 100 Hz)
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const threads = {};
  for (const [pid, s] of stats) {
    for (let p = s.ppid; p > 1; p = stats.get(p)?.ppid ?? 0) {
      if (p === process.pid) {
        if (pid !== process.pid) {
          total += s.cpu;
          let type = 'browser';
          try {
            type = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
          } catch {
            // ended
          }
          for (const tid of readdirSafe(`/proc/${pid}/task`)) {
            try {
              const t = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
              const name = `${type}:${tid === String(pid) ? 'main' : t.slice(t.indexOf('(') + 1, t.lastIndexOf(')')).replace(/\d+$/, '')}`;
              const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
              threads[name] = (threads[name] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
            } catch {
              // the thread ended while we looked
            }
          }
        }
        break;
      }
    }
  }
  return { total, threads };
}
const readdirSafe = (dir) => { try { return readdirSync(dir); } catch { return []; } };
/** CPU seconds by thread name between two {@link childCpuSeconds} readings, the busiest first (over 0.5 s). */
const threadCpu = (a, b) => Object.fromEntries(Object.entries(b.threads).map(([k, v]) => [k, Number((v - (a.threads[k] ?? 0)).toFixed(1))]).filter(([, v]) => v >= 0.5).sort((x, y) => y[1] - x[1]));

const servers = [];
const temp = [];
const browser = await chromium.launch({
  executablePath: process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const results = [];
try {
  for (const tree of trees) {
    tree.commit = git(tree.dir, 'rev-parse', '--short', 'HEAD');
    tree.dirty = git(tree.dir, 'status', '--porcelain', '--', 'demos', 'packages').length > 0;
    if (!tree.dist) {
      tree.dist = mkdtempSync(join(tmpdir(), `weft-speed-${tree.label}-`));
      temp.push(tree.dist);
      const env = { ...process.env };
      delete env.NODE_ENV;
      execFileSync('pnpm', ['--filter', '@weft/demos', 'run', 'build', '--outDir', tree.dist, '--logLevel', 'warn'], { cwd: tree.dir, env, stdio: 'inherit' });
    }
    const server = await preview({
      root: join(tree.dir, 'demos'),
      configFile: join(tree.dir, 'demos/vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: tree.dist },
      preview: { host: '127.0.0.1', port: 0 },
    });
    servers.push(server);
    tree.url = server.resolvedUrls.local[0];
    console.log(`${tree.label}: ${tree.dir} at ${tree.commit}${tree.dirty ? ' (with uncommitted changes)' : ''}, served at ${tree.url}`);
  }

  const START = ['start', 'run', 'train', 'pretrain', 'search'].map((a) => `button[data-action="${a}"]`).join(', ');
  for (let round = 1; round <= rounds; round++) {
    for (const spec of pages) {
      // Alternate which tree goes first from round to round, so neither always gets the quieter slot.
      const order = round % 2 === 1 ? trees : [...trees].reverse();
      for (const tree of order) {
        const [file, query = ''] = spec.split('?');
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        try {
          const page = await context.newPage();
          const errors = [];
          page.on('pageerror', (e) => errors.push(String(e)));
          page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
          await page.goto(new URL(`${file}.html${query ? `?${query}` : ''}`, tree.url).href);
          const start = page.locator(START).first();
          await start.waitFor({ state: 'visible', timeout: 60_000 });
          await page.waitForFunction(() => performance.now() > 1500);
          await start.click({ timeout: 60_000 });
          const counter = page.locator('weft-progress-bar b[data-step]').first();
          const read = async () => Number((await counter.getAttribute('data-step', { timeout: 5000 }).catch(() => null)) ?? NaN);
          await page.waitForTimeout(warmupMs);
          const load0 = loadavg()[0];
          const cpu0 = childCpuSeconds();
          const t0 = performance.now();
          const samples = [];
          while (performance.now() - t0 < windowMs) {
            samples.push({ at: performance.now(), step: await read() });
            await page.waitForTimeout(pollMs);
          }
          const cpu1 = childCpuSeconds();
          const cpu = cpu1.total - cpu0.total;
          const wall = (performance.now() - t0) / 1000;
          const load1 = loadavg()[0];
          // From the first sample after the counter's first move in the window to the first sample after its last move.
          const first = samples.findIndex((s, i) => i > 0 && s.step !== samples[i - 1].step);
          let last = -1;
          for (let i = samples.length - 1; i > 0; i--) if (samples[i].step !== samples[i - 1].step) { last = i; break; }
          const steps = last > first && first >= 0 ? samples[last].step - samples[first].step : 0;
          const stepsPerSecond = last > first && first >= 0 ? (steps * 1000) / (samples[last].at - samples[first].at) : 0;
          const windowSteps = samples.at(-1).step - samples[0].step;
          const backend = await page.locator('weft-backend-badge [data-backend]').first().getAttribute('data-backend', { timeout: 5000 }).catch(() => null);
          const isolated = await page.evaluate(() => crossOriginIsolated);
          const status = await page.locator('weft-progress-bar [data-status]').first().getAttribute('data-status', { timeout: 5000 }).catch(() => null);
          const r = {
            round, page: spec, tree: tree.label, commit: tree.commit, dirty: tree.dirty,
            stepsPerSecond: Number(stepsPerSecond.toFixed(2)),
            windowSteps, wallSeconds: Number(wall.toFixed(1)),
            stepsPerCpuSecond: Number((windowSteps / cpu).toFixed(2)), cpuSeconds: Number(cpu.toFixed(1)),
            load: [Number(load0.toFixed(2)), Number(load1.toFixed(2))],
            backend, crossOriginIsolated: isolated, status, errors: errors.slice(0, 3),
            cpuByThread: threadCpu(cpu0, cpu1),
          };
          // The thread that trains: the page's worker, or (pages before workers) the renderer's main thread.
          const byThread = r.cpuByThread;
          const trainer = byThread['renderer:DedicatedWorker'] !== undefined ? 'renderer:DedicatedWorker' : 'renderer:main';
          r.trainingThread = trainer;
          r.stepsPerTrainingThreadCpuSecond = byThread[trainer] ? Number((windowSteps / byThread[trainer]).toFixed(2)) : null;
          results.push(r);
          console.log(`round ${round}  ${spec.padEnd(34)} ${tree.label.padEnd(6)} ${String(r.stepsPerSecond).padStart(7)} steps/s  ${String(r.stepsPerCpuSecond).padStart(7)} steps/CPU-s  (${windowSteps} steps, ${r.cpuSeconds} CPU-s in ${r.wallSeconds} s)  load ${r.load.join('→')}  ${backend}${isolated ? ' isolated' : ''}  ${status}${errors.length ? `  errors: ${errors[0]}` : ''}\n    ${r.stepsPerTrainingThreadCpuSecond} steps per CPU-s of ${r.trainingThread}; CPU-s by thread: ${JSON.stringify(r.cpuByThread)}`);
          if (status !== 'running') console.log(`  note: the run was '${status}' at the end of the window (raise steps= so it trains through the window)`);
        } finally {
          await context.close();
        }
      }
    }
  }
} finally {
  await browser.close();
  for (const s of servers) await s.close();
  for (const d of temp) rmSync(d, { recursive: true, force: true });
}

// Summary: per page and tree, the median over rounds; the ratio of every tree to the first.
const median = (xs) => { xs = xs.filter((x) => x !== null); if (xs.length === 0) return null; const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const summary = [];
for (const spec of pages) {
  const ref = trees[0].label;
  const of = (label, key) => results.filter((r) => r.page === spec && r.tree === label).map((r) => r[key]);
  for (const tree of trees) {
    const wall = median(of(tree.label, 'stepsPerSecond'));
    const cpu = median(of(tree.label, 'stepsPerCpuSecond'));
    const thread = median(of(tree.label, 'stepsPerTrainingThreadCpuSecond'));
    const row = { page: spec, tree: tree.label, commit: tree.commit, stepsPerSecond: wall, stepsPerCpuSecond: cpu, stepsPerTrainingThreadCpuSecond: thread, runs: of(tree.label, 'stepsPerSecond'), load: results.filter((r) => r.page === spec && r.tree === tree.label).map((r) => r.load) };
    if (tree.label !== ref) {
      row.ratio = Number((wall / median(of(ref, 'stepsPerSecond'))).toFixed(2));
      row.cpuRatio = Number((cpu / median(of(ref, 'stepsPerCpuSecond'))).toFixed(2));
      row.trainingThreadRatio = Number((thread / median(of(ref, 'stepsPerTrainingThreadCpuSecond'))).toFixed(2));
    }
    summary.push(row);
    console.log(`${spec.padEnd(34)} ${tree.label.padEnd(6)} median ${wall} steps/s, ${cpu} steps/CPU-s, ${thread} steps/training-thread-CPU-s${row.ratio ? `  ×${row.ratio} (all CPU ×${row.cpuRatio}, training thread ×${row.trainingThreadRatio}) vs ${ref}` : ''}  runs ${row.runs.join(', ')}`);
  }
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), warmupMs, windowMs, rounds, trees: trees.map(({ label, dir, commit, dirty }) => ({ label, dir, commit, dirty })), summary, results }, null, 2)}\n`);
