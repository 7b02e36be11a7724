// Label and field selectors with Kubernetes syntax. Label selectors support equality (`a=b`,
// `a==b`, `a!=b`), sets (`a in (x,y)`, `a notin (x)`), existence (`a`, `!a`) and numeric `a>1`/`a<1`;
// requirements are ANDed with commas. Field selectors support =, ==, != on a per-type list of fields.
import { badRequest } from './status';
import { isJsonObject, type JsonObject } from './json';

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type Matcher = (labels: Record<string, string>) => boolean;

const KEY = String.raw`(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);
const COMPARE = new RegExp(`^(${KEY})\\s*(==|!=|=|>|<)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);

/** Splits on commas that are not inside a `( … )` value set. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

function parseRequirement(text: string): Requirement {
  const fail = (why: string) => badRequest(`unable to parse requirement: ${JSON.stringify(text)}: ${why}`);
  if (text === '') throw fail('empty requirement');
  let m = SET.exec(text);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    if (values.some((v) => !VALUE_ONLY.test(v))) throw fail('invalid label value in set');
    return { key: m[1]!, op: m[2] as 'in' | 'notin', values };
  }
  m = COMPARE.exec(text);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    if (op === '>' || op === '<') {
      const n = Number(value);
      if (value === '' || !Number.isInteger(n)) throw fail('for > and < the value must be an integer');
      return { key, op: op === '>' ? 'gt' : 'lt', value: n };
    }
    return { key, op: op === '!=' ? 'notin' : 'in', values: [value] };
  }
  m = EXISTS.exec(text);
  if (m) return { key: m[2]!, op: m[1] ? 'notexists' : 'exists' };
  throw fail('expected key, !key, key=value, key==value, key!=value, key in (...), key notin (...)');
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && req.values.includes(value!);
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const n = Number(value);
      return req.op === 'gt' ? n > req.value : n < req.value;
    }
  }
}

/** Parses a label selector; an empty or missing selector matches everything. Throws a 400 Status. */
export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map(parseRequirement);
  return (labels) => reqs.every((r) => matches(r, labels));
}

export function labelsOf(obj: JsonObject): Record<string, string> {
  const meta = obj.metadata;
  const labels = isJsonObject(meta) ? meta.labels : undefined;
  return isJsonObject(labels) ? (labels as Record<string, string>) : {};
}

/** Parses a field selector over the given dotted field paths. Throws a 400 Status. */
export function parseFieldSelector(selector: string | null | undefined, supported: readonly string[]): (obj: JsonObject) => boolean {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map((text) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(text);
    if (!m) throw badRequest(`invalid selector: ${JSON.stringify(text)}; expected field=value, field==value or field!=value`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field} (supported: ${supported.join(', ')})`);
    return { path: field.split('.'), negate: op === '!=', value };
  });
  return (obj) =>
    reqs.every(({ path, negate, value }) => {
      let cur: unknown = obj;
      for (const part of path) cur = isJsonObject(cur) ? cur[part] : undefined;
      const actual = cur === undefined || cur === null ? '' : String(cur);
      return (actual === value) !== negate;
    });
}
