// The spool kinds behind the contract: verify-config asks for "the spool's connection check" and
// gets one only where there is a server to reach (Redis); a directory has none.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { checkSpoolConnection } from '../../../src/spool/backend.js';
import { refusedPort } from '../../helpers/ports.js';

describe('checkSpoolConnection', () => {
  it.each([[{}], [{ MAILCTL_SPOOL_URL: 'file:/var/spool/mailctl' }]])(
    'a file spool (%j) has nothing to reach',
    async (env) => {
      expect(await checkSpoolConnection(resolveConfig({ env }).config)).toBeUndefined();
    },
  );

  it('a Redis spool that does not answer is a failed stage with the contract code, not an exception', async () => {
    const port = await refusedPort();
    const report = await checkSpoolConnection(
      resolveConfig({ env: { MAILCTL_SPOOL_URL: `redis://127.0.0.1:${port}/0` } }).config,
    );
    expect(report?.ok).toBe(false);
    expect(report?.stages.map((s) => [s.name, s.ok])).toEqual([['redis', false]]);
    expect([69, 75]).toContain(report?.exitCode);
  });
});
