import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { InvalidConfigurationError } from '../errors/errors.js';

/**
 * Which side of a network partition each node is on. Listed groups are sides; every node not
 * listed (including nodes created later) shares one more, implicit side.
 * @internal Used by `InMemoryFederation`.
 */
@SdkCompatibility('6.0.0')
export class PartitionTable {
  private groups: Map<string, number> | undefined;

  /** True while a partition is in force. */
  get active(): boolean {
    return this.groups !== undefined;
  }

  /**
   * Replaces the partition with `groups`.
   * @throws {@link InvalidConfigurationError} naming `groups[i][j]` for an id `isKnown` rejects or
   * one listed in two groups (nothing changes then).
   */
  set(groups: readonly (readonly string[])[], isKnown: (nodeId: string) => boolean): void {
    if (!Array.isArray(groups)) throw new InvalidConfigurationError('groups', groups, 'an array of arrays of node ids');
    const map = new Map<string, number>();
    groups.forEach((group: unknown, g) => {
      if (!Array.isArray(group)) throw new InvalidConfigurationError(`groups[${g}]`, group, 'an array of node ids');
      group.forEach((id: unknown, i) => {
        const field = `groups[${g}][${i}]`;
        if (typeof id !== 'string' || !isKnown(id)) {
          throw new InvalidConfigurationError(field, id, 'the id of a node of this federation');
        }
        const earlier = map.get(id);
        if (earlier !== undefined && earlier !== g) {
          throw new InvalidConfigurationError(field, id, `a node id not already listed in groups[${earlier}]`);
        }
        map.set(id, g);
      });
    });
    this.groups = map;
  }

  /** Ends the partition. */
  heal(): void {
    this.groups = undefined;
  }

  /** Moves a removed node out of its group (a new node of that id starts on the implicit side). */
  forget(nodeId: string): void {
    this.groups?.delete(nodeId);
  }

  /** Whether two nodes are on the same side (always, when no partition is in force). */
  sameSide(a: string, b: string): boolean {
    const groups = this.groups;
    // Unlisted nodes map to undefined on both sides: they share the implicit group.
    return groups === undefined || groups.get(a) === groups.get(b);
  }
}
