// A small, safe Markdown renderer for previews: headings, paragraphs, lists, block quotes, fenced
// and indented code, rules, pipe tables, and inline code, emphasis and links. Raw HTML is never
// passed through (it is shown escaped), images become links (no external loads), and a link is kept
// only for http(s), mailto, fragments and relative paths — never javascript: or data:.
import { escapeHtml } from './html';

const SAFE_URL = /^(https?:\/\/|mailto:|#|\/|\.{1,2}\/|[^:/?#]+(?:[/?#]|$))/i;

function safeHref(raw: string): string | undefined {
  const url = raw.trim().replace(/^<(.*)>$/, '$1');
  // Controls and whitespace can hide a scheme ("java\tscript:"); refuse them outright.
  if (/[\u0000-\u0020\u007f]/.test(url)) return undefined;
  return SAFE_URL.test(url) ? url : undefined;
}

/** Inline markup on one line of (unescaped) text; the result is escaped HTML. */
export function renderInline(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!|<>]/.test(text[i + 1])) {
      out += escapeHtml(text[i + 1]);
      i += 2;
      continue;
    }
    if (c === '`') {
      const ticks = /^`+/.exec(text.slice(i))![0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        out += `<code>${escapeHtml(text.slice(i + ticks.length, end).trim())}</code>`;
        i = end + ticks.length;
        continue;
      }
    }
    if (c === '!' || c === '[') {
      const m = /^!?\[([^\]\n]*)\]\(([^()\s]*(?:\([^()\s]*\))?[^()\s]*)(?:\s+"[^"]*")?\)/.exec(text.slice(i));
      if (m) {
        const href = safeHref(m[2]);
        const label = m[1] === '' && c === '!' ? m[2] : m[1];
        const inner = c === '!' ? escapeHtml(label) : renderInline(label);
        out += href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${inner}</a>` : inner;
        i += m[0].length;
        continue;
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] === c) {
      const end = text.indexOf(c + c, i + 2);
      if (end > i + 2) {
        out += `<strong>${renderInline(text.slice(i + 2, end))}</strong>`;
        i = end + 2;
        continue;
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] !== ' ' && (c === '*' || i === 0 || /\W/.test(text[i - 1]))) {
      const end = text.indexOf(c, i + 1);
      if (end > i + 1 && text[end - 1] !== ' ') {
        out += `<em>${renderInline(text.slice(i + 1, end))}</em>`;
        i = end + 1;
        continue;
      }
    }
    const auto = /^https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/.exec(text.slice(i));
    if (auto && (i === 0 || /\s|\(/.test(text[i - 1]))) {
      out += `<a href="${escapeHtml(auto[0])}" rel="noopener noreferrer">${escapeHtml(auto[0])}</a>`;
      i += auto[0].length;
      continue;
    }
    out += escapeHtml(c);
    i++;
  }
  return out;
}

const tableCells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

/** Markdown text → escaped HTML. */
export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  const para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${para.map(renderInline).join('\n')}</p>`);
    para.length = 0;
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      out.push(`<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (/^\s*$/.test(line)) {
      flush();
      i++;
      continue;
    }
    const h = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      out.push(`<h${h[1].length}>${renderInline(h[2])}</h${h[1].length}>`);
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push('<hr>');
      i++;
      continue;
    }
    if (/^ {4}|^\t/.test(line) && para.length === 0) {
      const body: string[] = [];
      while (i < lines.length && (/^ {4}|^\t/.test(lines[i]) || (lines[i].trim() === '' && /^ {4}|^\t/.test(lines[i + 1] ?? '')))) body.push(lines[i++].replace(/^ {4}|^\t/, ''));
      out.push(`<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      flush();
      const body: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^\s{0,3}>\s?/, ''));
      out.push(`<blockquote>${renderMarkdown(body.join('\n'))}</blockquote>`);
      continue;
    }
    const item = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+/;
    if (item.test(line)) {
      flush();
      const ordered = /^\s{0,3}\d/.test(line);
      const items: string[] = [];
      while (i < lines.length && item.test(lines[i])) {
        let text = lines[i++].replace(item, '');
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !item.test(lines[i])) text += ` ${lines[i++].trim()}`;
        const task = /^\[([ xX])\]\s+/.exec(text);
        items.push(`<li>${task ? `${task[1] === ' ' ? '☐' : '☑'} ${renderInline(text.slice(task[0].length))}` : renderInline(text)}</li>`);
      }
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`);
      continue;
    }
    if (line.includes('|') && /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(lines[i + 1] ?? '')) {
      flush();
      const head = tableCells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i].includes('|') && lines[i].trim() !== '') rows.push(tableCells(lines[i++]));
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${renderInline(c)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${head.map((_, k) => `<td>${renderInline(r[k] ?? '')}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
      continue;
    }
    para.push(line.trim());
    i++;
  }
  flush();
  return out.join('\n');
}
