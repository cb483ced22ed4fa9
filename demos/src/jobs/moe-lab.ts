// The seeded experiments behind moe.html's technique views, run in the lab worker
// (../workers/moe-lab-worker.ts): each runs a @weft/moe module or experiment and returns plain data
// the views draw; a sweep reports each finished run as progress so its view fills in.
import * as tf from '@tensorflow/tfjs-core';
import {
  accuracy, clusterTasks, copyTask, Embedding, ForwardContext, LayerNorm, Linear, makeOptimizer, MLP, Module, mse, parameterLedger, Rng, softmaxCrossEntropy, sortTask,
  planSlots, reverseTask, split, TinyTransformer, toTensors, train,
} from '@weft/core';
import {
  DistributedModules, dnaPathStats, HYDRA_ARMS, HYDRA_COPY_DEFAULTS, hydraCopyExperiment, MoE, ProductKeyMemory, UMoEBlock, WEMoE, MU_TRANSFER_DEFAULTS, PERFT, PERFT_VARIANTS, Regressor, ROUTED_SCALING_SWEEP_DEFAULTS, muTransferSweep, routedScalingSweep,
  INFERENCE_STUDY_DEFAULTS, inferenceOptimisationStudy, sharedMoETransformer, type InferenceStudy,
  type HydraArmResult, type MuTransferResult, type MuTransferRun, type PerftConfig, type PerftVariant, type RoutedScalingRun, type RoutedScalingSweepResult,
} from '@weft/moe';

type Progress<P> = (p: P) => void;

/** One loss report of a lab experiment's training phase. */
export interface PhaseLoss {
  /** What trains (e.g. 'pretrain', a PERFT variant). */
  phase: string;
  step: number;
  loss: number;
}

/** Train `model` with Adam on MSE over batches of 256 from `x`, `y`; reports every `every` steps. */
async function fitMSE(model: Module, x: tf.Tensor, y: tf.Tensor, steps: number, seed: number, phase: string, progress: Progress<PhaseLoss>, signal: AbortSignal): Promise<void> {
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const draw = new Rng(seed);
  const n = x.shape[0]!;
  const r = await train({
    model, steps, optimizer: opt, signal, seed, reportEvery: 10,
    batch: () => {
      const idx = tf.tensor1d(Int32Array.from({ length: 256 }, () => draw.int(n)), 'int32'); // (256,)
      return { x: tf.gather(x, idx), y: tf.gather(y, idx) };
    },
    loss: (o, b) => mse(o, b.y),
    onProgress: (p) => progress({ phase, step: p.step, loss: p.loss }),
  });
  opt.dispose();
  if (r.stoppedBy === 'abort') throw new Error(`${phase}: stopped`);
}

/** Test MSE of `model` on (x, y). */
async function testMSE(model: Module, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const m = tf.tidy(() => mse(model.forward(x, new ForwardContext()) as tf.Tensor, y));
  const v = (await m.data())[0]!;
  m.dispose();
  return v;
}

/** The PERFT view's setup: the base MoE, the steps, and each variant's adapters (the same activated adapter width, 2 × rank 4). */
export const PERFT_LAB_CONFIG = {
  moe: { dim: 16, numExperts: 8, topK: 2, hidden: 8, router: 'mixtral' },
  pretrainSteps: 300,
  finetuneSteps: 300,
  variants: {
    shared: { variant: 'shared', numAdapters: 2, rank: 4 },
    routed: { variant: 'routed', numAdapters: 4, topK: 2, rank: 4 },
    embedded: { variant: 'embedded', rank: 4 },
  } satisfies Record<PerftVariant, Partial<PerftConfig>>,
} as const;

/** What the PERFT experiment measured on the new task. */
export interface PerftLabResult {
  /** Test MSE of the frozen pretrained model on the new task. */
  frozen: number;
  /** Test MSE on the new task after fine-tuning each variant, its trainable parameters and its adapters' active parameters per token. */
  variants: Array<{ variant: PerftVariant; mse: number; trainable: number; activeAdapters: number; stored: number }>;
  /** Parameters of the frozen model. */
  baseParams: number;
}

/**
 * PERFT: pretrain a clusterTasks MoE regressor on one task, freeze it, then fine-tune each PERFT
 * variant beside its MoE on a new task (in/out Linears stay frozen): test MSE of each on the new task.
 */
