// tfjs-core's gradients and chained ops (`x.add(y)`), which its main entry leaves out. @weft/core
// imports this file as `#tfjs-registrations` (package.json "imports"): bundlers get this file,
// which imports tfjs-core's own ES modules, so an app's bundle holds them once, shared with
// `@tensorflow/tfjs` if the app uses it. Plain Node cannot load those modules (extensionless
// imports in a package that is not "type": "module"), so under the "node" condition the import
// resolves to dist/tfjs-registrations.node.js instead: the same two files bundled at build time by
// scripts/bundle-node-registrations.mjs, as `@tensorflow/tfjs`'s own Node bundle does. Both
// register into tfjs's global registries, so they act on the one engine whichever tfjs-core copy
// (CommonJS in Node, ESM in a bundler) made it.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
