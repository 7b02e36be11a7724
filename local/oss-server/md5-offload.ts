// MD5 of large uploads on worker threads. MD5 (node:crypto, ~450 MB/s per core) is the most
// expensive per-byte step of an upload; running it beside the main thread, which keeps the
// CRC-64, the socket and the file writes, lets one upload use two cores and several uploads
// spread over the pool. 1 MiB batches are transferred (not copied) to the worker and back, and at
// most MAX_IN_FLIGHT bytes per upload wait there, so memory per connection stays bounded.
import { createHash, type Hash } from 'node:crypto';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';

const BATCH = 1 << 20;
const MAX_IN_FLIGHT = 8 << 20;

// Plain JS so it runs the same from tsx, vitest and the esbuild bundle.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'u') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('md5')));
    h.update(new Uint8Array(m.buf, 0, m.n));
    parentPort.postMessage({ t: 'a', id: m.id, n: m.n, buf: m.buf }, [m.buf]); // buffer goes back for reuse
  } else if (m.t === 'd') {
    const h = hashes.get(m.id) || createHash('md5');
    hashes.delete(m.id);
    parentPort.postMessage({ t: 'd', id: m.id, d: h.digest('hex') });
  } else if (m.t === 'x') {
    hashes.delete(m.id);
  }
});
`;

interface Pending {
  onAck(n: number): void;
  onDigest(hex: string): void;
  onError(err: Error): void;
}

class Md5Worker {
  readonly streams = new Map<number, Pending>();
  private readonly worker: Worker;
  dead = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { t: string; id: number; n?: number; d?: string; buf?: ArrayBuffer }) => {
      if (m.buf && m.buf.byteLength === BATCH && spare.length < MAX_SPARE) spare.push(m.buf);
      const p = this.streams.get(m.id);
      if (!p) return;
      if (m.t === 'a') p.onAck(m.n!);
      else if (m.t === 'd') {
        this.streams.delete(m.id);
        p.onDigest(m.d!);
      }
    });
    const fail = (err: Error) => {
      this.dead = true;
      for (const p of this.streams.values()) p.onError(err);
      this.streams.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`MD5 worker exited (${code})`)));
    // After the listeners: adding a 'message' listener re-refs the worker's port, and a referenced
    // worker keeps the process alive after the servers close (Ctrl-C would not exit).
    this.worker.unref();
  }

  post(msg: object, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(msg, transfer);
  }
}

const workers: Md5Worker[] = [];
/** Batch buffers returned by the workers, reused instead of allocating 1 MiB per batch. */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 32;
let nextId = 1;

function pickWorker(): Md5Worker {
  for (let i = workers.length - 1; i >= 0; i--) if (workers[i].dead) workers.splice(i, 1);
  const size = Math.max(1, Math.min(4, cpus().length - 1));
  const idle = workers.find((w) => w.streams.size === 0);
  if (idle) return idle;
  if (workers.length < size) {
    const w = new Md5Worker();
    workers.push(w);
    return w;
  }
  return workers.reduce((a, b) => (b.streams.size < a.streams.size ? b : a));
}

/** Incremental MD5, either inline (small bodies) or on a worker thread (large ones). */
export interface Md5Sink {
  /** Feeds a chunk; returns a promise when the caller should wait (worker backlog). */
  update(chunk: Buffer): Promise<void> | undefined;
  digest(): Promise<Buffer>;
  /** Drops the state (failed upload). */
  discard(): void;
}

class InlineMd5 implements Md5Sink {
  private readonly hash: Hash = createHash('md5');
  update(chunk: Buffer): undefined {
    this.hash.update(chunk);
    return undefined;
  }
  async digest(): Promise<Buffer> {
    return this.hash.digest();
  }
  discard(): void {}
}

class OffloadedMd5 implements Md5Sink {
  private readonly id = nextId++;
  private readonly worker = pickWorker();
  private batch: Buffer | undefined;
  private batchBytes = 0;
  private inFlight = 0;
  private waiter: (() => void) | undefined;
  private digestResolve: ((d: Buffer) => void) | undefined;
  private failure: Error | undefined;
  private digestReject: ((e: Error) => void) | undefined;

  constructor() {
    this.worker.streams.set(this.id, {
      onAck: (n) => {
        this.inFlight -= n;
        if (this.waiter && this.inFlight <= MAX_IN_FLIGHT) {
          const w = this.waiter;
          this.waiter = undefined;
          w();
        }
      },
      onDigest: (hex) => this.digestResolve?.(Buffer.from(hex, 'hex')),
      onError: (err) => {
        this.failure = err;
        this.digestReject?.(err);
        const w = this.waiter;
        this.waiter = undefined;
        w?.();
      },
    });
  }

  private flush(): void {
    if (!this.batch || this.batchBytes === 0) return;
    const ab = this.batch.buffer as ArrayBuffer;
    this.worker.post({ t: 'u', id: this.id, buf: ab, n: this.batchBytes }, [ab]);
    this.inFlight += this.batchBytes;
    this.batch = undefined;
    this.batchBytes = 0;
  }

  update(chunk: Buffer): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    // Copy into fixed 1 MiB batch buffers (each its own ArrayBuffer, so it can be transferred).
    let off = 0;
    while (off < chunk.length) {
      this.batch ??= Buffer.from(spare.pop() ?? new ArrayBuffer(BATCH));
      const n = chunk.copy(this.batch, this.batchBytes, off);
      off += n;
      this.batchBytes += n;
      if (this.batchBytes === BATCH) this.flush();
    }
    if (this.inFlight <= MAX_IN_FLIGHT) return undefined;
    return new Promise<void>((resolve) => (this.waiter = resolve));
  }

  digest(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    this.flush();
    return new Promise<Buffer>((resolve, reject) => {
      this.digestResolve = resolve;
      this.digestReject = reject;
      this.worker.post({ t: 'd', id: this.id });
    });
  }

  discard(): void {
    this.batch = undefined;
    if (this.worker.streams.delete(this.id) && !this.worker.dead) this.worker.post({ t: 'x', id: this.id });
  }
}

/** Bodies at least this large (or of unknown length) hash on a worker thread. */
export const OFFLOAD_MIN_BYTES = 4 << 20;

export function createMd5Sink(expectedBytes: number | undefined): Md5Sink {
  return expectedBytes === undefined || expectedBytes >= OFFLOAD_MIN_BYTES ? new OffloadedMd5() : new InlineMd5();
}
