/**
 * A url variable cannot smuggle lines into the text part: a line break in it is refused (65)
 * before anything is rendered, sent or queued; other tricks (spaces) come out as one encoded URL.
 */
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const TRICK = 'https://ok.example/a\n\nURGENT: visit https://evil.example';

describe('a url variable with a line break', () => {
  it.each([
    [['preview', 'invite-member', '--format', 'text']],
    [['send', 'invite-member', '--to', 'new@example.com', '--dry-run']],
    [['send', 'invite-member', '--to', 'new@example.com']],
    [['enqueue', 'invite-member', '--to', 'new@example.com']],
  ])('mailctl %j --var url=… exits 65 with one sentence and writes nothing', async (args) => {
    const cwd = tempDir();
    const r = await runCli([...args, '--var', `url=${TRICK}`], { cwd });
    expect(r.exitCode, r.stderr).toBe(65);
    expect(r.stderr.split('\n')[0]).toBe(
      'mailctl: variable "url" of invite-member must be one http(s) URL, but it holds a line break or another control character',
    );
    expect(r.stdout).not.toContain('evil.example');
    const queued = await runCli(['queue', 'list', '--json'], { cwd });
    expect(queued.stdout).not.toContain('evil.example');
  });

  it('spaces instead: send --dry-run shows one percent-encoded URL, no new words on a line', async () => {
    const r = await runCli(
      [
        'send',
        'invite-member',
        '--to',
        'new@example.com',
        '--dry-run',
        '--var',
        'url=https://ok.example/a URGENT: visit https://evil.example',
      ],
      { cwd: tempDir() },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('https://ok.example/a%20URGENT:%20visit%20https://evil.example');
    expect(r.stdout).not.toMatch(/URGENT: visit/);
  });
});
