// @ts-check
/**
 * TypeDoc plugin: resolves `{@link Name}` to the one exported symbol of that name in another
 * package of the workspace.
 *
 * Why: the packages are documented together, one module per package entry point, and TSDoc in a
 * plugin or the host routinely names SDK symbols (`@throws {@link InvalidConfigurationError}`).
 * TypeScript does not resolve a link written right after `@throws` (it reads `{…}` there as a
 * type), and TypeDoc's own lookup only searches the referencing module, so every such link would
 * be a warning although it names exactly one exported symbol. This pass resolves those links,
 * before TypeDoc's own resolution, when the name is unknown in the referencing module and exactly
 * one module exports it. Anything else (an ambiguous name, a symbol nobody exports) is left to
 * TypeDoc, which reports it.
 */
import { Converter, ReflectionKind } from 'typedoc';

const LINK_TAGS = new Set(['@link', '@linkcode', '@linkplain']);
const PLAIN_NAME = /^\s*([A-Za-z_$][\w$]*)((?:\.[A-Za-z_$][\w$]*)*)\s*(?:\|.*)?$/s;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    /** @type {Map<string, import('typedoc').Reflection[]>} exported top-level names of every module */
    const exported = new Map();
    for (const module of project.getChildrenByKind(ReflectionKind.Module)) {
      for (const child of module.children ?? []) {
        const list = exported.get(child.name) ?? [];
        list.push(child);
        exported.set(child.name, list);
      }
    }
    for (const reflection of Object.values(project.reflections)) {
      const comment = reflection.comment;
      if (comment === undefined) continue;
      const parts = [...comment.summary, ...comment.blockTags.flatMap((tag) => tag.content)];
      for (const part of parts) {
        if (part.kind !== 'inline-tag' || !LINK_TAGS.has(part.tag) || part.target !== undefined) continue;
        const match = PLAIN_NAME.exec(part.text);
        if (match === null) continue;
        const [, name = '', path = ''] = match;
        const module = moduleOf(reflection);
        if (module?.getChildByName(name) !== undefined) continue; // TypeDoc resolves it in scope
        const candidates = (exported.get(name) ?? []).filter((r) => moduleOf(r) !== module);
        if (candidates.length !== 1) continue;
        const target = path === '' ? candidates[0] : candidates[0]?.getChildByName(path.slice(1).split('.'));
        if (target === undefined) continue;
        part.target = target;
        const caption = part.text.includes('|') ? part.text.slice(part.text.indexOf('|') + 1).trim() : '';
        part.text = caption || `${name}${path}`;
      }
    }
  });
}

/**
 * @param {import('typedoc').Reflection} reflection
 * @returns {import('typedoc').DeclarationReflection | undefined}
 */
function moduleOf(reflection) {
  /** @type {import('typedoc').Reflection | undefined} */
  let r = reflection;
  while (r !== undefined && !r.kindOf(ReflectionKind.Module)) r = r.parent;
  return /** @type {import('typedoc').DeclarationReflection | undefined} */ (r);
}
