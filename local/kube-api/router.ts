// Path-pattern routing: `/apis/argoproj.io/v1alpha1/namespaces/:namespace/workflows/:name`.
// A path that matches with the wrong method is a 405, one that matches nothing a 404.
import type { IncomingHttpHeaders } from 'node:http';
import type { TokensConfig } from './tokens';
import type { UserInfo } from './types';
import { methodNotAllowed, pathNotFound } from './status';

export interface ApiRequest {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Media type of the body without parameters, lower-cased ('' if none). */
  contentType: string;
  user: UserInfo;
  /** The tokens file as validated for this request (authorization reads the same snapshot). */
  tokens: TokensConfig;
  /** The raw body text (size-limited); '' when there is none. */
  body(): Promise<string>;
}

export interface ApiReply {
  code: number;
  body: unknown;
}

export type ApiHandler = (req: ApiRequest) => Promise<ApiReply>;

interface Route {
  segments: string[];
  handlers: Map<string, ApiHandler>;
}

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: ApiHandler): this {
    const segments = pattern.split('/').filter(Boolean);
    let route = this.routes.find((r) => r.segments.join('/') === segments.join('/'));
    if (!route) this.routes.push((route = { segments, handlers: new Map() }));
    route.handlers.set(method, handler);
    return this;
  }

  /** The handler and path parameters; throws a 404/405 Status. */
  resolve(method: string, pathname: string): { handler: ApiHandler; params: Record<string, string> } {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      const handler = route.handlers.get(method);
      if (handler) return { handler, params };
    }
    throw pathMatched ? methodNotAllowed(method) : pathNotFound();
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (p.startsWith(':')) params[p.slice(1)] = part;
    else if (p !== part) return undefined;
  }
  return params;
}
