// Reads a pasted transformers `config.json` (untrusted text): bounded size, JSON syntax, then the same
// field checks as a typed config. The family is chosen by `model_type`, or by `architectures[0]` when
// `model_type` is missing.

import { CalculatorError } from './arith.js';
import { countResolved } from './count.js';
import type { CountOptions, ModelConfig, ParamReport, SupportedModelType } from './types.js';
import { CALCULATOR_LIMITS, resolveConfig, type ResolvedConfig } from './validate.js';

function parseObject(text: string): Record<string, unknown> {
  if (typeof text !== 'string') {
    throw new CalculatorError(`config.json: expected the file's text as a string, got ${typeof text}`);
  }
  if (text.length > CALCULATOR_LIMITS.maxConfigChars) {
    throw new CalculatorError(
      `config.json: ${text.length} characters is too long: expected at most ${CALCULATOR_LIMITS.maxConfigChars}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CalculatorError(`config.json: not valid JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CalculatorError(
      `config.json: expected a JSON object with a model_type, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/** Parses and checks a pasted `config.json`; returns the resolved config (every default filled in). */
export function resolveConfigJson(text: string): ResolvedConfig {
  return resolveConfig(parseObject(text), 'config.json');
}

/**
 * Parses and checks a pasted `config.json` and returns it as a typed config (the original object, with
 * `model_type` filled in from `architectures` if it was missing). Throws a `CalculatorError` that names
 * the field, the value and what is allowed.
 */
export function parseConfigJson(text: string): ModelConfig {
  const obj = parseObject(text);
  const resolved = resolveConfig(obj, 'config.json');
  return { ...obj, model_type: resolved.modelType } as unknown as ModelConfig;
}

/** `countParams` for a pasted `config.json`. */
export function countParamsFromJson(text: string, options: CountOptions = {}): ParamReport {
  return countResolved(resolveConfigJson(text), options);
}

/** Multimodal `model_type`s whose language model is a `text_config` the calculator counts. */
export const MULTIMODAL_TEXT_TYPES: Readonly<Record<string, SupportedModelType>> = { gemma3: 'gemma3_text', llama4: 'llama4_text' };

/**
 * The language model of a pasted multimodal `config.json` (Gemma 3, Llama 4): its `text_config`, with
 * `model_type` filled in and the wrapper's `tie_word_embeddings` (which decides the head's tying in
 * `…ForConditionalGeneration`) when the text_config has none. The vision encoder and projector are not
 * part of it. Null when `text` is not such a config; throws like `parseConfigJson` when the text_config is invalid.
 */
export function textModelOfJson(text: string): { wrapper: string; config: ModelConfig } | null {
  const obj = parseObject(text);
  const wrapper = obj['model_type'];
  const inner = obj['text_config'];
  if (typeof wrapper !== 'string' || !Object.hasOwn(MULTIMODAL_TEXT_TYPES, wrapper)) return null;
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return null;
  const textConfig: Record<string, unknown> = { model_type: MULTIMODAL_TEXT_TYPES[wrapper], ...(inner as Record<string, unknown>) };
  if (!Object.hasOwn(textConfig, 'tie_word_embeddings') && typeof obj['tie_word_embeddings'] === 'boolean') {
    textConfig['tie_word_embeddings'] = obj['tie_word_embeddings'];
  }
  const resolved = resolveConfig(textConfig, 'config.json text_config');
  return { wrapper, config: { ...textConfig, model_type: resolved.modelType } as unknown as ModelConfig };
}
