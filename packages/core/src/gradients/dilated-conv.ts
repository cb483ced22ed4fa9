// tfjs 4.22 refuses the gradients of Conv2D and DepthwiseConv2dNative for dilations > 1. A dilated
// convolution equals a plain one with the kernel spread by zeros, so Weft runs tfjs's own
// gradient on the spread kernel and reads the filter gradient back at the kernel's taps.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Spread a kernel [kh, kw, I, O] to [(kh−1)·dh+1, (kw−1)·dw+1, I, O] with zeros between taps, so a
 * plain convolution computes the dilated one.
 */
export function dilateKernel(w: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  if (dh === 1 && dw === 1) return w;
  const [kh, kw, I, O] = w.shape;
  let t: tf.Tensor = tf.reshape(w, [kh, 1, kw, I * O]); // (kh, kw, I, O) -> (kh, 1, kw, I·O)
  t = tf.pad(t, [[0, 0], [0, dh - 1], [0, 0], [0, 0]]); // (kh, dh, kw, I·O)
  t = tf.reshape(t, [kh * dh, kw, I * O]); // (kh·dh, kw, I·O)
  const KH = (kh - 1) * dh + 1;
  t = tf.slice(t, [0, 0, 0], [KH, kw, I * O]); // (KH, kw, I·O)
  t = tf.reshape(t, [KH, kw, 1, I * O]); // (KH, kw, 1, I·O)
  t = tf.pad(t, [[0, 0], [0, 0], [0, dw - 1], [0, 0]]); // (KH, kw, dw, I·O)
  t = tf.reshape(t, [KH, kw * dw, I * O]); // (KH, kw·dw, I·O)
  const KW = (kw - 1) * dw + 1;
  t = tf.slice(t, [0, 0, 0], [KH, KW, I * O]); // (KH, KW, I·O)
  return tf.reshape(t, [KH, KW, I, O]); // (KH, KW, I·O) -> (KH, KW, I, O)
}

function pairOf(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Wrap tfjs's gradient of a convolution kernel so dilations > 1 are differentiated too. */
export function withDilation(kernelName: 'Conv2D' | 'DepthwiseConv2dNative'): tf.GradConfig {
  const original = tf.getGradient(kernelName);
  if (!original) throw new Error(`withDilation: tfjs has no gradient for ${kernelName}`);
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as { dilations: number | [number, number]; dataFormat?: string };
      const [dh, dw] = pairOf(a.dilations ?? 1);
      if (dh === 1 && dw === 1) return original.gradFunc(dy, saved, attrs);
      if (a.dataFormat && a.dataFormat !== 'NHWC') {
        throw new Error(`${kernelName} gradient: dilations=${a.dilations} needs dataFormat NHWC, got ${a.dataFormat}`);
      }
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const spread = dilateKernel(filter, [dh, dw]);
      const grads = original.gradFunc(dy, [x, spread], { ...attrs, dilations: [1, 1] } as unknown as tf.NamedAttrMap);
      return {
        x: () => grads.x!(),
        filter: () => {
          const g = grads.filter!() as tf.Tensor4D; // (KH, KW, I, O): keep the taps every d apart
          return tf.stridedSlice(g, [0, 0, 0, 0], g.shape, [dh, dw, 1, 1]);
        },
      };
    },
  };
}
