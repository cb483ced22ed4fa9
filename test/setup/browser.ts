// Browser project (Chromium with --enable-unsafe-webgpu): tfjs `webgpu` and `webgl`.
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
