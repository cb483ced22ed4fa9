// A small request/reply channel between a page and its training worker (DESIGN: pages train in a
// Web Worker, the main thread only draws). The page calls a method by name and awaits its value;
// a call may stream progress reports before its reply and be aborted (the worker's handler sees
// an AbortSignal). Errors cross as their message. Float32Array replies are transferred, not copied.

/** What the page sends. */
type Request = { kind: 'call'; id: number; method: string; args: unknown[] } | { kind: 'abort'; id: number };
/** What the worker answers. */
type Reply = { id: number; kind: 'value'; value: unknown } | { id: number; kind: 'error'; message: string } | { id: number; kind: 'progress'; value: unknown };

/** What a worker handler gets besides its arguments. */
export interface CallContext {
  /** Aborted when the page aborts this call. */
  signal: AbortSignal;
  /** Send a progress report to the caller (before the reply). */
  progress(value: unknown): void;
}

/** A worker's methods: each takes the call's arguments, then its context. */
export type Handlers = Record<string, (...args: any[]) => unknown>;

/** Answer the page's calls with `handlers` (call once, in the worker). */
export function exposeInWorker(handlers: Handlers): void {
  const scope = globalThis as unknown as { postMessage(m: Reply, transfer?: Transferable[]): void; addEventListener(t: 'message', f: (e: MessageEvent<Request>) => void): void };
  const running = new Map<number, AbortController>();
  scope.addEventListener('message', (e) => {
    const msg = e.data;
    if (msg.kind === 'abort') {
      running.get(msg.id)?.abort();
      return;
    }
    const abort = new AbortController();
    running.set(msg.id, abort);
    const ctx: CallContext = { signal: abort.signal, progress: (value) => scope.postMessage({ id: msg.id, kind: 'progress', value }) };
    void (async () => {
      try {
        const handler = Object.hasOwn(handlers, msg.method) ? handlers[msg.method] : undefined;
        if (!handler) throw new Error(`worker: no method "${msg.method}"`);
        const value = await handler(...msg.args, ctx);
        scope.postMessage({ id: msg.id, kind: 'value', value }, transferablesOf(value));
      } catch (err) {
        scope.postMessage({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err) });
      } finally {
        running.delete(msg.id);
      }
    })();
  });
}

/** The buffers of a reply's Float32Arrays (top level or one level down) that own their whole buffer. */
function transferablesOf(value: unknown): Transferable[] {
  const out: Transferable[] = [];
  const add = (v: unknown) => {
    if (v instanceof Float32Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer) out.push(v.buffer);
  };
  add(value);
  if (value && typeof value === 'object') for (const v of Object.values(value)) add(v);
  return out;
}

/** Options of one {@link WorkerClient.call}. */
export interface CallOptions {
  /** Aborting it asks the worker to abort the call (its reply still comes). */
  signal?: AbortSignal;
  /** Receives each progress report of the call, in order; the reply waits for the promise it returns. */
  onProgress?: (value: any) => unknown;
}

/** The page's side: call the worker's methods by name. */
export class WorkerClient {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (v: unknown) => unknown; chain: Promise<unknown> }>();

  constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (e: MessageEvent<Reply>) => this.receive(e.data));
    worker.addEventListener('error', (e) => {
      const error = new Error(`training worker failed: ${e.message || 'it could not start'}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
  }

  /** Call `method` with `args` in the worker; resolves with its value, rejects with its error. */
  call<T>(method: string, args: unknown[] = [], options: CallOptions = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress, chain: Promise.resolve() });
      const { signal } = options;
      if (signal) {
        const abort = () => this.worker.postMessage({ kind: 'abort', id } satisfies Request);
        if (signal.aborted) queueMicrotask(abort);
        else signal.addEventListener('abort', abort, { once: true });
      }
      this.worker.postMessage({ kind: 'call', id, method, args } satisfies Request);
    });
  }

  /** Stop the worker (every pending call is rejected). */
  terminate(): void {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('training worker stopped'));
    this.pending.clear();
  }

  private receive(msg: Reply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    // Progress reports are handled one after another, and the reply after the last of them.
    if (msg.kind === 'progress') {
      p.chain = p.chain.then(() => p.onProgress?.(msg.value));
      return;
    }
    this.pending.delete(msg.id);
    void p.chain.then(
      () => (msg.kind === 'value' ? p.resolve(msg.value) : p.reject(new Error(msg.message))),
      (e: unknown) => p.reject(e instanceof Error ? e : new Error(String(e))),
    );
  }
}
