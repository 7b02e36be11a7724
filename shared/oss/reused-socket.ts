// One retry for an idempotent OSS request that failed because a reused keep-alive socket was reset.
// Function Compute freezes an instance between invocations, so the idle timers of pooled sockets do
// not run; after a long idle the first request can go out on a socket OSS has already closed and fail
// with ECONNRESET/EPIPE although the request never reached OSS. Node's advice for exactly this case
// (http.ClientRequest#reusedSocket) is one retry on a new socket. The keep-alive agents of
// shared/oss/client.ts report such a reset to the request attempt that runs in `attempt`.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest } from 'node:http';

interface Attempt {
  reusedSocketReset: boolean;
}

const attempt = new AsyncLocalStorage<Attempt>();
const RESET = new Set(['ECONNRESET', 'EPIPE']);

/** Called by the agents for every request they place: notes a reset of a reused socket. */
export function watchReusedSocket(req: ClientRequest): void {
  const current = attempt.getStore();
  if (!current) return;
  req.once('error', (err: NodeJS.ErrnoException) => {
    if (req.reusedSocket && RESET.has(err.code ?? '')) current.reusedSocketReset = true;
  });
}

/** Runs `fn`; if it failed on a reset of a reused socket and `idempotent`, runs it once more. */
export async function retryOnReusedSocketReset<T>(fn: () => Promise<T>, idempotent: boolean): Promise<T> {
  const first: Attempt = { reusedSocketReset: false };
  try {
    return await attempt.run(first, fn);
  } catch (err) {
    if (!idempotent || !first.reusedSocketReset) throw err;
    return await attempt.run({ reusedSocketReset: false }, fn);
  }
}
