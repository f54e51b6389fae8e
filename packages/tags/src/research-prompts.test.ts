import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  RESEARCH_BASE_TEMPLATE,
  RESEARCH_INSTRUCT_SYSTEM_PROMPT,
  renderReSearchBasePrompt,
  researchInstructMessages,
} from './research-prompts';
import { SEARCH_R1_TEMPLATE, renderSearchR1Prompt } from './search-r1-prompt';

// Copied from shared/reference/research-paper.md §1.1 and §2.3, with a question filled in.
const expectedBasePrompt = String.raw`A conversation between User and Assistant. The user asks a question, and the assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. During thinking, the assistant can invoke the wikipedia search tool to search for fact information about specific topics if needed. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags respectively, and the search query and result are enclosed within <search> </search> and <result> </result> tags respectively. For example, <think> This is the reasoning process. </think> <search> search query here </search> <result> search result here </result> <think> This is the reasoning process. </think> <answer> The final answer is \[ \boxed{answer here} \] </answer>. In the last part of the answer, the final exact answer is enclosed within \boxed{} with latex format. User: Who wrote Hamlet?. Assistant:`;
const expectedSystemPrompt = String.raw`You are a helpful assistant that can solve the given question step by step with the help of the wikipedia search tool. Given a question, you need to first think about the reasoning process in the mind and then provide the answer. During thinking, you can invoke the wikipedia search tool to search for fact information about specific topics if needed. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags respectively, and the search query and result are enclosed within <search> </search> and <result> </result> tags respectively. For example, <think> This is the reasoning process. </think> <search> search query here </search> <result> search result here </result> <think> This is the reasoning process. </think> <answer> The final answer is \[ \boxed{answer here} \] </answer>. In the last part of the answer, the final exact answer is enclosed within \boxed{} with latex format.`;
// Search-R1's make_prefix ends the prompt with "\n" after the question (nq_search.py); §2.3 shows the text without it.
const expectedSearchR1Prompt =
  String.raw`Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new information. After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search> and it will return the top searched results between <information> and </information>. You can search as many times as your want. If you find no further external knowledge needed, you can directly provide the answer inside <answer> and </answer>, without detailed illustrations. For example, <answer> Beijing </answer>. Question: Who wrote Hamlet?` +
  '\n';

describe('ReSearch prompts', () => {
  it('renders the base-model prompt byte for byte', () => {
    expect(renderReSearchBasePrompt('Who wrote Hamlet?')).toBe(expectedBasePrompt);
    expect(expectedBasePrompt.endsWith('User: Who wrote Hamlet?. Assistant:')).toBe(true);
    expect(RESEARCH_BASE_TEMPLATE.split('{prompt}')).toHaveLength(2);
  });

  it('has the 928-character instruct system prompt with single backslashes', () => {
    expect(RESEARCH_INSTRUCT_SYSTEM_PROMPT).toBe(expectedSystemPrompt);
    expect(RESEARCH_INSTRUCT_SYSTEM_PROMPT).toHaveLength(928);
    expect(RESEARCH_INSTRUCT_SYSTEM_PROMPT).toContain(' \\[ \\boxed{answer here} \\] ');
  });

  it('builds the instruct chat as system prompt then question', () => {
    expect(researchInstructMessages('Who wrote Hamlet?')).toEqual([
      { role: 'system', content: expectedSystemPrompt },
      { role: 'user', content: 'Who wrote Hamlet?' },
    ]);
  });

  it('inserts questions literally, even with $ patterns and braces', () => {
    expect(renderReSearchBasePrompt("$& $' {prompt} $1")).toContain("User: $& $' {prompt} $1. Assistant:");
    expect(renderSearchR1Prompt('$&{question}')).toMatch(/Question: \$&\{question\}\n$/);
  });
});

describe('Search-R1 prompt', () => {
  it('renders byte for byte, ending with a newline', () => {
    expect(renderSearchR1Prompt('Who wrote Hamlet?')).toBe(expectedSearchR1Prompt);
    expect(SEARCH_R1_TEMPLATE.endsWith('Question: {question}\n')).toBe(true);
  });
});

describe('against the reference file', () => {
  // CI checks out shared/ beside the repository: <repo>/../shared/reference/research-paper.md.
  const referencePath = resolve(
    dirname(fileURLToPath(import.meta.url)),
    '../../../../shared/reference/research-paper.md',
  );

  it('matches the fenced prompt texts of research-paper.md', () => {
    expect(existsSync(referencePath), referencePath).toBe(true);
    const reference = readFileSync(referencePath, 'utf8');
    const fenced = (text: string) => '```\n' + text + '\n```';
    expect(reference).toContain(fenced(RESEARCH_BASE_TEMPLATE.replace('{prompt}', '{QUESTION}')));
    expect(reference).toContain(fenced(RESEARCH_INSTRUCT_SYSTEM_PROMPT));
    expect(reference).toContain(fenced(SEARCH_R1_TEMPLATE.slice(0, -1)));
  });
});
