import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from './suggest';

/** One `argo-oss` subcommand. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad command-line input; printed with a pointer to the command's --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs' own errors, short and with a suggestion for a mistyped flag. */
export function flagError(err: Error & { code?: string }, options: Options): string {
  const names = Object.keys(options).map((n) => `--${n}`);
  const quoted = /'(-[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return quoted ? `unknown option ${quoted}${didYouMean(quoted.replace(/=.*$/, ''), names)}` : err.message;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (quoted && /argument missing/.test(err.message)) return `${quoted} needs a value`;
      if (quoted && /does not take an argument/.test(err.message)) return `${quoted} takes no value`;
      return err.message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']*)'/.exec(err.message)?.[1];
      return arg !== undefined ? `unexpected argument ${JSON.stringify(arg)}` : err.message;
    }
    default:
      return err.message;
  }
}

/** node:util parseArgs with errors turned into short UsageErrors that name the flag (and suggest one). */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(flagError(err as Error & { code?: string }, options));
  }
}

/** A UsageError for an unknown subcommand, with a suggestion. */
export function unknownSubcommand(what: string, given: string | undefined, known: readonly string[]): UsageError {
  if (given === undefined) return new UsageError(`${what} is required: ${known.join(' or ')}`);
  return new UsageError(`unknown ${what} ${JSON.stringify(given)}${didYouMean(given, known) || ` (${known.join(' or ')})`}`);
}

/** Parses a TCP port flag: 0..65535, decimal. */
export function parsePort(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`--${flag} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Resolves when the process receives SIGINT or SIGTERM (Ctrl-C). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

