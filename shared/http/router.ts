// A minimal router: METHOD + pattern with `:param` segments, 404/405 as JSON, HttpError -> JSON,
// any other error -> mapError() or 500.
import { errorResponse, HttpError } from './errors';
import type { HttpHandler, HttpRequest, HttpResponse } from './types';

export type RouteHandler = (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse> | HttpResponse;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

export interface RouterOptions {
  /** Turns a non-HttpError into one (e.g. upstream errors); undefined means 500. */
  mapError?: (err: unknown) => HttpError | undefined;
  /** Told about unexpected (500) errors. */
  onError?: (err: unknown, req: HttpRequest) => void;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Segments of a request path, each percent-decoded; undefined for a malformed encoding. */
function splitDecoded(path: string): string[] | undefined {
  try {
    return split(path).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function match(route: Route, segments: string[]): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i];
    if (want.startsWith(':')) params[want.slice(1)] = segments[i];
    else if (want !== segments[i]) return undefined;
  }
  return params;
}

export class Router {
  private readonly routes: Route[] = [];

  constructor(private readonly options: RouterOptions = {}) {}

  on(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  /** The router as a platform-free handler; it never throws. */
  readonly handle: HttpHandler = async (req) => {
    try {
      const segments = splitDecoded(req.path);
      if (!segments) throw new HttpError(400, 'InvalidPath', `malformed percent-encoding in ${req.path}`);
      const candidates = this.routes.map((r) => [r, match(r, segments)] as const).filter(([, p]) => p !== undefined);
      if (candidates.length === 0) throw new HttpError(404, 'NotFound', `no route for ${req.path}`);
      const method = req.method.toUpperCase();
      const hit = candidates.find(([r]) => r.method === method) ?? (method === 'HEAD' ? candidates.find(([r]) => r.method === 'GET') : undefined);
      if (!hit) {
        const allow = [...new Set(candidates.map(([r]) => r.method))].join(', ');
        throw new HttpError(405, 'MethodNotAllowed', `${method} is not allowed on ${req.path} (allowed: ${allow})`, { headers: { allow } });
      }
      const res = await hit[0].handler(req, hit[1]!);
      return method === 'HEAD' ? { ...res, body: Buffer.alloc(0) } : res;
    } catch (err) {
      const httpErr = err instanceof HttpError ? err : this.options.mapError?.(err);
      if (httpErr) return errorResponse(httpErr);
      this.options.onError?.(err, req);
      return errorResponse(new HttpError(500, 'InternalError', 'internal error'));
    }
  };
}
