// moe.html's lab worker: the technique views' seeded experiments (see ../jobs/moe-lab.ts) run here,
// each reporting its runs as progress and stopping when the page aborts, so the main thread only draws.
import { exposeInWorker } from './rpc.js';
import { chooseBackend, type BackendChoice } from '../backend-choice.js';
import { MOE_LAB } from '../jobs/moe-lab.js';

exposeInWorker({
  backend: (choice: BackendChoice) => chooseBackend(choice),
  ...Object.fromEntries(Object.entries(MOE_LAB).map(([name, f]) => [name, (...args: unknown[]) => {
    const ctx = args.pop() as { signal: AbortSignal; progress(v: unknown): void };
    return (f as (progress: (v: unknown) => void, signal: AbortSignal, ...rest: unknown[]) => unknown)(ctx.progress, ctx.signal, ...args);
  }])),
});
