// The fine-tune page's lab: a transformers checkpoint (a folder the user picks — read in the tab,
// never uploaded — or a tiny random llama with a character tokenizer built here), its ledger and
// memory figures, text generation with the KV cache, LoRA fine-tuning on pasted text or JSONL
// (next-token cross-entropy on random windows), and downloads: the PEFT adapter and the merged
// model in transformers' layout. No UI here: the page runs `finetune` as a TrainingController job.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, makeOptimizer, parameterLedger, softmaxCrossEntropy, train, type TrainProgress, type TrainResult } from '@weft/core';
import { adapterNames, deleteAdapter, injectAdapter, mergeAdapters, savePeftAdapter, unmergeAdapters, type PeftAdapterOutput } from '@weft/sharing';
import {
  HfTokenizer, buildTransformersModel, generate, loadTokenizer, loadTransformers, saveTransformers, transformersPath,
  type CausalLM, type HfFiles, type CheckpointMemory, type SavedTransformers, type TransformersModel,
} from '@weft/hf';

/** The adapter's name on the model. */
const ADAPTER = 'default';
/** Characters of the demo tokenizer: printable ASCII and newline. */
const DEMO_CHARS = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\n'];

/** tokenizer.json of a character tokenizer (a BPE model with no merges): <unk>, <s>, </s>, then {@link DEMO_CHARS}. */
export function charTokenizerJson(): Record<string, unknown> {
  const specials = ['<unk>', '<s>', '</s>'];
  const vocab: Record<string, number> = {};
  [...specials, ...DEMO_CHARS].forEach((c, i) => (vocab[c] = i));
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null, pre_tokenizer: null, post_processor: null, decoder: { type: 'Fuse' },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}

/** config.json of the demo model: a 2-layer llama sized for the character tokenizer. */
export function demoConfig(): Record<string, unknown> {
  return {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: 3 + DEMO_CHARS.length, hidden_size: 64, intermediate_size: 172,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, rms_norm_eps: 1e-5,
    tie_word_embeddings: true, bos_token_id: 1, eos_token_id: 2,
  };
}

/** Training text from what the user pasted: JSONL lines with "text" (or "prompt" + "completion"), else the text itself. */
export function trainingText(input: string): string {
  const lines = input.split('\n').filter((l) => l.trim() !== '');
  const json = lines.length > 0 && lines.every((l) => l.trim().startsWith('{'));
  if (!json) return input;
  return lines
    .map((l, i) => {
      let o: unknown;
      try {
        o = JSON.parse(l);
      } catch (e) {
        throw new Error(`JSONL line ${i + 1} is not valid JSON (${(e as Error).message})`);
      }
      const r = o as Record<string, unknown>;
      if (typeof r['text'] === 'string') return r['text'];
      if (typeof r['prompt'] === 'string' && typeof r['completion'] === 'string') return r['prompt'] + r['completion'];
      throw new Error(`JSONL line ${i + 1} has neither "text" nor "prompt" and "completion" strings`);
    })
    .join('\n');
}

/** What the page shows about the model. */
export interface ModelSummary {
  /** Where it came from ("demo" or the folder name). */
  source: string;
  modelType: string;
  layers: number;
  hidden: number;
  vocab: number;
  /** Parameters of the checkpoint (the ledger's stored count without the adapter). */
  stored: number;
  /** Trainable parameters now (the adapter's once one is attached). */
  trainable: number;
  /** Memory figures (from the safetensors headers for a loaded folder; from the built weights for the demo). */
  memory: CheckpointMemory;
}

/** Settings of one fine-tuning run. */
export interface FinetuneSettings {
  steps: number;
  r: number;
  learningRate: number;
  /** Tokens per training window. */
  window: number;
  /** Windows per step. */
  batch: number;
  seed: number;
}

/** A generation's text and speed. */
export interface GenerationResult {
  text: string;
  tokens: number;
  tokensPerSecond: number;
}

/** The lab: one model and its tokenizer. */
export class FinetuneLab {
  private disposed = false;
  private optimizer: tf.Optimizer | null = null;
  private data: Int32Array | null = null;

  /** Parameters of the checkpoint itself. */
  readonly baseParams: number;

  private constructor(readonly hf: TransformersModel & { memory: CheckpointMemory }, readonly tokenizer: HfTokenizer, readonly source: string) {
    this.baseParams = parameterLedger(hf.model).totals.stored;
  }

  /** The demo: a tiny random llama (seeded) and a character tokenizer. */
  static demo(seed = 0): FinetuneLab {
    const built = buildTransformersModel(demoConfig(), seed);
    const params = built.model.parameters().reduce((n, v) => n + v.size, 0);
    const memory: CheckpointMemory = { parameters: params, fileBytes: 0, weightBytes: 4 * params, peakBytes: 4 * params, largestTensorBytes: 4 * Math.max(...built.model.parameters().map((v) => v.size)), calculator: null };
    return new FinetuneLab({ ...built, memory }, HfTokenizer.fromJson(charTokenizerJson()), 'demo');
  }

