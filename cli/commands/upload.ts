import { existsSync, statSync } from 'node:fs';
import { count, plural } from '../../shared/numbers';
import { parseFlags, UsageError, type Command } from '../command';
import { DEFAULT_CONCURRENCY, UploadError, uploadDirectoryTgz, uploadFile, type UploadSummary } from '../upload';
import { formatBytes, parseSize } from '../upload/size';
import { MAX_PART_SIZE, MAX_WRITERS, MIN_PART_SIZE } from '../../shared/upload/plan';
import { SERVICE_ACCOUNT_TOKEN_FILE, tokenFromFile } from '../upload/token';

const usage = `Usage: argo-oss upload PATH --key KEY [options]

Uploads a file (or, with --archive tgz, a directory as a tar+gzip) to OSS through the upload
coordinator: parts in parallel, each read straight from the file, CRC-64-checked per part and for
the whole object. Running the same command again after a crash resumes: parts already in OSS are
re-verified against the file and only the missing ones are sent. Exit code 0 only when the object
in OSS is verified (size and CRC-64 equal the source's).

Options:
  --key KEY              object key to write (required)
  --coordinator URL      upload coordinator (default $ARGO_OSS_COORDINATOR)
  --token T              bearer token (default $ARGO_OSS_TOKEN)
  --token-file F         file holding the token, re-read as it rotates (default $ARGO_OSS_TOKEN_FILE,
                         else ${SERVICE_ACCOUNT_TOKEN_FILE} when it exists)
  --concurrency N        parts in flight at once, 1-256 (default ${DEFAULT_CONCURRENCY})
  --part-size SIZE       bytes per part, 100KB-5GiB, e.g. 64MiB (default: chosen by the coordinator;
                         KB/MB/GB mean KiB/MiB/GiB)
  --archive tgz|none     tgz: upload a tar+gzip of PATH (a directory or a file) in Argo's archive
                         layout, streamed as parts of unknown total size (default none)
  --content-type TYPE    Content-Type of the object
  --tag K=V              object tag (repeatable)
  --meta K=V             user metadata x-oss-meta-K (repeatable)
  --json                 print one JSON summary on stdout (key, size, crc64, parts, partsUploaded,
                         partsReused, bytesSent, seconds, uploadId, ...)
  --quiet                no progress output (progress goes to stderr: a bar on a terminal, one line
                         every 10 s otherwise)
  --spool-dir DIR        where --archive tgz spools parts (default the system temp dir; needs
                         (concurrency + 1) x part size of space)

Fan-out (several pods upload one file, each a shard of its parts):
  --writers N            number of writers in the plan, 1-${MAX_WRITERS} (every writer passes the same N)
  --writer I             upload only writer I's shard (1..N). The writer that finds every part in
                         OSS completes the object; the others exit 0 once their shard is verified
  --fingerprint F        identity of the source shared by all writers (default size:mtime:inode of
                         the file, which differs between pods: pass e.g. the workflow uid + path)
  --upload-id ID         join an existing upload instead of starting one

Environment:
  ARGO_OSS_COORDINATOR, ARGO_OSS_TOKEN, ARGO_OSS_TOKEN_FILE   as the options above

Exit codes: 0 verified (or a writer's shard verified), 1 upload failed, 2 bad usage,
130/143 interrupted (run again to resume).`;

