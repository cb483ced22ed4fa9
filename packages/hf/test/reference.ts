// A plain-JS float64 reference of transformers' forward passes, written from its modeling code
// (modeling_llama / mistral / qwen2 / qwen3 / mixtral / qwen2_moe / qwen3_moe / olmoe / gpt2 / bert),
// reading the checkpoint's tensors by transformers' names in PyTorch's layouts. Batch 1, no cache:
// the test compares Weft's model with it on configs whose options the fixtures leave at defaults.
type Mat = number[][]; // [rows][cols]
type Tensors = Map<string, { shape: number[]; data: ArrayLike<number> }>;

function get(t: Tensors, name: string): { shape: number[]; data: ArrayLike<number> } {
  const e = t.get(name);
  if (!e) throw new Error(`reference: tensor ${name} missing`);
  return e;
}

/** A 2-D tensor as rows. */
function mat(t: Tensors, name: string): Mat {
  const { shape, data } = get(t, name);
  const [r, c] = shape.length === 2 ? shape : [1, shape[0]!];
  return Array.from({ length: r! }, (_, i) => Array.from({ length: c! }, (_, j) => data[i * c! + j]!));
}
function vec(t: Tensors, name: string): number[] {
  return Array.from(get(t, name).data);
}
const has = (t: Tensors, name: string) => t.has(name);

/** x [T][in] · W^T with W [out][in] (nn.Linear), + b. */
function linear(x: Mat, w: Mat, b?: number[]): Mat {
  return x.map((row) => w.map((wr, o) => wr.reduce((s, v, i) => s + v * row[i]!, b ? b[o]! : 0)));
}
/** x [T][in] · W with W [in][out] (GPT-2's Conv1D), + b. */
function conv1d(x: Mat, w: Mat, b: number[]): Mat {
  return x.map((row) => b.map((bo, o) => row.reduce((s, v, i) => s + v * w[i]![o]!, bo)));
}
const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
function rms(x: Mat, w: number[], eps: number): Mat {
  return x.map((r) => {
    const ms = r.reduce((s, v) => s + v * v, 0) / r.length;
    const k = 1 / Math.sqrt(ms + eps);
    return r.map((v, j) => v * k * w[j]!);
  });
}
function layerNorm(x: Mat, w: number[], b: number[], eps: number): Mat {
  return x.map((r) => {
    const m = r.reduce((s, v) => s + v, 0) / r.length;
    const v2 = r.reduce((s, v) => s + (v - m) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - m) / Math.sqrt(v2 + eps)) * w[j]! + b[j]!);
  });
}
const silu = (v: number) => v / (1 + Math.exp(-v));
const geluExact = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
function erf(x: number): number {
  // Numerical Recipes' erfc approximation (fractional error < 1.2e-7).
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
}
const ACT: Record<string, (v: number) => number> = { silu, gelu: geluExact, gelu_new: geluTanh, gelu_pytorch_tanh: geluTanh, relu: (v) => Math.max(v, 0) };

function softmax(r: number[]): number[] {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Per-head attention: q [T][H·D], k, v [T][Hkv·D]; allowed(i, j) says whether query i sees key j. */
function attention(q: Mat, k: Mat, v: Mat, H: number, Hkv: number, D: number, scale: number, allowed: (i: number, j: number) => boolean): Mat {
  const T = q.length;
  const out: Mat = Array.from({ length: T }, () => new Array<number>(H * D).fill(0));
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / Hkv)); // repeat_kv
    for (let i = 0; i < T; i++) {
      const scores: number[] = [];
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += q[i]![h * D + d]! * k[j]![g * D + d]!;
        scores.push(allowed(i, j) ? s * scale : -Infinity);
      }
      const p = softmax(scores);
      for (let j = 0; j < T; j++) for (let d = 0; d < D; d++) out[i]![h * D + d]! += p[j]! * v[j]![g * D + d]!;
    }
  }
  return out;
}

