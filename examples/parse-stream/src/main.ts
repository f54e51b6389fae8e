/**
 * parse-stream: a recorded ReSearch completion streamed through the tag parser in small chunks, the way
 * a policy's text arrives, then the format check, answer extraction and reward on the whole response.
 *
 *   npm start -w @research-ts/example-parse-stream
 */
import { reSearchReward } from '@research-ts/evaluators';
import {
  createTagParser,
  extractAnswer,
  tagEventSourceText,
  validateReSearchFormat,
  type TagEvent,
} from '@research-ts/tags';
import { brokenCompletion, recordedCompletion, recordedGoldenAnswers, recordedQuestion } from './recorded-completion';

/** Cuts text into chunks of 1 to 7 characters (a fixed cycle, so every run prints the same). */
function* chunks(text: string): Generator<string> {
  const sizes = [3, 1, 7, 2, 5, 4, 6];
  for (let at = 0, index = 0; at < text.length; index += 1) {
    const size = sizes[index % sizes.length]!;
    yield text.slice(at, at + size);
    at += size;
  }
}

/** Streams `text` through a parser and prints each event; deltas are printed inline as they arrive. */
function streamThroughParser(text: string): TagEvent[] {
  const parser = createTagParser();
  const events: TagEvent[] = [];
  let chunkCount = 0;
  const show = (event: TagEvent) => {
    events.push(event);
    if (event.type.endsWith('-delta')) process.stdout.write(JSON.stringify(tagEventSourceText(event)).slice(1, -1));
    else if (event.type === 'tag-error')
      process.stdout.write(`\n  ! tag-error ${event.reason} <${event.tag}> at offset ${event.offset}\n`);
    else process.stdout.write(event.type.endsWith('-start') ? `\n[${event.type}] ` : ` [${event.type}]`);
  };
  for (const chunk of chunks(text)) {
    chunkCount += 1;
    parser.push(chunk).forEach(show);
  }
  parser.flush().forEach(show);
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  console.log(`\n\n${chunkCount} chunks -> ${events.length} events:`, counts);
  console.log('events reassemble the text exactly:', events.map(tagEventSourceText).join('') === text);
  return events;
}

function score(label: string, response: string): void {
  const format = validateReSearchFormat(response);
  console.log(`\n== ${label}`);
  console.log('format:', format.ok ? 'ok' : `${format.reason} (${format.message})`);
  const answer = extractAnswer(response);
  console.log('answer:', answer.ok ? JSON.stringify(answer.answer) : answer.reason);
  const reward = reSearchReward.score({
    response,
    goldenAnswers: recordedGoldenAnswers,
    endedWithEos: response.endsWith('<|im_end|>'),
  });
  console.log(`reward: ${reward.score} (reason ${reward.reason}, components ${JSON.stringify(reward.components)})`);
}

console.log(`question: ${recordedQuestion}`);
console.log(`golden answers: ${recordedGoldenAnswers.join(' | ')}`);
streamThroughParser(recordedCompletion);
score('the recorded completion', recordedCompletion);

console.log('\n== a broken completion (first <think> never closed), streamed');
streamThroughParser(brokenCompletion.slice(0, 160));
score('the broken completion', brokenCompletion);
