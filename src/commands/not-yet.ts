import { UsageError } from '../errors.js';

/** Placeholder for a command whose issue has not landed yet. */
export function notYet(name: string): never {
  throw new UsageError(`\`mailctl ${name}\` is not available yet in this build`);
}
