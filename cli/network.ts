// Network failures in words a person can act on: what did not answer (the URL), and why — refused,
// timed out, DNS, reset — instead of a bare error code or "the server answered NetworkError" when
// nothing answered at all.

const REASONS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused (nothing is listening there)'],
  [/ENOTFOUND|EAI_NONAME|EAI_NODATA/, 'DNS lookup failed (unknown host name)'],
  [/EAI_AGAIN/, 'DNS lookup failed (no DNS answer; check the network)'],
  [/ETIMEDOUT|ESOCKETTIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|^Timeout$|timed out/i, 'timed out (no answer in time)'],
  [/ECONNRESET|EPIPE|UND_ERR_SOCKET|socket hang up|other side closed/i, 'the connection was closed before an answer'],
  [/EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/, 'no route to the host (check the network)'],
  [/CERT|SSL|TLS|self[- ]signed/i, 'TLS failed (certificate or protocol)'],
];

/** A reason phrase for a Node/undici network error code or message; undefined when unknown. */
export function networkReason(codeOrMessage: string | undefined): string | undefined {
  if (!codeOrMessage) return undefined;
  return REASONS.find(([re]) => re.test(codeOrMessage))?.[1];
}

/** "no answer from the coordinator at http://h:9000: connection refused (nothing is listening there)". */
export function noAnswer(what: string, url: string, codeOrMessage: string | undefined): string {
  return `no answer from ${what} at ${url}: ${networkReason(codeOrMessage) ?? codeOrMessage ?? 'network error'}`;
}
