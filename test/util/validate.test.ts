import { describe, expect, it } from 'vitest';
import { checkKeys, closestName } from '../../src/util/validate.js';

describe('checkKeys', () => {
  it('names the unknown key and the closest valid one', () => {
    expect(() => checkKeys({ imageSize: 64, fliters: 8 }, ['imageSize', 'filters', 'norm'], 'unetGenerator')).toThrow(
      "unknown option 'fliters' of unetGenerator (did you mean 'filters'?)",
    );
  });
  it('lists the valid keys when none is close', () => {
    expect(() => checkKeys({ zzzzzz: 1 }, ['imageSize', 'filters'], 'f')).toThrow('(valid options: imageSize, filters)');
  });
  it('accepts known keys, undefined and rejects non-objects', () => {
    expect(() => checkKeys({ filters: 8 }, ['filters'], 'f')).not.toThrow();
    expect(() => checkKeys(undefined, ['filters'], 'f')).not.toThrow();
    expect(() => checkKeys(3, ['filters'], 'f')).toThrow('options of f must be an object (got 3)');
  });
  it('closestName is case-insensitive and refuses far names', () => {
    expect(closestName('LAMBDA', ['lambda', 'gan'])).toBe('lambda');
    expect(closestName('reconstuction', ['reconstruction', 'gan'])).toBe('reconstruction');
    expect(closestName('xyz', ['reconstruction'])).toBeUndefined();
  });
});
