// ResizeNearestNeighborGrad: tfjs cpu's is wrong when batch > 1 (it offsets dy by the image's batch
// stride) and both cpu's and wasm's ignore halfPixelCenters; this is the forward mapping's exact adjoint.
import { ResizeNearestNeighborGrad } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, ResizeNearestNeighborGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput } from './io.js';

const NAME = 'ResizeNearestNeighborGrad';

/** Source index of output index `i` along one axis, as tfjs's ResizeNearestNeighbor computes it. */
function sourceIndex(i: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
  let s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  if (halfPixelCenters) s = Math.max(0, s);
  return s;
}

/** `dx[b, src(oh), src(ow), c] += dy[b, oh, ow, c]` (NHWC, float32 out). */
export const resizeNearestNeighborGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { images, dy } = inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as unknown as ResizeNearestNeighborGradAttrs;
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertRank(NAME, 'images', images, 4);
  assertRank(NAME, 'dy', dy, 4);
  const [B, H, W, C] = images.shape as [number, number, number, number];
  const [, OH, OW] = dy.shape as [number, number, number, number];
  if (dy.shape[0] !== B || dy.shape[3] !== C) {
    throw new Error(`${NAME}: dy has shape [${dy.shape.join(', ')}]; for images [${images.shape.join(', ')}] it must be [${B}, newHeight, newWidth, ${C}]`);
  }
  const rows = Int32Array.from({ length: OH }, (_, i) => sourceIndex(i, H, OH, !!alignCorners, !!halfPixelCenters));
  const cols = Int32Array.from({ length: OW }, (_, i) => sourceIndex(i, W, OW, !!alignCorners, !!halfPixelCenters));
  return computeOutput(NAME, backend, images.shape, 'float32', [dy], (dx, dys) => {
    const dv = dys!;
    let o = 0;
    for (let b = 0; b < B; b++) {
      for (let oh = 0; oh < OH; oh++) {
        const rowBase = (b * H + rows[oh]!) * W;
        for (let ow = 0; ow < OW; ow++) {
          const xo = (rowBase + cols[ow]!) * C;
          for (let c = 0; c < C; c++) dx[xo + c] += dv[o++]!;
        }
      }
    }
  });
};

/** Weft's ResizeNearestNeighborGrad for `backendName` (`wasm` or `cpu`; replaces tfjs's). */
export function resizeNearestNeighborGradConfig(backendName: string): KernelConfig {
  return { kernelName: ResizeNearestNeighborGrad, backendName, kernelFunc: resizeNearestNeighborGrad };
}
