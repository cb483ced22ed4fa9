// Weft against jax-js (@jax-js/jax, the JAX-like browser library that compiles its kernels to wasm),
// both on wasm in this one Node process, side by side: a training step of the 2-block TinyTransformer
// (d=64, T=32, batch 8, 4 heads, exact GELU, vocabulary 64) and of the 64-256-256-10 ReLU MLP
// (batch 256), same weights, same data, Adam (lr 1e-3, β 0.9/0.999, ε 1e-7). Weft runs its trainer
// (as the pages train); jax-js runs one jit-compiled step (value-and-grad plus the Adam update, its
// fastest form). Before timing, both take the same first steps and their losses must agree, so the
// two sides compute the same thing. In Node jax-js has no Worker global, so it runs on one thread,
// as tfjs-wasm does here. The figure is jax-js step time / Weft step time (> 1: Weft faster).
import * as tf from '@tensorflow/tfjs-core';
import { Array as JaxArray, defaultDevice, init as initJax, jit, nn, numpy as np, valueAndGrad } from '@jax-js/jax';
import { Module, Rng, TinyTransformer, initBackend, makeOptimizer, softmaxCrossEntropy, train } from '@weft/core';
import type { BenchCase } from '../case.js';
import { Mlp } from './core.js';

const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 };

/** One jax-js model: its parameters (copied from Weft's), and its loss on (x, y). */
interface JaxModel {
  params: JaxArray[];
  loss: (p: JaxArray[], x: JaxArray, y: JaxArray) => JaxArray;
}

/** Adam on a list of parameters, as one jit-compiled step returning [params, m, v, loss]. */
function jaxAdamStep(loss: JaxModel['loss']) {
  return jit((p: JaxArray[], m: JaxArray[], v: JaxArray[], lrT: JaxArray, x: JaxArray, y: JaxArray) => {
    const [value, g] = valueAndGrad(loss)(p.map((t) => t.ref), x, y);
    const m2 = m.map((mi, i) => mi.mul(ADAM.beta1).add(g[i]!.ref.mul(1 - ADAM.beta1)));
    const v2 = v.map((vi, i) => vi.mul(ADAM.beta2).add(np.square(g[i]!).mul(1 - ADAM.beta2)));
    const p2 = p.map((pi, i) => pi.sub(m2[i]!.ref.mul(lrT.ref).div(np.sqrt(v2[i]!.ref).add(ADAM.eps))));
    lrT.dispose();
    return [p2, m2, v2, value] as [JaxArray[], JaxArray[], JaxArray[], JaxArray];
  });
}

/** Runs a jax-js model with Adam; `steps(n)` takes n steps and returns the last loss. */
function jaxTrainer(model: JaxModel, x: JaxArray, y: JaxArray) {
  const step = jaxAdamStep(model.loss);
  let p = model.params;
  let m = p.map((t) => np.zerosLike(t.ref));
  let v = p.map((t) => np.zerosLike(t.ref));
  let t = 0;
  return {
    async steps(n: number): Promise<number> {
      let loss: JaxArray | null = null;
      for (let i = 0; i < n; i++) {
        t++;
        const lrT = (ADAM.lr * Math.sqrt(1 - ADAM.beta2 ** t)) / (1 - ADAM.beta1 ** t); // tfjs's Adam step size
        loss?.dispose();
        [p, m, v, loss] = step(p, m, v, np.array(lrT), x.ref, y.ref);
      }
      return (await loss!.data())[0]!;
    },
    dispose() {
      for (const a of [...p, ...m, ...v, x, y]) a.dispose();
      step.dispose();
    },
  };
}

/** A Weft parameter's values as a jax-js array of the same shape. */
async function toJax(t: tf.Tensor): Promise<JaxArray> {
  return np.array((await t.data()) as Float32Array).reshape(t.shape);
}

