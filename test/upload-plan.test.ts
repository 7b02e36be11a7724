// Pure planning and key rules of the upload coordinator.
import { describe, expect, it } from 'vitest';
import { HttpError } from '../shared/http/errors';
import { crc64, foldCrc64 } from '../shared/crc64';
import { validateArtifactKey, workflowKeyPrefix } from '../shared/tenancy';
import { indexKeyFor } from '../shared/upload/manifest';
import {
  assignWriters,
  choosePartSize,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  partRange,
  planUpload,
  type Plan,
} from '../shared/upload/plan';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function fails(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return err as HttpError;
  }
  throw new Error('expected an HttpError');
}

/** Every part 1..partCount owned by exactly one shard, shards contiguous, byte ranges consistent. */
function checkShards(plan: Plan): void {
  const { partCount, partSize, size, writers } = plan;
  let next = 1;
  for (const s of writers) {
    expect(s.firstPart).toBe(next);
    expect(s.lastPart).toBeGreaterThanOrEqual(s.firstPart);
    expect(s.start).toBe((s.firstPart - 1) * partSize);
    expect(s.end).toBe(Math.min(s.lastPart * partSize, size!));
    next = s.lastPart + 1;
  }
  expect(next - 1).toBe(partCount);
  const counts = writers.map((s) => s.lastPart - s.firstPart + 1);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
}

describe('OSS limits', () => {
  it('are exactly OSS numbers', () => {
    expect(MIN_PART_SIZE).toBe(102_400);
    expect(MAX_PART_SIZE).toBe(5_368_709_120);
    expect(MAX_OBJECT_SIZE).toBe(53_687_091_200_000); // 48.8 TiB
  });
});

