// Node project: tfjs `wasm` (with Weft's training kernels) and `cpu`.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
