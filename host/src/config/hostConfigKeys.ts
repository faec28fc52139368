/**
 * The keys each section of the host configuration accepts (anything else is refused), in one
 * place for `validateHostConfig` and the test that keeps `schema/host-config.schema.json` in step.
 * @internal
 */
export const HOST_CONFIG_KEYS = Object.freeze({
  top: Object.freeze([
    '$schema',
    'nodeId',
    'admin',
    'statusIntervalMs',
    'shutdownTimeoutMs',
    'startupTimeoutMs',
    'drainDelayMs',
    'plugins',
    'subsystems',
  ]),
  admin: Object.freeze(['enabled', 'host', 'port', 'token', 'maxBodyBytes', 'probes']),
  probes: Object.freeze(['public', 'requireBus']),
  plugin: Object.freeze(['module', 'options', 'enabled']),
});
