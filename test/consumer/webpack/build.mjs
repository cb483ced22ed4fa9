// `npm run build`: webpack 5 with its defaults for a production web bundle — an entry, an output
// folder, nothing else (no loaders, no resolve fallbacks, no copy plugin): what a user who adds
// @weft/core to a webpack app has. Prints `RESULT {json}` with the emitted files, or the errors.
import webpack from 'webpack';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const config = { mode: 'production', context: here, entry: './main.js', output: { path: `${here}dist`, clean: true }, performance: { hints: false } };

webpack(config, (error, stats) => {
  if (error || stats.hasErrors()) {
    console.error(error ?? stats.toString({ all: false, errors: true, errorDetails: true }));
    process.exit(1);
  }
  mkdirSync(`${here}dist`, { recursive: true });
  writeFileSync(`${here}dist/index.html`, '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Weft in a webpack page</title><link rel="icon" href="data:,"></head>\n<body><p id="status">training…</p><script src="main.js"></script></body></html>\n');
  const warnings = stats.toJson({ all: false, warnings: true }).warnings.map((w) => w.message);
  console.log(`RESULT ${JSON.stringify({ files: readdirSync(`${here}dist`), warnings })}`);
});
