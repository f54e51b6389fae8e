/**
 * The directory that relative paths on the command line are relative to. `npm run cli -w @research-ts/trainer`
 * runs the program inside `apps/trainer`, not where the user typed the command; npm records that directory in
 * `INIT_CWD`. It is used only when this package's own `cli` script started the program (`npm_lifecycle_event`
 * and `npm_package_name` say so): `INIT_CWD` is inherited by every process below an npm script, and a
 * `research-ts` started by some other script (after a `cd`) must keep its own working directory.
 */
export function invocationDirectory(
  environment: NodeJS.ProcessEnv = process.env,
  workingDirectory: string = process.cwd(),
): string {
  const initial = environment.INIT_CWD;
  const startedByCliScript =
    environment.npm_lifecycle_event === 'cli' && environment.npm_package_name === '@research-ts/trainer';
  return startedByCliScript && initial !== undefined && initial !== '' ? initial : workingDirectory;
}
