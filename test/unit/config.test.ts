import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration', () => {
  test('defaults: port 8080, embedded database under ./data', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.baseUrl, 'http://localhost:8080');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, './data');
  });
  test('environment overrides', () => {
    const c = loadConfig({ PORT: '9000', DATABASE_URL: 'postgres://u@h/db', CARNET_BASE_URL: 'https://carnet.example/', CARNET_MAX_BODY_BYTES: '4096' });
    assert.equal(c.port, 9000);
    assert.equal(c.databaseUrl, 'postgres://u@h/db');
    assert.equal(c.baseUrl, 'https://carnet.example');
    assert.equal(c.maxBodyBytes, 4096);
  });
  test('bad values are refused at startup', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), ConfigError);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), ConfigError);
    assert.throws(() => loadConfig({ CARNET_MAX_BODY_BYTES: '-1' }), ConfigError);
  });
  test('several API processes only on PostgreSQL', () => {
    assert.equal(loadConfig({}).workers, 1);
    assert.equal(loadConfig({ CARNET_WORKERS: '2', DATABASE_URL: 'postgres://u@h/db' }).workers, 2);
    assert.throws(() => loadConfig({ CARNET_WORKERS: '2' }), ConfigError);
  });
});
