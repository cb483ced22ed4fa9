// Sparse MoE feed-forward blocks as parameter specs: Mixtral (arXiv:2401.04088, `modeling_mixtral.py`:
// E SwiGLU experts w1/w3/w2, router Linear(H, E) without bias), Qwen2-MoE (`modeling_qwen2_moe.py`:
// fine-grained experts, one shared expert with a sigmoid gate Linear(H, 1)), and DeepSeekMoE
// (arXiv:2401.06066; deepseek-moe's remote `modeling_deepseek.py` and `modeling_deepseek_v2.py`:
// fine-grained experts plus n_shared experts merged into one SwiGLU of n_shared × moe_intermediate_size).
// Experts are named as per-expert modules (`experts.{e}.…`, the layout of those modeling files before
// transformers v5 fused them), so PEFT-style target patterns can address them.

import { mul } from './arith.js';
import { linear, raw, swiglu, type ParamEntry } from './spec.js';
import type { ResolvedDecoder, ResolvedMoe } from './validate.js';

/** Marks entries as routed experts: `count` copies, `topK` active per token. */
function routed(entries: ParamEntry[], moe: ResolvedMoe): ParamEntry[] {
  return entries.map((e) => ({ ...e, experts: { count: moe.numExperts, topK: moe.topK } }));
}

/** The feed-forward modules of one MoE layer. */
export function moeEntries(cfg: ResolvedDecoder, moe: ResolvedMoe): ParamEntry[] {
  const H = cfg.hidden;
  const E = moe.numExperts;
  const I = moe.expertSize;
  switch (moe.style) {
    case 'mixtral':
      return [
        linear('block_sparse_moe.gate', 'router', 'router', H, E, false),
        ...routed(swiglu('block_sparse_moe.experts.*.', H, I, false, 'routed experts', ['w1', 'w3', 'w2'], 'experts'), moe),
      ];
    case 'qwen2_moe':
      return [
        linear('mlp.gate', 'router', 'router', H, E, false),
        ...routed(swiglu('mlp.experts.*.', H, I, false, 'routed experts', undefined, 'experts'), moe),
        ...swiglu('mlp.shared_expert.', H, moe.sharedSize ?? 0, false, 'shared experts', undefined, 'experts'),
        linear('mlp.shared_expert_gate', 'router', 'shared-expert gate', H, 1, false),
      ];
    case 'deepseek':
    case 'deepseek_v2': {
      // deepseek's MoEGate holds a raw (E, H) weight, not an nn.Linear; deepseek_v2 in transformers uses nn.Linear.
      const gate =
        moe.style === 'deepseek'
          ? raw('mlp.gate', 'router', 'router', mul('router', E, H))
          : linear('mlp.gate', 'router', 'router', H, E, false);
      const out = [gate, ...routed(swiglu('mlp.experts.*.', H, I, false, 'routed experts', undefined, 'experts'), moe)];
      if (moe.sharedSize !== null) {
        out.push(...swiglu('mlp.shared_experts.', H, moe.sharedSize, false, 'shared experts', undefined, 'experts'));
      }
      return out;
    }
  }
}