async function perftExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<PerftLabResult> {
  const c = PERFT_LAB_CONFIG;
  const task = (s: number) => {
    const ds = clusterTasks({ n: 4096, clusters: 8, dim: 2, target: 'nonlinear', outputs: 1 }, s);
    const [a, b] = split(ds, [0.75, 0.25], s + 1);
    return { tr: toTensors(a!), te: toTensors(b!) };
  };
  const first = task(seed);
  const second = task(seed + 100);
  const model = new Regressor(2, 1, 16, (r) => new MoE({ ...c.moe }, r), new Rng(seed + 2));
  const made: Module[] = [model];
  try {
    await fitMSE(model, first.tr.x, first.tr.y, c.pretrainSteps, seed, 'pretrain', progress, signal);
    model.freeze();
    const frozen = await testMSE(model, second.te.x, second.te.y);
    const variants: PerftLabResult['variants'] = [];
    for (const variant of PERFT_VARIANTS) {
      const tuned = new Regressor(2, 1, 16, () => new PERFT(model.mid as MoE, { ...c.variants[variant] }, new Rng(seed + 5)), new Rng(0));
      made.push(tuned);
      for (const [to, from] of [[tuned.inp, model.inp], [tuned.out, model.out]] as const) {
        to.weight.assign(from.weight);
        to.bias!.assign(from.bias!);
        to.freeze();
      }
      await fitMSE(tuned, second.tr.x, second.tr.y, c.finetuneSteps, seed + 10, variant, progress, signal);
      const L = parameterLedger(tuned);
      const adapters = L.rows.filter((r) => r.path.startsWith('mid.adapters.') || r.path.startsWith('mid.router.'));
      variants.push({
        variant,
        mse: await testMSE(tuned, second.te.x, second.te.y),
        trainable: L.totals.trainable,
        activeAdapters: Math.round(adapters.reduce((s, r) => s + r.size * r.activeShare, 0)),
        stored: adapters.reduce((s, r) => s + r.size, 0),
      });
    }
    return { frozen, variants, baseParams: parameterLedger(model).totals.stored };
  } finally {
    for (const d of [first, second]) tf.dispose([d.tr.x, d.tr.y, d.te.x, d.te.y, ...Object.values(d.tr.extra), ...Object.values(d.te.extra)]);
    // The tuned regressors share the frozen MoE: free their own variables, then the pretrained model.
    const base = new Set(model.parameters());
    for (const m of made.slice(1)) for (const v of m.parameters()) if (!base.has(v)) v.dispose();
    model.dispose();
  }
}

/** The μP view's sweep: @weft/moe's muTransferSweep at its defaults (the configuration its test reports). */
export const MUP_LAB_CONFIG = MU_TRANSFER_DEFAULTS;

/** The scaling-law view's sweep: routedScalingSweep at its defaults. */
export const SCALING_LAB_CONFIG = ROUTED_SCALING_SWEEP_DEFAULTS;

/** The DNA view's setup: the pool, the hops (the compute budget), the task shape and the steps (as the DNA test's experiment). */
export const DNA_LAB_CONFIG = { attention: 2, ffn: 2, hops: 4, dim: 16, length: 6, vocabSize: 8, steps: 300, batch: 32, reportEvery: 20, computeWeight: 0.01, attentionCapacity: 2 } as const;

/** The DNA view's tasks. */
export const DNA_TASKS = { copy: copyTask, sort: sortTask } as const;

/** A DNA path report: the training loss so far and the paths of held-out sequences. */
export interface DnaLabReport {
  step: number;
  loss: number;
  /** Answer accuracy on the held-out sequences. */
  accuracy: number;
  /** Mean modules visited per token (of `hops`). */
  meanModules: number;
  /** Share of tokens choosing each option at each hop: [hop][attention…, ffn…, skip]. */
  hopShare: number[][];
  /** Mean modules visited per token at each position of the sequence. */
  perPosition: number[];
  /** The most frequent paths (module indices joined by '-'; '' none) and their share of tokens. */
  topPaths: Array<[string, number]>;
  /** Distinct paths taken. */
  distinctPaths: number;
}