function positiveInt(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function pairs(flag: string, values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--${flag} must be KEY=VALUE, got ${JSON.stringify(v)}`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload a file or directory to OSS through the coordinator (parallel, resumable, verified)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        key: { type: 'string' },
        coordinator: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        concurrency: { type: 'string' },
        'part-size': { type: 'string' },
        archive: { type: 'string' },
        'content-type': { type: 'string' },
        tag: { type: 'string', multiple: true },
        meta: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        'spool-dir': { type: 'string' },
        writers: { type: 'string' },
        writer: { type: 'string' },
        fingerprint: { type: 'string' },
        'upload-id': { type: 'string' },
      },
      true,
    );
    const env = process.env;
    if (positionals.length === 0) throw new UsageError('PATH is required');
    if (positionals.length > 1) throw new UsageError(`one PATH only, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
    const path = positionals[0];
    const key = values.key;
    if (key === undefined || key === '') throw new UsageError('--key is required');
    if (key.startsWith('/')) throw new UsageError(`--key must be relative (no leading "/"), got ${JSON.stringify(key)}`);

    const coordinator = values.coordinator ?? env.ARGO_OSS_COORDINATOR;
    if (!coordinator) throw new UsageError('--coordinator is required (or set ARGO_OSS_COORDINATOR)');
    if (!/^https?:\/\/[^/]/.test(coordinator) || !URL.canParse(coordinator)) {
      throw new UsageError(`--coordinator must be an http(s) URL, got ${JSON.stringify(coordinator)}`);
    }

    if (values.token !== undefined && values['token-file'] !== undefined) throw new UsageError('--token and --token-file are exclusive');
    let token: string | (() => Promise<string>) | undefined;
    if (values.token !== undefined) {
      if (!values.token) throw new UsageError('--token must not be empty');
      token = values.token;
    } else if (values['token-file'] !== undefined || env.ARGO_OSS_TOKEN_FILE || (!env.ARGO_OSS_TOKEN && existsSync(SERVICE_ACCOUNT_TOKEN_FILE))) {
      const file = values['token-file'] ?? env.ARGO_OSS_TOKEN_FILE ?? SERVICE_ACCOUNT_TOKEN_FILE;
      const flag = values['token-file'] !== undefined ? '--token-file' : env.ARGO_OSS_TOKEN_FILE ? 'ARGO_OSS_TOKEN_FILE' : 'the service-account token';
      const read = tokenFromFile(file);
      try {
        if (!(await read())) throw new Error('it is empty');
      } catch (err) {
        throw new UsageError(`${flag}: cannot read a token from ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      token = read;
    } else if (env.ARGO_OSS_TOKEN) {
      token = env.ARGO_OSS_TOKEN;
    }

    const concurrency = positiveInt('concurrency', values.concurrency, 1, 256);
    let partSize: number | undefined;
    if (values['part-size'] !== undefined) {
      try {
        partSize = parseSize(values['part-size']);
      } catch (err) {
        throw new UsageError(`--part-size: ${(err as Error).message}`);
      }
      if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
        throw new UsageError(`--part-size must be from 100KB (${MIN_PART_SIZE} bytes) to 5GiB, got ${JSON.stringify(values['part-size'])}`);
      }
    }
    const archive = values.archive ?? 'none';
    if (archive !== 'tgz' && archive !== 'none') throw new UsageError(`--archive must be tgz or none, got ${JSON.stringify(archive)}`);
    const writers = positiveInt('writers', values.writers, 1, MAX_WRITERS);
    const writer = positiveInt('writer', values.writer, 1, MAX_WRITERS);
    if (writers !== undefined && writer === undefined) throw new UsageError('--writers needs --writer I (this pod\'s shard)');
    if (writer !== undefined && writers === undefined && values['upload-id'] === undefined) throw new UsageError('--writer needs --writers N or --upload-id ID');
    if (writer !== undefined && writers !== undefined && writer > writers) throw new UsageError(`--writer must be from 1 to --writers (${writers}), got ${writer}`);
    if (values.fingerprint === '') throw new UsageError('--fingerprint must not be empty');
    if (values['upload-id'] === '') throw new UsageError('--upload-id must not be empty');
    const tags = pairs('tag', values.tag);
    const meta = pairs('meta', values.meta);

    let kind: 'file' | 'directory';
    try {
      const st = statSync(path);
      if (st.isDirectory()) kind = 'directory';
      else if (st.isFile()) kind = 'file';
      else throw new UsageError(`PATH ${JSON.stringify(path)} is neither a file nor a directory`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`PATH ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    if (archive === 'none' && kind === 'directory') throw new UsageError(`PATH ${JSON.stringify(path)} is a directory: add --archive tgz`);
    if (archive === 'tgz') {
      for (const flag of ['writers', 'writer', 'fingerprint', 'upload-id'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --archive tgz (an archive stream is uploaded by one process)`);
      }
    }

    // Ctrl-C / SIGTERM: stop the parts in flight; a file upload stays resumable.
    const controller = new AbortController();
    let signalName: NodeJS.Signals | undefined;
    const onSignal = (s: NodeJS.Signals) => {
      signalName = s;
      controller.abort(new UploadError(`interrupted by ${s}`, 'Interrupted'));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    const common = {
      coordinator,
      token,
      key,
      concurrency,
      partSize,
      contentType: values['content-type'],
      tags,
      meta,
      progress: values.quiet ? ('none' as const) : ('auto' as const),
      signal: controller.signal,
    };
    let summary: UploadSummary;
    try {
      summary =
        archive === 'tgz'
          ? await uploadDirectoryTgz(path, { ...common, spoolDir: values['spool-dir'] })
          : await uploadFile({ ...common, path, writers, writer, fingerprint: values.fingerprint, uploadId: values['upload-id'] });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const code = e instanceof UploadError ? e.code : 'Error';
      const uploadId = e instanceof UploadError ? e.uploadId : undefined;
      let message = e.message;
      if (signalName && uploadId && archive === 'none') message = `interrupted by ${signalName}; run the same command again to resume upload ${uploadId}`;
      if (values.json) console.log(JSON.stringify({ key, uploadId, error: { code, message } }));
      console.error(`argo-oss upload: ${message}`);
      return signalName === 'SIGINT' ? 130 : signalName === 'SIGTERM' ? 143 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }

    if (values.json) {
      const { key: k, size, crc64, parts, partsUploaded, partsReused, bytesSent, seconds, uploadId, ...rest } = summary;
      console.log(JSON.stringify({ key: k, size, crc64, parts, partsUploaded, partsReused, bytesSent, seconds, uploadId, ...rest }));
    } else if (summary.completed) {
      const rate = summary.seconds > 0 ? ` (${formatBytes(summary.size / summary.seconds)}/s)` : '';
      console.log(
        `uploaded ${summary.key}: ${formatBytes(summary.size)} in ${plural(summary.parts, 'part')}` +
          `${summary.partsReused ? ` (${count(summary.partsReused)} already in OSS)` : ''}, CRC-64 ${summary.crc64} verified, ${summary.seconds} s${rate}`,
      );
    } else {
      console.log(`writer ${summary.writer}: shard of ${summary.key} uploaded and verified (${plural(summary.partsUploaded + summary.partsReused, 'part')}); the last writer completes the object`);
    }
    return 0;
  },
};
