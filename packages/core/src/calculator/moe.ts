// Sparse MoE feed-forward blocks as parameter specs: Mixtral (arXiv:2401.04088, `modeling_mixtral.py`:
// E SwiGLU experts w1/w3/w2, router Linear(H, E) without bias), Qwen2-MoE (`modeling_qwen2_moe.py`:
// fine-grained experts, one shared expert with a sigmoid gate Linear(H, 1)), DeepSeekMoE
// (arXiv:2401.06066; deepseek-moe's remote `modeling_deepseek.py`, `modeling_deepseek_v2.py` and
// `modeling_deepseek_v3.py`: fine-grained experts plus n_shared experts merged into one SwiGLU of
// n_shared × moe_intermediate_size; V3's router is a raw (E, H) weight and its e_score_correction_bias a
// buffer, not a parameter), and the transformers-v5 MoE layers of Qwen3-MoE and OLMoE (arXiv:2409.02060:
// router `gate`, no shared expert), PhiMoE (router `router`), gpt-oss (router with bias, experts with
// biases) and Llama 4 (router, one shared expert of `intermediate_size`). v5 stores each layer's experts
// fused (`experts.gate_up_proj` [E, H, 2I], `experts.down_proj` [E, I, H]); they are listed here per expert
// (`experts.*.gate_up_proj`), the same parameters, so adapter target patterns can address them.

import { mul } from './arith.js';
import { linear, raw, swiglu, type ParamEntry } from './spec.js';
import type { ResolvedDecoder, ResolvedMoe } from './validate.js';

/** Marks entries as routed experts: `count` copies, `topK` active per token. */
function routed(entries: ParamEntry[], moe: ResolvedMoe): ParamEntry[] {
  return entries.map((e) => ({ ...e, experts: { count: moe.numExperts, topK: moe.topK } }));
}

/** One expert's fused gate_up_proj (H → 2I) and down_proj (I → H), as transformers v5 stores them. */
function fusedExpert(prefix: string, H: number, I: number, bias: boolean): ParamEntry[] {
  return [
    linear(`${prefix}gate_up_proj`, 'experts', 'routed experts', H, mul('gate_up_proj width', 2, I), bias),
    linear(`${prefix}down_proj`, 'experts', 'routed experts', I, H, bias),
  ];
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
    case 'qwen3_moe':
    case 'olmoe':
      return [linear('mlp.gate', 'router', 'router', H, E, false), ...routed(fusedExpert('mlp.experts.*.', H, I, false), moe)];
    case 'phimoe':
      return [linear('mlp.router', 'router', 'router', H, E, false), ...routed(fusedExpert('mlp.experts.*.', H, I, false), moe)];
    case 'gpt_oss':
      return [linear('mlp.router', 'router', 'router', H, E, true), ...routed(fusedExpert('mlp.experts.*.', H, I, true), moe)];
    case 'llama4':
      return [
        linear('feed_forward.router', 'router', 'router', H, E, false),
        ...routed(fusedExpert('feed_forward.experts.*.', H, I, false), moe),
        ...swiglu('feed_forward.shared_expert.', H, moe.sharedSize ?? I, false, 'shared experts', undefined, 'experts'),
      ];
    case 'deepseek':
    case 'deepseek_v2':
    case 'deepseek_v3': {
      // deepseek's and V3's routers hold a raw (E, H) weight, not an nn.Linear; deepseek_v2 in transformers uses nn.Linear.
      const gate =
        moe.style === 'deepseek_v2'
          ? linear('mlp.gate', 'router', 'router', H, E, false)
          : raw('mlp.gate', 'router', 'router', mul('router', E, H));
      const experts = moe.style === 'deepseek_v3' ? fusedExpert('mlp.experts.*.', H, I, false) : swiglu('mlp.experts.*.', H, I, false, 'routed experts', undefined, 'experts');
      const out = [gate, ...routed(experts, moe)];
      if (moe.sharedSize !== null) {
        out.push(...swiglu('mlp.shared_experts.', H, moe.sharedSize, false, 'shared experts', undefined, 'experts'));
      }
      return out;
    }
  }
}
