// Node project: tfjs `wasm` (with Weft's training kernels; the CPU default) and `cpu`.
// Tests that do not use `describeBackends` run on wasm.
import { initBackend } from '@weft/core';

const report = await initBackend({ prefer: ['wasm'], fallback: false });
if (report.backend !== 'wasm') throw new Error(`node tests need wasm: ${JSON.stringify(report.reasons)}`);
