// The upload coordinator's HTTP API: request and response bodies (JSON). The coordinator function
// and the uploader both code against these types; docs/upload.md documents them.
//
// Part n (1-based) of an upload with a known size covers bytes [(n-1)*partSize, min(n*partSize, size)).
// Errors: any 4xx/5xx answers { "error": { "code", "message", "field"?, "details"? } }.

/** POST /uploads */
export interface StartUploadRequest {
  key: string;
  /** Total bytes, 0 … 48.8 TB. Omitted (or null) for a stream of unknown length (e.g. a tgz being made). */
  size?: number | null;
  /** Bytes per part, 100 KB … 5 GiB; chosen from the size when omitted. */
  partSize?: number;
  contentType?: string;
  /** Object tags set when the upload completes (x-oss-tagging); ≤ 10. */
  tags?: Record<string, string>;
  /** User metadata (x-oss-meta-*). */
  meta?: Record<string, string>;
  /** Number of pods that will each upload a shard (a range of part numbers). Default 1. */
  writers?: number;
  /**
   * Identity of the local source (e.g. "size:mtimeMs:ino" of a file), so that a restarted client
   * resumes the upload of the same bytes and a changed file starts afresh.
   */
  fingerprint?: string;
}

export interface WriterShard {
  /** 1-based writer index. */
  writer: number;
  firstPart: number;
  lastPart: number;
  /** Byte range of the shard: [start, end). */
  start: number;
  end: number;
}

export interface UploadPlan {
  uploadId: string;
  key: string;
  size: number | null;
  partSize: number;
  /** null for an upload of unknown size (at most 10,000 parts). */
  partCount: number | null;
  writers: WriterShard[];
  fingerprint?: string;
  createdAt: string;
}

/** 201 for a new upload, 200 when an upload of the same key+size+fingerprint was resumed. */
export interface StartUploadResponse extends UploadPlan {
  resumed: boolean;
}

/** POST /uploads/{uploadId}/sign — at most 1000 parts per request. */
export interface SignPartsRequest {
  key: string;
  parts: Array<{
    partNumber: number;
    /** base64 MD5 of the part: bound into the signature, so OSS rejects a corrupted part (InvalidDigest). */
    md5?: string;
  }>;
}

export interface SignedPart {
  partNumber: number;
  method: 'PUT';
  url: string;
  /**
   * Send exactly these headers (plus Content-Length), nothing else that is signed (no Content-Type).
   * For an upload of known size they include the part's Content-Length, bound into the signature.
   */
  headers: Record<string, string>;
  expiresAt: string;
}

export interface SignPartsResponse {
  uploadId: string;
  parts: SignedPart[];
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
  /** Decimal CRC-64 (x-oss-hash-crc64ecma) of the part, when OSS reported one. */
  crc64?: string;
  lastModified: string;
}

/** GET /uploads/{uploadId}?key=… */
export interface UploadStateResponse extends UploadPlan {
  /** 'completed' / 'failed' uploads list no parts (OSS no longer has them). */
  state?: 'uploading' | 'completed' | 'failed';
  parts: UploadedPart[];
}

/** POST /uploads/{uploadId}/complete */
export interface CompleteUploadRequest {
  key: string;
  /** The parts to assemble, as the client recorded them; default: every part listed by OSS. */
  parts?: Array<{ partNumber: number; etag: string }>;
  /** Decimal CRC-64 of the whole source as the client computed it. */
  crc64?: string;
}

export interface CompleteUploadResponse {
  key: string;
  size: number;
  etag: string;
  crc64: string;
  partCount: number;
  /** true when this answer verified an object completed by an earlier call. */
  alreadyCompleted: boolean;
}
