// The caller's bearer token for the coordinator, from a file the kubelet rotates (a projected
// service-account token is rewritten well before it expires): read again whenever the file changed.
import { readFile, stat } from 'node:fs/promises';

/** In a pod, the projected service-account token. */
export const SERVICE_ACCOUNT_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * A token source over `path`: each call stats the file (cheap) and reads it again when its identity,
 * size or mtime changed, so a rotated token is used from the next request on. Rejects when the file
 * is missing, unreadable or empty.
 */
export function tokenFromFile(path: string): () => Promise<string> {
  let cached: { token: string; stamp: string } | undefined;
  return async () => {
    let token: string;
    try {
      const st = await stat(path);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (cached?.stamp === stamp) return cached.token;
      token = (await readFile(path, 'utf8')).trim();
      cached = { token, stamp };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw Object.assign(new Error(`cannot read the token file ${path}: ${code ?? (err as Error).message}`), { code });
    }
    if (!token) throw new Error(`the token file ${path} is empty`);
    return token;
  };
}