/** transformers' rope: inv_freq per the config's rope_type, rotate-half, cos and sin times the attention factor. */
function rope(x: Mat, heads: number, D: number, { inv, att }: { inv: number[]; att: number }): Mat {
  return x.map((r, t) => {
    const o = r.slice();
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < D / 2; i++) {
        const a = t * inv[i]!;
        const [x1, x2] = [r[h * D + i]!, r[h * D + i + D / 2]!];
        o[h * D + i] = x1 * att * Math.cos(a) - x2 * att * Math.sin(a);
        o[h * D + i + D / 2] = x2 * att * Math.cos(a) + x1 * att * Math.sin(a);
      }
    }
    return o;
  });
}

/**
 * inv_freq and attention factor of transformers 5's modeling_rope_utils for a sequence of seqLen
 * positions (dynamic_rope_update / longrope_frequency_update with seq_len = max(position_ids) + 1).
 */
function invFreq(c: Record<string, any>, D: number, seqLen: number): { inv: number[]; att: number } {
  const p = c.rope_parameters ?? { rope_theta: c.rope_theta ?? 10000, ...(c.rope_scaling ?? {}) };
  let base = p.rope_theta ?? 10000;
  const type = p.rope_type ?? p.type ?? 'default';
  const maxPos = c.max_position_embeddings as number;
  const pos = (b: number) => Array.from({ length: D / 2 }, (_, i) => b ** ((2 * i) / D));
  if (type === 'default') return { inv: pos(base).map((f) => 1 / f), att: 1 };
  if (type === 'linear') return { inv: pos(base).map((f) => 1 / f / p.factor), att: 1 };
  if (type === 'dynamic') {
    const L = Math.max(seqLen, maxPos);
    base = base * ((p.factor * L) / maxPos - (p.factor - 1)) ** (D / (D - 2));
    return { inv: pos(base).map((f) => 1 / f), att: 1 };
  }
  const L0 = p.original_max_position_embeddings ?? maxPos;
  const s = p.factor ?? maxPos / L0;
  if (type === 'yarn') {
    const ms = (x: number, m = 1) => (x <= 1 ? 1 : 0.1 * m * Math.log(x) + 1);
    const att = p.attention_factor ?? (p.mscale && p.mscale_all_dim ? ms(s, p.mscale) / ms(s, p.mscale_all_dim) : ms(s));
    const dimFor = (rot: number) => (D * Math.log(L0 / (rot * 2 * Math.PI))) / (2 * Math.log(base));
    let [lo, hi] = [dimFor(p.beta_fast || 32), dimFor(p.beta_slow || 1)];
    if (p.truncate ?? true) [lo, hi] = [Math.floor(lo), Math.ceil(hi)];
    [lo, hi] = [Math.max(lo, 0), Math.min(hi, D - 1)];
    if (lo === hi) hi += 0.001;
    const inv = pos(base).map((f, i) => {
      const extra = 1 - Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
      return (1 / (s * f)) * (1 - extra) + (1 / f) * extra;
    });
    return { inv, att };
  }
  if (type === 'longrope') {
    const att = p.attention_factor ?? (s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(L0)));
    const ext: number[] = seqLen > L0 ? p.long_factor : p.short_factor;
    return { inv: pos(base).map((f, i) => 1 / (ext[i]! * f)), att };
  }
  throw new Error(`reference: rope_type ${type} is checked against transformers fixtures`);
}

