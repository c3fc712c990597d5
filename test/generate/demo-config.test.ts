import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('demo configuration', () => {
  test('defaults: 200 persons from the seed "carnet"', () => {
    const c = loadConfig({});
    assert.equal(c.demo, true);
    assert.equal(c.demoPersons, 200);
    assert.equal(c.demoSeed, 'carnet');
  });

  test('CARNET_DEMO_PERSONS and CARNET_DEMO_SEED are read; bad sizes are refused', () => {
    const c = loadConfig({ CARNET_DEMO_PERSONS: '25', CARNET_DEMO_SEED: 'montréal', CARNET_DEMO: 'OFF', CARNET_SECRET: 'a-production-secret-of-at-least-32-characters' });
    assert.deepEqual([c.demo, c.demoPersons, c.demoSeed], [false, 25, 'montréal']);
    assert.throws(() => loadConfig({ CARNET_DEMO_PERSONS: '0' }), ConfigError);
    assert.throws(() => loadConfig({ CARNET_DEMO_PERSONS: 'many' }), ConfigError);
  });
});
