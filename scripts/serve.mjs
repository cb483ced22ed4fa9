// `npm start`: serve the demo pages (Vite dev server on the packages' sources) and print the URL.
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
const port = process.env.PORT ?? '5173';
console.log(`• Weft demos: http://localhost:${port}/  (Ctrl-C to stop)`);
run(pn, [...pre, '--filter', '@weft/demos', 'run', 'dev', '--port', port, '--strictPort', '--host', process.env.HOST ?? 'localhost']);
