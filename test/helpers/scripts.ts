// Runs the operator scripts in scripts/ from the tests, with a bound on each run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const scriptsDirectory = new URL('../../scripts/', import.meta.url).pathname;

export async function runScript(
  name: string,
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<string> {
  try {
    // TypeScript scripts run on this node (24), whatever `node` comes first on PATH.
    const [file, fileArgs] = name.endsWith('.ts')
      ? [process.execPath, [`${scriptsDirectory}${name}`, ...args]]
      : [`${scriptsDirectory}${name}`, args];
    const { stdout } = await promisify(execFile)(file, fileArgs, {
      timeout: timeoutMs,
      // NODE: the node that scripts start (store-fault.sh restarts s3rver with it).
      env: { ...process.env, NODE: process.execPath, ...env },
    });
    return stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`scripts/${name} ${args.join(' ')} failed: ${message}\n${stderr ?? ''}`);
  }
}

/** `export NAME=value` lines, as the store launchers print them. */
export function readExports(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name!, value!]));
}
