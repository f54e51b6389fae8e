import type { IncomingMessage } from 'node:http';

/** A request the server refuses before validation: the status and a sentence for the `detail` field. */
export interface BodyRefusal {
  ok: false;
  status: 400 | 413 | 415;
  detail: string;
}

export type BodyResult = { ok: true; value: unknown } | BodyRefusal;

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
      };
    }
  }
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return { ok: false, status: 413, detail: `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes` };
  }
  const body = await collect(request, maxBytes);
  if (!body.ok) return body;
  if (body.value.length === 0) return { ok: false, status: 400, detail: 'request body is empty; expected a JSON object' };
  let text: string;
  try {
    text = utf8.decode(body.value);
  } catch {
    return { ok: false, status: 400, detail: 'request body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, status: 400, detail: `request body is not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Reads the body with events rather than `for await`: leaving an async iterator early destroys the
 * request, and with it the socket the 413 answer must go out on. Past the limit the rest is discarded.
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
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) settle({ ok: false, status: 413, detail: `request body exceeds the limit of ${maxBytes} bytes` });
      else chunks.push(chunk);
    });
    request.on('end', () => settle({ ok: true, value: Buffer.concat(chunks, size) }));
    request.on('error', (error) => settle({ ok: false, status: 400, detail: `request body could not be read: ${error.message}` }));
    request.on('close', () => settle({ ok: false, status: 400, detail: 'request body ended early (connection closed)' }));
  });
}
