/*
 * The declared lifecycle rules file (`argo-oss lifecycle apply --config rules.yaml`, and
 * ARGO_OSS_LIFECYCLE_RULES for the GC reconcile):
 *
 *   rules:
 *     - id: logs-ia                # required; becomes the bucket rule ID argo-oss-logs-ia
 *       prefix: artifacts/         # optional bucket key prefix (relative, no leading '/'); default ''
 *       tags: { team: ml }         # optional: only objects carrying all these tags
 *       expireAfterDays: 90        # optional: delete objects N days after their last modification
 *       transitions:               # optional: colder storage after N days (ascending, each class once)
 *         - { afterDays: 30, storageClass: IA }          # IA | Archive | ColdArchive
 *         - { afterDays: 60, storageClass: Archive }
 *       abortIncompleteUploadsAfterDays: 7   # optional: abort multipart uploads N days after start
 *                                            # (prefix-only rules: OSS refuses it with tags)
 *       enabled: true              # optional, default true (false keeps the rule, Disabled)
 *       allowWholeBucket: false    # required true for a prefix that covers .argo-oss/ (e.g. '')
 *                                  # with expiry or transitions and no tags
 *
 * Every problem is reported with its path (`rules[2].transitions[0].storageClass: …`); unknown keys are
 * errors because they are usually typos of a real one.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { OWNED_RULE_PREFIX, type LifecycleRule } from '../oss/lifecycle-merge';
import { hasControlChars, RESERVED_PREFIX } from '../tenancy';

export const STORAGE_CLASSES = ['IA', 'Archive', 'ColdArchive'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/** IDs of declared rules on the bucket: OWNED_RULE_PREFIX + the file's id. */
export const DECLARED_RULE_PREFIX = OWNED_RULE_PREFIX;
/** Sub-prefix of the per-artifact rules (argo-rules.ts); a declared id may not reach into it. */
export const ARTIFACT_RULE_PREFIX = `${OWNED_RULE_PREFIX}argo-`;

/** OSS's bound on lifecycle Days (10,000 years). */
export const MAX_DAYS = 3_650_000;
const MAX_TAGS = 10; // an object carries at most 10 tags, so a rule needing more never matches
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const TAG_CHARS = /^[A-Za-z0-9 +\-=._:/]*$/;

const RULE_FIELDS = ['id', 'prefix', 'tags', 'expireAfterDays', 'transitions', 'abortIncompleteUploadsAfterDays', 'enabled', 'allowWholeBucket'];
const TRANSITION_FIELDS = ['afterDays', 'storageClass'];

export interface DeclaredTransition {
  afterDays: number;
  storageClass: StorageClass;
}

/** One validated rule of the file. */
export interface DeclaredRule {
  /** As written in the file. */
  id: string;
  /** The bucket rule ID: argo-oss-<id>. */
  ruleId: string;
  prefix: string;
  tags: Record<string, string>;
  expireAfterDays?: number;
  transitions: DeclaredTransition[];
  abortIncompleteUploadsAfterDays?: number;
  enabled: boolean;
  allowWholeBucket: boolean;
}

export interface LifecycleRulesFile {
  /** Where the text came from (a path, or a name given by the caller). */
  source: string;
  rules: DeclaredRule[];
  /** Accepted but suspicious settings, one line each with its path. */
  warnings: string[];
}

export interface RulesProblem {
  path: string;
  message: string;
}

export class LifecycleRulesError extends Error {
  override name = 'LifecycleRulesError';
  constructor(
    readonly source: string,
    readonly problems: readonly RulesProblem[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n')}`);
  }
}

const CLASS_RANK: Record<StorageClass, number> = { IA: 1, Archive: 2, ColdArchive: 3 };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : String(v));

