// The pod uploader as a library:
//
//   import { uploadFile, uploadDirectoryTgz } from './cli/upload';
//   const summary = await uploadFile({ coordinator: 'http://127.0.0.1:9000', token, path: 'big.bin', key: 'wf/pod/big.bin' });
//
// Modules: upload (orchestration), part-upload (one PUT, CRC-64 while sending), retry (policy),
// scheduler (queue, worker pool, URL broker), resume (re-verify parts already in OSS), source (file
// ranges, fingerprint), tgz + spool (directories as a tar+gzip stream of unknown length), progress, size.
export {
  uploadFile,
  uploadStream,
  uploadDirectoryTgz,
  UploadError,
  DEFAULT_CONCURRENCY,
  type UploadOptions,
  type UploadFileOptions,
  type UploadStreamOptions,
  type UploadSummary,
} from './upload';
export { putPart, createAgents, BufferPool, type Agents, type FileRangeBody, type PutPartRequest, type PutPartResult } from './part-upload';
export { decide, DEFAULT_RETRY_POLICY, type Decision, type PartFailure, type RetryPolicy } from './retry';
export { AsyncQueue, Semaphore, UrlBroker, runPool } from './scheduler';
export { verifyUploadedParts, type ResumeCheck, type VerifiedPart } from './resume';
export { fileFingerprint, planRanges, openRange, crc64OfRange, type PartRange } from './source';
export { createTgzStream } from './tgz';
export { startSpooler, type SpooledPart } from './spool';
export { Progress, autoMode, type ProgressMode } from './progress';
export { parseSize, formatBytes, formatDuration } from './size';
export { tokenFromFile, SERVICE_ACCOUNT_TOKEN_FILE } from './token';
export { CoordinatorClient, CoordinatorError } from '../../shared/upload/client';
