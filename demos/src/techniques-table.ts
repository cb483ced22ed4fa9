// The README's techniques table, read as data, so the landing page lists every technique with a
// link to the view that shows it — the table stays the one list (each technique's row names its
// page; a page view may be `page.html#anchor` or `page.html?setting=value`).

/** One row of the README's techniques table. */
export interface TechniqueRow {
  /** What the row implements, as written (Markdown code marks removed). */
  technique: string;
  /** The package cell, as written (code marks removed). */
  pkg: string;
  /** Links to the views the row names (`sharing.html`, `sharing.html#act`), in order; empty when none. */
  views: string[];
  /** The demo-page cell as written (e.g. "—", "every page"), code marks removed. */
  pageCell: string;
}

/** Table cells of one Markdown row, split on `|` but not on an escaped `\|`. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (body[i] === '|') {
      out.push(cell.trim());
      cell = '';
    } else cell += body[i];
  }
  out.push(cell.trim());
  return out;
}

const plain = (s: string) => s.replace(/`/g, '');

/**
 * The rows of the first table whose header starts `| technique | package | demo page |` in
 * `markdown` (the README). Throws if there is no such table, so a renamed header is noticed.
 */
export function techniqueRows(markdown: string): TechniqueRow[] {
  const lines = markdown.split(/\r?\n/);
  const head = lines.findIndex((l) => /^\|\s*technique\s*\|\s*package\s*\|\s*demo page\s*\|/i.test(l));
  if (head < 0) throw new Error('techniqueRows: no "| technique | package | demo page |" table in the text');
  const rows: TechniqueRow[] = [];
  for (let i = head + 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
    const [technique = '', pkg = '', page = ''] = cells(lines[i]!);
    const views = [...page.matchAll(/([a-z0-9][a-z0-9-]*\.html(?:[?#][^\s`),]*)?)/gi)].map((m) => m[1]!);
    rows.push({ technique: plain(technique), pkg: plain(pkg), views, pageCell: plain(page) });
  }
  return rows;
}

/** A short name for a row: its text up to the first parenthesis or ` — ` (a paper's title then), at most `max` characters. */
export function shortName(technique: string, max = 110): string {
  const cut = technique.split(' (')[0]!.split(' — ')[0]!.trim();
  return cut.length <= max ? cut : `${cut.slice(0, max - 1).trimEnd()}…`;
}
