import { describe, expect, it } from 'vitest';
import { createServiceToken } from '@datawarehouse/sdk';
import { ServiceDirectory } from './ServiceDirectory.js';
import { ServiceRegistry } from './ServiceRegistry.js';

interface Greeter {
  greet(): string;
}
const GreeterToken = createServiceToken<Greeter>('test.Greeter');

describe('ServiceRegistry', () => {
  it('lets one plugin resolve what another published', () => {
    const directory = new ServiceDirectory();
    const provider = new ServiceRegistry(directory, 'provider');
    const consumer = new ServiceRegistry(directory, 'consumer');
    const greeter: Greeter = { greet: () => 'hi' };
    provider.register(GreeterToken, greeter);
    expect(consumer.resolve(GreeterToken)).toBe(greeter);
    expect(consumer.has(GreeterToken)).toBe(true);
    expect(directory.ownerOf(GreeterToken)).toBe('provider');
    expect(consumer.container).not.toBe(provider.container);
  });

  it('throws ERR_SERVICE_NOT_FOUND for an absent token and tryResolve returns undefined', () => {
    const registry = new ServiceRegistry(new ServiceDirectory(), 'p');
    expect(() => registry.resolve(GreeterToken)).toThrow(
      expect.objectContaining({ code: 'ERR_SERVICE_NOT_FOUND', token: 'test.Greeter' }),
    );
    expect(registry.tryResolve(GreeterToken)).toBeUndefined();
  });

  it('refuses a taken token, naming its publisher', () => {
    const directory = new ServiceDirectory();
    new ServiceRegistry(directory, 'first').register(GreeterToken, { greet: () => '1' });
    expect(() => new ServiceRegistry(directory, 'second').register(GreeterToken, { greet: () => '2' })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_CONFIGURATION',
        field: 'token',
        expected: expect.stringContaining("'first'"),
      }),
    );
  });

  it('withdraws a service when its handle is disposed, and allows publishing it again', () => {
    const directory = new ServiceDirectory();
    const registry = new ServiceRegistry(directory, 'p');
    const handle = registry.register(GreeterToken, { greet: () => 'old' });
    handle.dispose();
    expect(registry.has(GreeterToken)).toBe(false);
    expect(() => registry.resolve(GreeterToken)).toThrow(expect.objectContaining({ code: 'ERR_SERVICE_NOT_FOUND' }));
    registry.register(GreeterToken, { greet: () => 'new' });
    expect(registry.resolve(GreeterToken).greet()).toBe('new');
    handle.dispose();
    expect(registry.has(GreeterToken)).toBe(true);
  });

  it('keeps two hosts in one process apart', () => {
    const a = new ServiceRegistry(new ServiceDirectory(), 'p');
    const b = new ServiceRegistry(new ServiceDirectory(), 'p');
    a.register(GreeterToken, { greet: () => 'a' });
    expect(b.has(GreeterToken)).toBe(false);
  });

  it('rejects non-symbol tokens and empty services', () => {
    const registry = new ServiceRegistry(new ServiceDirectory(), 'p');
    expect(() => registry.register('x' as never, {})).toThrow(expect.objectContaining({ field: 'token' }));
    expect(() => registry.register(GreeterToken, undefined as never)).toThrow(
      expect.objectContaining({ field: 'service' }),
    );
  });

  it('withdraws everything a plugin published', () => {
    const directory = new ServiceDirectory();
    const other = createServiceToken<number>('test.Other');
    new ServiceRegistry(directory, 'p').register(GreeterToken, { greet: () => '' });
    new ServiceRegistry(directory, 'q').register(other, 1);
    directory.withdrawAll('p');
    expect(directory.has(GreeterToken)).toBe(false);
    expect(directory.resolve(other)).toBe(1);
  });
});