class Checker {
  readonly problems: RulesProblem[] = [];
  readonly warnings: string[] = [];

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  fields(path: string, obj: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!known.includes(k)) this.fail(`${path}.${k}`, `unknown key (allowed: ${known.join(', ')})`);
    }
  }

  days(path: string, v: unknown): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DAYS) {
      this.fail(path, `must be a whole number of days from 1 to ${MAX_DAYS}, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  bool(path: string, v: unknown, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      this.fail(path, `must be true or false, got ${show(v)}`);
      return fallback;
    }
    return v;
  }
}

/** A bucket key prefix: relative, no '\', no control characters, at most 1023 bytes. */
function checkPrefix(c: Checker, path: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') {
    c.fail(path, `must be a string (a key prefix such as "logs/"), got ${show(v)}`);
    return '';
  }
  if (v.startsWith('/')) c.fail(path, "must be relative to the bucket: no leading '/'");
  else if (v.includes('\\')) c.fail(path, "must not contain '\\'");
  else if (hasControlChars(v)) c.fail(path, 'must not contain control characters');
  else if (Buffer.byteLength(v) > 1023) c.fail(path, 'must be at most 1023 bytes');
  else if (v.startsWith(RESERVED_PREFIX)) c.fail(path, `must not be inside the reserved prefix ${RESERVED_PREFIX} (argo-oss bookkeeping)`);
  return v;
}

function checkTags(c: Checker, path: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    c.fail(path, `must be a mapping of tag key to value, got ${show(v)}`);
    return {};
  }
  const out: Record<string, string> = {};
  const entries = Object.entries(v);
  if (entries.length > MAX_TAGS) c.fail(path, `at most ${MAX_TAGS} tags (an object carries at most ${MAX_TAGS})`);
  for (const [k, raw] of entries) {
    const value = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
    if (k.length < 1 || k.length > 128 || !TAG_CHARS.test(k)) {
      c.fail(`${path}.${k}`, 'tag keys are 1-128 characters of letters, digits, space and + - = . _ : /');
    } else if (typeof value !== 'string') {
      c.fail(`${path}.${k}`, `must be a string, got ${show(raw)}`);
    } else if (value.length > 256 || !TAG_CHARS.test(value)) {
      c.fail(`${path}.${k}`, 'tag values are 0-256 characters of letters, digits, space and + - = . _ : /');
    } else {
      out[k] = value;
    }
  }
  return out;
}

function checkTransitions(c: Checker, path: string, v: unknown): DeclaredTransition[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.fail(path, `must be a list of { afterDays, storageClass }, got ${show(v)}`);
    return [];
  }
  const out: DeclaredTransition[] = [];
  v.forEach((t: unknown, j) => {
    const tp = `${path}[${j}]`;
    if (!isObject(t)) {
      c.fail(tp, `must be a mapping { afterDays, storageClass }, got ${show(t)}`);
      return;
    }
    c.fields(tp, t, TRANSITION_FIELDS);
    const afterDays = t.afterDays === undefined ? (c.fail(`${tp}.afterDays`, 'is required'), undefined) : c.days(`${tp}.afterDays`, t.afterDays);
    const cls = STORAGE_CLASSES.find((s) => s === t.storageClass);
    if (!cls) c.fail(`${tp}.storageClass`, `must be one of ${STORAGE_CLASSES.join(', ')}${t.storageClass === undefined ? '' : `, got ${show(t.storageClass)}`}`);
    if (afterDays === undefined || !cls) return;
    const prev = out[out.length - 1];
    if (out.some((o) => o.storageClass === cls)) c.fail(`${tp}.storageClass`, `${cls} appears twice; each class may be used once`);
    else if (prev && afterDays <= prev.afterDays) c.fail(`${tp}.afterDays`, `must be later than the previous transition (${prev.afterDays} days): list transitions in ascending order`);
    else if (prev && CLASS_RANK[cls] <= CLASS_RANK[prev.storageClass]) c.fail(`${tp}.storageClass`, `must be colder than the previous transition's ${prev.storageClass} (order: ${STORAGE_CLASSES.join(' < ')})`);
    out.push({ afterDays, storageClass: cls });
  });
  return out;
}

