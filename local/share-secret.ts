// Share links on the local stack are on by default: the secret is ARGO_OSS_SHARE_SECRET when set,
// else the one kept in <data-dir>/share-secret (made at the first start, so links printed earlier
// keep working after a restart).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../shared/config';

export interface LocalShareSecret {
  secret: string;
  /** Where it came from. */
  source: 'environment' | 'data-dir' | 'generated';
}

export async function localShareSecret(dataDir: string, env: Env): Promise<LocalShareSecret> {
  const given = env.ARGO_OSS_SHARE_SECRET?.trim();
  if (given) return { secret: given, source: 'environment' };
  const file = join(dataDir, 'share-secret');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept.length >= 32) return { secret: kept, source: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return { secret, source: 'generated' };
}
