// The preview pane: the first bytes of a file (streamed, never more than the cap, the source
// destroyed as soon as the cap is reached) rendered as escaped text, a log, pretty JSON, a CSV/TSV
// table or Markdown; images are shown by an <img> of the file itself (typed by its extension, sent
// with nosniff) when they are under the image cap. Nothing from the file is ever emitted unescaped.
import type { Readable } from 'node:stream';
import { escapeHtml, humanSize, plural } from './html';
import { renderMarkdown } from './markdown';

/** Bytes read for a text preview. */
export const PREVIEW_TEXT_BYTES = 256 * 1024;
/** Largest image shown inline. */
export const PREVIEW_IMAGE_BYTES = 10 * 1024 * 1024;
export const PREVIEW_CSV_ROWS = 500;
export const PREVIEW_CSV_COLUMNS = 50;

export type PreviewKind = 'image' | 'csv' | 'tsv' | 'json' | 'markdown' | 'log' | 'text' | 'none';

const BY_EXTENSION: Record<string, PreviewKind> = {
  png: 'image', jpg: 'image', jpeg: 'image', gif: 'image', webp: 'image',
  csv: 'csv', tsv: 'tsv', json: 'json', md: 'markdown', markdown: 'markdown',
  log: 'log', out: 'log', err: 'log',
  txt: 'text', text: 'text', ndjson: 'text', jsonl: 'text', yaml: 'text', yml: 'text', xml: 'text', svg: 'text', html: 'text', htm: 'text',
  css: 'text', js: 'text', mjs: 'text', ts: 'text', py: 'text', sh: 'text', go: 'text', java: 'text', c: 'text', h: 'text', cpp: 'text',
  rs: 'text', rb: 'text', sql: 'text', toml: 'text', ini: 'text', cfg: 'text', conf: 'text', properties: 'text', env: 'text', diff: 'text', patch: 'text',
  r: 'text', tex: 'text', rst: 'text', dockerfile: 'text', makefile: 'text',
  gz: 'none', tgz: 'none', zip: 'none', tar: 'none', bz2: 'none', xz: 'none', zst: 'none', '7z': 'none', pdf: 'none', parquet: 'none',
  bin: 'none', exe: 'none', so: 'none', wasm: 'none', mp4: 'none', webm: 'none', mp3: 'none', wav: 'none', bmp: 'none', ico: 'none', tif: 'none', tiff: 'none',
};

/**
 * What kind of preview a file gets, by its name: known extensions decide; anything else is treated
 * as text and checked for binary content once its first bytes are read.
 */
export function previewKind(name: string): PreviewKind {
  const base = name.toLowerCase();
  const dot = base.lastIndexOf('.');
  if (dot > 0) return BY_EXTENSION[base.slice(dot + 1)] ?? 'text';
  return BY_EXTENSION[base] ?? 'text';
}

export interface Head {
  bytes: Buffer;
  /** The file is longer than what was read. */
  truncated: boolean;
}

/**
 * Reads at most `cap` bytes of `source`, then destroys it (so an OSS GET or an archive scan stops
 * there). `size` is the file's size when known, to tell a truncated head from a whole file.
 */
export async function readHead(source: Readable, cap: number, size?: number): Promise<Head> {
  const chunks: Buffer[] = [];
  let got = 0;
  let more = false;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const room = cap - got;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        got += Math.max(room, 0);
        more = true;
        break;
      }
      chunks.push(chunk);
      got += chunk.length;
      if (got === cap && size === undefined) {
        more = true; // cannot tell without reading on; say so
        break;
      }
    }
  } finally {
    source.destroy();
  }
  return { bytes: Buffer.concat(chunks, got), truncated: more || (size !== undefined && size > got) };
}

/** Binary when it has a NUL byte or is not mostly valid UTF-8. */
export function looksBinary(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 8192);
  if (sample.includes(0)) return true;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  let bad = 0;
  for (const ch of text) if (ch === '\ufffd') bad++;
  return bad > Math.max(4, sample.length / 100);
}

/** UTF-8 text of a head; a character cut by the cap is dropped, not shown as garbage. */
export function headText(head: Head): string {
  let bytes = head.bytes;
  if (head.truncated) {
    // Back up over a trailing partial UTF-8 sequence (at most 3 bytes).
    let i = bytes.length - 1;
    let back = 0;
    while (i >= 0 && back < 4 && (bytes[i] & 0xc0) === 0x80) {
      i--;
      back++;
    }
    if (i >= 0 && bytes[i] >= 0xc0) {
      const need = bytes[i] >= 0xf0 ? 4 : bytes[i] >= 0xe0 ? 3 : 2;
      if (bytes.length - i < need) bytes = bytes.subarray(0, i);
    }
  }
  return new TextDecoder('utf-8').decode(bytes).replace(/^\ufeff/, '');
}

/** Splits delimited text into rows (RFC 4180 quoting); stops at `maxRows`. `complete` false drops a last, possibly cut, row. */
export function parseDelimited(text: string, sep: string, maxRows: number, complete: boolean): { rows: string[][]; more: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const n = text.length;
  const endRow = () => {
    row.push(cell);
    rows.push(row);
    row = [];
    cell = '';
  };
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === sep) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      if (rows.length > maxRows) break;
    } else cell += c;
    i++;
  }
  const atEnd = i >= n;
  if (atEnd && (cell !== '' || row.length > 0)) {
    if (complete) endRow();
    // else: the last row may be cut by the cap; leave it out
  }
  const more = rows.length > maxRows || !atEnd || !complete;
  return { rows: rows.slice(0, maxRows), more };
}

