// Parameter ledger: for any module, per parameter and in total — stored (each variable once),
// effective (counted once per use: per path, times the recursion a module reports with
// `usesOf`), trainable, active per token (unique parameters one token touches, scaled by the
// routing share a module reports with `activeShareOf`), and bytes. Sharing-aware by construction:
// it reads the module tree, where sharing is identity.
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';

/** One path to one parameter. */
export interface LedgerRow {
  /** Dotted path, e.g. "blocks.3.mlp.fc1.weight". */
  path: string;
  /** Shape of the variable. */
  shape: number[];
  /** Number of elements. */
  size: number;
  /** Whether the variable trains. */
  trainable: boolean;
  /** Index of the variable among the module's unique parameters (equal ids are shared). */
  id: number;
  /** Uses per forward pass through this path (product of `usesOf` along it). */
  uses: number;
  /** Share of the variable one token touches through this path (product of `activeShareOf`). */
  activeShare: number;
}

/** Totals of a ledger. */
export interface LedgerTotals {
  /** Unique parameters (what is stored). */
  stored: number;
  /** Parameters counted once per use (what an unshared model of the same computation stores). */
  effective: number;
  /** Unique trainable parameters. */
  trainable: number;
  /** Unique parameters one token touches on average (router + shared + k of E experts). */
  active: number;
  /** Bytes of the stored parameters. */
  bytes: number;
}

/** The ledger of a module. */
export interface Ledger {
  /** Every path to every parameter. */
  rows: LedgerRow[];
  /** For each unique variable: its paths and its counts. */
  unique: Array<{ id: number; paths: string[]; size: number; dtype: tf.DataType; trainable: boolean; uses: number; activeShare: number }>;
  /** The totals. */
  totals: LedgerTotals;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 0 };

/** Build the ledger of `module`. */
export function parameterLedger(module: Module<any, any>): Ledger {
  const rows: LedgerRow[] = [];
  const ids = new Map<tf.Variable, number>();
  const variables: tf.Variable[] = [];
  const walk = (m: Module<any, any>, path: string, uses: number, share: number) => {
    for (const [name, v] of m.ownParameters()) {
      let id = ids.get(v);
      if (id === undefined) {
        id = variables.length;
        ids.set(v, id);
        variables.push(v);
      }
      rows.push({
        path: path ? `${path}.${name}` : name,
        shape: [...v.shape],
        size: v.size,
        trainable: v.trainable,
        id,
        uses: uses * checkedFactor(m, 'usesOf', name),
        activeShare: share * checkedFactor(m, 'activeShareOf', name),
      });
    }
    for (const [name, c] of m.namedChildren()) {
      walk(c, path ? `${path}.${name}` : name, uses * checkedFactor(m, 'usesOf', name), share * checkedFactor(m, 'activeShareOf', name));
    }
  };
  walk(module, '', 1, 1);

  const unique = variables.map((v, id) => {
    const mine = rows.filter((r) => r.id === id);
    return {
      id,
      paths: mine.map((r) => r.path),
      size: v.size,
      dtype: v.dtype,
      trainable: v.trainable,
      uses: mine.reduce((s, r) => s + r.uses, 0),
      activeShare: Math.min(1, Math.max(...mine.map((r) => r.activeShare))),
    };
  });
  const totals: LedgerTotals = { stored: 0, effective: 0, trainable: 0, active: 0, bytes: 0 };
  for (const u of unique) {
    totals.stored += u.size;
    totals.effective += u.size * u.uses;
    if (u.trainable) totals.trainable += u.size;
    totals.active += u.size * u.activeShare;
    totals.bytes += u.size * (BYTES[u.dtype] ?? 4);
  }
  return { rows, unique, totals };
}

function checkedFactor(m: Module<any, any>, method: 'usesOf' | 'activeShareOf', name: string): number {
  const f = m[method](name);
  const ok = method === 'usesOf' ? Number.isFinite(f) && f >= 0 : f >= 0 && f <= 1;
  if (!ok) {
    throw new Error(
      `${m.constructor.name}.${method}("${name}") returned ${f}; allowed: ${method === 'usesOf' ? 'a finite number ≥ 0' : 'a share in [0, 1]'}`,
    );
  }
  return f;
}

/** Options of {@link formatLedger}. */
export interface FormatLedgerOptions {
  /** Group rows by module path to this depth (0 = one row per path). Default: 0. */
  depth?: number;
  /** Maximum rows printed before "…". Default: 200. */
  maxRows?: number;
}

/**
 * A printable, sharing-aware summary (like Keras `summary()`): one row per path with its shape,
 * size, and the variable it shares with; then the totals.
 */
export function formatLedger(ledger: Ledger, options: FormatLedgerOptions = {}): string {
  const maxRows = options.maxRows ?? 200;
  const depth = options.depth ?? 0;
  const firstPath = new Map(ledger.unique.map((u) => [u.id, u.paths[0]!]));
  type Line = [string, string, string, string, string];
  const lines: Line[] = [['parameter', 'shape', 'size', 'uses', 'note']];
  if (depth > 0) {
    const groups = new Map<string, { size: number; effective: number; shared: number }>();
    for (const r of ledger.rows) {
      const key = r.path.split('.').slice(0, depth).join('.');
      const g = groups.get(key) ?? { size: 0, effective: 0, shared: 0 };
      const isFirst = firstPath.get(r.id) === r.path;
      if (isFirst) g.size += r.size;
      else g.shared += r.size;
      g.effective += r.size * r.uses;
      groups.set(key, g);
    }
    for (const [key, g] of groups) {
      lines.push([key, '', fmt(g.size), fmt(g.effective), g.shared ? `+${fmt(g.shared)} shared from elsewhere` : '']);
    }
  } else {
    for (const r of ledger.rows) {
      const first = firstPath.get(r.id)!;
      const notes = [first !== r.path ? `shared with ${first}` : '', r.trainable ? '' : 'frozen', r.activeShare < 1 ? `active ${(r.activeShare * 100).toFixed(1)}%` : '']
        .filter(Boolean)
        .join(', ');
      lines.push([r.path, `[${r.shape.join(', ')}]`, fmt(r.size), r.uses === 1 ? '1' : r.uses.toFixed(2).replace(/\.00$/, ''), notes]);
    }
  }
  const shown = lines.slice(0, maxRows + 1);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...shown.map((l) => l[i].length)));
  const row = (l: Line) => l.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const t = ledger.totals;
  return [
    row(shown[0]!),
    rule,
    ...shown.slice(1).map(row),
    ...(lines.length > shown.length ? [`… ${lines.length - shown.length} more rows`] : []),
    rule,
    `stored ${fmt(t.stored)} · effective ${fmt(t.effective)} · trainable ${fmt(t.trainable)} · active/token ${fmt(Math.round(t.active))} · ${formatBytes(t.bytes)}`,
  ].join('\n');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "1.2 MB"-style size. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  // 999.5 and up would print as "1000": carry into the next unit ("1.0 GB").
  while (v >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 99.95 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