/** Logits [T][V] of a decoder-only model (llama family, MoE relatives). */
export function decoderLogits(c: Record<string, any>, t: Tensors, ids: number[]): Mat {
  const type = c.model_type as string;
  const H = c.num_attention_heads as number;
  const Hkv = (c.num_key_value_heads ?? H) as number;
  const D = (c.head_dim ?? c.hidden_size / H) as number;
  const eps = c.rms_norm_eps as number;
  const act = ACT[c.hidden_act ?? 'silu']!;
  const inv = invFreq(c, D, ids.length);
  const emb = mat(t, 'model.embed_tokens.weight');
  let x: Mat = ids.map((i) => emb[i]!.slice());
  const bias = (n: string) => (has(t, `${n}.bias`) ? vec(t, `${n}.bias`) : undefined);
  const lin = (x: Mat, n: string) => linear(x, mat(t, `${n}.weight`), bias(n));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const h = rms(x, vec(t, `${p}.input_layernorm.weight`), eps);
    let q = lin(h, `${p}.self_attn.q_proj`);
    let k = lin(h, `${p}.self_attn.k_proj`);
    let v = lin(h, `${p}.self_attn.v_proj`);
    if (type === 'olmoe') {
      // OLMoE: RMSNorm over the whole projection, then clip_qkv.
      q = rms(q, vec(t, `${p}.self_attn.q_norm.weight`), eps);
      k = rms(k, vec(t, `${p}.self_attn.k_norm.weight`), eps);
      if (c.clip_qkv != null) [q, k, v] = [q, k, v].map((m) => m.map((r) => r.map((z) => Math.min(Math.max(z, -c.clip_qkv), c.clip_qkv))));
    }
    if (type === 'qwen3' || type === 'qwen3_moe') {
      // Qwen3: RMSNorm per head over head_dim.
      const perHead = (m: Mat, heads: number, w: number[]) => m.map((r) => Array.from({ length: heads }, (_, hh) => rms([r.slice(hh * D, (hh + 1) * D)], w, eps)[0]!).flat());
      q = perHead(q, H, vec(t, `${p}.self_attn.q_norm.weight`));
      k = perHead(k, Hkv, vec(t, `${p}.self_attn.k_norm.weight`));
    }
    q = rope(q, H, D, inv);
    k = rope(k, Hkv, D, inv);
    const layerType = c.layer_types?.[l] ?? (c.sliding_window != null && (type === 'mistral' || type === 'mixtral') ? 'sliding_attention' : 'full_attention');
    const window = layerType === 'sliding_attention' ? c.sliding_window : Infinity;
    const a = attention(q, k, v, H, Hkv, D, 1 / Math.sqrt(D), (i, j) => j <= i && i - j < window);
    x = add(x, lin(a, `${p}.self_attn.o_proj`));
    const h2 = rms(x, vec(t, `${p}.post_attention_layernorm.weight`), eps);
    const moePrefix = has(t, `${p}.block_sparse_moe.gate.weight`) ? `${p}.block_sparse_moe` : has(t, `${p}.mlp.gate.weight`) ? `${p}.mlp` : null;
    let y: Mat;
    if (moePrefix) {
      const k2 = c.num_experts_per_tok as number;
      const norm = type === 'mixtral' ? true : !!c.norm_topk_prob;
      const [g, u, d] = type === 'mixtral' ? ['w1', 'w3', 'w2'] : ['gate_proj', 'up_proj', 'down_proj'];
      const logits = linear(h2, mat(t, `${moePrefix}.gate.weight`));
      y = h2.map((row, ti) => {
        const probs = softmax(logits[ti]!);
        const top = probs.map((pr, e) => [pr, e] as const).sort((a1, b1) => b1[0] - a1[0] || a1[1] - b1[1]).slice(0, k2);
        const s = top.reduce((acc, [pr]) => acc + pr, 0);
        const out = new Array<number>(row.length).fill(0);
        for (const [pr, e] of top) {
          const w = norm ? pr / s : pr;
          const ex = `${moePrefix}.experts.${e}`;
          const hid = linear([row], mat(t, `${ex}.${g}.weight`))[0]!.map(act).map((z, i) => z * linear([row], mat(t, `${ex}.${u}.weight`))[0]![i]!);
          linear([hid], mat(t, `${ex}.${d}.weight`))[0]!.forEach((z, i) => (out[i]! += w * z));
        }
        if (has(t, `${moePrefix}.shared_expert.gate_proj.weight`)) {
          const se = `${moePrefix}.shared_expert`;
          const up = linear([row], mat(t, `${se}.up_proj.weight`))[0]!;
          const hid = linear([row], mat(t, `${se}.gate_proj.weight`))[0]!.map((z, i) => act(z) * up[i]!);
          const gate = 1 / (1 + Math.exp(-linear([row], mat(t, `${moePrefix}.shared_expert_gate.weight`))[0]![0]!));
          linear([hid], mat(t, `${se}.down_proj.weight`))[0]!.forEach((z, i) => (out[i]! += gate * z));
        }
        return out;
      });
    } else {
      const gate = lin(h2, `${p}.mlp.gate_proj`);
      const up = lin(h2, `${p}.mlp.up_proj`);
      y = lin(gate.map((r, i) => r.map((z, j) => act(z) * up[i]![j]!)), `${p}.mlp.down_proj`);
    }
    x = add(x, y);
  }
  x = rms(x, vec(t, 'model.norm.weight'), eps);
  const head = has(t, 'lm_head.weight') ? mat(t, 'lm_head.weight') : emb;
  return linear(x, head);
}

