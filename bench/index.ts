// `npm run bench -- <name>`: runs one benchmark; each prints a table comparing us with a peer in the same run.
export {};
const BENCHMARKS: Record<string, { description: string; load: () => Promise<{ run(args: string[]): Promise<void> }> }> = {
  crc64: { description: 'CRC-64 MB/s: ours (WebAssembly, pure-JS) vs Go hash/crc64, Node MD5 and SHA-256 on 256 MiB', load: () => import('./crc64') },
  'oss-server': { description: 'local OSS-compatible server: PUT/GET MB/s of a 1 GiB object on loopback', load: () => import('./oss-server') },
  upload: { description: 'pod uploader vs ali-oss multipartUpload on 1 and 4 GiB files (MB/s, CPU/GiB, peak RSS); URL signing', load: () => import('./upload') },
  download: { description: 'artifact-download function vs a direct presigned GET of a 1 GiB object (MB/s, TTFB, RSS, 16 concurrent)', load: () => import('./download') },
  plugin: { description: 'artifact-driver plugin: Save vs the OSS Go SDK UploadFile, OpenStream vs a presigned GET (plugin RSS), Load vs a single-stream GET, 1 GiB', load: () => import('./plugin') },
  gc: { description: 'artifact GC of 100,000 objects: event → batch deletes vs one DeleteObject per object (Argo), sequential and 16-way (objects/s)', load: () => import('./gc') },
};

const [name, ...args] = process.argv.slice(2);
if (!name || !(name in BENCHMARKS)) {
  console.error(`usage: npm run bench -- <name>\n\n${Object.entries(BENCHMARKS).map(([n, b]) => `  ${n.padEnd(12)} ${b.description}`).join('\n')}`);
  process.exit(name ? 2 : 0);
}
const bench = await BENCHMARKS[name].load();
await bench.run(args);
