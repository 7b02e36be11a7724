import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig, startupWarnings } from '../../shared/config';
import type { GcSummary } from '../../shared/gc/types';
import { count, plural } from '../../shared/numbers';
import { formatBytes } from '../../shared/size';
import { parseFlags, unknownSubcommand, UsageError, type Command } from '../command';

const usage = `Usage: argo-oss gc reconcile [--dry-run] [--json] [--quiet]
       argo-oss gc event FILE|- [--dry-run] [--json] [--quiet]

reconcile  what the timer trigger runs: lists the cluster's Workflows, handles completions whose
           events were missed, reclaims the artifacts of deleted workflows and delayed ones,
           retries failed deletions, aborts stale multipart uploads and re-applies
           ARGO_OSS_LIFECYCLE_RULES.
event      handles one CloudEvent or a JSON array of them from FILE (or stdin with -), as the
           EventBridge trigger would: kube-eventer Workflow events or whole-Workflow CloudEvents.

Options:
  --dry-run  plan and audit, delete nothing (also ARGO_OSS_GC_DRY_RUN=true)
  --json     print the JSON summary instead of a table
  --quiet    do not print the per-artifact log lines (JSON) on stderr

Environment: OSS_BUCKET, OSS_REGION, OSS_ENDPOINT, the OSS credentials, the cluster
(KUBECONFIG, ARGO_OSS_KUBECONFIG_BASE64 or ARGO_OSS_KUBE_SERVER/TOKEN) and the ARGO_OSS_GC_*
settings, as for the artifact-gc function.

Exit codes: 0 done, 1 something failed (retried by the next reconcile), 2 bad usage or configuration.`;

const MAX_EVENT_BYTES = 32 * 1024 * 1024;

async function readInput(source: string): Promise<Buffer> {
  if (source !== '-') {
    const buf = await readFile(source);
    if (buf.length > MAX_EVENT_BYTES) throw new UsageError(`${source} is larger than ${formatBytes(MAX_EVENT_BYTES)}`);
    return buf;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_EVENT_BYTES) throw new UsageError(`stdin is larger than ${formatBytes(MAX_EVENT_BYTES)}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

export function table(s: GcSummary): string {
  const rows = s.plan.map((p) => `  ${p.action.padEnd(7)} ${p.workflow} ${p.node ? `${p.node}/${p.artifact}` : ''} ${p.key ?? ''} ${p.objects !== undefined ? `(${plural(p.objects, 'object')}) ` : ''}- ${p.reason}`);
  const counts = `planned ${count(s.planned)}, deleted ${count(s.deleted)} (${plural(s.objects, 'object')}), kept ${count(s.kept)}, deferred ${count(s.deferred)}, refused ${count(s.refused)}, failed ${count(s.failed)}, skipped ${count(s.skipped)}`;
  const extra = [
    s.events ? `events: ${count(s.events.received)} received, ${count(s.events.handled)} handled, ${plural(s.events.duplicates, 'duplicate')}, ${count(s.events.ignored)} ignored, ${count(s.events.malformed)} malformed` : '',
    s.workflows ? `workflows: ${count(s.workflows.listed)} listed, ${plural(s.workflows.missedCompletions, 'missed completion')}, ${plural(s.workflows.deletionsDetected, 'deletion')} detected` : '',
    s.uploads ? `uploads: ${count(s.uploads.aborted)} aborted, ${plural(s.uploads.manifestsRemoved, 'manifest')} removed, ${count(s.uploads.failed)} failed` : '',
    ...s.errors.map((e) => `error: ${e}`),
  ].filter(Boolean);
  return [`${s.dryRun ? 'DRY RUN: ' : ''}${counts}`, ...extra, ...rows, ...(s.truncated ? [`  … ${s.truncated} more`] : [])].join('\n');
}

export const gcCommand: Command = {
  name: 'gc',
  summary: 'artifact GC: run the reconcile, or handle workflow events from a file',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } }, true);
    const [action, source, ...rest] = positionals;
    if (action !== 'reconcile' && action !== 'event') throw unknownSubcommand('action', action, ['reconcile', 'event']);
    if (action === 'reconcile' && source !== undefined) throw new UsageError(`reconcile takes no arguments (got ${JSON.stringify(source)})`);
    if (action === 'event' && source === undefined) throw new UsageError('event needs FILE, or - for stdin');
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    const payload = action === 'event' ? await readInput(source!) : undefined;

    const { createGcApp } = await import('../../shared/gc/app');
    let app;
    try {
      const config = loadConfig(process.env);
      // The single-tenant warning goes to stderr even with --quiet: it is about what this run may delete.
      for (const w of startupWarnings(config)) process.stderr.write(`argo-oss gc: ${w}\n`);
      app = createGcApp(config, { log: values.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`) });
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(`argo-oss gc: ${err.message}`);
        return 2;
      }
      throw err;
    }
    try {
      const options = values['dry-run'] ? { dryRun: true } : {};
      const summary = action === 'reconcile' ? await app.reconcile(options) : await app.handleEvents(payload!, options);
      console.log(values.json ? JSON.stringify(summary, null, 2) : table(summary));
      return summary.errors.length > 0 || summary.failed > 0 ? 1 : 0;
    } finally {
      app.close();
    }
  },
};
