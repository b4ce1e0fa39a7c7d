/**
 * The property names the CloudFront Function build shortens (esbuild's mangleProps), derived rather
 * than listed: every property an interface or object type declares in the files the function
 * bundles (the policy, presets, variants, errors, the canonical request...), except the names that
 * must keep their spelling:
 *
 * - what CloudFront reads and writes: every property of @types/aws-cloudfront-function;
 * - the log line's fields: LogLine in functions/core/log.ts;
 * - the runtime's built-ins: every global and member cloudfront-runtime.ts lists, the members the
 *   language itself looks up (LANGUAGE_MEMBERS) and Error's own fields;
 * - the operator's preset names, which are looked up by the path segment a viewer sends.
 *
 * The baked config's own keys (the policy's fields, `protectedPrefixes`) are shortened too.
 *
 * A field added to the policy type is shortened with no list to edit; a name CloudFront knows never is.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { GLOBALS, LANGUAGE_MEMBERS } from './cloudfront-runtime.ts';
import { BUFFER, TYPED_ARRAY_PROTOTYPE } from './cloudfront-runtime-buffer.ts';

/**
 * The fields of an Error the function reads from errors it did not make (`${name}: ${message}`)
 * (lib.es5.d.ts). `cause` is only ever written by the function's own errors, so it may be shortened.
 */
const ERROR_FIELDS = ['message', 'name', 'stack'];

/** Names of the properties and methods the type declarations of `file` declare (in the named types only, when given). */
function declaredNames(file: string, onlyTypes?: readonly string[]): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  const visit = (node: ts.Node, inside: boolean): void => {
    const named = (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && node.name.text;
    const now = inside || onlyTypes === undefined || (named !== false && onlyTypes.includes(named));
    if (now && (ts.isPropertySignature(node) || ts.isMethodSignature(node)) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
      names.push(node.name.text);
    }
    ts.forEachChild(node, (child) => visit(child, now));
  };
  visit(source, false);
  return names;
}

/** The names that must keep their spelling, for a policy whose presets are `presetNames`. */
function reservedNames(root: string, presetNames: readonly string[]): Set<string> {
  const cloudFrontTypes = createRequire(path.resolve(root, 'package.json')).resolve('@types/aws-cloudfront-function/index.d.ts');
  const builtIns = Object.entries(GLOBALS).flatMap(([name, b]) => [name, ...(b.statics ?? []), ...(b.prototype ?? [])]);
  return new Set([
    // The event and response shapes (the `cloudfront` module's own options are not used by the function).
    ...declaredNames(cloudFrontTypes, ['Event', 'Context', 'Viewer', 'Request', 'RequestMethods', 'Response', 'ResponseBody', 'ValueObject', 'ResponseCookie']),
    ...declaredNames(path.join(root, 'functions/core/log.ts'), ['LogLine']),
    ...builtIns,
    ...(BUFFER.statics ?? []),
    ...(BUFFER.prototype ?? []),
    ...TYPED_ARRAY_PROTOTYPE,
    ...LANGUAGE_MEMBERS,
    ...ERROR_FIELDS,
    ...presetNames,
  ]);
}

/** Every key of a JSON-like value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

/**
 * The mangleProps pattern for a bundle of `files` (paths from `root`) with `baked` as its config: the
 * names their types declare and the baked config's keys, less the reserved ones.
 */
export function mangledProperties(root: string, files: readonly string[], baked: { readonly policy: { readonly presets: object } }): RegExp {
  const reserved = reservedNames(root, Object.keys(baked.policy.presets));
  const names = new Set([...files.filter((file) => /\.ts$/.test(file)).flatMap((file) => declaredNames(path.join(root, file))), ...keysOf(baked)]);
  const mangled = [...names].filter((name) => !reserved.has(name) && /^[A-Za-z_$][\w$]*$/.test(name)).sort();
  return new RegExp(`^(?:${mangled.join('|')})$`);
}
