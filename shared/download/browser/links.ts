// Links on the browser pages. A page opened through a share link carries the link's authority to
// what it shows: every link to the page's own path or below it gets its own signature (same expiry,
// same secret, and the grant that binds it to the artifact's key; share.ts signs exact paths), so a
// shared listing is browsable, its folder downloads and previews work, and nothing outside the
// shared path is ever reachable — parents stay plain text.
import { canonicalPath, type ArtifactRoute } from '../routes';
import { shareGrant, shareParams, shareSignature } from '../share';

/** Authority of a request that came in through a valid share link. */
export interface ShareGrant {
  secret: string;
  expires: number;
  /** The artifact's key, which every link's grant is bound to (the one the verified link names). */
  key: string;
}

/** The authority of a request that carries share parameters (already verified by the app), when sharing is on. */
export function linkGrant(query: URLSearchParams, secret: string | undefined, key: string): ShareGrant | undefined {
  const p = shareParams(query);
  return p && secret ? { secret, expires: p.expires, key } : undefined;
}

function sign(q: URLSearchParams, g: ShareGrant, path: string): void {
  q.set('expires', String(g.expires));
  q.set('signature', shareSignature(g.secret, path, g.expires));
  q.set('grant', shareGrant(g.secret, path, g.expires, g.key));
}

export class Links {
  constructor(
    /** Canonical path of the page being rendered. */
    readonly current: string,
    readonly grant?: ShareGrant,
  ) {}

  get shared(): boolean {
    return this.grant !== undefined;
  }

  /** True when `path` is the page's own path or lies below it (the only places a shared page may link). */
  covers(path: string): boolean {
    if (path === this.current) return true;
    const base = this.current.endsWith('/') ? this.current : `${this.current}/`;
    return path.startsWith(base);
  }

  /**
   * href for the canonical `path` with `query`; under a share link it gets its own signature, and it
   * is undefined for a path the share does not cover (render it as text).
   */
  to(path: string, query: Record<string, string> = {}): string | undefined {
    if (this.grant && !this.covers(path)) return undefined;
    const q = new URLSearchParams(query);
    if (this.grant) sign(q, this.grant, path);
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  }
}

/**
 * The query string (with '?') a redirect from `current` to `target` keeps: the other parameters as
 * they were and, when `target` only adds or drops the final '/', a share link re-signed for it
 * (anything else loses the share parameters: a share never reaches another path).
 */
export function redirectSearch(query: URLSearchParams, current: string, target: string, grant: ShareGrant | undefined): string {
  const q = new URLSearchParams(query);
  if (grant) {
    if (target === `${current}/` || `${target}/` === current) sign(q, grant, target);
    else for (const k of ['signature', 'expires', 'grant']) q.delete(k);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Canonical path of the artifact's root listing (`…/{artifact}/`). */
export function artifactRootPath(route: ArtifactRoute): string {
  return canonicalPath({ ...route, kind: 'artifact-files', subPath: [], trailingSlash: true });
}

/** Canonical path of `subPath` below the artifact, as a listing (`/` at the end) or a file. */
export function pathBelow(route: ArtifactRoute, subPath: readonly string[], dir: boolean): string {
  return canonicalPath({ ...route, kind: 'artifact-files', subPath: [...subPath], trailingSlash: dir });
}
