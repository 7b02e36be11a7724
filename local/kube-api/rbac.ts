// Authorization from the rules in tokens.yaml, RBAC-style: rights attach to a username (from every
// token entry of that user) and to groups (the `groups:` section; `system:masters` is always admin).
// Also produces kube-apiserver's exact "forbidden" wording.
import { forbidden } from './status';
import type { Rule, TokensConfig } from './tokens';

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string; // '' or undefined: cluster scope (or all namespaces for list)
  name?: string;
}

export interface NonResourceAttributes {
  path: string;
  verb: string;
}

export interface Subject {
  username: string;
  groups: string[];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

// What every authenticated user may do in a real cluster (system:basic-user, system:discovery).
const SELF_REVIEWS = new Set(['authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews', 'authentication.k8s.io/selfsubjectreviews']);
const DISCOVERY_PATHS = ['/api', '/apis', '/version', '/healthz', '/livez', '/readyz', '/openapi'];

function matches(rule: Rule, a: ResourceAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const namespaced = a.namespace !== undefined && a.namespace !== '';
  return (
    (rule.verbs.includes('*') || rule.verbs.includes(a.verb)) &&
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(a.group)) &&
    rule.resources.some((r) => r === '*' || r === resource || (a.subresource !== undefined && r === `*/${a.subresource}`)) &&
    (rule.namespaces.includes('*') || (namespaced && rule.namespaces.includes(a.namespace!))) &&
    (!rule.resourceNames || (a.name !== undefined && rule.resourceNames.includes(a.name)))
  );
}

export function isResourceAttributes(a: ResourceAttributes | NonResourceAttributes): a is ResourceAttributes {
  return 'resource' in a;
}

export function authorize(config: TokensConfig, subject: Subject, attrs: ResourceAttributes | NonResourceAttributes): Decision {
  const who = `user "${subject.username}"`;
  if (subject.groups.includes('system:masters')) return { allowed: true, reason: `allowed: ${who} is in group system:masters` };
  const entries = config.tokens.filter((t) => t.user.username === subject.username);
  const groups = config.groups.filter((g) => subject.groups.includes(g.name));
  const admin = entries.find((t) => t.admin) ?? groups.find((g) => g.admin);
  if (admin) return { allowed: true, reason: `allowed by tokens.yaml: ${'index' in admin ? `tokens[${admin.index}]` : `group "${admin.name}"`} is admin` };

  if (!isResourceAttributes(attrs)) {
    const discovery = attrs.verb === 'get' && DISCOVERY_PATHS.some((p) => attrs.path === p || attrs.path.startsWith(`${p}/`));
    return discovery ? { allowed: true, reason: 'allowed: discovery paths are open to authenticated users' } : { allowed: false, reason: `no admin entry in tokens.yaml for ${who}` };
  }
  if (attrs.verb === 'create' && SELF_REVIEWS.has(`${attrs.group}/${attrs.resource}`)) {
    return { allowed: true, reason: 'allowed: every authenticated user may review itself' };
  }
  for (const t of entries) {
    const i = t.rules.findIndex((r) => matches(r, attrs));
    if (i >= 0) return { allowed: true, reason: `allowed by tokens.yaml: tokens[${t.index}].rules[${i}] of ${who}` };
  }
  for (const g of groups) {
    const i = g.rules.findIndex((r) => matches(r, attrs));
    if (i >= 0) return { allowed: true, reason: `allowed by tokens.yaml: rules[${i}] of group "${g.name}"` };
  }
  return { allowed: false, reason: `no rule in tokens.yaml lets ${who} or its groups do this` };
}

/** `User "alice" cannot get resource "workflows" in API group "argoproj.io" in the namespace "argo"` */
export function forbiddenWhy(username: string, a: ResourceAttributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${username}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
}

/** Throws the 403 Status kube-apiserver would send when `subject` may not do `attrs`. */
export function assertAllowed(config: TokensConfig, subject: Subject, attrs: ResourceAttributes): void {
  if (authorize(config, subject, attrs).allowed) return;
  throw forbidden({ group: attrs.group, resource: attrs.resource, name: attrs.name }, forbiddenWhy(subject.username, attrs));
}
