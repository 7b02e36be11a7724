// What a user who drops a Workflow manifest into the cluster directory needs to hear: the manifest
// is served, but the download and GC functions read status.nodes[…].outputs.artifacts, which only
// the Argo controller writes — a submit-time spec (as in examples/) has nothing to browse or reclaim,
// and one without metadata.namespace lands in "default". Logged once per file content.
import { isJsonObject, type JsonObject } from './json';

export function workflowAdvice(raw: JsonObject): string[] {
  const out: string[] = [];
  const meta = isJsonObject(raw.metadata) ? raw.metadata : {};
  if (meta.namespace === undefined) out.push('it has no metadata.namespace, so it is served in namespace "default"');
  const status = isJsonObject(raw.status) ? raw.status : undefined;
  if (status && (status.offloadNodeStatusVersion !== undefined || status.compressedNodes !== undefined)) return out;
  const nodes = status && isJsonObject(status.nodes) ? Object.values(status.nodes) : [];
  if (nodes.length === 0) {
    out.push(
      'it has no status.nodes: a submit-time spec (like the files in examples/) has no artifacts to browse or reclaim; ' +
        'the Argo controller writes status.nodes[…].outputs.artifacts (see the seeded example and docs/local-stack.md)',
    );
  } else if (!nodes.some((n) => isJsonObject(n) && isJsonObject(n.outputs) && Array.isArray(n.outputs.artifacts) && n.outputs.artifacts.length > 0)) {
    out.push('no node in status.nodes has outputs.artifacts: there is nothing to browse or reclaim');
  }
  return out;
}
