/*
 * tokens.yaml — who may call the local Kubernetes API, and with what rights.
 *
 *   tokens:                          # required: a list of bearer tokens
 *     - token: admin-token-value     # required, unique, no whitespace
 *       user: admin                  # the username (TokenReview user.username) …
 *       uid: "1234"                  #   optional; default: a stable UUID derived from the username
 *       groups: [system:masters]     #   optional; system:authenticated is always added
 *       admin: true                  # optional: every verb on every resource (so is group system:masters)
 *     - token: reader-token
 *       user: alice
 *       rules:                       # optional, RBAC-like; rules belong to the user, not the token
 *         - namespaces: [argo]       #   default ["*"]; "*" also covers cluster-scoped requests
 *           apiGroups: [argoproj.io] #   default ["*"]; "" is the core group (pods)
 *           resources: [workflows]   #   required: workflows | pods | workflows/status | tokenreviews | … | "*"
 *           resourceNames: [wf-1]    #   optional: only these object names (lists never match)
 *           verbs: [get, list]       #   required: get list watch create update patch delete deletecollection | "*"
 *     - token: pod-token
 *       serviceAccount: { namespace: argo, name: default }   # … or a service account (instead of `user`):
 *                                    #   username system:serviceaccount:argo:default, groups
 *                                    #   system:serviceaccounts, system:serviceaccounts:argo, system:authenticated
 *       pod: { name: wf-abc-123, uid: 1f0e… }   # optional, with serviceAccount: a pod-bound token; TokenReview
 *                                    #   reports it in user.extra["authentication.kubernetes.io/pod-name"|"…/pod-uid"]
 *       audiences: [argo-oss]        # optional: the token is valid only for these audiences (TokenReview
 *                                    #   spec.audiences); without it the token fits any audience. The API
 *                                    #   itself is audience https://kubernetes.default.svc.cluster.local.
 *       expiresAt: 2030-01-01T00:00:00Z   # optional: rejected afterwards
 *       extra: { some-key: [v] }     # optional: more user.extra entries
 *       rules: [...]
 *   groups:                          # optional: rights granted to every member of a group
 *     - name: argo-readers
 *       admin: false
 *       rules: [...]
 *
 * Unknown fields are errors (they are usually typos). The file is re-read whenever it changes; while
 * it is invalid, every request fails with a 500 naming the problem rather than using stale tokens.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseDocument, YAMLSeq } from 'yaml';
import { isJsonObject, type JsonObject } from './json';
import { writeFileAtomic } from './manifest-file';
import { derivedUid } from './store';
import type { UserInfo } from './types';

export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';

export interface Rule {
  namespaces: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** One entry of `tokens:` as written in the file. */
export interface TokenSpec {
  token: string;
  user?: string;
  uid?: string;
  groups?: string[];
  serviceAccount?: { namespace: string; name: string };
  pod?: { name: string; uid: string };
  audiences?: string[];
  expiresAt?: string;
  extra?: Record<string, string[]>;
  admin?: boolean;
  rules?: Array<Partial<Rule> & Pick<Rule, 'resources' | 'verbs'>>;
}

export interface GroupSpec {
  name: string;
  admin?: boolean;
  rules?: TokenSpec['rules'];
}

/** A validated token: its identity is resolved once, at load time. */
export interface TokenEntry {
  index: number;
  token: string;
  user: UserInfo;
  audiences?: string[];
  expiresAt?: number;
  admin: boolean;
  rules: Rule[];
}

export interface TokensConfig {
  tokens: TokenEntry[];
  groups: Array<{ name: string; admin: boolean; rules: Rule[] }>;
}

export class TokensFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TokensFileError';
  }
}

const TOKEN_FIELDS = ['token', 'user', 'uid', 'groups', 'serviceAccount', 'pod', 'audiences', 'expiresAt', 'extra', 'admin', 'rules'];
const RULE_FIELDS = ['namespaces', 'apiGroups', 'resources', 'resourceNames', 'verbs'];
const GROUP_FIELDS = ['name', 'admin', 'rules'];

