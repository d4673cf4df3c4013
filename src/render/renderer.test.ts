import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VoxError } from '../vocabulary/errors.ts';
import { ErrorCode } from '../vocabulary/errors.ts';
import { Renderer } from './renderer.ts';

const renderer = new Renderer({ renderLimit: 500, memoryLimit: 1_000_000 });
const object = { title: 'Fish & <Chips>', tags: ['a', 'b'], nested: { deep: { name: 'x' } } };

describe('escaping follows the output format', () => {
  test('HTML bodies escape variables, and | raw opts out', async () => {
    const parts = await renderer.renderContent('<p>{{ object.title }}</p>{{ "<br>" | raw }}', 'html', { object });
    assert.equal(parts.html, '<p>Fish &amp; &lt;Chips&gt;</p><br>');
  });

  test('filter results are escaped too', async () => {
    const parts = await renderer.renderContent('{{ object.title | upcase }}', 'html', { object });
    assert.equal(parts.html, 'FISH &amp; &lt;CHIPS&gt;');
  });

  test('Markdown bodies escape what starts Markdown syntax or HTML, and nothing inside code', async () => {
    const evil = { title: "*bold* [link](http://evil.test) <script>alert(1)</script> it's" };
    const parts = await renderer.renderContent('# {{ object.title }} `{{ object.title }}`', 'markdown', { object: evil });
    assert.equal(parts.markdown, "# \\*bold\\* \\[link\\](http://evil.test) \\<script\\>alert(1)\\</script\\> it's `*bold* [link](http://evil.test) <script>alert(1)</script> it's`");
  });

  test('subjects and plain text are raw, and subjects fold to one line', async () => {
    assert.equal(await renderer.renderSubject('Re: {{ object.title }}\n\n  and more\r\n', { object }), 'Re: Fish & <Chips> and more');
    assert.deepEqual(await renderer.renderContent('{{ object.title }}', 'text', { object }), { text: 'Fish & <Chips>' });
  });

  test('block templates render each block in its own format', async () => {
    const source = '{% block subject %}About\n{{ object.title }}{% endblock %}{% block text_body %}{{ object.title }}{% endblock %}{% block html_body %}<b>{{ object.title }}</b>{% endblock %}';
    assert.deepEqual(await renderer.renderContent(source, 'blocks', { object }), {
      subject: 'About Fish & <Chips>',
      text_body: 'Fish & <Chips>',
      html_body: '<b>Fish &amp; &lt;Chips&gt;</b>',
    });
  });
});

