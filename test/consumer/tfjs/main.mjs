// A user's Node app built on the @tensorflow/tfjs umbrella package that adds @weft/core. Weft
// declares tfjs as a peer dependency, so the install holds one tfjs-core and the process one
// engine: the app's tensors go through Weft's layers, Weft's backend choice is the app's, and the
// app's optimiser trains Weft's parameters. @weft/core is imported first on purpose: the umbrella
// registers tfjs's gradients again when it loads, and Weft's gradient fixes must survive that.
// Prints one line `RESULT {json}` for test/consumer/consumers.test.ts; exits 1 on the first failure.
import { ForwardContext, Linear, Rng, initBackend } from '@weft/core';
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function check(ok, message) {
  if (!ok) {
    console.error(`consumer-tfjs: ${message}`);
    process.exit(1);
  }
}

// One tfjs-core on disk: the one @weft/core resolves is the one the umbrella resolves.
const fromWeft = createRequire(fileURLToPath(import.meta.resolve('@weft/core')));
const fromTfjs = createRequire(fileURLToPath(import.meta.resolve('@tensorflow/tfjs')));
const coreOfWeft = realpathSync(fromWeft.resolve('@tensorflow/tfjs-core'));
const coreOfTfjs = realpathSync(fromTfjs.resolve('@tensorflow/tfjs-core'));
check(coreOfWeft === coreOfTfjs, `two tfjs-core copies: Weft's ${coreOfWeft}, tfjs's ${coreOfTfjs}`);

// One engine: the tfjs-core module Weft imports hands out the app's engine.
const weftTf = fromWeft('@tensorflow/tfjs-core');
check(weftTf.engine() === tf.engine(), "Weft's tfjs-core engine is not the app's tf.engine()");

// Weft picks the backend; the app sees that choice.
const report = await initBackend({ prefer: ['cpu'] });
check(tf.getBackend() === report.backend, `Weft initialised ${report.backend}, the app's tf.getBackend() says ${tf.getBackend()}`);

// A tensor made by the app's tf goes through a Weft layer; the app's engine counts its output.
const layer = new Linear({ inFeatures: 3, outFeatures: 2 }, new Rng(1));
const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
const tensorsBefore = tf.memory().numTensors;
const y = tf.tidy(() => layer.forward(x, new ForwardContext())); // the app's tidy frees Weft's intermediates
check(y instanceof tf.Tensor, 'the Weft layer did not return a tensor of the app\'s tf');
check(tf.memory().numTensors === tensorsBefore + 1, `the app's engine counted ${tf.memory().numTensors - tensorsBefore} new tensors for one layer output`);
const expected = tf.add(tf.matMul(x, layer.weight), layer.bias);
const diff = (await tf.max(tf.abs(tf.sub(y, expected))).data())[0];
check(diff < 1e-6, `the Weft layer's output differs from x·W + b by ${diff}`);

// The app's optimiser trains Weft's parameters (the umbrella's tf.train on Weft's variables).
const target = tf.tensor2d([[1, 0], [0, 1]]);
const optimizer = tf.train.adam(0.05);
const lossOf = () => tf.losses.meanSquaredError(target, layer.forward(x, new ForwardContext()));
const first = (await tf.tidy(lossOf).data())[0];
for (let i = 0; i < 100; i++) tf.dispose(optimizer.minimize(lossOf, true, layer.parameters()));
const last = (await tf.tidy(lossOf).data())[0];
check(last < first / 2, `the app's optimiser on Weft's parameters: loss ${first} -> ${last}`);

// Weft's gradient fixes hold after the umbrella loaded: broadcast BatchMatMul (tfjs 4.22's own
// gradient returns the broadcast shape and tfjs throws).
const a = tf.ones([2, 3, 4]);
const b = tf.ones([4, 5]);
const gb = tf.grad((bb) => tf.sum(tf.matMul(a, bb)))(b);
check(gb.shape.join() === '4,5', `broadcast matMul gradient has shape [${gb.shape}], want [4,5]`);

const result = { tfjsCore: coreOfWeft, backend: report.backend, sameEngine: true, loss: { first, last }, broadcastGradShape: gb.shape, numTensors: tf.memory().numTensors };
console.log(`RESULT ${JSON.stringify(result)}`);
