// Global setup of the e2e project: build the demos with Vite's JS API, serve demos/dist with
// `vite preview` on a free port, and `provide` its URL to the tests as `demosUrl`.
import type { TestProject } from 'vitest/node';
import { build, preview, type PreviewServer } from 'vite';
import { fileURLToPath } from 'node:url';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the built demos, ending in `/` (e.g. `http://127.0.0.1:4173/`). */
    demosUrl: string;
  }
}

const demos = fileURLToPath(new URL('../../demos/', import.meta.url));
const configFile = fileURLToPath(new URL('../../demos/vite.config.ts', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await build({ root: demos, configFile, logLevel: 'warn', mode: 'production' });
  // Port 0: the OS picks a free port; the server reports the one it got.
  const server: PreviewServer = await preview({
    root: demos,
    configFile,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('serve-built-demos: vite preview reported no local URL');
  project.provide('demosUrl', url.endsWith('/') ? url : `${url}/`);
  return async () => {
    await server.close();
  };
}
