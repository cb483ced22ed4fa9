// Where to write each point's label on a scatter chart so that labels do not cover each other or
// other points: each label takes the first of a few places around its point (right, left, above,
// below) that is free and inside the plot; when all of them are taken (points on top of each
// other), the nearest free place further up or down (beside the point, or across it on a narrow
// chart), joined to its point by a leader line; else
// the place that overlaps least. Greedy, in the order given, with the label's width estimated
// from its length (no DOM measuring).

/** A point to label, in chart coordinates. */
export interface LabelledPoint {
  x: number;
  y: number;
  text: string;
}

/** Where a label goes: its text position and anchor (SVG `text-anchor`). */
export interface LabelPlace {
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  /** The label is away from its point: draw a line from the point to it. */
  leader?: boolean;
}

/** The plot area labels must stay inside. */
export interface PlotBounds {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Sizes used to estimate boxes (defaults fit 11.5 px semibold labels and 6.5 px dots). */
export interface LabelMetrics {
  /** Mean width of one character, px. Default: 6.6. */
  charWidth?: number;
  /** Height above the baseline, px. Default: 10. */
  ascent?: number;
  /** Depth below the baseline, px. Default: 3. */
  descent?: number;
  /** Radius a point keeps free around itself, px. Default: 7. */
  radius?: number;
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const overlap = (a: Box, b: Box) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));

/** Places for every point's label, in the order given; `avoid` lists other marks labels must not cover (e.g. a graph's nodes). */
export function placeLabels(points: readonly LabelledPoint[], bounds: PlotBounds, metrics: LabelMetrics = {}, avoid: readonly PlotBounds[] = []): LabelPlace[] {
  const { charWidth = 6.6, ascent = 10, descent = 3, radius = 7 } = metrics;
  const dots: Box[] = points.map((p) => ({ left: p.x - radius, right: p.x + radius, top: p.y - radius, bottom: p.y + radius }));
  const taken: Box[] = [];
  return points.map((p, i) => {
    const w = p.text.length * charWidth;
    const candidates: LabelPlace[] = [
      { x: p.x + 10, y: p.y + 4, anchor: 'start' },
      { x: p.x - 10, y: p.y + 4, anchor: 'end' },
      { x: p.x, y: p.y - 11, anchor: 'middle' },
      { x: p.x, y: p.y + 20, anchor: 'middle' },
      { x: p.x + 7, y: p.y - 9, anchor: 'start' },
      { x: p.x + 7, y: p.y + 17, anchor: 'start' },
      { x: p.x - 7, y: p.y - 9, anchor: 'end' },
      { x: p.x - 7, y: p.y + 17, anchor: 'end' },
    ];
    // Further away, one line at a time, right, left, then under or over the point as far into the
    // plot as the label needs (a long label on a narrow chart fits neither beside its point): used
    // only when every near place is taken.
    const line = ascent + descent + 3;
    const inside = Math.min(Math.max(p.x - w / 2, bounds.left), bounds.right - w);
    const far: LabelPlace[] = [];
    for (let k = 1; k <= 8; k++) {
      for (const dy of [-k * line, k * line]) {
        far.push(
          { x: p.x + 12, y: p.y + 4 + dy, anchor: 'start', leader: true },
          { x: p.x - 12, y: p.y + 4 + dy, anchor: 'end', leader: true },
          { x: inside, y: p.y + 4 + dy, anchor: 'start', leader: true },
        );
      }
    }
    let best = candidates[0]!;
    let bestBox: Box | null = null;
    let bestCost = Infinity;
    for (const c of [...candidates, ...far]) {
      const left = c.anchor === 'start' ? c.x : c.anchor === 'end' ? c.x - w : c.x - w / 2;
      const box: Box = { left, right: left + w, top: c.y - ascent, bottom: c.y + descent };
      const outside = Math.max(0, bounds.left - box.left) + Math.max(0, box.right - bounds.right) + Math.max(0, bounds.top - box.top) + Math.max(0, box.bottom - bounds.bottom);
      let cost = outside * 1000;
      for (const t of taken) cost += overlap(box, t);
      for (const a of avoid) cost += overlap(box, a);
      dots.forEach((d, j) => {
        if (j !== i) cost += overlap(box, d);
      });
      if (cost < bestCost) {
        best = c;
        bestBox = box;
        bestCost = cost;
        if (cost === 0) break;
      }
    }
    taken.push(bestBox!);
    return best;
  });
}
