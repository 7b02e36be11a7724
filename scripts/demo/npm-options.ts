// `npm run demo --only gc` (without `--`) hands --only to npm, not to the demo, which would then
// run everything. Older npm versions leave a trace (npm_config_only=gc); the demo reads it and
// says how to pass the option instead. (npm 11 drops such options without a trace; the demo's
// first line then reminds of the `--`.)

// Only values that can be nothing but the demo's (an .npmrc may well set only=production).
const DEMO_OPTIONS: Array<[string, RegExp]> = [
  ['only', /^(upload|gc|download)(,(upload|gc|download))*$/],
  ['size', /^\d+(\.\d+)?\s*[kmgt]i?b?$/i],
];

/** The demo options npm kept for itself, as they were meant (`--only gc`); [] when none. */
export function optionsNpmTook(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, looks] of DEMO_OPTIONS) {
    const value = env[`npm_config_${name}`];
    if (value !== undefined && looks.test(value)) out.push(`--${name} ${value}`);
  }
  return out;
}