/** Collects every problem with a path like `tokens[2] (user "alice").rules[0].verbs`. */
class Checker {
  readonly problems: string[] = [];

  fail(where: string, message: string): void {
    this.problems.push(`${where}: ${message}`);
  }

  fields(where: string, obj: JsonObject, known: string[]): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.fail(where, `unknown field "${key}" (known: ${known.join(', ')})`);
    }
  }

  string(where: string, value: unknown, required: boolean): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.fail(where, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value === '') {
      this.fail(where, 'must be a non-empty string');
      return undefined;
    }
    return value;
  }

  strings(where: string, value: unknown, opts: { required?: boolean; allowEmptyString?: boolean; allowed?: readonly string[] } = {}): string[] | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.fail(where, 'is required');
      return undefined;
    }
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || (v === '' && !opts.allowEmptyString))) {
      this.fail(where, `must be a non-empty list of ${opts.allowEmptyString ? '' : 'non-empty '}strings`);
      return undefined;
    }
    const bad = opts.allowed ? value.filter((v) => v !== '*' && !opts.allowed!.includes(v as string)) : [];
    if (bad.length > 0) this.fail(where, `unknown ${bad.map((b) => JSON.stringify(b)).join(', ')} (allowed: ${opts.allowed!.join(', ')}, *)`);
    return value as string[];
  }

  bool(where: string, value: unknown): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') this.fail(where, 'must be true or false');
    return value === true;
  }

  rules(where: string, value: unknown): Rule[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.fail(where, 'must be a list of rules');
      return [];
    }
    return value.flatMap((raw, i): Rule[] => {
      const at = `${where}[${i}]`;
      if (!isJsonObject(raw)) {
        this.fail(at, 'must be a mapping with resources and verbs');
        return [];
      }
      this.fields(at, raw, RULE_FIELDS);
      const resources = this.strings(`${at}.resources`, raw.resources, { required: true });
      const verbs = this.strings(`${at}.verbs`, raw.verbs, { required: true, allowed: VERBS });
      const rule: Rule = {
        namespaces: this.strings(`${at}.namespaces`, raw.namespaces) ?? ['*'],
        apiGroups: this.strings(`${at}.apiGroups`, raw.apiGroups, { allowEmptyString: true }) ?? ['*'],
        resources: resources ?? [],
        verbs: verbs ?? [],
      };
      const names = this.strings(`${at}.resourceNames`, raw.resourceNames);
      if (names) rule.resourceNames = names;
      return [rule];
    });
  }
}

