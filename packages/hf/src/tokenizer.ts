// Tokenization of a checkpoint's tokenizer.json (+ tokenizer_config.json) through Hugging Face's own
// JS tokenizers library (@huggingface/tokenizers, the one transformers.js uses: pure JS, no
// dependencies, no network), not a hand-written BPE. The files are untrusted: size-limited, parsed
// here, and any failure is reported naming the file.
import { Tokenizer } from '@huggingface/tokenizers';
import { describeValue } from '@weft/core';
import { HfFileError, readText, type HfFiles } from './files.js';

const MAX_CHARS = 100_000_000;

/** A checkpoint's tokenizer: text ⇄ token ids. */
export class HfTokenizer {
  private constructor(private readonly tok: Tokenizer, readonly vocabSize: number) {}

  /** Build from the parsed tokenizer.json and (optional) tokenizer_config.json objects. */
  static fromJson(tokenizer: unknown, config: unknown = {}): HfTokenizer {
    if (typeof tokenizer !== 'object' || tokenizer === null || Array.isArray(tokenizer)) throw new HfFileError('tokenizer.json', `must be a JSON object, got ${describeValue(tokenizer)}`);
    const model = (tokenizer as { model?: unknown }).model;
    if (typeof model !== 'object' || model === null) throw new HfFileError('tokenizer.json', `field model=${describeValue(model)} must be an object (the tokenizer model: BPE, WordPiece, Unigram, …)`);
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new HfFileError('tokenizer_config.json', `must be a JSON object, got ${describeValue(config)}`);
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(tokenizer, config);
    } catch (e) {
      throw new HfFileError('tokenizer.json', `is not a tokenizer @huggingface/tokenizers can build (${(e as Error).message})`);
    }
    const vocab = (model as { vocab?: unknown }).vocab;
    const added = (tokenizer as { added_tokens?: Array<{ id?: unknown }> }).added_tokens ?? [];
    const ids = [
      ...(Array.isArray(vocab) ? vocab.map((_, i) => i) : typeof vocab === 'object' && vocab !== null ? Object.values(vocab as Record<string, number>) : []),
      ...(Array.isArray(added) ? added.map((a) => a?.id) : []),
    ].filter((v): v is number => typeof v === 'number');
    return new HfTokenizer(tok, ids.length ? Math.max(...ids) + 1 : 0);
  }

  /** Text → ids (with the tokenizer's special tokens, e.g. BOS, unless `addSpecialTokens` is false). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    if (typeof text !== 'string') throw new Error(`HfTokenizer.encode: text must be a string, got ${describeValue(text)}`);
    return this.tok.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Ids → text (special tokens left out unless `skipSpecialTokens` is false). */
  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.tok.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? true });
  }
}

async function readJson(files: HfFiles, name: string): Promise<unknown> {
  const text = await readText(files, name);
  if (text === undefined) return undefined;
  if (text.length > MAX_CHARS) throw new HfFileError(name, `is ${text.length} characters; at most ${MAX_CHARS} allowed`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HfFileError(name, `is not valid JSON (${(e as Error).message})`);
  }
}

/** The tokenizer of a checkpoint directory (tokenizer.json, and tokenizer_config.json when present). */
export async function loadTokenizer(files: HfFiles): Promise<HfTokenizer> {
  const json = await readJson(files, 'tokenizer.json');
  if (json === undefined) throw new HfFileError('tokenizer.json', 'is missing');
  return HfTokenizer.fromJson(json, (await readJson(files, 'tokenizer_config.json')) ?? {});
}
