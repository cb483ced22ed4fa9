// Number formatting shared by the demo components.

/** 1234567 → "1,234,567". */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A compact count: 1234 → "1.23k", 4_500_000 → "4.5M", 1.571e12 → "1.57T". */
export function formatCompact(n: number): string {
  const a = Math.abs(n);
  if (a < 1000) return formatInt(n);
  // A value that rounds to 1000 of a unit is written in the next one (999,885,952 → "1.00B", not "1000M").
  const [div, unit] = a < 999_500 ? [1e3, 'k'] : a < 999_500_000 ? [1e6, 'M'] : a < 999_500_000_000 ? [1e9, 'B'] : [1e12, 'T'];
  const v = n / div;
  return `${Math.abs(v) >= 99.95 ? v.toFixed(0) : Math.abs(v) >= 9.995 ? v.toFixed(1) : v.toFixed(2)}${unit}`;
}

/** A loss for display: 4 significant digits, exponent below 0.001. */
export function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return x.toPrecision(4);
}

/**
 * A duration: "850 ms", "12.3 s", "2 min 05 s", "1 h 04 min". Rounded once, to the unit shown, before
 * it is split, so a value just under a boundary is carried up ("1 min 00 s", never "60.0 s" or "2 min 60 s").
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** "0.925" → "92.5%". */
export function formatPercent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}
