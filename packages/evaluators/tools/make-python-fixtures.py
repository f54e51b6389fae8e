#!/usr/bin/python3
"""Writes the Python-reference fixtures that the TypeScript tests compare against.

Run from the package folder:  /usr/bin/python3 tools/make-python-fixtures.py
It rewrites src/__fixtures__/normalize-cases.json and src/__fixtures__/python-list-repr-cases.json.

The answer normalization follows the SQuAD / HotpotQA evaluator as described in
research-paper.md section 5.1 (lower -> drop ASCII punctuation -> drop the words a/an/the ->
collapse whitespace); token F1 and cover-EM follow sections 5.2-5.3 and FlashRAG's metrics
(max over golden answers, each of f1, precision, recall taken separately).
The list repr is Python's own `str(list_of_str)`.

The fixtures record the interpreter's version and Unicode database version: characters assigned
only in later Unicode versions are left out of the cases on purpose (see the package README).
"""

import json
import os
import re
import string
import sys
import unicodedata
from collections import Counter

PUNCTUATION = frozenset(string.punctuation)
ARTICLE = re.compile(r"\b(a|an|the)\b")


def normalize(text):
    lowered = text.lower()
    without_punctuation = "".join(ch for ch in lowered if ch not in PUNCTUATION)
    without_articles = ARTICLE.sub(" ", without_punctuation)
    return " ".join(without_articles.split())


def token_scores(prediction, gold):
    """(f1, precision, recall) of one prediction against one golden answer."""
    p = normalize(prediction)
    g = normalize(gold)
    special = ("yes", "no", "noanswer")
    if (p in special or g in special) and p != g:
        return (0.0, 0.0, 0.0)
    p_tokens = p.split()
    g_tokens = g.split()
    same = sum((Counter(p_tokens) & Counter(g_tokens)).values())
    if same == 0:
        return (0.0, 0.0, 0.0)
    precision = same / len(p_tokens)
    recall = same / len(g_tokens)
    return (2 * precision * recall / (precision + recall), precision, recall)


def best_scores(prediction, golds):
    best = {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    for gold in golds:
        f1, precision, recall = token_scores(prediction, gold)
        best["f1"] = max(best["f1"], f1)
        best["precision"] = max(best["precision"], precision)
        best["recall"] = max(best["recall"], recall)
    return best


NORMALIZE_INPUTS = [
    "", " ", "A", "a", "An", "THE", "The Beatles", "the the the", "thethe", "a the an",
    "an apple a day", "Anna and the ant", "a-the-an", "a_the", "the_", "_the",
    "20 June 1837", "June 20, 1837", "10.8", "rock-and-roll", "O'Neil's", "U.S.A.",
    "$1,000,000", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    # punctuation outside ASCII is kept
    "\u2019tis the season", "l\u2019an", "\u00abthe\u00bb", "the\u2013a", "\u201cthe\u201d", "\u00bfthe?",
    # Unicode word boundaries (Python's \b is Unicode-aware)
    "the\u00e9 x", "\u00e9the x", "th\u00e9 the", "the\u0301 x", "a\u0301", "the\u00b2", "the\u0661",
    "the\u2163", "the\u00bd", "the\u4e2d", "\u4e2dthe", "the\U0001F600", "\U0001F600the",
    "the\u200b", "\u200bthe", "the\u00ad", "the\u2060x", "\u0915the", "the\u0903",
    # case mapping
    "\u0130", "\u0130stanbul", "\u0130THE", "I\u0307", "\u1E9E", "\u212A", "\u2126", "\uFB01", "\u01C5",
    "\u24B6the", "\u24B6 the", "\u03A3", "\u0391\u03A3", "\u0391\u03A3 \u0391", "\u0391\u03A3.",
    "\u0391\u03A31", "\u0391\u03A3\u0301", "\u039F\u0394\u03A5\u03A3\u03A3\u0395\u03A5\u03A3",
    "\u0391.\u03A3", "\u0391'\u03A3", "\u00C9COLE", "STRASSE", "\u0041\u030A",
    # whitespace as str.split() sees it
    "x\u001cthe\u001fy", "a\u001db", "a\u001eb", "\u0085the\u0085", "a\ufeffthe", "\ufeffthe",
    "the\u00a0cat", "a\u2003b", "a\u3000b", "a\u2028b\u2029c", "a\u202fb\u205fc", "\u1680the",
    "a\u180eb", "a\u200bb", "x\tthe\ny", "the\r\nend", "\x0bthe\x0c", "  The   Quick\t\tBrown  ",
    "a\u0000b", "a\u007fb",
    # a lone surrogate (possible in both Python str and JS strings)
    "\ud800the",
]

REPR_INPUTS = [
    [], [""], ["James Madison"], ["Yes", "no"], ["O'Neil"], ['say "hi"'], ["both ' and \""],
    ["'"], ['"'], ["'\""], ["\\"], ["back\\slash", "trailing\\"], ["\\'"], ["new\nline", "tab\t", "cr\r"],
    ["\x00\x01\x1f\x7f"], ["\x80\x85\x9f\xa0\xad"], ["\u00e9", "\u4e2d\u6587", "\U0001F600", "\u00ff"],
    ["\u200b", "\u2028", "\u2029", "\ufeff", "\ue000", "\U000E0001", "\U0010FFFF", "\u0378"],
    ["\u0301", "a\u0301", "\u3000", "\u2003", "\u1680", "\u00a0 nbsp"], ["\ud800", "\udfff"],
    ["\x1b[0m"], ["\u0130stanbul", "\u03a3"], ["1837", "20 June 1837"],
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = os.path.join(here, "..", "src", "__fixtures__")
    meta = {
        "generator": "tools/make-python-fixtures.py",
        "python": sys.version.split()[0],
        "unicodedata": unicodedata.unidata_version,
    }
    normalize_cases = {
        **meta,
        "cases": [
            {"input": text, "normalized": normalize(text), "tokens": normalize(text).split()}
            for text in NORMALIZE_INPUTS
        ],
        "scores": [
            {"prediction": prediction, "golds": golds, **best_scores(prediction, golds),
             "em": any(normalize(prediction) == normalize(g) for g in golds),
             "coverEm": any(normalize(g) in normalize(prediction) for g in golds)}
            for prediction, golds in [
                ("", [""]), ("A", ["a"]), ("20 June 1837", ["June 20, 1837"]), ("yes", ["no"]),
                ("yes", ["Yes."]), ("no", ["no answer"]), ("noanswer", ["no answer"]),
                ("the cat sat", ["cat", "the cat sat on the mat"]), ("cat cat dog", ["cat dog dog"]),
                ("Paris", []), ("Barack Obama", ["Obama", "Barack Hussein Obama II"]),
                ("\u0130stanbul", ["i\u0307stanbul"]), ("the\u00e9", ["th\u00e9"]),
            ]
        ],
    }
    repr_cases = {**meta, "cases": [{"input": items, "repr": str(items)} for items in REPR_INPUTS]}
    for name, data in [("normalize-cases.json", normalize_cases), ("python-list-repr-cases.json", repr_cases)]:
        path = os.path.join(fixtures, name)
        with open(path, "w", encoding="ascii") as handle:
            json.dump(data, handle, ensure_ascii=True, indent=1)
            handle.write("\n")
        print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
