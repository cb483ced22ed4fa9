// Applying a sharing plan: K block objects placed into L slots (the same object in several slots
// is sharing — Weft's modules share by identity, so the ledger reports stored vs effective with no
// bookkeeping). Used by the Transformer, MLP and CNN builders of this folder.
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@weft/core';
import { planSlots, type SharingPlan, type SlotMap } from './plans.js';
import { describeValue } from '@weft/core';

/**
 * Place `blocks` into slots by `slots` (entry i = index of the block used at slot i). Throws when a
 * slot references a missing block, when a block is never used, or — given `shapeOf` — when two slots
 * that share a block need different shapes.
 */
export function placeBlocks<M>(slots: SlotMap, blocks: readonly M[], shapeOf?: (slot: number) => string, blockShape?: (block: M) => string): M[] {
  if (!Array.isArray(slots) || slots.length === 0) throw new Error(`placeBlocks: slots=${describeValue(slots)} must be a non-empty array of block indices`);
  if (blocks.length === 0) throw new Error('placeBlocks: blocks is empty; give at least one block');
  const used = new Set<number>();
  const firstSlot = new Map<number, number>();
  const out = slots.map((b, i) => {
    if (!Number.isInteger(b) || b < 0 || b >= blocks.length) {
      throw new Error(`placeBlocks: slot ${i} uses block ${describeValue(b)}, which does not exist (there are ${blocks.length} blocks, 0..${blocks.length - 1})`);
    }
    used.add(b);
    if (shapeOf) {
      const first = firstSlot.get(b);
      if (first === undefined) firstSlot.set(b, i);
      else if (shapeOf(first) !== shapeOf(i)) {
        throw new Error(`placeBlocks: slots ${first} and ${i} share block ${b} but need shapes ${shapeOf(first)} and ${shapeOf(i)}; only slots of the same shape can share`);
      }
      if (blockShape && blockShape(blocks[b]!) !== shapeOf(i)) {
        throw new Error(`placeBlocks: block ${b} has shape ${blockShape(blocks[b]!)} but slot ${i} needs ${shapeOf(i)}`);
      }
    }
    return blocks[b]!;
  });
  for (let b = 0; b < blocks.length; b++) {
    if (!used.has(b)) throw new Error(`placeBlocks: block ${b} is used by no slot (slots=${describeValue(slots)}); drop it or use it`);
  }
  return out;
}

/**
 * Build the blocks of a plan and place them: `make(block, firstSlot)` is called once per unique
 * block (in order of first use), with the first slot that uses it. Returns the L slot entries.
 */
export function buildShared<M>(plan: SharingPlan, depth: number, make: (block: number, firstSlot: number) => M, shapeOf?: (slot: number) => string): M[] {
  const slots = planSlots(plan, depth);
  const k = Math.max(...slots) + 1;
  const first = Array.from({ length: k }, (_, b) => slots.indexOf(b));
  if (shapeOf) placeBlocks(slots, first, shapeOf); // shape check before any tensor is made
  const blocks = first.map((s, b) => make(b, s));
  return placeBlocks(slots, blocks);
}

/** Apply a plan to a list of K user-made modules: returns L slot entries (sharing by identity). */
export function applyPlan<M extends Module<any, tf.Tensor>>(plan: SharingPlan, depth: number, blocks: readonly M[]): M[] {
  return placeBlocks(planSlots(plan, depth), blocks);
}
