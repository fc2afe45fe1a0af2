/**
 * The SQLite store opened read-only (the CLI's inspection commands): it reads an existing
 * store, never creates or migrates one, and refuses to append.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/stores/createStore.js';
import { createSqliteEventStore } from '../../../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-readonly-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = () => ({ id: v7(), type: 'Noted', data: { n: 1 } });

describe('SQLite store opened read-only', () => {
  it('refuses a missing file, naming it, and creates neither the file nor its directory', async () => {
    const path = join(dir, 'typo', 'demo.db');
    expect(() => createSqliteEventStore({ path, readOnly: true })).toThrow(
      expect.objectContaining({ code: 'STORE_NOT_FOUND', message: expect.stringContaining(path) }),
    );
    await expect(createStore(`sqlite:${path}`, { readOnly: true })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('refuses a file that holds no sagaflow store', () => {
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    expect(() => createSqliteEventStore({ path, readOnly: true })).toThrow(expect.objectContaining({ code: 'STORE_NOT_FOUND' }));
  });

  it('reads what a writer appended, and refuses appends with APPEND_REFUSED', async () => {
    const path = join(dir, 'store.db');
    const writer = createSqliteEventStore({ path });
    await writer.append('saga-1', [event(), event()], 'no_stream');
    const reader = createSqliteEventStore({ path, readOnly: true });
    expect((await reader.readStream('saga-1')).map((e) => e.revision)).toEqual([0, 1]);
    expect(await reader.readAll({ streamPrefix: 'saga-' })).toHaveLength(2);
    await expect(reader.append('saga-1', [event()], 1)).rejects.toMatchObject({ code: 'APPEND_REFUSED' });
    await writer.append('saga-1', [event()], 1);
    expect(await reader.readStream('saga-1')).toHaveLength(3);
    await reader.close();
    await writer.close();
  });

  it('refuses a memory: store, which a new process always finds empty', async () => {
    await expect(createStore('memory:', { readOnly: true })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
  });
});
