import type { GenerateRequest, GenerateResult, Policy, Tokenizer } from '@research-ts/spec';

/**
 * What a scripted agent writes at a turn: the text of its next generation, given the question and how many
 * `<result>` blocks it has already received. The rollout loop, not the script, stops the text at
 * `</search>` and inserts results.
 */
export type AgentScript = (question: string, resultsSoFar: readonly string[]) => string;

/**
 * A spec `Policy` that writes scripted text instead of sampling a model, so the demo can run the real
 * rollout loop (tokenizer, retriever, result insertion, loss mask) before a model is trained. It honours
 * stop strings, `maxNewTokens` and EOS the way a model policy does.
 */
export function createScriptedPolicy(options: {
  tokenizer: Tokenizer;
  questionOf: (contextText: string) => string;
  script: AgentScript;
}): Policy {
  const { tokenizer } = options;
  const eosId = tokenizer.eosTokenIds[0];
  return {
    specificationVersion: 'v1',
    name: 'scripted',
    async generate(requests: readonly GenerateRequest[]): Promise<GenerateResult[]> {
      return requests.map((request) => {
        const context = tokenizer.decode(request.inputIds);
        const results = [...context.matchAll(/<result>\n([\s\S]*?)\n<\/result>/g)].map((match) => match[1]!);
        let text = options.script(options.questionOf(context), results);
        let finishReason: GenerateResult['finishReason'] = 'eos';
        let stopString: string | undefined;
        for (const stop of request.stopStrings ?? []) {
          const at = text.indexOf(stop);
          if (at >= 0) {
            text = text.slice(0, at + stop.length);
            finishReason = 'stop-string';
            stopString = stop;
          }
        }
        let outputIds = tokenizer.encode(text, { addSpecialTokens: false });
        if (finishReason === 'eos' && eosId !== undefined) outputIds.push(eosId);
        if (outputIds.length > request.maxNewTokens) {
          outputIds = outputIds.slice(0, request.maxNewTokens);
          finishReason = 'length';
          stopString = undefined;
        }
        return { outputIds, text: tokenizer.decode(outputIds), finishReason, ...(stopString === undefined ? {} : { stopString }) };
      });
    },
  };
}
