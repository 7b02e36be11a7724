import { ConfigError, loadConfig } from '../../shared/config';
import {
  ARTIFACT_RULE_PREFIX,
  DECLARED_RULE_PREFIX,
  describeLifecycle,
  LifecycleRulesError,
  loadLifecycleRulesFile,
  reconcileLifecycle,
  type RuleOwner,
} from '../../shared/lifecycle';
import { createOssClientFromConfig, OssArgumentError, type LifecycleRule, type OssClient } from '../../shared/oss';
import { parseFlags, unknownSubcommand, UsageError, type Command } from '../command';

const usage = `Usage: argo-oss lifecycle apply --config rules.yaml [--dry-run] [--json]
       argo-oss lifecycle show [--json]

apply  keeps the declared rules of rules.yaml on the bucket: reads the bucket's lifecycle
       configuration, adds, updates and removes only the rules argo-oss declared (IDs
       ${DECLARED_RULE_PREFIX}<id>), keeps every other rule exactly as it is (and Argo's
       per-artifact rules ${ARTIFACT_RULE_PREFIX}*), and writes only when something changed.
       Prints the diff: + added, ~ updated, - removed, = kept.
show   prints the bucket's rules, each marked declared, per-artifact or foreign.

Options:
  --config FILE   the rules file (format: examples/lifecycle-rules.yaml)
  --dry-run       print what would change; write nothing
  --json          print one JSON document instead of text

Environment: OSS_BUCKET, OSS_REGION, OSS_ENDPOINT and the credentials (OSS_ACCESS_KEY_ID /
OSS_ACCESS_KEY_SECRET / OSS_SECURITY_TOKEN or ALIBABA_CLOUD_*), as for every component.

Exit codes: 0 done (or nothing to do), 1 OSS failed or the rules conflict with the bucket's,
2 bad usage, configuration or rules file (each problem named by its field).`;

const days = (v: unknown) => `${String(v)}d`;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** One line per rule: what it selects and what it does. */
export function describeRule(r: LifecycleRule): string {
  const when = (w: { days?: unknown; createdBeforeDate?: unknown } | undefined) =>
    w?.days !== undefined ? `after ${days(w.days)}` : w?.createdBeforeDate !== undefined ? `before ${String(w.createdBeforeDate)}` : '';
  const tags = list(r.tag).map((t) => `${t.key}=${t.value}`);
  const actions = [
    ...list(r.transition).map((t) => `${t.storageClass} ${when(t)}`),
    ...(r.expiration ? [r.expiration.expiredObjectDeleteMarker !== undefined && r.expiration.days === undefined ? 'remove expired delete markers' : `expire ${when(r.expiration)}`] : []),
    ...(r.abortMultipartUpload ? [`abort uploads ${when(r.abortMultipartUpload)}`] : []),
    ...(r.noncurrentVersionExpiration ? ['noncurrent versions expire'] : []),
  ];
  const filter = [`prefix ${JSON.stringify(r.prefix ?? '')}`, ...(tags.length ? [`tags ${tags.join(',')}`] : []), ...(r.filter ? ['+filter'] : [])].join(' ');
  return `${filter}: ${actions.join(', ') || '(no action)'}${r.status === 'Disabled' ? ' [disabled]' : ''}`;
}

const OWNER_LABEL: Record<RuleOwner, string> = { declared: 'ours', artifact: 'ours (per-artifact)', foreign: 'foreign' };

function client(): OssClient | number {
  try {
    return createOssClientFromConfig(loadConfig(process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`argo-oss lifecycle: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

async function apply(values: { config?: string; 'dry-run'?: boolean; json?: boolean }): Promise<number> {
  if (!values.config) throw new UsageError('--config FILE is required for apply');
  let file;
  try {
    file = await loadLifecycleRulesFile(values.config);
  } catch (err) {
    if (err instanceof LifecycleRulesError) {
      console.error(`argo-oss lifecycle: ${err.message}`);
      return 2;
    }
    throw err;
  }
  for (const w of file.warnings) console.error(`argo-oss lifecycle: warning: ${file.source}: ${w}`);
  const oss = client();
  if (typeof oss === 'number') return oss;
  const dryRun = values['dry-run'] === true;
  let result;
  try {
    result = await reconcileLifecycle(oss, file, { dryRun });
  } catch (err) {
    if (err instanceof OssArgumentError) {
      // The merged configuration would be refused by OSS (e.g. a clash with a foreign rule).
      console.error(`argo-oss lifecycle: the declared rules cannot be merged into bucket ${oss.bucket}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (values.json) {
    console.log(JSON.stringify({ bucket: oss.bucket, config: file.source, dryRun, ...result }, null, 2));
    return 0;
  }
  const byId = new Map(result.rules.map((r) => [r.id, r]));
  const line = (mark: string, id: string) => `  ${mark} ${id}${byId.has(id) ? `  ${describeRule(byId.get(id)!)}` : ''}`;
  const ours = result.rules.filter((r) => r.id && file.rules.some((d) => d.ruleId === r.id));
  const unchanged = ours.filter((r) => !result.added.includes(r.id!) && !result.updated.includes(r.id!)).map((r) => r.id!);
  console.log(`lifecycle rules of bucket ${oss.bucket} (${file.source}: ${file.rules.length} declared)${dryRun ? ' - dry run' : ''}`);
  for (const id of result.added) console.log(line('+', id));
  for (const id of result.updated) console.log(line('~', id));
  for (const id of result.removed) console.log(line('-', id));
  for (const id of unchanged) console.log(line('=', id));
  console.log(`added ${result.added.length}, updated ${result.updated.length}, removed ${result.removed.length}, kept ${result.kept}; ` +
    `foreign rules untouched: ${result.foreign}; per-artifact rules untouched: ${result.artifactRules}`);
  console.log(!result.changed ? 'no change: nothing written' : result.written ? 'written' : 'dry run: nothing written');
  return 0;
}

async function show(values: { json?: boolean }): Promise<number> {
  const oss = client();
  if (typeof oss === 'number') return oss;
  const rules = await describeLifecycle(oss);
  if (values.json) {
    console.log(JSON.stringify({ bucket: oss.bucket, rules: rules.map(({ rule, owner }) => ({ owner, ...rule })) }, null, 2));
    return 0;
  }
  if (rules.length === 0) {
    console.log(`bucket ${oss.bucket} has no lifecycle rules`);
    return 0;
  }
  console.log(`lifecycle rules of bucket ${oss.bucket} (${rules.length}):`);
  const width = Math.max(...rules.map(({ rule }) => (rule.id ?? '').length));
  for (const { rule, owner } of rules) console.log(`  ${(rule.id ?? '(no id)').padEnd(width)}  [${OWNER_LABEL[owner]}]  ${describeRule(rule)}`);
  return 0;
}

export const lifecycleCommand: Command = {
  name: 'lifecycle',
  summary: 'apply declared bucket lifecycle rules (merging, never clobbering) or show them',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { config: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } }, true);
    const [sub, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (sub === 'apply') return apply(values);
    if (sub === 'show') {
      for (const flag of ['config', 'dry-run'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to apply, not show`);
      return show(values);
    }
    throw unknownSubcommand('subcommand', sub, ['apply', 'show']);
  },
};