/** Token and position embeddings, a DNA pool, a final norm and a head: ids (B, T) -> logits (B, T, V). */
class DnaSeqLM extends Module {
  readonly tok: Embedding;
  readonly pos: Embedding;
  readonly body: DistributedModules;
  readonly norm: LayerNorm;
  readonly head: Linear;
  constructor(vocab: number, T: number, rng: Rng) {
    super();
    const c = DNA_LAB_CONFIG;
    this.tok = this.addModule('tok', new Embedding({ numEmbeddings: vocab, embeddingDim: c.dim }, rng));
    this.pos = this.addModule('pos', new Embedding({ numEmbeddings: T, embeddingDim: c.dim }, rng));
    this.body = this.addModule('body', new DistributedModules({ dim: c.dim, attention: c.attention, ffn: c.ffn, numHeads: 2, hops: c.hops, computeWeight: c.computeWeight, attentionCapacity: c.attentionCapacity, name: 'dna' }, rng));
    this.norm = this.addModule('norm', new LayerNorm({ dim: c.dim }));
    this.head = this.addModule('head', new Linear({ inFeatures: c.dim, outFeatures: vocab }, rng));
  }
  forward(ids: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const h = tf.add(this.tok.forward(ids), this.pos.forward(tf.range(0, ids.shape[1]!, 1, 'int32'))); // (B, T, d)
    return this.head.forward(this.norm.forward(this.body.forward(h, ctx), ctx));
  }
}

/** DNA on copy or sort: train, and every few steps the paths of 256 held-out sequences. */
async function dnaExperiment(progress: Progress<DnaLabReport>, signal: AbortSignal, task: keyof typeof DNA_TASKS, seed: number): Promise<DnaLabReport> {
  const c = DNA_LAB_CONFIG;
  const make = DNA_TASKS[task];
  if (!make) throw new Error(`dna: task=${String(task)} must be one of ${Object.keys(DNA_TASKS).join(', ')}`);
  const tr = make({ n: 2048, length: c.length, vocabSize: c.vocabSize }, seed);
  const te = make({ n: 256, length: c.length, vocabSize: c.vocabSize }, seed + 100);
  const T = 2 * c.length;
  const pool = c.attention + c.ffn;
  const [trx, try_, tex, tey] = [tf.tensor2d(tr.x, [2048, T], 'int32'), tf.tensor2d(tr.y, [2048, T], 'int32'), tf.tensor2d(te.x, [256, T], 'int32'), tf.tensor2d(te.y, [256, T], 'int32')];
  const rng = new Rng(seed + 2);
  const model = new DnaSeqLM(c.vocabSize + 1, T, rng);
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const draw = new Rng(seed + 4);
  let last: DnaLabReport | null = null;
  const look = async (step: number, loss: number): Promise<DnaLabReport> => {
    model.eval();
    const ctx = new ForwardContext({ collectStats: true });
    const a = tf.tidy(() => accuracy(model.forward(tex, ctx), tey));
    const acc = (await a.data())[0]!;
    const choices = await (ctx.stats.get('dna.choices') as tf.Tensor).data(); // (256·T, hops), row-major per token
    tf.dispose(a);
    ctx.disposeStats();
    model.train();
    const stats = dnaPathStats(choices, c.hops, pool);
    const n = choices.length / c.hops;
    const hopShare = Array.from({ length: c.hops }, (_, r) => {
      const row = new Array<number>(pool + 1).fill(0);
      for (let i = 0; i < n; i++) row[choices[i * c.hops + r]!]! += 1 / n;
      return row;
    });
    const perPosition = Array.from({ length: T }, (_, t) => {
      let used = 0;
      for (let b = 0; b < n / T; b++) for (let r = 0; r < c.hops; r++) if (choices[(b * T + t) * c.hops + r]! < pool) used++;
      return used / (n / T);
    });
    return { step, loss, accuracy: acc, meanModules: stats.meanModules, hopShare, perPosition, topPaths: stats.paths.slice(0, 6).map(([p, k]) => [p, k / n]), distinctPaths: stats.paths.length };
  };
  try {
    const r = await train({
      model, steps: c.steps, optimizer: opt, signal, seed, reportEvery: c.reportEvery,
      batch: () => {
        const idx = tf.tensor1d(Int32Array.from({ length: c.batch }, () => draw.int(2048)), 'int32'); // (B,)
        return { x: tf.gather(trx, idx), y: tf.gather(try_, idx) };
      },
      loss: (o, b) => softmaxCrossEntropy(o, b.y),
      onProgress: async (p) => {
        last = await look(p.step, p.loss);
        progress(last);
      },
    });
    if (r.stoppedBy === 'abort') throw new Error('dna: stopped');
    return last ?? (await look(0, NaN));
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([trx, try_, tex, tey]);
  }
}

/** The PKM view's setup: 8 × 8 sub-keys (64 memory slots), 4 read per token, one head, 16 wide. */
export const PKM_LAB_CONFIG = { dim: 16, numSubKeys: 8, topK: 4, steps: 300, clusters: 8, probesPerCluster: 1 } as const;

