// KV caching for generation with a token-choice Mixture-of-Recursions ("Mixture-of-Recursions",
// Bae et al., arXiv:2507.10524): one sequence decoded token by token, the router picking each new
// token's depth from its input. Recursion-wise caching keeps one cache per recursion and a token
// writes its K/V only into the caches of the recursions it runs; with KV sharing ('shared') only the
// first recursion's cache exists and every recursion reads it. The outputs equal the full-sequence
// forward's (causal block); `entries` counts the K/V entries held. Expert-choice routing is refused:
// its top-k over the whole sequence is not causal (the paper decodes it by thresholding the router).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, describeValue } from '@weft/core';
import type { MixtureOfRecursions } from './mixture-of-recursions.js';
import { blockAttendingKV, kvBlock, projectKV, type BlockKV } from './recursion-kv.js';

/** Per-recursion K/V caches of one sequence being decoded through a token-choice {@link MixtureOfRecursions}. */
export class MoRKVCache {
  private readonly caches: (BlockKV | null)[];
  private readonly depths: number[] = [];

  constructor(readonly mor: MixtureOfRecursions) {
    const W = 'MoRKVCache';
    if (mor.settings.routing !== 'token-choice') throw new Error(`${W}: routing=${describeValue(mor.settings.routing)} is not causal at decoding time; only 'token-choice' is cached`);
    const block = kvBlock(W, 'caching', mor.block);
    if (!block.attn.causal) throw new Error(`${W}: the shared block is bidirectional (causal=false); a cache decodes causal blocks only`);
    this.caches = Array.from({ length: mor.settings.kv === 'shared' ? 1 : mor.settings.maxRecursions }, () => null);
  }

  /** Tokens decoded so far. */
  get length(): number {
    return this.depths.length;
  }

  /** Depth (recursions run) of each decoded token. */
  get tokenDepths(): readonly number[] {
    return this.depths;
  }

  /** K/V entries held (token × recursion pairs): Σ depths (recursion-wise) or the token count (shared). */
  get entries(): number {
    return this.caches.reduce((s, c) => s + (c ? c.k.shape[2]! : 0), 0);
  }

  /** The next token's state after the recursions its depth asks for: `x` (1, 1, dim) -> (1, 1, dim). Reads the routed depth back (one number). */
  async step(x: tf.Tensor): Promise<tf.Tensor> {
    const D = this.mor.config.dim;
    if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[0] !== 1 || x.shape[1] !== 1 || x.shape[2] !== D) {
      throw new Error(`MoRKVCache.step: x has shape [${x instanceof tf.Tensor ? x.shape : describeValue(x)}]; expected [1, 1, ${D}] (one token of one sequence)`);
    }
    const Nr = this.mor.settings.maxRecursions;
    const ctx = new ForwardContext({ training: false });
    const probs = tf.tidy(() => tf.reshape(tf.softmax(this.mor.routers.at(0).forward(x, ctx), -1), [Nr])); // (1, 1, Nr) -> (Nr)
    const p = await probs.data();
    probs.dispose();
    let depth = 0;
    for (let d = 1; d < Nr; d++) if (p[d]! > p[depth]!) depth = d; // argmax, first on ties (as tf.argMax)
    const gate = p[depth]!;
    depth += 1;
    this.depths.push(depth);
    const block = this.mor.block as Parameters<typeof projectKV>[0];
    let h = tf.clone(x);
    for (let r = 0; r < depth; r++) {
      const c = this.caches.length === 1 ? 0 : r;
      if (c === r) {
        const [k, v] = tf.tidy(() => {
          const kv = projectKV(block, h, ctx);
          return [kv.k, kv.v];
        });
        this.append(c, { k: k!, v: v! });
      }
      const next = tf.tidy(() => tf.add(h, tf.mul(gate, tf.sub(blockAttendingKV(block, h, this.caches[c]!, null, ctx), h))));
      h.dispose();
      h = next;
    }
    return h;
  }

  private append(c: number, kv: BlockKV): void {
    const old = this.caches[c];
    if (!old) {
      this.caches[c] = kv;
      return;
    }
    this.caches[c] = { k: tf.concat([old.k, kv.k], 2), v: tf.concat([old.v, kv.v], 2) }; // along time: (1, Hkv, n, d) + (1, Hkv, 1, d)
    tf.dispose([old.k, old.v, kv.k, kv.v]);
  }

  /** Free the cached tensors. */
  dispose(): void {
    for (const c of this.caches) if (c) tf.dispose([c.k, c.v]);
    this.caches.fill(null);
  }
}
