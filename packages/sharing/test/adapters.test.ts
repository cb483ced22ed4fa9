// The shared adapter matrix (PEFT's test style), over every registered method and its variants
// (adapter-cases.ts), on Linear layers and on Conv2d layers (every method but those that refuse a
// Conv2d, each with its reason): merge == unmerged, unmerge round trip, disable == base exactly, PEFT
// save/load round trip (or the saver's "no PEFT form"), only adapter parameters train (optimizer state
// only for them), gradients checked by finite differences, no tensor growth; plus several named
// adapters, delete, shared Linears, and bad input leaving the model unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv2d, Linear, MLPClassifier, Module, ModuleList, Rng, makeOptimizer, parameterLedger, stateDict, train, type ForwardContext } from '@weft/core';
import { gradCheck, leakCheck } from '@weft/core/testing';
import {
  AdaptedLayer, HyperLayer, MokaLayer, MosLayer, adapterMethod, adapterNames, kron, loadPeftAdapter, savePeftAdapter, setHyperTask, deleteAdapter,
  disableAdapters, enableAdapters, injectAdapter, mergeAdapters, mergeAndUnload, setActiveAdapters, unmergeAdapters, type AdapterConfigBase,
} from '../src/index.js';
import { CONV_UNSUPPORTED, adapterCases, convAdapterCases, perturbAdapters, type AdapterCase, type CaseConfig } from './adapter-cases.js';
import { Tiny, TinyConv, maxDiff } from './adapters-helpers.js';

/** Exemptions from the matrix, by method, each with its reason. */
const EXEMPT = {
  /** Methods (or cases, by label) whose adapter cannot be folded into W: merge must refuse. */
  merge: { moka: 'the gate depends on the input: there is no single ΔW', 'hyper (bottleneck)': 'a ReLU bottleneck on the output' } as Record<string, string>,
  /** Parameters whose finite differences cannot match the analytic gradient, by method (path suffixes). */
  gradient: {
    taps: ['score'], // the gate is a step: its finite difference is 0, its straight-through gradient is not
  } as Record<string, string[]>,
  /** Targets other than both layers of the model. */
  targets: { hyper: ['fc1', 'conv1'] } as Record<string, string[]>, // one hypernetwork generates one shape; the two layers differ
  /** Finite-difference steps other than 1e-2: a ReLU inside the adapter has a kink that a larger step can cross. */
  gradEps: { hyper: 1e-3 } as Record<string, number>, // the hypernetwork's ReLU: on the Conv2d model a 1e-2 step crosses it (a pre-activation of 0.002)
  /** PEFT round trips a codec refuses on Conv2d, by case label: the saver must say so, naming the conv layer. */
  peftConv: {} as Record<string, RegExp>,
  /** Methods random in training by design, compared with the merged model in eval mode. */
  evalMode: { poly: 'the router is a relaxed-Bernoulli sample in training' } as Record<string, string>,
};

/** Tiny with tanh in place of ReLU: smooth, so finite differences hold wherever the adapters put the activations. */
class SmoothTiny extends Tiny {
  override forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.fc2.forward(tf.tanh(this.fc1.forward(x, ctx)), ctx);
  }
}

/** TinyConv with tanh in place of ReLU (finite differences). */
class SmoothTinyConv extends TinyConv {
  override forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.conv2.forward(tf.tanh(this.conv1.forward(x, ctx)), ctx);
  }
}

/** A model family the matrix runs on: its two adapted layers, inputs and targets. */
interface Fixture {
  label: string;
  cases: AdapterCase[];
  layers: [string, string];
  base: typeof Linear | typeof Conv2d;
  make(rng: Rng): Module & Record<string, unknown>;
  /** A smaller smooth model for finite differences, and its input. */
  smooth(rng: Rng): Module;
  smoothInput(rng: Rng): tf.Tensor;
  input(rng: Rng, n?: number): tf.Tensor;
  /** A regression target for a batch of n. */
  target(rng: Rng, n: number): tf.Tensor;
  /** Examples in the training check's batch. */
  trainBatch: number;
}

