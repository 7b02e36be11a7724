// Entry point of the self-contained CLI bundle (dist/cli/argo-oss.cjs) that pods run.
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
