// How Argo's controller names what it makes (workflow/controller, util/): a generated workflow
// name, node names and ids, v2 pod names, and the {{workflow.*}} / {{pod.name}} substitution done in
// a pod's template before the executor sees it.
import { randomBytes } from 'node:crypto';

/** FNV-1a 32-bit of the UTF-8 bytes (Go's hash/fnv New32a). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(s, 'utf8')) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

/** metadata.generateName + 5 characters of [bcdfghjklmnpqrstvwxz2456789], as the API server does. */
export function generatedName(prefix: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return prefix + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Workflow.NodeID: the workflow's own name for its root node, else `<wf>-<fnv32a(nodeName)>`. */
export function nodeId(workflow: string, nodeName: string): string {
  return nodeName === workflow ? workflow : `${workflow}-${fnv32a(nodeName)}`;
}

/** GeneratePodName (POD_NAMES=v2): the root node's pod is the workflow's name, else `<wf>-<template>-<hash>`. */
export function podName(workflow: string, nodeName: string, templateName: string): string {
  if (nodeName === workflow) return workflow;
  let prefix = `${workflow}-${templateName}`;
  // ensurePodNamePrefixLength: leave room for "-" and a 10-digit hash within 253 characters.
  const max = 253 - 1 - 10;
  if (prefix.length > max) prefix = prefix.slice(0, max);
  return `${prefix}-${fnv32a(nodeName)}`;
}

/** {{name}} substitution of the variables given; others are left as written (Argo resolves them elsewhere). */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole);
}
