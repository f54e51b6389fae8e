"""Xapian 1.4 (Debian's python3-xapian) on the compact-index bench's corpus, for comparison in the same run.

  /usr/bin/python3 bench/xapian-index.py build CORPUS.jsonl DIRECTORY
  /usr/bin/python3 bench/xapian-index.py query DIRECTORY QUERIES.json K

BM25 with k1 = 0.9, b = 0.4 (Pyserini's, as this package's default), no positions, no stemming; a query is
the OR of its lowercased terms. Prints one JSON line: build {indexSeconds, peakRssMiB}; query {openSeconds,
p50Ms, p99Ms, ids: the top-k ids per query}.
"""
import json
import re
import resource
import sys
import time

import xapian

TERMS = re.compile(r"[^\W_]+")


def build(corpus_path, directory):
    start = time.perf_counter()
    database = xapian.WritableDatabase(directory, xapian.DB_CREATE_OR_OVERWRITE)
    generator = xapian.TermGenerator()
    with open(corpus_path, encoding="utf-8") as corpus:
        for line in corpus:
            if not line.strip():
                continue
            passage = json.loads(line)
            document = xapian.Document()
            generator.set_document(document)
            generator.index_text_without_positions(passage["contents"])
            document.set_data(str(passage["id"]))
            database.add_document(document)
    database.commit()
    database.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"indexSeconds": time.perf_counter() - start, "peakRssMiB": peak}))


def query(directory, queries_path, k):
    with open(queries_path, encoding="utf-8") as handle:
        queries = json.load(handle)
    start = time.perf_counter()
    database = xapian.Database(directory)
    enquire = xapian.Enquire(database)
    enquire.set_weighting_scheme(xapian.BM25Weight(0.9, 0, 1, 0.4, 0.5))
    open_seconds = time.perf_counter() - start

    def search(text):
        terms = [term for term in TERMS.findall(text.lower())]
        enquire.set_query(xapian.Query(xapian.Query.OP_OR, terms))
        return [match.document.get_data().decode("utf-8") for match in enquire.get_mset(0, k)]

    for text in queries["warmUp"]:
        search(text)
    latencies = []
    ids = []
    for item in queries["known"]:
        began = time.perf_counter()
        ids.append(search(item["query"]))
        latencies.append((time.perf_counter() - began) * 1000)
    latencies.sort()
    at = lambda fraction: latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]
    print(json.dumps({"openSeconds": open_seconds, "p50Ms": at(0.5), "p99Ms": at(0.99), "ids": ids}))


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    else:
        query(sys.argv[2], sys.argv[3], int(sys.argv[4]))
