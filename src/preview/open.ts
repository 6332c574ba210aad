/**
 * `preview --open`: write the page to a temporary file and open it in the user's browser.
 * BROWSER is honoured as other tools do (a `:`-separated list of commands, the first is used; `%s`
 * is replaced by the path, else the path is appended); otherwise the platform opener.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '../errors.js';

export async function writePreviewFile(
  content: string,
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const dir = await mkdtemp(join(env.TMPDIR || tmpdir(), 'mailctl-preview-'));
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

/** The command line that opens `target`: from BROWSER, else xdg-open / open / start. */
export function openerCommand(
  target: string,
  env: Readonly<Record<string, string | undefined>>,
  os: string = platform(),
): { command: string; args: string[] } {
  const browser = env.BROWSER?.split(':')
    .map((s) => s.trim())
    .find((s) => s !== '');
  if (browser) {
    const parts = browser.split(/\s+/);
    const hasPlaceholder = parts.some((p) => p.includes('%s'));
    const args = parts.slice(1).map((p) => p.replace(/%s/g, target));
    return { command: parts[0]!, args: hasPlaceholder && !parts[0]!.includes('%s') ? args : [...args, target] };
  }
  if (os === 'darwin') return { command: 'open', args: [target] };
  if (os === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', target] };
  return { command: 'xdg-open', args: [target] };
}

/** Starts the opener detached (it outlives mailctl) and resolves once it has started. */
export function launchOpener(target: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const { command, args } = openerCommand(target, env);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore', env: { ...env } as NodeJS.ProcessEnv });
    child.once('error', (err) => {
      reject(
        new UnavailableError(
          `cannot start the browser (${command}): ${err.message}`,
          {
            hint: 'set BROWSER to your browser command, or open the file printed above yourself',
            cause: err,
          },
          'unavailable.browser',
        ),
      );
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