const FIXTURES: Fixture[] = [
  {
    label: 'Linear', cases: adapterCases(), layers: ['fc1', 'fc2'], base: Linear,
    make: (rng) => new Tiny(rng) as unknown as Module & Record<string, unknown>,
    smooth: (rng) => new SmoothTiny(rng, [3, 4, 2]),
    smoothInput: (rng) => tf.tensor2d(rng.normalArray(6), [2, 3]),
    input: (rng, n = 6) => tf.tensor2d(rng.normalArray(n * 8), [n, 8]),
    target: (rng, n) => tf.tensor2d(rng.normalArray(n * 4), [n, 4]),
    trainBatch: 32,
  },
  {
    label: 'Conv2d', cases: convAdapterCases(), layers: ['conv1', 'conv2'], base: Conv2d,
    make: (rng) => new TinyConv(rng) as unknown as Module & Record<string, unknown>,
    smooth: (rng) => new SmoothTinyConv(rng, [2, 2, 2]),
    smoothInput: (rng) => tf.tensor4d(rng.normalArray(2 * 3 * 3 * 2), [2, 3, 3, 2]),
    input: (rng, n = 3) => tf.tensor4d(rng.normalArray(n * 5 * 5 * 2), [n, 5, 5, 2]),
    target: (rng, n) => tf.tensor4d(rng.normalArray(n * 3 * 3 * 4), [n, 3, 3, 4]),
    trainBatch: 8, // 8 images of 5×5: 72 output pixels per step
  },
];

/** Inject adapter "a" (perturbed away from its no-op start) and return the adapted paths. */
function inject(model: Module, fx: Fixture, method: string, cfg: CaseConfig): string[] {
  const targets = EXEMPT.targets[method]?.filter((t) => fx.layers.includes(t)) ?? fx.layers;
  const paths = injectAdapter(model, 'a', { ...cfg, targets } as AdapterConfigBase, { rng: new Rng(3) });
  perturbAdapters(model, 9);
  return paths;
}

const input = FIXTURES[0]!.input;

