import { describe, expect, it } from 'vitest';
import { expandEnv, isUnset, typedProperty } from './typed-value';

describe('typed values', () => {
  it('reads a property and its type, defaulting the type', () => {
    expect(typedProperty({ value: 'payload.x', valueType: 'msg' }, 'value')).toEqual({
      value: 'payload.x',
      type: 'msg',
    });
    expect(typedProperty({ value: 5 }, 'value', 'num')).toEqual({ value: '5', type: 'num' });
    expect(typedProperty({}, 'value')).toEqual({ value: '', type: 'str' });
  });

  it('treats an empty string or path as unset, but not an empty boolean or date', () => {
    expect(isUnset({ value: '', type: 'msg' })).toBe(true);
    expect(isUnset({ value: '', type: 'date' })).toBe(false);
  });

  it('substitutes every ${VAR} and lists the unset ones', () => {
    const lookup = (name: string) => ({ HOST: 'gw', PORT: '1880' })[name];
    expect(expandEnv('http://${HOST}:${PORT}/${PREFIX}', lookup)).toEqual({
      value: 'http://gw:1880/',
      missing: ['PREFIX'],
    });
  });
});
