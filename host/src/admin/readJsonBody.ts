import type { IncomingMessage } from 'node:http';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { HttpError } from './HttpError.js';

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON.
 * @throws {@link HttpError} 415 when the content type is not JSON, 413 when the body is too
 * large; {@link InvalidConfigurationError} (field `body`) when it is not valid JSON.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // Requiring JSON keeps browsers from sending these requests cross-site without a preflight.
  if (type !== 'application/json') {
    throw new HttpError(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json, got '${type || 'none'}'`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  // Event-based rather than `for await`: leaving an async iterator early destroys the socket
  // before the 413 answer could be written.
  const chunks = await new Promise<Buffer[]>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      parts.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(parts);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidConfigurationError('body', text.length > 60 ? `${text.slice(0, 60)}…` : text,
      `a JSON document (${(e as Error).message})`, 'admin API');
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'ERR_BODY_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`, { connection: 'close' });
}
