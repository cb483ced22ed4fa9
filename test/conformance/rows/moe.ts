// Conformance rows of @weft/moe: the MoE layer with every router in the registry, every expert
// kind, capacity and dropless dispatch, shared experts, as the ffn of a TransformerBlock, and
// UMoE's attention MoE alone and in a block sharing its experts with the FFN MoE.
// Every row runs on every backend, webgpu (Dawn in Node, Chromium) and webgl included.
import * as tf from '@tensorflow/tfjs-core';
import { MLP, Sequential, TransformerBlock, type Rng } from '@weft/core';
import { ChainOfExperts, GroveMoE, MoE, MPOEMoE, PERFT, WEMoE, PreMixingAttention, sharedMoETransformer, ProductKeyMemory, RouterGRU, routerEntry, routerNames, UMoEBlock, type MoEConfig } from '@weft/moe';
import { addConformanceRows, addRegistryRows, type ConformanceRow } from '../matrix.js';
import { megrez2Transformer } from '@weft/moe';
import { DistributedModules, HydraBlock } from '@weft/moe';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const base: MoEConfig = { dim: 4, numExperts: 4, topK: 2, hidden: 4 };
const noise = { paths: ['router.noise'], why: 'the noisy top-k noise projection acts in training only; the check runs in eval' };

