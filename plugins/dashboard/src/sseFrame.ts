/**
 * One Server-Sent Events frame: `event:` and `id:` lines when given, the data split on line
 * breaks into `data:` lines (a JSON text has none, but any text stays one event), then the blank
 * line that ends the event.
 * @throws `TypeError` for an event name or id holding a line break or a colon-free field
 *   separator that would split the frame.
 * @since 6.1.0
 */
export function formatSseEvent(event: string | undefined, data: string, id?: string | number): string {
  let frame = '';
  if (event !== undefined) frame += `event: ${checkField('event', event)}\n`;
  if (id !== undefined) frame += `id: ${checkField('id', String(id))}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return frame + '\n';
}

/** The `retry:` frame telling the client how long to wait before reconnecting, ms. @since 6.1.0 */
export function formatSseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/** A comment line: ignored by clients, keeps idle proxies from closing the connection. @since 6.1.0 */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

function checkField(name: string, value: string): string {
  if (/[\r\n\0]/.test(value))
    throw new TypeError(`SSE ${name} must be one line without NUL, got ${JSON.stringify(value)}`);
  return value;
}
