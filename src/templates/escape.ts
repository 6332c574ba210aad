/** HTML escaping for every value the renderer inserts (text and attributes alike). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
