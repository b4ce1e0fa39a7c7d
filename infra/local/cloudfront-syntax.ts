/**
 * What CloudFront checks when a function is created (CreateFunction, the console): its size against
 * the quota (infra/cloudfront-quotas.ts) and its syntax against the runtime 2.0 page
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html),
 * read with TypeScript's parser. "async arguments and closures are not supported": an async function
 * inside another function, or passed as an argument, is refused here as AWS refuses it.
 */
import ts from 'typescript';
import { MAX_FUNCTION_BYTES } from '../build/cloudfront-runtime.ts';

/** The function could not be created (too big, or syntax the runtime lacks): CloudFront refuses it too. */
export class CloudFrontFunctionRefused extends Error {
  override readonly name = 'CloudFrontFunctionRefused';
}

/**
 * Syntax the runtime 2.0 page does not list, by TypeScript's AST (its parser reads plain
 * JavaScript): what a function may not contain. The build emits none of it (cloudfront-runtime.ts
 * SYNTAX holds esbuild the same way); this is the check for code that comes from anywhere else.
 */
function unlistedSyntax(node: ts.Node): string | undefined {
  const K = ts.SyntaxKind;
  switch (node.kind) {
    case K.ClassDeclaration:
    case K.ClassExpression:
      return 'a class';
    case K.ObjectBindingPattern:
    case K.ArrayBindingPattern:
      return 'destructuring';
    case K.ForOfStatement:
      return 'for-of';
    case K.SpreadElement:
    case K.SpreadAssignment:
      return 'spread';
    case K.ShorthandPropertyAssignment:
      return 'a shorthand property';
    case K.MethodDeclaration:
    case K.GetAccessor:
    case K.SetAccessor:
      return 'a method or accessor in an object literal';
    case K.ComputedPropertyName:
      return 'a computed property name';
    case K.TaggedTemplateExpression:
      return 'a tagged template';
    case K.BigIntLiteral:
      return 'a BigInt literal';
    case K.MetaProperty:
      return 'new.target or import.meta';
    case K.ExportDeclaration:
    case K.ExportAssignment:
      return 'export';
    case K.Parameter:
      return (node as ts.ParameterDeclaration).initializer ? 'a default parameter' : undefined;
    case K.FunctionDeclaration:
    case K.FunctionExpression:
      if ((node as ts.FunctionDeclaration).asteriskToken) return 'a generator';
      return asyncMisuse(node);
    case K.ArrowFunction:
      return asyncMisuse(node);
    case K.CatchClause:
      return (node as ts.CatchClause).variableDeclaration ? undefined : 'an optional catch binding';
    case K.BinaryExpression: {
      const op = (node as ts.BinaryExpression).operatorToken.kind;
      if (op === K.QuestionQuestionToken) return 'nullish coalescing (??)';
      if (op === K.QuestionQuestionEqualsToken || op === K.BarBarEqualsToken || op === K.AmpersandAmpersandEqualsToken) return 'a logical assignment';
      return undefined;
    }
    case K.CallExpression:
      if ((node as ts.CallExpression).expression.kind === K.ImportKeyword) return 'a dynamic import';
      return (node as ts.CallExpression).questionDotToken ? 'optional chaining (?.)' : undefined;
    case K.PropertyAccessExpression:
    case K.ElementAccessExpression:
      return (node as ts.PropertyAccessExpression).questionDotToken ? 'optional chaining (?.)' : undefined;
    case K.RegularExpressionLiteral: {
      const text = (node as ts.RegularExpressionLiteral).text;
      const flags = text.slice(text.lastIndexOf('/') + 1);
      return /[sdv]/.test(flags) ? `the regular expression flag in /…/${flags}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Refuses code over the quota, or using syntax cloudfront-js-2.0 does not document. */
export function checkFunctionCode(code: string): void {
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > MAX_FUNCTION_BYTES) {
    throw new CloudFrontFunctionRefused(`Expected a function of at most ${MAX_FUNCTION_BYTES} bytes (CloudFront Functions quota) but received ${bytes} bytes`);
  }
  const file = ts.createSourceFile('cloudfront-function.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const parseErrors = (file as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? [];
  const firstError = parseErrors[0];
  if (firstError) {
    throw new CloudFrontFunctionRefused(`Expected JavaScript but received a syntax error: ${ts.flattenDiagnosticMessageText(firstError.messageText, ' ')}`);
  }
  let found: { what: string; node: ts.Node } | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    const what = unlistedSyntax(node);
    if (what) found = { what, node };
    else ts.forEachChild(node, visit);
  };
  visit(file);
  if (found) {
    const { line } = file.getLineAndCharacterOfPosition(found.node.getStart(file));
    throw new CloudFrontFunctionRefused(
      `Expected the syntax of cloudfront-js-2.0 (functions-javascript-runtime-20.html) but line ${line + 1} uses ${found.what}, which it does not list: ${JSON.stringify(found.node.getText(file).slice(0, 80))}`,
    );
  }
}

function isFunctionLike(node: ts.Node): boolean {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node);
}

/** An async function that is a closure (inside another function) or an argument of a call: not supported. */
function asyncMisuse(node: ts.Node): string | undefined {
  const modifiers = ts.canHaveModifiers(node) ? (ts.getModifiers(node) ?? []) : [];
  if (!modifiers.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return undefined;
  let parent = node.parent;
  while (parent !== undefined && ts.isParenthesizedExpression(parent)) parent = parent.parent;
  if (parent !== undefined && (ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.expression !== node)
    return 'an async function as an argument';
  for (let up = node.parent; up !== undefined; up = up.parent) if (isFunctionLike(up)) return 'an async closure (an async function inside another function)';
  return undefined;
}
