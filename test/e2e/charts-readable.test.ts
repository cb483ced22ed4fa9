// Every chart of the training pages is readable at desktop (1280 px) and phone (390 px) width:
// after a short run, each SVG text is drawn at 11 CSS px or more, lies inside its SVG (nothing
// clipped), and covers no other text of its chart; op names in the NAS bars are not cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { demoUrl, launch, openWatched } from './browser.js';

/** What a chart text looks like on screen. */
interface TextBox {
  chart: string;
  text: string;
  px: number;
  box: { left: number; right: number; top: number; bottom: number };
  svg: { left: number; right: number; top: number; bottom: number };
  chartIndex: number;
}

/** Every non-empty SVG text in any shadow root of the page, with its drawn size and box. */
function chartTexts(page: Page): Promise<TextBox[]> {
  return page.evaluate(() => {
    const out: TextBox[] = [];
    const svgs: SVGSVGElement[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el instanceof SVGSVGElement && el.closest('weft-site-header') === null && !el.parentElement?.closest('svg')) svgs.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    svgs.forEach((svgEl, chartIndex) => {
      const host = (svgEl.getRootNode() as ShadowRoot).host?.tagName.toLowerCase() ?? 'document';
      const r = svgEl.getBoundingClientRect();
      if (r.width === 0) return;
      const scale = svgEl.getScreenCTM()?.a ?? 1;
      for (const t of svgEl.querySelectorAll('text')) {
        const text = (t.textContent ?? '').trim();
        if (!text) continue;
        const b = t.getBoundingClientRect();
        out.push({
          chart: host,
          text,
          px: parseFloat(getComputedStyle(t).fontSize) * scale,
          box: { left: b.left, right: b.right, top: b.top, bottom: b.bottom },
          svg: { left: r.left, right: r.right, top: r.top, bottom: r.bottom },
          chartIndex,
        });
      }
    });
    return out;
  });
}

function expectReadable(texts: TextBox[], where: string): void {
  expect(texts.length, `${where}: chart texts`).toBeGreaterThan(0);
  for (const t of texts) {
    const at = `${where} ${t.chart} "${t.text}"`;
    expect(t.px, `${at}: font px`).toBeGreaterThanOrEqual(10.95);
    expect(t.box.left, `${at}: clipped left`).toBeGreaterThanOrEqual(t.svg.left - 1);
    expect(t.box.right, `${at}: clipped right`).toBeLessThanOrEqual(t.svg.right + 1);
    expect(t.box.top, `${at}: clipped top`).toBeGreaterThanOrEqual(t.svg.top - 1);
    expect(t.box.bottom, `${at}: clipped bottom`).toBeLessThanOrEqual(t.svg.bottom + 1);
  }
  // No two texts of one chart overlap (boxes shrunk by 1.5 px: glyph boxes include line spacing).
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i]!, b = texts[j]!;
      if (a.chartIndex !== b.chartIndex) continue;
      const w = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left) - 3;
      const h = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top) - 3;
      expect(w > 0 && h > 0, `${where} ${a.chart}: "${a.text}" overlaps "${b.text}"`).toBe(false);
    }
  }
}

/** Pages, the query of a short run, the button that starts it and what to wait for. */
const PAGES: Array<{ file: string; query: string; action: string; done: string }> = [
  { file: 'moe.html', query: 'backend=wasm&steps=60', action: 'start', done: 'done' },
  { file: 'moe.html', query: 'backend=wasm&steps=60&experts=32', action: 'start', done: 'done' },
  { file: 'sharing.html', query: 'backend=wasm&steps=60', action: 'start', done: 'done' },
  { file: 'nas.html', query: 'backend=wasm&steps=20', action: 'start', done: 'done' },
  { file: 'nas.html', query: 'backend=wasm&steps=10&space=conv&method=gdas', action: 'start', done: 'done' },
  { file: 'compare.html', query: 'backend=wasm&steps=40', action: 'run', done: 'done' },
];

describe('charts are readable at desktop and phone width', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const width of [1280, 390]) {
    for (const p of PAGES) {
      it(`${p.file}?${p.query} at ${width} px`, async () => {
        const w = await openWatched(browser, { width });
        const { page } = w;
        await page.goto(demoUrl(`${p.file}?${p.query}`));
        const start = page.locator(`button[data-action="${p.action}"]`);
        await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
        await start.click();
        if (p.file === 'compare.html') {
          await expect.poll(() => page.locator('tr[data-status="done"]').count(), { timeout: 240_000, interval: 500 }).toBeGreaterThanOrEqual(7);
        } else {
          await expect.poll(() => page.locator('weft-progress-bar [data-status]').getAttribute('data-status'), { timeout: 180_000, interval: 250 }).toBe(p.done);
        }
        await page.waitForTimeout(300); // let the last report's views draw
        expectReadable(await chartTexts(page), `${p.file} ${width}px`);
        // NAS op names are written whole.
        const cut = await page.evaluate(() => {
          const bars = document.querySelector('weft-nas-page')?.shadowRoot?.querySelector('weft-nas-bars')?.shadowRoot;
          return bars ? [...bars.querySelectorAll<HTMLElement>('.name')].filter((n) => n.scrollWidth > n.clientWidth + 1).map((n) => n.textContent) : [];
        });
        expect(cut, 'op names cut').toEqual([]);
        expect(w.errors).toEqual([]);
        await page.context().close();
      }, 300_000);
    }
  }
});
