// A small, strict zip reader for tests, independent of the writer under test: finds the end of
// central directory (ZIP64 too), walks the central directory, checks each local header against it,
// inflates (or copies) each entry and checks its CRC-32 and sizes. Throws on anything inconsistent.
import { inflateRawSync } from 'node:zlib';
import { crc32 } from '../../shared/crc32';

export { crc32 };

export interface ZipEntry {
  name: string;
  data: Buffer;
  method: number;
  dir: boolean;
}

function zip64Extra(extra: Buffer, want: { usize: boolean; csize: boolean; offset: boolean }): { usize?: number; csize?: number; offset?: number } {
  let i = 0;
  while (i + 4 <= extra.length) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let p = i + 4;
      const out: { usize?: number; csize?: number; offset?: number } = {};
      if (want.usize) (out.usize = Number(extra.readBigUInt64LE(p))), (p += 8);
      if (want.csize) (out.csize = Number(extra.readBigUInt64LE(p))), (p += 8);
      if (want.offset) out.offset = Number(extra.readBigUInt64LE(p));
      return out;
    }
    i += 4 + len;
  }
  throw new Error('ZIP64 sizes needed but no ZIP64 extra field');
}

export function readZip(zip: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory record');
  let total = zip.readUInt16LE(eocd + 10);
  let cdOffset = zip.readUInt32LE(eocd + 16);
  if (total === 0xffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (zip.readUInt32LE(loc) !== 0x07064b50) throw new Error('no ZIP64 end of central directory locator');
    const z64 = Number(zip.readBigUInt64LE(loc + 8));
    if (zip.readUInt32LE(z64) !== 0x06064b50) throw new Error('bad ZIP64 end of central directory record');
    total = Number(zip.readBigUInt64LE(z64 + 32));
    cdOffset = Number(zip.readBigUInt64LE(z64 + 48));
  }
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < total; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    let csize = zip.readUInt32LE(p + 20);
    let usize = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    let offset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    const extra = zip.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    if (usize === 0xffffffff || csize === 0xffffffff || offset === 0xffffffff) {
      const z = zip64Extra(extra, { usize: usize === 0xffffffff, csize: csize === 0xffffffff, offset: offset === 0xffffffff });
      usize = z.usize ?? usize;
      csize = z.csize ?? csize;
      offset = z.offset ?? offset;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (zip.readUInt32LE(offset) !== 0x04034b50) throw new Error(`${name}: no local header at ${offset}`);
    const localName = zip.toString('utf8', offset + 30, offset + 30 + zip.readUInt16LE(offset + 26));
    if (localName !== name) throw new Error(`${name}: local header names ${localName}`);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const raw = zip.subarray(start, start + csize);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : (() => { throw new Error(`${name}: method ${method}`); })();
    if (data.length !== usize) throw new Error(`${name}: ${data.length} bytes, central directory says ${usize}`);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC-32 mismatch`);
    out.push({ name, data, method, dir: name.endsWith('/') });
  }
  return out;
}
