// Conv-kernel layouts shared by the adapters that factor a conv kernel (LoHa, LoKr, MoKA):
// Weft flattens a kernel [kh, kw, in, out] to [kh·kw·in, out] (rows ordered kh, kw, in), PyTorch
// flattens [out, in, kh, kw] to [out, in·kh·kw] (columns ordered in, kh, kw); LyCORIS' Tucker/CP form
// of a kernel (PEFT's use_effective_conv2d); and a Kronecker product whose right factor carries the
// kernel (PEFT's LoKr on Conv2d).
import * as tf from '@tensorflow/tfjs-core';

/** Weft rows [kh·kw·c, n] → PyTorch columns [n, c·kh·kw] (a conv kernel of c input channels flattened each way). */
export function weftRowsToTorch(m: tf.Tensor, kernel: [number, number], c: number): tf.Tensor2D {
  const [kh, kw] = kernel;
  const n = m.shape[1]!;
  return tf.reshape(tf.transpose(tf.reshape(m, [kh, kw, c, n]), [3, 2, 0, 1]), [n, c * kh * kw]); // (kh·kw·c, n) -> (kh, kw, c, n) -> (n, c, kh, kw) -> (n, c·kh·kw)
}

/** PyTorch columns [n, c·kh·kw] (or [n, c, kh, kw]) → Weft rows [kh·kw·c, n]; inverse of {@link weftRowsToTorch}. */
export function torchToWeftRows(m: tf.Tensor, kernel: [number, number], c: number): tf.Tensor2D {
  const [kh, kw] = kernel;
  const n = m.shape[0]!;
  return tf.reshape(tf.transpose(tf.reshape(m, [n, c, kh, kw]), [2, 3, 1, 0]), [kh * kw * c, n]); // (n, c·kh·kw) -> (n, c, kh, kw) -> (kh, kw, c, n) -> (kh·kw·c, n)
}

/**
 * The Tucker (CP) kernel of LyCORIS / PEFT's effective conv2d, Weft layout: core [kh, kw, r, r],
 * wIn [c, r], wOut [r, n] → [kh·kw·c, n] with ΔK[k, l, q, p] = Σᵢⱼ wIn[q, j] core[k, l, j, i] wOut[i, p]:
 * a 1×1 conv c→r, a kh×kw conv r→r and a 1×1 conv r→n composed. PEFT's (t, w_a, w_b) are
 * t[i, j, k, l] = core[k, l, j, i], w_a = wOut, w_b = wInᵀ (einsum "i j k l, j r, i p -> p r k l").
 */
export function tuckerKernel(core: tf.Tensor, wIn: tf.Tensor, wOut: tf.Tensor): tf.Tensor2D {
  const [kh, kw, r] = core.shape as [number, number, number, number];
  const c = wIn.shape[0]!;
  const cores = tf.reshape(core, [kh * kw, r, r]); // (kh, kw, r, r) -> (kh·kw, r, r)
  const left = tf.matMul(tf.broadcastTo(tf.expandDims(wIn, 0), [kh * kw, c, r]), cores); // (kh·kw, c, r)
  return tf.matMul(tf.reshape(left, [kh * kw * c, r]), wOut as tf.Tensor2D); // (kh·kw·c, r) -> (kh·kw·c, n)
}

/**
 * kron(k1, k2) for kernels, Weft layout: k1 [inM, outL], k2 [kh·kw·inN, outK] → [kh·kw·inM·inN, outL·outK]
 * with ΔK[k, l, m·inN + n, a·outK + b] = k1[m, a] · k2[k, l, n, b] (PyTorch's kron of w1 [outL, inM, 1, 1]
 * and w2 [outK, inN, kh, kw]). With a 1×1 kernel it is kron(k1, k2).
 */
export function kronKernel(k1: tf.Tensor, k2: tf.Tensor, kernel: [number, number]): tf.Tensor2D {
  const [inM, outL] = k1.shape as [number, number];
  const [kh, kw] = kernel;
  const inN = k2.shape[0]! / (kh * kw);
  const outK = k2.shape[1]!;
  // (1, inM, 1, outL, 1) · (kh·kw, 1, inN, 1, outK) -> (kh·kw, inM, inN, outL, outK) -> (kh·kw·in, out)
  const prod = tf.mul(tf.reshape(k1, [1, inM, 1, outL, 1]), tf.reshape(k2, [kh * kw, 1, inN, 1, outK]));
  return tf.reshape(prod, [kh * kw * inM * inN, outL * outK]);
}
