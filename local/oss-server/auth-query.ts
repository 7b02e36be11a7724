// Raw query-string handling for signature checks. We parse the query ourselves
// because canonicalisation must not treat '+' as a space (URLSearchParams does)
// and V4 needs the exact decoded bytes to re-encode them.

export interface QueryParam {
  name: string;
  /** Decoded value as UTF-8 text ('' when absent or empty). */
  value: string;
  /** Decoded value bytes; V4 re-encodes from these so invalid UTF-8 survives. */
  valueBytes: Buffer;
  nameBytes: Buffer;
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Decode %XX escapes to bytes; a '%' not followed by two hex digits stays literal. */
export function percentDecode(raw: string): Buffer {
  const out: number[] = [];
  const utf8 = Buffer.from(raw, 'utf8');
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i]!;
    const hex = b === 0x25 && i + 2 < utf8.length ? String.fromCharCode(utf8[i + 1]!, utf8[i + 2]!) : '';
    if (HEX.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/**
 * Split a raw query ("a=1&b&c=%2B", the text after the first '?') into decoded parameters, in order,
 * duplicates kept. A leading '?' belongs to the first name: the Go SDK's `??objectMeta` is the
 * unsigned parameter "?objectMeta", not the signed sub-resource "objectMeta".
 */
export function parseRawQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const nameBytes = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const valueBytes = percentDecode(eq < 0 ? '' : part.slice(eq + 1));
    params.push({ name: nameBytes.toString('utf8'), value: valueBytes.toString('utf8'), nameBytes, valueBytes });
  }
  return params;
}

/** First occurrence wins when a parameter repeats (OSS rule for presigned URLs). */
export function firstParam(params: readonly QueryParam[], name: string): QueryParam | undefined {
  return params.find((p) => p.name === name);
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** RFC 3986 percent-encoding (upper-case hex); `keepSlash` for the V4 canonical URI. */
export function uriEncode(input: string | Buffer, keepSlash = false): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if ((b < 0x80 && UNRESERVED.test(c)) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
