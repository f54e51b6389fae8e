import type { Passage } from '@research-ts/spec';

/**
 * A small corpus in the FlashRAG layout (`"Title"\ntext`): the facts a two-hop question about the
 * PlayStation needs, and neighbours that share its words. Written for this example from public
 * encyclopedia facts.
 */
export const exampleCorpus: Passage[] = [
  [
    'PlayStation',
    'PlayStation is a video gaming brand of home consoles and handhelds created and owned by Sony Interactive Entertainment, a subsidiary of the Japanese company Sony.',
  ],
  [
    'Sony Interactive Entertainment',
    'Sony Interactive Entertainment is the video game division of Sony Group Corporation; it makes the PlayStation consoles.',
  ],
  [
    'Sony',
    'Sony was founded in Tokyo on 7 May 1946 by Masaru Ibuka and Akio Morita as Tokyo Tsushin Kogyo, and renamed Sony in 1958.',
  ],
  ['Akio Morita', 'Akio Morita (1921–1999) was a Japanese businessman and co-founder of Sony along with Masaru Ibuka.'],
  [
    'Masaru Ibuka',
    'Masaru Ibuka (1908–1997) was a Japanese electronics engineer and industrialist, co-founder of Sony.',
  ],
  [
    'Nintendo',
    'Nintendo is a Japanese video game company founded in 1889 by Fusajiro Yamauchi; it makes the Switch console.',
  ],
  ['Sega', 'Sega is a Japanese video game company that made the Mega Drive and Dreamcast consoles.'],
  [
    'Xbox',
    'Xbox is a video gaming brand of consoles owned by Microsoft, first released in 2001 to compete with the PlayStation 2.',
  ],
  ['Microsoft', 'Microsoft was founded by Bill Gates and Paul Allen on 4 April 1975 in Albuquerque, New Mexico.'],
  [
    'Ken Kutaragi',
    'Ken Kutaragi is a Japanese engineer known as the father of the PlayStation, which he developed at Sony.',
  ],
  ['Tokyo', 'Tokyo is the capital of Japan and the home of the headquarters of Sony and many other companies.'],
  ['Walkman', 'The Walkman is a portable cassette player released by Sony in 1979.'],
].map(([title, text], index) => ({ id: String(index + 1), contents: `"${title}"\n${text}` }));

export const exampleQuestion = 'Who founded the company that makes the PlayStation?';
export const exampleGoldenAnswers = ['Masaru Ibuka and Akio Morita', 'Akio Morita and Masaru Ibuka'];