/** Logits [T][V] of GPT2LMHeadModel. */
export function gpt2Logits(c: Record<string, any>, t: Tensors, ids: number[]): Mat {
  const C = c.n_embd as number;
  const H = c.n_head as number;
  const D = C / H;
  const eps = c.layer_norm_epsilon ?? 1e-5;
  const act = ACT[c.activation_function ?? 'gelu_new']!;
  const wte = mat(t, 'transformer.wte.weight');
  const wpe = mat(t, 'transformer.wpe.weight');
  let x: Mat = ids.map((id, i) => wte[id]!.map((v, j) => v + wpe[i]![j]!));
  const cv = (x: Mat, n: string) => conv1d(x, mat(t, `${n}.weight`), vec(t, `${n}.bias`));
  const ln = (x: Mat, n: string) => layerNorm(x, vec(t, `${n}.weight`), vec(t, `${n}.bias`), eps);
  for (let l = 0; l < c.n_layer; l++) {
    const p = `transformer.h.${l}`;
    const qkv = cv(ln(x, `${p}.ln_1`), `${p}.attn.c_attn`);
    const [q, k, v] = [0, 1, 2].map((s) => qkv.map((r) => r.slice(s * C, (s + 1) * C)));
    let scale = c.scale_attn_weights === false ? 1 : 1 / Math.sqrt(D);
    if (c.scale_attn_by_inverse_layer_idx) scale /= l + 1;
    x = add(x, cv(attention(q!, k!, v!, H, H, D, scale, (i, j) => j <= i), `${p}.attn.c_proj`));
    x = add(x, cv(cv(ln(x, `${p}.ln_2`), `${p}.mlp.c_fc`).map((r) => r.map(act)), `${p}.mlp.c_proj`));
  }
  return linear(ln(x, 'transformer.ln_f'), has(t, 'lm_head.weight') ? mat(t, 'lm_head.weight') : wte);
}

/** BertModel's last_hidden_state [T][C] and pooler_output [C]. */
export function bertOutputs(c: Record<string, any>, t: Tensors, ids: number[], types: number[], mask: number[]): { hidden: Mat; pooled: number[] } {
  const C = c.hidden_size as number;
  const H = c.num_attention_heads as number;
  const D = C / H;
  const eps = c.layer_norm_eps ?? 1e-12;
  const act = ACT[c.hidden_act ?? 'gelu']!;
  const [we, pe, te] = ['word', 'position', 'token_type'].map((n) => mat(t, `embeddings.${n}_embeddings.weight`));
  const ln = (x: Mat, n: string) => layerNorm(x, vec(t, `${n}.weight`), vec(t, `${n}.bias`), eps);
  const lin = (x: Mat, n: string) => linear(x, mat(t, `${n}.weight`), vec(t, `${n}.bias`));
  let x = ln(ids.map((id, i) => we![id]!.map((v, j) => v + pe![i]![j]! + te![types[i]!]![j]!)), 'embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    const a = attention(lin(x, `${p}.attention.self.query`), lin(x, `${p}.attention.self.key`), lin(x, `${p}.attention.self.value`), H, H, D, 1 / Math.sqrt(D), (_i, j) => mask[j] === 1);
    const h = ln(add(lin(a, `${p}.attention.output.dense`), x), `${p}.attention.output.LayerNorm`);
    x = ln(add(lin(lin(h, `${p}.intermediate.dense`).map((r) => r.map(act)), `${p}.output.dense`), h), `${p}.output.LayerNorm`);
  }
  return { hidden: x, pooled: lin([x[0]!], 'pooler.dense')[0]!.map(Math.tanh) };
}
