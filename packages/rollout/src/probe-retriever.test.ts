import { ApiCallError, type Passage } from '@research-ts/spec';
import { MockRetriever } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { probeRetriever } from './probe-retriever';

const corpus: Passage[] = [{ id: 'p1', contents: '"X"\nx1' }];

describe('probeRetriever', () => {
  it('makes one search and resolves when the retriever answers', async () => {
    const retriever = new MockRetriever(corpus);
    await probeRetriever(retriever);
    expect(retriever.calls).toEqual([{ queries: ['retriever check'], k: 1, failed: false }]);
  });

  it('rejects with an ApiCallError naming the retriever when its test search fails, after one try by default', async () => {
    const retriever = new MockRetriever(corpus, { name: 'http:flashrag:http://127.0.0.1:9/', failTimes: 5 });
    const error = await probeRetriever(retriever).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as ApiCallError).url).toBe('retriever:http:flashrag:http://127.0.0.1:9/');
    expect((error as Error).message).toBe(
      'the retriever cannot be used: its test search failed (retriever "http:flashrag:http://127.0.0.1:9/" failed after 1 try: mock retriever failure on call 0)',
    );
    expect(retriever.calls).toHaveLength(1);
  });

  it('rejects an answer of the wrong shape (a server that speaks another API)', async () => {
    const retriever = new MockRetriever(corpus);
    retriever.search = async () => [];
    await expect(probeRetriever(retriever)).rejects.toThrow(/retriever returned 0 result lists for 1 queries/);
  });
});
