// A pod's plugin sidecar as Argo runs it: the plugin image's entrypoint with the socket path appended
// (`argo-oss plugin /tmp/artifact-plugins/<name>/socket`), the pod's service-account token in its
// token file, nothing else from the caller's environment that would pick another identity. Stopped
// with SIGTERM, as the kubelet stops a sidecar.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../shared/backoff';
import type { PluginSidecar, PodInfo } from './harness';

// Empty inside the CommonJS CLI bundle, where the running script (argo-oss.cjs) is the CLI itself.
const here: string | undefined = import.meta.url;

/** `node bin/argo-oss.mjs plugin` (from the sources) or `node argo-oss.cjs plugin` (the bundle): the CLI as the image runs it. */
export const ARGO_OSS_PLUGIN_COMMAND: readonly string[] = [process.execPath, here ? fileURLToPath(new URL('../../bin/argo-oss.mjs', here)) : process.argv[1], 'plugin'];

export interface PluginProcessOptions {
  /** The entrypoint; the socket path is appended (default ARGO_OSS_PLUGIN_COMMAND). */
  command?: readonly string[];
  /** Extra environment (e.g. tuning); ARGO_OSS_TOKEN_FILE is always the pod's token file. */
  env?: NodeJS.ProcessEnv;
  /** Where the sidecar's output goes (default: dropped). */
  output?: (line: string) => void;
  /** Called with each child, e.g. to kill it on Ctrl-C. */
  onSpawn?: (child: ChildProcess) => void;
}

/** Resolves once `socket` exists; rejects if the child exits first. */
async function socketReady(child: ChildProcess, socket: string, output: () => string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${signal ?? code}) before serving: ${output().trim().slice(-2000)}`));
  for (;;) {
    if (exited) throw new Error(`plugin ${exited}`);
    if (await stat(socket).then((s) => s.isSocket(), () => false)) return;
    await sleep(25);
  }
}

/** A StartPlugin for the harness (any pod with a name and a token file). */
export function pluginProcess(o: PluginProcessOptions = {}): (pod: Pick<PodInfo, 'name' | 'tokenFile'>, socket: string) => Promise<PluginSidecar> {
  const [cmd, ...args] = o.command ?? ARGO_OSS_PLUGIN_COMMAND;
  return async (pod, socket): Promise<PluginSidecar> => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...o.env, ARGO_OSS_TOKEN_FILE: pod.tokenFile };
    delete env.ARGO_OSS_TOKEN;
    const child = spawn(cmd, [...args, socket], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    o.onSpawn?.(child);
    let tail = '';
    const onData = (d: Buffer) => {
      tail = (tail + d.toString('utf8')).slice(-8192);
      if (o.output) for (const line of d.toString('utf8').split('\n')) if (line.trim()) o.output(`[${pod.name} plugin] ${line}`);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await socketReady(child, socket, () => tail);
    return {
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        await exit;
      },
    };
  };
}
