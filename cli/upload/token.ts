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
    const st = await stat(path);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (cached?.stamp === stamp) return cached.token;
    const token = (await readFile(path, 'utf8')).trim();
    if (!token) throw new Error(`the token file ${path} is empty`);
    cached = { token, stamp };
    return token;
  };
}
