// placeLabels: a lone label sits right of its point; crowded labels move to free places instead of
// covering each other or other points; labels stay inside the plot.
import { describe, expect, it } from 'vitest';
import { placeLabels, type LabelPlace } from '../src/components/label-placement.js';

const BOUNDS = { left: 0, right: 600, top: 0, bottom: 300 };
const CW = 6.6;

/** The box a place gives a label of `text`. */
function box(p: LabelPlace, text: string) {
  const w = text.length * CW;
  const left = p.anchor === 'start' ? p.x : p.anchor === 'end' ? p.x - w : p.x - w / 2;
  return { left, right: left + w, top: p.y - 10, bottom: p.y + 3 };
}
const intersects = (a: ReturnType<typeof box>, b: ReturnType<typeof box>) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

describe('placeLabels', () => {
  it('puts a lone label to the right of its point', () => {
    expect(placeLabels([{ x: 100, y: 100, text: 'Dense' }], BOUNDS)).toEqual([{ x: 110, y: 104, anchor: 'start' }]);
  });

  it('keeps a label inside the plot: a point at the right edge is labelled on its left', () => {
    expect(placeLabels([{ x: 590, y: 100, text: 'Mixture of experts' }], BOUNDS)[0]!.anchor).toBe('end');
  });

  it('crowded points get labels that neither overlap each other nor cover another point', () => {
    // Three runs close together, as the compare page's sharing runs are.
    const pts = [
      { x: 300, y: 100, text: 'Cross-layer sharing' },
      { x: 270, y: 106, text: 'Hashed sharing' },
      { x: 350, y: 102, text: 'Dense baseline' },
      { x: 300, y: 116, text: 'Dense, 2 layers' },
    ];
    const places = placeLabels(pts, BOUNDS);
    const boxes = places.map((p, i) => box(p, pts[i]!.text));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) expect(intersects(boxes[i]!, boxes[j]!), `${pts[i]!.text} / ${pts[j]!.text}`).toBe(false);
      pts.forEach((p, j) => {
        if (j !== i) expect(intersects(boxes[i]!, { left: p.x - 7, right: p.x + 7, top: p.y - 7, bottom: p.y + 7 }), `${pts[i]!.text} over ${p.text}`).toBe(false);
      });
    }
  });

  it('points on top of each other get labels stacked above and below, each with a leader line, none overlapping', () => {
    // Runs with the same parameter count and accuracy, as the compare page's do before they differ.
    const names = ['Dense baseline', 'Dense, 2 layers', 'Cross-layer sharing', 'Hashed sharing', 'Mixture of experts', 'LoRA fine-tuning', 'NAS-found MLP'];
    const pts = names.map((text, i) => ({ x: 300 + (i % 2), y: 150, text }));
    const places = placeLabels(pts, BOUNDS);
    const boxes = places.map((p, i) => box(p, pts[i]!.text));
    for (let i = 0; i < boxes.length; i++) {
      expect(boxes[i]!.left).toBeGreaterThanOrEqual(BOUNDS.left);
      expect(boxes[i]!.right).toBeLessThanOrEqual(BOUNDS.right);
      for (let j = i + 1; j < boxes.length; j++) expect(intersects(boxes[i]!, boxes[j]!), `${names[i]} / ${names[j]}`).toBe(false);
    }
    // The near places hold a few; the rest are further away and say so.
    expect(places.filter((p) => p.leader).length).toBeGreaterThan(0);
    for (const [i, p] of places.entries()) if (!p.leader) expect(Math.abs(p.y - pts[i]!.y)).toBeLessThanOrEqual(20);
  });

  it('on a phone-wide plot, a label too long to sit beside its point goes under it, inside the plot, covering no other', () => {
    // compare.html's Pareto chart at 390 px mid-run (plot 58–308 px): four runs crowded at the top,
    // MoE lower right. "Cross-layer sharing" fits neither right nor left of its point at x = 160.
    const bounds = { left: 58, right: 308, top: 16, bottom: 254 };
    const m = { charWidth: 7.3, ascent: 11, descent: 3, radius: 8 };
    const pts = [
      { x: 221, y: 37, text: 'Dense baseline' },
      { x: 160, y: 33, text: 'Dense, 2 layers' },
      { x: 160, y: 33, text: 'Cross-layer sharing' },
      { x: 137, y: 35, text: 'Hashed sharing' },
      { x: 280, y: 201, text: 'Mixture of experts' },
    ];
    const places = placeLabels(pts, bounds, m);
    const boxes = places.map((p, i) => {
      const w = pts[i]!.text.length * m.charWidth;
      const left = p.anchor === 'start' ? p.x : p.anchor === 'end' ? p.x - w : p.x - w / 2;
      return { left, right: left + w, top: p.y - m.ascent, bottom: p.y + m.descent };
    });
    for (let i = 0; i < boxes.length; i++) {
      const b = boxes[i]!;
      expect(b.left >= bounds.left && b.right <= bounds.right && b.top >= bounds.top && b.bottom <= bounds.bottom, `${pts[i]!.text} inside`).toBe(true);
      for (let j = i + 1; j < boxes.length; j++) expect(intersects(b, boxes[j]!), `${pts[i]!.text} / ${pts[j]!.text}`).toBe(false);
    }
  });
});