function checkRule(c: Checker, path: string, v: unknown): DeclaredRule | undefined {
  if (!isObject(v)) {
    c.fail(path, `must be a mapping with at least id and one action, got ${show(v)}`);
    return undefined;
  }
  const before = c.problems.length;
  c.fields(path, v, RULE_FIELDS);
  let id = '';
  if (v.id === undefined) c.fail(`${path}.id`, 'is required');
  else if (typeof v.id !== 'string' || !ID_RE.test(v.id)) {
    c.fail(`${path}.id`, `must be 1-100 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, got ${show(v.id)}`);
  } else if (`${DECLARED_RULE_PREFIX}${v.id}`.startsWith(ARTIFACT_RULE_PREFIX)) {
    c.fail(`${path}.id`, `must not start with "argo-": ${ARTIFACT_RULE_PREFIX}* is reserved for Argo's per-artifact lifecycle rules`);
  } else id = v.id;

  const prefix = checkPrefix(c, `${path}.prefix`, v.prefix);
  const tags = checkTags(c, `${path}.tags`, v.tags);
  const expireAfterDays = c.days(`${path}.expireAfterDays`, v.expireAfterDays);
  const transitions = checkTransitions(c, `${path}.transitions`, v.transitions);
  const abortIncompleteUploadsAfterDays = c.days(`${path}.abortIncompleteUploadsAfterDays`, v.abortIncompleteUploadsAfterDays);
  const enabled = c.bool(`${path}.enabled`, v.enabled, true);
  const allowWholeBucket = c.bool(`${path}.allowWholeBucket`, v.allowWholeBucket, false);
  if (c.problems.length > before) return undefined;

  if (expireAfterDays === undefined && transitions.length === 0 && abortIncompleteUploadsAfterDays === undefined) {
    c.fail(path, 'needs at least one action: expireAfterDays, transitions or abortIncompleteUploadsAfterDays');
  }
  const last = transitions[transitions.length - 1];
  if (expireAfterDays !== undefined && last && last.afterDays >= expireAfterDays) {
    c.fail(`${path}.expireAfterDays`, `must be later than every transition (the last is ${last.storageClass} after ${last.afterDays} days)`);
  }
  const tagged = Object.keys(tags).length > 0;
  if (abortIncompleteUploadsAfterDays !== undefined && tagged) {
    c.fail(`${path}.abortIncompleteUploadsAfterDays`, 'cannot be combined with tags (OSS refuses AbortMultipartUpload in a tag-filtered rule; uploads carry no tags): use a separate prefix-only rule');
  }
  // Expiring (or archiving: Archive objects cannot be read without a restore) the bookkeeping under
  // .argo-oss/ breaks uploads and GC; a prefix that covers it must say so explicitly.
  const coversReserved = RESERVED_PREFIX.startsWith(prefix) && !tagged;
  const destructive = expireAfterDays !== undefined || transitions.length > 0;
  if (coversReserved && destructive && !allowWholeBucket) {
    c.fail(
      `${path}.prefix`,
      `${prefix === '' ? 'an empty prefix' : `prefix ${JSON.stringify(prefix)}`} covers the reserved ${RESERVED_PREFIX} (upload manifests, GC ledger, audit log); ` +
        'give a narrower prefix (e.g. your artifact root) or tags, or set allowWholeBucket: true if that is really meant',
    );
  }
  if (allowWholeBucket && !(coversReserved && destructive)) {
    c.warnings.push(`${path}.allowWholeBucket: has no effect (the rule does not expire or transition ${RESERVED_PREFIX})`);
  }
  if (c.problems.length > before) return undefined;
  return {
    id,
    ruleId: `${DECLARED_RULE_PREFIX}${id}`,
    prefix,
    tags,
    ...(expireAfterDays !== undefined ? { expireAfterDays } : {}),
    transitions,
    ...(abortIncompleteUploadsAfterDays !== undefined ? { abortIncompleteUploadsAfterDays } : {}),
    enabled,
    allowWholeBucket,
  };
}

const isTagged = (r: DeclaredRule) => Object.keys(r.tags).length > 0;

