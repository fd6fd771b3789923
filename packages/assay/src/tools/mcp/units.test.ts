/**
 * The pure parts of the MCP tool source: tool naming, result mapping, the stderr ring buffer and
 * failure descriptions. No processes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TOOL_NAME } from '../types.js';
import { displayUrl, errorText, isTransportFailure } from './failures.js';
import { toolName, uniqueToolNames } from './names.js';
import { toToolResult } from './result.js';
import { LineRing } from './stdio.js';

describe('tool names', () => {
  test('<server>__<tool>, invalid characters replaced', () => {
    assert.equal(toolName('files', 'read_file'), 'files__read_file');
    assert.equal(toolName('files', 'fs.read file/v2'), 'files__fs_read_file_v2');
    assert.equal(toolName('w', 'café'), 'w__caf_');
  });

  test('cut to 64 characters and kept unique', () => {
    const long = 'x'.repeat(80);
    const names = uniqueToolNames('srv', [long, `${long}y`, 'a.b', 'a_b', 'a-b']);
    assert.equal(names[0], `srv__${'x'.repeat(59)}`);
    assert.equal(names[1], `srv__${'x'.repeat(57)}_2`);
    assert.deepEqual(names.slice(2), ['srv__a_b', 'srv__a_b_2', 'srv__a-b']);
    for (const n of names) {
      assert.match(n, TOOL_NAME);
      assert.ok(n.length <= 64);
    }
    assert.equal(new Set(names).size, names.length);
  });
});

describe('result mapping', () => {
  test('text parts are joined; isError passes through; data is the raw result', () => {
    const raw = { content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], isError: true };
    assert.deepEqual(toToolResult(raw), { content: 'a\nb', isError: true, data: raw });
  });

  test('binary and resources are summarised', () => {
    const r = toToolResult({
      content: [
        { type: 'image', data: Buffer.alloc(10).toString('base64'), mimeType: 'image/png' },
        { type: 'audio', data: Buffer.alloc(7).toString('base64'), mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'file:///a.bin', blob: 'AAAA' } },
        { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inline text' } },
        { type: 'resource_link', uri: 'https://x/y', name: 'y' },
      ],
    });
    assert.equal(r.content, '[image: image/png, 10 bytes]\n[audio: audio/wav, 7 bytes]\n[resource: file:///a.bin]\ninline text\n[resource: https://x/y]');
  });

  test('structured content is JSON when there is no text', () => {
    assert.equal(toToolResult({ content: [], structuredContent: { n: 1 } }).content, '{"n":1}');
    assert.equal(toToolResult({ content: [{ type: 'text', text: 'n is 1' }], structuredContent: { n: 1 } }).content, 'n is 1');
    const withImage = toToolResult({ content: [{ type: 'image', data: 'AAAA', mimeType: 'image/gif' }], structuredContent: { n: 1 } });
    assert.equal(withImage.content, '{"n":1}\n[image: image/gif, 3 bytes]');
  });

  test('the pre-2024-11 {toolResult} shape and empty results', () => {
    assert.equal(toToolResult({ toolResult: { ok: true } }).content, '{"ok":true}');
    assert.equal(toToolResult({ toolResult: 'plain' }).content, 'plain');
    assert.equal(toToolResult({ content: [] }).content, '');
  });
});

describe('stderr ring', () => {
  test('keeps the last lines, bounded in count and length', () => {
    const ring = new LineRing(3, 10);
    ring.push('one\ntwo\n');
    ring.push('thr');
    ring.push('ee\n\n\nfour is a long line\nfive');
    assert.equal(ring.text(), 'three\nfour is a …\nfive');
    for (let i = 0; i < 1000; i++) ring.push(`line ${i}\r\n`);
    assert.equal(ring.text(), 'line 997\nline 998\nline 999');
  });

  test('an endless line without newline stays bounded', () => {
    const ring = new LineRing(2, 10);
    for (let i = 0; i < 1000; i++) ring.push('x'.repeat(100));
    assert.ok(ring.text().length <= 10);
  });
});

describe('failure descriptions', () => {
  test('network errors show their cause, HTTP errors their status', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    assert.equal(errorText(refused), 'connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(errorText(new StreamableHTTPError(401, 'Error POSTing to endpoint: unauthorized')), 'HTTP 401: unauthorized (check the credentials in "headers")');
    assert.equal(errorText(new StreamableHTTPError(404, 'Error POSTing to endpoint: ')), 'HTTP 404 (is "url" the server\'s Streamable HTTP endpoint?)');
  });

  test('URLs in messages lose query strings and credentials', () => {
    assert.equal(displayUrl('https://user:pw@mcp.example.com:8443/mcp?key=secret#x'), 'https://mcp.example.com:8443/mcp');
  });

  test('which errors mean the connection broke', () => {
    assert.equal(isTransportFailure(new McpError(ErrorCode.ConnectionClosed, 'Connection closed')), true);
    assert.equal(isTransportFailure(new McpError(ErrorCode.InvalidParams, 'bad')), false);
    assert.equal(isTransportFailure(new McpError(ErrorCode.RequestTimeout, 'timeout')), false);
    assert.equal(isTransportFailure(new TypeError('fetch failed')), true);
  });
});
