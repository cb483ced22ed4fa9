// Untrusted files: the memory the safetensors reader needs for a ~100 MB header of tiny tensors
// (the worst case per byte: one entry per ~70 header bytes). Measured in child processes on the
// built reader: the smallest V8 heap that parses the file (a binary search on
// --max-old-space-size, so garbage not yet collected does not count) ÷ the file size, and the peak
// RSS with the default heap ÷ the file size.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchCase } from '../case.js';

const script = new URL('../scripts/safetensors-peak.mjs', import.meta.url).pathname;
const reader = new URL('../../packages/core/dist/io/safetensors-reader.js', import.meta.url).pathname;

/** A safetensors file whose header is about `headerBytes` long: F32 tensors of one element each. */
function tinyTensorFile(headerBytes: number): { bytes: Uint8Array; tensors: number } {
  const parts: string[] = [];
  let length = 2;
  for (let i = 0; length < headerBytes; i++) {
    const p = `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`;
    parts.push(p);
    length += p.length + 1;
  }
  let header = `{${parts.join(',')}}`;
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + 4 * parts.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return { bytes: out, tensors: parts.length };
}

function parseIn(file: string, heapMb?: number): { tensors: number; ms: number; maxRssBytes: number } | null {
  try {
    const out = execFileSync(process.execPath, [...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), script, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out.trim().split('\n').at(-1)!);
  } catch {
    return null; // out of memory at this heap size
  }
}

export const cases: BenchCase[] = [
  {
    name: 'io.safetensors_header_memory',
    unit: 'heap ÷ file',
    backend: 'none (plain typed arrays)',
    target: null,
    better: 'lower',
    async run() {
      if (!existsSync(reader)) throw new Error(`io.safetensors_header_memory needs the built packages (${reader}): run pnpm build`);
      const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
      try {
        const { bytes, tensors } = tinyTensorFile(99_000_000); // just under the reader's 100 MB header limit
        const file = join(dir, 'tiny.safetensors');
        writeFileSync(file, bytes);
        const fileMb = bytes.length / 2 ** 20;
        const free = parseIn(file);
        if (!free || free.tensors !== tensors) throw new Error('io.safetensors_header_memory: the file did not parse');
        // Smallest --max-old-space-size (MiB) that parses the file, to 32 MiB (6 parses).
        let lo = 128;
        let hi = 2176;
        while (hi - lo > 32) {
          const mid = Math.round((lo + hi) / 2);
          if (parseIn(file, mid)) hi = mid;
          else lo = mid;
        }
        return {
          value: hi / fileMb,
          detail: { fileMiB: fileMb, tensors, minHeapMiB: hi, parseMs: free.ms, peakRssMiB: free.maxRssBytes / 2 ** 20, peakRssOverFile: free.maxRssBytes / 2 ** 20 / fileMb },
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
