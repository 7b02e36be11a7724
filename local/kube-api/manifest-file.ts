// One manifest file on disk: parse (YAML or JSON by extension), re-serialize after a change while
// keeping the file's format (YAML stays YAML, with its comments and layout where untouched), and
// replace it atomically so a concurrent reader never sees half a file.
import { randomBytes } from 'node:crypto';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseAllDocuments, parseDocument, stringify, type Document } from 'yaml';
import { deepEqual, isJsonObject, type JsonObject } from './json';

export type ManifestFormat = 'yaml' | 'json';

const FORMATS: Record<string, ManifestFormat> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

/** The format a manifest file name implies, or undefined for files that are not manifests. */
export function manifestFormat(fileName: string): ManifestFormat | undefined {
  // Dot files are skipped: editors' swap files and our own in-flight temp files start with a dot.
  if (fileName.startsWith('.')) return undefined;
  return FORMATS[extname(fileName).toLowerCase()];
}

/** Parses one object; throws an Error whose message says what is wrong with the text. */
export function parseManifest(text: string, format: ManifestFormat): JsonObject {
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`invalid JSON: ${(err as Error).message}`);
    }
  } else {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) throw new Error('no YAML document in the file');
    const nonEmpty = docs.filter((d) => d.contents !== null);
    if (nonEmpty.length > 1) throw new Error(`holds ${nonEmpty.length} YAML documents; put one object per file`);
    const doc = nonEmpty[0] ?? docs[0];
    if (!doc) throw new Error('the file is empty');
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
    value = doc.toJS();
  }
  if (!isJsonObject(value)) throw new Error('the top level is not a mapping/object');
  return value;
}

/**
 * Text for `next`, given the file's current text. For YAML the current document is edited in place
 * (only changed paths are touched), so comments and formatting elsewhere survive a patch.
 */
export function serializeManifest(next: JsonObject, previousText: string, format: ManifestFormat): string {
  if (format === 'json') {
    const indent = /^([ \t]+)"/m.exec(previousText)?.[1] ?? '  ';
    return `${JSON.stringify(next, null, indent)}\n`;
  }
  const doc = parseDocument(previousText);
  if (doc.errors.length > 0 || !isJsonObject(doc.toJS())) {
    return stringify(next);
  }
  applyChanges(doc, [], doc.toJS() as unknown, next);
  return doc.toString();
}

function applyChanges(doc: Document, path: (string | number)[], before: unknown, after: unknown): void {
  if (deepEqual(before, after)) return;
  if (isJsonObject(before) && isJsonObject(after)) {
    for (const key of Object.keys(before)) {
      if (!(key in after)) doc.deleteIn([...path, key]);
    }
    for (const [key, value] of Object.entries(after)) {
      if (key in before) applyChanges(doc, [...path, key], before[key], value);
      else doc.setIn([...path, key], doc.createNode(value));
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    after.forEach((value, i) => applyChanges(doc, [...path, i], before[i], value));
    return;
  }
  doc.setIn(path, doc.createNode(after));
}

/** Writes via a temp file in the same directory and rename(2), keeping the existing file's mode. */
export async function writeFileAtomic(path: string, text: string, defaultMode = 0o644): Promise<void> {
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => defaultMode,
  );
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { mode });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
