// The platform-free request/response pair every adapter (Node http, FC HTTP trigger) converts to and
// from. Bodies are whole Buffers: these endpoints exchange small JSON documents, never artifacts.

export interface HttpRequest {
  method: string;
  /** Path as sent (percent-encoded), without the query, e.g. `/uploads/ABC/sign`; the router decodes each segment. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** undefined when the request had no body. */
  body: Buffer | undefined;
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
