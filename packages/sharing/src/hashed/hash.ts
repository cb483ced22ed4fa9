// Index maps of hashed parameter sharing, computed once in JavaScript (seeded, identical on every
// backend) and uploaded as int32 / float32 tensors that a gather applies.
// - ROAST ("Efficient model compression with Random Operation Access Specific Tile hashing", Desai et al.): chunks of `chunkSize` consecutive weights are hashed
//   to a start position of the shared array and read contiguously from there (the "tile"), each
//   weight with a random sign. Collisions are random, so at compression 1 the map is not a bijection.
// - STABLE-RPS (Desai & Shrivastava, "In defense of parameter sharing for model-compression"): a seeded permutation of the weights taken modulo the array size, after an
//   offset per layer, so every slot receives ⌊n/m⌋ or ⌈n/m⌉ weights (balanced load) and at
//   compression 1 the map is a bijection (the unshared model is recovered exactly).

/** A 32-bit integer finaliser (murmur3-style), as a hash of `x`. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where each of `n` weights reads the shared array, and its sign. */
export interface HashMap {
  /** Slot in the shared array of each weight, int32 in [0, memorySize). */
  index: Int32Array;
  /** Sign of each weight, ±1. */
  sign: Float32Array;
}

/** ROAST map of `n` weights into `memorySize` slots, chunked by `chunkSize`, seeded by `seed`. */
export function roastMap(n: number, memorySize: number, chunkSize: number, seed: number): HashMap {
  const index = new Int32Array(n);
  const sign = new Float32Array(n);
  const s1 = mix32(seed ^ 0x9e3779b9);
  const s2 = mix32(seed ^ 0x85ebca6b);
  for (let i = 0; i < n; i++) {
    const chunk = Math.floor(i / chunkSize);
    const start = mix32(s1 ^ mix32(chunk)) % memorySize;
    index[i] = (start + (i % chunkSize)) % memorySize;
    sign[i] = mix32(s2 ^ mix32(i)) & 1 ? 1 : -1;
  }
  return { index, sign };
}

/** STABLE-RPS map: slot = (offset + π(i)) mod memorySize for a seeded permutation π of 0..n-1. */
export function stableRpsMap(n: number, memorySize: number, offset: number, seed: number): HashMap {
  const index = new Int32Array(n);
  const sign = new Float32Array(n);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let state = mix32(seed ^ 0x27d4eb2f) || 1;
  const next = () => (state = mix32(state + 0x9e3779b9));
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const s2 = mix32(seed ^ 0x165667b1);
  for (let i = 0; i < n; i++) {
    index[i] = (offset + perm[i]!) % memorySize;
    sign[i] = mix32(s2 ^ mix32(i)) & 1 ? 1 : -1;
  }
  return { index, sign };
}
