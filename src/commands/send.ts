import type { CommandContext } from './shared.js';
import { notYet } from './not-yet.js';

export async function run(..._args: unknown[]): Promise<number> {
  notYet('send');
}
export type { CommandContext };
