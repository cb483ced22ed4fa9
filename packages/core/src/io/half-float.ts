// IEEE half precision and bfloat16 <-> number, exactly and with round-to-nearest-even: the
// safetensors F16/BF16 codecs.

let f16Values: Float32Array | null = null;

/** The value of every half-precision bit pattern (256 kB, built on first use). */
export function f16Table(): Float32Array {
  if (!f16Values) {
    f16Values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Values[h] = f16BitsToNumber(h);
  }
  return f16Values;
}

/** Converts IEEE half-precision bits to a number, exactly (subnormals, ±0, ±Inf, NaN). */
function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // ±0 and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (0x400 + mantissa) * 2 ** (exponent - 25);
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Rounds a number to IEEE half precision (to nearest, ties to even) and returns its bits. */
export function numberToF16Bits(x: number): number {
  scratchF32[0] = x; // first to float32 (as tfjs holds it), then float32 → float16
  const b = scratchU32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0); // Inf, NaN
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00; // overflow → ±Inf
  if (e <= 0) {
    // Subnormal half (or zero): value = (1.m × 2^23) × 2^(e − 14) in units of 2^-24.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && m & 1)) m++; // may carry into the smallest normal: still right
    return sign | m;
  }
  let h = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // carry may reach Inf: still right
  return h;
}

/** Rounds a number to bfloat16 (to nearest, ties to even) and returns its bits. */
export function numberToBf16Bits(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40; // NaN stays NaN
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 65536);
}
