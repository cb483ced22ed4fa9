// Run one test body on every backend the current test environment provides (like tfjs's
// `describeWithFlags`). The environment declares its backends with vitest's `provide`
// (`weftBackends`); a declared backend that fails to initialise fails the suite — it is
// never skipped silently. Suite names carry the backend: "Linear [wasm]".
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { initBackend, type BackendName } from '../backend.js';


declare module 'vitest' {
  export interface ProvidedContext {
    weftBackends: BackendName[];
  }
}

/** The backends the current environment must provide (from the project's `provide`). */
export function expectedBackends(): BackendName[] {
  const list = inject('weftBackends');
  if (!Array.isArray(list) || list.length === 0) {
    throw new Error('describeBackends: the vitest project does not provide "weftBackends"');
  }
  return list;
}

/** Options of {@link describeBackends}. */
export interface DescribeBackendsOptions {
  /** Only these backends (of those the environment provides). Default: all of them. */
  only?: BackendName[];
}

/**
 * `describe(name [backend], body)` once per backend of the environment, with that backend
 * active (and Weft's training kernels registered) for the block's tests.
 */
export function describeBackends(
  name: string,
  body: (backend: BackendName) => void,
  options: DescribeBackendsOptions = {},
): void {
  const backends = expectedBackends().filter((b) => !options.only || options.only.includes(b));
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      let previous: string | undefined;
      beforeAll(async () => {
        previous = tf.getBackend();
        const report = await initBackend({ prefer: [backend], fallback: false });
        expect(report.backend, `backend ${backend} must initialise here: ${report.reasons[backend] ?? ''}`).toBe(
          backend,
        );
      });
      afterAll(async () => {
        if (previous && previous !== backend) await tf.setBackend(previous);
      });
      body(backend);
    });
  }
}
