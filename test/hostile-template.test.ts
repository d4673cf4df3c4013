// A template author can write a template that takes seconds to render, or prints megabytes. Such
// templates render on the render thread, under limits: the host's event loop keeps turning while
// they fan out, the other templates of the notification still arrive, and the hostile template's
// messages fail with VOX_RENDER_LIMIT, most of them without being rendered again.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createVox, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import type { RenderLimits } from '../src/render/renderer.ts';
import { smtpForSuite } from './support/smtp.ts';

const READERS = 200;
/** Reads the recipient inside a loop of 90,000 turns: rendered again for every recipient, in a good fraction of a second. */
const SLOWER_THAN_IT_SHOULD = '{% for i in (1..300) %}{% for j in (1..300) %}{% if recipient.name == "nobody" %}x{% endif %}{% endfor %}{% endfor %}Hi {{ recipient.name }}';
/** The same, a hundred times longer: over any sane time limit. */
const SLOW = '{% for i in (1..3000) %}{% for j in (1..3000) %}{% if recipient.name == "nobody" %}x{% endif %}{% endfor %}{% endfor %}Hi {{ recipient.name }}';

describe('a hostile template', () => {
  const server = smtpForSuite();
  let vox: Vox;

  async function newsletter(limits: RenderLimits, hostile: string) {
    vox = createVox({
      database: { dialect: 'sqlite', path: ':memory:' },
      backends: [htmlEmail({ transport: server().transport, from: 'news@example.org' })],
      worker: { sweepIntervalMs: 50 },
      limits: { render: limits },
    });
    const Reader = vox.model('news.reader', { id: (r: { id: string; name: string }) => r.id, contacts: { email: (r) => `${r.id}@example.org` } });
    const Letter = vox.model('news.letter', {
      id: (l: { id: number }) => l.id,
      notifications: { sent: 'A letter went out' },
      channels: { readers: { recipients: Reader, resolve: () => Array.from({ length: READERS }, (_, i) => ({ id: `r${i}`, name: `Reader ${i}` })) } },
    });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'news.letter.sent', backend: 'email-html', recipients: ['c:readers'], subject: 'Plain', content: '<p>Hello {{ recipient.name }}</p>' });
    await vox.templates.save({ notification: 'news.letter.sent', backend: 'email-html', recipients: ['c:readers'], subject: 'Hostile', content: hostile });
    return Letter;
  }

  /** Notifies, and measures the longest time the host's event loop did not turn until it settled. */
  async function fanOut(Letter: Awaited<ReturnType<typeof newsletter>>) {
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    try {
      const started = performance.now();
      const result = await (await Letter.notify({ id: 1 }, 'sent')).settled();
      return { result, longest, ms: performance.now() - started };
    } finally {
      clearInterval(ticker);
    }
  }

  async function failedOf(issueId: number) {
    return vox.messages.list({ issueId, status: 'failed', limit: 1000 });
  }

  afterEach(async () => {
    await vox.close();
  });

  test('a render over the time limit fails, the rest of its fan-out is not rendered again, and the host keeps turning', async () => {
    const Letter = await newsletter({ renderLimit: 1_000 }, SLOW);
    const { result, longest, ms } = await fanOut(Letter);
    // The plain template reached everyone.
    assert.equal(server().received.filter((m) => m.parsed.subject === 'Plain').length, READERS);
    assert.equal(server().received.filter((m) => m.parsed.subject === 'Hostile').length, 0);
    const failed = await failedOf(result.issueId);
    assert.equal(failed.length, READERS);
    assert.ok(failed.every((m) => m.errorCode === 'VOX_RENDER_LIMIT'), 'every hostile message fails with VOX_RENDER_LIMIT');
    assert.ok(failed.some((m) => /render limit exceeded/.test(m.error ?? '')), 'one says which limit it broke');
    assert.ok(failed.filter((m) => /were not rendered/.test(m.error ?? '')).length >= READERS - 2, 'the others say they were not rendered');
    // Rendering it for every reader would take a minute; it was given up after the first.
    assert.ok(ms < 20_000, `settled in ${Math.round(ms)} ms`);
    assert.ok(longest < 800, `the host's event loop stopped for ${Math.round(longest)} ms at most`);
  });

  test('a template that stays under the time limit stops rendering once its budget for the fan-out is spent', async () => {
    // No time limit to speak of: only the budget can stop it.
    const Letter = await newsletter({ renderLimit: 600_000, budgetMs: 1_500 }, SLOWER_THAN_IT_SHOULD);
    const { result, longest } = await fanOut(Letter);
    assert.equal(server().received.filter((m) => m.parsed.subject === 'Plain').length, READERS);
    const failed = await failedOf(result.issueId);
    const rendered = server().received.filter((m) => m.parsed.subject === 'Hostile').length;
    assert.equal(failed.length + rendered, READERS);
    assert.ok(failed.every((m) => m.errorCode === 'VOX_RENDER_LIMIT' && /used up its budget of 1500 ms/.test(m.error ?? '')), 'every failure names the budget');
    assert.ok(failed.length >= READERS / 2, `${failed.length} messages were given up once the budget was spent, ${rendered} rendered`);
    assert.ok(longest < 800, `the host's event loop stopped for ${Math.round(longest)} ms at most`);
  });

  test('a part over the output limit is refused with the limit named, and nothing of it is sent', async () => {
    const Letter = await newsletter({ outputLimit: 100_000 }, '{% for i in (1..10000) %}{{ recipient.name }} is here, {% endfor %}');
    const { result } = await fanOut(Letter);
    assert.equal(server().received.filter((m) => m.parsed.subject === 'Plain').length, READERS);
    assert.equal(server().received.filter((m) => m.parsed.subject === 'Hostile').length, 0);
    const failed = await failedOf(result.issueId);
    assert.equal(failed.length, READERS);
    assert.match(failed.find((m) => !/were not rendered/.test(m.error ?? ''))?.error ?? '', /the rendered content \(html\) has \d+ characters, over the limit of 100000 \(limits\.render\.outputLimit\)/);
  });
});
