// Shared helpers of the e2e tests: one Chromium per file, and pages that record console errors,
// uncaught exceptions, CSP violations and every request to another origin.
import { chromium, type Browser, type Page } from 'playwright';
import { inject } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';

/**
 * The Content-Security-Policy every demo page must carry. No 'unsafe-inline' styles: Lit's styles
 * are constructable stylesheets and inline styles are set through the CSSOM (`.style=${…}`
 * bindings, uPlot's `element.style`), which CSP allows; a `style` attribute in a template is blocked.
 * `blob:` scripts: tfjs's threaded wasm build (the pages are cross-origin isolated) starts its thread
 * pool as `blob:` workers that `importScripts` a `blob:` copy of its loader; nothing else needs it.
 */
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** Launch the Chromium of this machine the way every Weft browser test does. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A page plus what it logged. */
export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests to any origin other than the demos' (data: and blob: URLs excluded). */
  foreign: string[];
  /** CSP violations reported by the page. */
  cspViolations(): Promise<string[]>;
}

/** URL of a built demo page, e.g. `demoUrl('train.html?seed=3')`. */
export function demoUrl(path: string): string {
  return new URL(path, inject('demosUrl')).href;
}

/** Open a new page (own context) and start recording. */
export async function openWatched(browser: Browser, options: { width?: number; dark?: boolean } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1360, height: 900 },
    colorScheme: options.dark ? 'dark' : 'light',
  });
  const page = await context.newPage();
  const origin = new URL(inject('demosUrl')).origin;
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) foreign.push(url);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.effectiveDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
    );
  });
  return {
    page,
    errors,
    foreign,
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
  };
}

/** Absolute path of `test-results/<name>` at the repository root (created if missing). */
export function resultPath(name: string): string {
  const dir = fileURLToPath(new URL('../../test-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return `${dir}${name}`;
}
