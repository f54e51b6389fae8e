import type { ChatMessage } from '@research-ts/spec';

/**
 * ReSearch's prompt for **base** models (`re_search_template` in `src/verl/utils/dataset/template.py`
 * at Agent-RL/ReCall@3b2fd14), used as the raw model input with no chat template. `{prompt}` marks
 * where the question goes (ReSearch fills it with `.format(prompt=question)`); note the literal
 * `. Assistant:` after it. `\[`, `\boxed` and `\]` are single backslashes.
 */
export const RESEARCH_BASE_TEMPLATE =
  'A conversation between User and Assistant. ' +
  'The user asks a question, and the assistant solves it. ' +
  'The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
  'During thinking, the assistant can invoke the wikipedia search tool to search for fact information about specific topics if needed. ' +
  'The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags respectively, and the search query and result are enclosed within <search> </search> and <result> </result> tags respectively. ' +
  'For example, <think> This is the reasoning process. ' +
  '</think> <search> search query here </search> <result> search result here </result> <think> This is the reasoning process. ' +
  '</think> <answer> The final answer is \\[ \\boxed{answer here} \\] </answer>. ' +
  'In the last part of the answer, the final exact answer is enclosed within \\boxed{} with latex format. ' +
  'User: {prompt}. ' +
  'Assistant:';

/**
 * ReSearch's **system** prompt for instruct models (`re_search_template_sys`, same file; 928
 * characters). The question is the user message, and the chat template is applied with
 * `add_generation_prompt=True`.
 */
export const RESEARCH_INSTRUCT_SYSTEM_PROMPT =
  'You are a helpful assistant that can solve the given question step by step with the help of the wikipedia search tool. ' +
  'Given a question, you need to first think about the reasoning process in the mind and then provide the answer. ' +
  'During thinking, you can invoke the wikipedia search tool to search for fact information about specific topics if needed. ' +
  'The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags respectively, and the search query and result are enclosed within <search> </search> and <result> </result> tags respectively. ' +
  'For example, <think> This is the reasoning process. ' +
  '</think> <search> search query here </search> <result> search result here </result> <think> This is the reasoning process. ' +
  '</think> <answer> The final answer is \\[ \\boxed{answer here} \\] </answer>. ' +
  'In the last part of the answer, the final exact answer is enclosed within \\boxed{} with latex format.';

/** The base-model prompt for one question: {@link RESEARCH_BASE_TEMPLATE} with the question inserted as is. */
export function renderReSearchBasePrompt(question: string): string {
  return RESEARCH_BASE_TEMPLATE.replace('{prompt}', () => question);
}

/** The instruct-model chat for one question: ReSearch's system prompt, then the question as the user message. */
export function researchInstructMessages(question: string): ChatMessage[] {
  return [
    { role: 'system', content: RESEARCH_INSTRUCT_SYSTEM_PROMPT },
    { role: 'user', content: question },
  ];
}