describe('untrusted authors', () => {
  test('a template that loops forever is stopped', async () => {
    await assert.rejects(renderer.renderContent('{% for i in (1..1000000000) %}{{ i }}{% endfor %}', 'text', {}), (e: VoxError) => e.code === ErrorCode.renderLimit);
    await assert.rejects(
      renderer.renderContent('{% for a in (1..100000) %}{% for b in (1..100000) %}{% endfor %}{% endfor %}', 'text', {}),
      (e: VoxError) => e.code === ErrorCode.renderLimit,
    );
  });

  test('a render that LiquidJS cannot interrupt (one long filter call) is stopped by ending its thread, and the next render works', async () => {
    const strict = new Renderer({ renderLimit: 100, memoryLimit: 1e9 });
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      longest = Math.max(longest, performance.now() - last);
      last = performance.now();
    }, 5);
    try {
      // Three natural sorts of a million items: about 0.7 s on this machine in one piece, twice the
      // watchdog's 350 ms (limit + 250 ms); one sort alone (0.3 s) finished in time on a quiet machine.
      await assert.rejects(strict.renderContent('{{ (1..1000000) | sort_natural | reverse | sort_natural | reverse | sort_natural | size }}', 'text', {}), (e: VoxError) => e.code === ErrorCode.renderLimit && /took longer than 100 ms and was stopped/.test(e.message));
      assert.deepEqual(await strict.renderContent('{{ "fine" }}', 'text', {}), { text: 'fine' });
      assert.ok(longest < 500, `the event loop stopped for ${Math.round(longest)} ms at most`);
    } finally {
      clearInterval(ticker);
      await strict.close();
    }
  });

  test('a rendered part over the output limit is refused, naming the limit', async () => {
    const small = new Renderer({ outputLimit: 1_000 });
    await assert.rejects(small.renderContent('{% for i in (1..600) %}ab{% endfor %}', 'html', {}), (e: VoxError) => e.code === ErrorCode.renderLimit && /the rendered content \(html\) has 1200 characters, over the limit of 1000/.test(e.message));
    await assert.rejects(small.renderSubject('{% for i in (1..600) %}ab{% endfor %}', {}), /the rendered subject has 1200 characters/);
    await small.close();
  });

  test('constructor, prototype and methods are out of reach', async () => {
    const parts = await renderer.renderContent(
      '[{{ object.constructor }}][{{ object.__proto__ }}][{{ object.title.constructor }}][{{ object.toString }}][{{ object.hasOwnProperty }}]',
      'text',
      { object },
    );
    assert.equal(parts.text, '[][][][][]');
  });

  test('include and render cannot read files', async () => {
    for (const source of ["{% include '/etc/passwd' %}", "{% render '../../package.json' %}", "{% layout 'x' %}"]) {
      await assert.rejects(renderer.renderContent(source, 'text', {}), /./, source);
    }
  });

  test('include, render and layout are refused when the template is checked', () => {
    assert.deepEqual(renderer.syntaxProblems('content', "ok\n  {% include 'x' %}", 'html'), [
      { field: 'content', message: '{% include %} is not available: templates cannot load other templates or files', line: 2, column: 3 },
    ]);
  });

  test('templates over the parse limit are refused', () => {
    const small = new Renderer({ parseLimit: 10 });
    assert.equal(small.syntaxProblems('content', 'x'.repeat(20), 'text').length, 1);
  });
});

describe('validation', () => {
  test('syntax errors carry line and column', () => {
    assert.deepEqual(renderer.syntaxProblems('content', 'line one\n  {% unknown %}', 'html'), [
      { field: 'content', message: 'tag "unknown" not found', line: 2, column: 3 },
    ]);
    assert.deepEqual(renderer.syntaxProblems('content', '{{ ok }}', 'html'), []);
  });

  test('block templates must use known blocks', () => {
    assert.match(renderer.syntaxProblems('content', '{% block body %}x{% endblock %}', 'blocks')[0]?.message ?? '', /unknown block body/);
    assert.match(renderer.syntaxProblems('content', 'no blocks', 'blocks')[0]?.message ?? '', /needs \{% block subject %\}/);
  });

  test('variables are listed with positions, loop locals excluded', () => {
    const vars = renderer.variables('{{ object.title }}\n{% for t in object.tags %}{{ t }}{{ forloop.index }}{% endfor %}');
    assert.deepEqual(vars.map((v) => [v.segments.join('.'), v.line]), [['object.title', 1], ['object.tags', 2]]);
  });
});

describe('the render thread', () => {
  test('ends when idle, giving its memory back, and a fan-out renders on in a new one', async () => {
    const own = new Renderer();
    const prepared = own.prepare({ subject: 'Hi {{ recipient.name }}', content: '<p>{{ object.title }} for {{ recipient.name }}</p>', format: 'html' }, { object }, ['recipient']);
    const first = await prepared.renderMany([{ recipient: { name: 'Ann' } }]);
    assert.equal((first[0] as { parts: Record<string, string> }).parts.html, '<p>Fish &amp; &lt;Chips&gt; for Ann</p>');
    assert.equal(own.threadRunning, true);
    const deadline = Date.now() + 10_000;
    while (own.threadRunning && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(own.threadRunning, false, 'the idle thread ended');
    // The new thread does not hold the prepared template: it prepares it again from the task.
    const next = await prepared.renderMany([{ recipient: { name: 'Bob' } }, { recipient: { name: 'Cy' } }]);
    assert.deepEqual(next.map((m) => (m as { subject: string; parts: Record<string, string> }).subject), ['Hi Bob', 'Hi Cy']);
    assert.equal((next[1] as { parts: Record<string, string> }).parts.html, '<p>Fish &amp; &lt;Chips&gt; for Cy</p>');
    await own.close();
  });
});
