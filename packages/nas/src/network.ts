// The macro skeleton shared by the supernet and the discrete networks (DARTS cnn/model_search.py
// `Network`): a stem, `layers` cells each fed the two previous outputs, a head. Conv: stem =
// 3×3 conv + BN to stemMultiplier·C channels, head = global average pool + Linear. Vector: stem =
// Linear, head = Linear.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, type ForwardContext, type Rng } from '@weft/core';
import { BatchNormNoAffine } from './batch-norm.js';
import type { CellShape } from './cell.js';
import { reductionLayers, type CellSpaceConfig } from './space.js';

/** The stem of a space. */
export class Stem extends Module {
  readonly proj: Module;
  readonly bn: BatchNormNoAffine | null;
  constructor(readonly space: CellSpaceConfig, rng: Rng) {
    super();
    const out = space.stemMultiplier * space.channels;
    if (space.space === 'conv') {
      this.proj = this.addModule('conv', new Conv2d({ inChannels: space.inChannels, outChannels: out, kernelSize: 3, padding: 1, bias: false }, rng));
      this.bn = this.addModule('bn', new BatchNormNoAffine());
    } else {
      this.proj = this.addModule('fc', new Linear({ inFeatures: space.inChannels, outFeatures: out }, rng));
      this.bn = null;
    }
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const last = x.shape[x.rank - 1];
    const rank = this.space.space === 'conv' ? 4 : 2;
    if (x.rank !== rank || last !== this.space.inChannels) {
      throw new Error(`Stem: x has shape [${x.shape}]; expected ${this.space.space === 'conv' ? '(B, H, W, inChannels)' : '(B, inFeatures)'} with inChannels=${this.space.inChannels}`);
    }
    const y = this.proj.forward(x, ctx);
    return this.bn ? this.bn.forward(y, ctx) : y;
  }
}

/** The head of a space: (conv) global average pool then Linear; (vector) Linear. */
export class Head extends Module {
  readonly fc: Linear;
  constructor(readonly space: CellSpaceConfig, inFeatures: number, rng: Rng) {
    super();
    this.fc = this.addModule('fc', new Linear({ inFeatures, outFeatures: space.numOutputs }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const pooled = this.space.space === 'conv' ? tf.mean(x, [1, 2]) : x; // (B, H, W, C) -> (B, C)
    return this.fc.forward(pooled, ctx);
  }
}

/** The sizes of every cell (DARTS' channel bookkeeping) and the head's input width. */
export function cellShapes(space: CellSpaceConfig, concatCount: number): { cells: CellShape[]; headIn: number } {
  const red = reductionLayers(space);
  let cCurr = space.stemMultiplier * space.channels;
  let cPP = cCurr;
  let cP = cCurr;
  cCurr = space.channels;
  let reductionPrev = false;
  const cells: CellShape[] = [];
  for (let i = 0; i < space.layers; i++) {
    if (red[i]) cCurr *= 2;
    cells.push({ cPrevPrev: cPP, cPrev: cP, c: cCurr, reduction: red[i]!, reductionPrev });
    reductionPrev = red[i]!;
    [cPP, cP] = [cP, concatCount * cCurr];
  }
  return { cells, headIn: cP };
}