async function useBoth(): Promise<void> {
  const r = await initBackend({ prefer: ['wasm'], fallback: false });
  if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
  const devices = await initJax('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js: its wasm device did not start (devices: ${devices.join(', ')})`);
  defaultDevice('wasm');
}

/** The TinyTransformer's forward in jax-js, parameters in `names` order. */
const TRANSFORMER_NAMES = (depth: number) => [
  'tokens.weight',
  'positions.weight',
  ...Array.from({ length: depth }, (_, i) =>
    ['norm1.weight', 'norm1.bias', 'attn.q.weight', 'attn.q.bias', 'attn.k.weight', 'attn.k.bias', 'attn.v.weight', 'attn.v.bias', 'attn.o.weight', 'attn.o.bias', 'norm2.weight', 'norm2.bias', 'ffn.fc1.weight', 'ffn.fc1.bias', 'ffn.fc2.weight', 'ffn.fc2.bias'].map((n) => `blocks.${i}.${n}`),
  ).flat(),
  'norm.weight',
  'norm.bias',
  'head.weight',
];

function transformerLoss(depth: number, B: number, T: number, D: number, H: number) {
  const linear = (x: JaxArray, w: JaxArray, b: JaxArray | null) => (b ? np.matmul(x, w).add(b) : np.matmul(x, w));
  const layerNorm = (x: JaxArray, w: JaxArray, b: JaxArray) => nn.standardize(x, -1, { epsilon: 1e-5 }).mul(w).add(b);
  const above = Float32Array.from({ length: T * T }, (_, j) => (j % T > Math.floor(j / T) ? -1e9 : 0)); // key after query: masked
  return (p: JaxArray[], ids: JaxArray, onehot: JaxArray): JaxArray => {
    let i = 0;
    const next = () => p[i++]!;
    const causal = np.array(above).reshape([T, T]);
    let h = np.take(next(), ids, 0).add(next()); // (B, T, D): token rows + positions (maxLen = T)
    for (let l = 0; l < depth; l++) {
      const x = layerNorm(h.ref, next(), next());
      const heads = (t: JaxArray) => t.reshape([B, T, H, D / H]).transpose([0, 2, 1, 3]); // (B, T, D) -> (B, T, H, D/H) -> (B, H, T, D/H)
      const q = heads(linear(x.ref, next(), next()));
      const k = heads(linear(x.ref, next(), next()));
      const v = heads(linear(x, next(), next()));
      // nn.dotProductAttention would do these four lines, but its einsum parser needs Node ≥ 22's iterator helpers (Node 20 here)
      const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(D / H)).add(causal.ref); // (B, H, T, T)
      const y = np.matmul(nn.softmax(scores, -1), v); // (B, H, T, D/H)
      const att = y.transpose([0, 2, 1, 3]).reshape([B, T, D]); // (B, H, T, D/H) -> (B, T, H, D/H) -> (B, T, D)
      h = h.add(linear(att, next(), next()));
      const x2 = layerNorm(h.ref, next(), next());
      h = h.add(linear(nn.gelu(linear(x2, next(), next()), { approximate: false }), next(), next()));
    }
    causal.dispose();
    const logits = linear(layerNorm(h, next(), next()), next(), null); // (B, T, V)
    return nn.logSoftmax(logits, -1).mul(onehot).sum().mul(-1 / (B * T));
  };
}

function mlpLoss(layers: number, batch: number) {
  return (p: JaxArray[], x: JaxArray, onehot: JaxArray): JaxArray => {
    let h = x;
    for (let l = 0; l < layers; l++) {
      h = np.matmul(h, p[2 * l]!).add(p[2 * l + 1]!);
      if (l < layers - 1) h = nn.relu(h);
    }
    return nn.logSoftmax(h, -1).mul(onehot).sum().mul(-1 / batch);
  };
}

interface Pair {
  /** Weft: n trainer steps; returns the last loss. */
  weft(n: number): Promise<number>;
  jax: ReturnType<typeof jaxTrainer>;
  dispose(): void;
}

/** Same first losses, then rounds of n steps each side, interleaved; the median per-step ms. */
async function compare(pair: Pair, n: number, rounds: number): Promise<{ value: number; detail: Record<string, unknown> }> {
  // The losses of the first three steps, one step at a time (also compiles and warms both): the
  // first from the same weights (float32 rounding only: relative 1e-5), the next after one and two
  // Adam updates (relative 1e-3: Adam's first steps move each weight by about ±lr whatever the
  // gradient's size, so rounding-level gradient differences show at lr's scale).
  const losses: { weft: number; jax: number }[] = [];
  for (let s = 0; s < 3; s++) {
    const l = { weft: await pair.weft(1), jax: await pair.jax.steps(1) };
    const tol = s === 0 ? 1e-5 : 1e-3;
    if (!(Math.abs(l.weft - l.jax) <= tol * Math.max(1, Math.abs(l.weft)))) throw new Error(`jax-js and Weft disagree at step ${s + 1} from the same weights: loss ${l.jax} vs ${l.weft} (tolerance ${tol} relative)`);
    losses.push(l);
  }
  await pair.weft(n); // one untimed round each: the first timed round ran slow on both sides
  await pair.jax.steps(n);
  // Wall time per step, and this process's CPU time per step (user + system: what the figure is on a
  // machine where other processes compete for the cores; both sides run on this one thread).
  const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e3; };
  const [weft, jax, weftCpu, jaxCpu] = [[], [], [], []] as number[][];
  const time = async (fn: () => Promise<unknown>, wall: number[], cpu: number[]) => {
    const [t0, c0] = [performance.now(), cpuMs()];
    await fn();
    wall.push((performance.now() - t0) / n);
    cpu.push((cpuMs() - c0) / n);
  };
  for (let r = 0; r < rounds; r++) {
    await time(() => pair.weft(n), weft, weftCpu);
    await time(() => pair.jax.steps(n), jax, jaxCpu);
  }
  pair.dispose();
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  const ratios = weft.map((w, i) => jax[i]! / w);
  const cpuRatios = weftCpu.map((w, i) => jaxCpu[i]! / w);
  return {
    value: med(ratios),
    detail: { weftStepMs: med(weft), jaxStepMs: med(jax), ratios: ratios.map((x) => +x.toFixed(3)), weftStepCpuMs: med(weftCpu), jaxStepCpuMs: med(jaxCpu), cpuTimeRatio: med(cpuRatios), firstLosses: losses, stepsPerRound: n, rounds },
  };
}

