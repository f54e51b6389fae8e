/**
 * The ChatML chat template written by `writeTokenizerDirectory` by default: each message as
 * `<|im_start|>{role}\n{content}<|im_end|>\n`, then `<|im_start|>assistant\n` when a generation
 * prompt is asked for. This is the turn format of Qwen2/Qwen2.5 chat models, without their default
 * system message and tool blocks.
 */
export const chatMlTemplate = [
  '{%- for message in messages %}',
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}",
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "{{- '<|im_start|>assistant\\n' }}",
  '{%- endif %}',
].join('\n');
