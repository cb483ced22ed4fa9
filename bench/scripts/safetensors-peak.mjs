// Child process of the io.safetensors_header_memory case: parse a safetensors file with the built
// reader (packages/core/dist) and print the tensor count and the process's peak RSS.
import { readFileSync } from 'node:fs';
const { parseSafetensors } = await import(new URL('../../packages/core/dist/io/safetensors-reader.js', import.meta.url).href);
const bytes = readFileSync(process.argv[2]);
const t0 = performance.now();
const { tensors } = parseSafetensors(bytes);
const ms = performance.now() - t0;
console.log(JSON.stringify({ tensors: tensors.size, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
