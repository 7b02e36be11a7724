// XML in and out. Requests are parsed order-insensitively into plain objects (SDKs differ in
// element order: ali-oss writes <ID> last); responses are built from a tiny node tree; an OssError
// becomes the exact envelope OSS sends.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { errors, type OssError } from './errors';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attributes. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A child is `[name, text]`, `[name, children]`, or null/false to skip. */
export type XmlNode = readonly [string, string | number | boolean | bigint | readonly XmlChild[]];
export type XmlChild = XmlNode | null | undefined | false;

function render(node: XmlNode, out: string[]): void {
  const [name, value] = node;
  if (Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const child of value as readonly XmlChild[]) if (child) render(child, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${xmlEscape(String(value))}</${name}>`);
  }
}

/** A whole response document with the XML declaration OSS sends. */
export function xmlDocument(root: XmlNode): string {
  const out: string[] = [];
  render(root, out);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${out.join('\n')}\n`;
}

/** The error envelope exactly as OSS formats it (two-space indented, EC last). */
export function errorXml(err: OssError, requestId: string, hostId: string): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Error>',
    `  <Code>${xmlEscape(err.code)}</Code>`,
    `  <Message>${xmlEscape(err.message)}</Message>`,
    `  <RequestId>${xmlEscape(requestId)}</RequestId>`,
    `  <HostId>${xmlEscape(hostId)}</HostId>`,
  ];
  for (const [k, v] of Object.entries(err.details)) lines.push(`  <${k}>${xmlEscape(v)}</${k}>`);
  lines.push(`  <EC>${xmlEscape(err.ec)}</EC>`);
  lines.push('</Error>');
  return lines.join('\n') + '\n';
}

const ARRAY_ELEMENTS = new Set(['Object', 'Part', 'Rule', 'Tag', 'Transition', 'NoncurrentVersionTransition']);

const parser = new XMLParser({
  ignoreAttributes: true,
  // Values stay strings: keys like "007" or " x " must survive exactly.
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true, // also decodes numeric character references (&#x41;)
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** Parses a request body; anything not well-formed is MalformedXML. */
export function parseXml(text: string): XmlObject {
  if (!text.trim()) throw errors.malformedXml();
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw errors.malformedXml();
  try {
    return parser.parse(text) as XmlObject;
  } catch {
    throw errors.malformedXml();
  }
}

/** The child object of `parent[name]` (an element that has children), or undefined. */
export function xmlChild(parent: XmlValue | undefined, name: string): XmlObject | undefined {
  if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  const v = parent[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return xmlChild({ [name]: v[0] }, name);
  if (typeof v === 'string') return v.trim() === '' ? {} : undefined;
  return v;
}

/** All occurrences of `parent[name]` as objects (elements declared repeatable above). */
export function xmlChildren(parent: XmlValue | undefined, name: string): XmlObject[] {
  if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return [];
  const v = parent[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item) => {
    if (typeof item === 'string') {
      if (item.trim() !== '') throw errors.malformedXml();
      return {};
    }
    if (Array.isArray(item)) throw errors.malformedXml();
    return item;
  });
}

/** Text of a leaf element; undefined when absent. An element with children is MalformedXML. */
export function xmlText(parent: XmlValue | undefined, name: string): string | undefined {
  if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  let v = parent[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length !== 1) throw errors.malformedXml(`Element ${name} may appear only once.`);
    v = v[0];
  }
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) throw errors.malformedXml(`Element ${name} must be text.`);
  // <Name></Name> with only whitespace children is parsed as an object with #text.
  const text = v['#text'];
  const keys = Object.keys(v);
  if (keys.length === 0) return '';
  if (keys.length === 1 && typeof text === 'string') return text;
  throw errors.malformedXml(`Element ${name} must be text.`);
}