/** One probe point's lookup: the k best sub-keys of each half, and the k slots read with their weights. */
export interface PkmProbe {
  cluster: number;
  /** The point (2-d). */
  x: [number, number];
  /** Best sub-keys of the query's first and second half (k each, best first). */
  keys1: number[];
  keys2: number[];
  /** Memory slots read (slot = key1·n + key2), best first, and their softmax weights. */
  slots: number[];
  weights: number[];
}

/** What the PKM experiment measured. */
export interface PkmLabResult {
  /** Share of all reads (test points × k) that went to each of the n² slots. */
  usage: number[];
  /** Slots read at least once by the test points. */
  usedSlots: number;
  /** A probe point per cluster and what it read. */
  probes: PkmProbe[];
  /** Test MSE of the regressor with the memory, and with the memory's output removed. */
  testMSE: number;
  withoutMemoryMSE: number;
}

/** A 2-d clusterTasks regressor whose middle layer is a product-key memory: train, then trace its lookups. */
async function pkmExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<PkmLabResult> {
  const c = PKM_LAB_CONFIG;
  const ds = clusterTasks({ n: 4096, clusters: c.clusters, dim: 2, target: 'nonlinear', outputs: 1 }, seed);
  const [a, b] = split(ds, [0.75, 0.25], seed + 1);
  const tr = toTensors(a!);
  const te = toTensors(b!);
  const model = new Regressor(2, 1, c.dim, (r) => new ProductKeyMemory({ dim: c.dim, numSubKeys: c.numSubKeys, topK: c.topK }, r), new Rng(seed + 2));
  const pkm = model.mid as ProductKeyMemory;
  try {
    await fitMSE(model, tr.x, tr.y, c.steps, seed, 'pkm', progress, signal);
    const withMemory = await testMSE(model, te.x, te.y);
    const bare = tf.tidy(() => mse(model.out.forward(model.inp.forward(te.x, new ForwardContext()), new ForwardContext()), te.y));
    const withoutMemoryMSE = (await bare.data())[0]!;
    bare.dispose();
    // The test points' reads: the slots and weights of each, and each half's best sub-keys.
    const { n, k } = pkm;
    const half = pkm.keyDim / 2;
    const looked = tf.tidy(() => {
      const h = model.inp.forward(te.x, new ForwardContext()) as tf.Tensor2D;
      const { index, weight } = pkm.lookup(h, new ForwardContext());
      const q = pkm.query.forward(h, new ForwardContext()); // (N, keyDim)
      const s1 = tf.matMul(tf.slice(q, [0, 0], [-1, half]), tf.reshape(pkm.keys1, [n, half]), false, true); // (N, n)
      const s2 = tf.matMul(tf.slice(q, [0, half], [-1, half]), tf.reshape(pkm.keys2, [n, half]), false, true);
      return [index, weight, tf.topk(s1, k).indices, tf.topk(s2, k).indices];
    });
    const [index, weight, best1, best2] = await Promise.all(looked.map((t) => t.data()));
    tf.dispose(looked);
    const N = te.x.shape[0]!;
    const usage = new Array<number>(n * n).fill(0);
    for (const slot of index!) usage[slot]! += 1 / (N * k);
    const cluster = te.extra.cluster ? await te.extra.cluster.data() : new Int32Array(N);
    const xs = await te.x.data();
    const probes: PkmProbe[] = [];
    for (let cl = 0; cl < c.clusters; cl++) {
      for (let i = 0, got = 0; i < N && got < c.probesPerCluster; i++) {
        if (cluster[i] !== cl) continue;
        got++;
        const row = (t: ArrayLike<number>) => Array.from({ length: k }, (_, j) => Number(t[i * k + j]));
        probes.push({ cluster: cl, x: [xs[2 * i]!, xs[2 * i + 1]!], keys1: row(best1!), keys2: row(best2!), slots: row(index!), weights: row(weight!) });
      }
    }
    return { usage, usedSlots: usage.filter((u) => u > 0).length, probes, testMSE: withMemory, withoutMemoryMSE };
  } finally {
    tf.dispose([tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
    model.dispose();
  }
}

/** The WEMoE view's setup (as the WEMoE test's experiment): three regression tasks in 4-d, a GELU MLP 4 → 32 → 1. */
export const WEMOE_LAB_CONFIG = { tasks: 3, dim: 4, hidden: 32, baseSteps: 50, taskSteps: 300, routerSteps: 200, lambda: 0.3, fewPerTask: 64 } as const;

/** What the WEMoE experiment measured. */
export interface WemoeLabResult {
  /** Test MSE on each task: its own fine-tuned model, the base, task arithmetic (λ), WEMoE. */
  own: number[];
  base: number[];
  arithmetic: number[];
  wemoe: number[];
  /** Mean router output r(h) over each task's test inputs: [task of the input][task vector]; at the start every entry is λ. */
  routing: number[][];
}

/**
 * WEMoE: a base MLP trained on three tasks together, a copy fine-tuned per task, the fine-tunes
 * merged by task arithmetic (θ₀ + λ·Σ τ_t) and by WEMoE (a router choosing the task vectors' weights
 * per input, trained on 64 labelled points per task): test MSE per task and the router's weights.
 */
async function wemoeExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<WemoeLabResult> {
  const c = WEMOE_LAB_CONFIG;
  const rng = new Rng(seed);
  const centres = Array.from({ length: c.tasks }, () => Array.from(rng.normalArray(c.dim), (v) => 2 * v));
  const dirs = Array.from({ length: c.tasks }, () => Array.from(rng.normalArray(c.dim)));
  // Task t: inputs around its own centre, target sin(⟨x, dir_t⟩).
  const draw = (t: number, n: number) => {
    const xs = Array.from({ length: n }, () => Array.from(rng.normalArray(c.dim), (v, i) => centres[t]![i]! + 0.5 * v));
    const ys = xs.map((x) => [Math.sin(x.reduce((s, v, i) => s + v * dirs[t]![i]!, 0))]);
    return { x: tf.tensor2d(xs), y: tf.tensor2d(ys) };
  };
  const trainSets = Array.from({ length: c.tasks }, (_, t) => draw(t, 512));
  const testSets = Array.from({ length: c.tasks }, (_, t) => draw(t, 256));
  const few = Array.from({ length: c.tasks }, (_, t) => draw(t, c.fewPerTask));
  const cat = (sets: Array<{ x: tf.Tensor2D; y: tf.Tensor2D }>) => ({ x: tf.concat(sets.map((d) => d.x)), y: tf.concat(sets.map((d) => d.y)) });
  const all = cat(trainSets);
  const fewAll = cat(few);
  const made: Module[] = [];
  const fit = async (model: Module, data: { x: tf.Tensor; y: tf.Tensor }, steps: number, phase: string) => {
    const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    const r = await train({ model, steps, optimizer: opt, signal, seed, reportEvery: 10, batch: () => data, loss: (o, b) => mse(o, b.y), onProgress: (p) => progress({ phase, step: p.step, loss: p.loss }) });
    opt.dispose();
    if (r.stoppedBy === 'abort') throw new Error(`${phase}: stopped`);
  };
  const perTask = async (model: Module) => {
    const out: number[] = [];
    for (const d of testSets) out.push(await testMSE(model, d.x, d.y));
    return out;
  };
  try {
    const base = new MLP({ dim: c.dim, hidden: c.hidden, outDim: 1 }, new Rng(seed + 1));
    made.push(base);
    await fit(base, all, c.baseSteps, 'base');
    const tuned: MLP[] = [];
    const own: number[] = [];
    for (let t = 0; t < c.tasks; t++) {
      const m = new MLP({ dim: c.dim, hidden: c.hidden, outDim: 1 }, new Rng(0));
      made.push(m);
      for (const [a, b] of [[m.fc1!.weight, base.fc1!.weight], [m.fc1!.bias!, base.fc1!.bias!], [m.fc2!.weight, base.fc2!.weight], [m.fc2!.bias!, base.fc2!.bias!]] as const) a.assign(b);
      await fit(m, trainSets[t]!, c.taskSteps, `task ${t + 1}`);
      own.push(await testMSE(m, testSets[t]!.x, testSets[t]!.y));
      tuned.push(m);
    }
    const wemoe = new WEMoE(base, tuned, c.lambda, new Rng(seed + 2));
    made.push(wemoe);
    const baseMSE = await perTask(base);
    const arithmetic = await perTask(wemoe); // before its router trains, WEMoE is task arithmetic
    await fit(wemoe, fewAll, c.routerSteps, 'router');
    const merged = await perTask(wemoe);
    const routing: number[][] = [];
    for (const d of testSets) {
      const r = tf.tidy(() => tf.mean(wemoe.router.forward(d.x, new ForwardContext()), 0)); // (T,)
      routing.push(Array.from(await r.data()));
      r.dispose();
    }
    return { own, base: baseMSE, arithmetic, wemoe: merged, routing };
  } finally {
    tf.dispose([all.x, all.y, fewAll.x, fewAll.y, ...[...trainSets, ...testSets, ...few].flatMap((d) => [d.x, d.y])]);
    for (const m of made) m.dispose();
  }
}

/** The UMoE view's setup: two UMoE blocks (8 experts shared by attention and FFN, top-2 each) in a TinyTransformer on sort. */
export const UMOE_LAB_CONFIG = { blocks: 2, dim: 16, numExperts: 8, hidden: 16, topK: 2, headDim: 8, length: 6, vocabSize: 8, steps: 200, batch: 32 } as const;

/** What the UMoE experiment measured. */
export interface UmoeLabResult {
  /** Answer accuracy on held-out sequences. */
  accuracy: number;
  /** Per block: the share of the attention MoE's and of the FFN MoE's routed pairs each shared expert took. */
  load: Array<{ attention: number[]; ffn: number[] }>;
  /** Stored parameters with the experts shared, and of the same model with one set per layer. */
  stored: number;
  storedUnshared: number;
}

function umoeModel(share: boolean, T: number, rng: Rng): TinyTransformer {
  const c = UMOE_LAB_CONFIG;
  const blocks = Array.from({ length: c.blocks }, () => new UMoEBlock({
    dim: c.dim, numExperts: c.numExperts, hidden: c.hidden, shareExperts: share,
    attention: { topK: c.topK, headDim: c.headDim, router: 'mixtral' }, ffn: { topK: c.topK, router: 'mixtral' },
  }, rng));
  return new TinyTransformer({ vocabSize: c.vocabSize + 1, dim: c.dim, maxLen: T, numHeads: 2 }, rng, { blocks });
}

/** UMoE blocks in a small LM learn sort; then which shared experts the attention and the FFN layers use on held-out sequences. */
async function umoeExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<UmoeLabResult> {
  const c = UMOE_LAB_CONFIG;
  const tr = sortTask({ n: 2048, length: c.length, vocabSize: c.vocabSize }, seed);
  const te = sortTask({ n: 256, length: c.length, vocabSize: c.vocabSize }, seed + 100);
  const T = 2 * c.length;
  const [trx, try_, tex, tey] = [tf.tensor2d(tr.x, [2048, T], 'int32'), tf.tensor2d(tr.y, [2048, T], 'int32'), tf.tensor2d(te.x, [256, T], 'int32'), tf.tensor2d(te.y, [256, T], 'int32')];
  const model = umoeModel(true, T, new Rng(seed + 2));
  const twin = umoeModel(false, T, new Rng(seed + 2));
  const storedUnshared = parameterLedger(twin).totals.stored;
  twin.dispose();
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const draw = new Rng(seed + 4);
  try {
    const r = await train({
      model, steps: c.steps, optimizer: opt, signal, seed, reportEvery: 10,
      batch: () => {
        const idx = tf.tensor1d(Int32Array.from({ length: c.batch }, () => draw.int(2048)), 'int32'); // (B,)
        return { x: tf.gather(trx, idx), y: tf.gather(try_, idx) };
      },
      loss: (o, b) => softmaxCrossEntropy(o, b.y),
      onProgress: (p) => progress({ phase: 'umoe', step: p.step, loss: p.loss }),
    });
    if (r.stoppedBy === 'abort') throw new Error('umoe: stopped');
    model.eval();
    const ctx = new ForwardContext({ collectStats: true, root: model });
    const a = tf.tidy(() => accuracy(model.forward(tex, ctx) as tf.Tensor, tey));
    const acc = (await a.data())[0]!;
    a.dispose();
    const read = async (key: string) => {
      const t = ctx.stats.get(key) as tf.Tensor | undefined;
      if (!t) throw new Error(`umoe: no stat '${key}' (have ${[...ctx.stats.keys()].join(', ')})`);
      return Array.from(await t.data());
    };
    const loadKeys = [...ctx.stats.keys()].filter((k) => k.endsWith('.load'));
    const load: UmoeLabResult['load'] = [];
    for (let b = 0; b < c.blocks; b++) {
      const attn = loadKeys.find((k) => k.includes(`${b}`) && k.includes('attn'));
      const ffn = loadKeys.find((k) => k.includes(`${b}`) && k.includes('ffn'));
      if (!attn || !ffn) throw new Error(`umoe: block ${b}'s load stats are missing (have ${loadKeys.join(', ')})`);
      load.push({ attention: await read(attn), ffn: await read(ffn) });
    }
    ctx.disposeStats();
    return { accuracy: acc, load, stored: parameterLedger(model).totals.stored, storedUnshared };
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([trx, try_, tex, tey]);
  }
}

/** The Hydra view's setup (the Hydra test's experiment): copy 6 tokens after 10 blank steps, width 16, 300 steps. */
export const HYDRA_LAB_CONFIG = HYDRA_COPY_DEFAULTS;

export { HYDRA_ARMS };

/** What the Hydra experiment measured per arm. */
export interface HydraLabResult {
  arms: HydraArmResult[];
}

/** Hydra's block vs a recurrence+MLP and an attention block of the same stored parameters on a delayed copy. */
async function hydraExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<HydraLabResult> {
  return { arms: await hydraCopyExperiment(HYDRA_COPY_DEFAULTS, seed, { signal, onProgress: (p) => progress({ phase: p.arm, step: p.step, loss: p.loss }) }) };
}

/** The inference-optimisation view's setup: the trained toy MoE regressor and the study's options (as the test's experiment). */
export const INFERENCE_LAB_CONFIG = {
  moe: { dim: 16, numExperts: 8, topK: 2, hidden: 16, router: 'mixtral', loadBalance: 'switch', loadBalanceWeight: 0.01 },
  steps: 400,
  study: INFERENCE_STUDY_DEFAULTS,
} as const;

/** The MoE inference survey's optimisations: train a clusterTasks MoE regressor, then prune, merge, quantise, dynamic top-k and cache its experts. */
async function inferenceExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<InferenceStudy> {
  const c = INFERENCE_LAB_CONFIG;
  const ds = clusterTasks({ n: 4096, clusters: 8, dim: 2, target: 'nonlinear', outputs: 1 }, seed);
  const [a, b] = split(ds, [0.75, 0.25], seed + 1);
  const tr = toTensors(a!);
  const te = toTensors(b!);
  const model = new Regressor(2, 1, 16, (r) => new MoE({ ...c.moe }, r), new Rng(seed + 2));
  const calib = tf.slice(tr.x, [0, 0], [512, -1]) as tf.Tensor2D; // (512, 2) calibration tokens
  try {
    await fitMSE(model, tr.x, tr.y, c.steps, seed + 4, 'train', progress, signal);
    model.eval();
    return await inferenceOptimisationStudy(model, calib, { x: te.x as tf.Tensor2D, y: te.y }, c.study);
  } finally {
    tf.dispose([calib, tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
    model.dispose();
  }
}

/** The shared-experts view's setup (as shared-moe-blocks.test's experiment): 6 blocks on reversal, groups of 3 sharing attention and experts. */
export const SHARED_EXPERTS_LAB_CONFIG = { depth: 6, repeat: 3, dim: 16, numHeads: 2, numExperts: 4, topK: 2, hidden: 16, length: 6, vocabSize: 6, steps: 150, batch: 32 } as const;

/** The shared-experts view's arms, in order: every block its own attention and experts; groups of 3 sharing them with own routers and norms. */
export const SHARED_EXPERTS_ARMS = ['per-layer experts', 'shared experts'] as const;

/** What the shared-experts experiment measured. */
export interface SharedExpertsLabResult {
  arms: Array<{
    arm: (typeof SHARED_EXPERTS_ARMS)[number];
    /** Stored parameters (shared ones counted once). */
    stored: number;
    /** Mean training loss over the last three reports. */
    finalLoss: number;
    /** Answer accuracy on held-out sequences. */
    accuracy: number;
  }>;
  /** The shared model's group (expert bank) of each block. */
  groups: number[];
  /** The shared model, per block: the share of its routed pairs each expert of its group's bank took on held-out sequences. */
  load: number[][];
}

/** Per-layer vs shared experts (Parameter-efficient Conformers' sharedMoETransformer) on reversal; then each block's routing over its bank. */
async function sharedExpertsExperiment(progress: Progress<PhaseLoss>, signal: AbortSignal, seed: number): Promise<SharedExpertsLabResult> {
  const c = SHARED_EXPERTS_LAB_CONFIG;
  const tr = reverseTask({ n: 2048, length: c.length, vocabSize: c.vocabSize }, seed);
  const te = reverseTask({ n: 256, length: c.length, vocabSize: c.vocabSize }, seed + 100);
  const [trx, try_, tex, tey] = [tf.tensor(tr.x, tr.xShape, 'int32'), tf.tensor(tr.y, tr.yShape, 'int32'), tf.tensor(te.x, te.xShape, 'int32'), tf.tensor(te.y, te.yShape, 'int32')];
  const n = tr.xShape[0]!;
  const plans = { 'per-layer experts': { name: 'none' }, 'shared experts': { name: 'block-repeat', repeat: c.repeat } } as const;
  const arms: SharedExpertsLabResult['arms'] = [];
  let load: number[][] = [];
  try {
    for (const arm of SHARED_EXPERTS_ARMS) {
      const model = sharedMoETransformer({
        vocabSize: tr.vocabSize!, maxLen: tr.xShape[1]!, dim: c.dim, depth: c.depth, numHeads: c.numHeads, head: 'lm', causal: false,
        moe: { numExperts: c.numExperts, topK: c.topK, hidden: c.hidden, router: 'mixtral' }, plan: plans[arm],
      }, new Rng(seed + 2));
      const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const draw = new Rng(seed + 4);
      try {
        const r = await train({
          model, steps: c.steps, optimizer: opt, signal, seed, reportEvery: 10,
          batch: () => {
            const idx = tf.tensor1d(Int32Array.from({ length: c.batch }, () => draw.int(n)), 'int32'); // (B,)
            return { x: tf.gather(trx, idx), y: tf.gather(try_, idx) };
          },
          loss: (o, b) => softmaxCrossEntropy(o, b.y),
          onProgress: (p) => progress({ phase: arm, step: p.step, loss: p.loss }),
        });
        if (r.stoppedBy === 'abort') throw new Error(`${arm}: stopped`);
        model.eval();
        const ctx = new ForwardContext({ collectStats: true, root: model });
        const a = tf.tidy(() => accuracy(model.forward(tex, ctx) as tf.Tensor, tey));
        const acc = (await a.data())[0]!;
        a.dispose();
        if (arm === 'shared experts') {
          load = [];
          for (let b = 0; b < c.depth; b++) {
            const key = `moe.${b}.load`; // crossLayerMoE names layer b's MoE 'moe.b'
            if (!ctx.stats.has(key)) throw new Error(`shared experts: block ${b}'s load stat '${key}' is missing (have ${[...ctx.stats.keys()].join(', ')})`);
            load.push(Array.from(await (ctx.stats.get(key) as tf.Tensor).data()));
          }
        }
        ctx.disposeStats();
        const tail = r.history.slice(-3);
        arms.push({ arm, stored: parameterLedger(model).totals.stored, finalLoss: tail.reduce((s, h) => s + h.loss, 0) / tail.length, accuracy: acc });
      } finally {
        opt.dispose();
        model.dispose();
      }
    }
    const slots = planSlots(plans['shared experts'], c.depth);
    const ids = [...new Set(slots)];
    return { arms, groups: Array.from(slots, (s) => ids.indexOf(s)), load };
  } finally {
    tf.dispose([trx, try_, tex, tey]);
  }
}

/** The experiments by name; each takes (progress, signal, ...args). */
export const MOE_LAB = {
  /** μP vs SP: a learning-rate sweep at three widths. */
  mup: (progress: Progress<MuTransferRun>, signal: AbortSignal): Promise<MuTransferResult> => muTransferSweep(MUP_LAB_CONFIG, { onRun: progress, signal }),
  /** Loss over dense size N and expert count E, and the fitted law. */
  scaling: (progress: Progress<RoutedScalingRun>, signal: AbortSignal): Promise<RoutedScalingSweepResult> => routedScalingSweep(SCALING_LAB_CONFIG, { onRun: progress, signal }),
  /** PERFT's three placements fine-tuned beside a frozen MoE on a new task. */
  perft: perftExperiment,
  /** DNA: tokens' paths through a pool of modules while it trains on copy or sort. */
  dna: dnaExperiment,
  /** Product-key memory: which sub-keys and memory slots each query picks. */
  pkm: pkmExperiment,
  /** WEMoE: merging task models by a router over their task vectors, vs task arithmetic. */
  wemoe: wemoeExperiment,
  /** UMoE: one set of experts used by the attention and the FFN layers. */
  umoe: umoeExperiment,
  /** Parameter-efficient Conformers: experts shared by groups of blocks, each block with its own router, vs per-layer experts. */
  sharedExperts: sharedExpertsExperiment,
  /** Hydra's hybrid block (recurrence, MoE, memory) vs a recurrence+MLP and attention on a delayed copy. */
  hydra: hydraExperiment,
  /** The MoE inference survey: pruning, merging, quantisation, dynamic top-k and expert caching on a trained MoE. */
  inference: inferenceExperiment,
};
