// A pod-like step: a Pod of the workflow, owned by it as Argo's controller owns its pods, with a pod-bound service-account token (what the kubelet
// projects into /var/run/secrets/...), and `argo-oss upload` run as that pod runs it — a child
// process reading its token from a file, talking to the coordinator, showing its progress on stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workflowPodManifest } from '../../local/kube-api/argo-objects';
import type { DemoContext } from './context';
import { NAMESPACE } from './workflows';

export const ARGO_OSS_BIN = fileURLToPath(new URL('../../bin/argo-oss.mjs', import.meta.url));

export interface DemoPod {
  workflow: string;
  name: string;
  uid: string;
  /** The node id of the pod in the workflow's status. */
  nodeId: string;
  tokenFile: string;
  token: string;
}

/** Writes the running Pod `name` of `workflow` (its controller owner) and its pod-bound token; the token also goes to a file. */
export async function startPod(ctx: DemoContext, workflow: { name: string; uid: string }, name: string, nodeId: string): Promise<DemoPod> {
  const uid = randomUUID();
  const token = `demo-pod-${randomBytes(16).toString('hex')}`;
  await ctx.cluster.writePod(workflowPodManifest({ namespace: NAMESPACE, ...workflow }, { name, uid }) as Parameters<DemoContext['cluster']['writePod']>[0]);
  await ctx.cluster.addTokens([{ token, serviceAccount: { namespace: NAMESPACE, name: 'default' }, pod: { name, uid } }]);
  const tokenFile = join(ctx.workDir, `${name}.token`);
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { workflow: workflow.name, name, uid, nodeId, tokenFile, token };
}

/** The uploader's --json summary (the fields the demo reads). */
export interface UploadJson {
  key: string;
  uploadId: string;
  size: number;
  crc64: string;
  parts: number;
  partSize: number;
  partsUploaded: number;
  partsReused: number;
  seconds: number;
  resumed: boolean;
  verified: boolean;
  error?: { code: string; message: string };
}

export interface UploadRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; summary?: UploadJson }>;
}

/** `argo-oss upload FILE --key KEY --token-file … --json` as the pod runs it; progress goes to our stderr. */
export function runUpload(ctx: DemoContext, pod: DemoPod, file: string, key: string, extra: string[] = []): UploadRun {
  // The pod's environment: the coordinator URL, nothing of the user's shell that would pick another identity.
  const env: NodeJS.ProcessEnv = { ...process.env, ARGO_OSS_COORDINATOR: ctx.stack.gatewayUrl };
  delete env.ARGO_OSS_TOKEN;
  delete env.ARGO_OSS_TOKEN_FILE;
  ctx.signal.throwIfAborted();
  const args = ['upload', file, '--key', key, '--token-file', pod.tokenFile, '--json', ...extra];
  ctx.report.info(`$ argo-oss ${args.map((a) => (a === file ? '<file>' : a === pod.tokenFile ? '<pod token>' : a)).join(' ')}`);
  const child = spawn(process.execPath, [ARGO_OSS_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  ctx.children.add(child);
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; summary?: UploadJson }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ctx.children.delete(child);
      const last = stdout.trim().split('\n').pop();
      let summary: UploadJson | undefined;
      try {
        summary = last ? (JSON.parse(last) as UploadJson) : undefined;
      } catch {
        summary = undefined;
      }
      resolve({ code, signal, ...(summary ? { summary } : {}) });
    });
  });
  return { child, done };
}
