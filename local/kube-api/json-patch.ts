// RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over plain JSON values.
import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json';

export class JsonPatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: JsonValue;
}

function parsePointer(pointer: string, what: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`${what} ${JSON.stringify(pointer)} is not a JSON pointer (it must start with "/")`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: JsonValue[], token: string, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new JsonPatchError(`invalid array index ${JSON.stringify(token)} in ${pointer}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new JsonPatchError(`array index ${i} out of range in ${pointer}`);
  return i;
}

/** Resolves all but the last token; the holder `{ root }` lets operations replace the whole document. */
function parentOf(holder: JsonObject, tokens: string[], pointer: string): { parent: JsonObject | JsonValue[]; key: string } {
  let cur: JsonValue = holder;
  const path = ['root', ...tokens];
  for (const token of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, token, false, pointer)]!;
    else if (isJsonObject(cur) && Object.prototype.hasOwnProperty.call(cur, token)) cur = cur[token]!;
    else throw new JsonPatchError(`path ${pointer} does not exist`);
  }
  if (!Array.isArray(cur) && !isJsonObject(cur)) throw new JsonPatchError(`path ${pointer} does not exist`);
  return { parent: cur, key: path[path.length - 1]! };
}

function get(holder: JsonObject, pointer: string, what: string): JsonValue {
  const { parent, key } = parentOf(holder, parsePointer(pointer, what), pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false, pointer)]!;
  if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new JsonPatchError(`path ${pointer} does not exist`);
  return parent[key]!;
}

function remove(holder: JsonObject, pointer: string): JsonValue {
  const { parent, key } = parentOf(holder, parsePointer(pointer, 'path'), pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, pointer), 1)[0]!;
  if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new JsonPatchError(`cannot remove ${pointer}: it does not exist`);
  const old = parent[key]!;
  delete parent[key];
  return old;
}

function add(holder: JsonObject, pointer: string, value: JsonValue): void {
  const { parent, key } = parentOf(holder, parsePointer(pointer, 'path'), pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, value);
  else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function validate(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw new JsonPatchError('a JSON patch must be a JSON array of operations');
  return ops.map((op, i) => {
    if (!isJsonObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw new JsonPatchError(`operation ${i} must be an object with string "op" and "path"`);
    }
    if (['add', 'replace', 'test'].includes(op.op) && !('value' in op)) throw new JsonPatchError(`operation ${i} (${op.op}) needs a "value"`);
    if (['move', 'copy'].includes(op.op) && typeof op.from !== 'string') throw new JsonPatchError(`operation ${i} (${op.op}) needs a string "from"`);
    return op as unknown as Operation;
  });
}

/** Applies `ops` to a copy of `doc` and returns the result; throws JsonPatchError naming the failing operation. */
export function applyJsonPatch(doc: JsonValue, ops: unknown): JsonValue {
  const holder: JsonObject = { root: structuredClone(doc) };
  validate(ops).forEach((op, i) => {
    try {
      switch (op.op) {
        case 'add':
          add(holder, op.path, structuredClone(op.value!));
          break;
        case 'remove':
          remove(holder, op.path);
          break;
        case 'replace':
          remove(holder, op.path);
          add(holder, op.path, structuredClone(op.value!));
          break;
        case 'move': {
          if (op.path.startsWith(`${op.from!}/`)) throw new JsonPatchError(`cannot move ${op.from} into its own child ${op.path}`);
          add(holder, op.path, remove(holder, op.from!));
          break;
        }
        case 'copy':
          add(holder, op.path, structuredClone(get(holder, op.from!, 'from')));
          break;
        case 'test':
          if (!deepEqual(get(holder, op.path, 'path'), op.value)) throw new JsonPatchError(`test failed: ${op.path} is not ${JSON.stringify(op.value)}`);
          break;
        default:
          throw new JsonPatchError(`unknown op ${JSON.stringify(op.op)}`);
      }
    } catch (err) {
      if (err instanceof JsonPatchError) throw new JsonPatchError(`operation ${i} (${op.op} ${op.path}): ${err.message}`);
      throw err;
    }
  });
  return holder.root!;
}
