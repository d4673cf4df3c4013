import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { STATEMENT_CACHE, StatementCache } from './sqlite.ts';

/** An insert of `rows` rows of 20 columns, as a fan-out's batch writes. */
const insert = (rows: number) => `insert into t (${COLUMNS.join(', ')}) values ${Array.from({ length: rows }, () => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')}`;
const COLUMNS = Array.from({ length: 20 }, (_, i) => `c${i}`);

function database() {
  const db = new DatabaseSync(':memory:');
  db.exec(`create table t (${COLUMNS.join(', ')})`);
  let prepared = 0;
  const cache = new StatementCache((sql) => {
    prepared++;
    return db.prepare(sql);
  });
  return { db, cache, prepared: () => prepared };
}

test('batches of many sizes (each fan-out ends with its own) keep at most the cache\'s length of SQL prepared', () => {
  const { db, cache, prepared } = database();
  for (let rows = 500; rows > 300; rows--) {
    const statement = cache.get(insert(rows));
    statement.run(...Array.from({ length: rows * COLUMNS.length }, (_, i) => i));
    assert.ok(cache.size.sqlLength <= STATEMENT_CACHE.sqlLength, `${cache.size.sqlLength} characters of SQL kept after a batch of ${rows}`);
  }
  assert.equal(prepared(), 200);
  assert.ok(cache.size.statements >= 1 && cache.size.statements < 10, `${cache.size.statements} statements kept`);
  assert.equal((db.prepare('select count(*) as n from t').get() as { n: number }).n, (500 + 301) * 100);
});

test('the statement used longest ago goes first; one in use again stays, and is not prepared again', () => {
  const { cache, prepared } = database();
  const full = insert(500);
  cache.get(full);
  for (let rows = 1; rows <= 300; rows++) {
    cache.get(`select ${rows}`);
    cache.get(full);
  }
  assert.equal(prepared(), 301, 'the full batch\'s statement was prepared once');
  assert.equal(cache.size.statements, STATEMENT_CACHE.statements);
  cache.get('select 1');
  assert.equal(prepared(), 302, 'the oldest small statement had gone');
});

test('a statement longer than the whole budget runs, and is not kept', () => {
  const { cache } = database();
  const huge = `select 1 as n /* ${'x'.repeat(STATEMENT_CACHE.sqlLength)} */`;
  assert.equal((cache.get(huge).get() as { n: number }).n, 1);
  assert.deepEqual(cache.size, { statements: 0, sqlLength: 0 });
});