describe('planUpload: sizes', () => {
  it.each([
    [0, 16 * MiB, 1],
    [1, 16 * MiB, 1],
    [MIN_PART_SIZE, 16 * MiB, 1],
    [16 * MiB, 16 * MiB, 1],
    [16 * MiB + 1, 16 * MiB, 2],
    [GiB, 16 * MiB, 64],
    [5 * GiB, 16 * MiB, 320],
    [10_000 * 16 * MiB, 16 * MiB, 10_000], // the last size 16 MiB parts can carry
    [10_000 * 16 * MiB + 1, 17 * MiB, 9_412],
    [MAX_OBJECT_SIZE, MAX_PART_SIZE, 10_000],
  ])('size %d → part size %d, %d parts', (size, partSize, partCount) => {
    const plan = planUpload({ size });
    expect(plan.partSize).toBe(partSize);
    expect(plan.partCount).toBe(partCount);
    expect(plan.partCount!).toBeLessThanOrEqual(10_000);
    checkShards(plan);
  });

  it('keeps automatic part sizes in whole MiB and within limits at every scale', () => {
    for (let size = 1; size <= MAX_OBJECT_SIZE; size = Math.ceil(size * 1.37) + 1) {
      const p = choosePartSize(size);
      expect(p % MiB).toBe(0);
      expect(p).toBeGreaterThanOrEqual(16 * MiB);
      expect(p).toBeLessThanOrEqual(MAX_PART_SIZE);
      expect(Math.ceil(size / p)).toBeLessThanOrEqual(10_000);
    }
  });

  it('refuses sizes above 48.8 TB, negative, fractional or non-numeric, naming size', () => {
    for (const size of [MAX_OBJECT_SIZE + 1, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, '10' as unknown as number, Number.NaN]) {
      const e = fails(() => planUpload({ size }));
      expect(e.status).toBe(400);
      expect(e.code).toBe('InvalidArgument');
      expect(e.field).toBe('size');
    }
  });

  it('accepts partSize from 100 KB to 5 GiB and refuses outside, naming partSize', () => {
    expect(planUpload({ size: 1000 * MIN_PART_SIZE, partSize: MIN_PART_SIZE }).partCount).toBe(1000);
    expect(planUpload({ size: 6 * GiB, partSize: MAX_PART_SIZE }).partCount).toBe(2);
    for (const partSize of [MIN_PART_SIZE - 1, MAX_PART_SIZE + 1, 0, -5, 1.5 * MiB + 0.5]) {
      const e = fails(() => planUpload({ size: GiB, partSize }));
      expect(e.field).toBe('partSize');
    }
  });

  it('refuses a partSize that needs more than 10,000 parts, saying the smallest that fits', () => {
    expect(planUpload({ size: 10_000 * MIN_PART_SIZE, partSize: MIN_PART_SIZE }).partCount).toBe(10_000);
    const e = fails(() => planUpload({ size: 10_000 * MIN_PART_SIZE + 1, partSize: MIN_PART_SIZE }));
    expect(e.field).toBe('partSize');
    expect(e.message).toContain('10,001 parts');
    expect(e.message).toContain('102,401');
  });

  it('plans a stream of unknown size with 64 MiB parts, no part count and one writer', () => {
    const plan = planUpload({ size: null });
    expect(plan).toMatchObject({ size: null, partSize: 64 * MiB, partCount: null });
    expect(plan.writers).toEqual([{ writer: 1, firstPart: 1, lastPart: 10_000, start: 0, end: 10_000 * 64 * MiB }]);
    expect(planUpload({ size: null, partSize: MIN_PART_SIZE }).partSize).toBe(MIN_PART_SIZE);
    expect(fails(() => planUpload({ size: null, writers: 2 })).field).toBe('writers');
  });

  it('gives part byte ranges, the last one short', () => {
    expect(partRange(1, 100, 250)).toEqual({ start: 0, end: 100 });
    expect(partRange(3, 100, 250)).toEqual({ start: 200, end: 250 });
    expect(partRange(1, 100, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('planUpload: writers', () => {
  it('splits parts into contiguous balanced shards, each part owned once', () => {
    const plan = planUpload({ size: GiB, writers: 3 }); // 64 parts → 22, 21, 21
    expect(plan.writers.map((w) => [w.firstPart, w.lastPart])).toEqual([
      [1, 22],
      [23, 43],
      [44, 64],
    ]);
    checkShards(plan);
    for (const [parts, writers] of [
      [1, 1],
      [7, 7],
      [10_000, 100],
      [10_000, 3],
      [99, 100 - 1],
      [101, 100],
    ]) {
      checkShards({ size: parts * MIN_PART_SIZE, partSize: MIN_PART_SIZE, partCount: parts, writers: assignWriters(parts, writers, MIN_PART_SIZE, parts * MIN_PART_SIZE) });
    }
  });

  it('refuses more writers than parts, more than 100, or not a whole number', () => {
    expect(fails(() => planUpload({ size: 16 * MiB, writers: 2 })).field).toBe('writers');
    expect(fails(() => planUpload({ size: 100 * GiB, writers: 101 })).field).toBe('writers');
    expect(fails(() => planUpload({ size: GiB, writers: 0 })).field).toBe('writers');
    expect(fails(() => planUpload({ size: GiB, writers: 1.5 })).field).toBe('writers');
    expect(planUpload({ size: 100 * GiB, writers: 100 }).writers).toHaveLength(100);
  });
});

describe('validateArtifactKey', () => {
  it.each(['a', 'wf-1/pod-1/main.tgz', 'a/b/c.d', 'ü/😀', '.hidden/x', 'a/..b/c', 'x'.repeat(1023), '.argo-ossx/y'])('accepts %s', (key) => {
    expect(validateArtifactKey(key)).toBe(key);
  });

  it.each([
    ['', 'required'],
    ['/abs', 'leading'],
    ['a\\b', '\\'],
    ['a/../b', "'..'"],
    ['../b', "'..'"],
    ['a/./b', "'.'"],
    ['a//b', 'empty'],
    ['a/', 'empty'],
    ['a\u0000b', 'control'],
    ['a\nb', 'control'],
    ['a\u007fb', 'control'],
    ['.argo-oss/uploads/x.json', 'reserved'],
    ['.argo-oss', 'reserved'],
    ['x'.repeat(1024), '1023'],
    ['é'.repeat(512), '1023'],
  ])('refuses %j (%s) with 400 naming key', (key, why) => {
    const e = fails(() => validateArtifactKey(key));
    expect(e.status).toBe(400);
    expect(e.field).toBe('key');
    expect(e.message).toContain(why);
  });

  it('refuses non-strings and keys outside the artifact root', () => {
    expect(fails(() => validateArtifactKey(42)).field).toBe('key');
    expect(fails(() => validateArtifactKey(undefined)).field).toBe('key');
    expect(validateArtifactKey('art/x', 'art/')).toBe('art/x');
    expect(fails(() => validateArtifactKey('other/x', 'art/')).message).toContain('artifact root');
    expect(fails(() => validateArtifactKey('artx', 'art/')).field).toBe('key');
  });
});

describe('workflowKeyPrefix', () => {
  it('renders the template after the artifact root', () => {
    expect(workflowKeyPrefix('{{workflow.name}}/', { name: 'wf-a', namespace: 'argo' })).toBe('wf-a/');
    expect(workflowKeyPrefix('{{workflow.namespace}}/{{workflow.name}}/', { name: 'wf-a', namespace: 'argo' }, 'art/')).toBe('art/argo/wf-a/');
    expect(workflowKeyPrefix('runs-{{ workflow.name }}/', { name: 'wf-a', namespace: 'argo' })).toBe('runs-wf-a/');
  });

  it('keeps workflows apart: no prefix is a prefix of another workflow key', () => {
    const a = workflowKeyPrefix('{{workflow.name}}/', { name: 'a', namespace: 'argo' });
    const ab = workflowKeyPrefix('{{workflow.name}}/', { name: 'ab', namespace: 'argo' });
    expect('ab/x'.startsWith(a)).toBe(false);
    expect('a/x'.startsWith(ab)).toBe(false);
  });

  it('refuses names that are not Kubernetes names (no way to smuggle a /)', () => {
    expect(fails(() => workflowKeyPrefix('{{workflow.name}}/', { name: 'a/b', namespace: 'argo' })).status).toBe(403);
    expect(fails(() => workflowKeyPrefix('{{workflow.name}}/', { name: '..', namespace: 'argo' })).status).toBe(403);
  });
});

describe('start identity and CRC folding', () => {
  it('changes the index key with size, fingerprint and layout, not with the order of tags', () => {
    const base = { owner: 'workflow:argo/uid-1', key: 'k', size: 10, fingerprint: 'f', writers: 1, tags: { a: '1', b: '2' } };
    expect(indexKeyFor(base)).toBe(indexKeyFor({ ...base, tags: { b: '2', a: '1' } }));
    for (const other of [{ size: 11 }, { fingerprint: 'g' }, { writers: 2 }, { partSize: 102400 }, { key: 'k2' }, { contentType: 'text/plain' }, { owner: 'workflow:argo/uid-2' }]) {
      expect(indexKeyFor({ ...base, ...other })).not.toBe(indexKeyFor(base));
    }
  });

  it('folds part CRC-64s into the whole CRC-64', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog, several times over');
    const cuts = [0, 7, 8, 30, data.length];
    const parts = cuts.slice(1).map((end, i) => ({ size: end - cuts[i], crc64: crc64(data.subarray(cuts[i], end)) }));
    expect(foldCrc64(parts)).toBe(crc64(data));
    expect(foldCrc64([{ size: 0, crc64: crc64(Buffer.alloc(0)) }])).toBe(crc64(Buffer.alloc(0)));
    expect(foldCrc64([{ size: 1, crc64: undefined }])).toBeUndefined();
  });
});
