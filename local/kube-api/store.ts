// A directory of manifests (one object per file) served as one resource type. The directory is read
// on every call — files added, edited or removed while the server runs are seen by the next request,
// and nothing can go stale. Parsing is memoised by file content, so unchanged files cost a read only.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { deepEqual, isJsonObject, type JsonObject } from './json';
import { manifestFormat, parseManifest, serializeManifest, writeFileAtomic, type ManifestFormat } from './manifest-file';
import { apiVersionOf, type KubeObject, type ResourceType } from './types';

export const DEFAULT_NAMESPACE = 'default';

export interface StoredObject {
  file: string;
  format: ManifestFormat;
  text: string;
  namespace: string;
  name: string;
  /** Served form: metadata filled in. Nested values are shared with the parse cache — clone before mutating. */
  object: KubeObject;
}

/** What a mutation wants done: write `next`, delete the object, or nothing (`next` equal to current). */
export type Mutation = { next: KubeObject } | { remove: true };

export class ManifestStore {
  private readonly parsed = new Map<string, { text: string; value?: JsonObject; error?: string }>();
  private readonly warned = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    readonly type: ResourceType,
    readonly dir: string,
    private readonly log: (line: string) => void,
    /** Why a manifest that is served may still not do what its author expects (logged once per content). */
    private readonly advise?: (raw: JsonObject) => string[],
  ) {}

  /** All objects, sorted by namespace then name (the order Kubernetes lists in). */
  async list(): Promise<StoredObject[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => manifestFormat(n) !== undefined).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const loaded = await Promise.all(names.map((n) => this.load(join(this.dir, n))));
    this.forgetMissing(new Set(names.map((n) => join(this.dir, n))));

    const byKey = new Map<string, StoredObject>();
    for (const item of loaded) {
      if (!item) continue;
      const key = `${item.namespace}/${item.name}`;
      const first = byKey.get(key);
      if (first) {
        this.warnOnce(`dup:${item.file}:${first.file}`, `${this.rel(item.file)} is ignored: ${this.type.kind} ${key} is already defined by ${this.rel(first.file)}`);
        continue;
      }
      byKey.set(key, item);
    }
    return [...byKey.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  async get(namespace: string, name: string): Promise<StoredObject | undefined> {
    return (await this.list()).find((o) => o.namespace === namespace && o.name === name);
  }

  /**
   * Read-modify-write of one object, serialised per object so concurrent patches never lose an
   * update. `mutate` sees the current served object (a private deep copy) and returns the change.
   * Returns the object as now served (or as it was, when removed), or undefined if it does not exist.
   */
  async update(
    namespace: string,
    name: string,
    mutate: (current: KubeObject) => Mutation,
    opts: { dryRun?: boolean } = {},
  ): Promise<{ object: KubeObject; removed: boolean } | undefined> {
    return this.withLock(`${namespace}/${name}`, async () => {
      const current = await this.get(namespace, name);
      if (!current) return undefined;
      const mutation = mutate(structuredClone(current.object));
      if ('remove' in mutation) {
        if (!opts.dryRun) await unlink(current.file);
        return { object: current.object, removed: true };
      }
      const persisted = withoutResourceVersion(mutation.next);
      if (deepEqual(persisted, withoutResourceVersion(current.object))) return { object: current.object, removed: false };
      if (opts.dryRun) return { object: mutation.next, removed: false };
      await writeFileAtomic(current.file, serializeManifest(persisted, current.text, current.format));
      const written = await this.load(current.file);
      if (!written) throw new Error(`${this.rel(current.file)} could not be read back after writing it`);
      return { object: written.object, removed: false };
    });
  }

  private async load(file: string): Promise<StoredObject | undefined> {
    const format = manifestFormat(basename(file));
    if (!format) return undefined;
    let text: string;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    } catch (err) {
      // Removed between readdir and read: it simply is not there any more.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!info.isFile()) return undefined;

    let entry = this.parsed.get(file);
    if (!entry || entry.text !== text) {
      try {
        entry = { text, value: parseManifest(text, format) };
      } catch (err) {
        entry = { text, error: (err as Error).message };
      }
      this.parsed.set(file, entry);
    }
    const problem = entry.error ?? (entry.value ? undefined : 'unreadable');
    if (problem || !entry.value) {
      this.warnOnce(`${file}:${hashText(text)}`, `${this.rel(file)} is ignored: ${problem}`);
      return undefined;
    }
    const filled = this.fill(entry.value, file, text, info.birthtimeMs || info.mtimeMs);
    if (typeof filled === 'string') {
      this.warnOnce(`${file}:${hashText(text)}`, `${this.rel(file)} is ignored: ${filled}`);
      return undefined;
    }
    for (const advice of this.advise?.(entry.value) ?? []) {
      this.warnOnce(`advice:${file}:${hashText(text)}:${advice}`, `${this.rel(file)}: ${this.type.kind} ${filled.namespace}/${filled.name} is served, but ${advice}`);
    }
    return { file, format, text, ...filled };
  }

  /** Adds what the API server would have set; returns a reason string if the manifest does not fit. */
  private fill(raw: JsonObject, file: string, text: string, createdMs: number): { object: KubeObject; namespace: string; name: string } | string {
    const apiVersion = apiVersionOf(this.type);
    if (raw.apiVersion !== undefined && raw.apiVersion !== apiVersion) return `apiVersion is ${JSON.stringify(raw.apiVersion)}, expected "${apiVersion}"`;
    if (raw.kind !== undefined && raw.kind !== this.type.kind) return `kind is ${JSON.stringify(raw.kind)}, expected "${this.type.kind}"`;
    if (raw.metadata !== undefined && !isJsonObject(raw.metadata)) return 'metadata is not a mapping';
    const meta: JsonObject = { ...(raw.metadata ?? {}) };

    // A manifest with only generateName (or none) is named after its file.
    const name = meta.name ?? basename(file, extname(file));
    const namespace = meta.namespace ?? DEFAULT_NAMESPACE;
    if (typeof name !== 'string' || name === '') return 'metadata.name must be a non-empty string';
    if (typeof namespace !== 'string' || namespace === '') return 'metadata.namespace must be a non-empty string';
    for (const field of ['labels', 'annotations'] as const) {
      const map = meta[field];
      if (map !== undefined && (!isJsonObject(map) || Object.values(map).some((v) => typeof v !== 'string'))) {
        return `metadata.${field} must map strings to strings (quote numbers and booleans in YAML)`;
      }
    }

    meta.name = name;
    meta.namespace = namespace;
    meta.uid ??= derivedUid(`${this.type.resource}.${this.type.group}/${namespace}/${name}`);
    meta.resourceVersion ??= resourceVersionOf(text);
    meta.creationTimestamp ??= kubeTime(createdMs);
    const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = raw;
    return { object: { apiVersion, kind: this.type.kind, metadata: meta, ...rest }, namespace, name };
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }

  private forgetMissing(present: Set<string>): void {
    for (const file of this.parsed.keys()) if (!present.has(file)) this.parsed.delete(file);
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log(line);
  }

  private rel(file: string): string {
    return `${this.type.dir}/${basename(file)}`;
  }
}

function withoutResourceVersion(obj: KubeObject): KubeObject {
  if (!isJsonObject(obj.metadata) || !('resourceVersion' in obj.metadata)) return obj;
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Opaque but numeric (some tools parse it), and changes whenever the file content does. */
export function resourceVersionOf(text: string): string {
  return BigInt(`0x${hashText(text).slice(0, 13)}`).toString();
}

/** A stable UUID-shaped id (v5 layout) for a name, so the same manifest keeps its uid across restarts. */
export function derivedUid(key: string): string {
  const h = createHash('sha1').update(`argo-oss-local:${key}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RFC 3339 at second precision, the way Kubernetes writes timestamps. */
export function kubeTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
