/**
 * A job's fields come from whoever wrote the job file: an escape sequence in `to` or in an error
 * message would recolour, retitle or clear the operator's terminal. Text output shows every C0/C1
 * control character and DEL as a visible `\xNN` instead.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
