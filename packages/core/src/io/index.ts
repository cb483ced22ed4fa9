// Reading and writing tensors: safetensors (plain typed arrays, and tf.Tensor helpers).
export {
  SAFETENSORS_DTYPES,
  SAFETENSORS_MAX_HEADER_BYTES,
  SafetensorsError,
  safetensorsDtypeSize,
  type ParseSafetensorsOptions,
  type ParsedSafetensors,
  type SafetensorsData,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsInput,
} from './safetensors-format.js';
export { parseSafetensors } from './safetensors-reader.js';
export { serializeSafetensors } from './safetensors-writer.js';
export * from './tensors.js';
export * from './state-dict.js';
