// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146: a child network
// assembled from a parent TinyTransformer ('lm' head) and one chosen variant per subblock; the
// parent's embeddings, final norm and head are shared (the same objects), and so are the subblocks
// kept in full. Also the parent's per-subblock inputs and outputs, which blockwise distillation uses.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, ModuleList, TinyTransformer, TransformerBlock, type Embedding } from '@weft/core';
import { checkRank } from '@weft/core/internal';
import type { Subblock } from './subblock.js';

/** A child block: x + attention(x), then + ffn(·). */
export class PuzzleBlock extends Module<tf.Tensor, tf.Tensor> {
  constructor(readonly attention: Subblock, readonly ffn: Subblock) {
    super();
    this.addModule('attention', attention);
    this.addModule('ffn', ffn);
  }

  /** (B, T, D) -> (B, T, D). */
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const h = this.attention.removed ? x : tf.add(x, this.attention.forward(x, ctx));
    return this.ffn.removed ? h : tf.add(h, this.ffn.forward(h, ctx));
  }
}

/** Throw unless `parent` is a TinyTransformer with an 'lm' head and plain TransformerBlocks; returns its blocks. */
export function puzzleParentBlocks(parent: TinyTransformer): TransformerBlock[] {
  if (!(parent instanceof TinyTransformer)) throw new Error('Puzzle: parent must be a TinyTransformer');
  if ((parent.config.head ?? 'lm') !== 'lm') throw new Error(`Puzzle: parent head='${parent.config.head}' must be 'lm'`);
  return parent.blocks.items.map((b, i) => {
    if (!(b instanceof TransformerBlock)) throw new Error(`Puzzle: parent block ${i} must be a TransformerBlock (got ${b.constructor.name})`);
    return b;
  });
}

/** Embed ids (B, T) with the parent's token and position tables: (B, T, D). */
function embed(parent: TinyTransformer, ids: tf.Tensor, ctx: ForwardContext): tf.Tensor {
  checkRank('Puzzle', 'ids', ids, 2, '(batch, time) int32 token ids');
  const T = ids.shape[1]!;
  if (T > parent.config.maxLen) throw new Error(`Puzzle: sequence length ${T} must be ≤ maxLen=${parent.config.maxLen}`);
  const pos = tf.slice(parent.positions.weight, [0, 0], [T, parent.dim]); // (maxLen, D) -> (T, D)
  return tf.add(parent.tokens.forward(ids, ctx), pos);
}

/** The parent's final norm and head on the stream (B, T, D) -> (B, T, V). */
function readout(parent: TinyTransformer, h: tf.Tensor, ctx: ForwardContext): tf.Tensor {
  const [B, T, D] = h.shape as [number, number, number];
  const z = parent.norm.forward(h, ctx);
  if (parent.head) return parent.head.forward(z, ctx);
  const logits = tf.matMul(tf.reshape(z, [B * T, D]), (parent.tokens as Module as Embedding).weight, false, true); // (B·T, D)·(V, D)ᵀ
  return tf.reshape(logits, [B, T, parent.config.vocabSize]); // (B·T, V) -> (B, T, V)
}

/** The input and output of each parent subblock on `ids` (the output is the residual branch, not the sum). */
export interface ParentStates {
  attentionIn: tf.Tensor[];
  attentionOut: tf.Tensor[];
  ffnIn: tf.Tensor[];
  ffnOut: tf.Tensor[];
}

/** Run the parent on ids (B, T) and keep every subblock's input and output, each (B, T, D). Call inside a tidy. */
export function parentStates(parent: TinyTransformer, ids: tf.Tensor): ParentStates {
  const blocks = puzzleParentBlocks(parent);
  const ctx = new ForwardContext({ training: false });
  const s: ParentStates = { attentionIn: [], attentionOut: [], ffnIn: [], ffnOut: [] };
  let h = embed(parent, ids, ctx);
  for (const b of blocks) {
    const a = b.attn.forward({ x: b.norm1.forward(h, ctx), attentionMask: null }, ctx);
    s.attentionIn.push(h);
    s.attentionOut.push(a);
    h = tf.add(h, a);
    const f = b.ffn.forward(b.norm2.forward(h, ctx), ctx);
    s.ffnIn.push(h);
    s.ffnOut.push(f);
    h = tf.add(h, f);
  }
  return s;
}

/**
 * A child of the parent: its embeddings, final norm and head, and `blocks` (one per parent block).
 * It owns nothing of its own: `dispose()` does nothing — dispose the parent and the variant library.
 */
export class PuzzleChild extends Module<tf.Tensor, tf.Tensor> {
  readonly blocks: ModuleList<PuzzleBlock>;

  constructor(readonly parent: TinyTransformer, blocks: PuzzleBlock[]) {
    super();
    const n = puzzleParentBlocks(parent).length;
    if (blocks.length !== n) throw new Error(`PuzzleChild: ${blocks.length} blocks given; the parent has ${n}`);
    this.addModule('tokens', parent.tokens);
    this.addModule('positions', parent.positions);
    this.blocks = this.addModule('blocks', new ModuleList(blocks));
    this.addModule('norm', parent.norm);
    if (parent.head) this.addModule('head', parent.head);
  }

  /** ids (B, T) int32 -> logits (B, T, vocabSize). */
  forward(ids: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    let h = embed(this.parent, ids, ctx);
    for (const b of this.blocks.items) h = b.forward(h, ctx);
    return readout(this.parent, h, ctx);
  }

  /** The child shares every parameter with the parent or the library: nothing to free here. */
  override dispose(): void {}
}
