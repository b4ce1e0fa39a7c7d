/**
 * `sst dev`: CloudFront cannot run edge functions from a laptop, and `sst dev` cannot live-run
 * Lambda@Edge. So `sst dev` deploys the stage's buckets (not the CDN, see DeployOptions.cdn) and runs
 * the local edge (`npm start`) in a pane, against those real buckets: a change to a function shows on
 * the next request, without redeploying anything.
 *
 * The contract with the local edge's real-bucket mode (infra/local/main.ts wires it):
 *   npm start -- --config <overrides.json> --s3 aws
 *   --config FILE   build overrides (infra/build/overrides.ts), the same JSON `npm run package -- --config`
 *                   takes; for a stage it holds the stage's bucket names, so the local edge builds
 *                   its pipeline from exactly the spec the stage deploys.
 * No stage variable is passed: the overrides file already is the stage's spec (its bucket names,
 * origins and keys from infra/stages/<stage>.ts), so nothing in the local edge needs the name.
 *   --s3 aws        talk to real S3 with the default AWS credential chain (AWS_PROFILE, SSO, env)
 *                   instead of starting the embedded s3rver; buckets are not seeded or created.
 */
import path from 'node:path';

export interface LocalEdgeRealS3 {
  /** The overrides file of the stage (artifacts.ts writes it before the dev command starts). */
  readonly configFile: string;
  readonly s3: 'aws';
}

/** The arguments after `npm start --`. */
function localEdgeArgs(options: LocalEdgeRealS3): string[] {
  return ['--config', options.configFile, '--s3', options.s3];
}

/** Quotes an argument for the shell that runs a DevCommand (only when it needs quoting). */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The arguments of `new sst.x.DevCommand('LocalEdge', ...)` (structurally DevCommandArgs). */
export function localEdgeDevCommand(options: LocalEdgeRealS3 & { readonly root: string; readonly stage: string }) {
  const configFile = path.relative(options.root, path.resolve(options.root, options.configFile)) || options.configFile;
  const args = localEdgeArgs({ configFile, s3: options.s3 });
  return {
    dev: {
      command: ['npm', 'start', '--', ...args].map(shellQuote).join(' '),
      directory: options.root,
      autostart: true,
      title: 'Local edge',
    },
  };
}
