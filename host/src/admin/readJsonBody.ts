import type { IncomingMessage } from 'node:http';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { HttpError } from './HttpError.js';

/** Deepest nesting of arrays and objects a body may have; no limit or argument needs more than a few. */
export const MAX_BODY_DEPTH = 32;

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** `JSON.parse` reviver (e.g. `reviveInfinity` for limits). Default: none. */
  readonly reviver?: (key: string, value: unknown) => unknown;
}

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON nested at most
 * {@link MAX_BODY_DEPTH} levels deep.
 * @throws {@link HttpError} 415 when the content type is not JSON, 413 when the body is too
 * large; {@link InvalidConfigurationError} (field `body`) when it is not valid JSON or nests
 * too deeply.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  options: ReadJsonBodyOptions = {},
): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // Requiring JSON keeps browsers from sending these requests cross-site without a preflight.
  if (type !== 'application/json') {
    throw new HttpError(
      415,
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json, got '${type || 'none'}'`,
    );
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
  let value: unknown;
  try {
    // Checked before parsing: a reviver walks the tree recursively.
    if (nestingDepth(text) > MAX_BODY_DEPTH) {
      throw new InvalidConfigurationError(
        'body',
        excerpt(text),
        `JSON nested at most ${MAX_BODY_DEPTH} levels deep`,
        'admin API',
      );
    }
    value = JSON.parse(text, options.reviver);
  } catch (e) {
    if (e instanceof InvalidConfigurationError) throw e;
    throw new InvalidConfigurationError(
      'body',
      excerpt(text),
      `a JSON document (${(e as Error).message})`,
      'admin API',
    );
  }
  return value;
}

/** Deepest nesting of `[` and `{` outside strings (an upper bound for malformed text). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'ERR_BODY_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`, { connection: 'close' });
}
