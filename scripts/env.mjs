// What `npm test` and `npm start` need on a fresh clone of a machine with only Node 20 and npm:
// pnpm (used from npx when it is not installed), the workspace's dependencies, and for the tests
// Debian's Chromium (installed with apt when running as root, otherwise we stop at once and say
// the exact command).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Remove `name value` from `args` (a script's argv, edited in place) and return value, or `fallback`. */
export function takeOption(args, name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}
export const PNPM_VERSION = '12.4.2';
export const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';

/** Run a command in the repository root, inheriting stdio; exit on failure unless `allowFail`. */
export function run(cmd, args, { env = {}, allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
  return r.status ?? 1;
}

/** The pnpm command: the installed one when it is pnpm 12, else `npx pnpm@12.4.2`. */
export function pnpm() {
  const v = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (v.status === 0 && v.stdout.trim().startsWith('12.')) return ['pnpm', []];
  return ['npx', ['--yes', `pnpm@${PNPM_VERSION}`]];
}

/** Install the workspace's dependencies when missing or older than the lockfile. */
export function ensureDependencies() {
  const marker = `${root}node_modules/.modules.yaml`;
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(`${root}pnpm-lock.yaml`).mtimeMs;
  if (fresh) return;
  console.log('• installing dependencies (pnpm install --frozen-lockfile)');
  const [cmd, pre] = pnpm();
  run(cmd, [...pre, 'install', '--frozen-lockfile'], { env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
}

/** Make sure Chromium is there; install Debian's package as root, else stop with the command. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (isRoot && hasApt && !process.env.WEFT_CHROMIUM) {
    console.log('• installing Chromium (apt-get install -y chromium)');
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
    if (existsSync(CHROMIUM)) return;
  }
  console.error(
    `✗ The browser tests need Chromium at ${CHROMIUM}, and it is not there.\n` +
      '  Install it with:   sudo apt-get update && sudo apt-get install -y chromium\n' +
      '  or point to one:   WEFT_CHROMIUM=/path/to/chromium npm test',
  );
  process.exit(1);
}

/** Environment for WebGPU in Node: Dawn finds Vulkan and SwiftShader in Debian's Chromium. */
export function webgpuEnv() {
  const dir = CHROMIUM.endsWith('/usr/bin/chromium') ? '/usr/lib/chromium' : CHROMIUM.replace(/\/[^/]*$/, '');
  return {
    LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? `${dir}/vk_swiftshader_icd.json`,
  };
}

/** Build the four packages (tsc -b, and core's Node bundle of tfjs's registrations). */
export function buildPackages() {
  const [cmd, pre] = pnpm();
  console.log('• building the packages');
  run(cmd, [...pre, '-r', '--filter', './packages/*', 'run', 'build']);
}
