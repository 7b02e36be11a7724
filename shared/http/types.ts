// The platform-free request/response pair every adapter (Node http, FC HTTP trigger) converts to and
// from. Bodies are whole Buffers: these endpoints exchange small JSON documents, never artifacts.
// A request body is read only when a handler asks for it — after authentication — so an anonymous
// caller cannot make a function read (or buffer) a body.

export interface HttpRequest {
  method: string;
  /** Path as sent (percent-encoded), without the query, e.g. `/uploads/ABC/sign`; the router decodes each segment. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /**
   * Reads the body on demand (once; later calls answer the same): undefined when the request has none.
   * Rejects with a 413 HttpError past the adapter's limit.
   */
  body(): Promise<Buffer | undefined>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Empty for bodiless responses (204). */
  body: Buffer;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

/** JSON request bodies are capped here: the largest legitimate one (complete with 10,000 parts) is ~600 KB. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
