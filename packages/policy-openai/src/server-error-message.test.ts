import { describe, expect, it } from 'vitest';
import { serverErrorMessage, statusCodeOf } from './server-error-message';

describe('serverErrorMessage', () => {
  const table: Array<[string, string]> = [
    [
      '{"object":"error","message":"max_tokens must be at least 1","type":"BadRequestError","param":null,"code":400}',
      'max_tokens must be at least 1',
    ],
    ['{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit"}}', 'Rate limit reached'],
    ['{"error":"model not loaded"}', 'model not loaded'],
    ['{"detail":"Not Found"}', 'Not Found'],
    [
      '{"detail":[{"loc":["body","prompt"],"msg":"field required"}]}',
      '[{"loc":["body","prompt"],"msg":"field required"}]',
    ],
    ['<html>502 Bad Gateway</html>\n', '<html>502 Bad Gateway</html>'],
    ['{"unrelated":true}', '{"unrelated":true}'],
    ['   ', '(empty body)'],
  ];
  for (const [body, expected] of table) {
    it(`${body.slice(0, 40)} → ${expected.slice(0, 40)}`, () => {
      expect(serverErrorMessage(body)).toBe(expected);
    });
  }

  it('cuts long bodies to 500 characters', () => {
    expect(serverErrorMessage('x'.repeat(600))).toBe(`${'x'.repeat(500)}…`);
  });
});

describe('statusCodeOf', () => {
  it('reads code or error.code when it is an HTTP status', () => {
    expect(statusCodeOf({ object: 'error', code: 400 })).toBe(400);
    expect(statusCodeOf({ error: { code: 503 } })).toBe(503);
    expect(statusCodeOf({ error: { code: 'rate_limit' } })).toBeUndefined();
    expect(statusCodeOf({ code: 7 })).toBeUndefined();
    expect(statusCodeOf('x')).toBeUndefined();
  });
});
