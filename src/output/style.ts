/** The only chalk importer. Colour follows chalk's rules: NO_COLOR, FORCE_COLOR, never on a pipe. */
import { Chalk, type ChalkInstance } from 'chalk';

export type { ChalkInstance };

/** chalk level for a stream, from the env and whether the stream is a terminal. */
export function colorLevel(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): 0 | 1 | 2 | 3 {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === 'false' || force === '0') return 0;
    const n = Number(force);
    return n === 2 || n === 3 ? n : 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (!isTTY || env.TERM === 'dumb') return 0;
  return env.COLORTERM === 'truecolor' ? 3 : 1;
}

export function createChalk(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): ChalkInstance {
  return new Chalk({ level: colorLevel(env, isTTY) });
}
