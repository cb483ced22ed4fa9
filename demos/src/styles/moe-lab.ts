// The styles of moe.html's technique views (μP, scaling law, PERFT, DNA, …): an explanation, a run
// row (button and status), an SVG chart laid out in CSS pixels, a legend and a summary line.
import { css } from 'lit';
import { boxStyles, buttonStyles, numberStyles } from './shared.js';

/** Every style of a technique view's shadow root. */
export const labViewStyles = [
  boxStyles,
  buttonStyles,
  numberStyles,
  css`
    :host { display: block; }
    svg { width: 100%; height: auto; display: block; }
    .about { margin: 0 0 10px; font-size: 14px; color: var(--muted); max-width: 80ch; }
    .run-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin: 4px 0 10px; }
    .status { font-size: 13px; color: var(--muted); }
    .alert { padding: 10px 12px; border-radius: var(--radius-sm); background: var(--danger-soft); color: var(--danger); font-size: 14px; overflow-wrap: anywhere; margin-bottom: 10px; }
    .legend-row { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; color: var(--muted); margin-bottom: 6px; }
    .swatch { display: inline-flex; align-items: center; gap: 6px; }
    .swatch i { display: inline-block; width: 14px; height: 4px; border-radius: 2px; }
    .swatch i.c0 { background: var(--class-1); }
    .swatch i.c1 { background: var(--class-0); }
    .swatch i.c2 { background: var(--class-2); }
    .swatch i.c3 { background: var(--class-3); }
    .swatch i.p-pretrain { background: var(--faint); }
    .swatch i.p-shared { background: var(--class-1); }
    .swatch i.p-routed { background: var(--class-0); }
    .swatch i.p-embedded { background: var(--class-2); }
    .swatch i.a-hydra { background: var(--class-0); }
    .swatch i.a-rec { background: var(--class-1); }
    .swatch i.a-attention { background: var(--class-2); }
    .swatch i.ring { width: 12px; height: 12px; border-radius: 50%; border: 2.5px solid var(--muted); }
    .lbl { font: 12px var(--font); fill: var(--muted); }
    .title { font: 600 13px var(--font); fill: var(--text); }
    .div { font: 700 14px var(--font); }
    .grid { stroke: var(--chart-grid); }
    .summary { display: grid; gap: 4px; margin: 10px 0 0; font-size: 14px; }
    .summary .note { font-size: 13px; color: var(--muted); }
    .legend { margin: 8px 0 0; font-size: 13px; color: var(--muted); }
    .empty { color: var(--faint); font-size: 14px; padding: 18px 0; text-align: center; }
    table { border-collapse: collapse; font-size: 13.5px; width: 100%; }
    th, td { padding: 6px 10px; text-align: right; border-bottom: 1px solid var(--border); white-space: nowrap; }
    th:first-child, td:first-child { text-align: left; }
    thead th { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--surface-2); }
    td .sub { font-size: 12px; color: var(--faint); white-space: normal; min-width: 180px; }
    td.bars, th.bars { width: 30%; min-width: 80px; }
    svg.bar { width: 100%; height: 12px; }
    @media (max-width: 560px) {
      td.bars, th.bars { display: none; }
      td .sub { display: none; }
      th, td { padding: 6px 7px; }
      th:first-child, td:first-child { white-space: normal; min-width: 7em; }
    }
    h3 { margin: 14px 0 6px; font-size: 13px; font-weight: 600; color: var(--muted); }
    .inline { display: inline-flex; align-items: center; gap: 6px; font-size: 14px; color: var(--muted); }
    select { font: inherit; font-size: 14px; padding: 6px 8px; border: 1px solid var(--border); border-radius: var(--radius-sm); background: var(--surface); color: var(--text); }
    .tiles { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; padding: 10px 0; border-top: 1px solid var(--border); border-bottom: 1px solid var(--border); }
    .tiles .k { font-size: 12px; font-weight: 600; color: var(--muted); }
    .tiles .v { font-size: 18px; font-weight: 700; }
    .tiles .v small { font-size: 12px; font-weight: 500; color: var(--faint); }
    .tiles .s { font-size: 12px; color: var(--faint); }
    @media (max-width: 560px) { .tiles { grid-template-columns: 1fr 1fr; } }
    .two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; }
    @media (max-width: 760px) { .two { grid-template-columns: minmax(0, 1fr); } }
    .grid-table td { font-variant-numeric: tabular-nums; }
    td.heat { color: var(--text); }
    td.h1 { background: color-mix(in srgb, var(--accent) 10%, transparent); }
    td.h2 { background: color-mix(in srgb, var(--accent) 18%, transparent); }
    td.h3 { background: color-mix(in srgb, var(--accent) 26%, transparent); }
    td.h4 { background: color-mix(in srgb, var(--accent) 34%, transparent); }
    td.h5 { background: color-mix(in srgb, var(--accent) 42%, transparent); }
    td.h6, td.h7, td.h8, td.h9 { background: color-mix(in srgb, var(--accent) 55%, transparent); color: var(--on-accent); }
    .paths { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; font-size: 14px; }
    .paths li { display: grid; grid-template-columns: minmax(0, 14em) minmax(0, 1fr) 4em; align-items: center; gap: 10px; }
    @media (max-width: 560px) { .paths li { grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr) 3.5em; } }
    .paths .path { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .paths .num { text-align: right; color: var(--muted); }
    .cell { font: 600 11px var(--font); fill: var(--on-accent); }
    .chips { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
    .chip { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid var(--border); border-radius: 999px; background: var(--surface); color: var(--muted); cursor: pointer; }
    .chip.on { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
    .scroll { overflow-x: auto; border: 1px solid var(--border); border-radius: var(--radius-sm); }
  `,
];