/** What OSS refuses across rules without tags: one prefix twice, or overlapping prefixes doing the same thing. */
function checkAcrossRules(c: Checker, rules: ReadonlyArray<{ rule: DeclaredRule; index: number }>): void {
  const seen = new Map<string, number>();
  for (const { rule, index } of rules) {
    const first = seen.get(rule.id);
    if (first !== undefined) c.fail(`rules[${index}].id`, `duplicate id ${JSON.stringify(rule.id)} (also rules[${first}])`);
    else seen.set(rule.id, index);
  }
  const plain = rules.filter(({ rule }) => !isTagged(rule));
  for (let i = 0; i < plain.length; i++) {
    for (let j = i + 1; j < plain.length; j++) {
      const [a, b] = [plain[i], plain[j]];
      const where = `rules[${b.index}].prefix`;
      if (a.rule.prefix === b.rule.prefix) {
        c.fail(where, `same prefix ${JSON.stringify(b.rule.prefix)} as rules[${a.index}] (${a.rule.id}); OSS refuses two rules without tags on one prefix: merge them`);
        continue;
      }
      if (!a.rule.prefix.startsWith(b.rule.prefix) && !b.rule.prefix.startsWith(a.rule.prefix)) continue;
      const both = (f: (r: DeclaredRule) => unknown) => f(a.rule) !== undefined && f(b.rule) !== undefined;
      const action = both((r) => r.expireAfterDays) ? 'expireAfterDays' : both((r) => r.abortIncompleteUploadsAfterDays) ? 'abortIncompleteUploadsAfterDays' : undefined;
      const cls = a.rule.transitions.find((t) => b.rule.transitions.some((u) => u.storageClass === t.storageClass))?.storageClass;
      if (action || cls) {
        c.fail(
          where,
          `overlaps rules[${a.index}] (${a.rule.id}, prefix ${JSON.stringify(a.rule.prefix)}) and both ${action ? `set ${action}` : `transition to ${cls}`}; OSS refuses that`,
        );
      }
    }
  }
}

/** Parses and validates the rules file text; throws LifecycleRulesError listing every problem. */
export function parseLifecycleRules(text: string, source = 'lifecycle rules'): LifecycleRulesFile {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new LifecycleRulesError(
      source,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : '',
        message: `YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  const value: unknown = doc.toJS();
  const c = new Checker();
  if (!isObject(value)) {
    c.fail('', `must be a mapping with a "rules" list, got ${value === undefined || value === null ? 'an empty document' : show(value)}`);
    throw new LifecycleRulesError(source, c.problems);
  }
  c.fields('', value, ['rules']);
  // Top-level unknown keys are reported without the leading '.'.
  for (const p of c.problems) p.path = p.path.replace(/^\./, '');
  if (!Array.isArray(value.rules)) {
    c.fail('rules', value.rules === undefined ? 'is required (a list; [] removes every declared rule)' : `must be a list, got ${show(value.rules)}`);
    throw new LifecycleRulesError(source, c.problems);
  }
  const valid: { rule: DeclaredRule; index: number }[] = [];
  value.rules.forEach((r: unknown, i) => {
    const rule = checkRule(c, `rules[${i}]`, r);
    if (rule) valid.push({ rule, index: i });
  });
  checkAcrossRules(c, valid);
  if (c.problems.length > 0) throw new LifecycleRulesError(source, c.problems);
  return { source, rules: valid.map((v) => v.rule), warnings: c.warnings };
}

/** Reads and parses a rules file; a read error is a LifecycleRulesError too (the CLI exits 2). */
export async function loadLifecycleRulesFile(path: string): Promise<LifecycleRulesFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LifecycleRulesError(path, [{ path: '', message: code === 'ENOENT' ? 'no such file' : `cannot read: ${code ?? (err as Error).message}` }]);
  }
  return parseLifecycleRules(text, path);
}

/**
 * The bucket rule for a declared rule, in ali-oss's read shape so a stored rule compares equal
 * (one transition is an object, several a list - as ali-oss parses them back).
 */
export function toOssRule(rule: DeclaredRule): LifecycleRule {
  const tags = Object.entries(rule.tags).map(([key, value]) => ({ key, value }));
  const transitions = rule.transitions.map((t) => ({ days: t.afterDays, storageClass: t.storageClass }));
  return {
    id: rule.ruleId,
    prefix: rule.prefix,
    status: rule.enabled ? 'Enabled' : 'Disabled',
    ...(tags.length ? { tag: tags } : {}),
    ...(rule.expireAfterDays !== undefined ? { expiration: { days: rule.expireAfterDays } } : {}),
    ...(transitions.length === 1 ? { transition: transitions[0] } : transitions.length > 1 ? { transition: transitions } : {}),
    ...(rule.abortIncompleteUploadsAfterDays !== undefined ? { abortMultipartUpload: { days: rule.abortIncompleteUploadsAfterDays } } : {}),
  };
}
