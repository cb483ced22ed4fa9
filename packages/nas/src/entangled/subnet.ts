// A subnet of a weight-entangled supernet as a standalone network (Once-for-All, arXiv
// 1908.09791: "extract the subnet and deploy"): plain core Linear/Conv2d layers holding copies of
// the supernet's slices, so its forward equals the supernet's in that subnet's mode and its
// ledger counts exactly the subnet's parameters.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, ModuleList, Rng, type ForwardContext } from '@weft/core';
import { activationOf, validateSubnet, type EntangledSpaceConfig, type SubnetConfig } from './space.js';
import { activate } from '../vector-ops.js';
import type { EntangledSupernet } from './supernet.js';

/** A standalone subnet network (freshly initialised, or copied from a supernet by {@link extractSubnet}). */
export class SubnetNetwork extends Module {
  readonly layers: ModuleList;
  readonly head: Linear;

  constructor(readonly space: EntangledSpaceConfig, readonly subnet: SubnetConfig, rng: Rng = new Rng(0)) {
    super();
    validateSubnet(space, subnet);
    const layers: Module[] = [];
    let cin = space.inFeatures;
    for (let l = 0; l < subnet.depth; l++) {
      const w = subnet.widths[l]!;
      if (space.kind === 'cnn') {
        const k = subnet.kernels![l]!;
        layers.push(new Conv2d({ inChannels: cin, outChannels: w, kernelSize: k, padding: (k - 1) / 2 }, rng));
      } else layers.push(new Linear({ inFeatures: cin, outFeatures: w }, rng));
      cin = w;
    }
    this.layers = this.addModule('layers', new ModuleList(layers));
    this.head = this.addModule('head', new Linear({ inFeatures: cin, outFeatures: space.numOutputs }, rng));
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    let h = x;
    this.layers.items.forEach((l, i) => {
      h = activate(activationOf(this.space, this.subnet, i), l.forward(h, ctx), ctx);
    });
    if (this.space.kind === 'cnn') h = tf.mean(h, [1, 2]); // (B, H, W, C) -> (B, C)
    return this.head.forward(h, ctx);
  }
}

/** Copy a subnet's slices out of an entangled supernet into a standalone network. */
export function extractSubnet(net: EntangledSupernet, subnet: SubnetConfig): SubnetNetwork {
  const s = net.space;
  const out = new SubnetNetwork(s, subnet);
  const K = s.kind === 'cnn' ? s.kernelChoices.at(-1)! : 1;
  tf.tidy(() => {
    let cin = s.inFeatures;
    out.layers.items.forEach((layer, l) => {
      const w = subnet.widths[l]!;
      const ps = [...layer.ownParameters().values()];
      if (s.kind === 'cnn') {
        const k = subnet.kernels![l]!;
        const o = (K - k) / 2;
        ps[0]!.assign(tf.slice(net.weights[l]!, [o, o, 0, 0], [k, k, cin, w]));
      } else ps[0]!.assign(tf.slice(net.weights[l]!, [0, 0], [cin, w]));
      ps[1]!.assign(tf.slice(net.biases[l]!, [0], [w]));
      cin = w;
    });
    out.head.weight.assign(tf.slice(net.headWeight, [0, 0], [cin, s.numOutputs]));
    out.head.bias!.assign(net.headBias);
  });
  return out;
}
