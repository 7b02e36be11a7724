// Byte sizes as people write them ("64MiB", "1GiB", "100KB", "1048576") — command-line flags, the
// plugin configuration, size limits in the configuration — and as they are shown.

// KB/MB/GB are read as binary units, as the AWS CLI reads them and as OSS states its limits
// ("100 KB" minimum part = 102400 bytes), so `--part-size 100KB` is exactly the smallest part.
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses "64MiB", "1.5GiB", "100KB", "100k", "1048576" into a whole number of bytes; throws RangeError. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RangeError(`not a size: ${JSON.stringify(text)} (use e.g. 64MiB, 1GiB, 100KB or a byte count)`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(Math.round(bytes))) throw new RangeError(`size too large: ${JSON.stringify(text)}`);
  if (!Number.isInteger(bytes)) throw new RangeError(`not a whole number of bytes: ${JSON.stringify(text)}`);
  return bytes;
}

/** 1536 → "1.50 KiB"; binary units, three significant digits; whole bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}
