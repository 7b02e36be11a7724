// What the scenarios share: the stack, the cluster manifests, output, options, and the big artifact
// that scenario 1 uploads and scenario 3 downloads.
import type { DemoCluster } from './cluster';
import type { Reporter } from './report';
import type { DemoStack } from './stack';

export interface BigArtifact {
  namespace: string;
  workflow: string;
  nodeId: string;
  /** The output artifact (a directory) and the file in it. */
  artifact: string;
  file: string;
  key: string;
  size: number;
  sha256: string;
  crc64: string;
}

export interface DemoContext {
  stack: DemoStack;
  cluster: DemoCluster;
  report: Reporter;
  /** Bytes of the generated file. */
  size: number;
  /** Bytes of the plugin scenario's file (20 GiB when the disk allows and no --size was given). */
  pluginSize?: number;
  /** Where the generated file and the pods' token files go. */
  workDir: string;
  /** Set by scenario 1; scenario 3 uploads one itself when it runs alone. */
  big?: BigArtifact;
  /** Keys this run wrote, removed at the end unless --keep. */
  prefixes: string[];
  /** Set by scenario 3: how to fetch the artifact again (printed with --keep). */
  viewer?: { token: string; path: string };
  /** Aborted on Ctrl-C: long steps stop, and no step starts. */
  signal: AbortSignal;
  /** The uploader child in flight (killed on Ctrl-C). */
  children: Set<import('node:child_process').ChildProcess>;
}

/** JSON over HTTP to the gateway: { status, body } with the body parsed when it is JSON. */
export async function callJson(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body };
}
