// Screenshots of the built demo pages at desktop (1280×900) and phone (390×844) width, for a person
// to look at after changing a page. Builds the demos as they ship into a fresh temporary folder (so
// several people can run it at once), serves it with `vite preview`, opens each page in Chromium,
// optionally presses its Start button and waits, then saves full-page PNGs.
//
//   node scripts/screenshots.mjs --out /tmp/shots [--query "steps=400"] [--train-ms 12000] [--no-start] sharing moe
//
// Prints each page's console errors; exits non-zero if a page logged one.
import { chromium } from 'playwright';
import { preview } from 'vite';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeOption } from './env.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => takeOption(args, name, fallback);
const out = option('--out', '/tmp/shots');
const query = option('--query', '');
const trainMs = Number(option('--train-ms', '12000'));
const noStart = args.includes('--no-start');
const pages = args.filter((a) => !a.startsWith('--'));
if (pages.length === 0) {
  console.error('usage: node scripts/screenshots.mjs --out DIR [--query Q] [--train-ms MS] [--no-start] page…  (e.g. sharing moe)');
  process.exit(2);
}

const repo = fileURLToPath(new URL('../', import.meta.url));
const dist = mkdtempSync(join(tmpdir(), 'weft-shots-'));
const env = { ...process.env };
delete env.NODE_ENV;
execFileSync('pnpm', ['--filter', '@weft/demos', 'run', 'build', '--outDir', dist, '--logLevel', 'warn'], { cwd: repo, env, stdio: 'inherit' });
mkdirSync(out, { recursive: true });

const server = await preview({
  root: join(repo, 'demos'),
  configFile: join(repo, 'demos/vite.config.ts'),
  logLevel: 'warn',
  build: { outDir: dist },
  preview: { host: '127.0.0.1', port: 0 },
});
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const START = ['start', 'run', 'train', 'pretrain', 'search'].map((a) => `button[data-action="${a}"]`).join(', ');
let failed = false;
try {
  for (const file of pages) {
    for (const [name, width, height] of [['desktop', 1280, 900], ['phone', 390, 844]]) {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await context.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(new URL(`${file}.html${query ? `?${query}` : ''}`, base).href);
      await page.waitForTimeout(2500);
      if (!noStart) {
        const start = page.locator(START).first();
        if (await start.count()) {
          await start.click({ timeout: 60_000 });
          await page.waitForTimeout(trainMs);
        }
      }
      const path = join(out, `${file}-${name}.png`);
      await page.screenshot({ path, fullPage: true });
      console.log(`${path}  console errors: ${errors.length}${errors.length ? `\n  ${errors.slice(0, 5).join('\n  ')}` : ''}`);
      if (errors.length) failed = true;
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(dist, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