function parseEntry(c: Checker, raw: unknown, index: number, seen: Map<string, number>): TokenEntry | undefined {
  const label = isJsonObject(raw) && typeof raw.user === 'string' ? ` (user "${raw.user}")` : '';
  const at = `tokens[${index}]${label}`;
  if (!isJsonObject(raw)) {
    c.fail(at, 'must be a mapping with at least `token` and `user` or `serviceAccount`');
    return undefined;
  }
  c.fields(at, raw, TOKEN_FIELDS);
  const token = c.string(`${at}.token`, raw.token, true);
  if (token !== undefined) {
    if (/\s/.test(token)) c.fail(`${at}.token`, 'must not contain whitespace');
    const dup = seen.get(token);
    if (dup !== undefined) c.fail(`${at}.token`, `duplicates the token of tokens[${dup}]`);
    seen.set(token, index);
  }

  const username = c.string(`${at}.user`, raw.user, false);
  const groups = c.strings(`${at}.groups`, raw.groups) ?? [];
  const extra: Record<string, string[]> = {};
  if (raw.extra !== undefined) {
    if (!isJsonObject(raw.extra)) c.fail(`${at}.extra`, 'must map keys to lists of strings');
    else for (const [k, v] of Object.entries(raw.extra)) extra[k] = c.strings(`${at}.extra.${k}`, v) ?? [];
  }

  let user: UserInfo | undefined;
  const sa = raw.serviceAccount;
  if (sa !== undefined) {
    if (username !== undefined) c.fail(at, 'has both `user` and `serviceAccount`; give one');
    if (!isJsonObject(sa)) c.fail(`${at}.serviceAccount`, 'must be { namespace, name }');
    else {
      c.fields(`${at}.serviceAccount`, sa, ['namespace', 'name']);
      const ns = c.string(`${at}.serviceAccount.namespace`, sa.namespace, true);
      const name = c.string(`${at}.serviceAccount.name`, sa.name, true);
      if (ns && name) {
        user = {
          username: `system:serviceaccount:${ns}:${name}`,
          uid: derivedUid(`serviceaccounts/${ns}/${name}`),
          groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`],
          extra,
        };
      }
    }
  } else if (username !== undefined) {
    user = { username, uid: derivedUid(`users/${username}`), groups: [], extra };
  } else {
    c.fail(at, 'needs `user` or `serviceAccount`');
  }

  if (raw.pod !== undefined) {
    if (sa === undefined) c.fail(`${at}.pod`, 'is only valid together with `serviceAccount` (pod-bound service-account tokens)');
    if (!isJsonObject(raw.pod)) c.fail(`${at}.pod`, 'must be { name, uid }');
    else {
      c.fields(`${at}.pod`, raw.pod, ['name', 'uid']);
      const podName = c.string(`${at}.pod.name`, raw.pod.name, true);
      const podUid = c.string(`${at}.pod.uid`, raw.pod.uid, true);
      if (podName && podUid) Object.assign(extra, { [POD_NAME_EXTRA]: [podName], [POD_UID_EXTRA]: [podUid] });
    }
  }
  const uid = c.string(`${at}.uid`, raw.uid, false);
  const audiences = c.strings(`${at}.audiences`, raw.audiences);
  let expiresAt: number | undefined;
  if (raw.expiresAt !== undefined) {
    expiresAt = typeof raw.expiresAt === 'string' ? Date.parse(raw.expiresAt) : NaN;
    if (Number.isNaN(expiresAt)) c.fail(`${at}.expiresAt`, 'must be an RFC 3339 time such as 2030-01-01T00:00:00Z');
  }
  const admin = c.bool(`${at}.admin`, raw.admin);
  const rules = c.rules(`${at}.rules`, raw.rules);
  if (!user || token === undefined) return undefined;

  if (uid) user.uid = uid;
  user.groups = [...new Set([...user.groups, ...groups, 'system:authenticated'])];
  const entry: TokenEntry = { index, token, user, admin, rules };
  if (audiences) entry.audiences = audiences;
  if (expiresAt !== undefined) entry.expiresAt = expiresAt;
  return entry;
}

/** Validates the text of a tokens file; throws TokensFileError listing every problem. */
export function parseTokensFile(text: string, file = 'tokens.yaml'): TokensConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new TokensFileError(file, doc.errors.map((e) => `invalid YAML: ${e.message}`));
  const root: unknown = doc.toJS() ?? {};
  const c = new Checker();
  if (!isJsonObject(root)) throw new TokensFileError(file, ['the top level must be a mapping with a `tokens:` list']);
  c.fields('(top level)', root, ['tokens', 'groups']);
  if (!Array.isArray(root.tokens)) c.fail('tokens', 'must be a list of token entries');

  const seen = new Map<string, number>();
  const tokens = (Array.isArray(root.tokens) ? root.tokens : []).flatMap((raw, i) => parseEntry(c, raw, i, seen) ?? []);
  const groups: TokensConfig['groups'] = [];
  if (root.groups !== undefined) {
    if (!Array.isArray(root.groups)) c.fail('groups', 'must be a list of { name, admin, rules }');
    else
      root.groups.forEach((raw, i) => {
        const at = `groups[${i}]`;
        if (!isJsonObject(raw)) return c.fail(at, 'must be a mapping { name, admin, rules }');
        c.fields(at, raw, GROUP_FIELDS);
        const name = c.string(`${at}.name`, raw.name, true);
        const group = { name: name ?? '', admin: c.bool(`${at}.admin`, raw.admin), rules: c.rules(`${at}.rules`, raw.rules) };
        if (name) groups.push(group);
      });
  }
  if (c.problems.length > 0) throw new TokensFileError(file, c.problems);
  return { tokens, groups };
}

export type Authentication = { authenticated: true; user: UserInfo; audiences: string[]; entry: TokenEntry } | { authenticated: false; error: string };

/** Resolves a bearer token for the given target audiences (TokenReview semantics). */
export function authenticate(config: TokensConfig, token: string, audiences: string[] = [API_AUDIENCE], now = Date.now()): Authentication {
  const entry = config.tokens.find((t) => t.token === token);
  if (!entry) return { authenticated: false, error: 'invalid bearer token: the token is not in tokens.yaml' };
  if (entry.expiresAt !== undefined && now >= entry.expiresAt) {
    return { authenticated: false, error: `invalid bearer token: the token expired at ${new Date(entry.expiresAt).toISOString()}` };
  }
  const granted = entry.audiences ? entry.audiences.filter((a) => audiences.includes(a)) : audiences;
  if (granted.length === 0) {
    return { authenticated: false, error: `invalid bearer token: token audiences ${JSON.stringify(entry.audiences)} is invalid for the target audiences ${JSON.stringify(audiences)}` };
  }
  return { authenticated: true, user: structuredClone(entry.user), audiences: granted, entry };
}

/** Reads tokens.yaml on every call (it is small), re-validating only when its text changed. */
export class TokenRegistry {
  private cached?: { text: string; config?: TokensConfig; error?: TokensFileError };

  constructor(
    readonly file: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async current(): Promise<TokensConfig> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TokensFileError(basename(this.file), ['the file is missing']);
      throw err;
    }
    if (this.cached?.text !== text) {
      try {
        this.cached = { text, config: parseTokensFile(text, basename(this.file)) };
      } catch (err) {
        if (!(err instanceof TokensFileError)) throw err;
        this.cached = { text, error: err };
        this.log(err.message);
      }
    }
    if (this.cached.error) throw this.cached.error;
    return this.cached.config!;
  }
}

const HEADER = `# Bearer tokens of the local Kubernetes API (argo-oss local stack).
# Schema: see the comment at the top of local/kube-api/tokens.ts. Re-read on every change.
`;

/**
 * Makes sure tokens.yaml (created if missing) holds an admin entry and returns its token:
 * `wanted` if given (appended unless present; an error if present without admin), else the first
 * admin entry, else a new random token that is appended. Comments and layout of the file are kept.
 */
export async function ensureAdminToken(file: string, wanted?: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  const blank = text === undefined || parseDocument(text).contents === null;
  const config = blank ? { tokens: [], groups: [] } : parseTokensFile(text, basename(file));
  if (wanted !== undefined) {
    if (wanted === '' || /\s/.test(wanted)) throw new Error('adminToken must be a non-empty string without whitespace');
    const existing = config.tokens.find((t) => t.token === wanted);
    if (existing?.admin) return wanted;
    if (existing) throw new TokensFileError(basename(file), [`tokens[${existing.index}]: holds the requested admin token but is not \`admin: true\``]);
  } else {
    const admin = config.tokens.find((t) => t.admin);
    if (admin) return admin.token;
  }
  const token = wanted ?? randomBytes(24).toString('base64url');
  const entry: TokenSpec = { token, user: 'admin', groups: ['system:masters'], admin: true };
  const doc = parseDocument(blank ? `${HEADER}${text ?? ''}` : text);
  const list = doc.get('tokens');
  if (list instanceof YAMLSeq) list.add(doc.createNode(entry));
  else doc.set('tokens', doc.createNode([entry]));
  await writeFileAtomic(file, doc.toString(), 0o600);
  return token;
}
