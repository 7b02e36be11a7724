// Orchestration: start (or resume) an upload through the coordinator, verify what OSS already holds,
// upload the missing parts in parallel from byte ranges of the file, complete with the whole-file
// CRC-64 folded from the part CRCs (the file is read once), and check the coordinator's verified
// answer. uploadFile() for a file, uploadStream() for bytes of unknown length (the tgz of a directory).
import { noAnswer } from '../network';
import { count, plural } from '../../shared/numbers';
import { stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { foldCrc64 } from '../../shared/crc64';
import { backoffDelay, sleep } from '../../shared/backoff';
import { CoordinatorClient, CoordinatorError, type TokenSource } from '../../shared/upload/client';
import { MAX_PARTS } from '../../shared/upload/plan';
import type { StartUploadRequest, StartUploadResponse, UploadedPart, UploadPlan } from '../../shared/upload/protocol';
import { BufferPool, createAgents, putPart, type Agents } from './part-upload';
import { Progress, autoMode, type ProgressMode } from './progress';
import { verifyUploadedParts, type VerifiedPart } from './resume';
import { DEFAULT_RETRY_POLICY, decide, type RetryPolicy } from './retry';
import { AsyncQueue, UrlBroker, runPool } from './scheduler';
import { READ_CHUNK, fileFingerprint, planRanges, type PartRange } from './source';
import { startSpooler, type SpooledPart } from './spool';
import { createTgzStream } from './tgz';

export const DEFAULT_CONCURRENCY = 8;

export interface UploadOptions {
  /** Coordinator base URL, or a ready client. */
  coordinator: string | CoordinatorClient;
  /** Bearer token (or a function re-read per request); ignored when `coordinator` is a client. */
  token?: TokenSource;
  key: string;
  /** Parts in flight at once (default 8). */
  concurrency?: number;
  /** Bytes per part; default: the coordinator's choice for the size. */
  partSize?: number;
  contentType?: string;
  tags?: Record<string, string>;
  meta?: Record<string, string>;
  /** Progress display: 'auto' (bar on a TTY, lines otherwise; the default), or a fixed mode. */
  progress?: ProgressMode | 'auto';
  progressOut?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Plain-line progress interval (default 10 s). */
  progressIntervalMs?: number;
  /** Notable events (retries, re-signs, resume findings); default: through the progress output. */
  log?: (line: string) => void;
  retry?: Partial<RetryPolicy>;
  /** Cancels the upload (in-flight requests are aborted; a file upload stays resumable). */
  signal?: AbortSignal;
  /** HTTP agents for the part PUTs (default: keep-alive, maxSockets = concurrency). */
  agents?: Agents;
}

export interface UploadFileOptions extends UploadOptions {
  path: string;
  /** Identity used to find the upload again on resume; default "size:mtimeMs:ino" of the file. */
  fingerprint?: string;
  /** Fan-out: number of writers in the plan (with `writer`, on start). */
  writers?: number;
  /** Fan-out: upload only this writer's shard (1-based). The writer that finds every part present completes. */
  writer?: number;
  /** Join this existing upload instead of starting one (e.g. a writer handed the id by an earlier step). */
  uploadId?: string;
}

export interface UploadStreamOptions extends UploadOptions {
  /** Where parts are spooled (default os.tmpdir()). */
  spoolDir?: string;
}

export interface UploadSummary {
  key: string;
  uploadId: string;
  /** Bytes of the object (or of this writer's shard when not completed). */
  size: number;
  /** Decimal CRC-64 of the object (empty when a writer did not complete). */
  crc64: string;
  etag?: string;
  /** Bytes per part of the plan. */
  partSize: number;
  parts: number;
  partsUploaded: number;
  partsReused: number;
  /** Bytes written to the network, retries included. */
  bytesSent: number;
  seconds: number;
  resumed: boolean;
  /** The object exists in OSS and its size and CRC-64 equal the local source's. */
  verified: boolean;
  /** false only for a fan-out writer that finished its shard while others were still uploading. */
  completed: boolean;
  writer?: number;
  retries: number;
  resigns: number;
  resends: number;
  signRequests: number;
  /** Local bytes read to re-verify parts already in OSS. */
  bytesVerified: number;
}

/** A failed upload, with what to tell the user and whether running again resumes it. */
export class UploadError extends Error {
  override name = 'UploadError';
  constructor(
    message: string,
    readonly code: string,
    readonly uploadId?: string,
    readonly resumable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Recorded {
  partNumber: number;
  size: number;
  etag: string;
  crc64: bigint;
}

interface Stats {
  resigns: number;
  resends: number;
}

/** Shared machinery of one upload: client, URL broker, agents, retry policy, progress. */
class Session {
  readonly client: CoordinatorClient;
  readonly concurrency: number;
  readonly policy: RetryPolicy;
  readonly agents: Agents;
  readonly ownAgents: boolean;
  readonly stats: Stats = { resigns: 0, resends: 0 };
  readonly buffers = new BufferPool(READ_CHUNK);
  progress!: Progress;
  broker!: UrlBroker;
  readonly log: (line: string) => void;
  readonly started = performance.now();

  constructor(readonly opts: UploadOptions) {
    if (!opts.key) throw new UploadError('key is required', 'BadOption');
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > 1000) throw new UploadError('concurrency must be 1..1000', 'BadOption');
    this.client =
      typeof opts.coordinator === 'string'
        ? new CoordinatorClient({
            url: opts.coordinator,
            token: opts.token,
            signal: opts.signal,
            userAgent: 'argo-oss-uploader',
            onRetry: ({ operation, attempt, delayMs, error }) =>
              this.log(`coordinator ${operation}: ${error instanceof CoordinatorError && error.status === 0 ? unanswered(error) : error.message}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s`),
          })
        : opts.coordinator;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.ownAgents = !opts.agents;
    this.agents = opts.agents ?? createAgents(this.concurrency);
    this.log = opts.log ?? ((line) => (this.progress ? this.progress.note(line) : process.stderr.write(`${line}\n`)));
  }

  initProgress(label: string, total: number | null): void {
    const mode = !this.opts.progress || this.opts.progress === 'auto' ? autoMode(this.opts.progressOut ?? process.stderr) : this.opts.progress;
    this.progress = new Progress({ label, total, mode, out: this.opts.progressOut, lineIntervalMs: this.opts.progressIntervalMs });
  }

  /** `upcoming(n)`: the next n part numbers that will need a URL, in order. */
  initBroker(plan: UploadPlan, upcoming: (n: number) => number[]): void {
    this.broker = new UrlBroker({
      client: this.client,
      uploadId: plan.uploadId,
      key: this.opts.key,
      batchSize: Math.min(1000, 2 * this.concurrency),
      lowWater: this.concurrency,
      upcoming,
      signal: this.opts.signal,
    });
  }

  async start(request: StartUploadRequest): Promise<StartUploadResponse> {
    try {
      return await this.client.start(request);
    } catch (err) {
      throw coordinatorFailure(err, 'start the upload');
    }
  }

  /**
   * Uploads one part (a byte range of a file) with the retry / re-sign / re-send policy (retry.ts).
   * `expectedCrc` (a spooled part's) guards against the spool changing between write and send.
   */
  async uploadPart(partNumber: number, file: { path: string; start: number; end: number }, signal: AbortSignal, expectedCrc?: bigint): Promise<Recorded> {
    const length = file.end - file.start;
    let signed = await this.signed(partNumber);
    let transient = 0;
    let resends = 0;
    let resigns = 0;
    let otherResigns = 0;
    for (;;) {
      const result = await putPart({
        url: signed.url,
        headers: signed.headers,
        length,
        body: { ...file, buffers: this.buffers },
        agents: this.agents,
        signal,
        onBytes: (n) => this.progress.bytesWritten(n),
      });
      if (result.ok && (expectedCrc === undefined || result.crc64 === expectedCrc)) {
        this.progress.partUploaded(length, result.bytes);
        return { partNumber, size: length, etag: result.etag, crc64: result.crc64 };
      }
      this.progress.attemptFailed(result.bytes);
      const failure = result.ok
        ? { status: 200, corrupted: true, message: `the spooled part changed on disk (CRC-64 ${result.crc64}, spooled ${expectedCrc})` }
        : { ...result, origin: new URL(signed.url).origin };
      const decision = decide(failure, new Date(signed.expiresAt), new Date(), otherResigns);
      switch (decision.action) {
        case 'retry': {
          if (++transient >= this.policy.transientAttempts) throw new UploadError(`part ${partNumber}: ${decision.reason} (gave up after ${transient} attempts)`, 'PartFailed');
          const delay = Math.max(decision.minDelayMs ?? 0, backoffDelay(transient, this.policy.baseDelayMs, this.policy.maxDelayMs));
          this.log(`part ${partNumber}: ${decision.reason}; retry ${transient} in ${delay} ms`);
          await sleep(delay, signal);
          break;
        }
        case 'resign': {
          if (++resigns > this.policy.resigns) throw new UploadError(`part ${partNumber}: ${decision.reason} (still refused after ${resigns - 1} fresh URLs)`, 'PartFailed');
          if (!/expired/i.test(decision.reason) && new Date(signed.expiresAt) > new Date()) otherResigns++;
          this.stats.resigns++;
          this.log(`part ${partNumber}: ${decision.reason}; asking the coordinator for a fresh URL`);
          signed = await this.signed(partNumber);
          break;
        }
        case 'resend': {
          if (++resends > this.policy.resends) throw new UploadError(`part ${partNumber}: ${decision.reason} (still wrong after ${resends - 1} re-sends)`, 'PartCorrupted');
          this.stats.resends++;
          this.log(`part ${partNumber}: ${decision.reason}; sending it again`);
          break;
        }
        case 'fatal':
          throw new UploadError(`part ${partNumber}: OSS refused the upload: ${decision.reason}`, 'PartRejected');
      }
    }
  }

  private async signed(partNumber: number) {
    try {
      return await this.broker.get(partNumber);
    } catch (err) {
      throw coordinatorFailure(err, `get a URL for part ${partNumber}`);
    }
  }

  /** Completes with the recorded parts and the folded CRC; throws unless the coordinator verified both. */
  async complete(uploadId: string, parts: Recorded[], expectSize: number): Promise<{ etag: string; crc64: string }> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const crc64 = foldCrc64(sorted).toString();
    let res;
    try {
      res = await this.client.complete(uploadId, { key: this.opts.key, parts: sorted.map((p) => ({ partNumber: p.partNumber, etag: p.etag })), crc64 });
    } catch (err) {
      if (err instanceof CoordinatorError && err.status === 409) {
        const details = err.details === undefined ? '' : ` ${JSON.stringify(err.details)}`;
        throw new UploadError(`the object did not verify: ${err.message}${details}`, 'VerificationFailed', uploadId, false, { cause: err });
      }
      throw coordinatorFailure(err, 'complete the upload', uploadId);
    }
    if (res.crc64 !== crc64 || res.size !== expectSize) {
      throw new UploadError(
        `the object did not verify: OSS has ${plural(res.size, 'byte')} with CRC-64 ${res.crc64}, the source has ${plural(expectSize, 'byte')} with CRC-64 ${crc64}`,
        'VerificationFailed',
        uploadId,
      );
    }
    return { etag: res.etag, crc64 };
  }

  close(): void {
    if (this.ownAgents) {
      this.agents.http.destroy();
      this.agents.https.destroy();
    }
    this.progress?.stop();
  }

  seconds(): number {
    return Math.round(performance.now() - this.started) / 1000;
  }
}

/** A coordinator call nothing answered, in words: the client's message is "<operation> <origin>: <code or reason>". */
function unanswered(err: CoordinatorError): string {
  const m = / (https?:\/\/\S+): (.*)$/.exec(err.message);
  return m ? noAnswer('the coordinator', m[1], err.code === 'Timeout' ? 'Timeout' : m[2]) : `no answer from the coordinator: ${err.message}`;
}

function coordinatorFailure(err: unknown, what: string, uploadId?: string): unknown {
  if (!(err instanceof CoordinatorError)) return err;
  if (err.status === 0) return new UploadError(`could not ${what}: ${unanswered(err)}`, err.code, uploadId, err.retryable, { cause: err });
  const field = err.field ? ` (field ${err.field})` : '';
  const status = err.status ? `${err.status} ${err.code}` : err.code;
  return new UploadError(`could not ${what}: the coordinator answered ${status}: ${err.message}${field}`, err.code, uploadId, err.retryable, { cause: err });
}

function validatePartSize(partSize: number | undefined): void {
  if (partSize !== undefined && (!Number.isSafeInteger(partSize) || partSize <= 0)) throw new UploadError('partSize must be a positive byte count', 'BadOption');
}

/**
 * Uploads a file: parallel parts read straight from the file, resumable by running again, verified
 * end to end. Resolves only when the object is in OSS and verified (or, for a fan-out writer, when
 * its shard is verified in OSS); rejects with UploadError otherwise.
 */
export async function uploadFile(options: UploadFileOptions): Promise<UploadSummary> {
  validatePartSize(options.partSize);
  const session = new Session(options);
  try {
    return await uploadFileWith(session, options);
  } finally {
    session.close();
  }
}

async function uploadFileWith(session: Session, options: UploadFileOptions): Promise<UploadSummary> {
  const { path, key } = options;
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UploadError(`${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, 'BadSource');
  });
  if (!st.isFile()) throw new UploadError(`${path} is not a regular file`, 'BadSource');
  const fingerprint = options.fingerprint ?? fileFingerprint(st);

  // 1. Start, or find the upload in progress (same key+size+fingerprint), or join a given one.
  let plan: UploadPlan;
  let resumed: boolean;
  let existing: UploadedPart[] | undefined;
  if (options.uploadId) {
    let state;
    try {
      state = await session.client.state(options.uploadId, key);
    } catch (err) {
      throw coordinatorFailure(err, `find upload ${options.uploadId}`, options.uploadId);
    }
    plan = state;
    existing = state.parts;
    resumed = true;
  } else {
    const started = await session.start({
      key,
      size: st.size,
      partSize: options.partSize,
      contentType: options.contentType,
      tags: options.tags,
      meta: options.meta,
      writers: options.writers,
      fingerprint,
    });
    plan = started;
    resumed = started.resumed;
  }
  const uploadId = plan.uploadId;
  let ranges: PartRange[];
  try {
    ranges = planRanges(plan, st.size);
  } catch (err) {
    throw new UploadError(`${(err as Error).message} (upload ${uploadId})`, 'PlanMismatch', uploadId);
  }
  let mine = ranges;
  if (options.writer !== undefined) {
    const shard = plan.writers.find((w) => w.writer === options.writer);
    if (!shard) throw new UploadError(`writer ${options.writer} is not in the plan (it has ${plan.writers.length} writer${plan.writers.length === 1 ? '' : 's'})`, 'BadOption', uploadId);
    mine = ranges.filter((r) => r.partNumber >= shard.firstPart && r.partNumber <= shard.lastPart);
  }
  const shardBytes = mine.reduce((n, r) => n + r.end - r.start, 0);
  session.initProgress(`upload ${key}${options.writer ? ` (writer ${options.writer})` : ''}`, shardBytes);
  session.progress.partsTotal = mine.length;

  // 2. Resume: keep the parts already in OSS whose bytes match the file; upload the rest.
  const recorded = new Map<number, Recorded>();
  let bytesVerified = 0;
  if (resumed) {
    if (!existing) {
      try {
        existing = (await session.client.state(uploadId, key)).parts;
      } catch (err) {
        throw coordinatorFailure(err, 'list the parts already uploaded', uploadId);
      }
    }
    const check = await verifyUploadedParts(path, mine, existing, { concurrency: Math.min(4, session.concurrency), signal: options.signal });
    bytesVerified = check.bytesRead;
    for (const p of check.reused) {
      recorded.set(p.partNumber, p);
      session.progress.partReused(p.size);
    }
    session.log(
      `resuming upload ${uploadId}: ${count(check.reused.length)} of ${plural(mine.length, 'part')} already in OSS and verified` +
        (check.rejected.length ? `; re-sending ${check.rejected.length}: ${check.rejected.map((r) => `part ${r.partNumber} (${r.reason})`).join(', ')}` : ''),
    );
  }
  const partsReused = recorded.size;

  // 3. Upload what is missing, `concurrency` parts at a time.
  const queue = new AsyncQueue<PartRange>();
  for (const r of mine) if (!recorded.has(r.partNumber)) queue.push(r);
  queue.close();
  session.initBroker(plan, (n) => queue.peek(n).map((p) => p.partNumber));
  session.progress.start();
  try {
    await runPool(
      queue,
      session.concurrency,
      async (range, signal) => {
        const rec = await session.uploadPart(range.partNumber, { path, start: range.start, end: range.end }, signal);
        recorded.set(rec.partNumber, rec);
      },
      options.signal,
    );
  } catch (err) {
    session.progress.stop();
    if (err instanceof UploadError && err.uploadId === undefined) {
      const resumable = err.code !== 'PartRejected' || !/NoSuchUpload/.test(err.message);
      throw new UploadError(`${err.message}${resumable ? ` — run the same command again to resume upload ${uploadId}` : ''}`, err.code, uploadId, resumable, { cause: err });
    }
    throw err;
  }
  session.progress.stop();

  // The parts were verified against what was read; make sure that was the file as it is now.
  const after = await stat(path);
  if (fileFingerprint(after) !== fileFingerprint(st)) {
    throw new UploadError(`${path} changed while it was being uploaded; run again to upload the new content`, 'SourceChanged', uploadId);
  }

  const base = {
    key,
    uploadId,
    partSize: plan.partSize,
    parts: mine.length,
    partsUploaded: mine.length - partsReused,
    partsReused,
    bytesSent: session.progress.sent,
    resumed,
    writer: options.writer,
    retries: session.progress.retries,
    resigns: session.stats.resigns,
    resends: session.stats.resends,
    signRequests: session.broker.signRequests,
    bytesVerified,
  };

  // 4. Fan-out: the writer that finds every part of the plan present completes; the others stop here.
  let toComplete = [...recorded.values()];
  if (options.writer !== undefined) {
    let state;
    try {
      state = await session.client.state(uploadId, key);
    } catch (err) {
      throw coordinatorFailure(err, 'check the other writers’ parts', uploadId);
    }
    const byNumber = new Map(state.parts.map((p) => [p.partNumber, p]));
    const missing = ranges.filter((r) => !recorded.has(r.partNumber) && byNumber.get(r.partNumber)?.size !== r.end - r.start);
    if (missing.length > 0) {
      session.log(`writer ${options.writer}: shard done; ${missing.length} part(s) of other writers still missing, leaving completion to the last writer`);
      return { ...base, size: shardBytes, crc64: '', verified: false, completed: false, seconds: session.seconds() };
    }
    toComplete = ranges.map((r) => recorded.get(r.partNumber) ?? fromState(byNumber.get(r.partNumber)!));
  }

  // 5. Complete and check the verified answer.
  const { etag, crc64 } = await session.complete(uploadId, toComplete, st.size);
  return { ...base, size: st.size, crc64, etag, verified: true, completed: true, seconds: session.seconds() };
}

/** A part another writer uploaded: its CRC comes from OSS (that writer verified it against its bytes). */
function fromState(p: UploadedPart): Recorded {
  if (p.crc64 === undefined) throw new UploadError(`part ${p.partNumber} in OSS has no CRC-64; cannot verify the object`, 'VerificationFailed');
  return { partNumber: p.partNumber, size: p.size, etag: p.etag, crc64: BigInt(p.crc64) };
}

/**
 * Uploads a stream of unknown length (e.g. a tgz being made) as a multipart upload: the stream is
 * cut into parts spooled to disk (spool.ts), uploaded in parallel, completed and verified. Not
 * resumable (the bytes cannot be produced again identically), so a failure aborts the upload.
 */
export async function uploadStream(source: Readable, options: UploadStreamOptions): Promise<UploadSummary> {
  validatePartSize(options.partSize);
  const session = new Session(options);
  let uploadId: string | undefined;
  let spooler: Awaited<ReturnType<typeof startSpooler>> | undefined;
  try {
    const plan = await session.start({
      key: options.key,
      size: null,
      partSize: options.partSize,
      contentType: options.contentType,
      tags: options.tags,
      meta: options.meta,
      // A fresh identity: a retried start after a lost answer finds this same upload, never another run's.
      fingerprint: `stream:${randomUUID()}`,
    });
    uploadId = plan.uploadId;
    session.initProgress(`upload ${options.key}`, null);
    spooler = await startSpooler(source, {
      partSize: plan.partSize,
      maxSpooled: session.concurrency + 1,
      dir: options.spoolDir,
      maxParts: plan.partCount ?? MAX_PARTS,
      signal: options.signal,
    });
    const recorded: Recorded[] = [];
    // Part numbers of a stream are sequential: sign ahead of the spooler too (a URL for a part that
    // never comes is harmless), or each part would cost its own sign request.
    const parts = spooler.parts;
    const maxParts = plan.partCount ?? MAX_PARTS;
    session.initBroker(plan, (n) => {
      const waiting = parts.peek(n).map((p) => p.partNumber);
      let next = Math.max(waiting.at(-1) ?? 0, spooler!.spooled()) + 1; // from the part being spooled on
      while (waiting.length < n && next <= maxParts) waiting.push(next++);
      return waiting;
    });
    session.progress.start();
    await runPool(
      spooler.parts,
      session.concurrency,
      async (part: SpooledPart, signal) => {
        try {
          const rec = await session.uploadPart(part.partNumber, { path: part.path, start: 0, end: part.size }, signal, part.crc64);
          recorded.push(rec);
        } finally {
          await part.release();
        }
      },
      options.signal,
    );
    const totals = await spooler.done;
    session.progress.stop();
    const { etag, crc64 } = await session.complete(plan.uploadId, recorded, totals.bytes);
    return {
      key: options.key,
      uploadId: plan.uploadId,
      size: totals.bytes,
      crc64,
      etag,
      partSize: plan.partSize,
      parts: recorded.length,
      partsUploaded: recorded.length,
      partsReused: 0,
      bytesSent: session.progress.sent,
      seconds: session.seconds(),
      resumed: false,
      verified: true,
      completed: true,
      retries: session.progress.retries,
      resigns: session.stats.resigns,
      resends: session.stats.resends,
      signRequests: session.broker.signRequests,
      bytesVerified: 0,
    };
  } catch (err) {
    session.progress?.stop(false);
    // Surface the source's own error (e.g. an unreadable file) rather than a consequence of it.
    const sourceError = spooler ? await spooler.done.then(() => undefined, (e: unknown) => e) : undefined;
    const error = sourceError && !(err instanceof UploadError) ? sourceError : err;
    if (uploadId && !(error instanceof UploadError && error.code === 'VerificationFailed')) {
      // A stream cannot resume: drop the parts now rather than leave them to the stale-upload GC.
      await session.client.abort(uploadId, options.key).catch(() => undefined);
    }
    if (error instanceof UploadError) throw new UploadError(error.message, error.code, uploadId, false, { cause: error.cause });
    throw error;
  } finally {
    await spooler?.cleanup();
    session.close();
  }
}

/** Uploads a tar+gzip of a directory (or a file), in Argo's archive layout, as KEY. */
export async function uploadDirectoryTgz(path: string, options: UploadStreamOptions & { level?: number }): Promise<UploadSummary> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UploadError(`${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, 'BadSource');
  });
  if (!st.isDirectory() && !st.isFile()) throw new UploadError(`${path} is neither a file nor a directory`, 'BadSource');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return uploadStream(createTgzStream(path, { level: options.level, onSkip: (p, why) => log(`skipped ${p}: ${why}`) }), options);
}

export type { VerifiedPart };
