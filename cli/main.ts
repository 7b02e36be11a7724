import { UsageError, type Command } from './command';
import { ossServerCommand } from './commands/oss-server';
import { localCommand } from './commands/local';
import { uploadCommand } from './commands/upload';
import { lifecycleCommand } from './commands/lifecycle';
import { gcCommand } from './commands/gc';
import { pluginCommand } from './commands/plugin';
import { doctorCommand } from './commands/doctor';
import { didYouMean } from './suggest';
import pkg from '../package.json';

const COMMANDS: Command[] = [localCommand, ossServerCommand, uploadCommand, pluginCommand, lifecycleCommand, gcCommand, doctorCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'argo-oss — artifact management for Argo Workflows on Alibaba Cloud OSS',
    '',
    'Usage: argo-oss <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'argo-oss <command> --help' for a command's options; 'argo-oss --version' for the version.",
  ].join('\n');
}

/** The version of this argo-oss (package.json; bundled into dist/cli/argo-oss.cjs). */
export const VERSION: string = pkg.version;

/** Entry point shared by bin/argo-oss.mjs (sources) and the esbuild bundle. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`argo-oss ${VERSION}`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
    const hint = name.startsWith('-') ? didYouMean(name, ['--help', '--version']) : didYouMean(name, COMMANDS.map((c) => c.name));
    console.error(`argo-oss: ${what}${hint}\nRun 'argo-oss --help' for the commands.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`argo-oss ${command.name}: ${err.message}\nRun 'argo-oss ${command.name} --help' for its usage.`);
      return 2;
    }
    console.error(`argo-oss ${command.name}: ${(err as Error).message ?? err}`);
    return 1;
  }
}
