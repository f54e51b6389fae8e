/**
 * `JSON.parse` keeps the last of two equal keys without a word. A safetensors header with a tensor
 * named twice (or an entry with two `data_offsets`) is ambiguous, so the reader looks for duplicates
 * in the text itself. `text` must already be valid JSON (parse it first).
 *
 * Returns the path of the first repeated key (`['model.norm.weight']`, `['lm_head.weight', 'dtype']`),
 * or undefined when every object's keys are distinct.
 */
export function findDuplicateJsonKey(text: string): string[] | undefined {
  interface Frame {
    keys: Set<string> | undefined; // undefined for arrays
    path: string[];
    expectingKey: boolean;
    lastKey: string;
  }
  const stack: Frame[] = [];
  let index = 0;
  while (index < text.length) {
    const character = text.charCodeAt(index);
    if (character === 0x22 /* " */) {
      let end = index + 1;
      while (true) {
        const next = text.charCodeAt(end);
        if (next === 0x5c /* \ */) end += 2;
        else if (next === 0x22) break;
        else end += 1;
      }
      const frame = stack.at(-1);
      if (frame?.keys !== undefined && frame.expectingKey) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (frame.keys.has(key)) return [...frame.path, key];
        frame.keys.add(key);
        frame.lastKey = key;
        frame.expectingKey = false;
      }
      index = end + 1;
      continue;
    }
    if (character === 0x7b /* { */ || character === 0x5b /* [ */) {
      const parent = stack.at(-1);
      const path = parent === undefined ? [] : [...parent.path, parent.keys === undefined ? '*' : parent.lastKey];
      stack.push({ keys: character === 0x7b ? new Set() : undefined, path, expectingKey: true, lastKey: '' });
    } else if (character === 0x7d /* } */ || character === 0x5d /* ] */) {
      stack.pop();
    } else if (character === 0x2c /* , */) {
      const frame = stack.at(-1);
      if (frame !== undefined) frame.expectingKey = true;
    }
    index += 1;
  }
  return undefined;
}