describe('adapter matrix', () => {
  it(`methods without Conv2d support refuse a Conv2d layer: ${Object.keys(CONV_UNSUPPORTED).join(', ')}`, () => {
    for (const { method, config } of adapterCases().filter((c) => c.method in CONV_UNSUPPORTED)) {
      const model = new TinyConv(new Rng(1));
      const keys = Object.keys(stateDict(model));
      expect(() => injectAdapter(model, 'a', { ...config, targets: ['conv1'] } as AdapterConfigBase), method).toThrow();
      expect(Object.keys(stateDict(model))).toEqual(keys);
      model.dispose();
    }
  });

  for (const fx of FIXTURES) for (const { label, method, config: cfg } of fx.cases) {
    describe(`${label} on ${fx.label}`, () => {
      const [first] = fx.layers;
      it('changes the output; disable == base exactly; merge == unmerged (1e-5), unmerge round trip (1e-5), merge-and-unload', async () => {
        const model = fx.make(new Rng(1));
        if (EXEMPT.evalMode[method]) model.eval();
        const x = fx.input(new Rng(2));
        const yBase = model.call(x);
        const w = (model[first] as Linear | Conv2d).weight;
        const [w0, shape] = [await w.data(), w.shape];
        inject(model, fx, method, cfg);
        expect(adapterNames(model)).toEqual(['a']);
        expect(model[first]).toBeInstanceOf(AdaptedLayer);
        const yAdapted = model.call(x);
        expect(await maxDiff(yAdapted, yBase)).toBeGreaterThan(1e-3);
        disableAdapters(model);
        expect(await maxDiff(model.call(x), yBase)).toBe(0);
        enableAdapters(model);
        expect(await maxDiff(model.call(x), yAdapted)).toBe(0);
        if (EXEMPT.merge[label] ?? EXEMPT.merge[method]) {
          expect(() => mergeAdapters(model)).toThrow(/cannot be merged/);
          model.dispose();
          return;
        }
        mergeAdapters(model);
        expect(await maxDiff(model.call(x), yAdapted)).toBeLessThan(1e-5);
        unmergeAdapters(model);
        expect(await maxDiff((model[first] as AdaptedLayer).base.weight, tf.tensor(w0, shape))).toBeLessThan(1e-5);
        expect(await maxDiff(model.call(x), yAdapted)).toBeLessThan(1e-5);
        mergeAndUnload(model);
        expect(model[first]).toBeInstanceOf(fx.base);
        expect(await maxDiff(model.call(x), yAdapted)).toBeLessThan(1e-5);
        model.dispose();
      });

      const peft = adapterMethod(method).peft;
      it(peft ? `PEFT (${peft.type}) save → load on a fresh copy of the base gives the same outputs` : 'has no PEFT form, and the saver says so', async () => {
        const model = fx.make(new Rng(1));
        const paths = inject(model, fx, method, cfg);
        if (!peft) {
          await expect(savePeftAdapter(model, { name: 'a' })).rejects.toThrow(new RegExp(`method '${method}' has no PEFT form`));
          model.dispose();
          return;
        }
        const refused = fx.base === Conv2d ? EXEMPT.peftConv[label] : undefined;
        if (refused) {
          await expect(savePeftAdapter(model, { name: 'a' })).rejects.toThrow(refused);
          model.dispose();
          return;
        }
        const x = fx.input(new Rng(2));
        const y = model.call(x);
        const saved = await savePeftAdapter(model, { name: 'a' });
        expect(JSON.parse(saved.config).peft_type).toBe(peft.type);
        const again = fx.make(new Rng(1));
        expect(await loadPeftAdapter(again, saved)).toEqual(paths);
        expect(await maxDiff(again.call(x), y)).toBeLessThan(1e-5);
        again.dispose();
        model.dispose();
      });

      it('only adapter parameters train (optimizer state only for them), and the loss falls', async () => {
        const model = fx.make(new Rng(1));
        const rng = new Rng(5);
        const x = fx.input(rng, fx.trainBatch);
        const y = fx.target(rng, fx.trainBatch);
        inject(model, fx, method, cfg);
        const trainable = model.trainableParameters();
        const adapterVars = new Set(model.namedParameters().filter(([p]) => p.includes('.a.')).map(([, v]) => v));
        expect(trainable.length).toBe(adapterVars.size);
        expect(trainable.every((v) => adapterVars.has(v))).toBe(true);
        const before = Object.fromEntries(await Promise.all(Object.entries(stateDict(model)).filter(([k]) => k.includes('.base.')).map(async ([k, v]) => [k, Array.from(await v.data())])));
        const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.02 });
        const losses: number[] = [];
        await train({
          model, optimizer, steps: 30, reportEvery: 1, batch: () => ({ x, y }),
          loss: (out, b) => tf.losses.meanSquaredError(b.y, out) as tf.Scalar,
          onProgress: (p) => { losses.push(p.loss); },
        });
        expect(losses.at(-1)!).toBeLessThan(losses[0]!);
        for (const [k, v] of Object.entries(stateDict(model))) if (k.includes('.base.')) expect(Array.from(await v.data()), k).toEqual(before[k]);
        // Adam keeps two moments per trained variable: only the adapters' (besides its step count and β powers).
        const weights = await optimizer.getWeights();
        expect(weights.filter((w) => /\/(m|v)$/.test(w.name)).length).toBe(2 * adapterVars.size);
        model.dispose();
      });

      it('gradients match finite differences', async () => {
        const model = fx.smooth(new Rng(1));
        inject(model, fx, method, cfg);
        const x = fx.smoothInput(new Rng(4));
        // DoRA treats ‖W + sBA‖ as a constant in the backward pass (DoRA §4.3, as PEFT), so the true
        // function's finite differences only match the magnitude's gradient.
        const skip = [...(EXEMPT.gradient[method] ?? []), ...(cfg['dora'] ? ['lora_A', 'lora_B'] : [])];
        const named = model.namedParameters().filter(([p, v]) => v.trainable && !skip.some((s) => p.endsWith(s)));
        const r = await gradCheck(() => tf.sum(tf.square(model.call(x))) as tf.Scalar, named, { eps: EXEMPT.gradEps[method] ?? 1e-2, rtol: 3e-2, atol: 2e-3, maxEntries: 200 });
        expect(r.missing).toEqual([]);
        expect(r.ok, JSON.stringify(r.worst)).toBe(true);
        model.dispose();
      });

      it('no tensor growth over training steps', async () => {
        const model = fx.make(new Rng(1));
        inject(model, fx, method, cfg);
        const x = fx.input(new Rng(2));
        const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        const vars = model.trainableParameters();
        const r = await leakCheck(() => {
          opt.minimize(() => tf.mean(tf.square(model.call(x))) as tf.Scalar, true, vars)?.dispose();
        });
        expect(r.leaked).toBe(0);
        model.dispose();
      });
    });
  }
});

