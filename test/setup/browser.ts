// Browser project (Chromium with --enable-unsafe-webgpu): tfjs `webgpu` and `webgl`.
// Tests that do not use `describeBackends` run on webgpu.
import { initBackend } from '@weft/core';

const report = await initBackend({ prefer: ['webgpu'], fallback: false });
if (report.backend !== 'webgpu') throw new Error(`browser tests need webgpu: ${JSON.stringify(report.reasons)}`);
