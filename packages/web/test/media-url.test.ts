/** Media links in the trace view: only http(s) URLs become links (src/ui/media-url.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaLink } from '../src/ui/media-url.js';

test('http and https media URLs are links; javascript:, file:, data: and junk are not', () => {
  assert.equal(mediaLink('https://cdn.example.com/cat.png'), 'https://cdn.example.com/cat.png');
  assert.equal(mediaLink(' http://example.com/a.wav'), 'http://example.com/a.wav');
  for (const bad of ['javascript:alert(document.cookie)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'file:///etc/passwd', 'vbscript:x', 'data:text/html,<script>alert(1)</script>', 'data:image/png;base64,AAAA', 'not a url', '', undefined]) {
    assert.equal(mediaLink(bad), undefined, String(bad));
  }
});
