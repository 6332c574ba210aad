/**
 * `--env-file PATH`: a dotenv file (a Dify `.env`) read beneath the real environment. The only
 * dotenv importer: its parser follows Docker's and Dify's `.env` use (`#` comments, single, double
 * and back quotes, `export` prefixes, multi-line values in double quotes).
 */
import { readText } from '../read-file.js';
import { resolve } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError, fileSystemError } from '../errors.js';

export interface EnvFile {
  /** The path as the operator typed it (named in every source). */
  path: string;
  values: Record<string, string>;
}

/** Reads and parses the file. A missing file is a configuration error (78); others as the disk says (77 EACCES…). */
export async function readEnvFile(path: string, cwd: string): Promise<EnvFile> {
  let text: string;
  try {
    text = await readText(resolve(cwd, path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new ConfigError(`--env-file ${path} does not exist`, {
        hint: 'check the path (relative paths start at the working directory)',
        cause: err,
      });
    }
    if (e.code === 'EISDIR') {
      throw new ConfigError(`--env-file ${path} is a directory, not a dotenv file`, {
        hint: 'name the .env file itself',
        cause: err,
      });
    }
    throw fileSystemError(e, 'the --env-file', path);
  }
  return { path, values: parse(text) };
}

/**
 * The environment a command sees: the file's values beneath the real environment (a variable set
 * in the real environment wins, even when empty, as dotenv and Docker do), and the names that came
 * from the file, so that every value can name its source.
 */
export function layerEnvFile(
  env: Readonly<Record<string, string | undefined>>,
  file: EnvFile,
): { env: Record<string, string | undefined>; fromFile: ReadonlySet<string> } {
  const fromFile = new Set(Object.keys(file.values).filter((name) => env[name] === undefined));
  return { env: { ...file.values, ...env }, fromFile };
}
