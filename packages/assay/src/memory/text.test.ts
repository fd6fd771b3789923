/** Memory text handling: normalization for dedupe, word folding shared with the knowledge index, search literals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryTerms } from '../knowledge/index/fts-query.js';
import { checkText, checkUserId, documentTerms, normalizeText, searchWords, textHash, tsqueryLiterals, tsvectorLiteral, ftsUserMatch, userToken } from './text.js';

test('normalizeText makes restatements of a fact equal', () => {
  assert.equal(normalizeText('  Is allergic to   PEANUTS. '), 'is allergic to peanuts');
  assert.equal(textHash('Lives in Berlin.'), textHash('lives in berlin'));
  assert.notEqual(textHash('Lives in Berlin.'), textHash('Lives in Bern.'));
  assert.equal(normalizeText('Ｆｕｌｌ width'), 'full width'); // NFKC
});

test('checks name the problem', () => {
  assert.throws(() => checkUserId(''), /user id is empty/);
  assert.throws(() => checkUserId(42), /must be a string/);
  assert.throws(() => checkUserId('x'.repeat(257)), /257 characters; at most 256/);
  assert.equal(checkUserId('team/alice@example.com'), 'team/alice@example.com');
  assert.throws(() => checkText(' \n '), /text is empty/);
  assert.throws(() => checkText('y'.repeat(4001), 'query'), /query has 4001 characters/);
  assert.equal(checkText('  fact  '), 'fact');
});

test('document words fold like the query side of the knowledge index', () => {
  for (const s of ['Café au LAIT, naïve São Paulo', 'Größe 42 und Straße', '日本語 テキスト']) {
    assert.deepEqual(new Set(documentTerms(s)), new Set(queryTerms(s)));
  }
  assert.deepEqual(searchWords(queryTerms('What does the user like about Jazz?')), ['like', 'jazz']);
});

test('user tokens are single words, distinct per user', () => {
  const a = userToken('alice');
  assert.match(a, /^u[0-9a-f]{24}$/);
  assert.notEqual(a, userToken('Alice'));
  assert.deepEqual(documentTerms(a), [a]);
});

test('search literals', () => {
  assert.equal(tsvectorLiteral('the cat saw the Café', 'uabc'), "'the':1,4 'cat':2 'saw':3 'cafe':5 'uabc'");
  assert.deepEqual(tsqueryLiterals(['cat', 'cafe'], 'uabc'), { rank: "'cat' | 'cafe'", match: "'uabc' & ('cat' | 'cafe')" });
  assert.equal(ftsUserMatch(['cat', 'and'], 'uabc'), 'u : "uabc" AND text : ("cat" OR "and")');
});
