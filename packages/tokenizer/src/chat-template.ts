import { Template } from '@huggingface/jinja';

/**
 * The one file through which `@huggingface/jinja` enters this package: compiles a chat template once
 * and renders it with a record of variables. The engine lexes with `trim_blocks` and `lstrip_blocks`,
 * as transformers configures Jinja for chat templates, and defines `raise_exception` and `strftime_now`.
 */
export interface CompiledChatTemplate {
  readonly source: string;
  render(variables: Record<string, unknown>): string;
}

/** Throws the engine's `Error` on a template it cannot parse; the caller names the file. */
export function compileChatTemplate(source: string): CompiledChatTemplate {
  const template = new Template(source);
  return {
    source,
    render(variables) {
      return template.render(variables);
    },
  };
}