function renderTable(rows: string[][]): string {
  if (rows.length === 0) return '<p class="muted">No rows.</p>';
  const width = Math.min(PREVIEW_CSV_COLUMNS, Math.max(...rows.map((r) => r.length)));
  const cells = (r: string[], tag: 'th' | 'td') => {
    const out: string[] = [];
    for (let i = 0; i < width; i++) out.push(`<${tag}>${escapeHtml(r[i] ?? '')}</${tag}>`);
    return out.join('');
  };
  const [head, ...body] = rows;
  return `<table class="csv"><thead><tr>${cells(head, 'th')}</tr></thead><tbody>${body.map((r) => `<tr>${cells(r, 'td')}</tr>`).join('')}</tbody></table>`;
}

function renderLog(text: string): string {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return `<pre class="log">${lines
    .map((l) => {
      const cls = /\b(error|fatal|panic|exception|failed)\b/i.test(l) ? 'err' : /\bwarn(ing)?\b/i.test(l) ? 'warn' : '';
      return cls ? `<span class="${cls}">${escapeHtml(l)}</span>` : escapeHtml(l);
    })
    .join('\n')}</pre>`;
}

export interface PreviewInput {
  name: string;
  /** Size of the whole file, when known. */
  size?: number;
  /** For images: the URL of the file itself (same origin), typed by its extension. */
  imageHref?: string;
}

export interface PreviewResult {
  kind: PreviewKind;
  /** Escaped HTML for the pane's body. */
  html: string;
  /** One line above the body: what is shown ("first 256 KiB of 3.1 MiB", "rows 1–500"). */
  caption: string;
}

/** Whether the pane needs the file's first bytes (images and binaries do not). */
export function needsHead(kind: PreviewKind): boolean {
  return kind !== 'image' && kind !== 'none';
}

export function noPreview(input: PreviewInput, kind: PreviewKind): PreviewResult | undefined {
  if (kind === 'none') return { kind, html: '<p class="muted">No preview for this type of file; download it to open it.</p>', caption: '' };
  if (kind === 'image') {
    if (input.size !== undefined && input.size > PREVIEW_IMAGE_BYTES) {
      return { kind, html: `<p class="muted">This image is ${humanSize(input.size)}; images up to ${humanSize(PREVIEW_IMAGE_BYTES)} are shown here. Download it to open it.</p>`, caption: '' };
    }
    if (!input.imageHref) return { kind, html: '<p class="muted">No preview available.</p>', caption: '' };
    return { kind, html: `<img class="pv-img" src="${escapeHtml(input.imageHref)}" alt="${escapeHtml(input.name)}">`, caption: input.size !== undefined ? humanSize(input.size) : '' };
  }
  return undefined;
}

/** Renders a preview from the file's first bytes. */
export function renderPreview(input: PreviewInput, kind: PreviewKind, head: Head): PreviewResult {
  const cut = head.truncated;
  const shown = cut ? `first ${humanSize(head.bytes.length)}${input.size !== undefined ? ` of ${humanSize(input.size)}` : ''}` : input.size !== undefined ? humanSize(input.size) : '';
  if (head.bytes.length === 0) return { kind, html: '<p class="muted">This file is empty.</p>', caption: '' };
  if (looksBinary(head.bytes)) return { kind: 'none', html: '<p class="muted">This looks like a binary file; download it to open it.</p>', caption: '' };
  const text = headText(head);
  switch (kind) {
    case 'csv':
    case 'tsv': {
      const { rows, more } = parseDelimited(text, kind === 'csv' ? ',' : '\t', PREVIEW_CSV_ROWS + 1, !cut);
      const body = Math.max(rows.length - 1, 0);
      const caption = `${plural(body, 'row')}${more ? ` shown (${shown})` : ''}${rows.some((r) => r.length > PREVIEW_CSV_COLUMNS) ? `, first ${PREVIEW_CSV_COLUMNS} columns` : ''}`;
      return { kind, html: renderTable(rows), caption };
    }
    case 'json': {
      if (!cut) {
        try {
          return { kind, html: `<pre>${escapeHtml(JSON.stringify(JSON.parse(text), null, 2))}</pre>`, caption: shown };
        } catch {
          return { kind: 'text', html: `<p class="muted">Not valid JSON; shown as text.</p><pre>${escapeHtml(text)}</pre>`, caption: shown };
        }
      }
      return { kind, html: `<pre>${escapeHtml(text)}</pre>`, caption: `${shown}, not reformatted` };
    }
    case 'markdown':
      return { kind, html: `<div class="md">${renderMarkdown(text)}</div>`, caption: shown };
    case 'log':
      return { kind, html: renderLog(text), caption: `${shown}${shown ? ', ' : ''}${plural(text.split('\n').length - (text.endsWith('\n') ? 1 : 0), 'line')}` };
    default:
      return { kind: 'text', html: `<pre>${escapeHtml(text)}</pre>`, caption: shown };
  }
}