function row(name: string, cfg: Partial<MoEConfig>, extra: Partial<ConformanceRow<tf.Tensor>> = {}): ConformanceRow<tf.Tensor> {
  const full = { ...base, ...cfg };
  return {
    name: `moe/${name}`,
    make: (rng) => new MoE(full, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
    ...((full.router ?? 'topk') === 'topk' ? { noGradient: noise } : {}),
    ...extra,
  };
}

/** One MoE row per registered router, read from the registry when the matrix is listed. */
const routerRows = (): ConformanceRow<any>[] =>
  routerNames().map((r) =>
    // Exemption by name: a recurrent chain of one layer leaves its recurrent weight unused.
    row(`MoE (${r} router)`, { router: r, topK: routerEntry(r).fixedTopK ?? 2 }, r === 'recurrent'
      ? { noGradient: { paths: ['router.gru.wh.weight'], why: 'a chain of one layer starts from state 0, so the recurrent weight is unused (see the two-layer chain row)' } }
      : {}),
  );

const all: ConformanceRow<any>[] = [
  {
    name: 'moe/two MoE layers sharing a recurrent router GRU',
    make: (rng) => {
      const gru = new RouterGRU(4, rng);
      const layer = () => new MoE({ ...base, router: 'recurrent', routerConfig: { hidden: 4 } }, rng, { gru });
      return new Sequential([layer(), layer()]);
    },
    input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
  },
  row('MoE (capacity 1.0, probability priority)', { router: 'mixtral', capacityFactor: 1, dropPolicy: 'probability' }),
  row('MoE (SwiGLU experts, 1 shared expert)', { router: 'mixtral', expert: 'swiglu', sharedExperts: 1 }),
  // At init every IA3 expert scales by ones: all experts compute one function, and with renormalised
  // gates (Σ = 1) the output does not depend on the router, whose gradient is then exactly 0 (float64
  // sums give 0; float32 rounding used to give noise). Scales drawn around 1 make the experts differ.
  row('MoE (MoV: IA3 experts)', { router: 'mixtral', expert: 'ia3' }, {
    make: (rng) => {
      const m = new MoE({ ...base, router: 'mixtral', expert: 'ia3' }, rng);
      for (const [path, v] of m.namedParameters()) if (path.endsWith('experts.scale')) v.assign(tf.tensor(rng.normalArray(v.size).map((z) => 1 + 0.5 * z), v.shape));
      return m;
    },
  }),
  row('MoE (MoLoRA: LoRA experts)', { router: 'mixtral', expert: 'lora', loraRank: 2, loraZeroInit: false }),
  {
    name: 'moe/ChainOfExperts (2 routed iterations over one set of experts)',
    make: (rng) => new ChainOfExperts({ ...base, router: 'mixtral', iterations: 2 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
  },
  {
    name: 'moe/GroveMoE (2 groups with adjugate experts)',
    make: (rng) => new GroveMoE({ ...base, router: 'mixtral', groups: 2, adjugateHidden: 2 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
  },
  ...(['shared', 'routed', 'embedded'] as const).map((variant) => ({
    name: `moe/PERFT (${variant} adapters beside a frozen MoE)`,
    make: (rng: Rng) => new PERFT(new MoE({ ...base, router: 'mixtral' }, rng), { variant, numAdapters: 3, rank: 2 }, rng),
    input: (rng: Rng) => ({ x: floats(rng, [2, 5, 4]) }),
    // Δ = 0 at the start (up projection zero, as LoRA's B): what feeds it gets its gradient from the second step on.
    noGradient: { paths: ['adapters.w1', 'adapters.b1', ...(variant === 'routed' ? ['router.gate.weight'] : [])], why: "the adapters' up projection starts at zero (PERFT starts as the frozen model)" },
  })),
  {
    name: 'moe/sharedMoETransformer (Parameter-efficient Conformers: 3 blocks sharing attention and experts, own routers and norms)',
    make: (rng) => sharedMoETransformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 3, numHeads: 2, head: 'lm', moe: { numExperts: 4, topK: 2, hidden: 8, router: 'mixtral' } }, rng),
    input: (rng) => ({ x: tf.tensor2d(Array.from({ length: 8 }, () => rng.int(7)), [2, 4], 'int32') }),
  },
  {
    name: 'moe/MPOEMoE (MPO experts sharing their central cores)',
    make: (rng) => new MPOEMoE({ ...base, router: 'mixtral', dimFactors: [1, 2, 2], hiddenFactors: [2, 1, 2], bond: 2 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
  },
  {
    name: 'moe/WEMoE (an MLP merged from a base and two fine-tunes, per-token weights)',
    make: (rng) => new WEMoE(new MLP({ dim: 4, hidden: 6 }, rng), [new MLP({ dim: 4, hidden: 6 }, rng), new MLP({ dim: 4, hidden: 6 }, rng)], 0.3, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
  },
  {
    name: 'moe/ProductKeyMemory (2 heads)',
    make: (rng) => new ProductKeyMemory({ dim: 4, numSubKeys: 3, topK: 2, heads: 2 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 6, 4]) }),
  },
  {
    name: 'moe/TransformerBlock with an MoE ffn',
    make: (rng) => new TransformerBlock({ dim: 8, numHeads: 2, ffn: (dim, r) => new MoE({ dim, numExperts: 4, topK: 2, hidden: 8, router: 'mixtral' }, r) }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  {
    name: 'moe/PreMixingAttention (UMoE attention MoE, 1 shared expert)',
    make: (rng) => new PreMixingAttention({ dim: 8, numExperts: 4, topK: 2, hidden: 8, headDim: 4, queryRank: 2, router: 'mixtral', sharedExperts: 1 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 8]) }),
  },
  {
    name: 'moe/UMoEBlock (attention and FFN MoE sharing experts)',
    make: (rng) => new UMoEBlock({ dim: 8, numExperts: 4, hidden: 8, attention: { topK: 2, headDim: 4, router: 'mixtral' }, ffn: { topK: 2, router: 'mixtral' } }, rng),
    input: (rng) => ({ x: floats(rng, [2, 5, 8]) }),
  },
];

addRegistryRows(routerRows);
addConformanceRows(...all);

// Megrez2's cross-layer expert banks (issue 16): 3 blocks on one bank, per-block routers.
addConformanceRows({
  name: 'moe/Megrez2 transformer (3 blocks, one expert bank)',
  make: (rng) => megrez2Transformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 3, numHeads: 2, moe: { numExperts: 4, topK: 2, hidden: 8, router: 'mixtral' } }, rng),
  input: () => ({ x: tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1]], [2, 6], 'int32') }),
});

// Hydra's toy hybrid block (issue 18): recurrence mixer, MoE feed-forward, product-key memory.
addConformanceRows({
  name: 'moe/HydraBlock (recurrence mixer, MoE ffn, product-key memory)',
  make: (rng) => new HydraBlock({ dim: 4, moe: { numExperts: 4, topK: 2, hidden: 4 }, pkm: { numSubKeys: 3, topK: 2 } }, rng),
  input: (rng) => ({ x: floats(rng, [2, 5, 4]) }),
});

// Distributed neural architectures (issue 18): tokens route through a pool of attention and FFN modules.
addConformanceRows({
  name: 'moe/DistributedModules (pool of 1 attention + 1 FFN module, 3 hops, skip)',
  make: (rng) => new DistributedModules({ dim: 4, attention: 1, ffn: 1, ffnHidden: 4, hops: 3 }, rng),
  input: (rng) => ({ x: floats(rng, [2, 6, 4]) }),
});
