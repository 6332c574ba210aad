/**
 * `readFile(path, 'utf8')` and `stat` as promises from node:fs's callbacks, for the files every
 * command may read at start (config files, `--env-file`, `--vars`): requiring node:fs/promises
 * costs ~1.4 ms of CPU per start (its FileHandle streams and readline), and `preview` and
 * `verify-config` need nothing else of it. Same errors (errno, syscall, path) as fs/promises.
 */
import { readFile, stat, type Stats } from 'node:fs';

export function readText(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    readFile(path, 'utf8', (err, text) => (err ? reject(err) : resolve(text)));
  });
}

export function statOf(path: string): Promise<Stats> {
  return new Promise((resolve, reject) => {
    stat(path, (err, stats) => (err ? reject(err) : resolve(stats)));
  });
}
