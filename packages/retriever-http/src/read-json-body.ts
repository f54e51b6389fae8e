import type { IncomingMessage } from 'node:http';

/** A request the server refuses before validation: the status and a sentence for the `detail` field. */
export interface BodyRefusal {
  ok: false;
  status: 400 | 413 | 415;
  detail: string;
  /** The rest of the body was not read: the answer must close the connection. */
  closeConnection: boolean;
}

export type BodyResult = { ok: true; value: unknown } | BodyRefusal;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A body over the limit but under this many times the limit is read to its end and thrown away, so
 * that the 413 answer arrives intact and the keep-alive connection stays usable. A bigger one is
 * answered at once and the connection closed (closing a socket with unread data may reset it).
 */
const drainFactor = 4;

/**
 * Checks the media type (`application/json`, or none at all: FastAPI also parses a body sent without
 * a Content-Type as JSON), refuses a body over `maxBytes` (from Content-Length before reading, or while
 * reading), and parses strict UTF-8 JSON.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) {
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return {
        ok: false,
        status: 415,
        detail: `header "content-type": expected application/json, got ${JSON.stringify(contentType)}`,
        closeConnection: false,
      };
    }
  }
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes * drainFactor) {
    return {
      ok: false,
      status: 413,
      detail: `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`,
      closeConnection: true,
    };
  }
  const body = await collect(request, maxBytes);
  if (!body.ok) return body;
  if (body.value.length === 0) {
    return { ok: false, status: 400, detail: 'request body is empty; expected a JSON object', closeConnection: false };
  }
  let text: string;
  try {
    text = utf8.decode(body.value);
  } catch {
    return { ok: false, status: 400, detail: 'request body is not valid UTF-8', closeConnection: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      status: 400,
      detail: `request body is not valid JSON: ${(error as Error).message}`,
      closeConnection: false,
    };
  }
}

/**
 * Reads the body with events rather than `for await`: leaving an async iterator early destroys the
 * request, and with it the socket the 413 answer must go out on.
 */
function collect(request: IncomingMessage, maxBytes: number): Promise<{ ok: true; value: Buffer } | BodyRefusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: { ok: true; value: Buffer } | BodyRefusal) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      resolve(result);
    };
    const tooLarge = (closeConnection: boolean): BodyRefusal => ({
      ok: false,
      status: 413,
      detail: `request body ${request.headers['content-length'] === undefined ? '' : `of ${request.headers['content-length']} bytes `}exceeds the limit of ${maxBytes} bytes`,
      closeConnection,
    });
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes * drainFactor) settle(tooLarge(true));
      else if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on('end', () =>
      settle(size > maxBytes ? tooLarge(false) : { ok: true, value: Buffer.concat(chunks, size) }),
    );
    request.on('error', (error) =>
      settle({
        ok: false,
        status: 400,
        detail: `request body could not be read: ${error.message}`,
        closeConnection: true,
      }),
    );
    request.on('close', () =>
      settle({ ok: false, status: 400, detail: 'request body ended early (connection closed)', closeConnection: true }),
    );
  });
}