class SharedStack extends Module {
  readonly layers: ModuleList<Linear>;
  constructor(rng: Rng) {
    super();
    const shared = new Linear({ inFeatures: 6, outFeatures: 6 }, rng);
    this.layers = this.addModule('layers', new ModuleList([shared, shared, new Linear({ inFeatures: 6, outFeatures: 2 }, rng)]));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.items.reduce((h, l, i) => (i < 2 ? tf.tanh(l.forward(h, ctx)) : l.forward(h, ctx)), x);
  }
}

describe('adapters on a model', () => {
  it('several named adapters: add, set active (one, both, in order), delete', async () => {
    const model = new MLPClassifier({ inFeatures: 8, hidden: [16], numClasses: 4 }, new Rng(1));
    const x = input(new Rng(2));
    const y0 = model.call(x);
    injectAdapter(model, 'a', { method: 'lora', targets: 'layers\\.[0-9]+', r: 2, initWeights: false }, { rng: new Rng(3) });
    const ya = model.call(x);
    injectAdapter(model, 'b', { method: 'loha', targets: ['0'], r: 2, initWeights: false }, { rng: new Rng(4) });
    expect(adapterNames(model)).toEqual(['a', 'b']);
    const yb = model.call(x); // b alone is active after its injection
    expect(await maxDiff(yb, ya)).toBeGreaterThan(1e-3);
    setActiveAdapters(model, 'a');
    expect(await maxDiff(model.call(x), ya)).toBe(0);
    setActiveAdapters(model, ['a', 'b']);
    const yab = model.call(x);
    expect(model.trainableParameters().length).toBe(4 + 4);
    // Both active: on layer 0 the two deltas add.
    mergeAdapters(model);
    expect(await maxDiff(model.call(x), yab)).toBeLessThan(1e-5);
    deleteAdapter(model, 'a');
    expect(adapterNames(model)).toEqual(['b']);
    expect(await maxDiff(model.call(x), yb)).toBeLessThan(1e-5);
    deleteAdapter(model, 'b');
    expect(await maxDiff(model.call(x), y0)).toBeLessThan(1e-6);
    expect(() => deleteAdapter(model, 'b')).toThrow(/no adapter "b"/);
    model.dispose();
  });

  it('a Linear shared by two paths gets one shared adapter (the ledger counts it once, used twice)', () => {
    const model = new SharedStack(new Rng(1));
    const paths = injectAdapter(model, 'a', { method: 'lora', targets: ['0', '1'], r: 2 });
    expect(paths).toEqual(['layers.0']);
    expect(model.layers.at(0)).toBe(model.layers.at(1));
    const t = parameterLedger(model).totals;
    expect(t.trainable).toBe(2 * 6 + 2 * 6);
    expect(t.effective - t.stored).toBe(6 * 6 + 6 + 24);
    model.dispose();
  });

  it('trains ≤ 10% of the parameters for LoRA r=4 on a wide MLP', () => {
    const model = new MLPClassifier({ inFeatures: 64, hidden: [128, 128], numClasses: 10 }, new Rng(1));
    injectAdapter(model, 'a', { method: 'lora', targets: 'layers\\.[0-9]+', r: 4 });
    const t = parameterLedger(model).totals;
    expect(t.trainable / t.stored).toBeLessThan(0.1);
    model.dispose();
  });

  const bad: Array<[string, AdapterConfigBase & Record<string, unknown>, RegExp]> = [
    ['r = 0', { method: 'lora', targets: ['fc1'], r: 0 }, /r=0 must be a positive integer/],
    ['r above the layer size', { method: 'lora', targets: ['fc2'], r: 5 }, /r=5 at "fc2" must be an integer in 1\.\.4/],
    ['an unknown method', { method: 'vera', targets: ['fc1'] }, /method="vera" is not registered; allowed: lora, loha, lokr, ia3/],
    ['targets matching nothing', { method: 'lora', targets: ['q_proj'] }, /matched no Linear layer; the model's Linear layers are: fc1, fc2/],
    ['an invalid regex', { method: 'lora', targets: '(' }, /not a valid regular expression/],
    ['dropout = 1', { method: 'lora', targets: ['fc1'], dropout: 1 }, /LoRA config: dropout=1 must be a number in \[0, 1\)/],
  ];
  for (const [what, cfg, message] of bad) {
    it(`refuses ${what} and leaves the model unchanged`, () => {
      const model = new Tiny(new Rng(1));
      const keys = Object.keys(stateDict(model));
      const n = tf.memory().numTensors;
      expect(() => injectAdapter(model, 'a', cfg)).toThrow(message);
      expect(Object.keys(stateDict(model))).toEqual(keys);
      expect(model.fc1).toBeInstanceOf(Linear);
      expect(tf.memory().numTensors).toBe(n);
      model.dispose();
    });
  }

  it('a residual bottleneck with a non-linearity trains but refuses to merge; ETHER blocks must divide the width', () => {
    const model = new Tiny(new Rng(1));
    injectAdapter(model, 'a', { method: 'residual', targets: ['fc1'], bottleneck: 4 } as AdapterConfigBase);
    expect(() => mergeAdapters(model)).toThrow(/non-linearity cannot be merged/);
    expect(() => injectAdapter(model, 'b', { method: 'ether', targets: ['fc2'], blocks: 3 } as AdapterConfigBase)).toThrow(/blocks=3 at "fc2" must divide out=4/);
    model.dispose();
  });

  it('ETHER is a reflection: it keeps the norm of every output column of W', async () => {
    const model = new Tiny(new Rng(1));
    injectAdapter(model, 'a', { method: 'ether', targets: ['fc1'], blocks: 4 } as AdapterConfigBase, { rng: new Rng(2) });
    const w0 = tf.tidy(() => tf.norm((model.fc1 as unknown as AdaptedLayer).base.weight, 'euclidean', 1));
    mergeAdapters(model);
    const w1 = tf.tidy(() => tf.norm((model.fc1 as unknown as AdaptedLayer).base.weight, 'euclidean', 1)); // rows of [in, out]: ‖x H‖ = ‖x‖
    expect(await maxDiff(w1, w0)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('MoS: one pair of shard pools shared by every layer (stored once, used per layer), deleting the adapter frees them', () => {
    const model = new Tiny(new Rng(1));
    const before = tf.memory().numTensors;
    injectAdapter(model, 'a', { method: 'mos', targets: ['fc1', 'fc2'], r: 2, shardSize: 4, poolSize: 16, privateShards: 1 } as AdapterConfigBase);
    const l1 = (model.fc1 as unknown as AdaptedLayer).adapter('a') as MosLayer;
    const l2 = (model.fc2 as unknown as AdaptedLayer).adapter('a') as MosLayer;
    expect(l1.pools.a).toBe(l2.pools.a);
    const t = parameterLedger(model).totals;
    expect(t.trainable).toBe(2 * 16 * 4 + 2 * (2 * 4)); // two pools + per layer two private shards
    expect(t.effective - t.stored).toBe(2 * 16 * 4); // the pools counted again for the second layer
    deleteAdapter(model, 'a');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('MoKA: base + α Σₖ softmax(xG)ₖ · x kron(Aₖ, Bₖ) (dense reference), gradients by finite differences, refuses to merge, no tensor growth', async () => {
    const model = new Tiny(new Rng(1));
    injectAdapter(model, 'a', { method: 'moka', targets: ['fc1'], experts: 3, alpha: 0.7 } as AdapterConfigBase, { rng: new Rng(2) });
    const layer = model.fc1 as unknown as AdaptedLayer;
    const m = layer.adapter('a') as MokaLayer;
    m.b.assign(tf.tensor(new Rng(5).normalArray(m.b.size), m.b.shape));
    const x = tf.tensor2d(new Rng(3).normalArray(5 * 8), [5, 8]);
    const want = tf.tidy(() => {
      const g = tf.softmax(tf.matMul(x, m.gate));
      let y: tf.Tensor = tf.add(tf.matMul(x, layer.base.weight), layer.base.bias!);
      for (let k = 0; k < 3; k++) {
        const ak = tf.squeeze(tf.slice(m.a, [k, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D;
        const bk = tf.squeeze(tf.slice(m.b, [k, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D;
        y = tf.add(y, tf.mul(tf.mul(tf.matMul(x, kron(ak, bk)), tf.slice(g, [0, k], [-1, 1])), 0.7));
      }
      return y;
    });
    expect(await maxDiff(layer.forward(x), want)).toBeLessThan(1e-5);
    expect(() => mergeAdapters(model)).toThrow(/cannot be merged/);
    const small = new Tiny(new Rng(1), [4, 4, 2]);
    injectAdapter(small, 'a', { method: 'moka', targets: ['fc1'], experts: 2 } as AdapterConfigBase, { rng: new Rng(2) });
    const sm = (small.fc1 as unknown as AdaptedLayer).adapter('a') as MokaLayer;
    sm.b.assign(tf.tensor(new Rng(6).normalArray(sm.b.size), sm.b.shape));
    const xs = tf.tensor2d(new Rng(4).normalArray(8), [2, 4]);
    const r = await gradCheck(() => tf.sum(tf.square(small.call(xs))) as tf.Scalar, small.namedParameters().filter(([, v]) => v.trainable), { eps: 1e-2, rtol: 3e-2, atol: 2e-3 });
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    const leak = await leakCheck(() => { opt.minimize(() => tf.mean(tf.square(small.call(xs))) as tf.Scalar, true, small.trainableParameters())?.dispose(); });
    expect(leak.leaked).toBe(0);
    model.dispose();
    small.dispose();
  });

  it('hypernetwork adapters: one shared generator, per-layer embeddings, per-task factors (manual reference), merge == unmerged, finite-difference gradients', async () => {
    const model = new Tiny(new Rng(1), [6, 6, 6]);
    injectAdapter(model, 'h', { method: 'hyper', targets: ['fc1', 'fc2'], tasks: 3, taskDim: 4, layerDim: 3, hidden: 5, r: 2 } as AdapterConfigBase, { rng: new Rng(2) });
    const l1 = (model.fc1 as unknown as AdaptedLayer).adapter('h') as HyperLayer;
    const l2 = (model.fc2 as unknown as AdaptedLayer).adapter('h') as HyperLayer;
    expect(l1.net).toBe(l2.net);
    l1.net.headB.assign(tf.tensor(new Rng(7).normalArray(l1.net.headB.size), l1.net.headB.shape));
    const shared = 3 * 4 + 7 * 5 + 5 + 5 * 12 + 12 + 5 * 12;
    const t = parameterLedger(model).totals;
    expect(t.trainable).toBe(shared + 2 * 3);
    expect(t.effective - t.stored).toBe(shared);
    const x = tf.tensor2d(new Rng(3).normalArray(4 * 6), [4, 6]);
    const layer = model.fc1 as unknown as AdaptedLayer;
    for (const task of [0, 2]) {
      setHyperTask(model, 'h', task);
      const want = tf.tidy(() => {
        const n = l1.net;
        const z = tf.relu(tf.add(tf.matMul(tf.concat([tf.slice(n.taskEmb, [task, 0], [1, -1]), l1.layerEmb], 1), n.proj), n.projBias));
        const a = tf.reshape(tf.add(tf.matMul(z, n.headA), n.biasA), [6, 2]);
        const b = tf.reshape(tf.div(tf.matMul(z, n.headB), Math.sqrt(5)), [2, 6]);
        return tf.add(tf.add(tf.matMul(x, layer.base.weight), layer.base.bias!), tf.matMul(tf.matMul(x, a), b));
      });
      expect(await maxDiff(layer.forward(x), want)).toBeLessThan(1e-5);
    }
    const y2 = model.call(x);
    setHyperTask(model, 'h', 1);
    expect(await maxDiff(model.call(x), y2)).toBeGreaterThan(1e-4);
    const y1 = model.call(x);
    mergeAdapters(model);
    expect(await maxDiff(model.call(x), y1)).toBeLessThan(1e-5);
    unmergeAdapters(model);
    expect(() => setHyperTask(model, 'h', 3)).toThrow(/task=3 must be an integer in 0\.\.2/);
    const r = await gradCheck(() => tf.sum(tf.square(model.call(x))) as tf.Scalar, model.namedParameters().filter(([, v]) => v.trainable), { eps: 1e-2, rtol: 3e-2, atol: 2e-3, maxEntries: 200 });
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    expect(() => injectAdapter(new Tiny(new Rng(1)), 'h', { method: 'hyper', targets: ['fc1', 'fc2'] } as AdapterConfigBase)).toThrow(/all targets must have one shape/);
    model.dispose();
  });

  it('refuses a duplicate or invalid adapter name', () => {
    const model = new Tiny(new Rng(1));
    injectAdapter(model, 'a', { method: 'lora', targets: ['fc1'], r: 2 });
    expect(() => injectAdapter(model, 'a', { method: 'lora', targets: ['fc2'], r: 2 })).toThrow(/already has an adapter "a"/);
    expect(() => injectAdapter(model, 'base', { method: 'lora', targets: ['fc2'], r: 2 })).toThrow(/adapter name "base"/);
    expect(() => injectAdapter(model, 'x.y', { method: 'lora', targets: ['fc2'], r: 2 })).toThrow(/must be an identifier/);
    model.dispose();
  });
});
