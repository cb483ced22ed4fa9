// A minimal WebAssembly binary writer for Weft's hand-written wasm kernels: one module that imports
// a memory (the tfjs wasm backend's heap, so kernels read and write tensors in place) and exports
// functions of i32 parameters. Only the instructions the kernels use are here; the encoding follows
// the WebAssembly core spec (binary format, §5) and its fixed-width SIMD proposal.

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
type ValueType = typeof I32 | typeof F32 | typeof V128;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** A local variable (or parameter) of a function being written: its index. */
export type Local = number;

/**
 * One function body under construction. Instructions are appended in stack-machine order; the
 * structured helpers (`whileLoop`, `ifElse`) take callbacks that write the condition and the body.
 */
export class FunctionWriter {
  private readonly code: number[] = [];
  private readonly locals: ValueType[] = [];
  /** The parameters, in order (all i32). */
  readonly params: Local[];

  constructor(readonly paramCount: number) {
    this.params = Array.from({ length: paramCount }, (_, i) => i);
  }

  /** Declare a new local of type `type`. */
  local(type: ValueType): Local {
    this.locals.push(type);
    return this.paramCount + this.locals.length - 1;
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...imm);
  }

  get(l: Local): this { return this.op(0x20, ...uleb(l)); }
  set(l: Local): this { return this.op(0x21, ...uleb(l)); }
  i32(n: number): this { return this.op(0x41, ...sleb(n)); }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  /** Unsigned i32 division. */
  divU(): this { return this.op(0x6e); }
  shl(): this { return this.op(0x74); }
  /** Signed `a < b`, `a <= b`, `a > b`. */
  lt(): this { return this.op(0x48); }
  le(): this { return this.op(0x4c); }
  gt(): this { return this.op(0x4a); }
  /** Unsigned `a < b`. */
  ltU(): this { return this.op(0x49); }
  /** Unsigned (logical) shift right. */
  shrU(): this { return this.op(0x76); }
  eqz(): this { return this.op(0x45); }
  /** The memory's size in 64 KiB pages. */
  memorySize(): this { return this.op(0x3f, 0x00); }
  /** `c ? a : b` with `a b c` on the stack. */
  select(): this { return this.op(0x1b); }

  /** `l += by` for an i32 local and an i32 local or constant. */
  inc(l: Local, by: Local | { constant: number }): this {
    this.get(l);
    if (typeof by === 'number') this.get(by);
    else this.i32(by.constant);
    return this.add().set(l);
  }

  f32Load(offset = 0): this { return this.op(0x2a, 2, ...uleb(offset)); }
  f32Store(offset = 0): this { return this.op(0x38, 2, ...uleb(offset)); }
  i32Load(offset = 0): this { return this.op(0x28, 2, ...uleb(offset)); }
  i32Store(offset = 0): this { return this.op(0x36, 2, ...uleb(offset)); }
  f32Zero(): this { return this.op(0x43, 0, 0, 0, 0); }
  /** f32.const `v` (rounded to float32). */
  f32Const(v: number): this { return this.op(0x43, ...new Uint8Array(new Float32Array([v]).buffer)); }
  /** f32 `a ≠ b` (1 for a NaN operand) and `a > b`, as i32 0/1. */
  f32Ne(): this { return this.op(0x5c); }
  f32Gt(): this { return this.op(0x5e); }
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  f32Div(): this { return this.op(0x95); }
  f32Sqrt(): this { return this.op(0x91); }
  /** IEEE min/max with NaN propagation (a NaN operand gives NaN). */
  f32Min(): this { return this.op(0x96); }
  f32Max(): this { return this.op(0x97); }
  /** The f32 whose bits are the i32 on the stack (to pass floats as i32 parameters). */
  f32FromBits(): this { return this.op(0xbe); }

  /** v128.load / v128.store with 4-byte alignment (tensors are float-aligned, not 16-byte aligned). */
  v128Load(offset = 0): this { return this.simd(0x00, 2, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 2, ...uleb(offset)); }
  /** One f32 at the address, in all four lanes (`v128.load32_splat`: one broadcasting load). */
  v128Load32Splat(offset = 0): this { return this.simd(0x09, 2, ...uleb(offset)); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  f32x4Splat(): this { return this.simd(0x13); }
  i32x4Splat(): this { return this.simd(0x11); }
  f32x4Add(): this { return this.simd(0xe4); }
  /** Lane-wise `a > b` and `a ≠ b` as all-ones / all-zeros masks (NaN ≠ NaN). */
  f32x4Gt(): this { return this.simd(0x44); }
  f32x4Ne(): this { return this.simd(0x42); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** Lane-wise min/max with NaN propagation (unlike pmin/pmax). */
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** Pseudo-min/max: pmin(a, b) = b < a ? b : a, pmax(a, b) = a < b ? b : a (a NaN `a` is kept). */
  f32x4PMin(): this { return this.simd(0xea); }
  f32x4PMax(): this { return this.simd(0xeb); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Mul(): this { return this.simd(0xb5); }
  i32x4MinS(): this { return this.simd(0xb6); }
  i32x4MaxS(): this { return this.simd(0xb8); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Sqrt(): this { return this.simd(0xe3); }
  f32x4Div(): this { return this.simd(0xe7); }
  /** Round to nearest, ties to even. */
  f32x4Nearest(): this { return this.simd(0x6a); }
  /** f32 lanes to i32 lanes, truncating (saturating; NaN gives 0). */
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  i32x4Shl(): this { return this.simd(0xab); }
  v128And(): this { return this.simd(0x4e); }
  v128Or(): this { return this.simd(0x50); }
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f, lane); }
  i32x4ExtractLane(lane: number): this { return this.simd(0x1b, lane); }
  /** i8x16.shuffle of the two vectors on the stack by 32-bit lanes: lane i of the result is lane `lanes[i]` of (a ‖ b). */
  shuffle32(lanes: readonly [number, number, number, number]): this {
    return this.simd(0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
  }

  /** `while (cond) body`: `cond` leaves an i32 on the stack. */
  whileLoop(cond: () => void, body: () => void): this {
    this.op(0x02, 0x40, 0x03, 0x40); // block, loop
    cond();
    this.eqz().op(0x0d, 1); // br_if out of the block when the condition is false
    body();
    return this.op(0x0c, 0, 0x0b, 0x0b); // br to the loop head; end loop; end block
  }

  /** `if (cond) then else otherwise`: `cond` leaves an i32 on the stack. */
  ifElse(cond: () => void, then: () => void, otherwise: () => void): this {
    cond();
    this.op(0x04, 0x40); // if (no result)
    then();
    this.op(0x05); // else
    otherwise();
    return this.op(0x0b);
  }

  /** The encoded body (locals and code). */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]!]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/**
 * The bytes of a module that imports `env.memory` (shared or not, to match the memory it will be
 * given) and exports `functions` by name; each function takes only i32 parameters and returns nothing.
 */
export function writeModule(functions: Record<string, FunctionWriter>, sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  const fns = Object.entries(functions);
  const types = fns.map(([, f]) => [0x60, ...vec(f.params.map(() => [I32])), 0]);
  // Memory limits: min 1 page; a shared memory must state a maximum (the largest wasm32 memory).
  const limits = sharedMemory ? [0x03, 1, ...uleb(65536)] : [0x00, 1];
  const name = (s: string) => [...uleb(utf8(s).length), ...utf8(s)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map(([fn], i) => [...name(fn), 0x00, ...uleb(i)]));
  const code = vec(fns.map(([, f]) => f.encode()));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** The bits of `v` rounded to float32, as an i32 (how kernels pass floats to their i32 parameters). */
export function f32Bits(v: number): number {
  return new Int32Array(new Float32Array([v]).buffer)[0]!;
}

/** The part of tfjs-backend-wasm's backend that exposes its Emscripten module's memory. */
interface WasmHeapOwner { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown; HEAPU8?: { buffer?: unknown } } }

/**
 * The WebAssembly.Memory of tfjs wasm's heap: `wasm.asm.memory` in the plain build; the threaded
 * build (Emscripten with pthreads) imports its shared memory instead and keeps it as `wasmMemory`.
 */
export function heapMemory(backend: unknown): WebAssembly.Memory | null {
  const wasm = (backend as WasmHeapOwner).wasm;
  for (const m of [wasm?.asm?.memory, wasm?.wasmMemory]) if (m instanceof WebAssembly.Memory) return m;
  return null;
}

/** Compiled kernel modules, per heap memory and module name. */
const instances = new WeakMap<WebAssembly.Memory, Map<string, Record<string, (...args: number[]) => void> | null>>();

/**
 * The exports of the kernel module `name` (functions written by `write`) bound to `backend`'s heap,
 * compiled once per heap; null where it cannot run (no wasm SIMD, or a tfjs build that hides its memory).
 */
export function heapKernels<K extends string>(backend: unknown, name: string, write: () => Record<K, FunctionWriter>): Record<K, (...args: number[]) => void> | null {
  const memory = heapMemory(backend);
  if (!memory) return null;
  let byName = instances.get(memory);
  if (!byName) instances.set(memory, (byName = new Map()));
  if (!byName.has(name)) {
    let fns: Record<string, (...args: number[]) => void> | null = null;
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(writeModule(write(), shared)), { env: { memory } });
      fns = instance.exports as Record<string, (...args: number[]) => void>;
    } catch {
      fns = null; // no wasm SIMD here: tfjs's own kernel runs instead
    }
    byName.set(name, fns);
  }
  return byName.get(name) as Record<K, (...args: number[]) => void> | null;
}
