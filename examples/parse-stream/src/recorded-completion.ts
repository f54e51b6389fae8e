/**
 * A recorded ReSearch rollout: what a Qwen2.5-Instruct policy trained with ReSearch writes for a two-hop
 * question, with the two `<result>` blocks the environment inserted after each `</search>` (passages in the
 * FlashRAG layout `"Title"\ntext`), ending with the EOS token. Written for this example; the passages are
 * short paraphrases of public encyclopedia facts.
 */
export const recordedQuestion = 'Who founded the company that makes the PlayStation?';
export const recordedGoldenAnswers = ['Masaru Ibuka and Akio Morita', 'Masaru Ibuka, Akio Morita'];

export const recordedCompletion = [
  '<think> The PlayStation is a video game console. I need the company that makes it, then who founded that company and when. </think>',
  ' <search> PlayStation console manufacturer </search>',
  ' <result>\n"PlayStation"\nPlayStation is a video gaming brand that consists of home video game consoles and handhelds created and owned by Sony Interactive Entertainment, a subsidiary of the Japanese company Sony.\n\n"Sony Interactive Entertainment"\nSony Interactive Entertainment LLC is the video game and digital entertainment division of Sony Group Corporation.\n</result>',
  ' <think> The PlayStation is made by Sony. Now I need the founders of Sony and the founding year. </think>',
  ' <search> Sony founders founding year </search>',
  ' <result>\n"Sony"\nSony was founded in Tokyo on 7 May 1946 by Masaru Ibuka and Akio Morita as Tokyo Tsushin Kogyo, and renamed Sony in 1958.\n\n"Akio Morita"\nAkio Morita (1921–1999) was a Japanese businessman and co-founder of Sony along with Masaru Ibuka.\n</result>',
  ' <think> Sony was founded by Masaru Ibuka and Akio Morita in 1946. </think>',
  ' <answer> The final answer is \\[ \\boxed{Masaru Ibuka and Akio Morita} \\] </answer><|im_end|>',
].join('');

/** The same rollout cut short by a policy that forgot to close its first thought: a format failure, reward 0. */
export const brokenCompletion = recordedCompletion.replace(
  'then who founded that company and when. </think>',
  'then who founded that company and when.',
);
