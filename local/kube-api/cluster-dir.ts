// Writing into the directory the local Kubernetes API serves, as a controller or kubelet would change
// a real cluster: manifests (Workflow, Pod, WorkflowArtifactGCTask) written atomically, and
// tokens.yaml entries appended or removed while every other entry (the stack's admin, the user's
// own) and the file's comments are kept. Edits of tokens.yaml are serialised (it is rewritten whole).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, parseDocument, stringify, YAMLSeq } from 'yaml';
import { writeFileAtomic } from './manifest-file';
import { TOKENS_FILE, type TokenSpec } from './index';

export type ManifestKind = 'workflows' | 'pods' | 'workflowartifactgctasks';

export interface NamedManifest {
  metadata: { name: string; namespace: string; [field: string]: unknown };
  [field: string]: unknown;
}

export class ClusterDir {
  private editing: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  /** The file a manifest of `kind` lives in: `<dir>/<kind>/<namespace>.<name>.yaml`. */
  pathOf(kind: ManifestKind, namespace: string, name: string): string {
    return join(this.dir, kind, `${namespace}.${name}.yaml`);
  }

  /** Writes (or replaces) a manifest; answers its path. */
  async write(kind: ManifestKind, obj: NamedManifest): Promise<string> {
    const path = this.pathOf(kind, obj.metadata.namespace, obj.metadata.name);
    await writeFileAtomic(path, stringify(obj));
    return path;
  }

  writeWorkflow(wf: NamedManifest): Promise<string> {
    return this.write('workflows', wf);
  }

  writePod(pod: NamedManifest): Promise<string> {
    return this.write('pods', pod);
  }

  /** Appends entries to tokens.yaml. */
  addTokens(entries: readonly TokenSpec[]): Promise<void> {
    return this.editTokens((seq, doc) => {
      for (const e of entries) seq.add(doc.createNode(e));
    });
  }

  /** Removes the entries with these tokens from tokens.yaml. */
  removeTokens(tokens: Iterable<string>): Promise<void> {
    const gone = new Set(tokens);
    if (gone.size === 0) return Promise.resolve();
    return this.editTokens((seq) => {
      seq.items = seq.items.filter((item) => !(isMap(item) && gone.has(String(item.get('token')))));
    });
  }

  private editTokens(edit: (seq: YAMLSeq, doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
    const file = join(this.dir, TOKENS_FILE);
    const run = this.editing.then(async () => {
      const doc = parseDocument(await readFile(file, 'utf8'));
      const seq = doc.get('tokens');
      if (!(seq instanceof YAMLSeq)) throw new Error(`${file} has no tokens: list`);
      edit(seq, doc);
      await writeFileAtomic(file, doc.toString(), 0o600);
    });
    this.editing = run.catch(() => undefined);
    return run;
  }
}