/** Weft's side of a pair: the trainer with makeOptimizer's Adam (as the pages). */
function weftTrainer(model: Module<tf.Tensor, tf.Tensor>, x: tf.Tensor, y: tf.Tensor, loss: (out: tf.Tensor, b: { x: tf.Tensor; y: tf.Tensor }) => tf.Scalar) {
  const optimizer = makeOptimizer({ name: 'adam', learningRate: ADAM.lr });
  return {
    async steps(n: number): Promise<number> {
      return (await train({ model, optimizer, steps: n, batch: () => ({ x, y }), loss, reportEvery: n })).finalLoss;
    },
    dispose() {
      optimizer.dispose();
    },
  };
}

export const cases: BenchCase[] = [
  {
    name: 'core.vs_jaxjs_transformer_step',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.5,
    better: 'higher',
    async run() {
      await useBoth();
      const [B, T, D, H, V, depth] = [8, 32, 64, 4, 64, 2];
      const model = new TinyTransformer({ vocabSize: V, maxLen: T, dim: D, depth, numHeads: H }, new Rng(1));
      const x = tf.randomUniform([B, T], 0, V, 'int32', 2);
      const y = tf.randomUniform([B, T], 0, V, 'int32', 3);
      const named = new Map(model.namedParameters());
      const names = TRANSFORMER_NAMES(depth);
      if (names.length !== named.size) throw new Error(`jax-js TinyTransformer has ${names.length} parameters, Weft's ${named.size}`);
      const params = await Promise.all(names.map((n) => toJax(named.get(n) ?? (() => { throw new Error(`no Weft parameter ${n}`); })())));
      const ids = np.array((await x.data()) as Int32Array, { dtype: np.int32 }).reshape([B, T]);
      const onehot = nn.oneHot(np.array((await y.data()) as Int32Array, { dtype: np.int32 }).reshape([B, T]), V); // (B, T, V)
      const w = weftTrainer(model as unknown as Module<tf.Tensor, tf.Tensor>, x, y, (out, b) => softmaxCrossEntropy(out, b.y));
      const jax = jaxTrainer({ params, loss: transformerLoss(depth, B, T, D, H) }, ids, onehot);
      const r = await compare({ weft: w.steps, jax, dispose: () => { w.dispose(); jax.dispose(); model.dispose(); tf.dispose([x, y]); } }, 4, 15);
      return { value: r.value, detail: { model: `TinyTransformer d=${D}, T=${T}, batch ${B}, ${depth} blocks, ${H} heads, vocab ${V}`, ...r.detail } };
    },
  },
  {
    name: 'core.vs_jaxjs_mlp_step',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.5,
    better: 'higher',
    async run() {
      await useBoth();
      const widths = [64, 256, 256, 10];
      const batch = 256;
      const rng = new Rng(1);
      const model = new Mlp(widths, rng);
      const x = tf.tensor2d(rng.normalArray(batch * 64), [batch, 64]);
      const labels = Int32Array.from({ length: batch }, () => rng.int(10));
      const y = tf.tensor1d(labels, 'int32');
      const params = await Promise.all(model.layers.flatMap((l) => [l.weight, l.bias!]).map(toJax));
      const jx = await toJax(x);
      const jy = nn.oneHot(np.array(labels, { dtype: np.int32 }), 10); // (batch, 10)
      const w = weftTrainer(model, x, y, (out, b) => softmaxCrossEntropy(out, b.y)); // Weft's loss over integer labels, as the pages
      const jax = jaxTrainer({ params, loss: mlpLoss(widths.length - 1, batch) }, jx, jy);
      const r = await compare({ weft: w.steps, jax, dispose: () => { w.dispose(); jax.dispose(); model.dispose(); tf.dispose([x, y]); } }, 10, 15);
      return { value: r.value, detail: { model: `MLP ${widths.join('-')}, batch ${batch}`, ...r.detail } };
    },
  },
];
