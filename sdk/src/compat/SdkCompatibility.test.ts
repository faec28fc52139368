import { describe, expect, it } from 'vitest';
import {
  SDK_VERSION,
  SdkCompatibility,
  getSdkCompatibility,
  isSdkVersionCompatible,
  parseSemver,
} from './SdkCompatibility.js';

describe('SdkCompatibility', () => {
  it('records the version and options on the class and reads them back from class or instance', () => {
    @SdkCompatibility('6.0.0', { deprecatedVersion: '6.2.0', replacement: 'NewThing', notes: 'n' })
    class Decorated {}
    expect(getSdkCompatibility(Decorated)).toEqual({
      sdkVersion: '6.0.0',
      deprecatedVersion: '6.2.0',
      replacement: 'NewThing',
      notes: 'n',
    });
    expect(getSdkCompatibility(new Decorated())?.sdkVersion).toBe('6.0.0');
  });

  it('does not let an undecorated subclass inherit the claim', () => {
    @SdkCompatibility('6.0.0')
    class Base {}
    class Derived extends Base {}
    expect(getSdkCompatibility(Derived)).toBeUndefined();
    expect(getSdkCompatibility(undefined)).toBeUndefined();
  });

  it('refuses a non-semver version', () => {
    expect(() => SdkCompatibility('six')).toThrow(TypeError);
  });

  it('accepts the same major at or below the host version only', () => {
    expect(SDK_VERSION).toBe('6.0.0');
    expect(isSdkVersionCompatible('6.0.0', '6.0.0')).toBe(true);
    expect(isSdkVersionCompatible('6.0.0', '6.3.1')).toBe(true);
    expect(isSdkVersionCompatible('6.1.0', '6.0.9')).toBe(false);
    expect(isSdkVersionCompatible('5.9.0', '6.0.0')).toBe(false);
    expect(isSdkVersionCompatible('7.0.0', '6.0.0')).toBe(false);
    expect(isSdkVersionCompatible('garbage', '6.0.0')).toBe(false);
    expect(parseSemver('1.2.3-beta')).toEqual({ major: 1, minor: 2, patch: 3 });
  });
});