  /** A checkpoint folder: config.json, model.safetensors (or an index and shards) and tokenizer.json. */
  static async fromFiles(files: HfFiles, source: string): Promise<FinetuneLab> {
    const tokenizer = await loadTokenizer(files);
    const loaded = await loadTransformers(files);
    if (loaded.spec.kind === 'bert') {
      loaded.model.dispose();
      throw new Error('config.json: model_type "bert" is an encoder; this page generates text, so pick a causal LM (llama, mistral, qwen2/3, mixtral, qwen-moe, olmoe, gpt2)');
    }
    return new FinetuneLab(loaded, tokenizer, source);
  }

  /** The causal LM. */
  get model(): CausalLM {
    return this.hf.model as CausalLM;
  }

  /** Ledger and memory figures. */
  summary(): ModelSummary {
    const totals = parameterLedger(this.model).totals;
    const s = this.hf.spec as TransformersModel['spec'] & { numLayers: number; hidden: number; vocabSize: number };
    return { source: this.source, modelType: s.modelType, layers: s.numLayers, hidden: s.hidden, vocab: s.vocabSize, stored: this.baseParams, trainable: totals.trainable, memory: this.hf.memory };
  }

  /** Whether a LoRA adapter is attached. */
  get hasAdapter(): boolean {
    return adapterNames(this.model).includes(ADAPTER);
  }

  /** Generate after `prompt` (stops at the config's eos token). */
  async generate(prompt: string, maxNewTokens: number, temperature: number, seed: number): Promise<GenerationResult> {
    const ids = this.tokenizer.encode(prompt);
    if (ids.length === 0) throw new Error('The prompt has no tokens');
    const eos = this.hf.config['eos_token_id'];
    const stopTokens = (Array.isArray(eos) ? eos : typeof eos === 'number' ? [eos] : []).filter((t): t is number => typeof t === 'number' && t < this.hf.spec.vocabSize);
    this.model.eval();
    const t0 = performance.now();
    const g = await generate(this.model, ids, { maxNewTokens, temperature, topK: temperature > 0 ? 40 : 0, topP: temperature > 0 ? 0.95 : 1, stopTokens, seed });
    const s = (performance.now() - t0) / 1000;
    return { text: this.tokenizer.decode(g.tokens), tokens: g.tokens.length, tokensPerSecond: g.tokens.length / s };
  }

  /** Tokenize the training text (JSONL or plain), keeping it for the run. Returns the token count. */
  setTrainingText(input: string, window: number): number {
    const ids = this.tokenizer.encode(trainingText(input), { addSpecialTokens: false });
    if (ids.length < window + 1) throw new Error(`The training text has ${ids.length} tokens; it needs at least ${window + 1} for one window of ${window}`);
    this.data = Int32Array.from(ids);
    return ids.length;
  }

  /** Attach a fresh LoRA adapter (rank r on every attention projection) and a new optimiser. */
  startAdapter(r: number, learningRate: number, seed: number): void {
    if (this.hasAdapter) deleteAdapter(this.model, ADAPTER);
    injectAdapter(this.model, ADAPTER, { method: 'lora', targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'c_attn'], r, alpha: 2 * r }, { rng: new Rng(seed), rename: transformersPath(this.hf) });
    this.optimizer?.dispose();
    this.optimizer = makeOptimizer({ name: 'adam', learningRate });
  }

  /** LoRA fine-tuning steps (resumable: the batches depend on the step number). */
  async finetune(s: FinetuneSettings, fromStep: number, steps: number, onProgress: (p: TrainProgress) => Promise<void> | void, signal?: AbortSignal): Promise<TrainResult> {
    const data = this.data;
    if (!data || !this.optimizer || !this.hasAdapter) throw new Error('Set the training text and start an adapter first');
    const { window: T, batch: B } = s;
    const model = this.model;
    model.train();
    const batch = (step: number) => {
      const rng = new Rng(s.seed * 100_003 + fromStep + step);
      const x = new Int32Array(B * T);
      const y = new Int32Array(B * T);
      for (let b = 0; b < B; b++) {
        const start = Math.floor(rng.next() * (data.length - T));
        x.set(data.subarray(start, start + T), b * T);
        y.set(data.subarray(start + 1, start + T + 1), b * T);
      }
      return { x: tf.tensor2d(x, [B, T], 'int32'), y: tf.tensor2d(y, [B, T], 'int32') };
    };
    try {
      return await train({
        steps, model, optimizer: this.optimizer, batch, signal, reportEvery: 5,
        loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
        onProgress,
      });
    } finally {
      model.eval();
    }
  }

  /** The adapter in PEFT's format (names as transformers names the modules). */
  peft(): Promise<PeftAdapterOutput> {
    return savePeftAdapter(this.model, { name: ADAPTER, rename: transformersPath(this.hf) });
  }

  /** The model with the adapter merged in, as config.json + model.safetensors (the adapter stays attached, unmerged). */
  async merged(): Promise<SavedTransformers> {
    if (!this.hasAdapter) return saveTransformers(this.hf);
    mergeAdapters(this.model);
    try {
      return await saveTransformers(this.hf);
    } finally {
      unmergeAdapters(this.model);
    }
  }

  /** Free every tensor (once). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    this.model.dispose();
  }
}
