/**
 * Search-R1's prompt (`make_prefix`, template type `base`, in `scripts/data_process/nq_search.py` at
 * PeterGriffinJin/Search-R1@a14dc3a). It is the **user** message; `{question}` marks where the question
 * goes, and the prompt ends with a newline after it. Search-R1's data script first strips the question
 * and appends `?` when it does not end with one; {@link renderSearchR1Prompt} inserts the question as
 * given. (The model's results arrive between `<information>` tags, not `<result>`.)
 */
export const SEARCH_R1_TEMPLATE =
  'Answer the given question. ' +
  'You must conduct reasoning inside <think> and </think> first every time you get new information. ' +
  'After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search> and it will return the top searched results between <information> and </information>. ' +
  'You can search as many times as your want. ' +
  'If you find no further external knowledge needed, you can directly provide the answer inside <answer> and </answer>, without detailed illustrations. ' +
  'For example, <answer> Beijing </answer>. ' +
  'Question: {question}\n';

/** Search-R1's prompt for one question: {@link SEARCH_R1_TEMPLATE} with the question inserted as is. */
export function renderSearchR1Prompt(question: string): string {
  return SEARCH_R1_TEMPLATE.replace('{question}', () => question);
}
