// Global setup of the e2e project: build the demos exactly as they ship (`pnpm --filter
// @weft/demos build`, in a child process without vitest's NODE_ENV=test), serve the output with
// `vite preview` on a free port, and `provide` its URL and folder to the tests.
//
// Why a child process: Vite picks the production build (and Lit's production bundle, through the
// package's export conditions) only when NODE_ENV is unset or 'production'; vitest sets it to
// 'test', so building through Vite's JS API in this process yields Lit's development bundle, which
// is not what users get. production-build.test.ts checks the served output is the production one.
import type { TestProject } from 'vitest/node';
import { preview, type PreviewServer } from 'vite';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the built demos, ending in `/` (e.g. `http://127.0.0.1:4173/`). */
    demosUrl: string;
    /** Absolute path of the folder the demos were built into (what `demosUrl` serves). */
    demosDist: string;
  }
}

const repo = fileURLToPath(new URL('../../', import.meta.url));
const demos = fileURLToPath(new URL('../../demos/', import.meta.url));
const configFile = fileURLToPath(new URL('../../demos/vite.config.ts', import.meta.url));

/** Build the demos into `outDir` with the shipped command, in an environment free of NODE_ENV. */
async function buildAsShipped(outDir: string): Promise<void> {
  const env = { ...process.env };
  delete env.NODE_ENV;
  try {
    await promisify(execFile)('pnpm', ['--filter', '@weft/demos', 'run', 'build', '--outDir', outDir, '--logLevel', 'warn'], {
      cwd: repo,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    throw new Error(`serve-built-demos: \`pnpm --filter @weft/demos build\` failed:\n${stdout}\n${stderr}`, { cause: e });
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A folder of its own: a concurrent run or a developer's demos/dist is never overwritten.
  const outDir = await mkdtemp(join(tmpdir(), 'weft-demos-'));
  try {
    await buildAsShipped(outDir);
  } catch (e) {
    await rm(outDir, { recursive: true, force: true });
    throw e;
  }
  // Port 0: the OS picks a free port; the server reports the one it got.
  const server: PreviewServer = await preview({
    root: demos,
    configFile,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('serve-built-demos: vite preview reported no local URL');
  project.provide('demosUrl', url.endsWith('/') ? url : `${url}/`);
  project.provide('demosDist', outDir);
  return async () => {
    await server.close();
    await rm(outDir, { recursive: true, force: true });
  };
}
