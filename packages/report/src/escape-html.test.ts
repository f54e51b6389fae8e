import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape-html';

describe('escapeHtml', () => {
  it.each([
    ['plain text', 'plain text'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a & b', 'a &amp; b'],
    ['&amp;', '&amp;amp;'],
    [`" onmouseover='x'`, '&quot; onmouseover=&#39;x&#39;'],
    ['</result> <answer>', '&lt;/result&gt; &lt;answer&gt;'],
    ['', ''],
    ['ünïcødé 🤔', 'ünïcødé 🤔'],
  ])('%j → %j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it('leaves no character that could open a tag or end an attribute', () => {
    const nasty = `<img src=x onerror="alert('x')">` + '</textarea></script><!--';
    expect(escapeHtml(nasty)).not.toMatch(/[<>"']/);
  });
});
