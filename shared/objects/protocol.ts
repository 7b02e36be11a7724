// The coordinator's object endpoints (beside /uploads): reads, listings and deletes for callers that
// hold no OSS keys, such as the argo-oss artifact-driver plugin. JSON in, JSON out; errors are
// { "error": { "code", "message", "field"?, "details"? } } as everywhere.
//
//   GET  /objects/stat?key=K                          → ObjectStatResponse, or 404 NoSuchKey
//                                                       (details { directory: true } when K/ has children)
//   GET  /objects/list?prefix=P&marker=M&maxKeys=N    → ObjectListResponse (recursive, N ≤ 1000)
//   POST /objects/delete  { key }                     → ObjectDeleteResponse (K and everything under K/)

/** GET /objects/stat */
export interface ObjectStatResponse {
  key: string;
  size: number;
  /** As OSS returns it, quotes included; send it back as If-Match to pin a read to this version. */
  etag: string;
  lastModified: string;
  /** Whole-object CRC-64 (decimal), when OSS has one. */
  crc64?: string;
  /** Presigned GET of exactly `key` (Range and If-Match may be added; nothing else). */
  url: string;
  urlExpiresAt: string;
}

/** details of a 404 NoSuchKey from /objects/stat */
export interface NoSuchKeyDetails {
  /** True when `key` is not an object but `key/` has children (a directory artifact). */
  directory: boolean;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
}

/** GET /objects/list */
export interface ObjectListResponse {
  objects: ListedObject[];
  /** More follow: ask again with marker = nextMarker. */
  truncated: boolean;
  nextMarker?: string;
}

/** POST /objects/delete */
export interface ObjectDeleteRequest {
  key: string;
}

export interface ObjectDeleteResponse {
  /** Objects deleted: the object `key` (if it existed) plus everything under `key/`. 0 when already gone. */
  deleted: number;
}
