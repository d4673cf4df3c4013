// The browsers of the inbox benchmark, in a process of their own: opens one Server-Sent Events
// stream per token, says when every stream has its first counts, then when every stream has had an
// item event (with the time of the last), parsing with eventsource-parser.
import { request } from 'node:http';
import { createParser } from 'eventsource-parser';

interface Start {
  readonly url: string;
  readonly tokens: readonly string[];
}

const send = (message: unknown) => process.send?.(message);

process.once('message', (start: Start) => {
  let ready = 0;
  let received = 0;
  let last = 0;
  for (const token of start.tokens) {
    let counted = false;
    let got = false;
    const parser = createParser({
      onEvent(event) {
        if (event.event === 'counts' && !counted) {
          counted = true;
          if (++ready === start.tokens.length) send({ kind: 'ready' });
        }
        if (event.event === 'item' && !got) {
          got = true;
          last = Date.now();
          if (++received === start.tokens.length) send({ kind: 'done', last });
        }
      },
    });
    const url = new URL(start.url);
    url.searchParams.set('token', token);
    request(url, { agent: false, headers: { Accept: 'text/event-stream' } }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
    })
      .on('error', (error) => send({ kind: 'error', message: error.message }))
      .end();
  }
});
