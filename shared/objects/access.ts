// Who may read, list and delete which keys through the object endpoints.
//   admin                  → any key (validateArtifactKey already keeps .argo-oss/ out)
//   workflow pod           → keys under its workflow's prefix
import { HttpError } from '../http/errors';
import type { Caller } from '../upload/auth';

export function mayRead(caller: Caller, key: string): boolean {
  return caller.kind === 'admin' || key.startsWith(caller.prefix);
}

export function mayDelete(caller: Caller, key: string): boolean {
  return caller.kind === 'admin' || key.startsWith(caller.prefix);
}

/** 403 with the same body whether or not the key exists. */
export function forbidden(caller: Caller, what: 'read' | 'list' | 'delete', key: string): HttpError {
  const who = caller.kind === 'admin' ? caller.username : `workflow ${caller.namespace}/${caller.workflow}`;
  return new HttpError(403, 'Forbidden', `${who} may not ${what} ${key}`, { field: what === 'list' ? 'prefix' : 'key' });
}
