/**
 * The terminal modes a progress bar turns off (cursor, line wrap), tracked from what is written
 * to a terminal, so that the process boundary can turn them back on at every exit — a second
 * Ctrl-C, an error, a crash — and never leave the operator's shell without a cursor. Pure.
 */

const MODES = [
  { off: '\x1b[?25l', on: '\x1b[?25h' }, // DECTCEM: hide / show the cursor
  { off: '\x1b[?7l', on: '\x1b[?7h' }, // DECAWM: line wrap off / on
] as const;

export interface TerminalGuard {
  /** Notes the modes that `text`, about to be written, turns off or on. */
  track(text: string): void;
  /** What turns every mode still off back on ('' when none is). */
  restoreSequence(): string;
}

export function createTerminalGuard(): TerminalGuard {
  const off = new Set<(typeof MODES)[number]>();
  return {
    track(text) {
      if (!text.includes('\x1b[?')) return;
      for (const mode of MODES) {
        const lastOff = text.lastIndexOf(mode.off);
        const lastOn = text.lastIndexOf(mode.on);
        if (lastOff > lastOn) off.add(mode);
        else if (lastOn > lastOff) off.delete(mode);
      }
    },
    restoreSequence() {
      return MODES.filter((m) => off.has(m))
        .map((m) => m.on)
        .join('');
    },
  };
}
