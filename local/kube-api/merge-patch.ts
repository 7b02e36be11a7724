// RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes a key, anything else
// (arrays included) replaces the target value.
import { isJsonObject, type JsonObject, type JsonValue } from './json';

export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    // defineProperty, not assignment: a key named "__proto__" must stay a plain key.
    else Object.defineProperty(result, key, { value: applyMergePatch(result[key], value), enumerable: true, writable: true, configurable: true });
  }
  return result;
}
